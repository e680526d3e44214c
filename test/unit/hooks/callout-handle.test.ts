import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ArgumentTypeError,
  NoSuchArgument,
  NoSuchCalloutContext,
} from "../../../src/hooks/errors.ts";
import { NextStep } from "../../../src/hooks/next-step.ts";
import { fixture, scratchDir, takeTrace, testBed, writeLibrary } from "../../helpers/hooks.ts";

test("arguments: set, get, list, delete one, delete all", () => {
  const { manager } = testBed();
  const h = manager.createCalloutHandle();
  h.setArgument("data_count", 10).setArgument("name", "x");
  assert.equal(h.getArgument("data_count"), 10);
  assert.deepEqual(h.getArgumentNames().sort(), ["data_count", "name"]);
  h.deleteArgument("name");
  assert.deepEqual(h.getArgumentNames(), ["data_count"]);
  h.deleteArgument("never-set"); // as in Kea: not an error
  h.deleteAllArguments();
  assert.deepEqual(h.getArgumentNames(), []);
});

test("getArgument of an unknown name throws NoSuchArgument naming it", () => {
  const { manager } = testBed();
  const h = manager.createCalloutHandle();
  assert.throws(
    () => h.getArgument("query4"),
    (err: unknown) => {
      assert.ok(err instanceof NoSuchArgument);
      assert.equal(err.argument, "query4");
      return true;
    },
  );
  // An argument deliberately set to undefined exists.
  h.setArgument("maybe", undefined);
  assert.equal(h.getArgument("maybe"), undefined);
});

test("replacing an argument with a value of another kind throws ArgumentTypeError and keeps the old value", () => {
  const { manager } = testBed();
  const h = manager.createCalloutHandle();
  h.setArgument("count", 10);
  assert.throws(() => h.setArgument("count", "10"), ArgumentTypeError);
  assert.equal(h.getArgument("count"), 10);
  h.setArgument("list", [1]);
  assert.throws(() => h.setArgument("list", { 0: 1 }), /kind array/);
  class Pkt {}
  class Other {}
  class MyPkt extends Pkt {}
  h.setArgument("query", new Pkt());
  assert.throws(() => h.setArgument("query", new Other()), /kind Pkt; a value of kind Other/);
  h.setArgument("query", new MyPkt()); // a subclass is the same kind
  h.setArgument("query", null); // a reference may become null ...
  h.setArgument("query", new Other()); // ... and null may become anything
  assert.throws(() => h.setArgument("count", null), ArgumentTypeError); // a number may not
});

test("objects are passed by reference: a callout's change to an argument object is seen by the server", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "mutate.ts",
    `import { HOOKS_VERSION, type CalloutHandle } from "nestor/hooks";
     export const version = (): number => HOOKS_VERSION;
     export function alpha(h: CalloutHandle): number {
       h.getArgument<{ yiaddr: string }>("lease").yiaddr = "198.51.100.7";
       return 0;
     }`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const lease = { yiaddr: "198.51.100.1" };
  const h = bed.manager.createCalloutHandle();
  h.setArgument("lease", lease);
  bed.manager.callCallouts(bed.hooks.alpha, h);
  assert.equal(lease.yiaddr, "198.51.100.7");
  await h.release();
  await bed.manager.unloadLibraries();
});

test("the status starts at CONTINUE, is passed along the callouts of a hook, and is reset for the next hook", async () => {
  const dir = scratchDir();
  const first = writeLibrary(
    dir,
    "first.mjs",
    `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export const alpha = (h) => { h.setArgument("seen1", h.getStatus()); h.setStatus(NextStep.SKIP); return 0; };`,
  );
  const second = writeLibrary(
    dir,
    "second.mjs",
    `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export const alpha = (h) => { h.setArgument("seen2", h.getStatus()); return 0; };
     export const beta = (h) => { h.setArgument("seen3", h.getStatus()); return 0; };`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([first, second]);
  const h = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.alpha, h);
  assert.equal(h.getArgument("seen1"), NextStep.CONTINUE);
  assert.equal(h.getArgument("seen2"), NextStep.SKIP);
  assert.equal(h.getStatus(), NextStep.SKIP);
  bed.manager.callCallouts(bed.hooks.beta, h.prepare());
  assert.equal(h.getArgument("seen3"), NextStep.CONTINUE);
  await h.release();
  await bed.manager.unloadLibraries();
});

