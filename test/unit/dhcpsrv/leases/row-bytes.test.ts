/**
 * Lease file rows written as bytes (row-bytes.ts): the pieces against the text they replace,
 * and the memfile stores' rows, written from their columns into the group commit's batch, byte
 * for byte the rows Kea's format gives for the same leases (the template of the lease file
 * format, written out here as the oracle). The batch's buffer is one buffer, kept from flush to
 * flush.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { ipv6ToString, toColonHex } from "../../../../src/dhcp/ioaddress.ts";
import type { JsonObject } from "../../../../src/hooks/types.ts";
import { escapeField, keaJsonText } from "../../../../src/dhcpsrv/leases/csv-columns.ts";
import { Lease4, LeaseState } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { Lease6 } from "../../../../src/dhcpsrv/leases/lease6.ts";
import { MemfileLeaseStore4 } from "../../../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { MemfileLeaseStore6 } from "../../../../src/dhcpsrv/leases/memfile-lease-store6.ts";
import { RowBytes } from "../../../../src/dhcpsrv/leases/row-bytes.ts";
import { HEADER_2_2, tempDir } from "./lease-helpers.ts";
import { HEADER6_2_2 } from "./lease6-helpers.ts";
import { seededRandom } from "../../../helpers/random.ts";

/** Kea's v4 row as text (csv_lease_file4.cc's column order and encodings). */
function oracle4(l: Lease4, valid = l.validLifetime): string {
  const hw = l.hwaddr === null ? "" : toColonHex(l.hwaddr.hwaddr);
  const cid = l.clientId === null ? "" : toColonHex(l.clientId);
  const host = l.hostname === "" ? "" : escapeField(l.hostname);
  const ctx = l.userContext === null ? "" : escapeField(keaJsonText(l.userContext));
  return (
    `${l.address},${hw},${cid},${valid},${l.cltt + valid},${l.subnetId},` +
    `${l.fqdnFwd ? 1 : 0},${l.fqdnRev ? 1 : 0},${host},${l.state},${ctx}\n`
  );
}

/** Kea's v6 row as text (csv_lease_file6.cc). */
function oracle6(l: Lease6, deletion = false): string {
  const valid = deletion ? 0 : l.validLifetime;
  const pref = deletion ? 0 : l.preferredLifetime;
  const host = l.hostname === "" ? "" : escapeField(l.hostname);
  const ctx = l.userContext === null ? "" : escapeField(keaJsonText(l.userContext));
  const hasHw = l.hwaddr !== null && l.hwaddr.hwaddr.length > 0;
  const hw = hasHw ? toColonHex(l.hwaddr!.hwaddr) : "";
  const tail = hasHw ? `${l.hwaddr!.htype},${l.hwaddrSource}` : ",";
  return (
    `${l.address},${toColonHex(l.duid)},${valid},${l.cltt + valid},${l.subnetId},${pref},` +
    `${l.type},${l.iaid},${l.prefixLen},${l.fqdnFwd ? 1 : 0},${l.fqdnRev ? 1 : 0},${host},` +
    `${hw},${l.state},${ctx},${tail}\n`
  );
}

const HOSTNAMES = [
  "",
  "host.example.org",
  "a,b&c",
  "line\nbreak\r",
  "hôte-ü.example",
  "x".repeat(200),
];
const CONTEXTS: (JsonObject | null)[] = [
  null,
  { ISC: { relay: [1, 2] } },
  { comment: "a, b & c", clé: "vàlue", n: 1.5, big: 2 ** 40, nested: { e: [], o: {} } },
];

function bytes(n: number, next: () => number): Buffer {
  return Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
}

