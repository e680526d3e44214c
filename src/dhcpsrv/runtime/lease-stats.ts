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

/**
 * A configured pool as its statistics see it (Kea 3's `subnet[id].pool[pid].*` and
 * `subnet[id].pd-pool[pid].*`): `scope` "pool" or "pd-pool", `statsId` its `pool-id`.
 */
export interface PoolStatsSpec {
  scope: string;
  statsId: number;
  /** The kind of lease it holds ("addresses", "nas", "pds"). */
  kind: string;
  /** Its totals (total-addresses...), added up over the pools sharing a pool-id. */
  totals: Record<string, number | bigint>;
  /** Whether its leases can be declined (not a pd-pool's). */
  declinable: boolean;
}

/** How a family finds the pools of its subnets and of its leases. */
export interface PoolLocator<S, L> {
  /** The subnet's pools, in the order `locate` numbers them. */
  pools(subnet: S): readonly PoolStatsSpec[];
  /** The index (in `pools(subnet)`) of the pool holding the lease, -1 when none does. */
  locate(subnet: S, lease: L): number;
  /** Every lease of the subnet, for the recount. */
  leases(subnetId: number): Iterable<L>;
  /**
   * The recount without leases, when the store allows it: calls `count` with the pool index
   * (as `locate` gives it) and the state of each lease of the subnet. Used instead of `leases`
   * and `locate` when present.
   */
  countLeases?(subnet: S, count: (pool: number, state: number) => void): void;
}

/** The counters of one pool (or of the pools sharing its pool-id), resolved once per configuration. */
interface PoolCounters {
  readonly assigned: Observation;
  /** total-KIND (adaptive-lease-time-threshold reads it with `assigned`: poolUse). */
  readonly total: Observation;
  readonly cumulative: Observation;
  readonly reclaimed: Observation;
  /** null for a pd-pool. */
  readonly declined: Observation | null;
  readonly reclaimedDeclined: Observation | null;
}

