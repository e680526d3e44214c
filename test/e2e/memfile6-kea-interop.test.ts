/**
 * DHCPv6 lease file interoperability with Kea 2.2 (Debian's kea-dhcp6-server), both directions:
 *   1. Nestor writes a v6 lease file; kea-dhcp6 starts on it and `lease6-get-all` (lease_cmds
 *      hook, over the unix control socket) returns exactly Nestor's leases, field by field.
 *   2. Kea creates leases (`lease6-add`, `lease6-update`, `lease6-del`) and stops; Nestor loads
 *      Kea's file and finds the same leases. Then Nestor changes some and runs its lease file
 *      cleanup, and Kea starts on the result and agrees again.
 *   3. Kea's own `kea-lfc -6` compacts a file set Nestor wrote: Nestor loads the result, and
 *      Nestor's own compaction of the same files is the same file byte for byte (which also
 *      checks the columns lease6-get-all does not show: hwtype, hwaddr_source).
 *
 * Needs root and the Debian packages kea-dhcp6-server and kea-common (libdhcp_lease_cmds.so).
 * A missing prerequisite fails the test with what to install. Kea runs with no interfaces, so it
 * never touches the network, and with `server-id` `persist: false`, so it writes no DUID file.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { HWAddr } from "../../src/dhcp/hwaddr.ts";
import { ipv6FromString, toColonHex } from "../../src/dhcp/ioaddress.ts";
import type { JsonObject, JsonValue } from "../../src/hooks/types.ts";
import { leaseFileSet } from "../../src/dhcpsrv/lease-files4.ts";
import { loadLeaseFiles6 } from "../../src/dhcpsrv/lease-files6.ts";
import {
  HWAddrSource,
  INFINITY_LFT,
  LEASE_TYPE6_NAMES,
  Lease6,
  LeaseState,
  LeaseType6,
} from "../../src/dhcpsrv/lease6.ts";
import { rotateLeaseFile, runLeaseFileCleanup } from "../../src/dhcpsrv/lfc.ts";
import { MemfileLeaseStore6 } from "../../src/dhcpsrv/memfile-lease-store6.ts";

const INSTALL =
  "install them with: apt-get update && apt-get install -y kea-dhcp6-server kea-common";

interface Prereqs {
  keaDhcp6: string;
  keaLfc: string;
  leaseCmds: string;
  version: string;
}

function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/sbin"];
  for (const dir of dirs) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return null;
}

function findLeaseCmds(): string | null {
  const candidates = [
    `/usr/lib/${os.arch() === "arm64" ? "aarch64" : "x86_64"}-linux-gnu/kea/hooks`,
    "/usr/lib/kea/hooks",
    "/usr/local/lib/kea/hooks",
  ].map((d) => path.join(d, "libdhcp_lease_cmds.so"));
  const dpkg = spawnSync("dpkg", ["-L", "kea-common"], { encoding: "utf8" });
  if (dpkg.status === 0) {
    candidates.unshift(...dpkg.stdout.split("\n").filter((l) => l.endsWith("lease_cmds.so")));
  }
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

/** Every prerequisite, or an Error saying what is missing and what to install. */
function prerequisites(): Prereqs {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push("root (run this suite as root)");
  const keaDhcp6 = findExecutable("kea-dhcp6");
  if (keaDhcp6 === null) missing.push("kea-dhcp6 (Debian package kea-dhcp6-server)");
  const keaLfc = findExecutable("kea-lfc");
  if (keaLfc === null) missing.push("kea-lfc (Debian package kea-common)");
  const leaseCmds = findLeaseCmds();
  if (leaseCmds === null) missing.push("libdhcp_lease_cmds.so (Debian package kea-common)");
  if (missing.length > 0 || keaDhcp6 === null || keaLfc === null || leaseCmds === null) {
    throw new Error(`missing prerequisites: ${missing.join("; ")}; ${INSTALL}`);
  }
  const version = execFileSync(keaDhcp6, ["-v"], { encoding: "utf8" }).trim();
  return { keaDhcp6, keaLfc, leaseCmds, version };
}

/** One kea-dhcp6 process on a lease file, driven over its unix control socket. */
class Kea {
  readonly dir: string;
  readonly socket: string;
  private child: ChildProcess | null = null;
  private output = "";
  private readonly prereqs: Prereqs;

