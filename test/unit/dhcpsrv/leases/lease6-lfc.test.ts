import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { formatLease6Row } from "../../../../src/dhcpsrv/leases/csv-lease-file6.ts";
import { leaseFileSet } from "../../../../src/dhcpsrv/leases/lease-files.ts";
import { loadLeaseFiles6 } from "../../../../src/dhcpsrv/leases/lease-files6.ts";
import { LeaseState } from "../../../../src/dhcpsrv/leases/lease6.ts";
import {
  LFC_STEPS,
  type LfcResult,
  type LfcStep,
  rotateLeaseFile,
  runLeaseFileCleanup,
} from "../../../../src/dhcpsrv/leases/lfc.ts";
import { MemfileLeaseStore6 } from "../../../../src/dhcpsrv/leases/memfile-lease-store6.ts";
import {
  HEADER6_2_2,
  lease6,
  leaseSetText6,
  prefix6,
  tempDir,
  writeLines,
} from "./lease6-helpers.ts";

const CHILD = fileURLToPath(new URL("./lease6-lfc-crash-child.ts", import.meta.url));

class Crash extends Error {}

/**
 * A v6 lease file set with history: a previous cleanup's .2 and a main file of updates,
 * deletions, prefixes, an expired lease, a declined one and a bad row.
 */
function history(dir: string): string {
  const file = path.join(dir, "leases6.csv");
  const rows = (...ls: string[]) => [HEADER6_2_2, ...ls.map((r) => r.trimEnd())];
  writeLines(
    `${file}.2`,
    rows(
      ...[1, 2, 3, 4, 5].map((n) => formatLease6Row(lease6(n, { hostname: `h${n},x` }))),
      formatLease6Row(prefix6(1)),
      formatLease6Row(prefix6(2)),
    ),
  );
  const declined = lease6(7);
  declined.decline(86400, 1_800_000_000);
  writeLines(
    file,
    rows(
      formatLease6Row(lease6(2, { cltt: 1_800_000_500, userContext: { a: "b,c" } })),
      formatLease6Row(lease6(3), true),
      formatLease6Row(prefix6(2), true),
      formatLease6Row(prefix6(3, { cltt: 1_800_000_100 })),
      formatLease6Row(lease6(6, { cltt: 1000, validLifetime: 10 })), // long expired: kept
      formatLease6Row(declined),
      "2001:db8:1::99,,3600,1,1,0,0,1,128,0,0,,,0,,,",
      formatLease6Row(lease6(4, { state: LeaseState.EXPIRED_RECLAIMED })),
      formatLease6Row(lease6(0x100)),
      formatLease6Row(lease6(0x20)),
    ),
  );
  return file;
}

function loaded(file: string): string {
  return leaseSetText6(loadLeaseFiles6(leaseFileSet(file), { maxRowErrors: 0 }).leases.values());
}

function stopBefore(step: LfcStep | null) {
  return (s: LfcStep): void => {
    if (s === step) throw new Crash(s);
  };
}

function recover(file: string): void {
  const set = leaseFileSet(file);
  rotateLeaseFile(set, undefined, 6);
  runLeaseFileCleanup(set, 0, undefined, 6);
}

