/**
 * The server benchmark both bench/dhcp4.ts and bench/dhcp6.ts run: a Nestor server against Kea
 * 2.2's, under perfdhcp, as root, in two network namespaces created here and removed at the end,
 * even on failure or a signal. Each script gives a BenchSpec (family, names, the shared
 * configuration, the commands); the method is the same for both:
 *
 * Each measurement waits (at most 10 s, 150 s in all) for the machine to be nearly idle, so that
 * it does not start inside someone else's burst of work; starts the server afresh with an empty
 * lease file; waits until it answers; warms it up (--warmup, 1 s by default); then runs perfdhcp at a fixed rate for
 * a few seconds with ~1e6 simulated clients (nearly every exchange allocates a new lease). One
 * server runs at a time.
 *
 *   1. Highest rate with under 1 % loss (exchanges started by perfdhcp that did not complete,
 *      and perfdhcp must have kept up with the asked rate): a few doubling steps up from
 *      --start-rate, then bisection; a near miss (under 5 % loss) is run once more and the
 *      better run counts; repeated --repeats times per server, alternating servers.
 *   2. CPU seconds of the server process per 1,000 exchanges it completed, at a fixed rate both
 *      sustain (--fixed-rate, or lower if one cannot), in --cpu-repeats clean rounds: a round runs
 *      every server once, one right after the other, in an order reversed from round to round
 *      (Kea, Nestor, Nestor+callouts; then Nestor+callouts, Nestor, Kea), and the ratios (Nestor
 *      over Kea, a variant over Nestor) are taken within each round and reported as the median
 *      of those paired ratios with their spread (bench/lib/paired.ts), so that the machine's
 *      drift over the run cancels. CPU is the scheduler's run time of all the server's threads
 *      (/proc/<pid>/task/<tid>/schedstat: nanoseconds on a CPU, not the 10 ms ticks of
 *      utime/stime, and not the time spent waiting for a CPU); the hardware instruction counter
 *      is used by nothing here, as virtual machines rarely expose it (the report says whether
 *      `perf stat -e instructions` works). Each run's counts are checked: the server's own
 *      statistics over the run (statistic-get-all on the control socket both servers are given)
 *      must show every query perfdhcp sent received and answered, and the server's socket must
 *      have dropped none; a run that is not clean is left out of its round, never averaged in, a
 *      pair counts only the rounds where both its runs were clean, and rounds go on until every
 *      pair has --cpu-repeats (at most twice as many rounds). The servers and perfdhcp run at
 *      --nice (-10 by default), ahead of the machine's other work; with --pin, each server on
 *      CPU 1 and perfdhcp on CPU 0.
 *   3. With --profile (or by default when Nestor's rate is below Kea's): one fixed-rate run of
 *      Nestor under `node --cpu-prof`, and its hot functions; then the same for each variant
 *      (--callouts all, --fdatasync), to compare the shares.
 * With --baseline DIR, another built checkout of Nestor runs as "Nestor@baseline" in every step and
 * round beside this one, on the same configuration: a change's before and after in one sitting,
 * its ratio (Nestor/Nestor@baseline) paired within each round like the others.
 */
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

import { control } from "./control.ts";
import { summariseProfile, type TimeWindow } from "./cpuprofile.ts";
import { TestBed, type TestBedOptions } from "./netns.ts";
import { MESSAGES, lossOf, runPerfdhcp, type Family, type PerfdhcpResult } from "./perfdhcp.ts";
import {
  KEPT_UP,
  fewestPairs,
  formatSpread,
  median,
  pairedRatios,
  repliesUnread,
  roundOrder,
  runProblems,
  spreadOf,
  type Round,
  type RunCounts,
} from "./paired.ts";
import {
  Processes,
  buildDist,
  cpuTimes,
  entryNodeOptions,
  instructionsCountable,
  machineBusySeconds,
  onPath,
  niced,
  schedCounts,
  sleep,
  type SchedCounts,
  type Started,
} from "./processes.ts";
import { serverSummary, writeSummary, type FailedStep, type PairedFigure } from "./summaries.ts";

export const ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const MAX_LOSS = 0.01;
const RETRY_BELOW_LOSS = 0.05;
const QUIET_BELOW_CPUS = 0.3;
const QUIET_WAIT_MS = 10_000;
const QUIET_WAIT_TOTAL_MS = 150_000;
const CLIENTS = 1_000_000;
const WARMUP_RATE = 2000;

/**
 * The servers of a run: Kea 2.2, Nestor, and Nestor's variants asked for on the command line
 * (--callouts all: a hook library with a trivial synchronous callout on every hook point;
 * --fdatasync: `lease-database` `"sync": "fdatasync"`), each on its own configuration file.
 */
type ServerName = "Nestor" | "Kea" | "Nestor+callouts" | "Nestor+fdatasync" | "Nestor@baseline";
type Variant = Exclude<ServerName, "Nestor" | "Kea">;

