import assert from "node:assert/strict";
import { test } from "node:test";

import { SortedIndex } from "../../../../src/dhcpsrv/leases/sorted-index.ts";

function index(): SortedIndex<number, { k: number }> {
  return new SortedIndex<number, { k: number }>(
    (e) => e.k,
    (a, b) => a - b,
  );
}

test("random inserts and removes keep the entries in key order, across many blocks", () => {
  const idx = index();
  const held = new Map<number, { k: number }>();
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 20_000;
  for (let i = 0; i < 30_000; i++) {
    const k = rnd();
    const e = held.get(k);
    if (e === undefined) {
      const n = { k };
      held.set(k, n);
      idx.insert(n);
    } else {
      assert.equal(idx.remove(e), true);
      held.delete(k);
    }
  }
  const keys = [...held.keys()].sort((a, b) => a - b);
  assert.deepEqual(
    [...idx.values()].map((e) => e.k),
    keys,
  );
  assert.equal(idx.size, keys.length);
  assert.equal(idx.remove({ k: -1 }), false);
});

test("page() returns the entries after a key, up to the limit, wherever the key falls", () => {
  const idx = index();
  const all = Array.from({ length: 3000 }, (_, i) => ({ k: i * 2 }));
  idx.rebuild([...all].reverse());
  assert.deepEqual(
    idx.page(null, 3).map((e) => e.k),
    [0, 2, 4],
  );
  assert.deepEqual(
    idx.page(4, 2).map((e) => e.k),
    [6, 8],
    "after a key that is held",
  );
  assert.deepEqual(
    idx.page(5, 2).map((e) => e.k),
    [6, 8],
    "after a key that is not",
  );
  assert.deepEqual(
    idx.page(5996, 10).map((e) => e.k),
    [5998],
  );
  assert.deepEqual(idx.page(5998, 10), []);
  // Walking the pages visits every entry once.
  const seen: number[] = [];
  let after: number | null = null;
  for (;;) {
    const page = idx.page(after, 257);
    if (page.length === 0) break;
    seen.push(...page.map((e) => e.k));
    after = page[page.length - 1]!.k;
  }
  assert.deepEqual(
    seen,
    all.map((e) => e.k),
  );
});
