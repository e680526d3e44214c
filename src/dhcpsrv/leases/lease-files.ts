/**
 * The files of one memfile lease database and how they are replayed at load.
 *
 * Kea's names (memfile_lease_mgr.cc): `<name>` takes appends; `<name>.1` is the input of a lease
 * file cleanup (the rotated main file), `<name>.2` the result of the previous one,
 * `<name>.output` the cleanup's file being written, `<name>.completed` its finished result and
 * `<name>.pid` the cleanup's lock. Nestor adds `<name>.nestor.pid`: the PID of the server that has
 * the file open (one server per lease file; src/util/pid-file.ts).
 *
 * Replay order: `<name>.completed` if it exists (it already holds `.2` and `.1` compacted),
 * else `<name>.2` then `<name>.1`; then `<name>`. Rows apply in order, keyed by address: a row
 * with a valid lifetime replaces whatever the address had, a row with valid_lifetime 0 deletes
 * it. Bad rows are skipped and counted; more than `max-row-errors` in one file (when non-zero)
 * abort the load, as Kea's LeaseFileLoader does.
 */
import fs from "node:fs";
import { LeaseFileFormatError } from "./lease-store.ts";

export interface LeaseFileSet {
  /** The file the server appends to. */
  readonly main: string;
  /** `.1`: the main file rotated away for a cleanup. */
  readonly input: string;
  /** `.2`: the result of the last finished cleanup. */
  readonly previous: string;
  /** `.output`: a cleanup's result while it is written (never read at load). */
  readonly output: string;
  /** `.completed`: a cleanup's finished result, not yet renamed to `.2`. */
  readonly finish: string;
  /** `.pid`: who runs the cleanup. */
  readonly pid: string;
  /** `.nestor.pid`: which server has the file open (Nestor's, not Kea's). */
  readonly owner: string;
}

export function leaseFileSet(name: string): LeaseFileSet {
  return {
    main: name,
    input: `${name}.1`,
    previous: `${name}.2`,
    output: `${name}.output`,
    finish: `${name}.completed`,
    pid: `${name}.pid`,
    owner: `${name}.nestor.pid`,
  };
}

/** The files that hold leases before `main`, in replay order. */
export function cleanupFilesToLoad(set: LeaseFileSet): string[] {
  return fs.existsSync(set.finish) ? [set.finish] : [set.previous, set.input];
}

export interface LoadOptions {
  /** Bad rows tolerated per file; 0 = no limit (memfile `max-row-errors`). */
  maxRowErrors: number;
  /** Told about each skipped row (file, 1-based line number, reason). */
  onRowError?: (file: string, line: number, reason: string) => void;
  /**
   * Told, while a file loads, every `progressIntervalMs` (at most) of the rows read so far (good
   * and bad) and the bytes read of the file's size.
   */
  onProgress?: (progress: LoadProgress) => void;
  /** Milliseconds between two `onProgress` calls (default 5000). */
  progressIntervalMs?: number;
}

export interface LoadProgress {
  file: string;
  rows: number;
  bytesRead: number;
  bytesTotal: number;
  /** Milliseconds since the file began loading. */
  elapsedMs: number;
}

/** Milliseconds between two progress reports of a load, unless told otherwise. */
export const DEFAULT_PROGRESS_INTERVAL_MS = 5000;

/** Rows read between two looks at the clock: the loop stays a loop over rows. */
const ROWS_PER_CLOCK_CHECK = 1024;

export interface FileLoadReport {
  file: string;
  /** Rows read (good and bad), header excluded. */
  rows: number;
  rowErrors: number;
  /** The header is not the one Nestor writes (Kea 2.2's). */
  needsConversion: boolean;
  /** The file is empty or its last byte is a line feed (no row was cut short). */
  endsWithNewline: boolean;
  /** Milliseconds spent reading and replaying the file. */
  durationMs: number;
}

/**
 * What replaying needs to know of one lease file format (v4 or v6): its header and row parsers
 * and the key rows are applied under (the lease's address).
 */
export interface LeaseRowCodec<K, L, Layout extends { readonly needsConversion: boolean }> {
  parseHeader(line: string, file: string): Layout;
  /** Throws (a LeaseRowError) when the row is bad. */
  parseRow(row: string, layout: Layout): L;
  keyOf(lease: L): K;
  /** True for a row that deletes the lease of its key (valid_lifetime 0). */
  isDeletion(lease: L): boolean;
}

/** Bytes read from a lease file at a time: the file is never held whole in memory. */
const READ_CHUNK = 1 << 19;

