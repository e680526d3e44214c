/**
 * A test bed of network namespaces joined by veth pairs, and the processes run inside them.
 *
 * Every name is unique to this process and test (`n4e-<pid>-<n>-<role>` for namespaces,
 * `n4e<pid><n><role>` for interfaces, at most 15 characters; a suite may give its own prefix
 * instead of `n4e`, as the v6 suite does with `n6e`), so that beds of several tests and of
 * other suites running at the same time never meet. Interfaces are created directly inside
 * their namespaces, so the host's namespace never sees them. `close()` stops every process the
 * bed started (by PID, SIGTERM then SIGKILL) and deletes its namespaces, which removes the veth
 * pairs with them; it is meant for a `finally` or `after`, and never throws. Should the test
 * process itself be interrupted (SIGINT, SIGTERM) or exit with beds still open, the same clean-up
 * runs synchronously before it goes.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A program the suite needs and the Debian package that provides it. */
export interface Prerequisite {
  program: string;
  debianPackage: string;
}

const SEARCH_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** The absolute path of an executable found in PATH or the usual sbin directories, or null. */
export function findProgram(name: string): string | null {
  for (const dir of [...(process.env.PATH ?? "").split(":"), ...SEARCH_PATH]) {
    if (dir === "") continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return null;
}

/** A program by its absolute path when it can be found (PATH may lack the sbin directories). */
export function bin(name: string): string {
  return findProgram(name) ?? name;
}

/**
 * Throws an Error naming every missing prerequisite and how to install it: the suite fails, it
 * never skips.
 */
export function requirePrerequisites(programs: readonly Prerequisite[]): void {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root (network namespaces need it: run as root)");
  const packages = new Set<string>();
  for (const p of programs) {
    if (findProgram(p.program) === null) {
      missing.push(`${p.program} (Debian package ${p.debianPackage})`);
      packages.add(p.debianPackage);
    }
  }
  if (missing.length === 0) return;
  const install =
    packages.size > 0 ? `; install with: apt-get install -y ${[...packages].join(" ")}` : "";
  throw new Error(`end-to-end prerequisites missing: ${missing.join("; ")}${install}`);
}

/** Runs a command to completion (bounded by `timeoutMs`); throws with its output on failure. */
export function run(cmd: string, args: readonly string[], timeoutMs = 10_000): string {
  const r = spawnSync(bin(cmd), args, { encoding: "utf8", timeout: timeoutMs });
  if (r.error !== undefined) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}: ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

/** Waits until `check` returns a value other than undefined, polling, at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined,
  timeoutMs: number,
  describeState: () => string = () => "",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) {
      const state = describeState();
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${state ? `\n${state}` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The IPv4 address (without its length) on an interface that starts with `prefix`
 * ("198.51.100."), once there is one, at most `timeoutMs`.
 */
export async function addressOn(
  bed: TestBed,
  ns: string,
  ifname: string,
  prefix: string,
  timeoutMs = 30_000,
): Promise<string> {
  return waitFor(
    `an address in ${prefix}* on ${ifname}`,
    () =>
      bed
        .addresses(ns, ifname)
        .find((a) => a.startsWith(prefix))
        ?.split("/")[0],
    timeoutMs,
    () => bed.describe(),
  );
}

/**
 * The last of the rows `rows()` reads (a lease file's) that satisfies `pred`, once there is one,
 * at most `timeoutMs`; on a timeout, the rows and what the bed's processes printed.
 */
export async function lastRow<R>(
  bed: TestBed,
  what: string,
  rows: () => readonly R[],
  pred: (row: R) => boolean,
  timeoutMs = 20_000,
): Promise<R> {
  return waitFor(
    what,
    () => rows().findLast(pred),
    timeoutMs,
    () =>
      `lease file:\n${rows()
        .map((r) => JSON.stringify(r))
        .join("\n")}\n${bed.describe()}`,
  );
}

/** A process started inside a namespace, with everything it printed. */
export class Proc {
  output = "";
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  readonly label: string;
  readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(label: string, child: ChildProcess) {
    this.label = label;
    this.child = child;
    child.stdout?.on("data", (b: Buffer) => (this.output += b.toString()));
    child.stderr?.on("data", (b: Buffer) => (this.output += b.toString()));
    this.exited = new Promise((resolve) => {
      child.on("error", (e) => {
        this.output += `\n[spawn error: ${e.message}]`;
        resolve();
      });
      child.on("close", (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
    });
  }

  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null && this.child.exitCode === null;
  }

  /** Sends a signal to this process only (its own PID). */
  signal(sig: NodeJS.Signals): void {
    if (this.running && this.child.pid !== undefined) this.child.kill(sig);
  }

  /** Waits for the output to match, at most `timeoutMs`; fails early if the process exits. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return waitFor(
      `${this.label} to print ${pattern}`,
      () => {
        const m = this.output.match(pattern);
        if (m !== null) return m;
        if (!this.running) {
          throw new Error(
            `${this.label} exited (${this.exitCode ?? this.exitSignal}):\n${this.output}`,
          );
        }
        return undefined;
      },
      timeoutMs,
      () => `${this.label} output:\n${this.output}`,
    );
  }

  /** Resolves when the process has exited, or after `timeoutMs` with false. */
  async waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const done = await Promise.race([this.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return done;
  }

  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    this.signal("SIGTERM");
    if (await this.waitExit(graceMs)) return;
    this.signal("SIGKILL");
    await this.waitExit(2000);
  }
}

let bedCount = 0;
const openBeds = new Set<TestBed>();
let exitHandlersInstalled = false;

/** Clean-up of whatever beds are still open when the test process exits or is interrupted. */
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  const closeAll = () => {
    for (const bed of openBeds) bed.closeSync();
  };
  process.once("exit", closeAll);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      closeAll();
      process.exit(sig === "SIGINT" ? 130 : 143);
    });
  }
}

