/**
 * What a memfile lookup that finds a lease allocates, counted by V8's sampling heap profiler
 * (collected objects included): the lease made from the record and its identifiers copied once
 * each (not once into a copy and again by the constructors), the address text kept for the next
 * lookup of the same address. And the lease handed out is still the caller's own: changing its
 * bytes changes nothing in the store.
 */
import assert from "node:assert/strict";
import { Session } from "node:inspector/promises";
import { describe, it } from "node:test";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { Lease4 } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { Lease6 } from "../../../../src/dhcpsrv/leases/lease6.ts";
import { MemfileLeaseStore4 } from "../../../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { MemfileLeaseStore6 } from "../../../../src/dhcpsrv/leases/memfile-lease-store6.ts";

const N = 20000;

/** Bytes allocated per call of `f(i)`, i from 0 to N - 1, after a warm-up pass. */
async function bytesPerCall(f: (i: number) => unknown): Promise<number> {
  for (let round = 0; round < 3; round++) for (let i = 0; i < N; i++) f(i);
  const session = new Session();
  session.connect();
  try {
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 64,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    for (let i = 0; i < N; i++) f(i);
    const { profile } = await session.post("HeapProfiler.stopSampling");
    let total = 0;
    const walk = (n: typeof profile.head): void => {
      total += n.selfSize;
      for (const c of n.children) walk(c);
    };
    walk(profile.head);
    return total / N;
  } finally {
    session.disconnect();
  }
}

const mac = (n: number) => Buffer.from([2, 0, 0, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
const duid = (n: number) =>
  Buffer.from([0, 3, 0, 1, 2, 0, 0, (n >> 16) & 255, (n >> 8) & 255, n & 255]);
const v4 = (n: number) => `198.18.${(n >> 8) & 255}.${n & 255}`;
const v6 = (n: number) => `2001:db8:1::${n.toString(16)}`;

describe("memfile lookups that find a lease", () => {
  it("v4: a lease by client id, hardware address or address costs under 800 bytes", async () => {
    const s = MemfileLeaseStore4.open({ persist: false });
    const cids = Array.from({ length: N }, (_, n) => Buffer.concat([Buffer.from([1]), mac(n)]));
    for (let n = 0; n < N; n++) {
      s.addLease4(
        new Lease4({
          address: v4(n),
          hwaddr: new HWAddr(mac(n), 1),
          clientId: cids[n]!,
          validLifetime: 3600,
          cltt: 1_800_000_000,
          subnetId: 1,
        }),
      );
    }
    const hws = Array.from({ length: N }, (_, n) => mac(n));
    const addresses = Array.from({ length: N }, (_, n) => v4(n));
    // Before: some 1,090 bytes (each identifier copied twice, the init object, the address text).
    const byCid = await bytesPerCall((i) => s.getLease4ByClientId(cids[i]!, 1));
    assert.ok(byCid < 800, `${byCid} bytes a client id lookup`);
    const byHw = await bytesPerCall((i) => s.getLease4ByHwAddr(hws[i]!, 1));
    assert.ok(byHw < 800, `${byHw} bytes a hardware address lookup`);
    // The same address four times, as a query's allocation and commit look it up: before 4,390.
    const byAddress = await bytesPerCall((i) => {
      for (let k = 0; k < 4; k++) s.getLease4(addresses[i]!);
    });
    assert.ok(byAddress < 2600, `${byAddress} bytes four address lookups`);
  });

  it("v6: a lease by DUID and IAID or by address costs under 1,000 bytes", async () => {
    const s = MemfileLeaseStore6.open({ persist: false });
    const duids = Array.from({ length: N }, (_, n) => duid(n));
    for (let n = 0; n < N; n++) {
      s.addLease6(
        new Lease6({
          address: v6(n),
          duid: duids[n]!,
          iaid: 1,
          preferredLifetime: 3000,
          validLifetime: 3600,
          cltt: 1_800_000_000,
          subnetId: 1,
          hwaddr: new HWAddr(mac(n), 1),
        }),
      );
    }
    const addresses = Array.from({ length: N }, (_, n) => v6(n));
    // Before: some 1,430 bytes.
    const byDuid = await bytesPerCall((i) => s.getLeases6ByDuidIaidSubnet(0, duids[i]!, 1, 1));
    assert.ok(byDuid < 1000, `${byDuid} bytes a DUID+IAID lookup`);
    // Before: some 5,020 bytes.
    const byAddress = await bytesPerCall((i) => {
      for (let k = 0; k < 4; k++) s.getLease6(0, addresses[i]!);
    });
    assert.ok(byAddress < 3000, `${byAddress} bytes four address lookups`);
  });

  it("the lease handed out is the caller's: changing its bytes changes nothing stored", () => {
    const s4 = MemfileLeaseStore4.open({ persist: false });
    const cid = Buffer.from([1, 2, 0, 0, 0, 0, 9]);
    s4.addLease4(
      new Lease4({
        address: v4(9),
        hwaddr: new HWAddr(mac(9), 1),
        clientId: cid,
        validLifetime: 3600,
        cltt: 1_800_000_000,
        subnetId: 1,
      }),
    );
    const a = s4.getLease4ByClientId(cid, 1)!;
    const b = s4.getLease4ByHwAddr(mac(9), 1)!;
    assert.notEqual(a.clientId, b.clientId);
    assert.notEqual(a.hwaddr!.hwaddr, b.hwaddr!.hwaddr);
    a.clientId!.fill(0xee);
    a.hwaddr!.hwaddr.fill(0xee);
    const c = s4.getLease4(v4(9))!;
    assert.deepEqual([...c.clientId!], [...cid]);
    assert.deepEqual([...c.hwaddr!.hwaddr], [...mac(9)]);
    assert.deepEqual([...b.clientId!], [...cid]);

    const s6 = MemfileLeaseStore6.open({ persist: false });
    s6.addLease6(
      new Lease6({
        address: v6(9),
        duid: duid(9),
        iaid: 7,
        preferredLifetime: 3000,
        validLifetime: 3600,
        cltt: 1_800_000_000,
        subnetId: 1,
        hwaddr: new HWAddr(mac(9), 1),
      }),
    );
    const x = s6.getLease6(0, v6(9))!;
    const y = s6.getLease6(0, v6(9))!;
    x.duid.fill(0xee);
    x.hwaddr!.hwaddr.fill(0xee);
    assert.deepEqual([...y.duid], [...duid(9)]);
    assert.deepEqual([...s6.getLeases6ByDuid(duid(9))[0]!.hwaddr!.hwaddr], [...mac(9)]);
    assert.equal(y.address, "2001:db8:1::9");
  });
});
