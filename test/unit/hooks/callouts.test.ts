import { test } from "node:test";
import assert from "node:assert/strict";
import { NextStep } from "../../../src/hooks/next-step.ts";
import { CONTEXT_CREATE, CONTEXT_DESTROY, ServerHooks } from "../../../src/hooks/server-hooks.ts";
import { DuplicateHook, NoSuchHook } from "../../../src/hooks/errors.ts";
import { callSync, fixture, testBed } from "../../helpers/hooks.ts";

test("the framework's own hooks are context_create (0) and context_destroy (1)", () => {
  const hooks = new ServerHooks();
  assert.equal(hooks.getIndex("context_create"), CONTEXT_CREATE);
  assert.equal(hooks.getIndex("context_destroy"), CONTEXT_DESTROY);
  assert.equal(hooks.registerHook("pkt4_receive"), 2);
  assert.throws(() => hooks.registerHook("pkt4_receive"), DuplicateHook);
  assert.throws(() => hooks.getIndex("pkt9_receive"), NoSuchHook);
  assert.equal(hooks.findIndex("pkt9_receive"), -1);
  assert.equal(ServerHooks.commandToHookName("lease4-get"), "$lease4_get");
  assert.equal(ServerHooks.hookToCommandName("$lease4_get"), "lease4-get");
  assert.equal(ServerHooks.hookToCommandName("pkt4_receive"), "");
});

test("callouts registered in load() run in registration order, the same function as often as registered", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("registrar.ts")]);
  assert.equal(callSync(bed, bed.hooks.alpha), "aba");
  assert.equal(callSync(bed, bed.hooks.beta), "c");
  await bed.manager.unloadLibraries();
});

test("deregisterCallout removes every registration of that function; deregisterAllCallouts empties the library's hook", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("registrar.ts"), fixture("digit.ts", { std: "9" })]);
  const h = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.gamma, h);
  assert.equal(h.getArgument("index"), 1); // getLibraryHandle() is the calling library's
  assert.equal(h.getArgument("removedA"), true);
  assert.equal(h.getArgument("removedAgain"), false);
  assert.equal(h.getArgument("removedBeta"), true);
  await h.release();
  // The other library's callout on alpha is untouched.
  assert.equal(callSync(bed, bed.hooks.alpha), "b9");
  assert.equal(bed.manager.calloutsPresent(bed.hooks.beta), false);
  await bed.manager.unloadLibraries();
});

test("registering on a hook the server does not have fails the library's load with NoSuchHook", async () => {
  const bed = testBed();
  await assert.rejects(
    bed.manager.loadLibraries([fixture("unknown-hook.ts")]),
    /unknown-hook\.ts failed to load: load\(\) threw: hook name pkt9_receive is not recognized/,
  );
});

test("server callouts registered before and after the libraries run first and last", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("digit.ts", { std: "5" })]);
  const add = (s: string) => (h: import("../../../src/hooks/callout-handle.ts").CalloutHandle) => {
    h.setArgument("result", h.getArgument<string>("result") + s);
    return 0;
  };
  bed.manager.postCalloutsLibraryHandle().registerCallout("alpha", add(">"));
  bed.manager.preCalloutsLibraryHandle().registerCallout("alpha", add("<"));
  assert.equal(callSync(bed, bed.hooks.alpha), "<5>");
  await bed.manager.unloadLibraries();
});

test("with no callouts on a hook nothing is called and the call is synchronous", () => {
  const bed = testBed();
  assert.equal(bed.manager.calloutsPresent(bed.hooks.alpha), false);
  const h = bed.manager.createCalloutHandle();
  assert.equal(bed.manager.callCallouts(bed.hooks.alpha, h), undefined);
  assert.equal(h.getStatus(), NextStep.CONTINUE);
});

test("a throwing callout is logged with library, hook and callout; the request is dropped and the next callout still runs", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("faulty.ts"), fixture("after.ts")]);
  const h = bed.manager.createCalloutHandle();
  assert.doesNotThrow(() => bed.manager.callCallouts(bed.hooks.alpha, h));
  assert.equal(h.getArgument("after"), `ran, status ${NextStep.DROP}`);
  assert.equal(h.getStatus(), NextStep.DROP);
  const line = bed.lines.find((l) => l.includes("HOOKS_CALLOUT_EXCEPTION"));
  assert.ok(line);
  assert.match(
    line,
    /ERROR .*\[nestor-test\.callouts\/\d+\] HOOKS_CALLOUT_EXCEPTION callout alpha on hook alpha of library .*faulty\.ts threw: boom in alpha/,
  );
  await h.release();
  await bed.manager.unloadLibraries();
});

test("a callout returning non-zero is logged as an error; the status it set stands and the next callout runs", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("faulty.ts"), fixture("after.ts")]);
  const h = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.beta, h);
  assert.equal(h.getArgument("after"), `ran, status ${NextStep.SKIP}`);
  assert.equal(h.getStatus(), NextStep.SKIP);
  assert.ok(
    bed.lines.some((l) =>
      /HOOKS_CALLOUT_ERROR callout beta on hook beta of library .*faulty\.ts returned 7/.test(l),
    ),
  );
  await h.release();
  await bed.manager.unloadLibraries();
});

test("a rejected async callout is contained like a throw", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("faulty.ts"), fixture("after.ts")]);
  const h = bed.manager.createCalloutHandle();
  const p = bed.manager.callCallouts(bed.hooks.gamma, h);
  assert.ok(p instanceof Promise);
  await p;
  assert.equal(h.getArgument("after"), `ran, status ${NextStep.DROP}`);
  assert.ok(
    bed.lines.some((l) =>
      /HOOKS_CALLOUT_EXCEPTION callout gamma .* threw: async boom in gamma/.test(l),
    ),
  );
  await h.release();
  await bed.manager.unloadLibraries();
});

test("releasing a request whose context_destroy callouts are synchronous costs no Promise", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("context.ts", { value: "v", tag: "S" })]);
  const h = bed.manager.createCalloutHandle();
  assert.equal(h.release(), undefined);
  await bed.manager.unloadLibraries();
});

test("calloutsPresent with a handle answers for the generation that request started with", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("digit.ts", { std: "1" })]);
  const old = bed.manager.createCalloutHandle();
  const unloading = bed.manager.unloadLibraries();
  await new Promise((resolve) => setImmediate(resolve)); // the swap happens, the drain waits
  assert.equal(bed.manager.calloutsPresent(bed.hooks.alpha), false);
  assert.equal(bed.manager.calloutsPresent(bed.hooks.alpha, old), true);
  await old.release();
  await unloading;
});
