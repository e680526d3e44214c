import { test } from "node:test";
import assert from "node:assert/strict";
import {
  callSync,
  fixture,
  scratchDir,
  takeTrace,
  testBed,
  writeLibrary,
} from "../../helpers/hooks.ts";
import { LibraryLoadError } from "../../../src/hooks/errors.ts";
import { NextStep } from "../../../src/hooks/next-step.ts";
import { HOOKS_VERSION } from "../../../src/hooks/version.ts";

test("libraries load in list order and their callouts run in configuration order", async () => {
  const bed = testBed();
  takeTrace();
  await bed.manager.loadLibraries([
    fixture("digit.ts", { std: "1", extra: "2", tag: "A" }),
    fixture("digit.ts", { std: "3", extra: "4", tag: "B" }),
  ]);
  assert.deepEqual(takeTrace(), ["load A", "load B"]);
  // Within a library: the standard callout first, then the one registered in load().
  assert.equal(callSync(bed, bed.hooks.alpha), "1234");
  await bed.manager.unloadLibraries();
  // unload() runs in reverse order.
  assert.deepEqual(takeTrace(), ["unload B", "unload A"]);
  assert.equal(callSync(bed, bed.hooks.alpha), "");
});

test("JavaScript (.js, .mjs) and TypeScript (.ts) libraries load from disk with no build step", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    fixture("plain.js"),
    fixture("module.mjs"),
    fixture("digit.ts", { std: "7" }),
  ]);
  assert.equal(callSync(bed, bed.hooks.beta), "jsmjs");
  assert.equal(callSync(bed, bed.hooks.alpha), "7");
  assert.deepEqual(bed.manager.getLibraryNames().length, 3);
  await bed.manager.unloadLibraries();
});

test("a standalone TypeScript file anywhere on disk imports nestor/hooks and gets the server's own API", async () => {
  const dir = scratchDir(); // no package.json, no node_modules
  const lib = writeLibrary(
    dir,
    "standalone.ts",
    `import { HOOKS_VERSION, NextStep, type CalloutHandle } from "nestor/hooks";
     export const version = (): number => HOOKS_VERSION;
     export function alpha(handle: CalloutHandle): number {
       handle.setArgument("api", NextStep);
       handle.setStatus(NextStep.DROP);
       return 0;
     }`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const handle = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.alpha, handle);
  // The very same module instance: identical objects, not a copy.
  assert.equal(handle.getArgument("api"), NextStep);
  assert.equal(handle.getStatus(), NextStep.DROP);
  await handle.release();
  await bed.manager.unloadLibraries();
});

test("a library with a syntax error is refused, naming the library", async () => {
  const bed = testBed();
  const lib = fixture("syntax-error.js");
  await assert.rejects(bed.manager.loadLibraries([lib]), (err: unknown) => {
    assert.ok(err instanceof LibraryLoadError);
    assert.match(
      err.message,
      /syntax-error\.js failed to load: import failed: .*(Syntax|Unexpected)/,
    );
    return true;
  });
  assert.deepEqual(bed.manager.getLibraryNames(), []);
});

test("a library without version() is refused", async () => {
  const bed = testBed();
  await assert.rejects(
    bed.manager.loadLibraries([fixture("no-version.js")]),
    /no-version\.js failed to load: it does not export a version\(\) function/,
  );
  assert.equal(bed.manager.calloutsPresent(bed.hooks.alpha), false);
});

test("a library whose version() differs from HOOKS_VERSION is refused with both numbers", async () => {
  const bed = testBed();
  await assert.rejects(
    bed.manager.loadLibraries([fixture("wrong-version.js")]),
    new RegExp(`version\\(\\) returned 20200, this server requires HOOKS_VERSION ${HOOKS_VERSION}`),
  );
});

test("load() returning 1 refuses the whole set: libraries loaded before it are unloaded again", async () => {
  const bed = testBed();
  takeTrace();
  await assert.rejects(
    bed.manager.loadLibraries([
      fixture("digit.ts", { std: "1", tag: "A" }),
      fixture("load-fails.ts"),
    ]),
    /load-fails\.ts failed to load: load\(\) returned 1/,
  );
  // Kea calls unload() of the failing library too, then of those before it (reverse order).
  assert.deepEqual(takeTrace(), ["load A", "load load-fails", "unload load-fails", "unload A"]);
  assert.equal(bed.manager.calloutsPresent(bed.hooks.alpha), false);
  assert.deepEqual(bed.manager.getLibraryNames(), []);
});

