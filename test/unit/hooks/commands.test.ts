import { test } from "node:test";
import assert from "node:assert/strict";
import type { ControlAnswer } from "../../../src/hooks/types.ts";
import { fixture, testBed } from "../../helpers/hooks.ts";

test("registerCommandCallout registers the handler on hook $name and the framework reports the command as handled", async () => {
  const bed = testBed();
  assert.equal(bed.manager.commandHandlersPresent("diag-enable"), false);
  await bed.manager.loadLibraries([fixture("commands.ts")]);
  assert.ok(bed.manager.serverHooks.findIndex("$diag_enable") >= 0);
  assert.equal(bed.manager.commandHandlersPresent("diag-enable"), true);
  assert.equal(bed.manager.commandHandlersPresent("diag-disable"), false);
  const h = bed.manager.createCalloutHandle();
  h.setArgument("command", { command: "diag-enable", arguments: { level: 3 } });
  h.setArgument("response", undefined);
  await bed.manager.callCommandHandlers("diag-enable", h);
  assert.deepEqual(h.getArgument<ControlAnswer>("response"), {
    result: 0,
    text: "diagnostics enabled",
    arguments: { echo: { level: 3 } },
  });
  await h.release();
  await bed.manager.unloadLibraries();
  assert.equal(bed.manager.commandHandlersPresent("diag-enable"), false);
});

test("several libraries handling one command are called in order, each able to replace the previous response", async () => {
  const bed = testBed();
  await bed.manager.loadLibraries([
    fixture("commands.ts"),
    fixture("commands.ts", { replace: true }),
  ]);
  const h = bed.manager.createCalloutHandle();
  h.setArgument("command", { command: "diag-enable" });
  h.setArgument("response", undefined);
  await bed.manager.callCommandHandlers("diag-enable", h);
  assert.deepEqual(h.getArgument("response"), { result: 0, text: "replaced: diagnostics enabled" });
  await h.release();
  await bed.manager.unloadLibraries();
});
