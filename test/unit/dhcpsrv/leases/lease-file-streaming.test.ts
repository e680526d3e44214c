/**
 * The lease file is replayed a chunk at a time: rows cut by a chunk's end load as whole rows, and
 * the leases loaded keep nothing of the file's text alive.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import { replayLeaseFile4 } from "../../../../src/dhcpsrv/leases/lease-files4.ts";
import type { Lease4 } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { HEADER_2_2, tempDir } from "./lease-helpers.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const ADDRESSES = 2000;
const UPDATES = 100; // rows per address: the file is ~100 times the size of what it leaves

/** Every address updated UPDATES times, its hostname naming the last; no final newline. */
function writeFile(dir: string): string {
  const file = path.join(dir, "leases4.csv");
  const out = fs.openSync(file, "w");
  fs.writeSync(out, `${HEADER_2_2}\n`);
  for (let round = 0; round < UPDATES; round++) {
    const rows: string[] = [];
    for (let i = 0; i < ADDRESSES; i++) {
      const mac = `02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
      const host = `host-${i}-round-${round}.example.org`;
      rows.push(
        `198.18.${100 + (i >> 8)}.${100 + (i & 0x7f)},${mac},,3600,${1800000000 + round},1,0,0,${host},0,`,
      );
    }
    const last = round === UPDATES - 1;
    fs.writeSync(out, rows.join("\n") + (last ? "" : "\n"));
  }
  fs.closeSync(out);
  return file;
}

describe("lease file streaming", () => {
  it("rows across chunk ends replay whole, and the leases do not keep the file text", (t) => {
    const file = writeFile(tempDir(t));
    const size = fs.statSync(file).size;
    assert.ok(size > 8 * (1 << 19), `the file (${size} bytes) spans several read chunks`);
    gc();
    const before = process.memoryUsage();
    const storage = new Map<number, Lease4>();
    const report = replayLeaseFile4(file, storage, { maxRowErrors: 0 })!;
    gc();
    const after = process.memoryUsage();
    assert.equal(report.rows, ADDRESSES * UPDATES);
    assert.equal(report.rowErrors, 0);
    assert.equal(report.endsWithNewline, false);
    // Addresses 198.18.100.100 - .227 in 16 blocks: 2048 distinct, 2000 of them used... each
    // address (i & 0x7f, i >> 8) keeps the row of its last update.
    const distinct = new Set<string>();
    for (let i = 0; i < ADDRESSES; i++)
      distinct.add(`198.18.${100 + (i >> 8)}.${100 + (i & 0x7f)}`);
    assert.equal(storage.size, distinct.size);
    for (const lease of storage.values()) {
      assert.match(lease.hostname, new RegExp(`-round-${UPDATES - 1}\\.example\\.org$`));
      assert.equal(lease.cltt + lease.validLifetime, 1800000000 + UPDATES - 1);
    }
    const grew = after.heapUsed + after.external - before.heapUsed - before.external;
    assert.ok(
      grew < size / 4,
      `${storage.size} leases hold ${(grew / 2 ** 20).toFixed(1)} MiB of a ${(size / 2 ** 20).toFixed(1)} MiB file`,
    );
  });
});
