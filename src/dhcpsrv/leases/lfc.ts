/**
 * Lease file cleanup (LFC): compacts the append-only lease file with Kea's file protocol
 * (memfile_lease_mgr.cc `lfcExecute`, src/bin/lfc/lfc_controller.cc), so Kea and Nestor can take
 * over each other's files even in the middle of a cleanup.
 *
 * Steps, each one atomic on a POSIX file system (a rename, an unlink, or a write to a file that
 * no loader reads):
 *
 *   server, on the event loop, between two flushes (nothing is queued):
 *     rotate-main       rename <f> -> <f>.1             only if neither .1 nor .completed exists
 *     create-main       write header to <f>.tmp, rename <f>.tmp -> <f>
 *   worker thread (the compaction; never on the event loop):
 *     write-pid         <f>.pid holds the process id
 *     (if <f>.completed does not exist)
 *       write-output    replay <f>.2 then <f>.1; write the survivors to <f>.output; fsync
 *       rename-output   rename <f>.output -> <f>.completed; fsync the directory
 *     delete-previous   unlink <f>.2
 *     delete-input      unlink <f>.1
 *     rename-completed  rename <f>.completed -> <f>.2; fsync the directory
 *     remove-pid        unlink <f>.pid
 *
 * Loading replays `.completed` if it exists, else `.2` then `.1`; then `<f>` (lease-files.ts).
 *
 * Why the lease set on disk is complete at every instant. Let L be the lease set the loader
 * computes before the cleanup starts: replay(.2, .1, f) (absent files are empty). Replay is
 * "later row wins per address", so replaying a file that holds exactly the final row of each
 * surviving address of some files A, B is the same as replaying A then B; call that
 * compact(A, B). Rows appended while the cleanup runs go to the new <f> and are replayed last in
 * every state below, so they are left out of the argument.
 *   - After rotate-main: the files are .2, .1 (= the old f), no f. Replay(.2, .1) = L.
 *   - After create-main: f is empty (header only, and it appears whole thanks to the rename).
 *   - During write-output: .output is never read; .2, .1, f are untouched. A process that dies
 *     here leaves a partial .output that the next cleanup truncates and rewrites.
 *   - After rename-output: .completed = compact(.2, .1) exists, so the loader reads it instead
 *     of .2 and .1: replay(.completed, f) = replay(.2, .1, f) = L. It is complete because it was
 *     written and fsynced before the rename made it visible.
 *   - After delete-previous, delete-input: .completed still exists, so .2/.1 are not read.
 *   - After rename-completed: .2 = compact(old .2, .1), no .1, no .completed: replay(.2, f) = L.
 * A restart in any of these states loads L (plus what was served since), and serving goes on:
 * a missing <f> is created, a leftover .tmp is ignored. The `.pid` file holds the server's
 * process id while its worker runs, so a Kea started on the same files meanwhile refuses to
 * load, as it would during its own kea-lfc; a stale one (dead process) is ignored.
 * A cleanup that died is finished by the next one: rotation is skipped while .1 or .completed
 * exists (so a not yet compacted .1 is never overwritten), and the worker skips straight to the
 * renames when .completed exists. Expired leases are kept (they are not the cleanup's to drop:
 * the server reclaims them and writes that down) and bad rows, which the loader skips too, are
 * dropped, so compaction never changes L. A compaction that fails (too many bad rows, a full
 * disk) has changed nothing that a loader reads.
 * test/unit/dhcpsrv/lfc.test.ts stops the sequence before each step, in process and by SIGKILL
 * of a child process, and checks that loading yields exactly L, before and after recovery
 * (lease6-lfc.test.ts does the same for v6 files).
 *
 * Both lease file formats use this one protocol: the functions take the universe (4 or 6, as
 * kea-lfc's -4/-6), which picks the header, the row codec and the key; 4 is the default.
 */
import fs from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { LEASE4_HEADER_2_2, formatLease4Row } from "./csv-lease-file4.ts";
import { LEASE6_HEADER_2_2, formatLease6Row } from "./csv-lease-file6.ts";
import { ipv6FromString } from "../../dhcp/ioaddress.ts";
import type { Lease4 } from "./lease4.ts";
import type { Lease6 } from "./lease6.ts";
import type { LeaseFileSet } from "./lease-files.ts";
import { replayLeaseFile4 } from "./lease-files4.ts";
import { replayLeaseFile6 } from "./lease-files6.ts";

/** Which lease file format: DHCPv4 or DHCPv6 (kea-lfc's -4 and -6). */
export type LeaseUniverse = 4 | 6;

function headerOf(universe: LeaseUniverse): string {
  return universe === 6 ? LEASE6_HEADER_2_2 : LEASE4_HEADER_2_2;
}

export const LFC_STEPS = [
  "rotate-main",
  "create-main",
  "write-pid",
  "write-output",
  "rename-output",
  "delete-previous",
  "delete-input",
  "rename-completed",
  "remove-pid",
] as const;
export type LfcStep = (typeof LFC_STEPS)[number];

/** Test seam: called before each step; throwing abandons the sequence there, like a crash. */
export type BeforeStep = (step: LfcStep) => void;

export interface LfcResult {
  /** Leases written to the compacted file (0 when a finished `.completed` was only renamed). */
  leases: number;
  /** Bad rows dropped from `.2` and `.1`. */
  rowErrors: number;
  /** False when `.completed` already existed (a dead cleanup's result was put in place). */
  compacted: boolean;
  durationMs: number;
}

/**
 * Server side of a cleanup: moves the main file to `.1` and puts an empty one in its place,
 * unless a previous cleanup left `.1` or `.completed` (then only the worker must run). The
 * caller has closed its descriptor of the main file and flushed everything queued.
 */
