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
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { HWAddr } from "../../src/dhcp/hwaddr.ts";
import { toColonHex } from "../../src/dhcp/ioaddress.ts";
import type { JsonObject, JsonValue } from "../../src/hooks/types.ts";
import { leaseFileSet } from "../../src/dhcpsrv/leases/lease-files.ts";
import { loadLeaseFiles6 } from "../../src/dhcpsrv/leases/lease-files6.ts";
import {
  HWAddrSource,
  INFINITY_LFT,
  LEASE_TYPE6_NAMES,
  Lease6,
  LeaseState,
  LeaseType6,
} from "../../src/dhcpsrv/leases/lease6.ts";
import { rotateLeaseFile, runLeaseFileCleanup } from "../../src/dhcpsrv/leases/lfc.ts";
import { MemfileLeaseStore6 } from "../../src/dhcpsrv/leases/memfile-lease-store6.ts";
import { keaBytes, LeaseFileKeaSuite, runKeaLfc, sortByAddress } from "./lib/kea.ts";

/** What Kea serves besides the lease file: lease_cmds and the subnets of the leases. */
function keaSettings(leaseCmds: string): Record<string, unknown> {
  return {
    // Without persist false, kea-dhcp6 writes its generated DUID into /var/lib/kea.
    "server-id": { type: "LLT", persist: false },
    "hooks-libraries": [{ library: leaseCmds }],
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
  };
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

function nestorAsKea(leases: Iterable<Lease6>): JsonObject[] {
  return sortByAddress(
    6,
    [...leases].map((l) => keaBytes(asKea(l)) as JsonObject),
  );
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

const suite = new LeaseFileKeaSuite(6, keaSettings);

describe("memfile v6 lease file interop with Kea 2.2", () => {
  before(() => suite.open("nestor-kea6-interop-"));
  after(() => suite.close());
  const kea = (name: string) => suite.kea(name);

  it("prerequisites: root, kea-dhcp6, kea-lfc, libdhcp_lease_cmds.so", () => {
    const prereqs = suite.need();
    assert.match(prereqs.version, /^\d+\.\d+/);
    console.log(`# Kea ${prereqs.version}, ${prereqs.leaseCmds}`);
  });

  it("kea-dhcp6 loads a v6 lease file Nestor wrote and reports the same leases", async () => {
    suite.need();
    const file = path.join(suite.dir, "nestor-written6.csv");
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
    suite.need();
    const file = path.join(suite.dir, "kea-written6.csv");
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
    suite.need();
    const kea = path.join(suite.dir, "kea-lfc", "leases6.csv");
    const nestor = path.join(suite.dir, "nestor-lfc", "leases6.csv");
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
    const run = runKeaLfc(6, set, suite.dir);
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
