/** The `hooks-libraries` configuration list, validated as Kea does (and a little more). */
import { basename, isAbsolute, resolve, dirname } from "node:path";
import { ConfigError } from "../util/errors.ts";
import type { JsonObject } from "./types.ts";
import { parseCalloutPolicy, POLICY_KEYS, type CalloutPolicyConfig } from "./callout-policy.ts";

export interface HookLibraryConfig {
  /** The library path as written in the configuration. */
  library: string;
  /** Absolute path the module is imported from. */
  path: string;
  parameters?: JsonObject;
  /**
   * Set when `library` names a native shared object registered with registerShippedLibrary:
   * its canonical name (`libfoo.so`), whose replacement `path` is.
   */
  shipped?: string;
  /** `timeout-ms`, `on-timeout`, `on-error` when the entry sets any (Nestor's additions). */
  policy?: CalloutPolicyConfig;
}

/** `libfoo.so`, `libfoo.so.1`, `libfoo.so.1.2.3`: a native shared object. */
const SHARED_OBJECT = /\.so(\.\d+)*$/;

/**
 * Native hook libraries (Kea's shared objects) that the product ships its own version of, by
 * canonical file name (`libfoo.so`), with the module that replaces each. This layer knows none
 * of them: the product registers them (registerShippedLibrary) before it parses a configuration.
 */
const SHIPPED = new Map<string, string>();

/** `/any/dir/libfoo.so.1.2` -> `libfoo.so`. */
function canonicalName(library: string): string {
  return basename(library.trim()).replace(SHARED_OBJECT, ".so");
}

/**
 * A configuration naming the shared object `soName` (under any directory, with or without a
 * `.so.N` version suffix) loads the module at `path` instead, with the same parameters, so it
 * runs unmodified. Registering a name again replaces its path.
 */
export function registerShippedLibrary(soName: string, path: string): void {
  const name = canonicalName(soName);
  if (name !== soName.trim() || !SHARED_OBJECT.test(name)) {
    throw new Error(`'${soName}' is not the file name of a shared object (libfoo.so)`);
  }
  if (!isAbsolute(path)) throw new Error(`the replacement of ${name} must be an absolute path`);
  SHIPPED.set(name, path);
}

/** The registered shared objects, canonical name -> replacement path, in registration order. */
export function shippedLibraries(): ReadonlyMap<string, string> {
  return new Map(SHIPPED);
}

const ALLOWED_KEYS = new Set([
  "library",
  "parameters",
  "comment",
  "user-context",
  // The library's time limit and failure policy (callout-policy.ts).
  ...POLICY_KEYS,
]);

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Parses `[{ "library": PATH, "parameters": {...} }, ...]`. A relative PATH is taken relative to
 * the configuration file's directory (or the working directory when there is no file).
 * `parameters`, when present, must be a map; it is frozen, so a library cannot change the
 * running configuration through it. A PATH naming a shared object registered with
 * registerShippedLibrary loads its replacement; any other `.so` is refused.
 */
export function parseHooksLibraries(
  value: unknown,
  path = "hooks-libraries",
  file?: string,
): HookLibraryConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ConfigError("must be a list", path, file);
  const base = file === undefined ? process.cwd() : dirname(resolve(file));
  return value.map((entry: unknown, i: number): HookLibraryConfig => {
    const at = `${path}[${i}]`;
    if (!isMap(entry)) throw new ConfigError("must be a map", at, file);
    for (const key of Object.keys(entry)) {
      if (!ALLOWED_KEYS.has(key)) {
        throw new ConfigError(`unknown hooks library parameter '${key}'`, `${at}.${key}`, file);
      }
    }
    const library = entry["library"];
    if (typeof library !== "string" || library.trim() === "") {
      throw new ConfigError("'library' must be a non-empty string", `${at}.library`, file);
    }
    const parameters = entry["parameters"];
    if (parameters !== undefined && !isMap(parameters)) {
      throw new ConfigError("'parameters' must be a map", `${at}.parameters`, file);
    }
    const name = canonicalName(library);
    const replacement = SHIPPED.get(name);
    if (replacement === undefined && SHARED_OBJECT.test(library.trim())) {
      const shipped = [...SHIPPED.keys()];
      throw new ConfigError(
        `'${library}' is a native (C++) hook library: Nestor loads hook libraries written in ` +
          "JavaScript or TypeScript (.js, .mjs, .ts, .mts)" +
          (shipped.length > 0
            ? `. Nestor ships its own versions of ${shipped.join(", ")} (named by Kea's file names)`
            : ""),
        `${at}.library`,
        file,
      );
    }
    const config: HookLibraryConfig = {
      library,
      path:
        replacement !== undefined
          ? replacement
          : isAbsolute(library)
            ? library
            : resolve(base, library),
    };
    if (replacement !== undefined) config.shipped = name;
    // ---- time limit and failure policy (timeout-ms, on-timeout, on-error) ----
    const policy = parseCalloutPolicy(entry, at, file);
    if (policy !== undefined) config.policy = policy;
    // ---- end of time limit and failure policy ----
    if (parameters !== undefined) {
      config.parameters = deepFreeze(structuredClone(parameters) as JsonObject);
    }
    return config;
  });
}
