/**
 * How full a pool is, as its statistics count it (Kea 3's `subnet[id].pool[pid].assigned-*` and
 * `total-*`, kept up to date lease event by lease event in src/dhcpsrv/runtime/lease-stats.ts):
 * what `adaptive-lease-time-threshold` reads, at a constant cost per allocation.
 */
import type { StatValue } from "../../stats/observation.ts";

/** The counters of one pool (of the pools sharing its pool-id). */
export interface PoolUse {
  /** Its leases assigned and not yet reclaimed (declined ones included), as Kea counts them. */
  readonly assigned: { readonly value: StatValue };
  /** Its size (total-addresses, total-nas or total-pds). */
  readonly total: { readonly value: StatValue };
}

/** The pools' counters of the configuration in force. */
export interface PoolUsage {
  /**
   * The counters of pool `index` of subnet `subnetId` (v6: the address pools, then the
   * pd-pools), undefined when the statistics do not know it.
   */
  poolUse(subnetId: number, index: number): PoolUse | undefined;
}

/**
 * More than `threshold` of the pool is held by leases (Kea 3's adaptive-lease-time-threshold);
 * false when its counters are unknown. Exact for a pool too large for a double (v6).
 */
export function aboveThreshold(use: PoolUse | undefined, threshold: number): boolean {
  if (use === undefined) return false;
  const assigned = use.assigned.value;
  const total = use.total.value;
  if (typeof assigned === "number" && typeof total === "number") {
    return assigned > threshold * total;
  }
  if (typeof assigned === "string" || typeof total === "string") return false;
  const scale = 1_000_000n;
  return BigInt(assigned) * scale > BigInt(Math.floor(threshold * 1_000_000)) * BigInt(total);
}
