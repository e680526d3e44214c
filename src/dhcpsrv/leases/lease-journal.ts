/**
 * The lease file side of a memfile store, the same for DHCPv4 and DHCPv6: loading the file set
 * in Kea's order at open, the append-only main file with group commit (`flush()` writes every
 * queued row with one write; a failed write keeps the bytes that did not reach the file for the
 * next flush, never writing any row twice), and the lease file cleanup (rotation on the event
 * loop, compaction in a worker, every `lfc-interval` seconds). The stores keep the leases and
 * their indexes; this keeps the file.
 */
import fs from "node:fs";
import path from "node:path";
import { defineMessages, type Logger } from "../../log/logger.ts";
import { InvalidOperation } from "../../util/errors.ts";
import { acquireProcessLock, PidFileBusy, releaseProcessLock } from "../../util/pid-file.ts";
import {
  DEFAULT_PROGRESS_INTERVAL_MS,
  type FileLoadReport,
  type LeaseFileSet,
  type LoadOptions,
  leaseFileSet,
} from "./lease-files.ts";
import { LeaseFileFormatError, LeaseFileWriteError } from "./lease-store4.ts";
import { RowBytes } from "./row-bytes.ts";
import {
  type LeaseUniverse,
  type BeforeStep,
  type LfcResult,
  cleanupInProgress,
  createLeaseFile,
  rotateLeaseFile,
  runLeaseFileCleanup,
  startCleanupWorker,
} from "./lfc.ts";

// Kea's message IDs (src/lib/dhcpsrv/dhcpsrv_messages.mes) where Kea has one.
defineMessages({
  DHCPSRV_MEMFILE_DB: "opening memory file lease database: %1",
  DHCPSRV_MEMFILE_LEASE_FILE_LOAD: "loading leases from file %1: %2 rows, %3 discarded, in %4 s",
  // Nestor's: a large lease file's load in progress, and the whole load's duration.
  DHCPSRV_MEMFILE_LEASE_LOAD_PROGRESS:
    "loading leases from file %1: %2 rows read so far (%3% of the file) in %4 s",
  DHCPSRV_MEMFILE_LEASES_LOADED: "%1 leases loaded from %2 rows of %3 file(s) in %4 s",
  DHCPSRV_MEMFILE_LEASE_LOAD_ROW_ERROR: "discarding row %1 of %2, error: %3",
  DHCPSRV_MEMFILE_NEEDS_CONVERSION:
    "lease file %1 is not in Kea 2.2's layout; it is converted by a lease file cleanup now",
  DHCPSRV_MEMFILE_LFC_SETUP: "setting up the Lease File Cleanup interval to %1 sec",
  DHCPSRV_MEMFILE_LFC_START: "starting Lease File Cleanup of %1",
  DHCPSRV_MEMFILE_LFC_COMPLETE: "Lease File Cleanup of %1 done: %2 leases written in %3 ms",
  DHCPSRV_MEMFILE_LFC_FAIL: "Lease File Cleanup of %1 failed: %2",
});

export const DEFAULT_LFC_INTERVAL = 3600;

/** Another process (a server) has the lease file open: its `<name>.nestor.pid` names it. */
export class LeaseFileInUse extends LeaseFileFormatError {
  readonly lock: string;
  readonly pid: number;

  constructor(file: string, lock: string, pid: number) {
    super(file, `in use by another server: ${lock} names running process ${pid}`);
    this.lock = lock;
    this.pid = pid;
  }
}

/**
 * What a flush does once its rows are written: "none" (Kea's memfile: the rows are in the page
 * cache, a power cut may lose them) or "fdatasync" (one fdatasync(2) per flush, so per batch of
 * replies: the rows are on the disk before any reply granting them leaves).
 */
export type LeaseFileSync = "none" | "fdatasync";

/** Kea's memfile keys of `lease-database`, and Nestor's `sync`. */
export interface MemfileConfig {
  name?: string;
  persist?: boolean;
  "lfc-interval"?: number;
  "max-row-errors"?: number;
  sync?: LeaseFileSync;
}

