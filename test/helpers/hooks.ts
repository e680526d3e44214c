/** Test helpers for the hooks framework: a manager with its own hooks and a captured log. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HooksManager, type HooksManagerOptions } from "../../src/hooks/hooks-manager.ts";
import { ServerHooks } from "../../src/hooks/server-hooks.ts";
import { registerProduct } from "../../src/dhcpsrv/runtime/product.ts";
import { parseHooksLibraries, type HookLibraryConfig } from "../../src/hooks/config.ts";
import { LogManager } from "../../src/log/logger.ts";
import type { JsonObject } from "../../src/hooks/types.ts";

export interface TestBed {
  manager: HooksManager;
  hooks: { alpha: number; beta: number; gamma: number };
  /** Every log line written under the test root logger. */
  lines: string[];
  logManager: LogManager;
}

export function testBed(options: Omit<HooksManagerOptions, "serverHooks" | "logManager"> = {}) {
  registerProduct();
  const lines: string[] = [];
  const logManager = new LogManager("nestor-test");
  logManager.configure([
    { name: "nestor-test", severity: "INFO", outputs: [(line) => lines.push(line)] },
  ]);
  const serverHooks = new ServerHooks();
  const hooks = {
    alpha: serverHooks.registerHook("alpha"),
    beta: serverHooks.registerHook("beta"),
    gamma: serverHooks.registerHook("gamma"),
  };
  const manager = new HooksManager({ serverHooks, logManager, ...options });
  return { manager, hooks, lines, logManager } satisfies TestBed;
}

/** A committed fixture library from test/fixtures/hooks/. */
export function fixture(name: string, parameters?: JsonObject): HookLibraryConfig {
  const path = fileURLToPath(new URL(`../fixtures/hooks/${name}`, import.meta.url));
  const entry: JsonObject = { library: path };
  if (parameters !== undefined) entry["parameters"] = parameters;
  return parseHooksLibraries([entry])[0]!;
}

/** A directory outside the project, with no package.json or node_modules. */
export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), "nestor-hooks-"));
}

/** Writes a library file into dir and returns its config entry. */
export function writeLibrary(
  dir: string,
  name: string,
  source: string,
  parameters?: JsonObject,
): HookLibraryConfig {
  const path = join(dir, name);
  writeFileSync(path, source);
  const entry: JsonObject = { library: path };
  if (parameters !== undefined) entry["parameters"] = parameters;
  return parseHooksLibraries([entry])[0]!;
}

/** What fixture libraries record (see test/fixtures/hooks/trace.ts). */
export function takeTrace(): string[] {
  const g = globalThis as { nestorTrace?: string[] };
  const t = g.nestorTrace ?? [];
  g.nestorTrace = [];
  return t;
}

/** Runs one hook with a "result" argument and returns it, asserting the call was synchronous. */
export function callSync(bed: TestBed, index: number, result = ""): string {
  const handle = bed.manager.createCalloutHandle();
  handle.setArgument("result", result);
  const r = bed.manager.callCallouts(index, handle);
  if (r !== undefined) throw new Error("expected a synchronous call");
  const out = handle.getArgument<string>("result");
  void handle.release();
  return out;
}