export function rotateLeaseFile(
  set: LeaseFileSet,
  beforeStep?: BeforeStep,
  universe: LeaseUniverse = 4,
): boolean {
  if (fs.existsSync(set.finish) || fs.existsSync(set.input)) return false;
  beforeStep?.("rotate-main");
  let rotated = true;
  try {
    fs.renameSync(set.main, set.input);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    rotated = false;
  }
  beforeStep?.("create-main");
  createLeaseFile(set.main, universe);
  return rotated;
}

/** Creates (or replaces) a lease file holding only the header, atomically. */
export function createLeaseFile(file: string, universe: LeaseUniverse = 4): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${headerOf(universe)}\n`);
  fs.renameSync(tmp, file);
}

/** The compaction, synchronous: what the worker thread (or `lfc-worker.ts` as a program) runs. */
export function runLeaseFileCleanup(
  set: LeaseFileSet,
  maxRowErrors: number,
  beforeStep?: BeforeStep,
  universe: LeaseUniverse = 4,
): LfcResult {
  const started = performance.now();
  beforeStep?.("write-pid");
  fs.writeFileSync(set.pid, `${process.pid}\n`);
  let leases = 0;
  let rowErrors = 0;
  const compacted = !fs.existsSync(set.finish);
  if (compacted) {
    const files = [set.previous, set.input];
    let write: () => number;
    if (universe === 6) {
      const storage = new Map<string, Lease6>();
      for (const file of files)
        rowErrors += replayLeaseFile6(file, storage, { maxRowErrors })?.rowErrors ?? 0;
      write = () => writeLeaseFile6(set.output, storage);
    } else {
      const storage = new Map<number, Lease4>();
      for (const file of files)
        rowErrors += replayLeaseFile4(file, storage, { maxRowErrors })?.rowErrors ?? 0;
      write = () => writeLeaseFile(set.output, storage);
    }
    beforeStep?.("write-output");
    leases = write();
    beforeStep?.("rename-output");
    fs.renameSync(set.output, set.finish);
    fsyncDirectory(set.finish);
  }
  beforeStep?.("delete-previous");
  fs.rmSync(set.previous, { force: true });
  beforeStep?.("delete-input");
  fs.rmSync(set.input, { force: true });
  beforeStep?.("rename-completed");
  fs.renameSync(set.finish, set.previous);
  fsyncDirectory(set.previous);
  beforeStep?.("remove-pid");
  fs.rmSync(set.pid, { force: true });
  return { leases, rowErrors, compacted, durationMs: performance.now() - started };
}

/** Writes a whole lease file (header, then leases by address, as Kea's LFC does); fsyncs it. */
export function writeLeaseFile(file: string, leases: Map<number, Lease4>): number {
  const keys = [...leases.keys()].sort((a, b) => (a >>> 0) - (b >>> 0));
  return writeRows(file, LEASE4_HEADER_2_2, keys, (key) => formatLease4Row(leases.get(key)!));
}

/** Writes a whole v6 lease file (header, then leases by address bytes, as Kea); fsyncs it. */
export function writeLeaseFile6(file: string, leases: Map<string, Lease6>): number {
  const keys = [...leases.keys()]
    .map((k) => ({ k, bytes: ipv6FromString(k) }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map((e) => e.k);
  return writeRows(file, LEASE6_HEADER_2_2, keys, (key) => formatLease6Row(leases.get(key)!));
}

function writeRows<K>(file: string, header: string, keys: K[], row: (key: K) => string): number {
  const fd = fs.openSync(file, "w");
  try {
    let chunk = `${header}\n`;
    for (const key of keys) {
      chunk += row(key);
      if (chunk.length >= 1 << 16) {
        writeAll(fd, Buffer.from(chunk, "utf8"));
        chunk = "";
      }
    }
    writeAll(fd, Buffer.from(chunk, "utf8"));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return keys.length;
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

function fsyncDirectory(file: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(path.dirname(file), "r");
    fs.fsyncSync(fd);
  } catch {
    // Not every file system lets a directory be opened or synced; the rename is done anyway.
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** True when `<f>.pid` names a live process other than this one (a cleanup is running). */
export function cleanupInProgress(set: LeaseFileSet): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(set.pid, "utf8").trim(), 10);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Message the worker posts when it is done. */
export type LfcWorkerReply = ({ ok: true } & LfcResult) | { ok: false; message: string };

/** Data the worker receives. */
export interface LfcWorkerData {
  set: LeaseFileSet;
  maxRowErrors: number;
  /** Absent: 4. */
  universe?: LeaseUniverse;
}

// The worker's module sits next to this one, as .ts in the source tree and .js in dist/.
const WORKER_URL = new URL(
  import.meta.url.endsWith(".ts") ? "./lfc-worker.ts" : "./lfc-worker.js",
  import.meta.url,
);

/** Runs the compaction in a worker thread, so the event loop keeps serving meanwhile. */
export function startCleanupWorker(
  set: LeaseFileSet,
  maxRowErrors: number,
  universe: LeaseUniverse = 4,
): Promise<LfcResult> {
  return new Promise((resolve, reject) => {
    const data: LfcWorkerData = { set, maxRowErrors, universe };
    const worker = new Worker(WORKER_URL, { workerData: data });
    let reply: LfcWorkerReply | null = null;
    worker.on("message", (m: LfcWorkerReply) => {
      reply = m;
    });
    worker.on("error", reject);
    worker.on("exit", (code) => {
      const r = reply as LfcWorkerReply | null;
      if (r === null) reject(new Error(`lease file cleanup worker exited with code ${code}`));
      else if (r.ok) resolve(r);
      else reject(new Error(`lease file cleanup failed: ${r.message}`));
    });
  });
}