/** What differs between the v4 and the v6 benchmark. */
export interface BenchSpec {
  family: Family;
  /** The npm script, for messages. */
  script: string;
  /** The test bed: namespace and interface names start with its prefix. */
  bed: TestBedOptions;
  /** Nestor's entry point, relative to the project root (dist/cli/...). */
  nestorCli: string;
  /** Kea's server binary (on PATH) and the Debian package that has it. */
  kea: { command: string; package: string };
  leaseFileName: string;
  /** Addresses in the pool: a step (warm-up and run) never asks for more than 90 % of them. */
  poolSize: number;
  /** The one configuration both servers read. */
  config(o: { iface: string; leaseFile: string; socketType: "raw" | "udp" }): unknown;
  /** Of the configuration, for the report's first line. */
  configSummary: string;
  defaults: { budgetSeconds: number; maxRate: number };
}

export interface Options {
  seconds: number;
  repeats: number;
  startRate: number;
  maxRate: number;
  bisectSteps: number;
  fixedRate: number;
  cpuSeconds: number;
  cpuRepeats: number;
  /**
   * --warmup S: seconds of perfdhcp at min(rate, 2,000/s) before each measured run (default 1),
   * unmeasured: the JIT's compilations and the heap's first growth happen there.
   */
  warmupSeconds: number;
  profile: "auto" | "yes" | "no" | "only";
  /**
   * Where to copy the .cpuprofile (for Chrome DevTools; a variant's: this name and ".<variant>");
   * it is deleted with the temp dir otherwise.
   */
  profileOut: string | undefined;
  build: boolean;
  budgetSeconds: number;
  /** DHCPv4's `dhcp-socket-type` for both servers (--socket-type); "udp" by default. */
  socketType: "raw" | "udp";
  /** --prefix: the bed's names start with it instead of the spec's, so that two runs on one
   *  machine do not remove each other's namespaces. */
  prefix: string | undefined;
  /** Nestor's variants measured beside Nestor and Kea (--callouts all, --fdatasync, --baseline). */
  variants: Variant[];
  /**
   * --baseline DIR: another checkout of Nestor, built (its dist/ and native addon), run as
   * "Nestor@baseline" on the same configuration in the same rounds: a change's before and after
   * paired within each round, so that the machine's drift cancels.
   */
  baseline?: string | undefined;
  /** --cpu-only: no highest-rate search; CPU per exchange at --fixed-rate only. */
  cpuOnly: boolean;
  /** --json FILE: the summary's figures written there (bench/lib/summaries.ts). */
  json?: string | undefined;
  /**
   * --nice N: the scheduling priority of both servers and perfdhcp (default -10; 0 leaves them as
   * they are). On a machine shared with other work, a server preempted for longer than its
   * receive buffer lasts drops queries and its round is rejected; ahead of the other work, the
   * measured processes keep their CPU, and the CPU time they use is not changed by it.
   */
  nice: number;
  /**
   * --pin: each server (every thread of it) on CPU 1 and perfdhcp on CPU 0 (`taskset`), so that
   * neither preempts the other and a server's caches stay its own; both servers alike. Null: no
   * pinning (the default; the machine needs two CPUs for it).
   */
  pin: { server: number; client: number } | null;
}

interface Step {
  rate: number;
  result: PerfdhcpResult;
  loss: number;
  pass: boolean;
  /** perfdhcp started at least 97 % of the exchanges asked for. */
  keptUp: boolean;
  /**
   * Server CPU seconds during the measured run (the scheduler's run time of all its threads,
   * /proc/<pid>/task/<tid>/schedstat), the part spent in the kernel (share of utime/stime ticks,
   * /proc/<pid>/stat), and its context switches.
   */
  cpu: number;
  cpuSystem: number;
  switches: { voluntary: number; involuntary: number };
  /** perfdhcp's counts and the server's statistics over the run, to tell a clean run. */
  counts: RunCounts;
  problems: string[];
  elapsed: number;
  machineBusy: number;
  /**
   * Datagrams dropped by the kernel for a full receive buffer during the run: at the server's
   * socket (queries it never saw) and at perfdhcp's (replies it never saw).
   */
  rcvbufDrops: { server: number; client: number };
  /** The measured run on CLOCK_MONOTONIC, to cut a profile to it. */
  window: TimeWindow;
}

class Bench {
  readonly procs = new Processes();
  readonly bed: TestBed;
  readonly dir: string;
  readonly config: string;
  /** The configuration file of each Nestor variant (Kea and Nestor read `config`). */
  readonly variantConfigs = new Map<Variant, string>();
  readonly leaseFile: string;
  /** Both servers' control socket: the statistics before and after each measured run. */
  readonly socket: string;
  private readonly started = Date.now();
  private seed = 1;
  /** Waiting for a quiet machine is bounded over the whole run too. */
  private quietLeftMs = QUIET_WAIT_TOTAL_MS;

  readonly spec: BenchSpec;
  readonly o: Options;

  constructor(spec: BenchSpec, o: Options) {
    this.spec = spec;
    this.o = o;
    const bed = o.prefix === undefined ? spec.bed : { ...spec.bed, prefix: o.prefix };
    this.bed = new TestBed(bed);
    this.dir = mkdtempSync(join(tmpdir(), `${bed.prefix}-`));
    this.config = join(this.dir, `dhcp${spec.family}.json`);
    this.leaseFile = join(this.dir, spec.leaseFileName);
    this.socket = join(this.dir, "control.sock");
  }

