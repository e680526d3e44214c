/** The `hooks-libraries` configuration list, validated as Kea does (and a little more). */
import { basename, isAbsolute, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../util/errors.ts";
import type { JsonObject } from "./types.ts";

export interface HookLibraryConfig {
  /** The library path as written in the configuration. */
  library: string;
  /** Absolute path the module is imported from. */
  path: string;
  parameters?: JsonObject;
  /** Set when `library` names one of Kea's shared objects that Nestor ships its own version of. */
  shipped?: ShippedLibrary;
}

/**
 * Kea's hook libraries that Nestor ships its own version of (in `hooks/<name>/`, written against
 * the public hooks API like any user's library). A Kea configuration naming the shared object,
 * under any directory, loads Nestor's library with the same parameters, so it runs unmodified.
 */
export const SHIPPED_LIBRARIES = {
  "libdhcp_run_script.so": "run_script",
  "libdhcp_bootp.so": "bootp",
  "libdhcp_user_chk.so": "user_chk",
} as const;

export type ShippedLibrary = (typeof SHIPPED_LIBRARIES)[keyof typeof SHIPPED_LIBRARIES];

/** `libfoo.so`, `libfoo.so.1`, `libfoo.so.1.2.3`: a native shared object. */
const SHARED_OBJECT = /\.so(\.\d+)*$/;

/**
 * Where a shipped library's module is: the TypeScript source beside `src/` when the server runs
 * from its sources, the compiled module under `dist/libraries/` when it runs from `dist/`.
 */
export function shippedLibraryPath(name: ShippedLibrary): string {
  const fromSources = import.meta.url.endsWith(".ts");
  const relative = fromSources ? `../../hooks/${name}/index.ts` : `../libraries/${name}/index.js`;
  return fileURLToPath(new URL(relative, import.meta.url));
}

function shippedFor(library: string): ShippedLibrary | undefined {
  const name = basename(library.trim()).replace(/\.so(\.\d+)*$/, ".so");
  return Object.hasOwn(SHIPPED_LIBRARIES, name)
    ? SHIPPED_LIBRARIES[name as keyof typeof SHIPPED_LIBRARIES]
    : undefined;
}

const ALLOWED_KEYS = new Set(["library", "parameters", "comment", "user-context"]);

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
 * running configuration through it. A PATH naming one of Kea's shared objects listed in
 * SHIPPED_LIBRARIES loads Nestor's own version; any other `.so` is refused.
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
    const shipped = shippedFor(library);
    if (shipped === undefined && SHARED_OBJECT.test(library.trim())) {
      throw new ConfigError(
        `'${library}' is a native (C++) hook library: Nestor loads hook libraries written in ` +
          "JavaScript or TypeScript (.js, .mjs, .ts, .mts). Nestor ships its own versions of " +
          `${Object.keys(SHIPPED_LIBRARIES).join(", ")} (named by Kea's file names)`,
        `${at}.library`,
        file,
      );
    }
    const config: HookLibraryConfig = {
      library,
      path:
        shipped !== undefined
          ? shippedLibraryPath(shipped)
          : isAbsolute(library)
            ? library
            : resolve(base, library),
    };
    if (shipped !== undefined) config.shipped = shipped;
    if (parameters !== undefined) {
      config.parameters = deepFreeze(structuredClone(parameters) as JsonObject);
    }
    return config;
  });
}
