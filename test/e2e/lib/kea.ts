/**
 * Debian's Kea 2.2 as the suites run it beside Nestor: kea-dhcp4 / kea-dhcp6 started in a
 * namespace of the test bed (or, with no interfaces, outside any), its PID and lock files in the
 * test's own directory (KEA_PIDFILE_DIR, KEA_LOCKFILE_DIR), stopped by its PID as every process of
 * the bed; its hook libraries found where the packages put them; kea-lfc and `kea-dhcpN -t` run
 * to completion.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { ipv6FromString } from "../../../src/dhcp/ioaddress.ts";
import type { JsonObject, JsonValue } from "../../../src/hooks/types.ts";
import { controlCommand, waitForControl, type ControlAnswer } from "./control-client.ts";
import { startNestor } from "./nestor.ts";
import { bin, Proc, requirePrerequisites, type Prerequisite, type TestBed } from "./netns.ts";

export type Family = 4 | 6;
export type Who = "kea" | "nestor";

/** kea-dhcp4 or kea-dhcp6 and its Debian package. */
export function keaPrerequisite(family: Family): Prerequisite {
  return { program: `kea-dhcp${family}`, debianPackage: `kea-dhcp${family}-server` };
}

/** The environment Kea runs in: its PID and lock files go to `dir`, never to /run. */
export function keaEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
}

/** `kea-dhcpN -v`: the version. */
export function keaVersion(family: Family): string {
  const r = spawnSync(bin(`kea-dhcp${family}`), ["-v"], { encoding: "utf8", timeout: 10_000 });
  return r.stdout.trim();
}

/**
 * A hook library of Kea's (`libdhcp_lease_cmds.so`...), wherever `packages` put it (dpkg -L, then
 * the multiarch and local hooks directories); null when it is not installed.
 */
export function findKeaHookLibrary(name: string, packages: readonly string[]): string | null {
  const dpkg = spawnSync("dpkg", ["-L", ...packages], { encoding: "utf8", timeout: 10_000 });
  const listed = (dpkg.stdout ?? "").split("\n").filter((l) => l.endsWith(`/${name}`));
  const arch = process.arch === "arm64" ? "aarch64" : "x86_64";
  const candidates = [
    ...listed,
    `/usr/lib/${arch}-linux-gnu/kea/hooks/${name}`,
    `/usr/lib/kea/hooks/${name}`,
    `/usr/local/lib/kea/hooks/${name}`,
  ];
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** As findKeaHookLibrary, or an Error saying what to install (the test fails, never skips). */
export function requireKeaHookLibrary(name: string, debianPackage: string): string {
  const found = findKeaHookLibrary(name, [...new Set([debianPackage, "kea-common"])]);
  if (found === null) {
    throw new Error(`Kea's ${name} not found: install with: apt-get install -y ${debianPackage}`);
  }
  return found;
}

/**
 * Starts kea-dhcpN on `config` in `ns` and waits until it says it has started (DHCPn_STARTED).
 * The bed stops it at close; stop() it earlier to free the ports.
 */
export async function startKea(
  bed: TestBed,
  ns: string,
  family: Family,
  config: string,
): Promise<Proc> {
  const kea = bed.spawn(`kea-dhcp${family}`, ns, "env", [
    `KEA_PIDFILE_DIR=${bed.dir}`,
    `KEA_LOCKFILE_DIR=${bed.dir}`,
    bin(`kea-dhcp${family}`),
    "-c",
    config,
  ]);
  await kea.waitForOutput(new RegExp(`DHCP${family}_STARTED`), 20_000);
  return kea;
}

/**
 * Starts kea-dhcpN on `config` in this process's namespace, for a configuration with no
 * interfaces (it never touches the network); its PID and lock files in `dir`. The caller stops it.
 */
export function spawnKeaOffline(family: Family, config: string, dir: string): Proc {
  const child = spawn(bin(`kea-dhcp${family}`), ["-c", config], {
    env: keaEnv(dir),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Proc(`kea-dhcp${family}`, child);
}

/**
 * Kea, then Nestor, on the same namespace: for each, `config(who)` names its configuration file,
 * the server is started on it, `exercise(who, server)` does what the test does with it, and the
 * server is stopped before the next starts. What each exercise returned, by server.
 */
export async function keaThenNestor<T>(
  bed: TestBed,
  ns: string,
  family: Family,
  config: (who: Who) => string,
  exercise: (who: Who, server: Proc) => Promise<T> | T,
): Promise<Record<Who, T>> {
  const out: Partial<Record<Who, T>> = {};
  for (const who of ["kea", "nestor"] as const) {
    const file = config(who);
    const server =
      who === "kea"
        ? await startKea(bed, ns, family, file)
        : await startNestor(bed, ns, family, file);
    out[who] = await exercise(who, server);
    await server.stop();
  }
  return out as Record<Who, T>;
}

/** The files of one kea-lfc run (Nestor's LeaseFileSet has them all). */
export interface LfcFiles {
  previous: string;
  input: string;
  output: string;
  finish: string;
  pid: string;
}

/** Runs kea-lfc -4 / -6 on a file set to completion; its PID and lock files in `dir`. */
export function runKeaLfc(family: Family, set: LfcFiles, dir: string): SpawnSyncReturns<string> {
  return spawnSync(
    bin("kea-lfc"),
    [
      `-${family}`,
      "-x",
      set.previous,
      "-i",
      set.input,
      "-o",
      set.output,
      "-f",
      set.finish,
      "-p",
      set.pid,
      "-c",
      "ignored",
    ],
    { encoding: "utf8", env: keaEnv(dir), timeout: 60_000 },
  );
}

/**
 * `kea-dhcpN -t FILE`: Kea's configuration check, run to completion; its PID and lock files in
 * `dir`. ok when Kea accepts the file; output is what it printed.
 */
export function checkKeaConfig(
  family: Family,
  file: string,
  dir: string,
): { ok: boolean; output: string } {
  const r = spawnSync(bin(`kea-dhcp${family}`), ["-t", file], {
    encoding: "utf8",
    env: keaEnv(dir),
    timeout: 30_000,
  });
  const output = `${r.stdout ?? ""}\n${r.stderr ?? ""}`;
  if (r.error !== undefined) return { ok: false, output: `${output}\n${r.error.message}` };
  return { ok: r.status === 0, output };
}

/**
 * A JSON value as Kea 2.2 gives it back: its strings are bytes, and its JSON printer writes each
 * byte >= 0x80 as its own \u00XX escape, so a UTF-8 "é" comes back as "Ã©".
 */
export function keaBytes(v: JsonValue): JsonValue {
  if (typeof v === "string") return Buffer.from(v, "utf8").toString("latin1");
  if (Array.isArray(v)) return v.map(keaBytes);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [keaBytes(k), keaBytes(x)]));
  }
  return v;
}