test("a failed load leaves the running library set in place", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("digit.ts", { std: "5" })]);
  await assert.rejects(
    bed.manager.loadLibraries([fixture("load-throws.js")]),
    /load\(\) threw: cannot open/,
  );
  assert.equal(callSync(bed, bed.hooks.alpha), "5");
  assert.equal(bed.manager.getLibraryNames().length, 1);
  assert.ok(
    bed.lines.some((l) => l.includes("HOOKS_LIBRARY_LOAD_FAILED") && l.includes("load-throws.js")),
  );
  await bed.manager.unloadLibraries();
});

test("errors from unload() are logged and the library is unloaded anyway", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("unload-throws.js")]);
  assert.equal(callSync(bed, bed.hooks.alpha), "u");
  await bed.manager.unloadLibraries();
  assert.ok(
    bed.lines.some((l) =>
      /ERROR .*HOOKS_UNLOAD_EXCEPTION .*unload-throws\.js threw: unload exploded/.test(l),
    ),
  );
  assert.equal(bed.manager.calloutsPresent(bed.hooks.alpha), false);
});

test("a missing file and a non-module extension are refused with the reason", async () => {
  const bed = testBed();
  const dir = scratchDir();
  await assert.rejects(bed.manager.loadLibraries([fixture("does-not-exist.ts")]), /no such file/);
  const native = writeLibrary(dir, "addon.node", "\x7fELF");
  await assert.rejects(bed.manager.loadLibraries([native]), /not an ES module/);
});

test("multi_threading_compatible() defaults to 0; with multi-threading such a library is refused", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([fixture("plain.js"), fixture("mt.ts")]);
  assert.deepEqual(
    bed.manager.getLibraryInfo().map((i) => i.multiThreadingCompatible),
    [false, true],
  );
  await assert.rejects(
    bed.manager.loadLibraries([fixture("mt.ts"), fixture("plain.js")], { multiThreading: true }),
    /plain\.js failed to load: it is not multi-threading compatible/,
  );
  await bed.manager.loadLibraries([fixture("mt.ts")], { multiThreading: true });
  await bed.manager.unloadLibraries();
});

test("validateLibraries checks import and version without calling load()", async () => {
  const bed = testBed();
  takeTrace();
  const errors = await bed.manager.validateLibraries([
    fixture("digit.ts", { tag: "V" }),
    fixture("wrong-version.js"),
    fixture("syntax-error.js"),
  ]);
  assert.equal(errors.length, 2);
  assert.match(errors[0]!, /wrong-version\.js/);
  assert.match(errors[1]!, /syntax-error\.js/);
  assert.deepEqual(takeTrace(), []);
  assert.deepEqual(bed.manager.getLibraryNames(), []);
});

test("a status set by a library is seen by the server after the hook", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "skipper.mjs",
    `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export const gamma = (h) => { h.setStatus(NextStep.SKIP); return 0; };`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const handle = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.gamma, handle);
  assert.equal(handle.getStatus(), NextStep.SKIP);
  await handle.release();
  await bed.manager.unloadLibraries();
});

test("a standalone library imports nestor/dhcp, nestor/dhcp4 and nestor/dhcp6 and gets the server's own packet and lease classes", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "typed.ts",
    `import { HOOKS_VERSION, type CalloutHandle } from "nestor/hooks";
     import { Pkt4 } from "nestor/dhcp";
     import { Lease4 } from "nestor/dhcp4";
     import { Lease6 } from "nestor/dhcp6";
     export const version = (): number => HOOKS_VERSION;
     export function alpha(h: CalloutHandle): number { h.setArgument("classes", [Pkt4, Lease4, Lease6]); return 0; }`,
  );
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const h = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.hooks.alpha, h);
  const { Pkt4 } = await import("../../../src/dhcp/pkt4.ts");
  const { Lease4 } = await import("../../../src/dhcpsrv/leases/lease4.ts");
  const { Lease6 } = await import("../../../src/dhcpsrv/leases/lease6.ts");
  assert.deepEqual(h.getArgument("classes"), [Pkt4, Lease4, Lease6]);
  await h.release();
  await bed.manager.unloadLibraries();
});
