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
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { HWAddr } from "../../src/dhcp/hwaddr.ts";
import { toColonHex } from "../../src/dhcp/ioaddress.ts";
import type { JsonObject, JsonValue } from "../../src/hooks/types.ts";
import { INFINITY_LFT, Lease4, LeaseState } from "../../src/dhcpsrv/leases/lease4.ts";
import { leaseFileSet } from "../../src/dhcpsrv/leases/lease-files.ts";
import { loadLeaseFiles4 } from "../../src/dhcpsrv/leases/lease-files4.ts";
import { rotateLeaseFile } from "../../src/dhcpsrv/leases/lfc.ts";
import { MemfileLeaseStore4 } from "../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { keaBytes, LeaseFileKeaSuite, runKeaLfc, sortByAddress } from "./lib/kea.ts";

/** What Kea serves besides the lease file: lease_cmds and the subnets of the leases. */
function keaSettings(leaseCmds: string): Record<string, unknown> {
  return {
    "hooks-libraries": [{ library: leaseCmds }],
    subnet4: [
      { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.200" }] },
      { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.200" }] },
    ],
  };
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

function nestorAsKea(leases: Lease4[]): JsonObject[] {
  return sortByAddress(
    4,
    leases.map((l) => keaBytes(asKea(l)) as JsonObject),
  );
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

const suite = new LeaseFileKeaSuite(4, keaSettings);

describe("memfile lease file interop with Kea 2.2", () => {
  before(() => suite.open("nestor-kea-interop-"));
  after(() => suite.close());
  const kea = (name: string) => suite.kea(name);

  it("prerequisites: root, kea-dhcp4, kea-lfc, libdhcp_lease_cmds.so", () => {
    const prereqs = suite.need();
    assert.match(prereqs.version, /^\d+\.\d+/);
    console.log(`# Kea ${prereqs.version}, ${prereqs.leaseCmds}`);
  });

  it("Kea 2.2 loads a lease file Nestor wrote and reports the same leases", async () => {
    suite.need();
    const file = path.join(suite.dir, "nestor-written.csv");
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
    suite.need();
    const file = path.join(suite.dir, "kea-written.csv");
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
    suite.need();
    const file = path.join(suite.dir, "kea-lfc.csv");
    const store = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
    for (const l of nestorLeases()) store.addLease4(l);
    store.deleteLease4(store.getLease4("198.51.100.13")!);
    store.flush();
    const expected = nestorAsKea(store.getAllLeases4());
    await store.close();
    const set = leaseFileSet(file);
    rotateLeaseFile(set);
    const run = runKeaLfc(4, set, suite.dir);
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
