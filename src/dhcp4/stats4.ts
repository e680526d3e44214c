/**
 * The DHCPv4 statistics, with Kea's names (../shared/reference/arm-stats.rst): packet counters
 * held as Observation objects so the packet path never looks a name up, and per-subnet lease
 * counters recounted from the lease store whenever a configuration is installed.
 */
import { DHCPMessageType } from "../dhcp/constants.ts";
import type { Dhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import { LeaseState, type Lease4 } from "../dhcpsrv/leases/lease4.ts";
import type { LeaseStore4 } from "../dhcpsrv/leases/lease-store4.ts";
import type { Observation } from "../stats/observation.ts";
import { PacketStats } from "../stats/packet-stats.ts";
import { subnetStatName, type StatsManager } from "../stats/stats-manager.ts";

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
const BOTH = [
  "cumulative-assigned-addresses",
  "declined-addresses",
  "reclaimed-declined-addresses",
  "reclaimed-leases",
  "v4-allocation-fail",
  "v4-allocation-fail-shared-network",
  "v4-allocation-fail-subnet",
  "v4-allocation-fail-no-pools",
  "v4-allocation-fail-classes",
  "v4-reservation-conflicts",
];

const GLOBAL = [
  ...BOTH,
  "pkt4-lease-query-received",
  "pkt4-lease-query-response-unassigned-sent",
  "pkt4-lease-query-response-unknown-sent",
  "pkt4-lease-query-response-active-sent",
];

const PER_SUBNET = ["total-addresses", "assigned-addresses", ...BOTH];

export class Dhcp4Stats extends PacketStats {
  constructor(stats: StatsManager) {
    super(stats, "pkt4", RECEIVED, SENT, GLOBAL);
  }

  /** Creates the subnets' statistics and recounts their leases from the store. */
  configure(model: Dhcp4Model, leases: LeaseStore4): void {
    const s = this.stats;
    const keep = this.keepSubnets(model.subnets.map((x) => x.id));
    for (const subnet of model.subnets) {
      for (const name of PER_SUBNET) s.observe(subnetStatName(subnet.id, name));
      s.setValue(subnetStatName(subnet.id, "total-addresses"), subnet.totalAddresses);
      s.setValue(subnetStatName(subnet.id, "assigned-addresses"), 0);
      s.setValue(subnetStatName(subnet.id, "declined-addresses"), 0);
    }
    let declined = 0;
    for (const row of leases.leaseStats4()) {
      if (!keep.has(row.subnetId)) continue;
      // Declined leases still count as assigned, as in Kea.
      if (row.state === LeaseState.DEFAULT || row.state === LeaseState.DECLINED) {
        s.addValue(subnetStatName(row.subnetId, "assigned-addresses"), row.count);
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

  leaseAssigned(lease: Lease4, previous: Lease4 | null, replaced: Lease4 | null): void {
    this.sub(lease.subnetId, "assigned-addresses").add(1);
    this.sub(lease.subnetId, "cumulative-assigned-addresses").add(1);
    this.stats.observe("cumulative-assigned-addresses").add(1);
    // An expired lease taken over, or the client's old lease, no longer counts.
    if (previous !== null && previous.state !== LeaseState.EXPIRED_RECLAIMED) {
      this.sub(previous.subnetId, "assigned-addresses").add(-1);
    }
    if (replaced !== null) this.sub(replaced.subnetId, "assigned-addresses").add(-1);
  }

  leaseReleased(lease: Lease4): void {
    if (lease.state !== LeaseState.EXPIRED_RECLAIMED)
      this.sub(lease.subnetId, "assigned-addresses").add(-1);
  }

  leaseDeclined(lease: Lease4): void {
    this.sub(lease.subnetId, "declined-addresses").add(1);
    this.stats.observe("declined-addresses").add(1);
  }

  leaseReclaimed(lease: Lease4, wasDeclined: boolean): void {
    this.sub(lease.subnetId, "assigned-addresses").add(-1);
    this.sub(lease.subnetId, "reclaimed-leases").add(1);
    this.stats.observe("reclaimed-leases").add(1);
    if (wasDeclined) {
      this.sub(lease.subnetId, "declined-addresses").add(-1);
      this.sub(lease.subnetId, "reclaimed-declined-addresses").add(1);
      this.stats.observe("declined-addresses").add(-1);
      this.stats.observe("reclaimed-declined-addresses").add(1);
    }
  }

  /**
   * The pools are full for a client. Kea 2.2 also counts the failure in -classes whenever the
   * query has a class, which it always has (ALL).
   */
  allocationFailed(subnetId: number): void {
    this.stats.observe("v4-allocation-fail").add(1);
    this.stats.observe("v4-allocation-fail-subnet").add(1);
    this.stats.observe("v4-allocation-fail-classes").add(1);
    this.sub(subnetId, "v4-allocation-fail").add(1);
    this.sub(subnetId, "v4-allocation-fail-subnet").add(1);
    this.sub(subnetId, "v4-allocation-fail-classes").add(1);
  }
}
