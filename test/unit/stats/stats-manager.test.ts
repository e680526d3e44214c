import { test } from "node:test";
import assert from "node:assert/strict";
import { StatsManager, StatType, subnetStatName, poolStatName } from "../../../src/stats/index.ts";

const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/;

test("a counter keeps its value and its recent samples newest first, as statistic-get shows them", () => {
  const stats = new StatsManager();
  const received = stats.observe("pkt4-received");
  received.add(1);
  received.add(1);
  const got = stats.sampleMap("pkt4-received");
  assert.deepEqual(Object.keys(got), ["pkt4-received"]);
  const samples = got["pkt4-received"]!;
  assert.deepEqual(
    samples.map((s) => s[0]),
    [2, 1, 0],
  );
  for (const s of samples) assert.match(s[1], TIME);
});

test("an unknown statistic gives an empty map, and reset/remove report whether it existed", () => {
  const stats = new StatsManager();
  assert.deepEqual(stats.sampleMap("pkt4-nothing"), {});
  assert.equal(stats.reset("pkt4-nothing"), false);
  assert.equal(stats.remove("pkt4-nothing"), false);
});

test("samples are limited to 20 by default, and the limit can be changed per statistic or for all", () => {
  const stats = new StatsManager();
  const o = stats.observe("pkt4-sent");
  for (let i = 0; i < 30; i++) o.add(1);
  assert.equal(o.getSamples().length, 20);
  assert.equal(o.getSamples()[0]![0], 30);
  stats.setMaxSampleCount("pkt4-sent", 5);
  assert.deepEqual(
    o.getSamples().map((s) => s[0]),
    [30, 29, 28, 27, 26],
  );
  stats.setMaxSampleCountAll(2);
  const fresh = stats.observe("pkt4-ack-sent");
  fresh.add(1);
  fresh.add(1);
  assert.equal(fresh.getSamples().length, 2);
});

test("an age limit keeps only samples recorded within it", () => {
  const stats = new StatsManager();
  const o = stats.observe("pkt4-received");
  o.add(1);
  stats.setMaxSampleAge("pkt4-received", 1);
  const now = Date.now();
  assert.equal(o.getSamples(now).length, 2);
  // Two seconds later only the newest sample is reported.
  assert.equal(o.getSamples(now + 2000).length, 1);
  assert.equal(o.getMaxSampleAgeSeconds(), 1);
});

test("reset sets the neutral value of each type; remove forgets the statistic", () => {
  const stats = new StatsManager();
  stats.setValue("subnet[1].total-nas", 2n ** 64n);
  stats.setValue("name", "abc");
  stats.addValue("pkt4-received", 5);
  stats.resetAll();
  assert.equal(stats.get("subnet[1].total-nas")!.value, 0n);
  assert.equal(stats.get("subnet[1].total-nas")!.type, StatType.BIG_INTEGER);
  assert.equal(stats.get("name")!.value, "");
  assert.equal(stats.get("pkt4-received")!.value, 0);
  assert.equal(stats.remove("pkt4-received"), true);
  assert.deepEqual(stats.names(), ["name", "subnet[1].total-nas"]);
});

test("subnet and pool statistics use Kea's scoped names and can be removed per subnet", () => {
  const stats = new StatsManager();
  stats.setValue(subnetStatName(1, "total-addresses"), 100);
  stats.setValue(poolStatName(1, 0, "total-addresses"), 100);
  stats.setValue(subnetStatName(2, "total-addresses"), 50);
  assert.deepEqual(stats.names(), [
    "subnet[1].pool[0].total-addresses",
    "subnet[1].total-addresses",
    "subnet[2].total-addresses",
  ]);
  stats.removeByPrefix("subnet[1].");
  assert.deepEqual(stats.names(), ["subnet[2].total-addresses"]);
  assert.deepEqual(Object.keys(stats.allSamples((n) => !n.startsWith("subnet["))), []);
});

test("a removed statistic that the server updates again comes back from zero, as in Kea", () => {
  const stats = new StatsManager();
  const received = stats.observe("pkt4-received"); // the server keeps this object
  received.add(5);
  assert.equal(stats.remove("pkt4-received"), true);
  assert.deepEqual(stats.sampleMap("pkt4-received"), {});
  received.add(1);
  assert.equal(stats.get("pkt4-received")!.value, 1);
  assert.deepEqual(stats.names(), ["pkt4-received"]);
  stats.removeAll();
  received.add(2);
  assert.equal(stats.get("pkt4-received")!.value, 2);
});

test("a statistic made by setValue holds that one sample, as Kea's", () => {
  const stats = new StatsManager();
  stats.setValue("subnet[1].total-addresses", 11);
  assert.deepEqual(
    stats.sampleMap("subnet[1].total-addresses")["subnet[1].total-addresses"]!.map((s) => s[0]),
    [11],
  );
  stats.setValue("subnet[1].total-nas", 5n);
  assert.equal(stats.get("subnet[1].total-nas")!.value, 5n);
});

test("a removed statistic updated again comes back with only the new sample", () => {
  const stats = new StatsManager();
  const o = stats.observe("pkt4-sent");
  o.add(1);
  o.add(1);
  stats.removeAll();
  assert.equal(stats.size(), 0);
  o.add(1);
  assert.deepEqual(
    stats.sampleMap("pkt4-sent")["pkt4-sent"]!.map((s) => s[0]),
    [1],
  );
});

test("removeByPrefix keeps the names it is told to keep", () => {
  const stats = new StatsManager();
  stats.observe("subnet[2].assigned-addresses");
  stats.observe("subnet[2].v4-reservation-conflicts");
  stats.removeByPrefix("subnet[2].", (n) => n.endsWith("v4-reservation-conflicts"));
  assert.deepEqual(stats.names(), ["subnet[2].v4-reservation-conflicts"]);
});