/** A subnet's pools' counters and how to find the one of a lease. */
interface SubnetPools<L> {
  readonly counters: readonly PoolCounters[];
  readonly locate: (lease: L) => number;
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
  /** The pools' counters by subnet id, made afresh by each recount. */
  private pools = new Map<number, SubnetPools<L>>();
  /**
   * Each subnet's counters by name (`subnet[id].name` resolved once, not per lease event), made
   * afresh by each recount. A statistic removed by a command comes back under its name when
   * updated again (Observation revives itself), so holding it is safe.
   */
  private subnets = new Map<number, Map<string, Observation>>();
  /** The global counters updated per lease event, by name. */
  private readonly globalsByName = new Map<string, Observation>();

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
    pools?: PoolLocator<S, L>,
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
    this.subnets = new Map();
    this.globalsByName.clear();
    this.pools = new Map();
    if (pools !== undefined) for (const subnet of subnets) this.recountPools(subnet, pools);
  }

  /**
   * Creates a subnet's pool statistics, as Kea 3: the totals (added up over the pools sharing a
   * pool-id) and the counters at 0, then the leases of each pool counted, once per counter.
   */
  private recountPools<S extends { readonly id: number }>(
    subnet: S,
    locator: PoolLocator<S, L>,
  ): void {
    const s = this.stats;
    const specs = locator.pools(subnet);
    if (specs.length === 0) return;
    const made = new Map<string, PoolCounters>();
    const counters = specs.map((spec) => {
      const prefix = `subnet[${subnet.id}].${spec.scope}[${spec.statsId}].`;
      for (const [name, total] of Object.entries(spec.totals)) {
        const o = made.has(prefix) ? s.get(prefix + name) : undefined;
        if (o !== undefined) o.add(total);
        else s.setValue(prefix + name, total);
      }
      let c = made.get(prefix);
      if (c === undefined) {
        const declinable = spec.declinable;
        c = {
          assigned: s.observe(`${prefix}assigned-${spec.kind}`),
          total: s.observe(`${prefix}total-${spec.kind}`),
          cumulative: s.observe(`${prefix}cumulative-assigned-${spec.kind}`),
          declined: declinable ? s.observe(`${prefix}declined-addresses`) : null,
          reclaimedDeclined: declinable ? s.observe(`${prefix}reclaimed-declined-addresses`) : null,
          reclaimed: s.observe(`${prefix}reclaimed-leases`),
        };
        made.set(prefix, c);
      }
      return c;
    });
    const assigned = new Map<PoolCounters, number>();
    const declined = new Map<PoolCounters, number>();
    const count = (pool: number, state: number): void => {
      if (state !== LeaseState.DEFAULT && state !== LeaseState.DECLINED) return;
      const c = counters[pool];
      if (c === undefined) return;
      assigned.set(c, (assigned.get(c) ?? 0) + 1);
      if (state === LeaseState.DECLINED && c.declined !== null) {
        declined.set(c, (declined.get(c) ?? 0) + 1);
      }
    };
    if (locator.countLeases !== undefined) {
      locator.countLeases(subnet, count);
    } else {
      for (const lease of locator.leases(subnet.id)) {
        const state = lease.state;
        // The pool is looked for only for a lease that counts.
        if (state === LeaseState.DEFAULT || state === LeaseState.DECLINED) {
          count(locator.locate(subnet, lease), state);
        }
      }
    }
    for (const [c, n] of assigned) c.assigned.add(n);
    for (const [c, n] of declined) c.declined!.add(n);
    this.pools.set(subnet.id, {
      counters,
      locate: (lease) => locator.locate(subnet, lease),
    });
  }

  /**
   * The counters of pool `index` of a subnet (its place in the locator's `pools`), for
   * adaptive-lease-time-threshold (src/dhcpsrv/alloc/pool-usage.ts); undefined when unknown.
   */
  poolUse(subnetId: number, index: number): PoolCounters | undefined {
    return this.pools.get(subnetId)?.counters[index];
  }

  /** The counters of the pool holding the lease, or undefined (no pool holds it). */
  private poolOf(lease: L): PoolCounters | undefined {
    const p = this.pools.get(lease.subnetId);
    return p === undefined ? undefined : p.counters[p.locate(lease)];
  }

  private sub(id: number, name: string): Observation {
    let byName = this.subnets.get(id);
    if (byName === undefined) {
      byName = new Map();
      this.subnets.set(id, byName);
    }
    let o = byName.get(name);
    if (o === undefined || (o.detached && this.stats.get(o.name) !== undefined)) {
      o = this.stats.observe(subnetStatName(id, name));
      byName.set(name, o);
    }
    return o;
  }

  private global(name: string): Observation {
    let o = this.globalsByName.get(name);
    if (o === undefined || (o.detached && this.stats.get(name) !== undefined)) {
      o = this.stats.observe(name);
      this.globalsByName.set(name, o);
    }
    return o;
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
    this.global(cumulative).add(1);
    const pool = this.poolOf(lease);
    if (pool !== undefined) {
      pool.assigned.add(1);
      pool.cumulative.add(1);
    }
    if (previous !== null && previous.state !== LeaseState.EXPIRED_RECLAIMED) {
      this.sub(previous.subnetId, this.assigned(previous)).add(-1);
      this.poolOf(previous)?.assigned.add(-1);
    }
    if (replaced !== null) {
      this.sub(replaced.subnetId, this.assigned(replaced)).add(-1);
      this.poolOf(replaced)?.assigned.add(-1);
    }
  }

  leaseReleased(lease: L): void {
    if (lease.state === LeaseState.EXPIRED_RECLAIMED) return;
    this.sub(lease.subnetId, this.assigned(lease)).add(-1);
    this.poolOf(lease)?.assigned.add(-1);
  }

  /**
   * Leases this server assigned (or held) that another server committed first (a database
   * shared active/active): their replies are not sent, and they no longer count here.
   */
  leasesLost(leases: readonly L[]): void {
    for (const lease of leases) {
      const state = lease.state;
      if (state !== LeaseState.DEFAULT && state !== LeaseState.DECLINED) continue;
      this.sub(lease.subnetId, this.assigned(lease)).add(-1);
      const pool = this.poolOf(lease);
      pool?.assigned.add(-1);
      if (state === LeaseState.DECLINED) {
        this.sub(lease.subnetId, "declined-addresses").add(-1);
        this.global("declined-addresses").add(-1);
        pool?.declined?.add(-1);
      }
    }
  }

  leaseDeclined(lease: L): void {
    this.sub(lease.subnetId, "declined-addresses").add(1);
    this.global("declined-addresses").add(1);
    this.poolOf(lease)?.declined?.add(1);
  }

  leaseReclaimed(lease: L, wasDeclined: boolean): void {
    this.sub(lease.subnetId, this.assigned(lease)).add(-1);
    this.sub(lease.subnetId, "reclaimed-leases").add(1);
    this.global("reclaimed-leases").add(1);
    const pool = this.poolOf(lease);
    pool?.assigned.add(-1);
    pool?.reclaimed.add(1);
    if (wasDeclined) {
      this.sub(lease.subnetId, "declined-addresses").add(-1);
      this.sub(lease.subnetId, "reclaimed-declined-addresses").add(1);
      this.global("declined-addresses").add(-1);
      this.global("reclaimed-declined-addresses").add(1);
      pool?.declined?.add(-1);
      pool?.reclaimedDeclined?.add(1);
    }
  }

  /** The pools are full for a client in the subnet. */
  allocationFailed(subnetId: number): void {
    for (const name of this.spec.allocationFailures) this.global(name).add(1);
    for (const name of this.spec.allocationFailures) this.sub(subnetId, name).add(1);
  }
}
