import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  callSync,
  fixture,
  scratchDir,
  takeTrace,
  testBed,
  writeLibrary,
} from "../../helpers/hooks.ts";

function versioned(tag: string): string {
  return `import { HOOKS_VERSION } from "nestor/hooks";
    import { suffix } from "./helper.ts";
    const g = globalThis as { nestorTrace?: string[] };
    export const version = (): number => HOOKS_VERSION;
    export function unload(): number { (g.nestorTrace ??= []).push("unload ${tag}"); return 0; }
    export function alpha(h: import("nestor/hooks").CalloutHandle): number {
      h.setArgument("result", h.getArgument<string>("result") + "${tag}" + suffix);
      return 0;
    }`;
}

test("a reload picks up a library file edited on disk, and the files it imports", async () => {
  const dir = scratchDir();
  writeFileSync(join(dir, "helper.ts"), `export const suffix = "-a";`);
  const lib = writeLibrary(dir, "lib.ts", versioned("v1"));
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  assert.equal(callSync(bed, bed.hooks.alpha), "v1-a");
  writeFileSync(join(dir, "lib.ts"), versioned("v2"));
  writeFileSync(join(dir, "helper.ts"), `export const suffix = "-b";`);
  takeTrace();
  await bed.manager.reloadLibraries();
  await bed.manager.whenRetired();
  assert.equal(callSync(bed, bed.hooks.alpha), "v2-b");
  assert.deepEqual(takeTrace(), ["unload v1"]);
  await bed.manager.unloadLibraries();
});

test("a request that started before a reload finishes with the libraries it started with", async () => {
  const dir = scratchDir();
  writeFileSync(join(dir, "helper.ts"), `export const suffix = "";`);
  const lib = writeLibrary(dir, "lib.ts", versioned("old"));
  const bed = testBed();
  await bed.manager.loadLibraries([lib]);
  const inFlight = bed.manager.createCalloutHandle().setArgument("result", "");
  writeFileSync(join(dir, "lib.ts"), versioned("new"));
  takeTrace();
  await bed.manager.reloadLibraries();
  // New requests get the new library at once ...
  assert.equal(callSync(bed, bed.hooks.alpha), "new");
  // ... the old request still runs the old one, which is not unloaded yet.
  bed.manager.callCallouts(bed.hooks.alpha, inFlight);
  assert.equal(inFlight.getArgument("result"), "old");
  assert.deepEqual(takeTrace(), []);
  await inFlight.release();
  await bed.manager.whenRetired();
  assert.deepEqual(takeTrace(), ["unload old"]);
  await bed.manager.unloadLibraries();
});

test("unload calls unload() first and removes every registration, standard, manual and command", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    fixture("registrar.ts"),
    fixture("commands.ts"),
    fixture("digit.ts", { tag: "D" }),
  ]);
  assert.equal(bed.manager.calloutsPresent(bed.hooks.alpha), true);
  assert.equal(bed.manager.commandHandlersPresent("diag-enable"), true);
  const old = bed.manager.callouts;
  takeTrace();
  await bed.manager.unloadLibraries();
  assert.deepEqual(takeTrace(), ["unload D"]);
  for (const hook of [bed.hooks.alpha, bed.hooks.beta, bed.hooks.gamma]) {
    assert.equal(bed.manager.calloutsPresent(hook), false);
    assert.equal(old.calloutsPresent(hook), false);
  }
  assert.equal(bed.manager.commandHandlersPresent("diag-enable"), false);
  assert.deepEqual(bed.manager.getLibraryNames(), []);
});

test("a drain timeout bounds how long a forgotten request can hold old libraries", async () => {
  const bed = testBed({ drainTimeoutMs: 30 });
  takeTrace();
  await bed.manager.loadLibraries([fixture("digit.ts", { tag: "T" })]);
  bed.manager.createCalloutHandle(); // never released
  await bed.manager.unloadLibraries();
  assert.deepEqual(takeTrace(), ["load T", "unload T"]);
  assert.ok(bed.lines.some((l) => l.includes("HOOKS_LIBRARIES_DRAIN_TIMEOUT")));
});
