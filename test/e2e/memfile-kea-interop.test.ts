/**
 * Lease file interoperability with Kea 2.2 (Debian's kea-dhcp4-server), both directions:
 *   1. Nestor writes a lease file; Kea starts on it and `lease4-get-all` (lease_cmds hook, over
 *      the unix control socket) returns exactly Nestor's leases, field by field.
 *   2. Kea creates leases (`lease4-add`, `lease4-update`, `lease4-del`) and stops; Nestor loads
 *      Kea's file and finds the same leases. Then Nestor changes one and runs its lease file
 *      cleanup, and Kea starts on the result (Kea's `.2` plus the new file) and agrees again.
 *   3. Kea's own kea-lfc compacts a file set Nestor wrote, and Nestor loads the result.
 *
 * Needs root and the Debian packages kea-dhcp4-server and kea-common (which ships
 * libdhcp_lease_cmds.so). A missing prerequisite fails the test with what to install.
 * Kea runs with no interfaces, so it never touches the network.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { HWAddr } from "../../src/dhcp/hwaddr.ts";
import { toColonHex } from "../../src/dhcp/ioaddress.ts";
import type { JsonObject, JsonValue } from "../../src/hooks/types.ts";
import { INFINITY_LFT, Lease4, LeaseState } from "../../src/dhcpsrv/lease.ts";
import { leaseFileSet, loadLeaseFiles4 } from "../../src/dhcpsrv/lease-files4.ts";
import { rotateLeaseFile } from "../../src/dhcpsrv/lfc.ts";
import { MemfileLeaseStore4 } from "../../src/dhcpsrv/memfile-lease-store4.ts";

const INSTALL =
  "install them with: apt-get update && apt-get install -y kea-dhcp4-server kea-common";

interface Prereqs {
  keaDhcp4: string;
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
  const keaDhcp4 = findExecutable("kea-dhcp4");
  if (keaDhcp4 === null) missing.push("kea-dhcp4 (Debian package kea-dhcp4-server)");
  const keaLfc = findExecutable("kea-lfc");
  if (keaLfc === null) missing.push("kea-lfc (Debian package kea-dhcp4-server)");
  const leaseCmds = findLeaseCmds();
  if (leaseCmds === null) missing.push("libdhcp_lease_cmds.so (Debian package kea-common)");
  if (missing.length > 0 || keaDhcp4 === null || keaLfc === null || leaseCmds === null) {
    throw new Error(`missing prerequisites: ${missing.join("; ")}; ${INSTALL}`);
  }
  const version = execFileSync(keaDhcp4, ["-v"], { encoding: "utf8" }).trim();
  return { keaDhcp4, keaLfc, leaseCmds, version };
}

/** One kea-dhcp4 process on a lease file, driven over its unix control socket. */
class Kea {
  readonly dir: string;
  readonly socket: string;
  private child: ChildProcess | null = null;
  private output = "";
  private readonly prereqs: Prereqs;

  constructor(prereqs: Prereqs, dir: string) {
    this.prereqs = prereqs;
    this.dir = dir;
    this.socket = path.join(dir, "kea4.sock");
  }

