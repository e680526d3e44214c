import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LeaseExpiryQueue } from "../../../../src/dhcpsrv/leases/lease-expiry-queue.ts";

type Item = { name: string; version: number };

describe("expiration index", () => {
  it("hands out what expired before now, soonest first, and keeps it for the next query", () => {
    const q = new LeaseExpiryQueue<Item>();
    const items = [30, 10, 50, 20, 40].map((e) => ({ name: `e${e}`, version: 0, e }));
    for (const i of items) q.push(i.e, i);
    assert.deepEqual(
      q.expired(35, 0).map((i) => i.name),
      ["e10", "e20", "e30"],
    );
    assert.deepEqual(
      q.expired(35, 2).map((i) => i.name),
      ["e10", "e20"],
    );
    assert.deepEqual(q.expired(10, 0), []);
  });

  it("a changed item is found at its new time only; a removed one not at all", () => {
    const q = new LeaseExpiryQueue<Item>();
    const renewed = { name: "renewed", version: 0 };
    const removed = { name: "removed", version: 0 };
    q.push(10, renewed);
    q.push(20, removed);
    renewed.version++; // renewed: now expires at 100
    q.push(100, renewed);
    removed.version++; // deleted from the store
    assert.deepEqual(q.expired(50, 0), []);
    assert.deepEqual(q.expired(101, 0), [renewed]);
  });

  it("a rebuild keeps only the live items", () => {
    const q = new LeaseExpiryQueue<Item>();
    const a = { name: "a", version: 0 };
    for (let i = 0; i < 100; i++) q.push(i, a);
    q.rebuild([a, { name: "never", version: 0 }], (i) => (i.name === "a" ? 5 : null));
    assert.equal(q.length, 1);
    assert.deepEqual(q.expired(6, 0), [a]);
  });
});
