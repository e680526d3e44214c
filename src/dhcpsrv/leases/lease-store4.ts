/**
 * The DHCPv4 lease store as the server sees it: synchronous lookups and changes in memory, and
 * group commit to durable storage.
 *
 * Group commit: every change (add, update, delete) takes effect in memory at once and queues
 * its record; `flush()` writes every queued record with one write(2). The server processes a
 * batch of packets, calls `flush()` once, and sends the batch's replies only if it returned: a
 * lease is on disk before the reply that grants it leaves. If `flush()` throws
 * (LeaseFileWriteError) the replies are not sent; the records stay queued, in order, and the
 * next `flush()` writes them (after the bytes that did reach the file, never twice).
 *
 * Written means in the file: it survives the process dying at any instant. Like Kea's memfile,
 * appends are not fsynced, so a power loss may lose the last ones (cleanup files are fsynced).
 *
 * Leases returned by the getters are the store's own objects: read them, never change them.
 * To change a lease, `clone()` it, change the copy and `updateLease4()` it.
 */
import type { HWAddr } from "../../dhcp/hwaddr.ts";
import type { Lease4 } from "./lease4.ts";
import type { FlushResult, LeaseStatsRow, LeaseWatcher } from "./lease-store.ts";

export {
  type FlushResult,
  type LostLeases,
  type LeaseStatsRow,
  LeaseFileFormatError,
  LeaseFileWriteError,
  LeaseRowError,
  NoSuchLease,
} from "./lease-store.ts";

/** A lease as `visitLeases4InSubnet` shows it: its address as an unsigned 32-bit number. */
export interface LeaseCursor4 {
  readonly addressNumber: number;
  readonly state: number;
  readonly poolId: number;
}

export interface LeaseStore4 {
  /** False for an in-memory store (memfile `persist: false`): `flush()` then does nothing. */
  readonly persist: boolean;

  /** The lease of an address (dotted quad or unsigned 32-bit number), or null. */
  getLease4(address: string | number): Lease4 | null;
  /** A lease of this hardware address in this subnet (the first one added), or null. */
  getLease4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId: number): Lease4 | null;
  /**
   * Every lease of this hardware address in this subnet; without a subnet, in every subnet
   * (subnet by subnet in id order, as Kea's memfile), from the index, without a scan.
   */
  getLeases4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId?: number): Lease4[];
  /** A lease of this client identifier in this subnet (the first one added), or null. */
  getLease4ByClientId(clientId: Uint8Array, subnetId: number): Lease4 | null;
  /** Every lease of this client identifier in this subnet; without a subnet, in every subnet. */
  getLeases4ByClientId(clientId: Uint8Array, subnetId?: number): Lease4[];
  /** Every lease whose hostname is exactly this one (leases hold lower-cased names), indexed. */
  getLeases4ByHostname(hostname: string): Lease4[];
  /**
   * At most `limit` leases whose address is above `after` (null: from the first), in address
   * order: the pages of `lease4-get-page`, O(log n + limit). Throws InvalidOperation when
   * `after` is not an IPv4 address.
   */
  getLeases4Page(after: string | number | null, limit: number): Lease4[];
  /** Every lease of a subnet, in no particular order. */
  getLeases4BySubnet(subnetId: number): Lease4[];
  /**
   * Every lease of a subnet, as getLeases4BySubnet, made one at a time as the caller reads
   * them: for a pass over many leases that keeps none (the statistics' recount), where a store
   * that makes its leases on demand (the memfile stores) would otherwise make them all at once.
   * Optional: without it, callers use getLeases4BySubnet.
   */
  eachLease4InSubnet?(subnetId: number): Iterable<Lease4>;
  /**
   * Every lease of a subnet seen through one cursor over the store's columns, no Lease made (the
   * statistics' recount at configuration): the cursor holds the lease visited during the call
   * only. Optional: a store kept as columns has it.
   */
  visitLeases4InSubnet?(subnetId: number, visit: (lease: LeaseCursor4) => void): void;
  /** Every lease, in address order. */
  getAllLeases4(): Lease4[];
  /**
   * Leases expired at `now` (seconds) and not yet reclaimed (state other than
   * EXPIRED_RECLAIMED), longest expired first, at most `max` of them (0: all), as Kea's
   * `getExpiredLeases4` for the reclamation routine.
   */
  getExpiredLeases4(now: number, max: number): Lease4[];

  /**
   * Tells `watcher` of every lease added or changed (`present` true, the lease as stored) or
   * deleted (`present` false) from now on; null stops. Optional: a store without it cannot
   * serve the free lease queue allocator.
   */
  watch?(watcher: LeaseWatcher<Lease4> | null): void;

  /** Adds a lease; false (and nothing changes) when its address already has one. */
  addLease4(lease: Lease4): boolean;
  /** Replaces the lease of the same address; throws NoSuchLease when there is none. */
  updateLease4(lease: Lease4): void;
  /** Deletes the lease of the lease's address; false when there was none. */
  deleteLease4(lease: Lease4): boolean;
  /**
   * Deletes leases in state EXPIRED_RECLAIMED that expired more than `secs` seconds before
   * `now` (`hold-reclaimed-time`); returns how many.
   */
  deleteExpiredReclaimedLeases4(now: number, secs: number): number;

  /** Number of leases in `subnetId` whose state is `state` (statistics). */
  countLeases4(subnetId: number, state: number): number;
  /** Counts per subnet and state, for statistics recounts: one row per non-zero count. */
  leaseStats4(): LeaseStatsRow[];
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
