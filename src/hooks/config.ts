/** The `hooks-libraries` configuration list, validated as Kea does (and a little more). */
import { basename, isAbsolute, join, resolve, dirname } from "node:path";
import { ConfigError } from "../util/errors.ts";
import { resolvePackage } from "./resolver.ts";
import type { JsonObject } from "./types.ts";
import { parseCalloutPolicy, POLICY_KEYS, type CalloutPolicyConfig } from "./callout-policy.ts";

/**
 * The environment variable naming the hooks directory: relative library paths resolve against
 * it, and npm packages are found in its node_modules (installed with
 * `npm install --prefix "$NESTOR_HOOKS_PATH" <package>`). Kea 3's KEA_HOOKS_PATH idea.
 */
export const HOOKS_PATH_ENV = "NESTOR_HOOKS_PATH";

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
  /** Set when `library` names an npm package: the package name (`@acme/nestor-audit`). */
  package?: string;
  /** Where the entry was written: the file and its key (`Dhcp4.hooks-libraries[0]`). */
  source?: { readonly file?: string; readonly key: string };
  /** `timeout-ms`, `on-timeout`, `on-error` when the entry sets any (Nestor's additions). */
  policy?: CalloutPolicyConfig;
}

/** The extensions of the files a library can be (ES modules in JavaScript or TypeScript). */
const LIBRARY_EXTENSIONS = /\.(js|mjs|ts|mts)$/;

/**
 * An npm package specifier (`nestor-hook-foo`, `@acme/nestor-audit`, `@acme/x/sub`): a valid
 * package name, optionally followed by a subpath, whose last segment is not a library file name.
 * Anything else (`./x.ts`, `hooks/audit.js`, `/abs/x.ts`) is a file path.
 */
const PACKAGE = /^((?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*)(\/[^/]+)*$/;

function packageName(library: string): string | undefined {
  const m = PACKAGE.exec(library);
  if (m === null || LIBRARY_EXTENSIONS.test(library) || SHARED_OBJECT.test(library)) {
    return undefined;
  }
  return m[1];
}

/** The hooks directory named by NESTOR_HOOKS_PATH, as an absolute path (undefined when unset). */
export function hooksPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[HOOKS_PATH_ENV];
  return value === undefined || value.trim() === "" ? undefined : resolve(value);
}

/**
 * Where `library` is looked for, without importing anything: the file for a path (a relative one
 * from NESTOR_HOOKS_PATH when set, else from `baseDir`), a file inside
 * `$NESTOR_HOOKS_PATH/node_modules/<package>/` for a package; undefined for a shared object
 * (which names one of the libraries registered with registerShippedLibrary, or is refused).
 * The security policy compares this place with the directories code may be loaded from.
 */
export function libraryLocation(library: string, baseDir: string): string | undefined {
  const name = library.trim();
  if (SHARED_OBJECT.test(name)) return undefined;
  const dir = hooksPath();
  const pkg = packageName(name);
  if (pkg !== undefined && dir !== undefined) {
    return join(dir, "node_modules", pkg, "package.json");
  }
  return resolve(dir ?? baseDir, name);
}

/** Where `library` (a package specifier) is installed, or a ConfigError saying why not. */
function resolveLibraryPackage(
  library: string,
  name: string,
  at: string,
  file: string | undefined,
): string {
  const dir = hooksPath();
  const install = `npm install --prefix "$${HOOKS_PATH_ENV}" ${name}`;
  if (dir === undefined) {
    throw new ConfigError(
      `'${library}' names an npm package, and packages are found in the node_modules of the ` +
        `hooks directory named by ${HOOKS_PATH_ENV}, which is not set (set it, then ${install})`,
      `${at}.library`,
      file,
    );
  }
  try {
    return resolvePackage(library, dir);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    const missing = code === "ERR_MODULE_NOT_FOUND" && !reason.includes(`${dir}/node_modules/`);
    throw new ConfigError(
      missing
        ? `package '${name}' is not installed in ${HOOKS_PATH_ENV} (${dir}/node_modules): ${install}`
        : `package '${library}' in ${HOOKS_PATH_ENV} (${dir}) cannot be loaded: ${reason}`,
      `${at}.library`,
      file,
      { cause: err },
    );
  }
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
 * Parses `[{ "library": PATH, "parameters": {...} }, ...]`. PATH is a file or an npm package:
 * - an npm package name (`nestor-hook-foo`, `@acme/nestor-audit`, with an optional subpath)
 *   is resolved, as Node resolves an import, from the node_modules of NESTOR_HOOKS_PATH;
 * - a relative file path is taken relative to NESTOR_HOOKS_PATH when it is set, else to the
 *   configuration file's directory (or the working directory when there is no file).
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
  const base = hooksPath() ?? (file === undefined ? process.cwd() : dirname(resolve(file)));
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
    const pkg = replacement === undefined ? packageName(library.trim()) : undefined;
    const config: HookLibraryConfig = {
      library,
      path:
        replacement !== undefined
          ? replacement
          : pkg !== undefined
            ? resolveLibraryPackage(library.trim(), pkg, at, file)
            : isAbsolute(library)
              ? library
              : resolve(base, library),
    };
    if (replacement !== undefined) config.shipped = name;
    if (pkg !== undefined) config.package = pkg;
    config.source = file === undefined ? { key: at } : { file, key: at };
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
