/**
 * Child processes a benchmark starts, and only those: each is remembered by its PID until it is
 * reaped, so clean-up never signals a PID the kernel may have handed to someone else.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export interface Started {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr so far (the last 64 KiB of each). */
  output(): string;
  /** Resolves with the exit code (or 128 + signal number) once the process is reaped. */
  exited: Promise<number>;
}

const KEEP = 64 * 1024;

export class Processes {
  private readonly live = new Map<number, Started>();

  start(command: string, args: readonly string[], options: SpawnOptions = {}): Started {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    if (child.pid === undefined) throw new Error(`cannot start ${command}`);
    const pid = child.pid;
    let out = "";
    const keep = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.length > 2 * KEEP) out = out.slice(-KEEP);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const exited = new Promise<number>((resolve) => {
      child.once("close", (code, signal) => {
        this.live.delete(pid);
        resolve(code ?? 128 + (signal === null ? 0 : signalNumber(signal)));
      });
      child.once("error", () => {
        this.live.delete(pid);
        resolve(127);
      });
    });
    const started: Started = { child, pid, output: () => out, exited };
    this.live.set(pid, started);
    return started;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is reaped. */
  async stop(p: Started, graceMs = 5000): Promise<number> {
    if (!this.live.has(p.pid)) return p.exited;
    p.child.kill("SIGTERM");
    const timer = setTimeout(() => {
      if (this.live.has(p.pid)) p.child.kill("SIGKILL");
    }, graceMs);
    const code = await p.exited;
    clearTimeout(timer);
    return code;
  }

  /** Kills every process still running that this object started (clean-up on failure). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.live.values()].map((p) => this.stop(p, 2000)));
  }

  /** Synchronous last resort for an exit handler: SIGKILL to each live PID we started. */
  killAllNow(): void {
    for (const p of this.live.values()) p.child.kill("SIGKILL");
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === "SIGKILL" ? 9 : signal === "SIGTERM" ? 15 : signal === "SIGINT" ? 2 : 0;
}

/** Runs a short command to completion; throws with its output when it fails. */
export function run(
  command: string,
  args: readonly string[],
  allowFail = false,
  timeoutMs = 20_000,
): string {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: timeoutMs });
  if (!allowFail && (r.status !== 0 || r.error !== undefined)) {
    const why = r.error?.message ?? `${r.stderr}${r.stdout}`.trim();
    throw new Error(`${command} ${args.join(" ")}: ${why}`);
  }
  return r.stdout ?? "";
}

/**
 * Builds the project's dist/ at `root` (tsc -p tsconfig.build.json). tsc still emits on type
 * errors: a half-finished file elsewhere is reported, and what was emitted is benchmarked.
 */
export function buildDist(root: string): void {
  console.log("building dist/ (tsc -p tsconfig.build.json)");
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  try {
    run(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], false, 300_000);
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n").slice(0, 4).join("\n") : String(e);
    console.log(`WARNING: the build reported errors; benchmarking what it emitted:\n${why}`);
  }
}

/**
 * `command args` run at scheduling priority `nice` (-20 to 19; 0 leaves it as it is) and, when
 * `cpu` is given, on that CPU only (`taskset -c`, every thread of the process): `nice` and
 * `taskset` exec the command, so the PID started is the command's.
 */
/**
 * The Node.js options a command's first line gives it (`#!/usr/bin/env -S node OPTIONS`), so
 * that a benchmark that starts `node ENTRY` runs the server as the installed command runs.
 */
export function entryNodeOptions(entry: string): string[] {
  const first = readFileSync(entry, "utf8").split("\n", 1)[0]!;
  const m = /^#!\/usr\/bin\/env -S node\s+(.*)$/.exec(first);
  return m === null ? [] : m[1]!.trim().split(/\s+/);
}

export function niced(
  nice: number,
  command: string,
  args: readonly string[],
  cpu?: number,
): [string, string[]] {
  const run: [string, string[]] =
    nice === 0 ? [command, [...args]] : ["nice", ["-n", String(nice), command, ...args]];
  return cpu === undefined ? run : ["taskset", ["-c", String(cpu), run[0], ...run[1]]];
}

/** Whether `command` is on PATH. */
export function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" }).status === 0;
}

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout) || 100;

export interface CpuTimes {
  user: number;
  system: number;
}

/** User and system CPU seconds of a process (all its threads), from /proc/<pid>/stat. */
export function cpuTimes(pid: number): CpuTimes {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name is in parentheses and may hold spaces: fields count from after it.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}

/**
 * What the scheduler counted for a process, summed over its threads (/proc/<pid>/task/<tid>/): the
 * nanoseconds it ran on a CPU (schedstat's first field: exact, unlike the tick-sampled
 * utime/stime, and excluding the time it waited for a CPU), and its context switches. A thread
 * that ended between two readings takes its counts with it: the servers' threads live as long
 * as the process.
 */
export interface SchedCounts {
  runNs: number;
  voluntarySwitches: number;
  involuntarySwitches: number;
}

export function schedCounts(pid: number): SchedCounts {
  const out: SchedCounts = { runNs: 0, voluntarySwitches: 0, involuntarySwitches: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let schedstat: string;
    let status: string;
    try {
      schedstat = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, "utf8");
    } catch {
      continue; // the thread ended while being read
    }
    out.runNs += Number(schedstat.split(" ")[0]);
    out.voluntarySwitches += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    out.involuntarySwitches += Number(
      /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0,
    );
  }
  return out;
}

/**
 * Whether `perf stat` can count hardware instructions of a process on this machine (a virtual
 * machine often exposes no hardware counters: perf then says "<not supported>").
 */
export function instructionsCountable(): boolean {
  if (!onPath("perf")) return false;
  const r = spawnSync("perf", ["stat", "-x", ",", "-e", "instructions", "--", "true"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  return r.status === 0 && /^\d+,/m.test(r.stderr ?? "");
}

/** Seconds the whole machine's CPUs were busy (not idle or waiting), from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = v[3]! + v[4]!;
  return (total - idle) / CLK_TCK;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