test("status values keep Kea's numbers and the deprecated skip flag still works", () => {
  assert.deepEqual(NextStep, { CONTINUE: 0, SKIP: 1, DROP: 2, PARK: 3 });
  const { manager } = testBed();
  const h = manager.createCalloutHandle();
  assert.equal(h.getSkip(), false);
  h.setSkip(true);
  assert.equal(h.getStatus(), NextStep.SKIP);
  assert.equal(h.getSkip(), true);
  h.setStatus(NextStep.DROP);
  assert.equal(h.getSkip(), false);
  h.setSkip(false);
  assert.equal(h.getStatus(), NextStep.CONTINUE);
});

test("context is per library: the same name in two libraries holds two values, across the hooks of one request", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    fixture("context.ts", { value: "2", tag: "L1" }),
    fixture("context.ts", { value: "bar", tag: "L2" }),
  ]);
  const h = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.alpha, h);
  bed.manager.callCallouts(bed.hooks.beta, h.prepare());
  assert.equal(h.getArgument("seen%L1"), "2");
  assert.equal(h.getArgument("seen%L2"), "bar");
  // Each library sees only its own items.
  assert.equal(h.getArgument("names%L1"), "created,foo");
  await h.release();
  await bed.manager.unloadLibraries();
});

test("context is gone for the next request, and context_create / context_destroy run at its start and end", async () => {
  const bed = testBed();
  takeTrace();
  await bed.manager.loadLibraries([fixture("context.ts", { value: "v", tag: "L" })]);
  const first = bed.manager.createCalloutHandle();
  assert.deepEqual(takeTrace(), ["create L"]);
  bed.manager.callCallouts(bed.hooks.alpha, first);
  await first.release();
  assert.deepEqual(takeTrace(), ["destroy L L"]);
  const next = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.beta, next);
  assert.equal(next.getArgument("seen%L"), "(none)");
  await next.release();
  await bed.manager.unloadLibraries();
});

test("getContext of an unknown name throws NoSuchCalloutContext", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "ctx.mjs",
    `import { HOOKS_VERSION, NoSuchCalloutContext } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export const alpha = (h) => {
       try { h.getContext("hwaddr"); h.setArgument("caught", "no"); }
       catch (e) { h.setArgument("caught", e instanceof NoSuchCalloutContext ? e.item : "other"); }
       return 0;
     };`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const h = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.alpha, h);
  assert.equal(h.getArgument("caught"), "hwaddr");
  assert.throws(() => h.getContext("hwaddr"), NoSuchCalloutContext);
  await h.release();
  await bed.manager.unloadLibraries();
});

test("context items can be deleted, one or all, for the current library only", () => {
  const { manager } = testBed();
  const h = manager.createCalloutHandle();
  h.currentLibrary = 1;
  h.setContext("a", 1);
  h.setContext("b", 2);
  h.currentLibrary = 2;
  h.setContext("a", "other");
  h.deleteAllContext();
  assert.deepEqual(h.getContextNames(), []);
  h.currentLibrary = 1;
  h.deleteContext("a");
  assert.deepEqual(h.getContextNames(), ["b"]);
  assert.throws(() => h.setContext("b", "two"), ArgumentTypeError);
});

test("data passes between libraries through argument names containing $ or %", async () => {
  const dir = scratchDir();
  const producer = writeLibrary(
    dir,
    "producer.mjs",
    `import { HOOKS_VERSION } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export const gamma = (h) => { h.setArgument("$vendor-class", "PXEClient"); h.setArgument("rate%limit", 5); return 0; };`,
  );
  const consumer = writeLibrary(
    dir,
    "consumer.mjs",
    `import { HOOKS_VERSION } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export const gamma = (h) => { h.setArgument("got", h.getArgument("$vendor-class") + "/" + h.getArgument("rate%limit")); return 0; };`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([producer, consumer]);
  const h = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.gamma, h);
  assert.equal(h.getArgument("got"), "PXEClient/5");
  await h.release();
  await bed.manager.unloadLibraries();
});