/** What the server (and tests) plug in. */
export interface MemfileHooks {
  /** Replaces fs.writeSync for the lease file appends (tests count or fail writes). */
  writeSync?: (fd: number, buf: Uint8Array, offset: number, length: number) => number;
  /** Replaces fs.fdatasyncSync after the appends with `sync` "fdatasync" (tests count or fail it). */
  fdatasyncSync?: (fd: number) => void;
  /** Told about each bad row skipped while loading. */
  onRowError?: (file: string, line: number, reason: string) => void;
  /** Told when a background cleanup ends, with its result or its error. */
  onCleanupDone?: (result: LfcResult | Error) => void;
  /** Where the store logs (Kea's message IDs); nothing is logged without one. */
  logger?: Logger;
  /**
   * `sanity-checks.lease-checks` (src/dhcpsrv/runtime/lease-sanity.ts): each lease loaded goes
   * through it; it may change the lease's subnet id, and false drops the lease.
   */
  checkLease?: (lease: CheckedLease) => boolean;
  /** Test seam: called before each rotation step on the event loop (throwing fails it). */
  beforeRotationStep?: BeforeStep;
  /**
   * Milliseconds between two DHCPSRV_MEMFILE_LEASE_LOAD_PROGRESS lines while a lease file loads;
   * by default the environment's NESTOR_LEASE_LOAD_PROGRESS_INTERVAL (seconds), else 5 s.
   */
  progressIntervalMs?: number;
}

/**
 * The progress interval of lease file loads set by NESTOR_LEASE_LOAD_PROGRESS_INTERVAL
 * (seconds, a positive number), else the default; a bad value is refused with the reason.
 */
export function loadProgressIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.NESTOR_LEASE_LOAD_PROGRESS_INTERVAL;
  if (text === undefined || text === "") return DEFAULT_PROGRESS_INTERVAL_MS;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new InvalidOperation(
      `NESTOR_LEASE_LOAD_PROGRESS_INTERVAL must be a positive number of seconds, not '${text}'`,
    );
  }
  return seconds * 1000;
}

/** Milliseconds as seconds with 3 decimals, for the load lines. */
function seconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * What the load's sanity check reads of a lease: its address (text) and subnet id, which it may
 * change; a store kept as columns also gives the address's bytes (v6: 16 of them at
 * `addressOffset` of `addressBytes`), which a check may read instead of the text.
 */
export interface CheckedLease {
  readonly address: string;
  subnetId: number;
  readonly addressBytes?: Uint8Array;
  readonly addressOffset?: number;
}

/** The leases a store loaded, as the sanity check goes through them. */
export interface LoadedLeases {
  readonly size: number;
  /** Keeps the leases `check` passes (it may change their subnet id), drops the others. */
  retain(check: (lease: CheckedLease) => boolean): void;
}

/** Loads a file set: the surviving leases (by key, or a store's own), and a report per file. */
export type LeaseFileLoader<T> = (
  set: LeaseFileSet,
  options: LoadOptions & { onRowError: (file: string, line: number, reason: string) => void },
) => { leases: T; reports: FileLoadReport[] };

export class LeaseJournal {
  readonly persist: boolean;
  /** The lease file ("" when not persistent). */
  readonly file: string;
  readonly lfcInterval: number;
  readonly maxRowErrors: number;
  /** `sync`: whether each flush ends with fdatasync(2). */
  readonly sync: LeaseFileSync;
  /** Bad rows skipped while loading, over all files. */
  loadRowErrors = 0;
  /** The last background cleanup's result (null before the first one ends). */
  lastCleanup: LfcResult | Error | null = null;
  closed = false;

  private readonly universe: LeaseUniverse;
  private readonly files: LeaseFileSet | null;
  private readonly hooks: MemfileHooks;
  private readonly writer: (fd: number, b: Uint8Array, off: number, len: number) => number;
  private readonly syncer: ((fd: number) => void) | null;
  private fd = -1;
  /**
   * The batch: the bytes of every row queued since the last flush, after those a failed write
   * left (the buffer is kept from batch to batch).
   */
  private readonly batch = new RowBytes();
  private queuedRows = 0;
  private cleanup: Promise<LfcResult> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** This journal holds the lease file's lock (`<name>.nestor.pid`). */
  private locked = false;

