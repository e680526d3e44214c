/**
 * Per-library time limits and failure policies (`timeout-ms`, `on-timeout`, `on-error` beside
 * `library` and `parameters`), the limit on waiting queries (parked-packet-limit), Kea's PARK
 * protocol through the parking lot, and the reload of one library.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseHooksLibraries, type HookLibraryConfig } from "../../../src/hooks/config.ts";
import { NextStep } from "../../../src/hooks/next-step.ts";
import { ConfigError } from "../../../src/util/errors.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { scratchDir, testBed, writeLibrary } from "../../helpers/hooks.ts";

/** A library file with `source`, configured with the policy keys of `keys`. */
function library(name: string, source: string, keys: JsonObject = {}): HookLibraryConfig {
  const dir = scratchDir();
  const path = writeLibrary(dir, name, source).path;
  return parseHooksLibraries([{ library: path, ...keys }])[0]!;
}

const HANGS = `import { HOOKS_VERSION } from "nestor/hooks";
  export const version = () => HOOKS_VERSION;
  export function alpha() { return new Promise(() => {}); }`;

const THROWS = `import { HOOKS_VERSION } from "nestor/hooks";
  export const version = () => HOOKS_VERSION;
  export function alpha() { throw new Error("policy service down"); }`;

const REJECTS = `import { HOOKS_VERSION } from "nestor/hooks";
  export const version = () => HOOKS_VERSION;
  export async function alpha() { await null; throw new Error("rejected"); }`;

const SKIPS = `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
  export const version = () => HOOKS_VERSION;
  export function alpha(h) { h.setStatus(NextStep.SKIP); return 0; }`;

const MARKS = `import { HOOKS_VERSION } from "nestor/hooks";
  export const version = () => HOOKS_VERSION;
  export function alpha(h) { h.setArgument("after", "ran, status " + h.getStatus()); return 0; }`;

test("hooks-libraries entries take timeout-ms, on-timeout and on-error beside parameters", () => {
  const [a, b] = parseHooksLibraries([
    { library: "/x/a.mjs", parameters: { k: 1 }, "timeout-ms": 250, "on-error": "continue" },
    { library: "/x/b.mjs" },
  ]);
  assert.deepEqual(a!.policy, { timeoutMs: 250, onError: "continue" });
  assert.deepEqual(a!.parameters, { k: 1 });
  assert.equal(b!.policy, undefined);
});

test("a bad timeout-ms, on-timeout or on-error is refused with file, key and reason", () => {
  const cases: [JsonObject, string, RegExp][] = [
    [{ "timeout-ms": -1 }, "timeout-ms", /integer from 0 \(no limit\)/],
    [{ "timeout-ms": 1.5 }, "timeout-ms", /integer/],
    [{ "timeout-ms": "30" }, "timeout-ms", /integer/],
    [{ "on-timeout": "retry" }, "on-timeout", /must be one of "drop", "continue", "skip"/],
    [{ "on-error": true }, "on-error", /must be one of/],
  ];
  for (const [keys, key, reason] of cases) {
    assert.throws(
      () =>
        parseHooksLibraries([{ library: "/x/a.mjs", ...keys }], "Dhcp4.hooks-libraries", "k.json"),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.file === "k.json" &&
        e.path === `Dhcp4.hooks-libraries[0].${key}` &&
        reason.test(e.reason),
    );
  }
});

test("each library has its own timeout: a short one is abandoned early, with the query named in the log", async () => {
  const bed = testBed({ calloutTimeoutMs: 10_000 });
  await bed.manager.loadLibraries([
    library("hangs.mjs", HANGS, { "timeout-ms": 40 }),
    library("marks.mjs", MARKS),
  ]);
  const h = bed.manager.createCalloutHandle();
  h.subject = { toString: () => "[hwtype=1 00:11:22:33:44:55], tid=0x2a" };
  const started = performance.now();
  await bed.manager.callCallouts(bed.hooks.alpha, h);
  const took = performance.now() - started;
  assert.ok(took >= 38 && took < 2_000, `abandoned after ${took} ms`);
  assert.equal(h.getArgument("after"), `ran, status ${NextStep.DROP}`);
  assert.ok(
    bed.lines.some((l) =>
      /ERROR .*HOOKS_CALLOUT_TIMEOUT callout alpha on hook alpha of library .*hangs\.mjs did not finish within 40 ms \(query \[hwtype=1 00:11:22:33:44:55\], tid=0x2a: query dropped\)/.test(
        l,
      ),
    ),
    bed.lines.join("\n"),
  );
  const c = [...bed.manager.calloutMetrics.all()].find((m) => m.library.endsWith("hangs.mjs"))!;
  assert.equal(c.timeouts, 1);
  assert.equal(c.errors, 0);
  await h.release();
  await bed.manager.unloadLibraries();
});

