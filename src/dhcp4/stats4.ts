/**
 * The DHCPv4 statistics, with Kea's names (../shared/reference/arm-stats.rst): packet counters
 * held as Observation objects so the packet path never looks a name up, and per-subnet lease
 * counters recounted from the lease store whenever a configuration is installed (both shared
 * with v6: src/dhcpsrv/runtime/lease-stats.ts).
 */
import { DHCPMessageType } from "../dhcp/constants.ts";
import type { Dhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import { LeaseState, type Lease4 } from "../dhcpsrv/leases/lease4.ts";
import type { LeaseStore4 } from "../dhcpsrv/leases/lease-store4.ts";
import {
  LeaseStats,
  isAllocationFailure,
  leaseCounterNames,
  type PoolStatsSpec,
} from "../dhcpsrv/runtime/lease-stats.ts";
import type { Pool4 } from "../dhcpsrv/model/subnet4.ts";
import type { StatsManager } from "../stats/stats-manager.ts";

const RECEIVED: Record<number, string> = {
  [DHCPMessageType.DHCPDISCOVER]: "pkt4-discover-received",
  [DHCPMessageType.DHCPOFFER]: "pkt4-offer-received",
  [DHCPMessageType.DHCPREQUEST]: "pkt4-request-received",
  [DHCPMessageType.DHCPACK]: "pkt4-ack-received",
  [DHCPMessageType.DHCPNAK]: "pkt4-nak-received",
  [DHCPMessageType.DHCPRELEASE]: "pkt4-release-received",
  [DHCPMessageType.DHCPDECLINE]: "pkt4-decline-received",
  [DHCPMessageType.DHCPINFORM]: "pkt4-inform-received",
};

const SENT: Record<number, string> = {
  [DHCPMessageType.DHCPOFFER]: "pkt4-offer-sent",
  [DHCPMessageType.DHCPACK]: "pkt4-ack-sent",
  [DHCPMessageType.DHCPNAK]: "pkt4-nak-sent",
};

/** Statistics kept both globally and per subnet. */
const BOTH = [...leaseCounterNames(["addresses"], "v4"), "v4-reservation-conflicts"];

/** Kea 3's `subnet[id].pool[pid].*`. */
function poolStats(pool: Pool4): PoolStatsSpec {
  return {
    scope: "pool",
    statsId: pool.statsId,
    kind: "addresses",
    totals: { "total-addresses": pool.capacity },
    declinable: true,
  };
}

export class Dhcp4Stats extends LeaseStats<Lease4> {
  constructor(stats: StatsManager) {
    super(stats, {
      packets: "pkt4",
      received: RECEIVED,
      sent: SENT,
      // Kea 2.2 lists these from the start (the lease-query counters belong to its leasequery
      // library, which Nestor does not have).
      globals: BOTH,
      perSubnet: [
        "total-addresses",
        "assigned-addresses",
        ...BOTH.filter((n) => !isAllocationFailure(n)),
      ],
      keptOnReconfiguration: ["v4-reservation-conflicts"],
      kinds: ["addresses"],
      kindOf: () => "addresses",
      // Kea 2.2 also counts the failure in -classes whenever the query has a class, which it
      // always has (ALL).
      allocationFailures: [
        "v4-allocation-fail",
        "v4-allocation-fail-subnet",
        "v4-allocation-fail-classes",
      ],
    });
  }

  /** Creates the subnets' statistics and recounts their leases from the store. */
  configure(model: Dhcp4Model, leases: LeaseStore4): void {
    this.recount(
      model.subnets,
      (x) => ({ "total-addresses": x.totalAddresses }),
      leases.leaseStats4(),
      {
        pools: (subnet) => subnet.pools.map(poolStats),
        locate: (subnet, lease) => subnet.poolOfAddress(lease.address, lease.poolId)?.id ?? -1,
        leases: (id) => leases.eachLease4InSubnet?.(id) ?? leases.getLeases4BySubnet(id),
        // Without a Lease4 made for each (a load of many leases would leave them all as garbage).
        countLeases:
          leases.visitLeases4InSubnet === undefined
            ? undefined
            : (subnet, count) => {
                leases.visitLeases4InSubnet!(subnet.id, (l) => {
                  const state = l.state;
                  if (state !== LeaseState.DEFAULT && state !== LeaseState.DECLINED) return;
                  count(subnet.poolOfNumber(l.addressNumber, l.poolId)?.id ?? -1, state);
                });
              },
      },
    );
  }
}
