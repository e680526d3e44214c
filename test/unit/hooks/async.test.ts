import { test } from "node:test";
import assert from "node:assert/strict";
import { NextStep } from "../../../src/hooks/next-step.ts";
import { ParkingLot } from "../../../src/hooks/parking-lot.ts";
import {
  callSync,
  fixture,
  scratchDir,
  takeTrace,
  testBed,
  writeLibrary,
} from "../../helpers/hooks.ts";

function gate(): { id: string; open: () => void } {
  const g = globalThis as { nestorGates?: Map<string, Promise<void>> };
  g.nestorGates ??= new Map();
  const id = `req-${g.nestorGates.size}`;
  let open!: () => void;
  g.nestorGates.set(id, new Promise<void>((r) => (open = r)));
  return { id, open };
}

test("two requests with async callouts interleave: the second finishes while the first waits", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("gated.ts"), fixture("digit.ts", { std: "!" })]);
  takeTrace();
  const a = gate();
  const b = gate();
  const ha = bed.manager.createCalloutHandle().setArgument("id", a.id).setArgument("result", "");
  const hb = bed.manager.createCalloutHandle().setArgument("id", b.id).setArgument("result", "");
  const pa = bed.manager.callCallouts(bed.hooks.alpha, ha);
  const pb = bed.manager.callCallouts(bed.hooks.alpha, hb);
  assert.ok(pa instanceof Promise && pb instanceof Promise);
  // The next callout (digit.ts) waits for the async one of its own request.
  assert.equal(ha.getArgument("result"), "");
  b.open();
  await pb;
  assert.equal(hb.getArgument("result"), "async!");
  assert.equal(ha.getArgument("result"), "");
  a.open();
  await pa;
  assert.equal(ha.getArgument("result"), "async!");
  assert.deepEqual(takeTrace(), [`start ${a.id}`, `start ${b.id}`, `end ${b.id}`, `end ${a.id}`]);
  await ha.release();
  await hb.release();
  await bed.manager.unloadLibraries();
});

test("a hook whose callouts are all synchronous returns no Promise", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("digit.ts", { std: "1", extra: "2" })]);
  // callSync throws if callCallouts returned anything.
  assert.equal(callSync(bed, bed.hooks.alpha), "12");
  await bed.manager.unloadLibraries();
});

test("an async callout that hangs is abandoned after the callout timeout: logged, request dropped, next callout runs", async () => {
  const bed = testBed({ calloutTimeoutMs: 50 });
  await bed.manager.loadLibraries([fixture("hangs.ts"), fixture("after.ts")]);
  const h = bed.manager.createCalloutHandle();
  const started = Date.now();
  await bed.manager.callCallouts(bed.hooks.alpha, h);
  assert.ok(Date.now() - started >= 45);
  assert.equal(h.getArgument("after"), `ran, status ${NextStep.DROP}`);
  assert.ok(
    bed.lines.some((l) =>
      /HOOKS_CALLOUT_TIMEOUT .*hangs\.ts did not finish within 50 ms \(query -: query dropped\)/.test(
        l,
      ),
    ),
  );
  await h.release();
  await bed.manager.unloadLibraries();
});

test("an async context_create is awaited before the first hook of the request", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "slow-create.mjs",
    `import { HOOKS_VERSION } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export async function context_create(h) { await new Promise((r) => setTimeout(r, 5)); h.setContext("session", "S1"); return 0; }
     export function alpha(h) { h.setArgument("session", h.getContext("session")); return 0; }`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const h = bed.manager.createCalloutHandle();
  await bed.manager.callCallouts(bed.hooks.alpha, h);
  assert.equal(h.getArgument("session"), "S1");
  await h.release();
  await bed.manager.unloadLibraries();
});

test("Kea-style parking: a callout references the parked query and sets PARK; the last unpark resumes it", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "parker.mjs",
    `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export function alpha(h) {
       const query = h.getArgument("query");
       const lot = h.getParkingLotHandle();
       lot.reference(query);
       h.setStatus(NextStep.PARK);
       setTimeout(() => lot.unpark(query), 5);
       return 0;
     }`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const query = { xid: 42 };
  const h = bed.manager.createCalloutHandle();
  const lot: ParkingLot = bed.manager.callouts.getParkingLot(bed.hooks.alpha);
  const resumed = new Promise<string>((resolve) => lot.park(query, () => resolve("resumed")));
  h.setArgument("query", query);
  bed.manager.callCallouts(bed.hooks.alpha, h);
  assert.equal(h.getStatus(), NextStep.PARK);
  assert.equal(lot.isParked(query), true);
  assert.equal(await resumed, "resumed");
  assert.equal(lot.size(), 0);
  await h.release();
  await bed.manager.unloadLibraries();
});

test("a timed-out callout that wakes up later cannot undo the DROP of its request", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "late.mjs",
    `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export async function alpha(h) {
       await new Promise((r) => setTimeout(r, 120));
       h.setStatus(NextStep.CONTINUE); // far too late
       return 0;
     }`,
  );
  const bed = testBed({ calloutTimeoutMs: 30 });
  await bed.manager.loadLibraries([lib]);
  const h = bed.manager.createCalloutHandle();
  await bed.manager.callCallouts(bed.hooks.alpha, h);
  assert.equal(h.getStatus(), NextStep.DROP);
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(h.getStatus(), NextStep.DROP);
  await h.release();
  await bed.manager.unloadLibraries();
});
