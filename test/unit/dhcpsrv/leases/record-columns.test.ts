/**
 * The parts of a store kept as columns (record-table.ts, byte-arena.ts, record-hash.ts,
 * record-heap.ts, record-order.ts, record-lists.ts) and the v6 row read in place
 * (readLease6RowBytes), each against a plain reference through random changes.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteArena, ByteRefs } from "../../../../src/dhcpsrv/leases/byte-arena.ts";
import {
  Lease6Row,
  parseLease6Header,
  readLease6Row,
  readLease6RowBytes,
} from "../../../../src/dhcpsrv/leases/csv-lease-file6.ts";
import { RecordHashIndex, type RecordKeys } from "../../../../src/dhcpsrv/leases/record-hash.ts";
import { RecordExpiryHeap } from "../../../../src/dhcpsrv/leases/record-heap.ts";
import { NameIndex, SubnetLists } from "../../../../src/dhcpsrv/leases/record-lists.ts";
import { RecordOrder } from "../../../../src/dhcpsrv/leases/record-order.ts";
import {
  RecordAllocator,
  SmallColumn,
  compareBytes,
  radixSortRecords,
} from "../../../../src/dhcpsrv/leases/record-table.ts";
import { addToSubnet, moveToSubnet } from "../../../../src/dhcpsrv/leases/subnet-order.ts";
import { HEADER6_2_2, HEADER6_3_0 } from "./lease6-helpers.ts";

/** A seeded generator (xorshift32): the same sequence on every run. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

describe("record allocator", () => {
  it("grows by doubling, telling the owner, and hands removed records out again", () => {
    const grows: number[] = [];
    const a = new RecordAllocator(16, (cap) => grows.push(cap));
    const got = Array.from({ length: 40 }, () => a.alloc());
    assert.deepEqual(
      got,
      Array.from({ length: 40 }, (_, i) => i),
    );
    assert.deepEqual(grows, [32, 64]);
    assert.equal(a.live, 40);
    a.release(7);
    a.release(30);
    assert.equal(a.used[7], 0);
    assert.equal(a.live, 38);
    assert.deepEqual([a.alloc(), a.alloc(), a.alloc()], [30, 7, 40]);
    assert.equal(a.used[7], 1);
  });

  it("while a load holds them, removed records are not reused: record order is first-add order", () => {
    const a = new RecordAllocator(16, () => {});
    for (let i = 0; i < 5; i++) a.alloc();
    a.holdFreed();
    a.release(2);
    assert.equal(a.alloc(), 5);
    a.reuse();
    assert.equal(a.alloc(), 2);
  });
});

describe("byte arena", () => {
  it("keeps each record's bytes apart: none, empty and set, through replacements", () => {
    const arena = new ByteArena(16);
    const refs = new ByteRefs(4);
    arena.set(refs, 0, Buffer.from("abc"), 0, 3);
    arena.set(refs, 1, Buffer.from("xyz"), 0, -1);
    arena.set(refs, 2, Buffer.from(""), 0, 0);
    const text = (r: number) => {
      const bytes = arena.scratch(refs, r);
      return bytes === null ? null : Buffer.from(bytes).toString();
    };
    assert.equal(text(0), "abc");
    assert.equal(arena.scratch(refs, 1), null);
    assert.equal(arena.scratch(refs, 2)!.length, 0);
    const scratch = arena.scratch(refs, 0)!;
    scratch[0] = 0x7a;
    assert.equal(text(0), "abc", "the scratch is not the arena");
    arena.set(refs, 0, Buffer.from("--hello--"), 2, 5);
    assert.equal(text(0), "hello");
    arena.clear(refs, 0);
    assert.equal(text(0), null);
  });

  it("compacts once garbage is most of it, and every live record keeps its bytes", () => {
    const arena = new ByteArena();
    const n = 2000;
    const refs = new ByteRefs(n);
    const used = new Uint8Array(n).fill(1);
    const want: string[] = [];
    const next = rng(7);
    for (let round = 0; round < 40; round++) {
      for (let r = 0; r < n; r++) {
        if (next(3) !== 0 && round > 0) continue;
        const text = `client-${r}-${round}-${"x".repeat(next(30))}`;
        arena.set(refs, r, Buffer.from(text), 0, text.length);
        want[r] = text;
      }
      arena.compactIfWasteful([refs], used, n);
    }
    assert.ok(arena.used < 4 * want.reduce((s, t) => s + t.length, 0), "garbage was dropped");
    for (let r = 0; r < n; r++) {
      assert.equal(Buffer.from(arena.scratch(refs, r)!).toString(), want[r]);
    }
  });
});

/** Records whose key is keys[r]; `hash` may be made to collide. */
function keyed(keys: number[], hash: (k: number) => number): RecordKeys {
  return { hashOf: (r) => hash(keys[r]!), sameKey: (a, b) => keys[a] === keys[b] };
}