  constructor(
    config: MemfileConfig,
    hooks: MemfileHooks,
    universe: LeaseUniverse,
    defaultFile: string,
  ) {
    this.persist = config.persist ?? true;
    this.file = this.persist ? (config.name ?? defaultFile) : "";
    this.lfcInterval = config["lfc-interval"] ?? DEFAULT_LFC_INTERVAL;
    this.maxRowErrors = config["max-row-errors"] ?? 0;
    this.sync = config.sync ?? "none";
    this.syncer =
      this.persist && this.sync === "fdatasync" ? (hooks.fdatasyncSync ?? fs.fdatasyncSync) : null;
    this.universe = universe;
    this.files = this.persist ? leaseFileSet(this.file) : null;
    this.hooks = hooks;
    this.writer = hooks.writeSync ?? fs.writeSync;
  }

  /**
   * Loads the files (nothing when not persistent) and hands the leases to `take`; prepares the
   * main file for appends and starts the cleanup timer. Throws LeaseFileFormatError when a header
   * is bad, a file has more than `max-row-errors` bad rows, or a cleanup holds `<name>.pid`;
   * LeaseFileInUse when another process has the file open (`<name>.nestor.pid`). The lock is
   * held until close(); stores of one process share it (tests open a file more than once).
   */
  open<T extends Map<unknown, unknown> | LoadedLeases>(
    load: LeaseFileLoader<T>,
    take: (leases: T) => void,
  ): void {
    const set = this.files;
    if (set === null) return;
    try {
      acquireProcessLock(set.owner);
    } catch (err) {
      if (err instanceof PidFileBusy) throw new LeaseFileInUse(set.main, err.path, err.pid);
      const why = `cannot lock ${set.owner}: ${(err as Error).message}`;
      throw new LeaseFileFormatError(set.main, why, { cause: err });
    }
    this.locked = true;
    try {
      this.load(set, load, take);
    } catch (err) {
      this.unlock();
      throw err;
    }
  }

  private unlock(): void {
    if (!this.locked || this.files === null) return;
    this.locked = false;
    releaseProcessLock(this.files.owner);
  }

  private load<T extends Map<unknown, unknown> | LoadedLeases>(
    set: LeaseFileSet,
    load: LeaseFileLoader<T>,
    take: (leases: T) => void,
  ): void {
    const log = this.hooks.logger;
    log?.info(
      "DHCPSRV_MEMFILE_DB",
      `lfc-interval=${this.lfcInterval} max-row-errors=${this.maxRowErrors} name=${set.main} persist=true type=memfile universe=${this.universe}`,
    );
    if (cleanupInProgress(set)) {
      throw new LeaseFileFormatError(set.main, "lease file cleanup is in progress");
    }
    const onRowError = this.hooks.onRowError;
    const started = performance.now();
    const { leases, reports } = load(set, {
      maxRowErrors: this.maxRowErrors,
      onRowError: (file, line, reason) => {
        log?.error("DHCPSRV_MEMFILE_LEASE_LOAD_ROW_ERROR", line, file, reason);
        onRowError?.(file, line, reason);
      },
      progressIntervalMs: this.hooks.progressIntervalMs ?? loadProgressIntervalMs(),
      onProgress: (p) => {
        const percent = p.bytesTotal === 0 ? 100 : Math.floor((100 * p.bytesRead) / p.bytesTotal);
        log?.info(
          "DHCPSRV_MEMFILE_LEASE_LOAD_PROGRESS",
          p.file,
          p.rows,
          percent,
          seconds(p.elapsedMs),
        );
      },
    });
    for (const r of reports) {
      log?.info(
        "DHCPSRV_MEMFILE_LEASE_FILE_LOAD",
        r.file,
        r.rows,
        r.rowErrors,
        seconds(r.durationMs),
      );
      if (r.needsConversion) log?.warn("DHCPSRV_MEMFILE_NEEDS_CONVERSION", r.file);
    }
    const check = this.hooks.checkLease;
    if (check !== undefined) {
      if (leases instanceof Map) {
        for (const [key, lease] of leases) {
          if (!check(lease as CheckedLease)) leases.delete(key);
        }
      } else {
        leases.retain(check);
      }
    }
    const loaded = leases.size;
    take(leases);
    const rows = reports.reduce((n, r) => n + r.rows, 0);
    const took = seconds(performance.now() - started);
    log?.info("DHCPSRV_MEMFILE_LEASES_LOADED", loaded, rows, reports.length, took);
    const main = reports.find((r) => r.file === set.main);
    try {
      this.prepareMain(set, main);
    } catch (err) {
      if (err instanceof LeaseFileFormatError) throw err;
      const why = `cannot prepare for appends: ${(err as Error).message}`;
      throw new LeaseFileFormatError(set.main, why, { cause: err });
    }
    if (reports.some((r) => r.needsConversion)) this.startCleanupInBackground();
    if (this.lfcInterval > 0) {
      log?.info("DHCPSRV_MEMFILE_LFC_SETUP", this.lfcInterval);
      // A tick while the previous cleanup still runs does nothing; the next one tries again.
      this.timer = setInterval(() => this.startCleanupInBackground(), this.lfcInterval * 1000);
      this.timer.unref();
    }
    this.loadRowErrors = reports.reduce((n, r) => n + r.rowErrors, 0);
  }

