/**
 * What the DHCPv4 and DHCPv6 statistics share beyond the packet counters: the lease counters,
 * kept globally and per subnet, recounted from the lease store whenever a configuration is
 * installed and kept up to date as leases are assigned, released, declined and reclaimed.
 * A family differs only by data: its kinds of lease ("addresses"; "nas" and "pds"), its prefix
 * ("v4"; "v6") and its tables of names (src/dhcp4/stats4.ts, src/dhcp6/stats6.ts).
 */
import { PacketStats } from "../../stats/packet-stats.ts";
import type { Observation } from "../../stats/observation.ts";
import { subnetStatName, type StatsManager } from "../../stats/stats-manager.ts";
import { LeaseState } from "../leases/lease.ts";
import type { LeaseStatsRow } from "../leases/lease-store.ts";

/** A lease, or a row of the lease store's counts, as the counters see it. */
export interface CountedLease {
  readonly subnetId: number;
  readonly state: number;
  /** The v6 lease type; absent in v4. */
  readonly type?: number;
}

/** The allocation-failure counters (`<prefix>-allocation-fail<suffix>`), as Kea names them. */
const ALLOCATION_FAIL = ["", "-shared-network", "-subnet", "-no-pools", "-classes"];

/** Whether a statistic is an allocation-failure counter (made per subnet only when counted). */
export function isAllocationFailure(name: string): boolean {
  return /-allocation-fail/.test(name);
}

/**
 * The lease counters kept both globally and per subnet: cumulative-assigned-KIND for each kind of
 * lease, the declined and reclaimed counters, and PREFIX-allocation-fail*.
 */
export function leaseCounterNames(kinds: readonly string[], prefix: string): string[] {
  return [
    ...kinds.map((kind) => `cumulative-assigned-${kind}`),
    "declined-addresses",
    "reclaimed-declined-addresses",
    "reclaimed-leases",
    ...ALLOCATION_FAIL.map((suffix) => `${prefix}-allocation-fail${suffix}`),
  ];
}

export interface LeaseStatsSpec<L extends CountedLease> {
  /** "pkt4" or "pkt6", with the per-message-type counters (see PacketStats). */
  packets: string;
  received: Record<number, string>;
  sent: Record<number, string>;
  /** Created at once, so that statistic-get-all lists them from the start, as Kea. */
  globals: readonly string[];
  /** Created for each configured subnet, after its totals (the allocation failures are not:
   * Kea 2.2 makes a subnet's when it first counts one). */
  perSubnet: readonly string[];
  /** Subnet statistics Kea 2.2 does not remove on a reconfiguration. */
  keptOnReconfiguration?: readonly string[];
  /** Per-message-type counters made when first counted (see PacketStats). */
  late?: readonly string[];
  /** Every kind of lease (assigned-KIND is zeroed for each when a configuration is installed). */
  kinds: readonly string[];
  /** The kind a lease (or a row of counts) is counted in. */
  kindOf(lease: L | CountedLease): string;
  /** Counted on each allocation failure, globally then in the subnet. */
  allocationFailures: readonly string[];
}

export class LeaseStats<L extends CountedLease> extends PacketStats {
  private readonly spec: LeaseStatsSpec<L>;
  /** assigned-KIND and cumulative-assigned-KIND by kind: no name is built per packet. */
  private readonly assignedNames = new Map<string, string>();
  private readonly cumulativeNames = new Map<string, string>();

  constructor(stats: StatsManager, spec: LeaseStatsSpec<L>) {
    // declined-addresses is made by the first recount, with its one sample, as Kea's.
    const globals = spec.globals.filter((n) => n !== "declined-addresses");
    super(stats, spec.packets, spec.received, spec.sent, globals, spec.late);
    this.spec = spec;
    for (const kind of spec.kinds) {
      this.assignedNames.set(kind, `assigned-${kind}`);
      this.cumulativeNames.set(kind, `cumulative-assigned-${kind}`);
    }
  }

  /**
   * Creates the subnets' statistics, sets their totals (a bigint one is a big integer, as Kea's
   * total-nas) and recounts their leases from the store's rows.
   */
  protected recount<S extends { readonly id: number }>(
    subnets: readonly S[],
    totals: (subnet: S) => Record<string, number | bigint>,
    rows: Iterable<LeaseStatsRow & CountedLease>,
  ): void {
    const s = this.stats;
    const keep = this.replaceSubnets(
      subnets.map((x) => x.id),
      this.spec.keptOnReconfiguration,
    );
    for (const subnet of subnets) {
      // Each made once, with its one sample: the totals at their values, the others at 0.
      for (const [name, total] of Object.entries(totals(subnet))) {
        s.setValue(subnetStatName(subnet.id, name), total);
      }
      for (const name of this.spec.perSubnet) s.observe(subnetStatName(subnet.id, name));
    }
    let declined = 0;
    for (const row of rows) {
      if (!keep.has(row.subnetId)) continue;
      // Declined leases still count as assigned, as in Kea.
      if (row.state === LeaseState.DEFAULT || row.state === LeaseState.DECLINED) {
        s.addValue(subnetStatName(row.subnetId, this.assigned(row)), row.count);
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

  private assigned(lease: L | CountedLease): string {
    return this.assignedNames.get(this.spec.kindOf(lease))!;
  }

  /**
   * A lease assigned; `previous` is the expired lease taken over or the client's old lease (it no
   * longer counts unless already reclaimed), `replaced` a lease of the client given up (v4).
   */
  leaseAssigned(lease: L, previous: L | null, replaced: L | null = null): void {
    this.sub(lease.subnetId, this.assigned(lease)).add(1);
    const cumulative = this.cumulativeNames.get(this.spec.kindOf(lease))!;
    this.sub(lease.subnetId, cumulative).add(1);
    this.stats.observe(cumulative).add(1);
    if (previous !== null && previous.state !== LeaseState.EXPIRED_RECLAIMED) {
      this.sub(previous.subnetId, this.assigned(previous)).add(-1);
    }
    if (replaced !== null) this.sub(replaced.subnetId, this.assigned(replaced)).add(-1);
  }

  leaseReleased(lease: L): void {
    if (lease.state !== LeaseState.EXPIRED_RECLAIMED)
      this.sub(lease.subnetId, this.assigned(lease)).add(-1);
  }

  leaseDeclined(lease: L): void {
    this.sub(lease.subnetId, "declined-addresses").add(1);
    this.stats.observe("declined-addresses").add(1);
  }

  leaseReclaimed(lease: L, wasDeclined: boolean): void {
    this.sub(lease.subnetId, this.assigned(lease)).add(-1);
    this.sub(lease.subnetId, "reclaimed-leases").add(1);
    this.stats.observe("reclaimed-leases").add(1);
    if (wasDeclined) {
      this.sub(lease.subnetId, "declined-addresses").add(-1);
      this.sub(lease.subnetId, "reclaimed-declined-addresses").add(1);
      this.stats.observe("declined-addresses").add(-1);
      this.stats.observe("reclaimed-declined-addresses").add(1);
    }
  }

  /** The pools are full for a client in the subnet. */
  allocationFailed(subnetId: number): void {
    for (const name of this.spec.allocationFailures) this.stats.observe(name).add(1);
    for (const name of this.spec.allocationFailures) this.sub(subnetId, name).add(1);
  }
}
