/**
 * MemfileLeaseStore6 kept as columns: records removed and reused, many leases of one DUID, a
 * load that deletes and re-adds, and random changes checked against a plain model, then reloaded.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import { EMPTY_DUID, LeaseState, LeaseType6 } from "../../../../src/dhcpsrv/leases/lease6.ts";
import type { Lease6 } from "../../../../src/dhcpsrv/leases/lease6.ts";
import { MemfileLeaseStore6 } from "../../../../src/dhcpsrv/leases/memfile-lease-store6.ts";
import {
  HEADER6_2_2,
  duidOf,
  lease6,
  leaseSetText6,
  tempDir,
  writeLines,
} from "./lease6-helpers.ts";

const addressOf = (n: number) => `2001:db8:1::${n.toString(16)}`;

describe("memfile6 as columns", () => {
  it("thousands of declined leases share the empty DUID: listed in the order they came", () => {
    const s = MemfileLeaseStore6.open({ persist: false });
    for (let n = 1; n <= 3000; n++) {
      s.addLease6(lease6(n, { duid: EMPTY_DUID, state: LeaseState.DECLINED }));
    }
    for (let n = 2; n <= 3000; n += 2) assert.ok(s.deleteLease6(lease6(n)));
    // Removed records are reused by new leases; their DUIDs are their own.
    for (let n = 3001; n <= 3100; n++) s.addLease6(lease6(n));
    const declined = s.getLeases6ByDuid(EMPTY_DUID).map((l) => l.address);
    assert.deepEqual(
      declined,
      Array.from({ length: 1500 }, (_, i) => addressOf(2 * i + 1)),
    );
    for (let n = 3001; n <= 3100; n++) {
      const got = s.getLeases6ByDuidIaid(LeaseType6.IA_NA, duidOf(n), n);
      assert.equal(got.length, 1);
      assert.equal(got[0]!.address, addressOf(n));
    }
    assert.equal(s.size, 1600);
    assert.equal(s.getLease6(LeaseType6.IA_NA, addressOf(2)), null);
  });

  it("a load that deletes and re-adds: Kea's order of a subnet, every index right", (t) => {
    const file = path.join(tempDir(t), "l6.csv");
    const row = (n: number, duid: string, valid: number, subnet = 1) =>
      `${addressOf(n)},${duid},${valid},${1_800_000_000 + valid},${subnet},100,0,${n},128,0,0,,,0,,,`;
    writeLines(file, [
      HEADER6_2_2,
      row(1, "00:01:aa", 3600),
      row(2, "00:01:bb", 3600),
      row(3, "00:01:aa", 3600),
      row(2, "00:01:bb", 0), // deleted
      row(2, "00:01:cc", 3600), // added again: after the others
      row(1, "00:01:aa", 7200), // replaced in place
      row(9, "00:01:dd", 0), // deletes nothing
    ]);
    const s = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0 });
    t.after(() => s.close());
    assert.equal(s.size, 3);
    assert.deepEqual(
      s.getLeases6BySubnet(1).map((l) => l.address),
      [addressOf(1), addressOf(3), addressOf(2)],
    );
    assert.deepEqual(
      s.getAllLeases6().map((l) => l.address),
      [1, 2, 3].map(addressOf),
    );
    const aa = s.getLeases6ByDuid(Buffer.from([0, 1, 0xaa])).map((l) => l.address);
    assert.deepEqual(aa, [addressOf(1), addressOf(3)]);
    assert.deepEqual(s.getLeases6ByDuid(Buffer.from([0, 1, 0xbb])), []);
    assert.equal(s.getLeases6ByDuid(Buffer.from([0, 1, 0xcc]))[0]!.address, addressOf(2));
    assert.equal(s.getLease6(LeaseType6.IA_NA, addressOf(1))!.validLifetime, 7200);
    assert.deepEqual(
      s.getLeases6Page(addressOf(1), 10).map((l) => l.address),
      [addressOf(2), addressOf(3)],
    );
  });

  it("random adds, updates and deletes agree with a plain model, and reload the same", async (t) => {
    const file = path.join(tempDir(t), "l6.csv");
    const s = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0 });
    const model = new Map<string, Lease6>();
    let x = 12345;
    const next = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    for (let i = 0; i < 5000; i++) {
      const n = 1 + next(700);
      const a = addressOf(n);
      const have = model.get(a);
      const op = next(3);
      if (have === undefined) {
        const l = lease6(n, { duid: duidOf(next(40)), subnetId: 1 + next(3), iaid: next(4) });
        assert.ok(s.addLease6(l));
        model.set(a, l);
      } else if (op === 0) {
        assert.ok(s.deleteLease6(have));
        model.delete(a);
      } else {
        const l = have.clone();
        l.duid = duidOf(next(40));
        l.subnetId = 1 + next(3);
        l.cltt += next(100);
        l.hostname = next(2) === 0 ? "" : `h${next(5)}`;
        if (next(4) === 0) l.userContext = { n: next(9) };
        s.updateLease6(l);
        model.set(a, l);
      }
    }
    assert.equal(s.size, model.size);
    assert.equal(leaseSetText6(s.getAllLeases6()), leaseSetText6(model.values()));
    for (let d = 0; d < 40; d++) {
      const want = [...model.values()].filter((l) => l.duid.equals(duidOf(d)));
      assert.equal(leaseSetText6(s.getLeases6ByDuid(duidOf(d))), leaseSetText6(want));
    }
    for (const name of ["h0", "h3"]) {
      const want = [...model.values()].filter((l) => l.hostname === name);
      assert.equal(leaseSetText6(s.getLeases6ByHostname(name)), leaseSetText6(want));
    }
    s.flush();
    await s.close();
    const again = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0 });
    t.after(() => again.close());
    assert.equal(leaseSetText6(again.getAllLeases6()), leaseSetText6(model.values()));
  });
});
