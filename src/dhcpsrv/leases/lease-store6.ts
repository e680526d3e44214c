/**
 * The DHCPv6 lease store as the server sees it: the v6 twin of LeaseStore4 (lease-store.ts),
 * with the same rules: synchronous lookups and changes in memory, group commit with `flush()`
 * (a lease is on disk before the reply that grants it leaves), the same typed errors
 * (LeaseFileWriteError, LeaseFileFormatError, NoSuchLease).
 *
 * Leases are keyed by address alone, as in Kea's memfile (an address, or the first address of a
 * delegated prefix, has at most one lease whatever its type). Leases returned by the getters are
 * the store's own objects: read them, never change them; `clone()`, change the copy and
 * `updateLease6()` it.
 */
import type { FlushResult, LeaseStatsRow, LeaseWatcher } from "./lease-store.ts";
import type { Lease6 } from "./lease6.ts";

/** A lease as `visitLeases6InSubnet` shows it: its address as 16 bytes at `addressOffset`. */
export interface LeaseCursor6 {
  readonly type: number;
  readonly state: number;
  readonly prefixLen: number;
  readonly poolId: number;
  readonly addressBytes: Uint8Array;
  readonly addressOffset: number;
}

export interface LeaseStore6 {
  /** False for an in-memory store (memfile `persist: false`): `flush()` then does nothing. */
  readonly persist: boolean;

  /** The lease of this type on this address (any RFC 5952 spelling), or null. */
  getLease6(type: number, address: string): Lease6 | null;
  /** The leases of one IA: this type, DUID and IAID, in every subnet (oldest first). */
  getLeases6ByDuidIaid(type: number, duid: Uint8Array, iaid: number): Lease6[];
  /** The leases of one IA in one subnet. */
  getLeases6ByDuidIaidSubnet(
    type: number,
    duid: Uint8Array,
    iaid: number,
    subnetId: number,
  ): Lease6[];
  /** Every lease of a DUID, whatever its type, IAID and subnet. */
  getLeases6ByDuid(duid: Uint8Array): Lease6[];
  /** Every lease of a subnet, in no particular order. */
  getLeases6BySubnet(subnetId: number): Lease6[];
  /**
   * Every lease of a subnet, as getLeases6BySubnet, made one at a time as the caller reads
   * them: for a pass over many leases that keeps none (the statistics' recount), where a store
   * that makes its leases on demand (the memfile stores) would otherwise make them all at once.
   * Optional: without it, callers use getLeases6BySubnet.
   */
  eachLease6InSubnet?(subnetId: number): Iterable<Lease6>;
  /**
   * Every lease of a subnet seen through one cursor over the store's columns, no Lease made (the
   * statistics' recount at configuration): the cursor holds the lease visited during the call
   * only. Optional: a store kept as columns has it.
   */
  visitLeases6InSubnet?(subnetId: number, visit: (lease: LeaseCursor6) => void): void;
  /** Every lease, in address order. */
  getAllLeases6(): Lease6[];
  /** Every lease whose hostname is exactly this one (leases hold lower-cased names), indexed. */
  getLeases6ByHostname(hostname: string): Lease6[];
  /**
   * At most `limit` leases whose address is above `after` (null: from the first), in address
   * order, whatever their type: the pages of `lease6-get-page`, O(log n + limit). Throws
   * InvalidOperation when `after` is not an IPv6 address.
   */
  getLeases6Page(after: string | null, limit: number): Lease6[];
  /**
   * Leases expired at `now` (seconds) and not yet reclaimed, longest expired first, at most `max`
   * (0: all), as Kea's `getExpiredLeases6`.
   */
  getExpiredLeases6(now: number, max: number): Lease6[];

  /**
   * Tells `watcher` of every lease added or changed (`present` true, the lease as stored) or
   * deleted (`present` false) from now on; null stops. Optional: a store without it cannot
   * serve the free lease queue allocator.
   */
  watch?(watcher: LeaseWatcher<Lease6> | null): void;

  /** Adds a lease; false (and nothing changes) when its address already has one. */
  addLease6(lease: Lease6): boolean;
  /** Replaces the lease of the same address; throws NoSuchLease when there is none. */
  updateLease6(lease: Lease6): void;
  /** Deletes the lease of the lease's address; false when there was none. */
  deleteLease6(lease: Lease6): boolean;
  /**
   * Deletes leases in state EXPIRED_RECLAIMED that expired more than `secs` seconds before
   * `now` (`hold-reclaimed-time`); returns how many.
   */
  deleteExpiredReclaimedLeases6(now: number, secs: number): number;

  /** Number of leases of `type` in `subnetId` whose state is `state` (statistics). */
  countLeases6(subnetId: number, type: number, state: number): number;
  /** Counts per subnet, type and state, for statistics recounts: one row per non-zero count. */
  leaseStats6(): LeaseStats6Row[];
  /** Number of leases held. */
  readonly size: number;

  /** Number of changes queued since the last successful `flush()`. */
  readonly pendingWrites: number;
  /** Writes every queued change to the lease file with one write; throws LeaseFileWriteError. */
  /**
   * memfile: returns once written (throws LeaseFileWriteError); a database store: a Promise
   * resolved once committed (with the addresses another server holds), rejected when not.
   */
  flush(): FlushResult;
  /** Flushes, stops timers and releases files. The store must not be used afterwards. */
  close(): Promise<void>;
}

export interface LeaseStats6Row extends LeaseStatsRow {
  /** LeaseType6 */
  type: number;
}