  private prepareMain(set: LeaseFileSet, main: FileLoadReport | undefined): void {
    const u = this.universe;
    if (main === undefined || fs.statSync(set.main).size === 0) {
      createLeaseFile(set.main, u);
    } else if (main.needsConversion) {
      // Rows in Kea 2.2's layout must not go below another header: move the file away now.
      // If a dead cleanup left .1 or .completed, finish it first (the server is not serving).
      if (!rotateLeaseFile(set, undefined, u)) {
        runLeaseFileCleanup(set, this.maxRowErrors, undefined, u);
        rotateLeaseFile(set, undefined, u);
      }
    } else if (!main.endsWithNewline) {
      // A row cut short by a crash stays one bad row instead of swallowing the next append.
      fs.appendFileSync(set.main, "\n");
    }
    this.fd = fs.openSync(set.main, "a");
    this.syncDirectory();
  }

  /**
   * With `sync` "fdatasync", the lease file's directory entry is made durable too (after the
   * file is opened, created or rotated): fdatasync makes the rows durable, not the file's name.
   */
  private syncDirectory(): void {
    if (this.syncer === null) return;
    const dir = fs.openSync(path.dirname(this.file), "r");
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  }

  // ---- group commit --------------------------------------------------------------------------

  /**
   * The batch to write one row into, in place (null when not persistent): the caller writes the
   * row's bytes, its line feed included, then calls rowQueued().
   */
  rowBuffer(): RowBytes | null {
    if (!this.persist) return null;
    if (this.closed) throw new InvalidOperation("the lease store is closed");
    return this.batch;
  }

  /** One more row is in the batch (after rowBuffer()). */
  rowQueued(): void {
    this.queuedRows++;
  }

  get pendingWrites(): number {
    return this.queuedRows;
  }

  flush(): void {
    if (this.queuedRows === 0) return;
    const batch = this.batch;
    const buf = batch.buf;
    const len = batch.length;
    let off = 0;
    try {
      while (off < len) off += this.writer(this.fd, buf, off, len - off);
    } catch (err) {
      // The bytes that reached the file are never written again; the rest go first next time.
      batch.consume(off);
      throw new LeaseFileWriteError(this.file, len - off, { cause: err });
    }
    batch.clear();
    this.queuedRows = 0;
    if (this.syncer !== null) {
      try {
        this.syncer(this.fd);
      } catch (err) {
        // The rows are in the file (never written twice) but not known to be on the disk: the
        // batch's replies must not leave. The next flush's fdatasync covers them again.
        throw new LeaseFileWriteError(this.file, 0, { cause: err });
      }
    }
  }

  // ---- lease file cleanup --------------------------------------------------------------------