  async start(leaseFile: string): Promise<void> {
    const config = {
      Dhcp4: {
        "interfaces-config": { interfaces: [] },
        "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
        "control-socket": { "socket-type": "unix", "socket-name": this.socket },
        "hooks-libraries": [{ library: this.prereqs.leaseCmds }],
        subnet4: [
          { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.200" }] },
          { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.200" }] },
        ],
        loggers: [{ name: "kea-dhcp4", severity: "INFO", output_options: [{ output: "stdout" }] }],
      },
    };
    const cfg = path.join(this.dir, "kea-dhcp4.json");
    fs.writeFileSync(cfg, JSON.stringify(config, null, 2));
    fs.rmSync(this.socket, { force: true });
    const child = spawn(this.prereqs.keaDhcp4, ["-c", cfg], {
      env: { ...process.env, KEA_PIDFILE_DIR: this.dir, KEA_LOCKFILE_DIR: this.dir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.output = "";
    child.stdout!.on("data", (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`kea-dhcp4 exited:\n${this.output}`);
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
    throw new Error(`kea-dhcp4 did not open its control socket:\n${this.output}`);
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

  /** Kea's leases as lease4-get-all returns them, sorted by address. */
  async leases(): Promise<JsonObject[]> {
    const answer = await this.command({ command: "lease4-get-all" });
    // result 3 = empty
    if (answer.result === 3) return [];
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
  const key = (l: JsonObject) =>
    String(l["ip-address"])
      .split(".")
      .map((p) => p.padStart(3, "0"))
      .join(".");
  return [...leases].sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

/** A Nestor lease as Kea 2.2's lease4-get-all shows it. */
function asKea(l: Lease4): JsonObject {
  const out: JsonObject = {
    "ip-address": l.address,
    "hw-address": l.hwaddr === null ? "" : toColonHex(l.hwaddr.hwaddr),
    "valid-lft": l.validLifetime,
    cltt: l.cltt,
    "subnet-id": l.subnetId,
    "fqdn-fwd": l.fqdnFwd,
    "fqdn-rev": l.fqdnRev,
    hostname: l.hostname,
    state: l.state,
  };
  if (l.clientId !== null) out["client-id"] = toColonHex(l.clientId);
  if (l.userContext !== null) out["user-context"] = l.userContext as JsonValue;
  return out;
}

/**
 * Kea's strings are bytes, and its JSON printer writes each byte >= 0x80 as its own \u00XX
 * escape: a UTF-8 "é" comes back from Kea as "Ã©". Nestor's text is mapped the same way.
 */
function keaBytes(v: JsonValue): JsonValue {
  if (typeof v === "string") return Buffer.from(v, "utf8").toString("latin1");
  if (Array.isArray(v)) return v.map(keaBytes);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [keaBytes(k), keaBytes(x)]));
  }
  return v;
}

function nestorAsKea(leases: Lease4[]): JsonObject[] {
  return sortByAddress(leases.map((l) => keaBytes(asKea(l)) as JsonObject));
}

const NOW = Math.floor(Date.now() / 1000);

/** The leases of direction 1: every column and state that matters to an operator. */
function nestorLeases(): Lease4[] {
  const hw = (n: number) => HWAddr.fromText(`02:42:c6:33:64:${n.toString(16).padStart(2, "0")}`);
  const full = new Lease4({
    address: "198.51.100.10",
    hwaddr: hw(10),
    clientId: Buffer.from([0x01, 0x02, 0x42, 0xc6, 0x33, 0x64, 0x0a]),
    validLifetime: 3600,
    cltt: NOW - 100,
    subnetId: 1,
    fqdnFwd: true,
    fqdnRev: true,
    hostname: "Laptop,Kitchen&Garden.example.org",
    userContext: { comment: "a,b & c", n: 7, nested: { list: [1, "x,y"], ok: true }, owner: "Zoë" },
  });
  const plain = new Lease4({
    address: "198.51.100.11",
    hwaddr: hw(11),
    validLifetime: 600,
    cltt: NOW,
    subnetId: 1,
  });
  const declined = new Lease4({
    address: "198.51.100.12",
    hwaddr: hw(12),
    validLifetime: 600,
    cltt: NOW,
    subnetId: 1,
  });
  declined.decline(86400, NOW);
  const doomed = new Lease4({
    address: "198.51.100.13",
    hwaddr: hw(13),
    validLifetime: 600,
    cltt: NOW,
    subnetId: 1,
  });
  const cidOnly = new Lease4({
    address: "203.0.113.20",
    clientId: Buffer.from("nestor-client", "latin1"),
    validLifetime: 7200,
    cltt: NOW - 10_000,
    subnetId: 2,
    state: LeaseState.EXPIRED_RECLAIMED,
  });
  const infinite = new Lease4({
    address: "198.51.100.14",
    hwaddr: hw(14),
    validLifetime: INFINITY_LFT, // expire passes 2^32: Kea 2.2 reads it as a 64-bit number
    hostname: "CAFÉ.Example.org", // Kea lowers ASCII letters only: "cafÉ.example.org"
    cltt: NOW,
    subnetId: 1,
  });
  return [full, plain, declined, doomed, cidOnly, infinite];
}

// Checked once; every test that needs Kea fails with the same message when something is missing.
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

describe("memfile lease file interop with Kea 2.2", () => {
  let dir: string;
  const keas: Kea[] = [];

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestor-kea-interop-"));
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

  it("prerequisites: root, kea-dhcp4, kea-lfc, libdhcp_lease_cmds.so", () => {
    const prereqs = need();
    assert.match(prereqs.version, /^\d+\.\d+/);
    console.log(`# Kea ${prereqs.version}, ${prereqs.leaseCmds}`);
  });

  it("Kea 2.2 loads a lease file Nestor wrote and reports the same leases", async () => {
    need();
    const file = path.join(dir, "nestor-written.csv");
    const store = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
    for (const l of nestorLeases()) assert.ok(store.addLease4(l));
    store.flush();
    const renewed = store.getLease4("198.51.100.11")!.clone();
    renewed.cltt = NOW + 5;
    renewed.hostname = "renewed";
    store.updateLease4(renewed);
    store.deleteLease4(store.getLease4("198.51.100.13")!);
    store.flush();
    const expected = nestorAsKea(store.getAllLeases4());
    await store.close();
    assert.equal(expected.length, 5);

    const k = kea("direction-1");
    await k.start(file);
    const got = await k.leases();
    await k.stop();
    assert.deepEqual(got, expected, `Kea's log:\n${k.log}`);
    assert.doesNotMatch(k.log, /LEASE_LOAD_ROW_ERROR/);
  });

  it("Nestor loads a lease file Kea 2.2 wrote; after Nestor's cleanup Kea agrees", async () => {
    need();
    const file = path.join(dir, "kea-written.csv");
    const k = kea("direction-2");
    await k.start(file);
    const add = (args: JsonObject) => k.ok({ command: "lease4-add", arguments: args });
    await add({
      "ip-address": "198.51.100.20",
      "hw-address": "02:42:c6:33:64:20",
      "client-id": "01:02:42:c6:33:64:20",
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
    await add({ "ip-address": "198.51.100.21", "hw-address": "02:42:c6:33:64:21", "subnet-id": 1 });
    await add({
      "ip-address": "198.51.100.22",
      "hw-address": "02:42:c6:33:64:22",
      "subnet-id": 1,
      state: 1,
    });
    await add({ "ip-address": "198.51.100.23", "hw-address": "02:42:c6:33:64:23", "subnet-id": 1 });
    await add({
      "ip-address": "203.0.113.30",
      "hw-address": "",
      "client-id": "ab:cd:ef",
      hostname: "MÜNCHEN.Example",
      "subnet-id": 2,
      state: 2,
    });
    await k.ok({
      command: "lease4-update",
      arguments: {
        "ip-address": "198.51.100.21",
        "hw-address": "02:42:c6:33:64:99",
        "subnet-id": 1,
        hostname: "moved",
      },
    });
    await k.ok({ command: "lease4-del", arguments: { "ip-address": "198.51.100.23" } });
    const keaView = await k.leases();
    await k.stop();
    assert.equal(keaView.length, 4);

    // Nestor loads Kea's file: the same leases, field by field.
    const store = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
    assert.equal(store.loadRowErrors, 0);
    assert.deepEqual(nestorAsKea(store.getAllLeases4()), keaView);
    assert.deepEqual(store.getLease4("198.51.100.20")!.userContext, {
      site: "hq,annex",
      rack: 4,
      tags: ["a", "b,c"],
      deep: { x: null },
      owner: "Zoë",
    });

    // Nestor serves on: one renewal, one release; then a cleanup compacts into .2.
    const l = store.getLease4("198.51.100.20")!.clone();
    l.cltt = NOW + 60;
    store.updateLease4(l);
    store.deleteLease4(store.getLease4("198.51.100.22")!);
    store.flush();
    const result = await store.runCleanup();
    assert.equal(result?.leases, 3);
    store.addLease4(
      new Lease4({
        address: "198.51.100.24",
        hwaddr: HWAddr.fromText("02:42:c6:33:64:24"),
        validLifetime: 900,
        cltt: NOW,
        subnetId: 1,
      }),
    );
    store.flush();
    const nestorView = nestorAsKea(store.getAllLeases4());
    await store.close();
    assert.ok(fs.existsSync(`${file}.2`));

    const k2 = kea("direction-2-back");
    await k2.start(file);
    const back = await k2.leases();
    await k2.stop();
    assert.deepEqual(back, nestorView, `Kea's log:\n${k2.log}`);
    assert.doesNotMatch(k2.log, /LEASE_LOAD_ROW_ERROR/);
  });

  it("Kea's kea-lfc compacts a file set Nestor wrote, and Nestor loads the result", async () => {
    const prereqs = need();
    const file = path.join(dir, "kea-lfc.csv");
    const store = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
    for (const l of nestorLeases()) store.addLease4(l);
    store.deleteLease4(store.getLease4("198.51.100.13")!);
    store.flush();
    const expected = nestorAsKea(store.getAllLeases4());
    await store.close();
    const set = leaseFileSet(file);
    rotateLeaseFile(set);
    const run = spawnSync(
      prereqs.keaLfc,
      [
        "-4",
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
    const { leases, reports } = loadLeaseFiles4(set, { maxRowErrors: 0 });
    assert.equal(
      reports.reduce((n, r) => n + r.rowErrors, 0),
      0,
    );
    assert.deepEqual(nestorAsKea([...leases.values()]), expected);
  });
});
