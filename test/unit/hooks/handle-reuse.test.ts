/**
 * The manager hands a released handle to the next request when nothing of the first request
 * went asynchronous (no allocation per query on a steady load), and the next request sees it as
 * new: no arguments, status CONTINUE, no context of any library, no subject. A handle that
 * something may still hold (an asynchronous callout, one abandoned after its timeout, a query
 * in a parking lot) is never handed out again.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { NextStep } from "../../../src/hooks/next-step.ts";
import { scratchDir, testBed, writeLibrary } from "../../helpers/hooks.ts";

const HEADER = `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
export const version = () => HOOKS_VERSION;
`;

/** A library in a fresh directory: the header, then `body`. */
function library(name: string, body: string) {
  return writeLibrary(scratchDir(), name, HEADER + body);
}

/** alpha: records the context item the request had before ("(none)"), then sets it and SKIP. */
const CONTEXT_LIBRARY = `export function alpha(h) {
  h.setArgument("before", h.getOptionalContext("mark") ?? "(none)");
  h.setContext("mark", h.getArgument("id"));
  h.setStatus(NextStep.SKIP);
  return 0;
}`;

test("a synchronous request's handle goes to the next request emptied: no arguments, status, context or subject", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([library("ctx.mjs", CONTEXT_LIBRARY)]);
  const first = bed.manager.createCalloutHandle();
  first.subject = "query 1";
  first.setArgument("id", "one");
  assert.equal(bed.manager.callCallouts(bed.hooks.alpha, first), undefined);
  assert.equal(first.getArgument("before"), "(none)");
  assert.equal(first.getStatus(), NextStep.SKIP);
  assert.equal(first.release(), undefined);

  const next = bed.manager.createCalloutHandle();
  assert.equal(next, first, "the released handle is reused");
  assert.deepEqual(next.getArgumentNames(), []);
  assert.equal(next.getStatus(), NextStep.CONTINUE);
  assert.equal(next.subject, null);
  assert.equal(next.released, false);
  next.setArgument("id", "two");
  bed.manager.callCallouts(bed.hooks.alpha, next);
  // The library's context of the first request is gone.
  assert.equal(next.getArgument("before"), "(none)");
  // Within one request the context stays from hook to hook.
  bed.manager.callCallouts(bed.hooks.alpha, next.prepare().setArgument("id", "three"));
  assert.equal(next.getArgument("before"), "two");
  await next.release();
  await bed.manager.unloadLibraries();
});

test("arguments keep the order they were set in; a deleted one set again comes last", () => {
  const { manager } = testBed();
  const h = manager.createCalloutHandle();
  h.setArgument("a", 1).setArgument("b", 2).setArgument("c", 3);
  h.deleteArgument("b");
  assert.deepEqual(h.getArgumentNames(), ["a", "c"]);
  assert.equal(h.getArgument("c"), 3);
  h.setArgument("b", 4).setArgument("a", 5);
  assert.deepEqual(h.getArgumentNames(), ["a", "c", "b"]);
  assert.deepEqual(
    ["a", "b", "c"].map((n) => h.getArgument(n)),
    [5, 4, 3],
  );
  h.prepare();
  assert.deepEqual(h.getArgumentNames(), []);
  assert.throws(() => h.getArgument("a"), /a/);
});

test("a handle whose request went asynchronous is not handed to another request", async () => {
  const lib = library(
    "async.mjs",
    `export async function alpha(h) { h.setArgument("done", true); return 0; }`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const first = bed.manager.createCalloutHandle();
  await bed.manager.callCallouts(bed.hooks.alpha, first);
  assert.equal(first.getArgument("done"), true);
  await first.release();
  const next = bed.manager.createCalloutHandle();
  assert.notEqual(next, first);
  await next.release();
  await bed.manager.unloadLibraries();
});

test("a callout abandoned after its timeout that wakes up later cannot touch a later request", async () => {
  const lib = library(
    "late.mjs",
    `export async function alpha(h) {
       if (h.getArgument("late") !== true) return 0;
       await new Promise((r) => setTimeout(r, 120));
       h.setStatus(NextStep.SKIP); // far too late: its request has ended
       h.setArgument("stale", 1);
       return 0;
     }`,
  );
  const bed = testBed({ calloutTimeoutMs: 30 });
  await bed.manager.loadLibraries([lib]);
  const first = bed.manager.createCalloutHandle().setArgument("late", true);
  await bed.manager.callCallouts(bed.hooks.alpha, first);
  assert.equal(first.getStatus(), NextStep.DROP);
  await first.release();
  const next = bed.manager.createCalloutHandle().setArgument("late", false);
  assert.notEqual(next, first);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(next.getStatus(), NextStep.CONTINUE);
  assert.deepEqual(next.getArgumentNames(), ["late"]);
  await next.release();
  await bed.manager.unloadLibraries();
});

test("a handle whose query went into a parking lot is not handed to another request", async () => {
  const lib = library("lot.mjs", `export function alpha(h) { h.getParkingLotHandle(); return 0; }`);
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const gen = bed.manager.callouts;
  const first = gen.createCalloutHandle();
  assert.equal(gen.callParked(bed.hooks.alpha, first, { xid: 1 }), NextStep.CONTINUE);
  await first.release();
  const next = gen.createCalloutHandle();
  assert.notEqual(next, first);
  await next.release();
  await bed.manager.unloadLibraries();
});
