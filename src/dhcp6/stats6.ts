/**
 * The DHCPv6 statistics, with Kea's names (../shared/reference/kea-inventory.md section 8):
 * packet counters held as Observation objects so the packet path never looks a name up, and
 * per-subnet lease counters recounted from the lease store whenever a configuration is
 * installed. `total-nas` and `total-pds` are big integers, as in Kea (a /64 pool is 2^64).
 */
import { DHCPv6MessageType as M } from "../dhcp/constants.ts";
import type { Dhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import { LeaseState, LeaseType6, type Lease6 } from "../dhcpsrv/leases/lease6.ts";
import type { LeaseStore6 } from "../dhcpsrv/leases/lease-store6.ts";
import { StatType, type Observation } from "../stats/observation.ts";
import { PacketStats } from "../stats/packet-stats.ts";
import { subnetStatName, type StatsManager } from "../stats/stats-manager.ts";

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

/** Statistics kept both globally and per subnet. */
const BOTH = [
  "cumulative-assigned-nas",
  "cumulative-assigned-pds",
  "declined-addresses",
  "reclaimed-declined-addresses",
  "reclaimed-leases",
  "v6-allocation-fail",
  "v6-allocation-fail-shared-network",
  "v6-allocation-fail-subnet",
  "v6-allocation-fail-no-pools",
  "v6-allocation-fail-classes",
];

const PER_SUBNET = ["assigned-nas", "assigned-pds", ...BOTH];

export class Dhcp6Stats extends PacketStats {
  constructor(stats: StatsManager) {
    super(stats, "pkt6", RECEIVED, SENT, BOTH);
  }

  /** Creates the subnets' statistics and recounts their leases from the store. */
  configure(model: Dhcp6Model, leases: LeaseStore6): void {
    const s = this.stats;
    const keep = this.keepSubnets(model.subnets.map((x) => x.id));
    for (const subnet of model.subnets) {
      for (const name of PER_SUBNET) s.observe(subnetStatName(subnet.id, name));
      s.observe(subnetStatName(subnet.id, "total-nas"), StatType.BIG_INTEGER).set(subnet.totalNas);
      s.observe(subnetStatName(subnet.id, "total-pds"), StatType.BIG_INTEGER).set(subnet.totalPds);
      s.setValue(subnetStatName(subnet.id, "assigned-nas"), 0);
      s.setValue(subnetStatName(subnet.id, "assigned-pds"), 0);
      s.setValue(subnetStatName(subnet.id, "declined-addresses"), 0);
    }
    let declined = 0;
    for (const row of leases.leaseStats6()) {
      if (!keep.has(row.subnetId)) continue;
      // Declined leases still count as assigned, as in Kea.
      if (row.state === LeaseState.DEFAULT || row.state === LeaseState.DECLINED) {
        s.addValue(subnetStatName(row.subnetId, assignedName(row.type)), row.count);
      }
      if (row.state === LeaseState.DECLINED) {
        s.addValue(subnetStatName(row.subnetId, "declined-addresses"), row.count);
        declined += row.count;
      }
    }
    s.setValue("declined-addresses", declined);
  }

  private sub(id: number, name: string): Observation {
    return this.stats.observe(subnetStatName(id, name));
  }

  leaseAssigned(lease: Lease6, previous: Lease6 | null): void {
    const pd = lease.type === LeaseType6.IA_PD;
    this.sub(lease.subnetId, pd ? "assigned-pds" : "assigned-nas").add(1);
    const cumulative = pd ? "cumulative-assigned-pds" : "cumulative-assigned-nas";
    this.sub(lease.subnetId, cumulative).add(1);
    this.stats.observe(cumulative).add(1);
    // An expired lease of another client taken over no longer counts for it.
    if (previous !== null && previous.state !== LeaseState.EXPIRED_RECLAIMED) {
      this.sub(previous.subnetId, assignedName(previous.type)).add(-1);
    }
  }

  leaseReleased(lease: Lease6): void {
    if (lease.state !== LeaseState.EXPIRED_RECLAIMED)
      this.sub(lease.subnetId, assignedName(lease.type)).add(-1);
  }

  leaseDeclined(lease: Lease6): void {
    this.sub(lease.subnetId, "declined-addresses").add(1);
    this.stats.observe("declined-addresses").add(1);
  }

  leaseReclaimed(lease: Lease6, wasDeclined: boolean): void {
    this.sub(lease.subnetId, assignedName(lease.type)).add(-1);
    this.sub(lease.subnetId, "reclaimed-leases").add(1);
    this.stats.observe("reclaimed-leases").add(1);
    if (wasDeclined) {
      this.sub(lease.subnetId, "declined-addresses").add(-1);
      this.sub(lease.subnetId, "reclaimed-declined-addresses").add(1);
      this.stats.observe("declined-addresses").add(-1);
      this.stats.observe("reclaimed-declined-addresses").add(1);
    }
  }

  allocationFailed(subnetId: number): void {
    this.stats.observe("v6-allocation-fail").add(1);
    this.stats.observe("v6-allocation-fail-subnet").add(1);
    this.sub(subnetId, "v6-allocation-fail").add(1);
    this.sub(subnetId, "v6-allocation-fail-subnet").add(1);
  }
}

function assignedName(type: number): string {
  return type === LeaseType6.IA_PD ? "assigned-pds" : "assigned-nas";
}
