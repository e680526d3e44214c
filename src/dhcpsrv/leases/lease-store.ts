/** What the v4 and v6 lease stores share: statistics rows and the errors of the lease files. */
import { NestorError } from "../../util/errors.ts";

/**
 * What an asynchronous commit (a database store) reports: the addresses (v6: and prefixes)
 * another server holds, whose replies must not be sent.
 */
export type LostLeases = ReadonlySet<string>;

/**
 * A store's `flush()`: nothing (memfile: written when it returns, throws when it could not) or,
 * for a database, a Promise of the commit (rejects when it failed).
 */
export type FlushResult = void | Promise<LostLeases | void>;

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

/**
 * Told of a lease added or changed (`present` true, the lease as stored: not to be modified) or
 * deleted (`present` false).
 */
export type LeaseWatcher<L> = (lease: L, present: boolean) => void;