  elapsed(): number {
    return (Date.now() - this.started) / 1000;
  }

  overBudget(): boolean {
    return this.elapsed() > this.o.budgetSeconds;
  }

  writeConfig(): void {
    const config = this.spec.config({
      iface: this.bed.serverIface,
      leaseFile: this.leaseFile,
      socketType: this.o.socketType,
    }) as Record<string, Record<string, unknown>>;
    config[`Dhcp${this.spec.family}`]!["control-socket"] = {
      "socket-type": "unix",
      "socket-name": this.socket,
    };
    writeFileSync(this.config, `${JSON.stringify(config, null, 2)}\n`);
    for (const v of this.o.variants) {
      const file = join(this.dir, `dhcp${this.spec.family}-${v.slice("Nestor+".length)}.json`);
      writeFileSync(
        file,
        `${JSON.stringify(variantConfig(config, v, this.spec.family), null, 2)}\n`,
      );
      this.variantConfigs.set(v, file);
    }
  }

  private startServer(name: ServerName, profileDir?: string): Started {
    rmSync(this.leaseFile, { force: true });
    rmSync(`${this.leaseFile}.2`, { force: true });
    if (name === "Kea") {
      const [cmd, args] = this.bed.exec(
        this.bed.serverNs,
        ...niced(this.o.nice, this.spec.kea.command, ["-c", this.config], this.o.pin?.server),
      );
      return this.procs.start(cmd, args, {
        env: { ...process.env, KEA_PIDFILE_DIR: this.dir, KEA_LOCKFILE_DIR: this.dir },
      });
    }
    // One sample per 250 us (V8's default is 1 ms): ~4 times the samples for a steadier top list.
    const prof =
      profileDir === undefined
        ? []
        : ["--cpu-prof", "--cpu-prof-dir", profileDir, "--cpu-prof-interval", "250"];
    const config = name === "Nestor" ? this.config : this.variantConfigs.get(name)!;
    const entry = join(name === "Nestor@baseline" ? this.o.baseline! : ROOT, this.spec.nestorCli);
    const [cmd, args] = this.bed.exec(
      this.bed.serverNs,
      ...niced(
        this.o.nice,
        process.execPath,
        // The options of the entry's first line, as the installed command starts.
        [...entryNodeOptions(entry), ...prof, entry, "-c", config],
        this.o.pin?.server,
      ),
    );
    return this.procs.start(cmd, args);
  }

  private perfdhcp(rate: number, seconds: number, clients: number, seed: number) {
    const nice = this.o.nice;
    const cpu = this.o.pin?.client;
    return runPerfdhcp(this.bed, this.procs, this.spec.family, {
      ...{ rate, seconds, clients, seed, nice, cpu },
    });
  }

  /** Waits until the server completes one exchange (at most ~10 s). */
  private async ready(name: ServerName, server: Started): Promise<void> {
    let exited = false;
    void server.exited.then(() => (exited = true));
    for (let i = 0; i < 20 && !exited; i++) {
      const probe = await this.perfdhcp(20, 1, 1000, 7);
      if (probe.completed > 0) return;
      await sleep(100);
    }
    await this.procs.stop(server);
    throw new Error(`${name} did not start or never answered:\n${server.output().slice(-3000)}`);
  }

  /**
   * Waits (at most QUIET_WAIT_MS) until the machine's other work leaves the CPUs nearly idle, so
   * that a run does not start in the middle of someone else's burst.
   */
  private async quiet(): Promise<void> {
    const start = Date.now();
    const deadline = start + Math.min(QUIET_WAIT_MS, this.quietLeftMs);
    let busy = Infinity;
    try {
      while (Date.now() < deadline) {
        const b0 = machineBusySeconds();
        await sleep(500);
        busy = (machineBusySeconds() - b0) / 0.5;
        if (busy < QUIET_BELOW_CPUS) return;
      }
      console.log(`  (machine still busy with other work: ${busy.toFixed(2)} CPUs; going on)`);
    } finally {
      this.quietLeftMs -= Date.now() - start;
    }
  }

