/**
 * Loading one library into a generation: import the module, check version(), read
 * multi_threading_compatible(), register the standard-named exports, call load().
 */
import { existsSync } from "node:fs";
import { extname } from "node:path";
import { pathToFileURL } from "node:url";
import type { Logger } from "../log/logger.ts";
import type { HookLibraryConfig } from "./config.ts";
import type { CalloutManager } from "./callout-manager.ts";
import { LibraryLoadError } from "./errors.ts";
import type { LibraryHandle } from "./library-handle.ts";
import { GENERATION_PARAM, installResolver } from "./resolver.ts";
import type { Callout } from "./callout-handle.ts";
import { HOOKS_VERSION } from "./version.ts";

/** The exports the framework looks for in a library module. */
export interface LibraryModule {
  version?: unknown;
  load?: unknown;
  unload?: unknown;
  multi_threading_compatible?: unknown;
  [name: string]: unknown;
}

export interface LoadedLibrary {
  readonly config: HookLibraryConfig;
  readonly index: number;
  readonly module: LibraryModule;
  readonly handle: LibraryHandle;
  readonly multiThreadingCompatible: boolean;
}

const EXTENSIONS = new Set([".js", ".mjs", ".ts", ".mts"]);
const FRAMEWORK_FUNCTIONS = new Set(["version", "load", "unload", "multi_threading_compatible"]);

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Imports a library file as a fresh instance for this generation and position: two entries
 * naming the same file are two independent instances, each with its own module state and
 * parameters (unlike dlopen(), which would share one).
 */
export async function importLibrary(
  config: HookLibraryConfig,
  generation: number,
  index: number,
): Promise<LibraryModule> {
  if (!EXTENSIONS.has(extname(config.path))) {
    throw new LibraryLoadError(
      config.library,
      "not an ES module in JavaScript (.js, .mjs) or TypeScript (.ts, .mts)",
    );
  }
  if (!existsSync(config.path)) throw new LibraryLoadError(config.library, "no such file");
  installResolver();
  const url = pathToFileURL(config.path);
  url.searchParams.set(GENERATION_PARAM, `${generation}-${index}`);
  try {
    return (await import(url.href)) as LibraryModule;
  } catch (err) {
    throw new LibraryLoadError(config.library, `import failed: ${reasonOf(err)}`, { cause: err });
  }
}

/** version() must exist and return HOOKS_VERSION (Kea's HOOKS_NO_VERSION / INCORRECT_VERSION). */
export function checkVersion(config: HookLibraryConfig, mod: LibraryModule): void {
  if (typeof mod.version !== "function") {
    throw new LibraryLoadError(config.library, "it does not export a version() function");
  }
  let v: unknown;
  try {
    v = (mod.version as () => unknown)();
  } catch (err) {
    throw new LibraryLoadError(config.library, `version() threw: ${reasonOf(err)}`, { cause: err });
  }
  if (v !== HOOKS_VERSION) {
    throw new LibraryLoadError(
      config.library,
      `version() returned ${String(v)}, this server requires HOOKS_VERSION ${HOOKS_VERSION}`,
    );
  }
}

/** multi_threading_compatible() defaults to 0 (not compatible) when absent. */
export function readMultiThreading(config: HookLibraryConfig, mod: LibraryModule): boolean {
  if (typeof mod.multi_threading_compatible !== "function") return false;
  try {
    const v: unknown = (mod.multi_threading_compatible as () => unknown)();
    return typeof v === "number" ? v !== 0 : Boolean(v);
  } catch (err) {
    throw new LibraryLoadError(
      config.library,
      `multi_threading_compatible() threw: ${reasonOf(err)}`,
      { cause: err },
    );
  }
}

/** Registers every export named after a registered hook point, before load() runs (as Kea). */
export function registerStandardCallouts(
  manager: CalloutManager,
  index: number,
  mod: LibraryModule,
  logger: Logger,
  library: string,
): void {
  for (const hook of manager.serverHooks.getHookNames()) {
    if (FRAMEWORK_FUNCTIONS.has(hook)) continue;
    const fn = mod[hook];
    if (typeof fn !== "function") continue;
    manager.registerCallout(index, hook, fn as Callout, hook);
    logger.debug(40, "HOOKS_STD_CALLOUT_REGISTERED", library, hook);
  }
}

/** Calls load(handle): a non-zero result, a throw or a rejection fails the library. */
export async function callLoad(
  config: HookLibraryConfig,
  mod: LibraryModule,
  handle: LibraryHandle,
  timeoutMs: number,
): Promise<void> {
  if (typeof mod.load !== "function") return;
  let r: unknown;
  try {
    r = await withTimeout(
      Promise.resolve((mod.load as (h: LibraryHandle) => unknown)(handle)),
      timeoutMs,
      "load() did not finish",
    );
  } catch (err) {
    throw new LibraryLoadError(config.library, `load() threw: ${reasonOf(err)}`, { cause: err });
  }
  if (r !== undefined && r !== 0) {
    throw new LibraryLoadError(config.library, `load() returned ${String(r)}`);
  }
}

/** Calls unload(); its errors are logged, never thrown. */
export async function callUnload(
  lib: LoadedLibrary,
  logger: Logger,
  timeoutMs: number,
): Promise<void> {
  const unload = lib.module.unload;
  if (typeof unload !== "function") return;
  try {
    const r: unknown = await withTimeout(
      Promise.resolve((unload as () => unknown)()),
      timeoutMs,
      "unload() did not finish",
    );
    if (r !== undefined && r !== 0) {
      logger.error("HOOKS_UNLOAD_ERROR", lib.config.library, `unload() returned ${String(r)}`);
    }
  } catch (err) {
    logger.error("HOOKS_UNLOAD_EXCEPTION", lib.config.library, reasonOf(err));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) return p;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    timer.unref();
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