/**
 * Replays one file of any format into `storage` (key -> lease); returns null when the file does
 * not exist; an empty file holds no leases (Kea recreates it). Throws LeaseFileFormatError.
 *
 * The file is read READ_CHUNK bytes at a time and its rows are replayed as they come, so a large
 * file costs a chunk of memory on top of its leases, not the file's size twice over (its bytes
 * and their text).
 */
export function replayLeaseFile<K, L, Layout extends { readonly needsConversion: boolean }>(
  file: string,
  storage: Map<K, L>,
  options: LoadOptions,
  codec: LeaseRowCodec<K, L, Layout>,
): FileLoadReport | null {
  const started = performance.now();
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new LeaseFileFormatError(file, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  const report: FileLoadReport = {
    file,
    rows: 0,
    rowErrors: 0,
    needsConversion: false,
    endsWithNewline: true,
    durationMs: 0,
  };
  const onProgress = options.onProgress;
  const interval = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const max = options.maxRowErrors > 0 ? options.maxRowErrors : Infinity;
  let nextReport = started + interval;
  let nextCheck = ROWS_PER_CLOCK_CHECK;
  let layout: Layout | null = null;
  let line = 0;
  let bytesTotal = 0;

  /** One line (without its line feed); `endOffset`: the file offset just past it. */
  const replayLine = (row: string, endOffset: number): void => {
    line++;
    if (layout === null) {
      layout = codec.parseHeader(row, file);
      report.needsConversion = layout.needsConversion;
      return;
    }
    if (row === "" || row === "\r") return; // Kea skips blank lines
    report.rows++;
    if (onProgress !== undefined && report.rows >= nextCheck) {
      nextCheck = report.rows + ROWS_PER_CLOCK_CHECK;
      const now = performance.now();
      if (now >= nextReport) {
        nextReport = now + interval;
        const elapsedMs = now - started;
        onProgress({ file, rows: report.rows, bytesRead: endOffset, bytesTotal, elapsedMs });
      }
    }
    let lease: L;
    try {
      lease = codec.parseRow(row, layout);
    } catch (err) {
      report.rowErrors++;
      options.onRowError?.(file, line, (err as Error).message);
      if (report.rowErrors > max) {
        throw new LeaseFileFormatError(
          file,
          `more than ${options.maxRowErrors} bad rows (max-row-errors); last at line ${line}`,
        );
      }
      return;
    }
    const key = codec.keyOf(lease);
    if (codec.isDeletion(lease)) storage.delete(key);
    else storage.set(key, lease);
  };

  try {
    try {
      bytesTotal = fs.fstatSync(fd).size;
    } catch (err) {
      throw new LeaseFileFormatError(file, `cannot read: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(bytesTotal, 1)));
    /** The start of a line not yet complete, and the file offset it starts at. */
    let carry = "";
    let carryOffset = 0;
    let offset = 0;
    let lastByte = 0x0a;
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        throw new LeaseFileFormatError(file, `cannot read: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (n === 0) break;
      lastByte = buf[n - 1]!;
      const chunk = buf.toString("latin1", 0, n);
      const text = carry === "" ? chunk : carry + chunk;
      const base = carry === "" ? offset : carryOffset;
      offset += n;
      let start = 0;
      for (let eol = text.indexOf("\n"); eol >= 0; eol = text.indexOf("\n", start)) {
        replayLine(text.slice(start, eol), base + eol + 1);
        start = eol + 1;
      }
      carry = start === 0 ? text : text.slice(start);
      carryOffset = base + start;
    }
    report.endsWithNewline = lastByte === 0x0a;
    if (carry !== "") replayLine(carry, offset);
  } finally {
    fs.closeSync(fd);
  }
  report.durationMs = performance.now() - started;
  return report;
}

/**
 * Replays the cleanup files then the main file, in Kea's order, into one map (key -> what
 * `codec.parseRow` makes of a row): a store hands its own codec to keep its compact records.
 */
export function loadLeaseFiles<K, L, Layout extends { readonly needsConversion: boolean }>(
  set: LeaseFileSet,
  options: LoadOptions,
  codec: LeaseRowCodec<K, L, Layout>,
): { leases: Map<K, L>; reports: FileLoadReport[] } {
  const leases = new Map<K, L>();
  const reports: FileLoadReport[] = [];
  for (const file of [...cleanupFilesToLoad(set), set.main]) {
    const report = replayLeaseFile(file, leases, options, codec);
    if (report !== null) reports.push(report);
  }
  return { leases, reports };
}