  /**
   * Starts a lease file cleanup now (the timer calls this every `lfc-interval` seconds): flushes,
   * rotates the main file on the event loop (two renames), and compacts in a worker thread.
   * Returns the running cleanup, or null when not persistent, closed, or already running.
   */
  runCleanup(): Promise<LfcResult> | null {
    if (this.files === null || this.closed || this.cleanup !== null) return null;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = -1;
    try {
      rotateLeaseFile(this.files, this.hooks.beforeRotationStep, this.universe);
    } finally {
      // Whatever happened, appends go to a main file that starts with the header; if even that
      // cannot be made, flushes fail (LeaseFileWriteError) until a cleanup succeeds.
      this.reopenMain(this.files.main);
    }
    const log = this.hooks.logger;
    const main = this.files.main;
    log?.info("DHCPSRV_MEMFILE_LFC_START", main);
    const done = (r: LfcResult | Error): void => {
      this.cleanup = null;
      this.lastCleanup = r;
      if (r instanceof Error) log?.error("DHCPSRV_MEMFILE_LFC_FAIL", main, r.message);
      else log?.info("DHCPSRV_MEMFILE_LFC_COMPLETE", main, r.leases, Math.round(r.durationMs));
      this.hooks.onCleanupDone?.(r);
    };
    this.cleanup = startCleanupWorker(this.files, this.maxRowErrors, this.universe).then(
      (r) => {
        done(r);
        return r;
      },
      (err: Error) => {
        done(err);
        throw err;
      },
    );
    return this.cleanup;
  }

  private reopenMain(file: string): void {
    let size = -1;
    try {
      size = fs.statSync(file).size;
    } catch {
      // missing: created below
    }
    if (size <= 0) createLeaseFile(file, this.universe);
    this.fd = fs.openSync(file, "a");
    this.syncDirectory();
  }

  /** A cleanup whose failure is reported through `onCleanupDone`, never thrown. */
  private startCleanupInBackground(): void {
    try {
      this.runCleanup()?.catch(() => {});
    } catch (err) {
      this.lastCleanup = err as Error;
      this.hooks.logger?.error("DHCPSRV_MEMFILE_LFC_FAIL", this.file, (err as Error).message);
      this.hooks.onCleanupDone?.(err as Error);
    }
  }

  /** Flushes, stops the timer, waits for a running cleanup and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== null) clearInterval(this.timer);
    try {
      this.flush();
    } finally {
      this.closed = true;
      // Without a running cleanup the file is closed and unlocked before close() returns.
      if (this.cleanup !== null) await this.cleanup.catch(() => {});
      if (this.fd >= 0) fs.closeSync(this.fd);
      this.fd = -1;
      this.unlock();
    }
  }
}

/**
 * What the v4 and v6 memfile stores say of their lease file, all the journal's: a store extends
 * this and opens its journal once its own indexes exist.
 */
export abstract class JournaledLeaseStore {
  /** The lease file, group commit and cleanup. */
  protected readonly journal: LeaseJournal;

  protected constructor(journal: LeaseJournal) {
    this.journal = journal;
  }

  get persist(): boolean {
    return this.journal.persist;
  }

  /** The lease file ("" when not persistent). */
  get file(): string {
    return this.journal.file;
  }

  get lfcInterval(): number {
    return this.journal.lfcInterval;
  }

  get maxRowErrors(): number {
    return this.journal.maxRowErrors;
  }

  /** Bad rows skipped while loading, over all files. */
  get loadRowErrors(): number {
    return this.journal.loadRowErrors;
  }

  /** The last background cleanup's result (null before the first one ends). */
  get lastCleanup(): LfcResult | Error | null {
    return this.journal.lastCleanup;
  }

  get pendingWrites(): number {
    return this.journal.pendingWrites;
  }

  flush(): void {
    this.journal.flush();
  }

  /**
   * Queues record r's lease file row (`deletion`: the row that deletes it), written in place
   * into the journal's batch by `writeRowBytes`; nothing when not persistent.
   */
  protected queueRow(r: number, deletion: boolean): void {
    const w = this.journal.rowBuffer();
    if (w === null) return;
    this.writeRowBytes(w, r, deletion);
    this.journal.rowQueued();
  }

  /** Record r's row, its line feed included, from the store's columns. */
  protected abstract writeRowBytes(w: RowBytes, r: number, deletion: boolean): void;

  /** Starts a lease file cleanup now (see LeaseJournal.runCleanup). */
  runCleanup(): Promise<LfcResult> | null {
    return this.journal.runCleanup();
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}
