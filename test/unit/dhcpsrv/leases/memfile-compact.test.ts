/**
 * The memfile stores' compact records: what a lease costs in memory once loaded, and what the
 * stores hand out (new leases made from their records, as Kea's memfile hands out copies).
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { LeaseState, LeaseType6 } from "../../../../src/dhcpsrv/leases/lease6.ts";
import { MemfileLeaseStore4 } from "../../../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { MemfileLeaseStore6 } from "../../../../src/dhcpsrv/leases/memfile-lease-store6.ts";
import { HEADER_2_2, lease, tempDir } from "./lease-helpers.ts";
import { HEADER6_2_2, lease6 } from "./lease6-helpers.ts";

type Ctx = { after(fn: () => void): void };

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/**
 * Memory in use after full collections: the heap and the typed arrays' buffers, which live
 * outside it (a store kept as columns holds its leases there).
 */
function heapUsed(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const N = 50_000;
const EXPIRE = 1_800_086_400;

function mac(i: number): string {
  const h = (0x020000000000 + i).toString(16).padStart(12, "0");
  return h.match(/../g)!.join(":");
}

/** A lease file of N leases in the bench's layout (a hardware address and a client id each). */
function file4(dir: string): string {
  const file = path.join(dir, "leases4.csv");
  const rows = [HEADER_2_2];
  for (let i = 0; i < N; i++) {
    const a = 1 + i;
    rows.push(`198.18.${a >> 8}.${a & 255},${mac(i)},01:${mac(i)},86400,${EXPIRE},1,0,0,,0,`);
  }
  fs.writeFileSync(file, rows.join("\n") + "\n");
  return file;
}

function file6(dir: string): string {
  const file = path.join(dir, "leases6.csv");
  const rows = [HEADER6_2_2];
  for (let i = 0; i < N; i++) {
    rows.push(
      `2001:db8::1:0:${i.toString(16)},00:03:00:01:${mac(i)},86400,${EXPIRE},1,43200,0,${i},128,0,0,,${mac(i)},0,,1,2`,
    );
  }
  fs.writeFileSync(file, rows.join("\n") + "\n");
  return file;
}

/** Bytes per lease of the store `open` loads (the store and its indexes, nothing else). */
function bytesPerLease(open: () => { size: number; close(): Promise<void> }, t: Ctx): number {
  const before = heapUsed();
  const store = open();
  t.after(() => void store.close().catch(() => {}));
  const after = heapUsed();
  assert.equal(store.size, N);
  return (after - before) / N;
}

describe("memfile: a loaded lease's memory", () => {
  // A Lease object per lease with its Buffers, HWAddr and index keys took about 650 bytes; one
  // record object per lease with flat strings about 260; records of typed-array columns take
  // the columns' bytes (room included) and the indexes'.
  it("a v4 lease with a hardware address and a client id takes under 250 bytes of memory", (t) => {
    const file = file4(tempDir(t));
    const per = bytesPerLease(() => MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 }), t);
    assert.ok(per < 250, `${per.toFixed(0)} bytes per lease`);
  });

  it("a v6 lease with a DUID and a hardware address takes under 200 bytes of memory", (t) => {
    const file = file6(tempDir(t));
    const per = bytesPerLease(() => MemfileLeaseStore6.open({ name: file, "lfc-interval": 0 }), t);
    assert.ok(per < 200, `${per.toFixed(0)} bytes per lease`);
  });
});