  /** One measurement on a fresh server; `profileDir` runs Nestor under --cpu-prof. */
  async step(name: ServerName, rate: number, seconds: number, profileDir?: string): Promise<Step> {
    await this.quiet();
    const server = this.startServer(name, profileDir);
    try {
      await this.ready(name, server);
      const seed = this.seed++;
      await this.perfdhcp(
        Math.min(rate, WARMUP_RATE),
        this.o.warmupSeconds,
        CLIENTS,
        seed + 100_000,
      );
      const srvDrops0 = this.bed.udpRcvbufErrors(this.bed.serverNs);
      const cliDrops0 = this.bed.udpRcvbufErrors(this.bed.clientNs);
      const stats0 = await this.statistics();
      const cpu0 = cpuTimes(server.pid);
      const sched0 = schedCounts(server.pid);
      const busy0 = machineBusySeconds();
      const t0 = performance.now();
      const fromUs = monotonicUs();
      const result = await this.perfdhcp(rate, seconds, CLIENTS, seed);
      const window = { fromUs, toUs: monotonicUs() };
      const elapsed = (performance.now() - t0) / 1000;
      const sched1 = schedCounts(server.pid);
      const cpu1 = cpuTimes(server.pid);
      const stats1 = await this.statistics();
      const cpu = (sched1.runNs - sched0.runNs) / 1e9;
      const ticks = cpu1.user + cpu1.system - cpu0.user - cpu0.system;
      const cpuSystem = ticks > 0 ? (cpu * (cpu1.system - cpu0.system)) / ticks : 0;
      const switches = switchesBetween(sched0, sched1);
      const machineBusy = (machineBusySeconds() - busy0) / elapsed;
      const rcvbufDrops = {
        server: this.bed.udpRcvbufErrors(this.bed.serverNs) - srvDrops0,
        client: this.bed.udpRcvbufErrors(this.bed.clientNs) - cliDrops0,
      };
      const loss = lossOf(result);
      const keptUp = result.started >= KEPT_UP * rate * seconds;
      const pass = loss < MAX_LOSS && keptUp;
      const counts: RunCounts = {
        asked: rate * seconds,
        ...result,
        server:
          stats0 === null || stats1 === null
            ? null
            : {
                received: stats1.received - stats0.received,
                firstSent: stats1.firstSent - stats0.firstSent,
                doneSent: stats1.doneSent - stats0.doneSent,
              },
        rcvbufDrops,
      };
      const problems = runProblems(counts);
      return {
        ...{ rate, result, loss, pass, keptUp, cpu, cpuSystem, elapsed, machineBusy, window },
        ...{ rcvbufDrops, switches, counts, problems },
      };
    } finally {
      const code = await this.procs.stop(server);
      if (code !== 0 && code !== 143) {
        console.log(`  (${name} exited with ${code}: ${server.output().slice(-500).trim()})`);
      }
    }
  }

  /** The server's packet counters (statistic-get-all over the control socket), or null. */
  private async statistics(): Promise<{
    received: number;
    firstSent: number;
    doneSent: number;
  } | null> {
    const f = this.spec.family;
    const [first, done] = f === 4 ? ["offer", "ack"] : ["advertise", "reply"];
    try {
      const answer = JSON.parse(
        await control(this.socket, '{ "command": "statistic-get-all" }', 10_000),
      ) as { arguments?: Record<string, [number, string][]> };
      const value = (name: string) => answer.arguments?.[name]?.[0]?.[0] ?? 0;
      return {
        received: value(`pkt${f}-received`),
        firstSent: value(`pkt${f}-${first}-sent`),
        doneSent: value(`pkt${f}-${done}-sent`),
      };
    } catch {
      return null;
    }
  }

  printStep(name: ServerName, s: Step, note = "", showProblems = false): void {
    const r = s.result;
    const m = MESSAGES[this.spec.family];
    const verdict = s.pass ? "pass" : s.keptUp ? "FAIL" : "FAIL*";
    const usPerExchange = (s.cpu * 1e6) / Math.max(exchanges(s), 1);
    console.log(
      `  ${name.padEnd(6)} ${String(s.rate).padStart(6)}/s  ${m.start} ${String(r.started).padStart(6)}` +
        `  ${m.done} ${String(r.completed).padStart(6)}  loss ${(s.loss * 100).toFixed(2).padStart(6)} %` +
        `  ${verdict.padEnd(5)}  server CPU ${(s.cpu / s.elapsed).toFixed(2)}` +
        ` (${usPerExchange.toFixed(1).padStart(5)} us/exchange,` +
        ` ${((s.cpuSystem / Math.max(s.cpu, 1e-9)) * 100).toFixed(0).padStart(2)} % kernel,` +
        ` ${((s.switches.voluntary + s.switches.involuntary) / Math.max(exchanges(s), 1)).toFixed(2)}` +
        ` switches/exchange, ${s.switches.involuntary} involuntary)` +
        `  machine busy ${s.machineBusy.toFixed(2)}/${cpus().length}` +
        `  rcvbuf drops ${s.rcvbufDrops.server}/${s.rcvbufDrops.client}` +
        `  unread replies ${repliesUnread(s.counts)}${note}` +
        (showProblems && s.problems.length > 0
          ? `\n      not clean: ${s.problems.join("; ")}`
          : ""),
    );
  }

  /**
   * Whether `name` sustains `rate`. A near miss (under 5 % loss) is run once more and the better
   * of the two counts: on a shared 2-core machine a burst of someone else's work can sink one run.
   */
  private async sustains(name: ServerName, rate: number): Promise<Step> {
    const s = await this.step(name, rate, this.o.seconds);
    this.printStep(name, s);
    if (s.pass || s.loss >= RETRY_BELOW_LOSS || this.overBudget()) return s;
    const again = await this.step(name, rate, this.o.seconds);
    this.printStep(name, again, "  (again)");
    return again;
  }

