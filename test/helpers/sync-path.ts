/**
 * What the v4 and v6 sync-path tests share: a counter of the Promises created while a function
 * runs (async_hooks, enabled only around the call), and a hook library with one counted callout
 * on each of a list of hook points, of which one may be asynchronous.
 */
import { after } from "node:test";
import { createHook } from "node:async_hooks";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JsonObject } from "../../src/hooks/types.ts";

/** Runs `fn` with a counter of the Promises created meanwhile. */
export function countPromises<R>(fn: () => R): { result: R; promises: number } {
  let promises = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === "PROMISE") promises++;
    },
  });
  hook.enable();
  let result: R;
  try {
    result = fn();
  } finally {
    hook.disable();
  }
  return { result, promises };
}

export interface CountedLibrary {
  /** The library's hooks-libraries entry; `asyncHook` names the one callout that awaits. */
  entry(asyncHook?: string): JsonObject;
  /** The callouts called since the last call of calls(). */
  calls(): number;
}

/** Writes the library into a temporary directory, removed after the test file. */
export function countedLibrary(hooks: readonly string[]): CountedLibrary {
  const key = `nestorSyncCalls${Math.random().toString(36).slice(2)}`;
  const source = `
import { HOOKS_VERSION } from "nestor/hooks";
const g = globalThis;
const count = () => { g.${key} = (g.${key} ?? 0) + 1; return 0; };
export const version = () => HOOKS_VERSION;
export function load(handle) {
  const asyncHook = String(handle.getParameter("async") ?? "");
  for (const hook of ${JSON.stringify(hooks)}) {
    handle.registerCallout(
      hook,
      hook === asyncHook
        ? async () => {
            await new Promise((resolve) => setImmediate(resolve));
            return count();
          }
        : count,
    );
  }
  return 0;
}
`;
  const dir = mkdtempSync(path.join(tmpdir(), "nestor-sync-path-"));
  const file = path.join(dir, "sync-callouts.mjs");
  writeFileSync(file, source);
  after(() => rmSync(dir, { recursive: true, force: true }));
  const g = globalThis as unknown as Record<string, number | undefined>;
  return {
    entry: (asyncHook = "") => ({ library: file, parameters: { async: asyncHook } }),
    calls: () => {
      const n = g[key] ?? 0;
      g[key] = 0;
      return n;
    },
  };
}
