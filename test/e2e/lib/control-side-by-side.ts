/**
 * Control commands side by side: kea-dhcpN 2.2 (with Kea's own hook libraries) and nestor-dhcpN
 * each started on the same settings, with no interfaces and outside any namespace (they never
 * touch the network), each in its own directory with its own lease file and unix control socket;
 * the same commands sent to both, one after the other, and the answers compared after Kea's
 * volatile parts are normalised.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { controlCommand, waitForControl, type ControlAnswer } from "./control-client.ts";
import { keaEnv, keaPrerequisite, keaVersion, requireKeaHookLibrary, type Family } from "./kea.ts";
import { bin, Proc, requirePrerequisites } from "./netns.ts";

export type Who = "kea" | "nestor";

/** One command and what a test wants to say about it. */
export interface Step {
  command: string;
  arguments?: unknown;
  /** Why the step is there (in failure messages). */
  note?: string;
}

/** One server on a settings map, driven over its control socket. */
export class ControlledServer {
  readonly who: Who;
  readonly family: Family;
  readonly dir: string;
  readonly socket: string;
  readonly leaseFile: string;
  private proc: Proc | null = null;

  constructor(who: Who, family: Family, dir: string) {
    this.who = who;
    this.family = family;
    this.dir = dir;
    this.socket = join(dir, "control.sock");
    this.leaseFile = join(dir, `leases${family}.csv`);
  }

  /** Writes the configuration (settings plus no interfaces, memfile, socket, logging), starts. */
  async start(settings: Record<string, unknown>): Promise<void> {
    const config = {
      [`Dhcp${this.family}`]: {
        "interfaces-config": { interfaces: [] },
        "lease-database": { type: "memfile", name: this.leaseFile, "lfc-interval": 0 },
        "control-socket": { "socket-type": "unix", "socket-name": this.socket },
        ...settings,
        loggers: [
          {
            name: `${this.who === "kea" ? "kea" : "nestor"}-dhcp${this.family}`,
            severity: "INFO",
            output_options: [{ output: "stdout" }],
          },
        ],
      },
    };
    const file = join(this.dir, "config.json");
    writeFileSync(file, JSON.stringify(config, null, 2));
    rmSync(this.socket, { force: true });
    const cli = fileURLToPath(
      new URL(`../../../src/cli/nestor-dhcp${this.family}.ts`, import.meta.url),
    );
    const child =
      this.who === "kea"
        ? spawn(bin(`kea-dhcp${this.family}`), ["-c", file], {
            env: keaEnv(this.dir),
            stdio: ["ignore", "pipe", "pipe"],
          })
        : spawn(process.execPath, [cli, "-c", file], {
            env: { ...process.env, NESTOR_PIDFILE_DIR: this.dir },
            stdio: ["ignore", "pipe", "pipe"],
          });
    this.proc = new Proc(`${this.who}-dhcp${this.family}`, child);
    await waitForControl(this.socket, this.proc);
  }

  send(step: Step): Promise<ControlAnswer> {
    const cmd: Record<string, unknown> = { command: step.command };
    if (step.arguments !== undefined) cmd.arguments = step.arguments;
    return controlCommand(this.socket, cmd);
  }

  get log(): string {
    return this.proc?.output ?? "";
  }

  /** SIGTERM, and SIGKILL if it is still there 10 s later. */
  async stop(): Promise<void> {
    await this.proc?.stop(10_000);
    this.proc = null;
  }
}

/**
 * The suite's prerequisites (root, kea-dhcpN, the Kea hook libraries by file name and Debian
 * package) checked once; a temporary directory; every server stopped at close.
 */
export class SideBySideSuite {
  readonly family: Family;
  private readonly found: { libraries: Record<string, string>; version: string } | Error;
  private directory: string | undefined;
  private readonly servers: ControlledServer[] = [];