  constructor(prereqs: Prereqs, dir: string) {
    this.prereqs = prereqs;
    this.dir = dir;
    this.socket = path.join(dir, "kea6.sock");
  }

  async start(leaseFile: string): Promise<void> {
    const config = {
      Dhcp6: {
        "interfaces-config": { interfaces: [] },
        // Without persist false, kea-dhcp6 writes its generated DUID into /var/lib/kea.
        "server-id": { type: "LLT", persist: false },
        "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
        "control-socket": { "socket-type": "unix", "socket-name": this.socket },
        "hooks-libraries": [{ library: this.prereqs.leaseCmds }],
        subnet6: [
          {
            id: 1,
            subnet: "2001:db8:1::/64",
            pools: [{ pool: "2001:db8:1::100 - 2001:db8:1::1ff" }],
            "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 }],
          },
          {
            id: 2,
            subnet: "2001:db8:2::/64",
            pools: [{ pool: "2001:db8:2::100 - 2001:db8:2::1ff" }],
          },
        ],
        loggers: [{ name: "kea-dhcp6", severity: "INFO", output_options: [{ output: "stdout" }] }],
      },
    };
    const cfg = path.join(this.dir, "kea-dhcp6.json");
    fs.writeFileSync(cfg, JSON.stringify(config, null, 2));
    fs.rmSync(this.socket, { force: true });
    const child = spawn(this.prereqs.keaDhcp6, ["-c", cfg], {
      env: { ...process.env, KEA_PIDFILE_DIR: this.dir, KEA_LOCKFILE_DIR: this.dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.output = "";
    child.stdout!.on("data", (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`kea-dhcp6 exited:\n${this.output}`);
      if (fs.existsSync(this.socket)) {
        try {
          await this.command({ command: "version-get" });
          return;
        } catch {
          // not listening yet
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`kea-dhcp6 did not open its control socket:\n${this.output}`);
  }

  get log(): string {
    return this.output;
  }

  command(cmd: JsonObject): Promise<JsonObject> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(this.socket);
      let text = "";
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`no answer to ${String(cmd.command)}`));
      }, 10_000);
      const tryParse = (): boolean => {
        try {
          const answer = JSON.parse(text) as JsonObject;
          clearTimeout(timer);
          sock.destroy();
          resolve(answer);
          return true;
        } catch {
          return false;
        }
      };
      sock.on("connect", () => sock.write(JSON.stringify(cmd)));
      sock.on("data", (d) => {
        text += d.toString("utf8");
        tryParse();
      });
      sock.on("end", () => {
        if (!tryParse()) {
          clearTimeout(timer);
          reject(new Error(`bad answer: ${text}`));
        }
      });
      sock.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  async ok(cmd: JsonObject): Promise<JsonObject> {
    const answer = await this.command(cmd);
    assert.equal(answer.result, 0, `${String(cmd.command)}: ${JSON.stringify(answer)}`);
    return answer;
  }

  /** Kea's leases as lease6-get-all returns them, sorted by address. */
  async leases(): Promise<JsonObject[]> {
    const answer = await this.command({ command: "lease6-get-all" });
    if (answer.result === 3) return []; // empty
    assert.equal(answer.result, 0, JSON.stringify(answer));
    const args = answer.arguments as { leases: JsonObject[] };
    return sortByAddress(args.leases);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    this.child = null;
  }
}

function sortByAddress(leases: JsonObject[]): JsonObject[] {
  const key = (l: JsonObject) => ipv6FromString(String(l["ip-address"]));
  return [...leases].sort((a, b) => Buffer.compare(key(a), key(b)));
}

/** A Nestor lease as Kea 2.2's lease6-get-all shows it (Lease6::toElement). */
function asKea(l: Lease6): JsonObject {
  const out: JsonObject = {
    "ip-address": l.address,
    type: LEASE_TYPE6_NAMES[l.type]!,
    iaid: l.iaid,
    duid: toColonHex(l.duid),
    "subnet-id": l.subnetId,
    cltt: l.cltt,
    "preferred-lft": l.preferredLifetime,
    "valid-lft": l.validLifetime,
    "fqdn-fwd": l.fqdnFwd,
    "fqdn-rev": l.fqdnRev,
    hostname: l.hostname,
    state: l.state,
  };
  if (l.type === LeaseType6.IA_PD) out["prefix-len"] = l.prefixLen;
  if (l.hwaddr !== null) out["hw-address"] = toColonHex(l.hwaddr.hwaddr);
  if (l.userContext !== null) out["user-context"] = l.userContext as JsonValue;
  return out;
}

/** Kea's strings are bytes and its JSON printer escapes each byte >= 0x80 on its own. */
function keaBytes(v: JsonValue): JsonValue {
  if (typeof v === "string") return Buffer.from(v, "utf8").toString("latin1");
  if (Array.isArray(v)) return v.map(keaBytes);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [keaBytes(k), keaBytes(x)]));
  }
  return v;
}

