/** What every lease shares, v4 and v6: Kea's lease states and the infinite lifetime. */
/** Lease states, with Kea's numbers (the `state` column of the lease file). */
export const LeaseState = {
  DEFAULT: 0,
  DECLINED: 1,
  EXPIRED_RECLAIMED: 2,
  /** Kea 2.7.0 and later; Kea 2.2 loads it as an opaque number. */
  RELEASED: 3,
} as const;

/** The valid lifetime that never expires (Kea's `Lease::INFINITY_LFT`). */
export const INFINITY_LFT = 0xffffffff;