describe("record hash index", () => {
  it("unique: finds, removes and re-adds records through growth, all keys colliding", () => {
    const keys: number[] = [];
    const idx = new RecordHashIndex(
      keyed(keys, () => 42),
      false,
      4,
    );
    const probe = (k: number) => ({ matches: (r: number) => keys[r] === k });
    for (let r = 0; r < 300; r++) {
      keys[r] = r * 3;
      idx.insert(r);
    }
    for (let r = 0; r < 300; r += 2) idx.remove(r);
    assert.equal(idx.size, 150);
    for (let r = 0; r < 300; r++) assert.equal(idx.find(42, probe(r * 3)), r % 2 ? r : -1);
    keys[0] = 1; // record 0 reused for another key
    idx.insert(0);
    assert.equal(idx.find(42, probe(1)), 0);
    assert.equal(idx.find(42, probe(0)), -1);
    assert.equal([...idx.records()].length, 151);
  });

  it("unique: agrees with a Map through random adds and removes", () => {
    const keys: number[] = [];
    const idx = new RecordHashIndex(
      keyed(keys, (k) => Math.imul(k, 0x9e3779b1) >>> 0),
      false,
      16,
    );
    const ref = new Map<number, number>();
    const next = rng(11);
    const free: number[] = [];
    let top = 0;
    for (let i = 0; i < 20000; i++) {
      const k = next(3000);
      const h = Math.imul(k, 0x9e3779b1) >>> 0;
      const have = idx.find(h, { matches: (r) => keys[r] === k });
      assert.equal(have, ref.get(k) ?? -1);
      if (have >= 0) {
        idx.remove(have);
        ref.delete(k);
        free.push(have);
      } else {
        const r = free.pop() ?? top++;
        keys[r] = k;
        idx.insert(r);
        ref.set(k, r);
      }
    }
    assert.equal(idx.size, ref.size);
  });

  it("multi: many records of one key stay in the order they were filed, whatever is removed", () => {
    const keys: number[] = [];
    const idx = new RecordHashIndex(
      keyed(keys, (k) => k & 1),
      true,
      8,
    );
    const ref = new Map<number, number[]>();
    const next = rng(5);
    let top = 0;
    let capacity = 8;
    const chain = (k: number): number[] => {
      const out: number[] = [];
      for (let r = idx.find(k & 1, { matches: (x) => keys[x] === k }); r >= 0; r = idx.next[r]!) {
        out.push(r);
      }
      return out;
    };
    for (let i = 0; i < 6000; i++) {
      const k = next(6); // few keys: long chains (a DUID with thousands of leases)
      const list = ref.get(k) ?? [];
      if (list.length > 0 && next(3) === 0) {
        const at = [0, list.length - 1, next(list.length)][next(3)]!; // head, tail or middle
        const r = list[at]!;
        idx.remove(r);
        list.splice(at, 1);
      } else {
        const r = top++;
        if (r === capacity) idx.growRecords((capacity *= 2)); // as a store's columns grow
        keys[r] = k;
        idx.insert(r);
        list.push(r);
      }
      ref.set(k, list);
      if (i % 500 === 0) for (const [key, want] of ref) assert.deepEqual(chain(key), want);
    }
    for (const [key, want] of ref) assert.deepEqual(chain(key), want);
    const all = [...ref.values()].flat().sort((a, b) => a - b);
    assert.deepEqual(
      [...idx.records()].sort((a, b) => a - b),
      all,
    );
  });
});

describe("record expiry heap", () => {
  it("gives live records expired before now, soonest first, and skips stale versions", () => {
    const heap = new RecordExpiryHeap();
    const versions = new Int32Array(100);
    const next = rng(3);
    const expire: number[] = [];
    for (let r = 0; r < 100; r++) {
      expire[r] = 1000 + next(500);
      heap.push(expire[r]!, r, 0);
    }
    for (let r = 0; r < 100; r += 3) versions[r] = 1; // changed: their entries are stale
    const want = [...Array(100).keys()]
      .filter((r) => r % 3 !== 0 && expire[r]! < 1300)
      .sort((a, b) => expire[a]! - expire[b]!);
    const got = heap.expired(1300, 0, versions);
    assert.deepEqual(
      got.map((r) => expire[r]),
      want.map((r) => expire[r]),
    );
    assert.deepEqual(heap.expired(1300, 2, versions).length, 2, "they stay filed; max holds");
    heap.rebuild(100, (r) => (r < 10 ? expire[r]! : null), versions);
    assert.equal(heap.length, 10);
  });
});