test("on-timeout continue: the query goes on with the status it had, and the timeout is still counted", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    library("hangs.mjs", HANGS, { "timeout-ms": 30, "on-timeout": "continue" }),
    library("marks.mjs", MARKS),
  ]);
  const h = bed.manager.createCalloutHandle();
  await bed.manager.callCallouts(bed.hooks.alpha, h);
  assert.equal(h.getArgument("after"), `ran, status ${NextStep.CONTINUE}`);
  assert.equal(h.getStatus(), NextStep.CONTINUE);
  assert.ok(bed.lines.some((l) => /HOOKS_CALLOUT_TIMEOUT .*\(query -: query continues\)/.test(l)));
  const c = [...bed.manager.calloutMetrics.all()].find((m) => m.library.endsWith("hangs.mjs"))!;
  assert.equal(c.timeouts, 1);
  await h.release();
  await bed.manager.unloadLibraries();
});

test("on-error continue keeps the status set before the throw; the error is still logged and counted", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    library("skips.mjs", SKIPS),
    library("throws.mjs", THROWS, { "on-error": "continue" }),
    library("marks.mjs", MARKS),
  ]);
  const h = bed.manager.createCalloutHandle();
  assert.equal(bed.manager.callCallouts(bed.hooks.alpha, h), undefined);
  assert.equal(h.getArgument("after"), `ran, status ${NextStep.SKIP}`);
  assert.ok(
    bed.lines.some((l) =>
      /HOOKS_CALLOUT_EXCEPTION callout alpha on hook alpha of library .*throws\.mjs threw: policy service down \(query -: query continues\)/.test(
        l,
      ),
    ),
  );
  const c = [...bed.manager.calloutMetrics.all()].find((m) => m.library.endsWith("throws.mjs"))!;
  assert.equal(c.errors, 1);
  await h.release();
  await bed.manager.unloadLibraries();
});

test("on-error skip sets SKIP; the default (drop) sets DROP, for a throw and a rejection alike", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    library("throws.mjs", THROWS, { "on-error": "skip" }),
    library("marks.mjs", MARKS),
  ]);
  const h = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.alpha, h);
  assert.equal(h.getArgument("after"), `ran, status ${NextStep.SKIP}`);
  await h.release();

  await bed.manager.loadLibraries([library("rejects.mjs", REJECTS), library("marks.mjs", MARKS)]);
  const h2 = bed.manager.createCalloutHandle();
  await bed.manager.callCallouts(bed.hooks.alpha, h2);
  assert.equal(h2.getArgument("after"), `ran, status ${NextStep.DROP}`);
  await h2.release();
  await bed.manager.unloadLibraries();
});

test("parked-packet-limit: a query whose callout would wait beyond the limit is dropped at once", async () => {
  const gated = library(
    "gated.mjs",
    `import { HOOKS_VERSION } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export function alpha(h) { return globalThis.policyGate; }`,
  );
  const g = globalThis as { policyGate?: Promise<number> };
  let open!: () => void;
  g.policyGate = new Promise<number>((r) => (open = () => r(0)));
  const bed = testBed();
  bed.manager.setParkedPacketLimit(1);
  await bed.manager.loadLibraries([gated, library("marks.mjs", MARKS)]);
  const first = bed.manager.createCalloutHandle();
  const second = bed.manager.createCalloutHandle();
  const p1 = bed.manager.callCallouts(bed.hooks.alpha, first);
  assert.ok(p1 instanceof Promise);
  assert.equal(bed.manager.parkedCount(), 1);
  // The second would wait too: over the limit, it is dropped without waiting.
  assert.equal(bed.manager.callCallouts(bed.hooks.alpha, second), undefined);
  assert.equal(second.overLimit, true);
  assert.equal(second.getStatus(), NextStep.DROP);
  assert.throws(() => second.getArgument("after"), /unable to find argument/);
  open();
  await p1;
  assert.equal(first.getArgument("after"), `ran, status ${NextStep.CONTINUE}`);
  assert.equal(bed.manager.parkedCount(), 0);
  // Once the first is done, a new query may wait again.
  g.policyGate = Promise.resolve(0);
  const third = bed.manager.createCalloutHandle();
  await bed.manager.callCallouts(bed.hooks.alpha, third);
  assert.equal(third.overLimit, false);
  assert.equal(third.getStatus(), NextStep.CONTINUE);
  for (const h of [first, second, third]) await h.release();
  await bed.manager.unloadLibraries();
});