describe("memfile: a lease read is a copy", () => {
  it("v4: changing a lease read changes nothing until it is written back", () => {
    const store = MemfileLeaseStore4.open({ persist: false });
    store.addLease4(lease(7, { clientId: Buffer.from([1, 2]), userContext: { a: 1 } }));
    const read = store.getLease4("198.51.100.7")!;
    read.cltt -= 100;
    read.hwaddr!.hwaddr[5] = 0x99;
    read.clientId![0] = 9;
    read.userContext = { a: 2 };
    read.state = LeaseState.DECLINED;
    const again = store.getLease4("198.51.100.7")!;
    assert.notEqual(again, read);
    assert.equal(again.cltt, 1_800_000_000);
    assert.equal(again.hwaddr!.toText(), "hwtype=1 02:00:00:00:00:07");
    assert.deepEqual([...again.clientId!], [1, 2]);
    assert.deepEqual(again.userContext, { a: 1 });
    assert.equal(store.countLeases4(1, LeaseState.DEFAULT), 1);
    store.updateLease4(read);
    const written = store.getLease4("198.51.100.7")!;
    assert.equal(written.cltt, 1_800_000_000 - 100);
    assert.equal(written.hwaddr!.toText(), "hwtype=1 02:00:00:00:00:99");
    assert.equal(
      store.getLease4ByHwAddr(HWAddr.fromText("02:00:00:00:00:99"), 1)?.address,
      "198.51.100.7",
    );
    assert.equal(store.getLease4ByHwAddr(HWAddr.fromText("02:00:00:00:00:07"), 1), null);
    assert.equal(store.getLease4ByClientId(Buffer.from([9, 2]), 1)?.address, "198.51.100.7");
    assert.deepEqual(written.userContext, { a: 2 });
    assert.equal(store.countLeases4(1, LeaseState.DECLINED), 1);
  });

  it("v6: changing a lease read changes nothing until it is written back", () => {
    const store = MemfileLeaseStore6.open({ persist: false });
    store.addLease6(
      lease6(7, {
        hwaddr: HWAddr.fromText("02:00:00:00:00:07"),
        hwaddrSource: 2,
        hostname: "Host",
      }),
    );
    const read = store.getLease6(LeaseType6.IA_NA, "2001:db8:1::7")!;
    assert.equal(read.hostname, "host");
    read.duid[9] = 0x42;
    read.hwaddr!.hwaddr[5] = 0x99;
    read.iaid = 70;
    const again = store.getLease6(LeaseType6.IA_NA, "2001:db8:1::7")!;
    assert.notEqual(again, read);
    assert.equal(again.duid[9], 7);
    assert.equal(again.iaid, 7);
    assert.equal(again.hwaddr!.toText(), "hwtype=1 02:00:00:00:00:07");
    assert.equal(again.hwaddrSource, 2);
    store.updateLease6(read);
    assert.deepEqual(store.getLeases6ByDuidIaid(LeaseType6.IA_NA, again.duid, 7), []);
    const moved = store.getLeases6ByDuidIaid(LeaseType6.IA_NA, read.duid, 70);
    assert.equal(moved.length, 1);
    assert.equal(moved[0]!.address, "2001:db8:1::7");
    assert.equal(moved[0]!.hwaddr!.toText(), "hwtype=1 02:00:00:00:00:99");
  });
});

describe("memfile: a subnet's leases one at a time", () => {
  it("eachLease4InSubnet and eachLease6InSubnet give getLeasesNBySubnet's leases, in its order", () => {
    const s4 = MemfileLeaseStore4.open({ persist: false });
    const s6 = MemfileLeaseStore6.open({ persist: false });
    for (const n of [9, 3, 5, 4]) {
      s4.addLease4(lease(n, { subnetId: n % 2 === 0 ? 2 : 1 }));
      s6.addLease6(lease6(n, { subnetId: n % 2 === 0 ? 2 : 1 }));
    }
    for (const id of [1, 2, 3]) {
      const all4 = s4.getLeases4BySubnet(id).map((l) => l.address);
      const all6 = s6.getLeases6BySubnet(id).map((l) => l.address);
      assert.deepEqual(
        [...s4.eachLease4InSubnet(id)].map((l) => l.address),
        all4,
      );
      assert.deepEqual(
        [...s6.eachLease6InSubnet(id)].map((l) => l.address),
        all6,
      );
    }
    assert.deepEqual(
      [...s4.eachLease4InSubnet(1)].map((l) => l.address),
      ["198.51.100.9", "198.51.100.3", "198.51.100.5"],
    );
  });
});