describe("v6 lease file cleanup: the lease set on disk is complete at every step", () => {
  for (const step of LFC_STEPS) {
    it(`a cleanup abandoned before '${step}' loses and resurrects nothing`, (t) => {
      const file = history(tempDir(t));
      const before = loaded(file);
      const set = leaseFileSet(file);
      assert.throws(() => {
        rotateLeaseFile(set, stopBefore(step), 6);
        runLeaseFileCleanup(set, 0, stopBefore(step), 6);
      }, Crash);
      assert.equal(loaded(file), before, "load right after the crash");

      const store = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0 });
      store.addLease6(lease6(8));
      store.deleteLease6(lease6(1));
      store.flush();
      void store.close();
      const served = leaseSetText6(store.getAllLeases6());
      assert.equal(loaded(file), served);

      recover(file);
      assert.equal(loaded(file), served, "load after the next cleanup finished the job");
      assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ["leases6.csv", "leases6.csv.2"]);
    });
  }

  it("a process killed (SIGKILL) before each step leaves the same lease set", (t) => {
    for (const step of LFC_STEPS) {
      const file = history(fs.mkdtempSync(path.join(tempDir(t), "k")));
      const before = loaded(file);
      const child = spawnSync(process.execPath, [CHILD, file, step], { encoding: "utf8" });
      assert.equal(child.signal, "SIGKILL", `${step}: ${child.stderr}`);
      assert.equal(loaded(file), before, `load after a kill before '${step}'`);
      recover(file);
      assert.equal(loaded(file), before, `load after recovering from '${step}'`);
    }
  });

  it("a half-written .output (death while writing) is ignored, then rewritten", (t) => {
    const file = history(tempDir(t));
    const before = loaded(file);
    const set = leaseFileSet(file);
    assert.throws(() => {
      rotateLeaseFile(set, undefined, 6);
      runLeaseFileCleanup(set, 0, stopBefore("rename-output"), 6);
    }, Crash);
    const out = fs.readFileSync(set.output);
    fs.writeFileSync(set.output, out.subarray(0, out.length >> 1));
    assert.equal(loaded(file), before);
    recover(file);
    assert.equal(loaded(file), before);
  });

  it("compaction keeps one row per lease, sorted by address bytes, with v6 headers", (t) => {
    const file = history(tempDir(t));
    const before = loaded(file);
    recover(file);
    const lines = fs.readFileSync(`${file}.2`, "utf8").trimEnd().split("\n");
    assert.equal(lines[0], HEADER6_2_2);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(",")[0]),
      [
        "2001:db8:1::1",
        "2001:db8:1::2",
        "2001:db8:1::4",
        "2001:db8:1::5",
        "2001:db8:1::6",
        "2001:db8:1::7",
        "2001:db8:1::20",
        "2001:db8:1::100",
        "2001:db8:8:100::",
        "2001:db8:8:300::",
      ],
    );
    assert.equal(loaded(file), before);
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER6_2_2}\n`);
  });
});

describe("v6 lease file cleanup in the running server", () => {
  it("compacts in a worker thread while the server keeps appending", async (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const store = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0 });
    for (let n = 1; n <= 25; n++) store.addLease6(lease6(n));
    for (let n = 1; n <= 25; n++) store.addLease6(prefix6(n));
    for (const l of store.getAllLeases6()) {
      const c = l.clone();
      c.cltt += 10;
      store.updateLease6(c);
    }
    store.flush();
    const running = store.runCleanup();
    assert.ok(running !== null);
    assert.equal(store.runCleanup(), null, "one cleanup at a time");
    store.addLease6(lease6(51));
    store.deleteLease6(lease6(1));
    store.flush();
    const result = await running;
    assert.equal(result.leases, 50);
    assert.equal(result.compacted, true);
    const compacted = fs.readFileSync(`${file}.2`, "utf8").trimEnd().split("\n");
    assert.equal(compacted.length, 51);
    assert.equal(compacted[0], HEADER6_2_2);
    assert.equal(fs.readFileSync(file, "utf8").split("\n")[0], HEADER6_2_2);
    assert.equal(loaded(file), leaseSetText6(store.getAllLeases6()));
    await store.close();
  });

  it("lfc-interval starts cleanups by itself", async (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const done = Promise.withResolvers<LfcResult | Error>();
    const store = MemfileLeaseStore6.open(
      { name: file, "lfc-interval": 1 },
      { onCleanupDone: (r) => done.resolve(r) },
    );
    store.addLease6(prefix6(1));
    store.flush();
    const result = await done.promise;
    assert.ok(!(result instanceof Error));
    assert.equal(result.leases, 1);
    await store.close();
    assert.equal(fs.readFileSync(`${file}.2`, "utf8").split("\n")[0], HEADER6_2_2);
  });

  it("a rotation that fails half-way leaves the server appending to a valid v6 file", async (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const store = MemfileLeaseStore6.open(
      { name: file, "lfc-interval": 0 },
      { beforeRotationStep: stopBefore("create-main") },
    );
    store.addLease6(lease6(1));
    assert.throws(() => store.runCleanup(), Crash);
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER6_2_2}\n`);
    store.addLease6(lease6(2));
    store.flush();
    await store.close();
    assert.equal(loaded(file), leaseSetText6(store.getAllLeases6()));
    assert.equal(store.getAllLeases6().length, 2);
  });

  it("a cleanup that fails (too many bad rows in .1) keeps every file for the next one", async (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const store = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0, "max-row-errors": 1 });
    store.addLease6(lease6(1));
    store.flush();
    fs.appendFileSync(file, "bad\nbad\n");
    await assert.rejects(store.runCleanup()!, /max-row-errors/);
    assert.ok(store.lastCleanup instanceof Error);
    assert.ok(fs.existsSync(`${file}.1`));
    assert.equal(store.getAllLeases6().length, 1);
    await store.close();
  });
});
