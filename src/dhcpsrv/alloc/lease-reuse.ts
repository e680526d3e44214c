/**
 * Lease caching (`cache-threshold`, `cache-max-age`): a client renewing a lease nothing changed in
 * shortly after its last renewal gets the same lease back with its remaining lifetime, and the
 * store is not written. Kea's AllocEngine::setLeaseReusable, for both families.
 */
import { INFINITY_LFT } from "../leases/lease.ts";
import type { LeaseCaching } from "../model/allocation.ts";

/**
 * The remaining valid lifetime the renewal reuses the lease for, 0 when it may not be reused.
 * `currentCltt` and `currentValid` are the stored lease's, `newValid` the lifetime the renewal
 * would give; the caller has checked that the lease is in the default state and that nothing
 * else changes. A lease that never expires is always reused.
 */
export function reusableLifetime(
  caching: LeaseCaching,
  now: number,
  currentCltt: number,
  currentValid: number,
  newValid: number,
): number {
  if (newValid === INFINITY_LFT) return INFINITY_LFT;
  if (now < currentCltt) return 0; // time went backwards
  const age = now - currentCltt;
  if (age >= currentValid) return 0; // expired
  let maxAge = 0;
  if (caching.maxAge !== undefined) {
    maxAge = caching.maxAge;
    if (maxAge === 0 || age > maxAge) return 0;
  }
  if (caching.threshold !== undefined) {
    const t = caching.threshold;
    if (t <= 0 || t > 1) return 0;
    // Kea's uint32 truncation of valid * threshold.
    maxAge = Math.floor(newValid * t);
    if (age > maxAge) return 0;
  }
  if (maxAge === 0) return 0; // no caching configured
  return currentValid === INFINITY_LFT ? INFINITY_LFT : currentValid - age;
}

/**
 * The remaining preferred lifetime of a reused v6 lease (Kea: an infinite or zero preferred
 * lifetime is kept); -1 when the lease may not be reused after all.
 */
export function reusablePreferred(currentPreferred: number, age: number): number {
  if (currentPreferred === INFINITY_LFT || currentPreferred === 0) return currentPreferred;
  return currentPreferred > age ? currentPreferred - age : -1;
}
