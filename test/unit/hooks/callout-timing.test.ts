/**
 * What the callout counters record: every finished call is counted; the latency histogram times
 * the first call of each callout, every call of one that took 10 µs or more at its last timed
 * call, every asynchronous call, every call while HOOKS_CALLOUT_CALLED is logged, and one call
 * in 64 of a synchronous callout that stays under 10 µs (the clock would cost more than such a
 * call's whole dispatch).
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { CalloutCounters } from "../../../src/hooks/callout-metrics.ts";
import type { HooksManager } from "../../../src/hooks/hooks-manager.ts";
import { scratchDir, testBed, writeLibrary } from "../../helpers/hooks.ts";

const HEADER = `import { HOOKS_VERSION } from "nestor/hooks";\nexport const version = () => HOOKS_VERSION;\n`;

function countersOf(manager: HooksManager, library: string): CalloutCounters {
  return [...manager.calloutMetrics.all()].find((c) => c.library.endsWith(library))!;
}

function callMany(bed: ReturnType<typeof testBed>, n: number): Promise<void> | void {
  const pending: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const h = bed.manager.createCalloutHandle();
    const p = bed.manager.callCallouts(bed.hooks.alpha, h);
    if (p !== undefined) pending.push(p.then(() => h.release()));
    else h.release();
  }
  if (pending.length > 0) return Promise.all(pending).then(() => undefined);
}

test("a fast synchronous callout: every call counted, at least one in 64 timed", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    writeLibrary(scratchDir(), "fast.mjs", `${HEADER}export const alpha = () => 0;`),
  ]);
  callMany(bed, 256);
  const c = countersOf(bed.manager, "fast.mjs");
  assert.equal(c.calls, 256);
  // 1, 65, 129, 193 at least (a call preempted past 10 µs makes the next one timed too), and far
  // fewer than every call: the clock is not read for most of them.
  assert.ok(c.latency.count >= 4 && c.latency.count <= 64, String(c.latency.count));
  assert.equal(c.errors, 0);
  await bed.manager.unloadLibraries();
});

test("a synchronous callout that takes 10 µs or more is timed at every call", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    writeLibrary(
      scratchDir(),
      "slow.mjs",
      `${HEADER}export function alpha() {
         const t = performance.now();
         while (performance.now() - t < 0.05) {}
         return 0;
       }`,
    ),
  ]);
  callMany(bed, 20);
  const c = countersOf(bed.manager, "slow.mjs");
  assert.equal(c.calls, 20);
  assert.equal(c.latency.count, 20);
  assert.ok(c.latency.sum >= 20 * 0.05e-3);
  await bed.manager.unloadLibraries();
});

test("an asynchronous callout is timed at every call, until it settles", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    writeLibrary(scratchDir(), "async.mjs", `${HEADER}export const alpha = async () => 0;`),
  ]);
  await callMany(bed, 20);
  const c = countersOf(bed.manager, "async.mjs");
  assert.equal(c.calls, 20);
  assert.equal(c.latency.count, 20);
  await bed.manager.unloadLibraries();
});

test("while HOOKS_CALLOUT_CALLED is logged (DEBUG 55) every call is timed and logged", async () => {
  const bed = testBed();
  const lines: string[] = [];
  bed.logManager.configure([
    { name: "nestor-test", severity: "DEBUG", debuglevel: 55, outputs: [(l) => lines.push(l)] },
  ]);
  await bed.manager.loadLibraries([
    writeLibrary(scratchDir(), "logged.mjs", `${HEADER}export const alpha = () => 0;`),
  ]);
  lines.length = 0;
  callMany(bed, 20);
  const c = countersOf(bed.manager, "logged.mjs");
  assert.equal(c.calls, 20);
  assert.equal(c.latency.count, 20);
  assert.equal(lines.filter((l) => l.includes("HOOKS_CALLOUT_CALLED")).length, 20);
  await bed.manager.unloadLibraries();
});

test("HOOKS_CALLOUT_CALLED follows a logging reconfiguration made while the libraries stay loaded", async () => {
  const bed = testBed();
  const lines: string[] = [];
  const logAt = (severity: "INFO" | "DEBUG") =>
    bed.logManager.configure([
      { name: "nestor-test", severity, debuglevel: 55, outputs: [(l) => lines.push(l)] },
    ]);
  logAt("INFO");
  await bed.manager.loadLibraries([
    writeLibrary(scratchDir(), "relog.mjs", `${HEADER}export const alpha = () => 0;`),
  ]);
  const called = () => lines.filter((l) => l.includes("HOOKS_CALLOUT_CALLED")).length;
  callMany(bed, 5);
  assert.equal(called(), 0, "not logged at INFO");
  logAt("DEBUG");
  callMany(bed, 5);
  assert.equal(called(), 5, "every call logged once DEBUG 55 is configured");
  logAt("INFO");
  callMany(bed, 5);
  assert.equal(called(), 5, "no longer logged once back at INFO");
  assert.equal(countersOf(bed.manager, "relog.mjs").calls, 15);
  await bed.manager.unloadLibraries();
});

test("the counters' sampling: 63 untimed calls after a fast one, none after a slow or asynchronous one", () => {
  const c = new CalloutCounters("lib", "alpha");
  assert.equal(c.untimedLeft, 0, "the first call is timed");
  c.observe(0.001);
  assert.equal(c.untimedLeft, 63);
  for (let i = 0; i < 63; i++) c.untimed();
  assert.equal(c.untimedLeft, 0);
  c.observe(0.01); // 10 µs: not fast
  assert.equal(c.untimedLeft, 0);
  c.observe(0.002);
  c.untimed();
  c.observeAsync(0.001);
  assert.equal(c.untimedLeft, 0);
  assert.equal(c.calls, 68);
  assert.equal(c.latency.count, 4);
});
