/** The `hooks-libraries` configuration list, validated as Kea does (and a little more). */
import { isAbsolute, resolve, dirname } from "node:path";
import { ConfigError } from "../util/errors.ts";
import type { JsonObject } from "./types.ts";

export interface HookLibraryConfig {
  /** The library path as written in the configuration. */
  library: string;
  /** Absolute path the module is imported from. */
  path: string;
  parameters?: JsonObject;
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
 * running configuration through it.
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
    const config: HookLibraryConfig = {
      library,
      path: isAbsolute(library) ? library : resolve(base, library),
    };
    if (parameters !== undefined) {
      config.parameters = deepFreeze(structuredClone(parameters) as JsonObject);
    }
    return config;
  });
}