function nestorAsKea(leases: Iterable<Lease6>): JsonObject[] {
  return sortByAddress([...leases].map((l) => keaBytes(asKea(l)) as JsonObject));
}

const NOW = Math.floor(Date.now() / 1000);
const duid = (n: number) =>
  Buffer.from([0, 1, 0, 1, 0x2e, 0x5f, 0x10, n, 2, 0x42, 0xc6, 0x33, 0x64, n]);

/** The leases of direction 1: every column, type and state that matters to an operator. */
function nestorLeases(): Lease6[] {
  const full = new Lease6({
    address: "2001:db8:1::100",
    duid: duid(1),
    iaid: 0x01020304,
    preferredLifetime: 1800,
    validLifetime: 3600,
    cltt: NOW - 100,
    subnetId: 1,
    fqdnFwd: true,
    fqdnRev: true,
    hwaddr: HWAddr.fromText("02:42:c6:33:64:01"),
    hwaddrSource: HWAddrSource.IPV6_LINK_LOCAL,
    userContext: { comment: "a,b & c", n: 7, nested: { list: [1, "x,y"], ok: true }, owner: "Zoë" },
  });
  full.hostname = "Laptop,Kitchen&Garden.example.org"; // as read from a file: case kept
  const prefix = new Lease6({
    address: "2001:db8:8:100::",
    type: LeaseType6.IA_PD,
    prefixLen: 56,
    duid: duid(2),
    iaid: 7,
    preferredLifetime: 900,
    validLifetime: 1200,
    cltt: NOW,
    subnetId: 1,
    hwaddr: new HWAddr(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), 32),
    hwaddrSource: HWAddrSource.CLIENT_ADDR_RELAY_OPTION,
  });
  const temporary = new Lease6({
    address: "2001:db8:1::101",
    type: LeaseType6.IA_TA,
    duid: duid(3),
    iaid: 3,
    preferredLifetime: 300,
    validLifetime: 600,
    cltt: NOW,
    subnetId: 1,
  });
  const declined = new Lease6({
    address: "2001:db8:1::102",
    duid: duid(4),
    iaid: 4,
    preferredLifetime: 300,
    validLifetime: 600,
    cltt: NOW,
    subnetId: 1,
    userContext: { kept: true },
  });
  declined.decline(86400, NOW);
  const doomed = new Lease6({
    address: "2001:db8:1::103",
    duid: duid(5),
    iaid: 5,
    preferredLifetime: 300,
    validLifetime: 600,
    cltt: NOW,
    subnetId: 1,
  });
  const reclaimed = new Lease6({
    address: "2001:db8:2::120",
    duid: duid(6),
    iaid: 6,
    preferredLifetime: 3600,
    validLifetime: 7200,
    cltt: NOW - 10_000,
    subnetId: 2,
    state: LeaseState.EXPIRED_RECLAIMED,
    hostname: "CAFÉ.Example.org", // the constructor lowers ASCII letters only
  });
  const infinite = new Lease6({
    address: "2001:db8:8:200::",
    type: LeaseType6.IA_PD,
    prefixLen: 56,
    duid: duid(7),
    iaid: 8,
    preferredLifetime: INFINITY_LFT,
    validLifetime: INFINITY_LFT, // expire passes 2^32: Kea 2.2 reads it as a 64-bit number
    cltt: NOW,
    subnetId: 1,
  });
  return [full, prefix, temporary, declined, doomed, reclaimed, infinite];
}

let prereqError: Error | null = null;
let found: Prereqs | null = null;
try {
  found = prerequisites();
} catch (err) {
  prereqError = err as Error;
}

