/**
 * MemfileLeaseStore4 kept as columns: identifiers shared by many leases over several subnets,
 * records removed and reused, random changes against a plain model then reloaded, and the v4
 * row read in place against the row read as text.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import {
  Lease4Row,
  formatLease4Row,
  parseLease4Header,
  readLease4Row,
  readLease4RowBytes,
} from "../../../../src/dhcpsrv/leases/csv-lease-file4.ts";
import type { Lease4 } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { MemfileLeaseStore4 } from "../../../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { HEADER_2_2, lease, tempDir } from "./lease-helpers.ts";

const text = (leases: Iterable<Lease4>) =>
  [...leases]
    .map((l) => formatLease4Row(l))
    .sort()
    .join("");

describe("memfile4 as columns", () => {
  it("one hardware address over subnets: the first of a subnet, all subnet by subnet", () => {
    const s = MemfileLeaseStore4.open({ persist: false });
    const hw = HWAddr.fromText("02:00:00:00:00:aa");
    for (const [n, subnet] of [
      [10, 3],
      [11, 1],
      [12, 3],
      [13, 2],
      [14, 1],
    ] as const) {
      s.addLease4(lease(n, { hwaddr: hw, subnetId: subnet }));
    }
    assert.equal(s.getLease4ByHwAddr(hw, 3)!.address, "198.51.100.10");
    assert.deepEqual(
      s.getLeases4ByHwAddr(hw).map((l) => l.address),
      ["198.51.100.11", "198.51.100.14", "198.51.100.13", "198.51.100.10", "198.51.100.12"],
    );
    // Moved to subnet 1: after that subnet's others.
    const moved = s.getLease4("198.51.100.10")!;
    moved.subnetId = 1;
    s.updateLease4(moved);
    assert.deepEqual(
      s.getLeases4ByHwAddr(hw, 1).map((l) => l.address),
      ["198.51.100.11", "198.51.100.14", "198.51.100.10"],
    );
    assert.equal(s.getLease4ByHwAddr(hw, 3)!.address, "198.51.100.12");
    assert.equal(s.getLease4ByHwAddr(new Uint8Array(0), 1), null);
  });

  it("random adds, updates and deletes agree with a plain model, and reload the same", async (t) => {
    const file = path.join(tempDir(t), "l4.csv");
    const s = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
    const model = new Map<string, Lease4>();
    let x = 777;
    const next = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const hwOf = (k: number) =>
      HWAddr.fromText(`02:00:00:00:01:${k.toString(16).padStart(2, "0")}`);
    for (let i = 0; i < 5000; i++) {
      const n = 1 + next(250);
      const a = `198.51.100.${n}`;
      const have = model.get(a);
      if (have === undefined) {
        const l = lease(n, {
          hwaddr: hwOf(next(30)),
          clientId: next(2) === 0 ? null : Buffer.from([1, next(20)]),
          subnetId: 1 + next(3),
        });
        assert.ok(s.addLease4(l));
        model.set(a, l);
      } else if (next(3) === 0) {
        assert.ok(s.deleteLease4(have));
        model.delete(a);
      } else {
        const l = have.clone();
        l.hwaddr = hwOf(next(30));
        l.clientId = next(2) === 0 ? null : Buffer.from([1, next(20)]);
        l.subnetId = 1 + next(3);
        l.cltt += next(100);
        l.hostname = next(2) === 0 ? "" : `h${next(5)}`;
        s.updateLease4(l);
        model.set(a, l);
      }
    }
    assert.equal(s.size, model.size);
    assert.equal(text(s.getAllLeases4()), text(model.values()));
    for (let k = 0; k < 30; k++) {
      const want = [...model.values()].filter((l) => l.hwaddr!.hwaddr.equals(hwOf(k).hwaddr));
      assert.equal(text(s.getLeases4ByHwAddr(hwOf(k))), text(want));
    }
    for (let c = 0; c < 20; c++) {
      const id = Buffer.from([1, c]);
      for (const subnet of [1, 2, 3]) {
        const want = [...model.values()].filter(
          (l) => l.clientId?.equals(id) === true && l.subnetId === subnet,
        );
        assert.equal(text(s.getLeases4ByClientId(id, subnet)), text(want));
      }
    }
    s.flush();
    await s.close();
    const again = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
    t.after(() => again.close());
    assert.equal(text(again.getAllLeases4()), text(model.values()));
  });

  it("the row read in place gives the values (or the error) of the row read as text", () => {
    const layout = parseLease4Header(HEADER_2_2);
    const rows = [
      "198.51.100.1,02:00:00:00:00:01,01:02:03,3600,1800003600,1,1,0,Host&#x2cName,0,",
      '198.51.100.2,,01:02,3600,1800003600,2,0,1,,1,{ "a": 1 }',
      "198.51.100.3,02:00:00:00:00:03,,0,1800000000,1,0,0,,0,\r",
      "198.51.100.4,,,3600,1800003600,1,0,0,,1,",
      "198.51.100.5,2:0:0:0:0:5,,3600,1800003600,1,0,0,,0,",
      "198.51.100.6,02:00:00:00:00:06,,3600,1800003600,1,0,0,,0,,7",
      "198.51.100.07,02:00:00:00:00:07,,3600,1800003600,1,0,0,,0,",
      "198.51.100.256,02:00:00:00:00:07,,3600,1800003600,1,0,0,,0,",
      "198.51.100.8,,,3600,1800003600,1,0,0,,0,",
      "198.51.100.9,zz,,3600,1800003600,1,0,0,,0,",
      "198.51.100.9,02:00,,x,1800003600,1,0,0,,0,",
      "198.51.100.9,02:00,,1,1800003600,1,2,0,,0,",
      "198.51.100.9,02:00,,1,1800003600,1,0,0,,0,[1]",
      "198.51.100.9,02:00,,1,1800003600,1,0,0,,0",
      "2001:db8::1,02:00,,1,1800003600,1,0,0,,0,",
    ];
    const view = (v: Lease4Row) => ({
      address: v.address,
      hw: v.hwLen < 0 ? null : [...v.hw.subarray(0, v.hwLen)],
      hwtype: v.hwtype,
      cid: [...v.cid.subarray(0, v.cidLen)],
      rest: [v.validLifetime, v.cltt, v.subnetId, v.fqdnFwd, v.fqdnRev, v.hostname, v.state],
      userContext: v.userContext,
      poolId: v.poolId,
    });
    let bad = 0;
    for (const row of rows) {
      let want: ReturnType<typeof view> | string;
      try {
        const ref = new Lease4Row();
        ref.fromValues(readLease4Row(row, layout));
        want = view(ref);
      } catch (err) {
        want = (err as Error).message;
        bad++;
      }
      let got: ReturnType<typeof view> | string;
      const buf = Buffer.from(`x\n${row}\n`, "latin1");
      try {
        const r = new Lease4Row();
        readLease4RowBytes(buf, 2, 2 + row.length, layout, r);
        got = view(r);
      } catch (err) {
        got = (err as Error).message;
      }
      assert.deepEqual(got, want, row);
    }
    assert.ok(bad >= 7, `${bad} bad rows`);
  });
});