describe("lease file rows as bytes", () => {
  it("write IPv6 addresses as ipv6ToString does: zero runs, IPv4-mapped, every group width", () => {
    const next = seededRandom(6);
    const cases: Uint8Array[] = [
      new Uint8Array(16),
      Uint8Array.from([...new Array(15).fill(0), 1]),
      Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 198, 51, 100, 7]),
      Uint8Array.from([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]),
      Uint8Array.from([0x20, 1, 0xd, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      Uint8Array.from([0x20, 1, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0xab, 0xcd, 0, 0, 0, 0]),
    ];
    for (let i = 0; i < 2000; i++) {
      // Groups zero, one to four hex digits wide, at random.
      const b = new Uint8Array(16);
      for (let g = 0; g < 8; g++) {
        const kind = Math.floor(next() * 5);
        const v = kind === 0 ? 0 : Math.floor(next() * 16 ** kind);
        b[2 * g] = v >>> 8;
        b[2 * g + 1] = v & 255;
      }
      cases.push(b);
    }
    const w = new RowBytes(8); // grows as it goes
    for (const b of cases) {
      const at = w.length;
      w.ipv6(b, 0);
      assert.equal(w.buf.toString("latin1", at, w.length), ipv6ToString(b));
    }
  });

  it("write numbers as JavaScript prints them, integers as digits", () => {
    const w = new RowBytes(4);
    for (const n of [
      0,
      7,
      10,
      99,
      4294967295,
      1_800_003_600,
      2 ** 53 - 1,
      2 ** 53,
      1.5,
      -3,
      1e21,
    ]) {
      w.clear();
      w.number(n);
      assert.equal(w.toString(), `${n}`);
    }
  });

  it("v4: the store's rows from its columns are the format's rows, byte for byte", (t) => {
    const file = path.join(tempDir(t), "l4.csv");
    const s = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
    t.after(() => s.close());
    const next = seededRandom(4);
    const expected: string[] = [];
    const live: Lease4[] = [];
    for (let i = 0; i < 600; i++) {
      if (live.length > 0 && next() < 0.25) {
        const old = live.splice(Math.floor(next() * live.length), 1)[0]!;
        assert.ok(s.deleteLease4(old));
        expected.push(oracle4(old, 0));
        continue;
      }
      const hwKind = Math.floor(next() * 3);
      const declined = next() < 0.1;
      const lease = new Lease4({
        address: `198.18.${Math.floor(i / 200)}.${i % 200}`,
        hwaddr: hwKind === 0 && declined ? null : new HWAddr(bytes(hwKind === 1 ? 0 : 6, next), 1),
        clientId: next() < 0.5 ? bytes(1 + Math.floor(next() * 20), next) : null,
        validLifetime: next() < 0.1 ? 0xffffffff : 1 + Math.floor(next() * 100_000),
        cltt: 1_800_000_000 + Math.floor(next() * 1e6),
        subnetId: 1 + Math.floor(next() * 5000),
        fqdnFwd: next() < 0.5,
        fqdnRev: next() < 0.5,
        state: declined ? LeaseState.DECLINED : Math.floor(next() * 3),
        userContext: CONTEXTS[Math.floor(next() * CONTEXTS.length)]!,
      });
      const noHw = lease.hwaddr === null || lease.hwaddr.hwaddr.length === 0;
      if (noHw && lease.clientId === null && !declined) continue;
      lease.hostname = HOSTNAMES[Math.floor(next() * HOSTNAMES.length)]!;
      assert.ok(s.addLease4(lease));
      const stored = s.getLease4(lease.address)!;
      expected.push(oracle4(stored));
      live.push(stored);
      if (next() < 0.3) {
        stored.cltt += 60;
        stored.hostname = HOSTNAMES[Math.floor(next() * HOSTNAMES.length)]!;
        s.updateLease4(stored);
        expected.push(oracle4(s.getLease4(lease.address)!));
      }
      if (i % 7 === 0) s.flush();
    }
    s.flush();
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER_2_2}\n${expected.join("")}`);
  });

  it("v6: the store's rows from its columns are the format's rows, byte for byte", (t) => {
    const file = path.join(tempDir(t), "l6.csv");
    const s = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0 });
    t.after(() => s.close());
    const next = seededRandom(66);
    const expected: string[] = [];
    const live: Lease6[] = [];
    for (let i = 0; i < 600; i++) {
      if (live.length > 0 && next() < 0.25) {
        const old = live.splice(Math.floor(next() * live.length), 1)[0]!;
        assert.ok(s.deleteLease6(old));
        expected.push(oracle6(old, true));
        continue;
      }
      const prefix = next() < 0.3;
      const hwKind = Math.floor(next() * 3);
      const lease = new Lease6({
        address: prefix ? `2001:db8:${(i + 1).toString(16)}::` : `2001:db8::${i.toString(16)}:0:1`,
        type: prefix ? 2 : 0,
        prefixLen: prefix ? 48 + Math.floor(next() * 17) : 128,
        duid: Buffer.concat([Buffer.from([0, 2]), bytes(Math.floor(next() * 30), next)]),
        iaid: Math.floor(next() * 2 ** 32),
        preferredLifetime: Math.floor(next() * 5000),
        validLifetime: next() < 0.1 ? 0xffffffff : 5000 + Math.floor(next() * 5000),
        cltt: 1_800_000_000 + Math.floor(next() * 1e6),
        subnetId: 1 + Math.floor(next() * 5000),
        fqdnFwd: next() < 0.5,
        fqdnRev: next() < 0.5,
        hwaddr: hwKind === 0 ? null : new HWAddr(bytes(hwKind === 1 ? 0 : 6, next), 1),
        hwaddrSource: Math.floor(next() * 64),
        state: Math.floor(next() * 3),
        userContext: CONTEXTS[Math.floor(next() * CONTEXTS.length)]!,
      });
      lease.hostname = HOSTNAMES[Math.floor(next() * HOSTNAMES.length)]!;
      assert.ok(s.addLease6(lease));
      const stored = s.getLease6(lease.type, lease.address)!;
      expected.push(oracle6(stored));
      live.push(stored);
      if (i % 7 === 0) s.flush();
    }
    s.flush();
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER6_2_2}\n${expected.join("")}`);
  });

  it("the group commit writes every batch from one buffer, kept from flush to flush", (t) => {
    const file = path.join(tempDir(t), "l4.csv");
    const buffers = new Set<Uint8Array>();
    const s = MemfileLeaseStore4.open(
      { name: file, "lfc-interval": 0 },
      {
        writeSync: (fd, buf, off, len) => {
          buffers.add(buf);
          return fs.writeSync(fd, buf, off, len);
        },
      },
    );
    t.after(() => s.close());
    for (let n = 1; n <= 100; n++) {
      s.addLease4(
        new Lease4({
          address: `198.51.100.${n}`,
          hwaddr: HWAddr.fromText(`02:00:00:00:00:${n.toString(16).padStart(2, "0")}`),
          validLifetime: 3600,
          cltt: 1_800_000_000,
          subnetId: 1,
        }),
      );
      s.flush();
    }
    assert.equal(buffers.size, 1);
    const rows = fs.readFileSync(file, "utf8").split("\n");
    assert.equal(rows.length, 102); // header, 100 rows, the last line feed
    assert.equal(rows[100], "198.51.100.100,02:00:00:00:00:64,,3600,1800003600,1,0,0,,0,");
  });
});