  /**
   * Highest rate with under 1 % loss: doubling steps up, then bisection; bounded. With it, what
   * the server did at the lowest rate that failed (null when none did): whether the server or
   * the bed was the limit.
   */
  async maxRate(name: ServerName): Promise<{ rate: number; failed: FailedStep | null }> {
    const { startRate, maxRate, bisectSteps } = this.o;
    let lo = 0;
    let hi = Infinity;
    let failed: FailedStep | null = null;
    const fail = (s: Step) => {
      hi = s.rate;
      failed = {
        rate: s.rate,
        serverCpu: s.cpu / s.elapsed,
        serverDrops: s.rcvbufDrops.server,
        clientDrops: s.rcvbufDrops.client,
        loss: s.loss,
      };
    };
    let rate = startRate;
    for (let i = 0; i < 6; i++) {
      const s = await this.sustains(name, rate);
      if (s.pass) {
        lo = rate;
        if (rate >= maxRate) return { rate: lo, failed };
        if (hi !== Infinity) break;
        rate = Math.min(rate * 2, maxRate);
      } else {
        fail(s);
        if (lo > 0) break;
        rate = round100(rate / 2);
        if (rate < 200) return { rate: 0, failed };
      }
    }
    for (let i = 0; i < bisectSteps && hi - lo > Math.max(100, 0.05 * lo); i++) {
      if (this.overBudget()) break;
      const mid = round100((lo + hi) / 2);
      if (mid <= lo || mid >= hi) break;
      const s = await this.sustains(name, mid);
      if (s.pass) lo = mid;
      else fail(s);
    }
    return { rate: lo, failed };
  }
}

/**
 * A Nestor variant's configuration: the shared one with the hook library of bench/hooks/ (one
 * trivial synchronous callout on every hook point of the family) or with `"sync": "fdatasync"`.
 */
function variantConfig(config: unknown, v: Variant, family: Family): unknown {
  const copy = structuredClone(config) as Record<string, Record<string, unknown>>;
  const top = copy[`Dhcp${family}`]!;
  if (v === "Nestor@baseline") return copy;
  if (v === "Nestor+callouts") {
    top["hooks-libraries"] = [{ library: join(ROOT, `bench/hooks/callouts-all${family}.mjs`) }];
  } else {
    top["lease-database"] = { ...(top["lease-database"] as object), sync: "fdatasync" };
  }
  return copy;
}

/**
 * Exchanges the server handled in a run: half the queries it received when its statistics could
 * be read (replies perfdhcp did not read cost the server the same), else perfdhcp's count.
 */
function exchanges(s: Step): number {
  const received = s.counts.server?.received;
  return received === undefined ? s.result.completed : received / 2;
}

