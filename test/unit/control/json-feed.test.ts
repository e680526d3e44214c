import { test } from "node:test";
import assert from "node:assert/strict";

import { JsonFeed } from "../../../src/control/json-feed.ts";

function feedAll(chunks: Buffer[]): JsonFeed {
  const feed = new JsonFeed();
  for (const c of chunks) if (feed.push(c)) break;
  return feed;
}

test("a command with every kind of comment parses the same whatever the chunk boundaries", () => {
  const text =
    '  # lead\n{ "command": /* in\nline */ "config-test", // end\n "arguments": ' +
    '{ "a": "x/y#z\\"//w", "b": [1, 2] /**/ } } trailing';
  const want = { command: "config-test", arguments: { a: 'x/y#z"//w', b: [1, 2] } };
  const bytes = Buffer.from(text);
  const whole = feedAll([bytes]);
  assert.ok(whole.complete);
  assert.deepEqual(JSON.parse(whole.text), want);
  // Positions are kept: comments become spaces, newlines stay.
  assert.equal(whole.text.length, text.indexOf(" trailing"));
  assert.equal(whole.text.split("\n").length, 4);
  for (let cut = 1; cut < bytes.length; cut++) {
    const feed = feedAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.equal(feed.text, whole.text, `cut at ${cut}`);
  }
  const byByte = feedAll([...bytes].map((b) => Buffer.from([b])));
  assert.equal(byByte.text, whole.text);
});

test("a slash that is not a comment, a multi-byte character split between chunks", () => {
  const bytes = Buffer.from('{"command": "é€"} ');
  const feed = feedAll([...bytes].map((b) => Buffer.from([b])));
  assert.deepEqual(JSON.parse(feed.text), { command: "é€" });
  const bad = feedAll([Buffer.from('{"command": 1 / 2}')]);
  assert.ok(bad.complete);
  assert.equal(bad.text, '{"command": 1 / 2}');
  assert.throws(() => JSON.parse(bad.text), SyntaxError);
  const notMap = feedAll([Buffer.from('  "version-get"')]);
  assert.equal(notMap.error, "invalid command: expected a JSON map");
});

test("a 10 MB command is held in about its own size, not hundreds of MB", () => {
  const blob = "x".repeat(10 * 1024 * 1024);
  const bytes = Buffer.from(`{ "command": "no-such", "arguments": { "blob": "${blob}" } }`);
  globalThis.gc?.();
  const before = process.memoryUsage();
  const feed = new JsonFeed();
  let complete = false;
  for (let at = 0; at < bytes.length && !complete; at += 65536) {
    complete = feed.push(bytes.subarray(at, at + 65536));
  }
  assert.ok(complete);
  const text = feed.text;
  const after = process.memoryUsage();
  // One character a rope node (the way it was) took over 300 MB here.
  const grew = (after.heapUsed + after.external - before.heapUsed - before.external) / 2 ** 20;
  assert.ok(grew < 60, `the feed took ${grew.toFixed(0)} MB`);
  const value = JSON.parse(text) as { arguments: { blob: string } };
  assert.equal(value.arguments.blob.length, blob.length);
  feed.release();
  assert.equal(feed.text, "");
});
