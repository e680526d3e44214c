import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { formatLease4Row } from "../../../../src/dhcpsrv/leases/csv-lease-file4.ts";
import { LeaseState } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { leaseFileSet } from "../../../../src/dhcpsrv/leases/lease-files.ts";
import { loadLeaseFiles4 } from "../../../../src/dhcpsrv/leases/lease-files4.ts";
import {
  LFC_STEPS,
  type LfcResult,
  type LfcStep,
  rotateLeaseFile,
  runLeaseFileCleanup,
} from "../../../../src/dhcpsrv/leases/lfc.ts";
import { MemfileLeaseStore4 } from "../../../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { HEADER_2_2, lease, leaseSetText, tempDir, writeLines } from "./lease-helpers.ts";

const CHILD = fileURLToPath(new URL("./lfc-crash-child.ts", import.meta.url));
const WORKER = fileURLToPath(
  new URL("../../../../src/dhcpsrv/leases/lfc-worker.ts", import.meta.url),
);

class Crash extends Error {}

/**
 * A lease file set with history: a previous cleanup's .2 and a main file of updates, deletions,
 * an expired lease, a declined one and a bad row. Returns the main file's path.
 */
function history(dir: string): string {
  const file = path.join(dir, "leases4.csv");
  const rows = (...ls: string[]) => [HEADER_2_2, ...ls.map((r) => r.trimEnd())];
  writeLines(
    `${file}.2`,
    rows(...[1, 2, 3, 4, 5].map((n) => formatLease4Row(lease(n, { hostname: `h${n},x` })))),
  );
  const declined = lease(7);
  declined.decline(86400, 1_800_000_000);
  writeLines(
    file,
    rows(
      formatLease4Row(lease(2, { cltt: 1_800_000_500, userContext: { a: "b,c" } })),
      formatLease4Row(lease(3), 0),
      formatLease4Row(lease(6, { cltt: 1000, validLifetime: 10 })), // long expired: kept
      formatLease4Row(declined),
      "198.51.100.99,not-a-mac,,3600,1,1,0,0,,0,",
      formatLease4Row(lease(4, { state: LeaseState.EXPIRED_RECLAIMED })),
    ),
  );
  return file;
}

function loaded(file: string): string {
  return leaseSetText(loadLeaseFiles4(leaseFileSet(file), { maxRowErrors: 0 }).leases.values());
}

function stopBefore(step: LfcStep | null) {
  return (s: LfcStep): void => {
    if (s === step) throw new Crash(s);
  };
}

/** What a server does at its next cleanup: rotate (unless one is pending), then compact. */
function recover(file: string): void {
  const set = leaseFileSet(file);
  rotateLeaseFile(set);
  runLeaseFileCleanup(set, 0);
}