/** Leases as lease4-get-all / lease6-get-all give them, in the order of their addresses. */
export function sortByAddress(family: Family, leases: readonly JsonObject[]): JsonObject[] {
  const address = (l: JsonObject) => String(l["ip-address"]);
  if (family === 6) {
    return [...leases].sort((a, b) =>
      Buffer.compare(ipv6FromString(address(a)), ipv6FromString(address(b))),
    );
  }
  const key = (l: JsonObject) =>
    address(l)
      .split(".")
      .map((p) => p.padStart(3, "0"))
      .join(".");
  return [...leases].sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

/**
 * One kea-dhcpN process on a lease file, with no interfaces and outside any namespace (it never
 * touches the network), driven over its unix control socket `dir/keaN.sock`; its configuration
 * file, PID and lock files in `dir`. `settings` are the DhcpN keys besides the interfaces, the
 * lease database, the control socket and the loggers (hooks-libraries with lease_cmds, subnets).
 */
export class LeaseFileKea {
  readonly family: Family;
  readonly dir: string;
  readonly socket: string;
  private readonly settings: Record<string, unknown>;
  private proc: Proc | null = null;

  constructor(family: Family, dir: string, settings: Record<string, unknown>) {
    this.family = family;
    this.dir = dir;
    this.settings = settings;
    this.socket = join(dir, `kea${family}.sock`);
  }

  /** Starts Kea on `leaseFile` and waits until it answers on its control socket. */
  async start(leaseFile: string): Promise<void> {
    const config = {
      [`Dhcp${this.family}`]: {
        "interfaces-config": { interfaces: [] },
        "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
        "control-socket": { "socket-type": "unix", "socket-name": this.socket },
        ...this.settings,
        loggers: [
          {
            name: `kea-dhcp${this.family}`,
            severity: "INFO",
            output_options: [{ output: "stdout" }],
          },
        ],
      },
    };
    const file = join(this.dir, `kea-dhcp${this.family}.json`);
    writeFileSync(file, JSON.stringify(config, null, 2));
    rmSync(this.socket, { force: true });
    this.proc = spawnKeaOffline(this.family, file, this.dir);
    await waitForControl(this.socket, this.proc);
  }

  /** Everything Kea printed. */
  get log(): string {
    return this.proc?.output ?? "";
  }

  /** Sends a command and asserts that it succeeded. */
  async ok(cmd: JsonObject): Promise<ControlAnswer> {
    const answer = await controlCommand(this.socket, cmd);
    assert.equal(answer.result, 0, `${String(cmd.command)}: ${JSON.stringify(answer)}`);
    return answer;
  }

  /** Kea's leases as lease4-get-all / lease6-get-all returns them, sorted by address. */
  async leases(): Promise<JsonObject[]> {
    const answer = await controlCommand(this.socket, {
      command: `lease${this.family}-get-all`,
    });
    if (answer.result === 3) return []; // empty
    assert.equal(answer.result, 0, JSON.stringify(answer));
    const args = answer.arguments as { leases: JsonObject[] };
    return sortByAddress(this.family, args.leases);
  }

  /** SIGTERM, and SIGKILL if it is still there 10 s later. */
  async stop(): Promise<void> {
    await this.proc?.stop(10_000);
  }
}

/** What the lease-file suites need of Kea: lease_cmds (its path) and kea-dhcpN's version. */
export interface LeaseFileKeaPrerequisites {
  leaseCmds: string;
  version: string;
}

/**
 * The setup of a suite that runs LeaseFileKea: its prerequisites (root, kea-dhcpN, kea-lfc,
 * libdhcp_lease_cmds.so) checked once, so that every test that needs them fails with the same
 * message; a temporary directory; every Kea it started stopped at close.
 */
export class LeaseFileKeaSuite {
  readonly family: Family;
  private readonly settings: (leaseCmds: string) => Record<string, unknown>;
  private readonly found: LeaseFileKeaPrerequisites | Error;
  private readonly keas: LeaseFileKea[] = [];
  private directory: string | undefined;

  /** `settings(leaseCmds)`: the LeaseFileKea settings of the suite's Keas. */
  constructor(family: Family, settings: (leaseCmds: string) => Record<string, unknown>) {
    this.family = family;
    this.settings = settings;
    try {
      requirePrerequisites([
        keaPrerequisite(family),
        { program: "kea-lfc", debianPackage: "kea-common" },
      ]);
      this.found = {
        leaseCmds: requireKeaHookLibrary("libdhcp_lease_cmds.so", "kea-common"),
        version: keaVersion(family),
      };
    } catch (err) {
      this.found = err as Error;
    }
  }

  /** The prerequisites, or the Error saying what is missing and what to install. */
  need(): LeaseFileKeaPrerequisites {
    if (this.found instanceof Error) throw this.found;
    return this.found;
  }

  /** Creates the suite's directory (in a `before`). */
  open(prefix: string): void {
    this.directory = mkdtempSync(join(tmpdir(), prefix));
  }

  get dir(): string {
    if (this.directory === undefined) throw new Error("LeaseFileKeaSuite: open() first");
    return this.directory;
  }

  /** A Kea of its own directory `name` in the suite's (not started); needs the prerequisites. */
  kea(name: string): LeaseFileKea {
    const d = join(this.dir, name);
    mkdirSync(d, { recursive: true });
    const k = new LeaseFileKea(this.family, d, this.settings(this.need().leaseCmds));
    this.keas.push(k);
    return k;
  }

  /** Stops every Kea and removes the directory (in an `after`). */
  async close(): Promise<void> {
    for (const k of this.keas) await k.stop();
    if (this.directory !== undefined) rmSync(this.directory, { recursive: true, force: true });
  }
}

/** Where and what relayedQueriesToBoth sends. */
export interface RelayedQueries {
  serverNs: string;
  /** The namespace the relay agent (relay4-queries.ts / relay6-queries.ts) runs in. */
  relayNs: string;
  /** The relay agent's address (giaddr, or the v6 relay's link address) and the server's. */
  relayAddress: string;
  server: string;
  /** Query4[] or Query6[], sent one after the other. */
  queries: readonly unknown[];
  /** The configuration's text for a server whose lease file is `leaseFile`. */
  config: (leaseFile: string) => string;
}

/**
 * The side-by-side tests' link: a server namespace and a relay agent's namespace joined by a veth
 * pair, `server` and `relay` configured on its ends (IPv6 addresses without duplicate address
 * detection, usable at once).
 */
export function serverRelayLink(
  bed: TestBed,
  server: string,
  relay: string,
  prefixLen: number,
): { serverNs: string; relayNs: string; serverIf: string; relayIf: string } {
  const serverNs = bed.namespace("srv");
  const relayNs = bed.namespace("rly");
  const { a: serverIf, b: relayIf } = bed.link(
    { ns: serverNs, role: "s" },
    { ns: relayNs, role: "r" },
  );
  const flags = server.includes(":") ? ["nodad"] : [];
  bed.exec(serverNs, "ip", ["addr", "add", `${server}/${prefixLen}`, "dev", serverIf, ...flags]);
  bed.exec(relayNs, "ip", ["addr", "add", `${relay}/${prefixLen}`, "dev", relayIf, ...flags]);
  return { serverNs, relayNs, serverIf, relayIf };
}

/**
 * Kea, then Nestor, each in `serverNs` on the configuration `q.config` gives (each its own lease
 * file in the bed's directory), each sent the same queries by the relay agent: the answers each
 * gave, in order (null where there was none).
 */
export async function relayedQueriesToBoth<A>(
  bed: TestBed,
  family: Family,
  q: RelayedQueries,
): Promise<Record<Who, (A | null)[]>> {
  const relay = fileURLToPath(new URL(`./relay${family}-queries.ts`, import.meta.url));
  const queriesFile = join(bed.dir, "queries.json");
  writeFileSync(queriesFile, JSON.stringify(q.queries));
  return keaThenNestor(
    bed,
    q.serverNs,
    family,
    (who) => {
      const file = join(bed.dir, `${who}.json`);
      writeFileSync(file, q.config(join(bed.dir, `${who}-leases${family}.csv`)));
      return file;
    },
    () => {
      const args = [relay, q.relayAddress, q.server, queriesFile];
      return JSON.parse(bed.exec(q.relayNs, process.execPath, args, 30_000)) as (A | null)[];
    },
  );
}
