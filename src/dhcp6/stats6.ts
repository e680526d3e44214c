/**
 * The DHCPv6 statistics, with Kea's names (../shared/reference/kea-inventory.md section 8):
 * packet counters held as Observation objects so the packet path never looks a name up, and
 * per-subnet lease counters recounted from the lease store whenever a configuration is
 * installed (both shared with v4: src/dhcpsrv/runtime/lease-stats.ts). `total-nas` and
 * `total-pds` are big integers, as in Kea (a /64 pool is 2^64).
 */
import { DHCPv6MessageType as M } from "../dhcp/constants.ts";
import type { Dhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import { LeaseState, LeaseType6, type Lease6 } from "../dhcpsrv/leases/lease6.ts";
import type { LeaseStore6 } from "../dhcpsrv/leases/lease-store6.ts";
import {
  LeaseStats,
  isAllocationFailure,
  leaseCounterNames,
  type PoolStatsSpec,
} from "../dhcpsrv/runtime/lease-stats.ts";
import type { PdPool6, Pool6 } from "../dhcpsrv/model/subnet6.ts";
import { poolOfBytes6 } from "../dhcpsrv/model/pool-bytes6.ts";
import type { StatsManager } from "../stats/stats-manager.ts";

const RECEIVED: Record<number, string> = {
  [M.DHCPV6_SOLICIT]: "pkt6-solicit-received",
  [M.DHCPV6_ADVERTISE]: "pkt6-advertise-received",
  [M.DHCPV6_REQUEST]: "pkt6-request-received",
  [M.DHCPV6_REPLY]: "pkt6-reply-received",
  [M.DHCPV6_RENEW]: "pkt6-renew-received",
  [M.DHCPV6_REBIND]: "pkt6-rebind-received",
  [M.DHCPV6_RELEASE]: "pkt6-release-received",
  [M.DHCPV6_DECLINE]: "pkt6-decline-received",
  [M.DHCPV6_CONFIRM]: "pkt6-confirm-received",
  [M.DHCPV6_INFORMATION_REQUEST]: "pkt6-infrequest-received",
  [M.DHCPV6_RECONFIGURE]: "pkt6-reconfigure-received",
  [M.DHCPV6_DHCPV4_QUERY]: "pkt6-dhcpv4-query-received",
  [M.DHCPV6_DHCPV4_RESPONSE]: "pkt6-dhcpv4-response-received",
  [M.DHCPV6_LEASEQUERY]: "pkt6-lease-query-received",
};

const SENT: Record<number, string> = {
  [M.DHCPV6_ADVERTISE]: "pkt6-advertise-sent",
  [M.DHCPV6_REPLY]: "pkt6-reply-sent",
  [M.DHCPV6_DHCPV4_RESPONSE]: "pkt6-dhcpv4-response-sent",
  [M.DHCPV6_LEASEQUERY_REPLY]: "pkt6-lease-query-reply-sent",
};

const KINDS = ["nas", "pds"];

/** Statistics kept both globally and per subnet. */
const BOTH = leaseCounterNames(KINDS, "v6");

/** Kea 3's `subnet[id].pool[pid].*`. */
function poolStats(pool: Pool6): PoolStatsSpec {
  return {
    scope: "pool",
    statsId: pool.statsId,
    kind: "nas",
    totals: { "total-nas": pool.capacity },
    declinable: true,
  };
}

/** Kea 3's `subnet[id].pd-pool[pid].*` (a delegated prefix cannot be declined). */
function pdPoolStats(pool: PdPool6): PoolStatsSpec {
  return {
    scope: "pd-pool",
    statsId: pool.statsId,
    kind: "pds",
    totals: { "total-pds": pool.capacity },
    declinable: false,
  };
}

export class Dhcp6Stats extends LeaseStats<Lease6> {
  constructor(stats: StatsManager) {
    super(stats, {
      packets: "pkt6",
      received: RECEIVED,
      sent: SENT,
      // As Kea 2.2 serving lists them from the start: the CONFIRM, RECONFIGURE and lease-query
      // counters only once counted.
      globals: BOTH,
      perSubnet: [
        ...KINDS.map((kind) => `assigned-${kind}`),
        ...BOTH.filter((n) => !isAllocationFailure(n)),
      ],
      late: [
        "pkt6-confirm-received",
        "pkt6-reconfigure-received",
        "pkt6-lease-query-received",
        "pkt6-lease-query-reply-sent",
      ],
      kinds: KINDS,
      kindOf: (lease) => (lease.type === LeaseType6.IA_PD ? "pds" : "nas"),
      allocationFailures: ["v6-allocation-fail", "v6-allocation-fail-subnet"],
    });
  }

  /** Creates the subnets' statistics and recounts their leases from the store. */
  configure(model: Dhcp6Model, leases: LeaseStore6): void {
    const totals = (x: Dhcp6Model["subnets"][number]) => ({
      "total-nas": x.totalNas,
      "total-pds": x.totalPds,
    });
    this.recount(model.subnets, totals, leases.leaseStats6(), {
      pools: (subnet) => [...subnet.pools.map(poolStats), ...subnet.pdPools.map(pdPoolStats)],
      // The pd-pools come after the address pools.
      locate: (subnet, lease) => {
        const pool = subnet.poolOfLease(lease.type, lease.address, lease.prefixLen, lease.poolId);
        if (pool === undefined) return -1;
        return pool.type === LeaseType6.IA_PD ? subnet.pools.length + pool.id : pool.id;
      },
      leases: (id) => leases.eachLease6InSubnet?.(id) ?? leases.getLeases6BySubnet(id),
      countLeases:
        leases.visitLeases6InSubnet === undefined
          ? undefined
          : (subnet, count) => {
              const poolOf = poolOfBytes6(subnet);
              leases.visitLeases6InSubnet!(subnet.id, (l) => {
                const state = l.state;
                if (state !== LeaseState.DEFAULT && state !== LeaseState.DECLINED) return;
                count(
                  poolOf(l.type, l.addressBytes, l.addressOffset, l.prefixLen, l.poolId),
                  state,
                );
              });
            },
    });
  }
}