describe("record order", () => {
  it("keeps records in key order through inserts, removals, splits and pages", () => {
    const keys = new Float64Array(20000);
    const order = new RecordOrder((a, b) => (a < 0 ? -1 : keys[a]!) - (b < 0 ? -1 : keys[b]!));
    const ref = new Set<number>();
    const next = rng(9);
    for (let r = 0; r < 8000; r++) keys[r] = next(1_000_000) * 8000 + r; // distinct keys
    const initial = Int32Array.from([...Array(3000).keys()].sort((a, b) => keys[a]! - keys[b]!));
    order.rebuildSorted(initial);
    for (const r of initial) ref.add(r);
    for (let i = 0; i < 8000; i++) {
      const r = next(8000);
      if (ref.has(r)) {
        assert.ok(order.remove(r));
        ref.delete(r);
      } else {
        order.insert(r);
        ref.add(r);
      }
    }
    const sorted = [...ref].sort((a, b) => keys[a]! - keys[b]!);
    assert.deepEqual([...order.values()], sorted);
    assert.equal(order.size, sorted.length);
    const mid = sorted[100]!;
    assert.deepEqual(order.page(mid, 5), sorted.slice(101, 106));
    assert.deepEqual(order.page(null, 3), sorted.slice(0, 3));
    assert.equal(order.remove(sorted.length + 9000), false);
  });

  it("radix sort orders records by their key bytes, stably", () => {
    const keys = new Uint8Array(4 * 500);
    const next = rng(4);
    for (let i = 0; i < keys.length; i++) keys[i] = i % 4 < 2 ? 7 : next(4);
    const records = Int32Array.from(Array(500).keys());
    const sorted = [...radixSortRecords(records, keys, 4)];
    const want = [...Array(500).keys()].sort(
      (a, b) => compareBytes(keys, a * 4, keys, b * 4, 4) || a - b,
    );
    assert.deepEqual(sorted, want);
    const numbers = Uint32Array.from({ length: 500 }, () => next(2 ** 31) * 2 + next(2));
    const bytes = new Uint8Array(numbers.buffer);
    const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    const byNumber = [...radixSortRecords(records, bytes, 4, little)];
    assert.deepEqual(
      byNumber,
      [...Array(500).keys()].sort((a, b) => numbers[a]! - numbers[b]! || a - b),
    );
  });
});

describe("subnet lists", () => {
  it("keep the order of subnet-order.ts (Kea's) through random adds, moves and removals", () => {
    const lists = new SubnetLists(4);
    const ref = new Map<number, Set<number>>();
    const subnetOf: number[] = [];
    const next = rng(21);
    for (let i = 0; i < 4000; i++) {
      const r = next(600);
      if (i === 0) lists.growRecords(600); // as a store's columns grow
      const from = subnetOf[r];
      if (from === undefined) {
        const id = 1 + next(5);
        lists.add(id, r);
        addToSubnet(ref, id, r);
        subnetOf[r] = id;
      } else if (next(4) === 0) {
        lists.remove(from, r);
        ref.get(from)!.delete(r);
        delete subnetOf[r];
      } else {
        const to = 1 + next(5);
        if (to === from) continue;
        lists.move(r, from, to);
        moveToSubnet(ref, r, from, to);
        subnetOf[r] = to;
      }
    }
    for (let id = 1; id <= 5; id++) {
      assert.deepEqual([...lists.records(id)], [...(ref.get(id) ?? [])], `subnet ${id}`);
      assert.equal(lists.size(id), ref.get(id)?.size ?? 0);
    }
  });

  it("names: each name's records in the order they were filed", () => {
    const names = new NameIndex();
    names.add("a", 1);
    names.add("a", 2);
    names.add("", 3);
    names.add("a", 4);
    names.remove("a", 2);
    assert.deepEqual(names.records("a"), [1, 4]);
    assert.deepEqual(names.records(""), []);
    names.remove("a", 1);
    assert.deepEqual(names.records("a"), [4]);
  });
});