/** The PIDs of the processes inside a namespace (`ip netns pids`). */
function pidsIn(ns: string): number[] {
  const r = spawnSync(bin("ip"), ["netns", "pids", ns], { encoding: "utf8", timeout: 5000 });
  if (r.status !== 0) return [];
  return r.stdout
    .split("\n")
    .filter((l) => /^\d+$/.test(l))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

function killQuietly(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** One test's namespaces, links, temporary directory and processes. */
export class TestBed {
  readonly dir: string;
  private readonly id: string;
  private readonly namespaces: string[] = [];
  private readonly procs: Proc[] = [];
  private readonly closers: (() => void)[] = [];
  private ifCount = 0;
  readonly title: string;
  /** What every name of the bed starts with: "n4e" (the v4 suite), "n6e" (the v6 suite). */
  private readonly namePrefix: string;

  constructor(title: string, prefix = "n4e") {
    this.title = title;
    this.namePrefix = prefix;
    bedCount += 1;
    this.id = `${process.pid}-${bedCount}`;
    this.dir = mkdtempSync(join(tmpdir(), `${prefix}-${this.id}-`));
    installExitHandlers();
    openBeds.add(this);
  }

  /** Something else to undo at close (a file a client left outside the test's directory). */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  /** Creates a namespace with its loopback up; returns its name. */
  namespace(role: string): string {
    const name = `${this.namePrefix}-${this.id}-${role}`;
    run("ip", ["netns", "add", name]);
    this.namespaces.push(name);
    run("ip", ["-n", name, "link", "set", "lo", "up"]);
    return name;
  }

  /** No duplicate address detection in `ns`: IPv6 addresses, link-local ones too, usable at once. */
  noDad(ns: string): void {
    this.exec(ns, "sysctl", [
      "-q",
      "-w",
      "net.ipv6.conf.all.accept_dad=0",
      "net.ipv6.conf.default.accept_dad=0",
    ]);
  }

  /** A fresh interface name, unique on this machine: `<prefix><pid><n><role>`. */
  ifname(role: string): string {
    this.ifCount += 1;
    const name = `${this.namePrefix}${process.pid.toString(36)}${bedCount.toString(36)}${this.ifCount.toString(36)}${role}`;
    if (name.length > 15) throw new Error(`interface name too long: ${name}`);
    return name;
  }

  /**
   * A veth pair between two namespaces, both ends up. `a.address`/`b.address` are CIDR addresses
   * to configure (none when omitted), `mac` a hardware address to set.
   */
  link(a: LinkEnd, b: LinkEnd): { a: string; b: string } {
    const an = this.ifname(a.role);
    const bn = this.ifname(b.role);
    run("ip", [
      "link",
      "add",
      an,
      "netns",
      a.ns,
      "type",
      "veth",
      "peer",
      "name",
      bn,
      "netns",
      b.ns,
    ]);
    for (const [end, name] of [
      [a, an],
      [b, bn],
    ] as const) {
      if (end.mac !== undefined) run("ip", ["-n", end.ns, "link", "set", name, "address", end.mac]);
      if (end.master !== undefined) {
        run("ip", ["-n", end.ns, "link", "set", name, "master", end.master]);
      }
      if (end.address !== undefined) {
        run("ip", ["-n", end.ns, "addr", "add", end.address, "dev", name]);
      }
      run("ip", ["-n", end.ns, "link", "set", name, "up"]);
    }
    return { a: an, b: bn };
  }

  /** A bridge (a switch) in `ns`, up; links join it with `master`. */
  bridge(ns: string): string {
    const name = this.ifname("br");
    run("ip", ["-n", ns, "link", "add", name, "type", "bridge"]);
    run("ip", ["-n", ns, "link", "set", name, "up"]);
    return name;
  }

  /** Runs a command in a namespace to completion. */
  exec(ns: string, cmd: string, args: readonly string[], timeoutMs = 10_000): string {
    return run("ip", ["netns", "exec", ns, bin(cmd), ...args], timeoutMs);
  }

  /**
   * Starts a long-running process in a namespace. `ip netns exec` execs the program, so the PID
   * is the program's own.
   */
  spawn(label: string, ns: string, cmd: string, args: readonly string[]): Proc {
    const child = spawn(bin("ip"), ["netns", "exec", ns, bin(cmd), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: this.dir,
    });
    const proc = new Proc(label, child);
    this.procs.push(proc);
    return proc;
  }

  /** The IPv4 addresses (CIDR) on an interface. */
  addresses(ns: string, ifname: string): string[] {
    const out = run("ip", ["-n", ns, "-4", "-o", "addr", "show", "dev", ifname]);
    return [...out.matchAll(/\binet (\d+\.\d+\.\d+\.\d+\/\d+)/g)].map((m) => m[1]!);
  }

  /** The global IPv6 addresses (CIDR) on an interface (link-local ones left out). */
  addresses6(ns: string, ifname: string): string[] {
    const out = run("ip", ["-n", ns, "-6", "-o", "addr", "show", "dev", ifname, "scope", "global"]);
    return [...out.matchAll(/\binet6 ([0-9a-f:]+\/\d+)/g)].map((m) => m[1]!);
  }

  /** Everything the bed's processes printed, for failure messages. */
  describe(): string {
    return this.procs.map((p) => `--- ${p.label}:\n${p.output.slice(-4000)}`).join("\n");
  }

  /** Stops the bed's processes (by PID), deletes its namespaces and its directory. */
  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop()));
    // NESTOR_E2E_DEBUG=1 prints what every process said, for a test that passes but looks odd.
    if (process.env.NESTOR_E2E_DEBUG !== undefined) {
      process.stderr.write(`=== ${this.title}\n${this.describe()}\n`);
    }
    this.closeSync();
  }

  /**
   * The synchronous part of close(), also run on exit: SIGKILL to any of the bed's processes
   * still there, then to what they left running inside the bed's own namespaces (helpers a
   * client forked: these namespaces exist only for this test, so everything in them is the
   * test's), then the namespaces, the extra clean-ups and the directory go.
   */
  closeSync(): void {
    if (!openBeds.delete(this)) return;
    for (const p of this.procs) p.signal("SIGKILL");
    for (const ns of this.namespaces) for (const pid of pidsIn(ns)) killQuietly(pid, "SIGKILL");
    for (const ns of [...this.namespaces].reverse()) {
      spawnSync(bin("ip"), ["netns", "del", ns], { timeout: 10_000 });
    }
    for (const fn of this.closers) {
      try {
        fn();
      } catch {
        // best effort
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface LinkEnd {
  ns: string;
  /** A few letters that end the interface's name, for logs ("s" server, "c" client). */
  role: string;
  address?: string;
  mac?: string;
  /** A bridge (in the same namespace) this end joins. */
  master?: string;
}