function need(): Prereqs {
  if (found === null) throw prereqError ?? new Error(`missing prerequisites; ${INSTALL}`);
  return found;
}

describe("memfile v6 lease file interop with Kea 2.2", () => {
  let dir: string;
  const keas: Kea[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestor-kea6-interop-"));
  });

  after(async () => {
    for (const kea of keas) await kea.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  function kea(name: string): Kea {
    const d = path.join(dir, name);
    fs.mkdirSync(d, { recursive: true });
    const k = new Kea(need(), d);
    keas.push(k);
    return k;
  }

  it("prerequisites: root, kea-dhcp6, kea-lfc, libdhcp_lease_cmds.so", () => {
    const prereqs = need();
    assert.match(prereqs.version, /^\d+\.\d+/);
    console.log(`# Kea ${prereqs.version}, ${prereqs.leaseCmds}`);
  });

  it("kea-dhcp6 loads a v6 lease file Nestor wrote and reports the same leases", async () => {
    need();
    const file = path.join(dir, "nestor-written6.csv");
    const store = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0 });
    for (const l of nestorLeases()) assert.ok(store.addLease6(l));
    store.flush();
    const renewed = store.getLease6(LeaseType6.IA_PD, "2001:db8:8:100::")!.clone();
    renewed.cltt = NOW + 5;
    renewed.hostname = "renewed";
    store.updateLease6(renewed);
    store.deleteLease6(store.getLease6(LeaseType6.IA_NA, "2001:db8:1::103")!);
    store.flush();
    const expected = nestorAsKea(store.getAllLeases6());
    await store.close();
    assert.equal(expected.length, 6);

    const k = kea("direction-1");
    await k.start(file);
    const got = await k.leases();
    await k.stop();
    assert.deepEqual(got, expected, `Kea's log:\n${k.log}`);
    assert.doesNotMatch(k.log, /LEASE_LOAD_ROW_ERROR|READ_HWADDR_FAIL|NEEDS_UPGRADING/);
  });

  it("Nestor loads a v6 lease file Kea 2.2 wrote; after Nestor's cleanup Kea agrees", async () => {
    need();
    const file = path.join(dir, "kea-written6.csv");
    const k = kea("direction-2");
    await k.start(file);
    const add = (args: JsonObject) => k.ok({ command: "lease6-add", arguments: args });
    await add({
      "ip-address": "2001:db8:1::120",
      duid: "00:01:00:01:2e:5f:10:20:02:42:c6:33:64:20",
      iaid: 32,
      "hw-address": "02:42:c6:33:64:20",
      "preferred-lft": 1800,
      "valid-lft": 3600,
      expire: NOW + 3000,
      "subnet-id": 1,
      "fqdn-fwd": true,
      "fqdn-rev": false,
      hostname: "printer,2nd-floor&co.example.org",
      "user-context": {
        site: "hq,annex",
        rack: 4,
        tags: ["a", "b,c"],
        deep: { x: null },
        owner: "Zoë",
      },
    });
    await add({
      "ip-address": "2001:db8:8:300::",
      type: "IA_PD",
      "prefix-len": 56,
      duid: "00:03:00:01:02:42:c6:33:64:21",
      iaid: 33,
      "subnet-id": 1,
      "preferred-lft": 100,
      "valid-lft": 200,
    });
    await add({
      "ip-address": "2001:db8:1::122",
      duid: "00:03:00:01:02:42:c6:33:64:22",
      iaid: 34,
      "subnet-id": 1,
      state: 1,
    });
    await add({
      "ip-address": "2001:db8:1::123",
      duid: "00:03:00:01:02:42:c6:33:64:23",
      iaid: 35,
      "subnet-id": 1,
    });
    await add({
      "ip-address": "2001:db8:2::130",
      duid: "ab:cd:ef",
      iaid: 36,
      hostname: "MÜNCHEN.Example",
      "subnet-id": 2,
      state: 2,
    });
    await k.ok({
      command: "lease6-update",
      arguments: {
        "ip-address": "2001:db8:1::123",
        duid: "00:03:00:01:02:42:c6:33:64:99",
        iaid: 99,
        "subnet-id": 1,
        hostname: "moved",
      },
    });
    await k.ok({ command: "lease6-del", arguments: { "ip-address": "2001:db8:1::122" } });
    const keaView = await k.leases();
    await k.stop();
    assert.equal(keaView.length, 4);

    // Nestor loads Kea's file: the same leases, field by field.
    const store = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0 });
    assert.equal(store.loadRowErrors, 0);
    assert.deepEqual(nestorAsKea(store.getAllLeases6()), keaView);
    assert.deepEqual(store.getLease6(LeaseType6.IA_NA, "2001:db8:1::120")!.userContext, {
      site: "hq,annex",
      rack: 4,
      tags: ["a", "b,c"],
      deep: { x: null },
      owner: "Zoë",
    });
    const pd = store.getLease6(LeaseType6.IA_PD, "2001:db8:8:300::")!;
    assert.equal(pd.prefixLen, 56);
    assert.equal(store.getLeases6ByDuidIaid(LeaseType6.IA_PD, pd.duid, 33).length, 1);

    // Nestor serves on: a renewal, a release, a decline; then a cleanup compacts into .2.
    const l = store.getLease6(LeaseType6.IA_NA, "2001:db8:1::120")!.clone();
    l.cltt = NOW + 60;
    store.updateLease6(l);
    store.deleteLease6(pd);
    const d = store.getLease6(LeaseType6.IA_NA, "2001:db8:1::123")!.clone();
    d.decline(3600, NOW);
    store.updateLease6(d);
    store.flush();
    const result = await store.runCleanup();
    assert.equal(result?.leases, 3);
    store.addLease6(
      new Lease6({
        address: "2001:db8:8:400::",
        type: LeaseType6.IA_PD,
        prefixLen: 56,
        duid: duid(24),
        iaid: 24,
        preferredLifetime: 450,
        validLifetime: 900,
        cltt: NOW,
        subnetId: 1,
        hwaddr: HWAddr.fromText("02:42:c6:33:64:24"),
      }),
    );
    store.flush();
    const nestorView = nestorAsKea(store.getAllLeases6());
    await store.close();
    assert.ok(fs.existsSync(`${file}.2`));

    const k2 = kea("direction-2-back");
    await k2.start(file);
    const back = await k2.leases();
    await k2.stop();
    assert.deepEqual(back, nestorView, `Kea's log:\n${k2.log}`);
    assert.doesNotMatch(k2.log, /LEASE_LOAD_ROW_ERROR|READ_HWADDR_FAIL/);
  });

  it("kea-lfc -6 compacts a file set Nestor wrote exactly as Nestor's own cleanup does", async () => {
    const prereqs = need();
    const kea = path.join(dir, "kea-lfc", "leases6.csv");
    const nestor = path.join(dir, "nestor-lfc", "leases6.csv");
    for (const file of [kea, nestor]) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const store = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0 });
      for (const l of nestorLeases()) store.addLease6(l);
      store.deleteLease6(store.getLease6(LeaseType6.IA_NA, "2001:db8:1::103")!);
      store.flush();
      await store.close();
      rotateLeaseFile(leaseFileSet(file), undefined, 6);
    }
    const expected = nestorAsKea(nestorLeases().filter((l) => l.address !== "2001:db8:1::103"));
    const set = leaseFileSet(kea);
    const run = spawnSync(
      prereqs.keaLfc,
      [
        "-6",
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
      { encoding: "utf8", env: { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir } },
    );
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.ok(fs.existsSync(set.previous) && !fs.existsSync(set.input));
    const { leases, reports } = loadLeaseFiles6(set, { maxRowErrors: 0 });
    assert.equal(
      reports.reduce((n, r) => n + r.rowErrors, 0),
      0,
    );
    assert.deepEqual(nestorAsKea(leases.values()), expected);

    // The one difference allowed: in user_context JSON Kea writes each byte of a UTF-8 character
    // as its own \u00XX escape, Nestor the raw UTF-8 bytes (both read both).
    runLeaseFileCleanup(leaseFileSet(nestor), 0, undefined, 6);
    const keaText = fs
      .readFileSync(set.previous, "latin1")
      .replace(/\\u00([89a-f][0-9a-f])/g, (_m, hex: string) =>
        String.fromCharCode(parseInt(hex, 16)),
      );
    assert.equal(
      fs.readFileSync(`${nestor}.2`, "latin1"),
      keaText,
      "Nestor's compacted file is Kea's, byte for byte",
    );
  });
});