describe("v6 lease file row read in place", () => {
  const layouts = [parseLease6Header(HEADER6_2_2), parseLease6Header(HEADER6_3_0)];
  const rows = [
    '2001:db8:1::100,00:01:02:03:04:05,7200,1795512687,1,7200,0,7,128,0,0,a&#x2cb&#x26c,02:42:aa:bb:cc:dd,0,{ "x": 1 },1,0',
    "2001:db8:8::,00:01:02:03:04:06,200,1795505688,1,100,2,8,56,0,0,,,0,,,",
    "2001:db8:1::101,00:01:02:03:04:07,0,1795505488,1,0,0,9,128,0,0,,,1,,,",
    "::,00,10,20,3,5,0,1,128,1,1,HostName,,1,,,",
    "::1,0a:0b,10,20,3,5,0,1,128,0,0,,0a:0b:0c,0,,6,8\r",
    "1::,0a:0b,10,20,3,5,0,1,128,0,0,,0a:0b:0c,0,,,",
    "1:2:3:4:5:6:7:8,AA:BB,10,20,3,5,1,1,128,0,0,,,0,,,,9",
    "2001:DB8:0008:0:0:0:0:0,00:01,1,2,3,4,0,5,128,0,0,,,0,,,",
    "::ffff:198.51.100.1,00:01,1,2,3,4,0,5,128,0,0,,,0,,,",
    "2001:db8::1,0:1:2,1,2,3,4,0,5,128,0,0,,,0,,,",
    "2001:db8::1,00:01,1,2,3,4,0,5,128,0,0,,zz,0,,,",
    "2001:db8::1,00:01,1,2,3,4,0,5,128,0,0,,0a,0,,x,",
    "2001:db8::1,00:01,1,2,3,4,0,5,128,0,0,,0a,0,,,",
    // bad rows
    "2001:db8::1,00,1,2,3,4,0,5,128,0,0,,,0,,,",
    "2001:db8::g,00:01,1,2,3,4,0,5,128,0,0,,,0,,,",
    "1:2:3:4:5:6:7:8:9,00:01,1,2,3,4,0,5,128,0,0,,,0,,,",
    "1::2::3,00:01,1,2,3,4,0,5,128,0,0,,,0,,,",
    "2001:db8::1,,1,2,3,4,0,5,128,0,0,,,0,,,",
    "2001:db8::1,00:01,-1,2,3,4,0,5,128,0,0,,,0,,,",
    "2001:db8::1,00:01,4294967296,2,3,4,0,5,128,0,0,,,0,,,",
    "2001:db8::1,00:01,1,2,3,4,3,5,128,0,0,,,0,,,",
    "2001:db8::1,00:01,1,2,3,4,0,5,129,0,0,,,0,,,",
    "2001:db8::1,00:01,1,2,3,4,0,5,128,true,0,,,0,,,",
    "2001:db8::1,00:01,1,2,3,4,0,5,128,0,0,,,x,,,",
    "2001:db8::1,00:01,1,2,3,4,0,5,128,0,0,,,0,[1],,",
    "2001:db8::1,00:01,1,2,3,4,0,5,128,0,0,,,0,,,,,,,",
    "2001:db8::1,00:01,1,2,3,4,0,5,128,0,0,,,0",
  ];

  it("gives the values (or the error) of the row read as text, for every form", () => {
    const row = new Lease6Row();
    const bytes = (v: Lease6Row) => ({
      addr: [...v.addr],
      duid: [...v.duid.subarray(0, v.duidLen)],
      hw: v.hwLen < 0 ? null : [...v.hw.subarray(0, v.hwLen)],
      hwtype: v.hwtype,
      hwaddrSource: v.hwaddrSource,
      validLifetime: v.validLifetime,
      cltt: v.cltt,
      subnetId: v.subnetId,
      preferredLifetime: v.preferredLifetime,
      type: v.type,
      iaid: v.iaid,
      prefixLen: v.prefixLen,
      fqdnFwd: v.fqdnFwd,
      fqdnRev: v.fqdnRev,
      hostname: v.hostname,
      state: v.state,
      userContext: v.userContext,
      poolId: v.poolId,
    });
    let bad = 0;
    for (const layout of layouts) {
      for (const text of rows) {
        const buf = Buffer.from(`xx\n${text}\nyy`, "latin1");
        let want: ReturnType<typeof bytes> | string;
        try {
          const ref = new Lease6Row();
          ref.fromValues(readLease6Row(text, layout));
          want = bytes(ref);
        } catch (err) {
          want = (err as Error).message;
        }
        let got: ReturnType<typeof bytes> | string;
        try {
          readLease6RowBytes(buf, 3, 3 + text.length, layout, row);
          got = bytes(row);
        } catch (err) {
          got = (err as Error).message;
        }
        assert.deepEqual(got, want, text);
        if (typeof want === "string") bad++;
      }
    }
    assert.ok(bad >= 2 * 13, `${bad} bad rows refused`);
  });
});

describe("small column", () => {
  it("keeps every value: bytes below 255, the rest beside them, through changes", () => {
    const col = new SmallColumn(4);
    const want = [0, 254, 255, 0xffffffff, 7];
    col.grow(8);
    want.forEach((v, r) => col.set(r, v));
    assert.deepEqual(
      want.map((_, r) => col.get(r)),
      want,
    );
    col.set(3, 1); // a large value replaced by a small one
    col.set(1, 70000);
    assert.deepEqual([col.get(1), col.get(3)], [70000, 1]);
  });
});
