/**
 * How a subnet hands out addresses (`allocator`, v6 also `pd-allocator`) and reuses leases
 * (`cache-threshold`, `cache-max-age`), as the configuration sets them: the subnet's own value,
 * else its shared network's, else the global one (Kea's inheritance).
 */

/** Kea 2.4+'s allocators: iterative (Kea 2.2's only one), random, free lease queue. */
export const ALLOCATOR_KINDS = ["iterative", "random", "flq"] as const;
export type AllocatorKind = (typeof ALLOCATOR_KINDS)[number];

/**
 * The largest pool the free lease queue allocator takes (2^20 addresses or prefixes): it keeps
 * every free one in memory. Larger pools (a v6 /64 address pool) are refused with "flq".
 */
export const FLQ_MAX_CAPACITY = 1 << 20;

/** Lease caching: undefined values are not configured (Kea's unspecified). */
export interface LeaseCaching {
  /** `cache-threshold`: the share of the valid lifetime within which a renewal is a reuse. */
  readonly threshold: number | undefined;
  /** `cache-max-age`: the age in seconds up to which a renewal is a reuse. */
  readonly maxAge: number | undefined;
}

export const NO_CACHING: LeaseCaching = { threshold: undefined, maxAge: undefined };

/** The allocation keys a subnet, a shared network or the globals may hold. */
export interface AllocationKeys {
  "cache-threshold"?: number;
  "cache-max-age"?: number;
  allocator?: string;
  "pd-allocator"?: string;
}

/**
 * A key of the most specific level that sets it: the subnet, then its shared network (when
 * there is one), then the globals; undefined when none does.
 */
export function inheritedKey<K extends keyof AllocationKeys>(
  key: K,
  subnet: AllocationKeys,
  network: AllocationKeys | undefined,
  global: AllocationKeys,
): AllocationKeys[K] {
  return subnet[key] ?? network?.[key] ?? global[key];
}

/** The lease caching of a subnet. */
export function leaseCaching(
  subnet: AllocationKeys,
  network: AllocationKeys | undefined,
  global: AllocationKeys,
): LeaseCaching {
  const threshold = inheritedKey("cache-threshold", subnet, network, global);
  const maxAge = inheritedKey("cache-max-age", subnet, network, global);
  if (threshold === undefined && maxAge === undefined) return NO_CACHING;
  return { threshold, maxAge };
}

/** The allocator a subnet uses for `key` ("allocator" or "pd-allocator"); iterative by default. */
export function allocatorKind(
  key: "allocator" | "pd-allocator",
  subnet: AllocationKeys,
  network: AllocationKeys | undefined,
  global: AllocationKeys,
): AllocatorKind {
  return (inheritedKey(key, subnet, network, global) ?? "iterative") as AllocatorKind;
}