  constructor(family: Family, libraries: readonly { name: string; debianPackage: string }[]) {
    this.family = family;
    try {
      requirePrerequisites([keaPrerequisite(family)]);
      const paths: Record<string, string> = {};
      for (const l of libraries) paths[l.name] = requireKeaHookLibrary(l.name, l.debianPackage);
      this.found = { libraries: paths, version: keaVersion(family) };
    } catch (err) {
      this.found = err as Error;
    }
  }

  /** Kea's path of a hook library (the same path loads Nestor's own version of it). */
  library(name: string): string {
    if (this.found instanceof Error) throw this.found;
    const p = this.found.libraries[name];
    assert.ok(p !== undefined, `${name} was not declared by the suite`);
    return p;
  }

  get keaVersion(): string {
    if (this.found instanceof Error) throw this.found;
    return this.found.version;
  }

  open(prefix: string): void {
    this.directory = mkdtempSync(join(tmpdir(), prefix));
  }

  /** Starts a server of each kind on `settings`, each in a fresh directory `name-who`. */
  async start(
    name: string,
    settings: Record<string, unknown>,
  ): Promise<Record<Who, ControlledServer>> {
    if (this.found instanceof Error) throw this.found;
    if (this.directory === undefined) throw new Error("SideBySideSuite: open() first");
    const out = {} as Record<Who, ControlledServer>;
    for (const who of ["kea", "nestor"] as const) {
      const dir = join(this.directory, `${name}-${who}`);
      mkdirSync(dir, { recursive: true });
      const s = new ControlledServer(who, this.family, dir);
      this.servers.push(s);
      await s.start(settings);
      out[who] = s;
    }
    return out;
  }

  async close(): Promise<void> {
    for (const s of this.servers) await s.stop();
    if (this.directory !== undefined) rmSync(this.directory, { recursive: true, force: true });
  }
}

/**
 * An answer with what legitimately differs removed: Kea's position suffix in parser errors
 * ("(<wire>:0:37)": Nestor's libraries get parsed JSON, with no positions), and the volatile
 * fields: `cltt` of leases made "now" (replaced by its distance from `now`, rounded to 5 s, so a
 * wrong clock still shows), result-set timestamps and statistics sample times.
 */
export function normalise(answer: unknown, now: number): unknown {
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === "string") {
      if (key === "timestamp") return "<timestamp>";
      return v.replace(/ ?\(<wire>:\d+:\d+\)/g, "");
    }
    if (typeof v === "number" && key === "cltt" && Math.abs(v - now) < 600) {
      return `now${Math.round((v - now) / 5) * 5 >= 0 ? "+" : ""}${Math.round((v - now) / 5) * 5}`;
    }
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (typeof v === "object" && v !== null) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    }
    return v;
  };
  return walk(answer, "");
}

/** The current value of each statistic in a `statistic-get-all` answer (sample times dropped). */
export function statisticValues(
  answer: ControlAnswer,
  keep: (name: string) => boolean,
): Record<string, unknown> {
  const args = (answer.arguments ?? {}) as Record<string, [unknown, string][]>;
  const out: Record<string, unknown> = {};
  for (const [name, samples] of Object.entries(args)) if (keep(name)) out[name] = samples[0]?.[0];
  return out;
}

/**
 * Sends every step to both servers in turn and asserts, step by step, that the normalised
 * answers are equal (result, text and arguments). Returns Kea's answers.
 */
export async function sameAnswers(
  servers: Record<Who, ControlledServer>,
  steps: readonly Step[],
): Promise<ControlAnswer[]> {
  const answers: ControlAnswer[] = [];
  for (const [i, step] of steps.entries()) {
    const now = Math.floor(Date.now() / 1000);
    const kea = await servers.kea.send(step);
    const nestor = await servers.nestor.send(step);
    const label = `step ${i} ${step.command} ${JSON.stringify(step.arguments ?? null)}${step.note === undefined ? "" : ` (${step.note})`}`;
    assert.deepEqual(normalise(nestor, now), normalise(kea, now), label);
    answers.push(kea);
  }
  return answers;
}
