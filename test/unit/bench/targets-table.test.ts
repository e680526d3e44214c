/**
 * bench:targets' table (bench/lib/targets-table.ts) on recorded summaries: a target met, one not
 * met, a figure missing, a run too small to judge, and the v4 lease projection.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import type {
  AllocSummary,
  MemoryFigures,
  MemorySummary,
  ServerSummary,
} from "../../../bench/lib/summaries.ts";
import {
  formatTargets,
  tally,
  targetRows,
  type TargetRow,
} from "../../../bench/lib/targets-table.ts";

const DATE = "2026-12-07T00:00:00.000Z";

const dhcp4: ServerSummary = {
  kind: "server",
  family: 4,
  date: DATE,
  fixedRate: 4000,
  maxRate: { Kea: 10_000, Nestor: 12_000, "Nestor+callouts": 11_000, "Nestor+fdatasync": 9000 },
  cpuPer1000: { Kea: 0.08, Nestor: 0.036, "Nestor+callouts": 0.0378, "Nestor+fdatasync": 0.05 },
};

function figures(o: Partial<MemoryFigures>): MemoryFigures {
  return {
    ...{ leases: 1_000_000, startS: 2.5, rssLoaded: 280, rssEmpty: 120, rssWarm: 300 },
    ...{ rssFuzzed: 304, received: 900_000, largePeak: 30, largeAfter: 10 },
    ...{ answered: 200, closed: 0, refused: 0 },
    ...o,
  };
}

const memory: MemorySummary = {
  kind: "memory",
  date: DATE,
  ...{ fuzz: 1_000_000, warmup: 100_000, largeMb: 10, clients: 200 },
  families: {
    // 120,000 v4 leases: RSS and start projected to 10^6.
    "4": {
      Nestor: figures({ leases: 120_000, startS: 1.0, rssLoaded: 240, rssEmpty: 120 }),
      Kea: figures({ leases: 120_000, startS: 1.2, rssLoaded: 90, rssEmpty: 20, rssFuzzed: 300 }),
    },
    "6": {
      Nestor: figures({ rssFuzzed: 327.5, answered: 150, closed: 50 }),
      Kea: figures({ startS: 11, rssLoaded: 615, rssFuzzed: 300 }),
    },
  },
};

const alloc: AllocSummary = {
  kind: "alloc",
  date: DATE,
  fills: [0, 0.5, 0.9, 0.99],
  us: { iterative: [1, 1.2, 4, 20], flq: [2, 2.1, 2.2, 2.4] },
};

function find(rows: TargetRow[], start: string): TargetRow {
  const r = rows.find((x) => x.target.startsWith(start));
  assert.ok(r, `a row starting with ${start}`);
  return r;
}

test("CPU per exchange: Nestor, Kea, their ratio, met at 0.5 or less", () => {
  const r = find(targetRows({ dhcp4 }), "v4 server CPU");
  assert.equal(r.nestor, 0.036);
  assert.equal(r.kea, 0.08);
  assert.ok(Math.abs(r.ratio! - 0.45) < 1e-9);
  assert.equal(r.verdict, "met");
});

test("highest rate 1.2x Kea's is not the 1.5x asked", () => {
  const r = find(targetRows({ dhcp4 }), "v4 highest rate under");
  assert.equal(r.ratio, 1.2);
  assert.equal(r.verdict, "not met");
});

test("a rate that failed with the server under 0.9 CPU and no drop at its socket is the bed's limit", () => {
  const step = (rate: number, serverCpu: number, serverDrops: number) => ({
    ...{ rate, serverCpu, serverDrops, clientDrops: 700, loss: 0.03 },
  });
  const bed = targetRows({
    dhcp4: { ...dhcp4, failedAt: { Nestor: [step(12_500, 0.52, 0), step(13_000, 0.55, 0)] } },
  });
  const r = find(bed, "v4 highest rate under");
  assert.equal(r.verdict, "bed limit");
  assert.match(r.note, /12500\/s with 0\.52 CPU, drops 0\/700; 13000\/s with 0\.55 CPU/);
  assert.match(tally([r]), /^0 of 1 targets met; 1 not met at the bed's limit/);
  // One round where the server was busy, or dropped queries itself: the server's own limit.
  for (const failed of [
    [step(12_500, 0.52, 0), step(12_500, 0.97, 0)],
    [step(12_500, 0.52, 0), step(12_500, 0.6, 12)],
  ]) {
    const own = find(
      targetRows({ dhcp4: { ...dhcp4, failedAt: { Nestor: failed } } }),
      "v4 highest",
    );
    assert.equal(own.verdict, "not met");
  }
  // A rate at 1.5 x Kea's is met whatever the bed did.
  const fast = targetRows({
    dhcp4: {
      ...dhcp4,
      maxRate: { ...dhcp4.maxRate, Nestor: 15_000 },
      failedAt: { Nestor: [step(15_500, 0.5, 0)] },
    },
  });
  assert.equal(find(fast, "v4 highest rate under").verdict, "met");
});

test("hook dispatch on the real path is judged against Nestor without callouts", () => {
  const r = find(targetRows({ dhcp4 }), "v4 CPU with a sync callout");
  assert.equal(r.ratioTo, "Nestor");
  assert.ok(Math.abs(r.ratio! - 1.05) < 1e-9);
  assert.equal(r.verdict, "met");
  const slower = targetRows({
    dhcp4: { ...dhcp4, cpuPer1000: { ...dhcp4.cpuPer1000, "Nestor+callouts": 0.04 } },
  });
  assert.equal(find(slower, "v4 CPU with a sync callout").verdict, "not met");
});

test("fdatasync's cost is shown, not judged, with its ratio to Nestor without", () => {
  const r = find(targetRows({ dhcp4 }), "v4 CPU s per 1,000 with fdatasync");
  assert.equal(r.verdict, "info");
  assert.equal(r.nestor, 0.05);
  assert.match(r.note, /1\.39 x Nestor without/);
});

test("a script that gave nothing leaves its targets missing, not met", () => {
  const rows = targetRows({ dhcp4 });
  for (const start of ["v6 server CPU", "v6 highest rate under", "v4 RSS growth", "allocation"]) {
    const r = find(rows, start);
    assert.equal(r.verdict, "missing", start);
    assert.equal(r.nestor, null);
  }
  assert.match(tally(rows), /^2 of 3 targets met/);
  assert.match(tally(rows), /figure\(s\) missing/);
  assert.match(
    formatTargets(rows),
    /^v6 server CPU s per 1,000 exchanges at 4000\/s +- +- +- .*missing$/m,
  );
});

test("memory targets: growth over 10^6 fuzzed packets, control request, clients", () => {
  const rows = targetRows({ memory });
  const g4 = find(rows, "v4 RSS growth over 1000000");
  assert.equal(g4.nestor, 4);
  assert.equal(g4.kea, 0);
  assert.equal(g4.ratio, null, "no ratio to Kea's growth of 0");
  assert.equal(g4.verdict, "met");
  const g6 = find(rows, "v6 RSS growth");
  assert.equal(g6.nestor, 27.5);
  assert.equal(g6.verdict, "not met");
  assert.equal(find(rows, "v6 RSS rise").verdict, "met");
  const c6 = find(rows, "v6 of 200 concurrent");
  assert.equal(c6.nestor, 150);
  assert.equal(c6.verdict, "not met");
  assert.equal(find(rows, "v4 of 200 concurrent").verdict, "met");
});

test("with 120,000 v4 leases RSS and start time are projected to 10^6", () => {
  const rows = targetRows({ memory });
  const rss = find(rows, "v4 RSS with 10^6");
  // 120 MiB empty + (240 - 120) MiB per 120,000 leases x 10^6 = 1,120 MiB.
  assert.ok(Math.abs(rss.nestor! - 1120) < 1e-6);
  assert.ok(Math.abs(rss.kea! - (20 + (70 * 1e6) / 120_000)) < 1e-6);
  assert.equal(rss.verdict, "not met");
  assert.match(rss.note, /projected from 120000 leases/);
  const start = find(rows, "v4 start");
  assert.ok(Math.abs(start.nestor! - 1e6 / 120_000) < 1e-9);
  assert.equal(start.verdict, "not met");
  // v6 measured at 10^6 itself.
  const rss6 = find(rows, "v6 RSS with 10^6");
  assert.equal(rss6.nestor, 280);
  assert.equal(rss6.verdict, "met");
  assert.equal(find(rows, "v6 start").verdict, "met");
});

test("with points at several lease counts, the figures at 10^6 follow the line fitted through them", () => {
  // RSS 140 MiB + 1 MiB per 3,000 leases, start 0.48 s + 0.02 s per 30,000 leases: at 10^6,
  // 473.3 MiB and 1.147 s, where the line from the empty server through 120,000 would say more.
  const points = [30_000, 60_000, 90_000, 120_000].map((n) => ({
    leases: n,
    startS: 0.48 + (0.02 * n) / 30_000,
    rss: 140 + n / 3000,
  }));
  const fitted: MemorySummary = {
    ...memory,
    families: {
      "4": {
        Nestor: figures({ leases: 120_000, startS: 0.56, rssLoaded: 180, rssEmpty: 100, points }),
        Kea: figures({ leases: 120_000, startS: 1.2, rssLoaded: 90, rssEmpty: 20 }),
      },
    },
  };
  const rows = targetRows({ memory: fitted });
  const rss = find(rows, "v4 RSS with 10^6");
  assert.ok(Math.abs(rss.nestor! - (140 + 1e6 / 3000)) < 1e-6);
  assert.equal(rss.verdict, "not met");
  assert.match(rss.note, /fitted at 4 lease counts \(30000-120000\)/);
  // Kea has no points: projected from its empty server, as before.
  assert.ok(Math.abs(rss.kea! - (20 + (70 * 1e6) / 120_000)) < 1e-6);
  const start = find(rows, "v4 start");
  assert.ok(Math.abs(start.nestor! - (0.48 + 0.02 * (1e6 / 30_000))) < 1e-9);
  assert.equal(start.verdict, "met");
  assert.doesNotMatch(start.note, /all of the time scaled/);
});

test("a run smaller than the targets says n/a instead of met", () => {
  const small: MemorySummary = {
    ...memory,
    ...{ fuzz: 2000, largeMb: 1, clients: 10 },
    families: {
      "4": { Nestor: figures({ leases: 1000, answered: 10 }), Kea: figures({ leases: 1000 }) },
    },
  };
  const rows = targetRows({ memory: small });
  for (const start of [
    "v4 RSS growth",
    "v4 RSS rise",
    "v4 of 10 concurrent",
    "v4 RSS with",
    "v4 start",
  ]) {
    assert.equal(find(rows, start).verdict, "n/a", start);
  }
  assert.match(find(rows, "v4 RSS with").note, /1000 leases: too few to project/);
  assert.equal(find(rows, "v6 RSS growth").verdict, "missing");
});

test("allocation: flq judged flat at 99 % (1.5x at most), the others shown", () => {
  const rows = targetRows({ alloc });
  const flq = find(rows, "allocation, flq");
  assert.equal(flq.nestor, 1.2);
  assert.equal(flq.verdict, "met");
  assert.equal(find(rows, "allocation, iterative").verdict, "info");
  const steep = targetRows({ alloc: { ...alloc, us: { flq: [2, 3, 4, 5] } } });
  assert.equal(find(steep, "allocation, flq").verdict, "not met");
});