describe("lease file cleanup: the lease set on disk is complete at every step", () => {
  for (const step of LFC_STEPS) {
    it(`a cleanup abandoned before '${step}' loses and resurrects nothing`, (t) => {
      const file = history(tempDir(t));
      const before = loaded(file);
      const set = leaseFileSet(file);
      assert.throws(() => {
        rotateLeaseFile(set, stopBefore(step));
        runLeaseFileCleanup(set, 0, stopBefore(step));
      }, Crash);
      assert.equal(loaded(file), before, "load right after the crash");

      // The server restarts and keeps serving before the next cleanup.
      const store = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
      store.addLease4(lease(8));
      store.deleteLease4(lease(1));
      store.flush();
      void store.close();
      const served = leaseSetText(store.getAllLeases4());
      assert.equal(loaded(file), served);

      recover(file);
      assert.equal(loaded(file), served, "load after the next cleanup finished the job");
      assert.deepEqual(fs.readdirSync(path.dirname(file)).sort(), ["leases4.csv", "leases4.csv.2"]);
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
      rotateLeaseFile(set);
      runLeaseFileCleanup(set, 0, stopBefore("rename-output"));
    }, Crash);
    const out = fs.readFileSync(set.output);
    fs.writeFileSync(set.output, out.subarray(0, out.length >> 1));
    assert.equal(loaded(file), before);
    recover(file);
    assert.equal(loaded(file), before);
  });

  it("compaction keeps one row per lease, sorted by address, expired ones included", (t) => {
    const file = history(tempDir(t));
    const before = loaded(file);
    recover(file);
    const lines = fs.readFileSync(`${file}.2`, "utf8").trimEnd().split("\n");
    assert.equal(lines[0], HEADER_2_2);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(",")[0]),
      [
        "198.51.100.1",
        "198.51.100.2",
        "198.51.100.4",
        "198.51.100.5",
        "198.51.100.6",
        "198.51.100.7",
      ],
    );
    assert.equal(loaded(file), before);
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER_2_2}\n`);
  });
});

describe("lease file cleanup in the running server", () => {
  it("compacts in a worker thread while the server keeps appending", async (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    const store = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
    for (let n = 1; n <= 50; n++) store.addLease4(lease(n));
    for (let n = 1; n <= 50; n++) {
      const l = store.getLease4(`198.51.100.${n}`)!.clone();
      l.cltt += 10;
      store.updateLease4(l);
    }
    store.flush();
    const running = store.runCleanup();
    assert.ok(running !== null);
    assert.equal(store.runCleanup(), null, "one cleanup at a time");
    // Served while the worker compacts: goes to the fresh main file.
    store.addLease4(lease(51));
    store.deleteLease4(lease(1));
    store.flush();
    const result = await running;
    assert.equal(result.leases, 50);
    assert.equal(result.compacted, true);
    assert.equal(fs.readFileSync(`${file}.2`, "utf8").trimEnd().split("\n").length, 51);
    assert.equal(loaded(file), leaseSetText(store.getAllLeases4()));
    await store.close();
  });

  it("lfc-interval starts cleanups by itself", async (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    const done = Promise.withResolvers<LfcResult | Error>();
    const store = MemfileLeaseStore4.open(
      { name: file, "lfc-interval": 1 },
      { onCleanupDone: (r) => done.resolve(r) },
    );
    store.addLease4(lease(1));
    store.flush();
    const result = await done.promise;
    assert.ok(!(result instanceof Error));
    assert.equal(result.leases, 1);
    await store.close();
    assert.ok(fs.existsSync(`${file}.2`));
  });

  it("lfc-worker.ts runs as a program with kea-lfc's arguments", (t) => {
    const file = history(tempDir(t));
    const before = loaded(file);
    const set = leaseFileSet(file);
    rotateLeaseFile(set);
    const args = ["-4", "-x", set.previous, "-i", set.input, "-o", set.output];
    const run = spawnSync(
      process.execPath,
      [WORKER, ...args, "-f", set.finish, "-p", set.pid, "-c", "ignored"],
      { encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /6 leases written/);
    assert.equal(loaded(file), before);
    const bad = spawnSync(process.execPath, [WORKER, "-6"], { encoding: "utf8" });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /only DHCPv4/);
  });

  it("a rotation that fails half-way leaves the server appending to a valid file", async (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    const store = MemfileLeaseStore4.open(
      { name: file, "lfc-interval": 0 },
      { beforeRotationStep: stopBefore("create-main") },
    );
    store.addLease4(lease(1));
    assert.throws(() => store.runCleanup(), Crash);
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER_2_2}\n`);
    store.addLease4(lease(2));
    store.flush();
    await store.close();
    assert.equal(loaded(file), leaseSetText(store.getAllLeases4()));
    assert.equal(store.getAllLeases4().length, 2);
  });

  it("a cleanup that fails (unreadable .1) keeps every file for the next one", async (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    const store = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0, "max-row-errors": 1 });
    store.addLease4(lease(1));
    store.flush();
    fs.appendFileSync(file, "bad\nbad\n"); // two bad rows: over the limit for the cleanup
    await assert.rejects(store.runCleanup()!, /max-row-errors/);
    assert.ok(store.lastCleanup instanceof Error);
    assert.ok(fs.existsSync(`${file}.1`));
    assert.equal(store.getAllLeases4().length, 1);
    await store.close();
  });
});
