// packet-queue-statistics: the average backlog over the last 10, 100 and 1000 datagrams.
import { test } from "node:test";
import assert from "node:assert/strict";
import { QueueStats } from "../../../../src/dhcpsrv/runtime/queue-stats.ts";

test("nothing received: three zeros, as Kea's idle server", () => {
  assert.deepEqual(new QueueStats().averages(), [0, 0, 0]);
});

test("a batch of n had 0..n-1 waiting; each window averages its last datagrams", () => {
  const q = new QueueStats();
  q.recordBatch(3); // 0 1 2
  assert.deepEqual(q.averages(), [1, 1, 1]);
  for (let i = 0; i < 10; i++) q.recordBatch(1); // ten zeros
  const [ten, hundred, thousand] = q.averages();
  assert.equal(ten, 0, "the last ten waited for nothing");
  assert.equal(hundred, 3 / 13);
  assert.equal(thousand, 3 / 13);
  for (let i = 0; i < 200; i++) q.recordBatch(2); // 0 1 repeated: 400 datagrams
  assert.deepEqual(q.averages(), [0.5, 0.5, (3 + 200) / 413]);
});
