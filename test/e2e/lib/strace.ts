/**
 * A process run under strace(1) inside a test namespace, and its trace read back: the system
 * calls a test names, each with the thread that made it, its time, and the file or socket of its
 * first argument (strace -yy: `write(17</dir/leases4.csv>, ...)`, `sendmmsg(21<UDP:[...]>, ...)`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import type { Proc, Prerequisite, TestBed } from "./netns.ts";

export const STRACE: Prerequisite = { program: "strace", debianPackage: "strace" };

export interface Traced {
  proc: Proc;
  /** The trace file strace writes (-o). */
  file: string;
}

/**
 * Starts `cmd args` in `ns` under `strace -f -tt -yy -qq -s 0 -e trace=<calls>`, the trace in
 * the bed's directory. The process's own output is the Proc's.
 */
export function spawnTraced(
  bed: TestBed,
  label: string,
  ns: string,
  calls: readonly string[],
  cmd: string,
  args: readonly string[],
): Traced {
  const file = join(bed.dir, `${label.replace(/[^\w.-]/g, "_")}.strace`);
  const proc = bed.spawn(label, ns, "strace", [
    "-f",
    "-tt",
    "-yy",
    "-qq",
    "-s",
    "0",
    "-e",
    `trace=${calls.join(",")}`,
    "-o",
    file,
    cmd,
    ...args,
  ]);
  return { proc, file };
}

/** One system call of the trace. */
export interface SysCall {
  /** The thread (strace -f prints its id; the main thread's is the process id). */
  tid: number;
  time: string;
  name: string;
  fd: number;
  /** What the descriptor is: a path, `UDP:[...]`, `UDPv6:[...]`, `pipe:[...]`... */
  target: string;
  /** The return value; null for a call strace shows unfinished (its end is on a later line). */
  result: number | null;
}

const CALL = /^(\d+)\s+(\d\d:\d\d:\d\d\.\d+)\s+(\w+)\((\d+)<([^>]*)>/;

/** The calls of a trace whose first argument is a descriptor, in the order strace saw them. */
export function readTrace(file: string): SysCall[] {
  const calls: SysCall[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = CALL.exec(line);
    if (m === null) continue;
    const r = /\)\s+=\s+(-?\d+)/.exec(line);
    calls.push({
      tid: Number(m[1]),
      time: m[2]!,
      name: m[3]!,
      fd: Number(m[4]),
      target: m[5]!,
      result: r === null ? null : Number(r[1]),
    });
  }
  return calls;
}
