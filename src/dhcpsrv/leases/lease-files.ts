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
 * What reading a lease file row by row needs of its format and its destination: the header's
 * parser, and what to do with each row, handed over as bytes of the read buffer (no text made
 * for it unless the sink makes one).
 */
export interface LeaseRowSink<Layout extends { readonly needsConversion: boolean }> {
  parseHeader(line: string, file: string): Layout;
  /**
   * Applies the row in `buf` from `start` to `end` (its line feed excluded, a carriage return
   * kept); throws (a LeaseRowError) when the row is bad.
   */
  applyRow(buf: Buffer, start: number, end: number, layout: Layout): void;
}

/**
 * Replays one file of any format into `storage` (key -> lease); returns null when the file does
 * not exist; an empty file holds no leases (Kea recreates it). Throws LeaseFileFormatError.
 */
export function replayLeaseFile<K, L, Layout extends { readonly needsConversion: boolean }>(
  file: string,
  storage: Map<K, L>,
  options: LoadOptions,
  codec: LeaseRowCodec<K, L, Layout>,
): FileLoadReport | null {
  return readLeaseFileRows(file, options, {
    parseHeader: codec.parseHeader,
    applyRow: (buf, start, end, layout) => {
      const lease = codec.parseRow(buf.toString("latin1", start, end), layout);
      const key = codec.keyOf(lease);
      if (codec.isDeletion(lease)) storage.delete(key);
      else storage.set(key, lease);
    },
  });
}

/**
 * Reads one lease file row by row into `sink`; returns null when the file does not exist; an
 * empty file holds no leases (Kea recreates it). Bad rows are counted and reported, blank lines
 * skipped. Throws LeaseFileFormatError.
 *
 * The file is read READ_CHUNK bytes at a time and its rows are handed over as they come, as
 * bytes of the read buffer, so a large file costs a buffer of memory on top of its leases.
 */
export function readLeaseFileRows<Layout extends { readonly needsConversion: boolean }>(
  file: string,
  options: LoadOptions,
  sink: LeaseRowSink<Layout>,
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

  /** One line of `buf` (without its line feed); `endOffset`: the file offset just past it. */
  const replayLine = (buf: Buffer, start: number, end: number, endOffset: number): void => {
    line++;
    if (layout === null) {
      layout = sink.parseHeader(buf.toString("latin1", start, end), file);
      report.needsConversion = layout.needsConversion;
      return;
    }
    if (end === start || (end === start + 1 && buf[start] === 0x0d)) return; // Kea skips blanks
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
    try {
      sink.applyRow(buf, start, end, layout);
    } catch (err) {
      report.rowErrors++;
      options.onRowError?.(file, line, (err as Error).message);
      if (report.rowErrors > max) {
        throw new LeaseFileFormatError(
          file,
          `more than ${options.maxRowErrors} bad rows (max-row-errors); last at line ${line}`,
        );
      }
    }
  };

  try {
    try {
      bytesTotal = fs.fstatSync(fd).size;
    } catch (err) {
      throw new LeaseFileFormatError(file, `cannot read: ${(err as Error).message}`, {
        cause: err,
      });
    }
    let buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, Math.max(bytesTotal, 1)));
    /** Bytes of `buf` holding file data, and the file offset of buf[0]. */
    let have = 0;
    let base = 0;
    let lastByte = 0x0a;
    for (;;) {
      if (have === buf.length) {
        // A line longer than the buffer: a larger one.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      let n: number;
      try {
        n = fs.readSync(fd, buf, have, buf.length - have, null);
      } catch (err) {
        throw new LeaseFileFormatError(file, `cannot read: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (n === 0) break;
      const scanFrom = have;
      have += n;
      lastByte = buf[have - 1]!;
      let start = 0;
      for (let eol = buf.indexOf(0x0a, scanFrom); eol >= 0 && eol < have;) {
        replayLine(buf, start, eol, base + eol + 1);
        start = eol + 1;
        eol = buf.indexOf(0x0a, start);
      }
      if (start > 0) {
        buf.copy(buf, 0, start, have);
        have -= start;
        base += start;
      }
    }
    report.endsWithNewline = lastByte === 0x0a;
    if (have > 0) replayLine(buf, 0, have, base + have);
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
