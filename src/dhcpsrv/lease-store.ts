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
import type { HWAddr } from "../dhcp/hwaddr.ts";
import { NestorError } from "../util/errors.ts";
import type { Lease4 } from "./lease.ts";

export interface LeaseStore4 {
  /** False for an in-memory store (memfile `persist: false`): `flush()` then does nothing. */
  readonly persist: boolean;

  /** The lease of an address (dotted quad or unsigned 32-bit number), or null. */
  getLease4(address: string | number): Lease4 | null;
  /** A lease of this hardware address in this subnet (the first one added), or null. */
  getLease4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId: number): Lease4 | null;
  /** Every lease of this hardware address in this subnet. */
  getLeases4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId: number): Lease4[];
  /** A lease of this client identifier in this subnet (the first one added), or null. */
  getLease4ByClientId(clientId: Uint8Array, subnetId: number): Lease4 | null;
  /** Every lease of this client identifier in this subnet. */
  getLeases4ByClientId(clientId: Uint8Array, subnetId: number): Lease4[];
  /** Every lease of a subnet, in no particular order. */
  getLeases4BySubnet(subnetId: number): Lease4[];
  /** Every lease, in no particular order. */
  getAllLeases4(): Lease4[];
  /**
   * Leases expired at `now` (seconds) and not yet reclaimed (state other than
   * EXPIRED_RECLAIMED), longest expired first, at most `max` of them (0: all), as Kea's
   * `getExpiredLeases4` for the reclamation routine.
   */
  getExpiredLeases4(now: number, max: number): Lease4[];

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
  flush(): void;
  /** Flushes, stops timers and releases files. The store must not be used afterwards. */
  close(): Promise<void>;
}

export interface LeaseStatsRow {
  subnetId: number;
  state: number;
  count: number;
}

/** The lease file could not be appended to; the queued records are kept for the next flush. */
export class LeaseFileWriteError extends NestorError {
  readonly file: string;
  /** Bytes still to write. */
  readonly pendingBytes: number;

  constructor(file: string, pendingBytes: number, options?: ErrorOptions) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : "";
    super(`cannot append to lease file '${file}'${why}`, "NESTOR_LEASE_FILE_WRITE", options);
    this.file = file;
    this.pendingBytes = pendingBytes;
  }
}

/** A lease file cannot be loaded: bad header, too many bad rows, cleanup in progress, I/O. */
export class LeaseFileFormatError extends NestorError {
  readonly file: string;
  readonly reason: string;

  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(file === "" ? reason : `lease file '${file}': ${reason}`, "NESTOR_LEASE_FILE", options);
    this.file = file;
    this.reason = reason;
  }
}

/** One row of a lease file is malformed (it is skipped and counted while loading). */
export class LeaseRowError extends NestorError {
  constructor(message: string) {
    super(message, "NESTOR_LEASE_ROW");
  }
}

/** An update named an address that has no lease. */
export class NoSuchLease extends NestorError {
  readonly address: string;

  constructor(address: string) {
    super(`no lease for address ${address}`, "NESTOR_NO_SUCH_LEASE");
    this.address = address;
  }
}