/** The 1, 5 and 15 minute load averages (/proc/loadavg), for the report. */
function loadAverage(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

function switchesBetween(a: SchedCounts, b: SchedCounts) {
  return {
    voluntary: b.voluntarySwitches - a.voluntarySwitches,
    involuntary: b.involuntarySwitches - a.involuntarySwitches,
  };
}

function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function round100(x: number): number {
  return Math.max(100, Math.round(x / 100) * 100);
}

function spread(xs: readonly number[], digits = 0): string {
  if (xs.length === 0) return "-";
  const f = (x: number) => x.toFixed(digits);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const pct = median(xs) === 0 ? 0 : ((hi - lo) / median(xs)) * 100;
  return `median ${f(median(xs))} (${xs.map(f).join(", ")}; range ${pct.toFixed(0)} %)`;
}

function preflight(spec: BenchSpec, o: Options): void {
  if (process.getuid?.() !== 0) {
    throw new Error(`${spec.script} needs root (network namespaces)`);
  }
  for (const cmd of ["ip", "perfdhcp", spec.kea.command]) {
    if (!onPath(cmd)) {
      throw new Error(`${cmd} not found: install iproute2, kea-admin and ${spec.kea.package}`);
    }
  }
  if (o.build) buildDist(ROOT);
  if (!existsSync(join(ROOT, spec.nestorCli))) {
    throw new Error(`${spec.nestorCli} missing: npm run build`);
  }
  for (const root of o.baseline === undefined ? [ROOT] : [ROOT, o.baseline]) {
    if (!existsSync(join(root, "native/build/Release/nestor_net.node"))) {
      console.log(`WARNING: native addon not built in ${root}; Nestor falls back to node:dgram`);
    }
  }
}

function parseOptions(spec: BenchSpec): Options {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "4" },
      repeats: { type: "string", default: "3" },
      "start-rate": { type: "string", default: "4000" },
      "max-rate": { type: "string", default: String(spec.defaults.maxRate) },
      "bisect-steps": { type: "string", default: "4" },
      "fixed-rate": { type: "string", default: "4000" },
      "cpu-seconds": { type: "string", default: "10" },
      warmup: { type: "string", default: "1" },
      "cpu-repeats": { type: "string", default: "5" },
      profile: { type: "boolean" },
      "no-profile": { type: "boolean" },
      "profile-only": { type: "boolean" },
      "profile-out": { type: "string" },
      "no-build": { type: "boolean" },
      budget: { type: "string", default: String(spec.defaults.budgetSeconds) },
      "socket-type": { type: "string", default: "udp" },
      prefix: { type: "string" },
      callouts: { type: "string" },
      fdatasync: { type: "boolean" },
      "cpu-only": { type: "boolean" },
      json: { type: "string" },
      baseline: { type: "string" },
      nice: { type: "string", default: "-10" },
      pin: { type: "boolean" },
    },
  });
  if (values.callouts !== undefined && values.callouts !== "all") {
    throw new Error(
      `--callouts takes only "all" (a callout on every hook point), not ${values.callouts}`,
    );
  }
  const variants: Variant[] = [];
  if (values.callouts === "all") variants.push("Nestor+callouts");
  if (values.fdatasync === true) variants.push("Nestor+fdatasync");
  const baseline = values.baseline === undefined ? undefined : resolve(values.baseline);
  if (baseline !== undefined) {
    if (!existsSync(join(baseline, spec.nestorCli))) {
      throw new Error(
        `--baseline ${baseline}: no ${spec.nestorCli} there (run npm ci or npm run build in it)`,
      );
    }
    variants.push("Nestor@baseline");
  }
  const prefix = values.prefix;
  if (prefix !== undefined && !/^[a-z][a-z0-9]{0,9}$/.test(prefix)) {
    throw new Error(`--prefix must be 1 to 10 lower-case letters and digits, not ${prefix}`);
  }
  const socketType = values["socket-type"];
  if (socketType !== "raw" && socketType !== "udp") {
    throw new Error(`--socket-type must be raw or udp, not ${socketType}`);
  }
  const int = (v: string, lo: number, hi: number) =>
    Math.min(Math.max(Math.round(Number(v)), lo), hi);
  const seconds = int(values.seconds, 1, 30);
  const warmupSeconds = int(values.warmup, 1, 10);
  return {
    seconds,
    repeats: int(values.repeats, 1, 5),
    startRate: int(values["start-rate"], 200, 50_000),
    // Every step must fit in the pool: warm-up plus the measured run.
    maxRate: Math.min(
      int(values["max-rate"], 200, 50_000),
      round100((spec.poolSize * 0.9) / (seconds + warmupSeconds)),
    ),
    bisectSteps: int(values["bisect-steps"], 0, 8),
    fixedRate: int(values["fixed-rate"], 200, 20_000),
    cpuSeconds: int(values["cpu-seconds"], 2, 30),
    cpuRepeats: int(values["cpu-repeats"], 1, 15),
    warmupSeconds,
    profile:
      values["profile-only"] === true
        ? "only"
        : values.profile === true
          ? "yes"
          : values["no-profile"] === true
            ? "no"
            : "auto",
    profileOut: values["profile-out"],
    build: values["no-build"] !== true,
    budgetSeconds: int(values.budget, 60, 3600),
    socketType,
    prefix,
    variants,
    cpuOnly: values["cpu-only"] === true,
    json: values.json,
    baseline,
    nice: int(values.nice, -20, 19),
    pin: values.pin === true ? pinning() : null,
  };
}

/** --pin's CPUs: the server on 1, perfdhcp on 0; refused on a machine with one CPU. */
function pinning(): { server: number; client: number } {
  if (availableParallelism() < 2) throw new Error("--pin needs at least two CPUs");
  if (!onPath("taskset")) throw new Error("--pin needs taskset (util-linux)");
  return { server: 1, client: 0 };
}

