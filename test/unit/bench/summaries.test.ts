/**
 * The summaries the benchmarks write with --json hold what bench:targets' table reads. bench:alloc
 * and bench:hooks run here with tiny parameters (no root, seconds); bench:dhcp4/6 and
 * bench:memory need root and minutes, so their summary writers are tested as functions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

import {
  memorySummary,
  serverSummary,
  type AllocSummary,
  type HooksSummary,
  type MemoryFigures,
  type MemorySummary,
  type ServerSummary,
} from "../../../bench/lib/summaries.ts";
import { targetRows, type TargetRow } from "../../../bench/lib/targets-table.ts";

const ROOT = join(import.meta.dirname, "../../..");
const run = promisify(execFile);

function rowsOf(rows: TargetRow[], start: string): TargetRow[] {
  const found = rows.filter((r) => r.target.startsWith(start));
  assert.ok(found.length > 0, `rows starting with ${start}`);
  return found;
}

test(
  "bench:alloc and bench:hooks --json: the table reads their figures",
  { timeout: 150_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "nestor-summaries-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const allocFile = join(dir, "alloc.json");
    const hooksFile = join(dir, "hooks.json");
    const node = process.execPath;
    const opts = { cwd: ROOT, timeout: 140_000 };
    await Promise.all([
      run(
        node,
        [
          "--expose-gc",
          "bench/allocation.ts",
          "--allocations",
          "5",
          "--rounds",
          "1",
          "--json",
          allocFile,
        ],
        opts,
      ),
      run(node, ["bench/hooks-dispatch.ts", "--queries", "5", "--json", hooksFile], opts),
    ]);
    const alloc = JSON.parse(readFileSync(allocFile, "utf8")) as AllocSummary;
    assert.equal(alloc.kind, "alloc");
    assert.deepEqual(alloc.fills, [0, 0.5, 0.9, 0.99]);
    assert.deepEqual(Object.keys(alloc.us).sort(), ["flq", "iterative", "random"]);
    for (const xs of Object.values(alloc.us)) {
      assert.equal(xs.length, 4);
      for (const x of xs) assert.ok(x > 0 && Number.isFinite(x));
    }
    const hooks = JSON.parse(readFileSync(hooksFile, "utf8")) as HooksSummary;
    assert.equal(hooks.kind, "hooks");
    for (const f of ["4", "6"]) {
      const labels = hooks.families[f]!.cases.map((c) => c.label.slice(0, 3));
      assert.deepEqual(labels, ["(a)", "(b)", "(c)", "(d)"]);
      for (const c of hooks.families[f]!.cases) assert.ok(c.firstNs > 0 && c.requestNs > 0);
    }
    const rows = targetRows({ alloc, hooks });
    for (const r of [
      ...rowsOf(rows, "allocation"),
      ...rowsOf(rows, "v4 in process"),
      ...rowsOf(rows, "v6 in process"),
    ]) {
      assert.notEqual(r.verdict, "missing", r.target);
      assert.ok(r.nestor !== null && r.nestor > 0, r.target);
    }
  },
);

test("bench:dhcp4/6's summary: medians of the rounds, by server, read by the table", () => {
  const s: ServerSummary = serverSummary(
    6,
    4000,
    { Kea: [8000, 10_000, 9000], Nestor: [12_000, 14_000], "Nestor+fdatasync": [] },
    { Kea: [0.09, 0.08, 0.1], Nestor: [0.04, 0.05], "Nestor+callouts": [0.046] },
  );
  assert.equal(s.kind, "server");
  assert.deepEqual(s.maxRate, { Kea: 9000, Nestor: 13_000 });
  assert.deepEqual(s.cpuPer1000, { Kea: 0.09, Nestor: 0.045, "Nestor+callouts": 0.046 });
  const rows = targetRows({ dhcp6: JSON.parse(JSON.stringify(s)) as ServerSummary });
  const cpu = rowsOf(rows, "v6 server CPU")[0]!;
  assert.equal(cpu.nestor, 0.045);
  assert.equal(cpu.verdict, "met");
  assert.equal(rowsOf(rows, "v6 highest rate under")[0]!.verdict, "not met");
  assert.equal(rowsOf(rows, "v6 highest rate with fdatasync")[0]!.verdict, "missing");
});

test("bench:memory's summary: its options and each server's figures, without the answer text", () => {
  const f: MemoryFigures & { largeAnswer: string } = {
    ...{ leases: 1_000_000, startS: 2, rssLoaded: 250, rssEmpty: 100, rssWarm: 260 },
    ...{ rssFuzzed: 262, received: 10, largePeak: 40, largeAfter: 5 },
    rssSeries: [255, 258, 261, 262, 262, 262.5],
    ...{ answered: 200, closed: 0, refused: 0, largeAnswer: '{"result":2}' },
    ...{ heapWarm: 20.3, heapFuzzed: 25, fullGcs: 0 },
  };
  const s: MemorySummary = memorySummary(
    { fuzz: 1_000_000, warmup: 100_000, largeMb: 10, clients: 200 },
    { "6": { Nestor: f, Kea: { ...f, rssFuzzed: 260 } } },
  );
  assert.equal(s.kind, "memory");
  assert.equal("largeAnswer" in s.families["6"]!.Nestor!, false);
  const rows = targetRows({ memory: JSON.parse(JSON.stringify(s)) as MemorySummary });
  const growth = rowsOf(rows, "v6 RSS growth over 1000000")[0]!;
  assert.equal(growth.nestor, 2);
  assert.equal(growth.kea, 0);
  assert.equal(growth.verdict, "met");
  // The second half: from the reading after the third part of six (261) to the last (262.5).
  assert.match(
    growth.note,
    /after 100000 of warm-up; second half of the fuzz \+1\.5 MiB; V8 heap 20\.3 -> 25 MB, 0 full GC\(s\)/,
  );
  for (const start of ["v6 start", "v6 RSS with", "v6 RSS rise", "v6 of 200"]) {
    assert.equal(rowsOf(rows, start)[0]!.verdict, "met", start);
  }
});
