/**
 * PID files, Kea's way (src/lib/util/pid_file.cc): a file holding the process id of its owner.
 * A file naming a live process is someone else's; one naming a process that no longer exists
 * (or holding no number) is stale and is replaced. "Live" is what `kill(pid, 0)` says, EPERM
 * included (the process exists but belongs to another user). A file naming this very process is
 * ours (a container that restarted with the same PID, or a file this process wrote itself).
 *
 * Taking a file is atomic: the PID is written to a temporary file which is then hard-linked to
 * the name, and link(2) fails when the name exists, so no reader ever sees a half-written file
 * and of two processes racing for a missing file exactly one wins. Releasing removes the file
 * only while it still names this process.
 *
 * Used for the servers' configuration PID files (src/cli/server-main.ts) and for the lock of a
 * memfile lease file (`<lease file>.nestor.pid`, src/dhcpsrv/leases/lease-journal.ts).
 */
import fs from "node:fs";
import { resolve } from "node:path";
import { NestorError } from "./errors.ts";

/** The file names a live process other than this one. */
export class PidFileBusy extends NestorError {
  readonly path: string;
  readonly pid: number;

  constructor(path: string, pid: number, message?: string) {
    super(message ?? `PID file ${path} names running process ${pid}`, "NESTOR_PID_FILE_BUSY");
    this.path = path;
    this.pid = pid;
  }
}

/** True when a process with this id exists (EPERM: it exists, owned by someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The PID a file holds; null when it does not exist or holds no positive integer. */
export function readPidFile(path: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  const pid = Number(t);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

/** What a PID file says: nobody, a dead process, this process, or another live one. */
export type PidFileState =
  | { state: "absent" }
  | { state: "stale"; pid: number | null }
  | { state: "ours"; pid: number }
  | { state: "alive"; pid: number };

export function checkPidFile(path: string): PidFileState {
  if (!fs.existsSync(path)) return { state: "absent" };
  const pid = readPidFile(path);
  if (pid === null) return { state: "stale", pid: null };
  if (pid === process.pid) return { state: "ours", pid };
  return isProcessAlive(pid) ? { state: "alive", pid } : { state: "stale", pid };
}

/**
 * Writes this process's PID to `path`, replacing a stale file or one of ours; throws PidFileBusy
 * when it names another live process (the file is left alone), or the file system's error.
 */
export function acquirePidFile(path: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, path);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 5) throw err;
      }
      const found = checkPidFile(path);
      if (found.state === "alive") throw new PidFileBusy(path, found.pid);
      if (found.state === "ours") {
        fs.renameSync(tmp, path);
        return;
      }
      // stale (or gone meanwhile): remove it and try to take the name again
      fs.rmSync(path, { force: true });
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Removes `path` if it still names this process; never throws. */
export function releasePidFile(path: string): void {
  try {
    if (readPidFile(path) === process.pid) fs.rmSync(path, { force: true });
  } catch {
    // nothing to release
  }
}

/** Locks held by this process, by path, with how many holders each has. */
const held = new Map<string, number>();

/**
 * A lock file shared within this process: the first `acquire` takes the PID file, later ones in
 * the same process only count; it is removed when the last holder releases it. Another process
 * holding it makes `acquire` throw PidFileBusy.
 */
export function acquireProcessLock(file: string): void {
  const path = resolve(file);
  const n = held.get(path);
  if (n !== undefined) {
    held.set(path, n + 1);
    return;
  }
  acquirePidFile(path);
  held.set(path, 1);
}

export function releaseProcessLock(file: string): void {
  const path = resolve(file);
  const n = held.get(path);
  if (n === undefined) return;
  if (n > 1) {
    held.set(path, n - 1);
    return;
  }
  held.delete(path);
  releasePidFile(path);
}