const PARKER = `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
  export const version = () => HOOKS_VERSION;
  export function alpha(h) {
    const query = h.getArgument("query");
    const mode = h.getArgument("mode");
    const lot = h.getParkingLotHandle();
    lot.reference(query);
    h.setStatus(NextStep.PARK);
    if (mode === "now") lot.unpark(query);
    else if (mode === "later") setTimeout(() => lot.unpark(query), 10);
    else if (mode === "drop") setTimeout(() => lot.drop(query), 10);
    globalThis.parkedLot = lot;
    return 0;
  }`;

function parked(bed: ReturnType<typeof testBed>, mode: string) {
  const query = { mode };
  const h = bed.manager.createCalloutHandle();
  h.setArgument("query", query);
  h.setArgument("mode", mode);
  return { h, query, r: bed.manager.callouts.callParked(bed.hooks.alpha, h, query) };
}

test("PARK: the query waits in the hook's parking lot until the last unpark, then goes on with CONTINUE", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([library("parker.mjs", PARKER)]);
  const lot = bed.manager.callouts.getParkingLot(bed.hooks.alpha);
  const { h, query, r } = parked(bed, "later");
  assert.ok(r instanceof Promise);
  assert.equal(lot.isParked(query), true);
  assert.equal(bed.manager.parkedCount(), 1);
  assert.equal(await r, NextStep.CONTINUE);
  assert.equal(lot.isParked(query), false);
  assert.equal(bed.manager.parkedCount(), 0);
  await h.release();

  // Unparked before the callouts returned: no wait at all.
  const now = parked(bed, "now");
  assert.equal(now.r, NextStep.CONTINUE);
  await now.h.release();
  await bed.manager.unloadLibraries();
});

test("PARK then drop: the parked query is dropped (status DROP), nothing stays parked", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([library("parker.mjs", PARKER)]);
  const { h, query, r } = parked(bed, "drop");
  assert.equal(await r, NextStep.DROP);
  assert.equal(bed.manager.callouts.getParkingLot(bed.hooks.alpha).isParked(query), false);
  assert.equal(bed.manager.parkedCount(), 0);
  await h.release();
  await bed.manager.unloadLibraries();
});

test("a query no callout parks is not kept in the lot and its status comes back synchronously", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([library("skips.mjs", SKIPS)]);
  const query = {};
  const h = bed.manager.createCalloutHandle();
  assert.equal(bed.manager.callouts.callParked(bed.hooks.alpha, h, query), NextStep.SKIP);
  assert.equal(bed.manager.callouts.getParkingLot(bed.hooks.alpha).isParked(query), false);
  await h.release();
  await bed.manager.unloadLibraries();
});

test("a parked query never unparked is bounded by its library's timeout-ms and on-timeout", async () => {
  for (const [policy, expected] of [
    ["drop", NextStep.DROP],
    ["continue", NextStep.CONTINUE],
    ["skip", NextStep.SKIP],
  ] as const) {
    const bed = testBed();
    await bed.manager.loadLibraries([
      library("parker.mjs", PARKER, { "timeout-ms": 30, "on-timeout": policy }),
    ]);
    const { h, query, r } = parked(bed, "never");
    h.subject = { toString: () => "query-7" };
    assert.equal(await r, expected);
    const lot = bed.manager.callouts.getParkingLot(bed.hooks.alpha);
    assert.equal(lot.isParked(query), false);
    // A late unpark finds nothing to resume.
    const late = (globalThis as { parkedLot?: { unpark(q: object): boolean } }).parkedLot!;
    assert.equal(late.unpark(query), false);
    assert.ok(
      bed.lines.some((l) =>
        new RegExp(
          `HOOKS_PARK_TIMEOUT query query-7 parked on hook alpha by library .*parker\\.mjs was not unparked within 30 ms`,
        ).test(l),
      ),
    );
    const c = [...bed.manager.calloutMetrics.all()].find((m) => m.library.endsWith("parker.mjs"))!;
    assert.equal(c.timeouts, 1);
    await h.release();
    await bed.manager.unloadLibraries();
  }
});

