import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { scratchDir, writeLibrary } from "../../helpers/hooks.ts";

// The production server runs the JavaScript that `npm run build` emits into dist/ (built by
// `npm ci` through `prepare`, and before `npm test` through `pretest`).
const DIST = new URL("../../../dist/hooks/index.js", import.meta.url);

test("the built package serves nestor/hooks to a standalone library, as the same module instance", async () => {
  assert.ok(existsSync(DIST), "dist/ is missing: run npm run build");
  type Api = typeof import("../../../src/hooks/index.ts");
  const api = (await import(DIST.href)) as Api;
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "prod.ts",
    `import { HOOKS_VERSION, NextStep, type CalloutHandle } from "nestor/hooks";
     export const version = (): number => HOOKS_VERSION;
     export function pkt4_receive(h: CalloutHandle): number { h.setArgument("api", NextStep); return 0; }`,
  );
  const serverHooks = new api.ServerHooks();
  const index = serverHooks.registerHook("pkt4_receive");
  const logManager = new api.LogManager("nestor-dist");
  logManager.configure([{ name: "nestor-dist", severity: "WARN", outputs: [() => {}] }]);
  const manager = new api.HooksManager({ serverHooks, logManager });
  await manager.loadLibraries(api.parseHooksLibraries([{ library: lib.path }]));
  const h = manager.createCalloutHandle();
  manager.callCallouts(index, h);
  assert.equal(h.getArgument("api"), api.NextStep);
  await h.release();
  await manager.unloadLibraries();
});
