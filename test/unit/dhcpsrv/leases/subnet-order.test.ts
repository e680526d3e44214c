import assert from "node:assert/strict";
import { test } from "node:test";

import {
  addToSubnet,
  moveToSubnet,
  type SubnetSets,
} from "../../../../src/dhcpsrv/leases/subnet-order.ts";

function sets(): SubnetSets<string> {
  const s: SubnetSets<string> = new Map();
  for (const [id, e] of [
    [1, "a"],
    [1, "b"],
    [2, "c"],
    [2, "d"],
    [4, "e"],
  ] as const) {
    addToSubnet(s, id, e);
  }
  return s;
}

const list = (s: SubnetSets<string>, id: number) => [...(s.get(id) ?? [])];

test("the last lease of a subnet moved to the next subnet with leases becomes its first", () => {
  const s = sets();
  moveToSubnet(s, "b", 1, 2);
  assert.deepEqual(list(s, 1), ["a"]);
  assert.deepEqual(list(s, 2), ["b", "c", "d"]);
});

test("any other move goes after the new subnet's leases", () => {
  const s = sets();
  moveToSubnet(s, "a", 1, 2); // not the last of subnet 1
  assert.deepEqual(list(s, 2), ["c", "d", "a"]);
  moveToSubnet(s, "d", 2, 1); // downwards
  assert.deepEqual(list(s, 1), ["b", "d"]);
  moveToSubnet(s, "e", 4, 2);
  assert.deepEqual(list(s, 2), ["c", "a", "e"]);
  moveToSubnet(s, "b", 1, 4); // not the last of subnet 1 (d is): after the others
  assert.deepEqual(list(s, 4), ["b"]);
});