const STATEFUL = (tag: string) => `import { HOOKS_VERSION } from "nestor/hooks";
  export const version = () => HOOKS_VERSION;
  let calls = 0;
  const g = globalThis;
  export function load() { g.loads ??= {}; g.loads["${tag}"] = (g.loads["${tag}"] ?? 0) + 1; return 0; }
  export function unload() { g.unloads ??= {}; g.unloads["${tag}"] = (g.unloads["${tag}"] ?? 0) + 1; return 0; }
  export function alpha(h) {
    calls++;
    const prev = h.getArgument("result");
    h.setArgument("result", prev + "${tag}" + calls + ";");
    return 0;
  }`;

test("reloading one library: it is imported afresh, the others keep their instance and state", async () => {
  const g = globalThis as { loads?: Record<string, number>; unloads?: Record<string, number> };
  g.loads = {};
  g.unloads = {};
  const a = library("a.mjs", STATEFUL("A"));
  const b = library("b.mjs", STATEFUL("B"));
  const bed = testBed();
  await bed.manager.loadLibraries([a, b]);
  const run = () => {
    const h = bed.manager.createCalloutHandle().setArgument("result", "");
    bed.manager.callCallouts(bed.hooks.alpha, h);
    const out = h.getArgument<string>("result");
    void h.release();
    return { out };
  };
  assert.equal(run().out, "A1;B1;");
  // A request that started before the reload keeps its generation.
  const inFlight = bed.manager.createCalloutHandle().setArgument("result", "");
  inFlight.setContext("kept", "yes");
  await bed.manager.reloadLibrary(b.library);
  assert.deepEqual(g.loads, { A: 1, B: 2 });
  // B counts from 1 again (a new instance); A goes on counting (same instance).
  assert.equal(run().out, "A2;B1;");
  bed.manager.callCallouts(bed.hooks.alpha, inFlight);
  assert.equal(inFlight.getArgument("result"), "A3;B2;");
  assert.equal(inFlight.getContext("kept"), "yes");
  assert.deepEqual(g.unloads, {});
  await inFlight.release();
  await bed.manager.whenRetired();
  // Only the replaced instance of B was unloaded.
  assert.deepEqual(g.unloads, { B: 1 });
  assert.deepEqual(bed.manager.getLibraryNames(), [a.library, b.library]);
  await bed.manager.unloadLibraries();
  assert.deepEqual(g.unloads, { A: 1, B: 2 });
});

test("reloading a library that is not loaded, or that now fails to load, changes nothing", async () => {
  const g = globalThis as { loads?: Record<string, number> };
  g.loads = {};
  const a = library("a.mjs", STATEFUL("A"));
  const bed = testBed();
  await bed.manager.loadLibraries([a]);
  await assert.rejects(bed.manager.reloadLibrary("/nowhere/x.mjs"), /no such library is loaded/);
  const { writeFileSync } = await import("node:fs");
  writeFileSync(a.path, "export const version = () => 1;");
  await assert.rejects(bed.manager.reloadLibrary(a.library), /version/);
  const h = bed.manager.createCalloutHandle().setArgument("result", "");
  bed.manager.callCallouts(bed.hooks.alpha, h);
  assert.equal(h.getArgument("result"), "A1;");
  assert.deepEqual(g.loads, { A: 1 });
  await h.release();
  await bed.manager.unloadLibraries();
});

test("PARK without a callout ever taking the parking lot still parks the query, until its timeout", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    library(
      "blind.mjs",
      `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
       export const version = () => HOOKS_VERSION;
       export function alpha(h) { h.setStatus(NextStep.PARK); return 0; }`,
      { "timeout-ms": 30, "on-timeout": "continue" },
    ),
  ]);
  const query = {};
  const h = bed.manager.createCalloutHandle();
  const r = bed.manager.callouts.callParked(bed.hooks.alpha, h, query);
  assert.ok(r instanceof Promise);
  assert.equal(bed.manager.callouts.getParkingLot(bed.hooks.alpha).isParked(query), true);
  assert.equal(await r, NextStep.CONTINUE);
  assert.equal(bed.manager.callouts.getParkingLot(bed.hooks.alpha).isParked(query), false);
  await h.release();
  await bed.manager.unloadLibraries();
});
