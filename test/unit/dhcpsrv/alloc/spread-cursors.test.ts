import { test } from "node:test";
import assert from "node:assert/strict";
import {
  spreadCursors,
  spreadWithPeers,
  type CursorSpreading,
  type PeerAwareStore,
} from "../../../../src/dhcpsrv/alloc/spread-cursors.ts";

interface Pool {
  name: string;
  start: number;
  end: number;
}
type Model = Pool[];

/** Records which pools were moved, in order. */
function recorder(): { how: CursorSpreading<Model, Pool, number>; moved: string[] } {
  const moved: string[] = [];
  return {
    moved,
    how: {
      pools: (model) => model,
      holds: (pool, a) => a >= pool.start && a <= pool.end,
      spread: (pool) => moved.push(pool.name),
    },
  };
}

const MODEL: Model = [
  { name: "low", start: 10, end: 19 },
  { name: "mid", start: 20, end: 29 },
  { name: "high", start: 30, end: 39 },
];

test("spreadCursors moves every pool, or only the pools holding a lost lease", () => {
  const all = recorder();
  spreadCursors(all.how, MODEL);
  assert.deepEqual(all.moved, ["low", "mid", "high"]);
  const lost = recorder();
  spreadCursors(lost.how, MODEL, [25, 31, 35, 99]);
  assert.deepEqual(lost.moved, ["mid", "high"], "each pool once, none for an address in no pool");
});

test("spreadWithPeers: a peer seen later spreads every pool of the model then in use; a conflict only the pools of the lost leases", () => {
  const r = recorder();
  const store: PeerAwareStore<number> = { peerSeen: false, onPeer: null, onConflict: null };
  let current: Model = MODEL.slice(0, 1);
  spreadWithPeers(store, r.how, () => current, MODEL);
  assert.deepEqual(r.moved, [], "no peer yet: nothing moves");
  current = MODEL;
  store.onPeer!();
  assert.deepEqual(r.moved, ["low", "mid", "high"]);
  r.moved.length = 0;
  store.onConflict!([12]);
  assert.deepEqual(r.moved, ["low"]);
});

test("spreadWithPeers: a peer already seen spreads the initial model's pools at once", () => {
  const r = recorder();
  const store: PeerAwareStore<number> = { peerSeen: true, onPeer: null, onConflict: null };
  spreadWithPeers(store, r.how, () => [], MODEL);
  assert.deepEqual(r.moved, ["low", "mid", "high"]);
});
