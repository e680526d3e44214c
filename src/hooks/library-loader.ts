/**
 * Loading one library into a generation: import the module, check its API version (hooksApi
 * and/or version()), check its parameters against its parametersSchema, read
 * multi_threading_compatible(), register the standard-named exports, call load().
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, extname, resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ErrorObject, ValidateFunction } from "ajv";
import semver from "semver";
import { defineMessages, type Logger } from "../log/logger.ts";
import type { HookLibraryConfig } from "./config.ts";
import type { CalloutManager } from "./callout-manager.ts";
import { LibraryLoadError } from "./errors.ts";
import { loadPackage } from "../util/load-package.ts";
import type { LibraryHandle } from "./library-handle.ts";
import { GENERATION_PARAM, installResolver } from "./resolver.ts";
import type { Callout } from "./callout-handle.ts";
import { HOOKS_API_VERSION, HOOKS_VERSION } from "./version.ts";

defineMessages({
  HOOKS_LIBRARY_STACK: "hooks library %1: %2",
  HOOKS_CALLOUT_EXCEPTION_STACK: "callout %1 on hook %2 of library %3 threw: %4",
  HOOKS_EXPORT_NOT_A_HOOK: "hooks library %1 exports %2, which is not a hook point: %3",
});

/** The exports the framework looks for in a library module. */
export interface LibraryModule {
  version?: unknown;
  hooksApi?: unknown;
  parametersSchema?: unknown;
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
/** Exports with a meaning to the framework that are not callouts. */
const FRAMEWORK_EXPORTS = new Set([...FRAMEWORK_FUNCTIONS, "hooksApi", "parametersSchema"]);

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The debug level of the stacks logged for a failing load() or callout. */
export const DBG_STACK = 40;

/**
 * Logs the stack of the error behind a library failure (the library's own code) at DEBUG, so
 * its author can find the line; the ERROR message keeps the one-line reason.
 */
export function logStack(logger: Logger, library: string, err: unknown): void {
  let e: unknown = err;
  // A LibraryLoadError wraps the library's own error: its stack is the one worth reading.
  while (e instanceof LibraryLoadError && e.cause !== undefined) e = e.cause;
  if (e instanceof Error && e.stack !== undefined && !(e instanceof LibraryLoadError)) {
    logger.debug(DBG_STACK, "HOOKS_LIBRARY_STACK", library, e.stack);
  }
}

// ---------------------------------------------------------------------------------------------
// Syntax errors: where in the author's code

/** `file:line:column` of a SyntaxError thrown while importing `entry`, when it can be found. */
export function syntaxErrorLocation(err: unknown, entry: string): string | undefined {
  if (!(err instanceof SyntaxError)) return undefined;
  // Type stripping (ERR_INVALID_TYPESCRIPT_SYNTAX) puts the file, line and a caret line first.
  const fromStack = locationInFrame(err.stack ?? "");
  if (fromStack !== undefined) return fromStack;
  // V8 keeps the place of a JavaScript syntax error off the error object: ask it again with
  // `node --check` on the entry, then on the files it imports relatively (bounded).
  return checkSyntax(entry);
}

/** Reads `path:LINE\n...source...\n    ^^^` (the frame Node prints) into `path:line:column`. */
function locationInFrame(text: string): string | undefined {
  const lines = text.split("\n");
  const head = /^(.+):(\d+)$/.exec(lines[0] ?? "");
  if (head === null) return undefined;
  const caret = lines.slice(1, 5).find((l) => /^\s*\^+\s*$/.test(l));
  const file = head[1]!.startsWith("file:") ? fileURLToPath(head[1]!) : head[1]!;
  const column = caret === undefined ? undefined : caret.indexOf("^") + 1;
  return column === undefined ? `${file}:${head[2]}` : `${file}:${head[2]}:${column}`;
}

const MAX_CHECKED_FILES = 50;
const RELATIVE_IMPORT =
  /(?:^|[\s;}])(?:import|export)\s[^'"`]*?from\s*["']([.][^"']+)["']|import\s*\(?\s*["']([.][^"']+)["']/g;

function checkSyntax(entry: string): string | undefined {
  const queue = [entry];
  const seen = new Set<string>();
  while (queue.length > 0 && seen.size < MAX_CHECKED_FILES) {
    const file = queue.shift()!;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    if (/\.m?js$/.test(file)) {
      const r = spawnSync(process.execPath, ["--check", file], {
        encoding: "utf8",
        timeout: 10_000,
      });
      if (r.status !== 0 && typeof r.stderr === "string") {
        const found = locationInFrame(r.stderr.trimStart());
        if (found !== undefined) return found;
      }
    }
    let source: string;
    try {
      source = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const m of source.matchAll(RELATIVE_IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec !== undefined) queue.push(resolvePath(dirname(file), spec));
    }
  }
  return undefined;
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
    const at = syntaxErrorLocation(err, config.path);
    const reason = at === undefined ? reasonOf(err) : `SyntaxError at ${at}: ${reasonOf(err)}`;
    throw new LibraryLoadError(config.library, `import failed: ${reason}`, { cause: err });
  }
}

/**
 * The library's API version: `hooksApi`, when exported, is a semver range the server's
 * HOOKS_API_VERSION must satisfy; version(), when exported, must return HOOKS_VERSION (Kea's
 * HOOKS_NO_VERSION / INCORRECT_VERSION). One of the two is required.
 */
export function checkVersion(config: HookLibraryConfig, mod: LibraryModule): void {
  if (mod.hooksApi !== undefined) {
    const range = mod.hooksApi;
    if (typeof range !== "string" || semver.validRange(range) === null) {
      throw new LibraryLoadError(
        config.library,
        `its hooksApi export ${JSON.stringify(range)} is not a semver range (e.g. "^1.0.0")`,
      );
    }
    if (!semver.satisfies(HOOKS_API_VERSION, range)) {
      throw new LibraryLoadError(
        config.library,
        `it supports hooks API ${range}, this server provides hooks API ${HOOKS_API_VERSION}`,
      );
    }
    if (mod.version === undefined) return;
  }
  if (typeof mod.version !== "function") {
    throw new LibraryLoadError(
      config.library,
      "it does not export a version() function (or a hooksApi range)",
    );
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
  const hooks = manager.serverHooks.getHookNames();
  for (const hook of hooks) {
    if (FRAMEWORK_FUNCTIONS.has(hook)) continue;
    const fn = mod[hook];
    if (typeof fn !== "function") continue;
    manager.registerCallout(index, hook, fn as Callout, hook);
    logger.debug(40, "HOOKS_STD_CALLOUT_REGISTERED", library, hook);
  }
  for (const [name, why] of misnamedExports(mod, hooks)) {
    logger.warn("HOOKS_EXPORT_NOT_A_HOOK", library, name, why);
  }
}

/**
 * Function exports that look meant as callouts but will never be called: a name close to a hook
 * point's (`pkt4_recieve`), or a hook point of the other DHCP family (`pkt6_receive` in a
 * DHCPv4 server) when the library has no callout of this server's family (else it is written
 * for both). Returns [export, explanation] pairs.
 */
export function misnamedExports(
  mod: LibraryModule,
  hookNames: readonly string[],
): [string, string][] {
  const hooks = new Set(hookNames);
  const families = new Set<string>();
  for (const h of hookNames) {
    const m = /^[a-z]+([46])_/.exec(h);
    if (m !== null) families.add(m[1]!);
  }
  // A library with callouts of this server's family is written for both families (run_script,
  // user_chk): its callouts of the other family are meant for the other server.
  const bothFamilies = hookNames.some(
    (h) => /^[a-z]+[46]_/.test(h) && typeof mod[h] === "function",
  );
  const out: [string, string][] = [];
  for (const name of Object.keys(mod)) {
    if (hooks.has(name) || FRAMEWORK_EXPORTS.has(name) || typeof mod[name] !== "function") {
      continue;
    }
    const family = /^[a-z]+([46])_[a-z0-9_]+$/.exec(name)?.[1];
    if (family !== undefined && families.size > 0 && !families.has(family)) {
      if (bothFamilies) continue;
      const server = [...families].map((f) => `DHCPv${f}`).join(", ");
      out.push([name, `it names a DHCPv${family} hook point and this server is ${server}`]);
      continue;
    }
    const near = hookNames.find(
      (h) => h.toLowerCase() === name.toLowerCase() || (name.length >= 6 && distance(name, h) <= 2),
    );
    if (near !== undefined) out.push([name, `did you mean ${near}?`]);
  }
  return out;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

// ---------------------------------------------------------------------------------------------
// Parameters checked against the library's parametersSchema

/** Where a parameter error points: the library's index in the list and the path inside. */
export type ParameterPath = readonly (string | number)[];

/** A parameter refused by the library's schema: the path inside `parameters` and the reason. */
export interface ParameterProblem {
  readonly path: ParameterPath;
  readonly reason: string;
}

const compiled = new WeakMap<object, ValidateFunction>();

function validatorOf(config: HookLibraryConfig, schema: unknown): ValidateFunction {
  if (typeof schema !== "object" || schema === null) {
    throw new LibraryLoadError(config.library, "its parametersSchema export is not a JSON Schema");
  }
  let v = compiled.get(schema);
  if (v === undefined) {
    // Formats are not checked (ajv-formats is not part of the server); unknown keywords such as
    // "description" or "examples" are allowed so that schemas can document themselves.
    // ajv is loaded on the first such schema: a server whose libraries declare none never loads it.
    const { Ajv } = loadPackage<typeof import("ajv")>("ajv");
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    try {
      v = ajv.compile(schema);
    } catch (err) {
      throw new LibraryLoadError(
        config.library,
        `its parametersSchema is not a valid JSON Schema: ${reasonOf(err)}`,
        { cause: err },
      );
    }
    compiled.set(schema, v);
  }
  return v;
}

/**
 * Checks `parameters` (an empty map when absent) against the library's exported
 * parametersSchema; returns the first problem in document order, or undefined when they
 * conform or the library exports no schema.
 */
export function checkParameters(
  config: HookLibraryConfig,
  mod: LibraryModule,
): ParameterProblem | undefined {
  if (mod.parametersSchema === undefined) return undefined;
  const validate = validatorOf(config, mod.parametersSchema);
  const data = config.parameters ?? {};
  if (validate(data) === true) return undefined;
  // The most specific problem first: the deepest value refused (`.on-error: must be one of`
  // rather than the map's `must have property postgresql when property on-error is present`).
  const depth = (e: ErrorObject) => e.instancePath.split("/").length;
  const errors = [...(validate.errors ?? [])].sort((a, b) => depth(b) - depth(a));
  const first = errors.find((e) => e.keyword !== "if") ?? errors[0];
  if (first === undefined) return { path: [], reason: "refused" };
  // A value that matches none of the forms of an anyOf / oneOf: every form's reason.
  const choice = errors.find(
    (e) =>
      (e.keyword === "anyOf" || e.keyword === "oneOf") && e.instancePath === first.instancePath,
  );
  if (choice !== undefined) {
    const forms = errors
      .filter((e) => e !== choice && e.instancePath === first.instancePath)
      .map((e) => translate(e, data).reason);
    return { path: translate(first, data).path, reason: [...new Set(forms)].join("; or ") };
  }
  return translate(first, data);
}

function pointerToPath(root: unknown, pointer: string): (string | number)[] {
  const out: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      out.push(Number(key));
      node = node[Number(key)];
    } else {
      out.push(key);
      node =
        typeof node === "object" && node !== null
          ? (node as Record<string, unknown>)[key]
          : undefined;
    }
  }
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  integer: "an integer",
  number: "a number",
  string: "a string",
  boolean: "a boolean (true or false)",
  object: "a map",
  array: "a list",
  null: "null",
};

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  return JSON.stringify(value);
}

function translate(e: ErrorObject, data: unknown): ParameterProblem {
  const path = pointerToPath(data, e.instancePath);
  const params = e.params as Record<string, unknown>;
  const value = path.reduce<unknown>(
    (node, k) =>
      typeof node === "object" && node !== null ? (node as Record<string, unknown>)[k] : undefined,
    data,
  );
  switch (e.keyword) {
    case "required":
      return { path, reason: `missing mandatory parameter "${String(params.missingProperty)}"` };
    case "additionalProperties": {
      const extra = String(params.additionalProperty);
      return { path: [...path, extra], reason: `unknown parameter "${extra}"` };
    }
    case "type": {
      const types = String(params.type).split(",");
      const want = types.map((t) => TYPE_NAMES[t] ?? t).join(" or ");
      return { path, reason: `must be ${want}, not ${describe(value)}` };
    }
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return { path, reason: `must be one of ${allowed.join(", ")}, not ${describe(value)}` };
    }
    case "const":
      return { path, reason: `must be ${JSON.stringify(params.allowedValue)}` };
    case "minimum":
    case "exclusiveMinimum":
    case "maximum":
    case "exclusiveMaximum":
      return { path, reason: `${describe(value)} ${String(e.message)}` };
    case "minLength":
      return {
        path,
        reason: params.limit === 1 ? "must not be empty" : String(e.message),
      };
    default:
      return { path, reason: String(e.message) };
  }
}

/** `["name"]` -> `.name`, `["servers", 0, "host"]` -> `.servers[0].host`. */
export function formatParameterPath(path: ParameterPath): string {
  return path
    .map((k) =>
      typeof k === "number"
        ? `[${k}]`
        : /^[A-Za-z_][\w-]*$/.test(k)
          ? `.${k}`
          : `[${JSON.stringify(k)}]`,
    )
    .join("");
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