/** Runs the whole benchmark of `spec` and prints its report; resolves with the exit code. */
export async function runBench(spec: BenchSpec): Promise<number> {
  const o = parseOptions(spec);
  preflight(spec, o);
  const bench = new Bench(spec, o);
  const cleanUp = () => {
    bench.procs.killAllNow();
    bench.bed.destroy();
    rmSync(bench.dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    cleanUp();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const m = MESSAGES[spec.family];
  try {
    bench.bed.create();
    bench.writeConfig();
    console.log(
      `perfdhcp -${spec.family} from ${bench.bed.clientNs} against each server in ` +
        `${bench.bed.serverNs}; same configuration (${spec.configSummary}, a unix control socket` +
        `${spec.family === 4 ? `, dhcp-socket-type ${o.socketType}` : ""})`,
    );
    console.log(
      `steps of ${o.seconds} s after ${o.warmupSeconds} s warm-up, fresh server and empty lease file each; ` +
        `pass = under ${MAX_LOSS * 100} % loss (${m.start}s without their ${m.done}) and perfdhcp kept ` +
        `up (FAIL* = it did not); rcvbuf drops = datagrams the kernel dropped at a full receive ` +
        `buffer, server/perfdhcp`,
    );

    // 1. Highest rate with under 1 % loss, servers alternating.
    const servers: ServerName[] = ["Kea", "Nestor", ...o.variants];
    const perServer = () =>
      Object.fromEntries(servers.map((n) => [n, [] as number[]])) as Record<ServerName, number[]>;
    const max = perServer();
    const failedAt = Object.fromEntries(servers.map((n) => [n, [] as FailedStep[]])) as Record<
      ServerName,
      FailedStep[]
    >;
    const rounds = o.profile === "only" || o.cpuOnly ? 0 : o.repeats;
    for (let r = 0; r < rounds; r++) {
      const order = roundOrder(servers, r);
      for (const name of order) {
        if (r > 0 && bench.overBudget()) break;
        console.log(`\nmax rate, ${name}, round ${r + 1}`);
        const { rate, failed } = await bench.maxRate(name);
        max[name].push(rate);
        if (failed !== null) failedAt[name].push(failed);
        console.log(`  => ${name}: ${rate}/s`);
      }
    }
    const maxN = median(max.Nestor);
    const maxK = median(max.Kea);

    // 2. CPU per 1,000 exchanges at a rate both sustain.
    const both = Math.min(maxN, maxK);
    const fixed =
      o.profile === "only" || o.cpuOnly || both >= o.fixedRate
        ? o.fixedRate
        : Math.max(200, Math.floor((both * 0.9) / 500) * 500 || 200);
    // Rounds of every server in alternating order. A run that was not clean (a query the server
    // did not receive or answer, by perfdhcp's counts and the server's statistics) is left out of
    // its round; a pair of servers counts the rounds where both runs were clean, and rounds go on
    // until every pair has --cpu-repeats of them, at most twice as many rounds as asked.
    const cpu = perServer();
    const cpuLoss = perServer();
    const kernel = perServer();
    const clean: Round[] = [];
    let rejected = 0;
    const cpuRounds = o.profile === "only" ? 0 : o.cpuRepeats;
    const pairs: [ServerName, ServerName][] = [
      ...servers.slice(1).map((n): [ServerName, ServerName] => [n, "Kea"]),
      ...o.variants.map((v): [ServerName, ServerName] =>
        v === "Nestor@baseline" ? ["Nestor", v] : [v, "Nestor"],
      ),
    ];
    if (cpuRounds > 0) {
      console.log(
        `\nCPU at ${fixed}/s for ${o.cpuSeconds} s, ${cpuRounds} clean pair(s) of ` +
          `${pairs.map((p) => p.join("/")).join(", ")}, servers in alternating order; CPU = the ` +
          `scheduler's run time of the server's threads; hardware instruction counts: ` +
          `${instructionsCountable() ? "available (not used)" : "not exposed on this machine"}; ` +
          `${o.nice === 0 ? "default priority" : `servers and perfdhcp at nice ${o.nice}`}; ` +
          `${o.pin === null ? "" : `servers on CPU ${o.pin.server}, perfdhcp on CPU ${o.pin.client}; `}` +
          `load average ${loadAverage()}`,
      );
    }
    for (let r = 0; fewestPairs(clean, pairs) < cpuRounds && r < 2 * cpuRounds; r++) {
      // The budget stops the rounds only once three pairs are clean: fewer say little.
      if (fewestPairs(clean, pairs) >= Math.min(3, cpuRounds) && bench.overBudget()) break;
      const round: Record<string, number> = {};
      console.log(`  round ${r + 1}`);
      for (const name of roundOrder(servers, r)) {
        const s = await bench.step(name, fixed, o.cpuSeconds);
        const per1000 = s.cpu / (exchanges(s) / 1000);
        bench.printStep(name, s, `  => ${per1000.toFixed(4)} CPU s / 1,000`, true);
        if (s.problems.length > 0) {
          rejected++;
          console.log(`      ${name}'s run left out of round ${r + 1} (not clean)`);
          continue;
        }
        round[name] = per1000;
        cpu[name].push(per1000);
        cpuLoss[name].push(s.loss);
        kernel[name].push(s.cpuSystem / s.cpu);
      }
      clean.push(round);
    }
    const paired: Record<string, PairedFigure> = {};
    for (const [a, b] of pairs) {
      const ratios = pairedRatios(clean, a, b);
      if (ratios.length > 0) paired[`${a}/${b}`] = { ratios, ...spreadOf(ratios) };
    }

    // 3. Profile of Nestor at the fixed rate (and of each variant, to compare the shares).
    const profile =
      o.profile === "yes" || o.profile === "only" || (o.profile === "auto" && maxN < maxK);
    let profileText = "";
    if (profile) {
      for (const name of ["Nestor", ...o.variants] as ServerName[]) {
        const dir = join(bench.dir, `profile-${name.replace(/\W/g, "-")}`);
        console.log(`\nprofiling ${name} (node --cpu-prof) at ${fixed}/s for ${o.cpuSeconds} s`);
        const s = await bench.step(name, fixed, o.cpuSeconds, dir);
        bench.printStep(name, s, "  (under the profiler)");
        const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
        profileText += `${name}'s hot functions at ${fixed}/s:\n`;
        if (file === undefined) profileText += "  no .cpuprofile written\n";
        else {
          profileText += `${formatProfile(join(dir, file), s.window)}\n`;
          const out = o.profileOut;
          if (out !== undefined) {
            copyFileSync(join(dir, file), name === "Nestor" ? out : `${out}.${name}`);
          }
        }
      }
    }

    // Summary.
    const line = "-".repeat(96);
    console.log(`\n${line}`);
    if (o.profile === "only") {
      console.log(profileText);
      return 0;
    }
    const label = (n: ServerName) => (n === "Kea" ? "Kea 2.2" : n).padEnd(17);
    const ratios = (of: Record<ServerName, number[]>, a: ServerName, b: ServerName) => {
      const per = of[a].map((n, i) => n / (of[b][i] ?? NaN)).filter(Number.isFinite);
      return `${(median(of[a]) / median(of[b])).toFixed(2)} (per round: ${per.map((x) => x.toFixed(2)).join(", ")})`;
    };
    if (!o.cpuOnly) {
      console.log(`highest rate with under 1 % loss (exchanges/s), ${o.repeats} round(s) each:`);
      for (const name of servers) console.log(`  ${label(name)}${spread(max[name])}`);
      console.log(
        "  at the lowest rate that failed, per round: server CPU, rcvbuf drops server/perfdhcp",
      );
      for (const name of servers) {
        const f = failedAt[name];
        if (f.length === 0) continue;
        console.log(
          `  ${label(name)}` +
            f
              .map(
                (x) =>
                  `${x.rate}/s: CPU ${x.serverCpu.toFixed(2)}, drops ${x.serverDrops}/${x.clientDrops}`,
              )
              .join("; "),
        );
      }
      for (const name of servers.slice(1)) {
        console.log(`  ratio ${name}/Kea ${ratios(max, name, "Kea")}`);
      }
      for (const v of o.variants) {
        if (v === "Nestor@baseline") {
          console.log(`  ratio Nestor/${v} ${ratios(max, "Nestor", v)}`);
        } else console.log(`  ratio ${v}/Nestor ${ratios(max, v, "Nestor")}`);
      }
    }
    console.log(
      `CPU seconds per 1,000 exchanges at ${fixed}/s, ${clean.length} clean round(s) of ` +
        `${o.cpuSeconds} s (${rejected} run(s) left out for drops), load average now ${loadAverage()}:`,
    );
    for (const name of servers) {
      console.log(
        `  ${label(name)}${spread(cpu[name], 4)}` +
          `  in kernel ${(median(kernel[name]) * 100).toFixed(0)} %  loss ${fmtLoss(cpuLoss[name])}`,
      );
    }
    console.log("  paired ratios (within each round): median (min-max, interquartile, range)");
    for (const [key, p] of Object.entries(paired)) {
      console.log(`  ${key.padEnd(24)}${formatSpread(p)}`);
      console.log(`  ${"".padEnd(24)}per round: ${p.ratios.map((x) => x.toFixed(3)).join(", ")}`);
    }
    if (profileText !== "") console.log(profileText);
    console.log(`${line}\ntotal ${bench.elapsed().toFixed(0)} s`);
    writeSummary(o.json, {
      ...serverSummary(spec.family, fixed, max, cpu),
      cpuSeconds: o.cpuSeconds,
      rejectedRuns: rejected,
      paired,
      failedAt,
    });
    return 0;
  } finally {
    await bench.procs.stopAll();
    cleanUp();
  }
}

function fmtLoss(xs: readonly number[]): string {
  return xs.map((x) => `${(x * 100).toFixed(2)} %`).join(", ");
}

/** Where the hooks framework, the servers' hook dispatch and the bench's callouts are. */
const HOOK_CODE = /^(dist\/hooks\/|dist\/dhcpsrv\/processing\/hook-point\.js|bench\/hooks\/)/;

function formatProfile(file: string, window: TimeWindow): string {
  const p = summariseProfile(file, ROOT, window);
  const row = (f: { name: string; where: string; self: number; total: number }) =>
    `    ${(f.self * 100).toFixed(1).padStart(5)} %  ${(f.total * 100).toFixed(1).padStart(5)} %  ${f.name}  ${f.where}`;
  const bySelf = [...p.functions].sort((a, b) => b.self - a.self).slice(0, 15);
  const ours = p.functions
    .filter((f) => f.where.startsWith("dist/") || f.where.startsWith("src/"))
    .sort((a, b) => b.total - a.total)
    .slice(0, 15);
  const hooks = p.functions.filter((f) => HOOK_CODE.test(f.where)).reduce((a, f) => a + f.self, 0);
  return [
    `  ${p.busySamples} busy samples, idle ${(p.idleShare * 100).toFixed(0)} % of all, during the measured run; shares of busy samples`,
    `  the hooks framework and the hook dispatch (dist/hooks/, hook-point.js, bench/hooks/): ${(hooks * 100).toFixed(1)} % self`,
    "  (V8 samples wall time while not idle: a native call's share holds its syscalls' kernel time",
    "  and any time the thread was preempted inside it, e.g. by the client a send woke up)",
    "  by self time:   self    total",
    ...bySelf.map(row),
    "  Nestor's own functions by total time:   self    total",
    ...ours.map(row),
  ].join("\n");
}

/** For a script's last line: runs the benchmark and sets the exit code, printing any failure. */
export async function main(spec: BenchSpec): Promise<void> {
  process.exitCode = await runBench(spec).catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return 1;
  });
}
