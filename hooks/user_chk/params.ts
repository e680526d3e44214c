/**
 * The library's parameters. Kea's user_chk has none (both paths are compiled in); these keep
 * Kea's paths as defaults, so a Kea configuration naming libdhcp_user_chk.so runs unchanged.
 *
 *   "parameters": {
 *     "registry": "/usr/local/share/kea/user_chk_registry.txt",   // the registry file, or:
 *     "postgresql": { "connection": "postgresql://...", "table": "user_chk_registry", ... },
 *     "outcome": "/usr/local/share/kea/user_chk_outcome.txt",
 *     "record-offers": false,
 *     "on-error": "drop"
 *   }
 */
import type { JsonObject, JsonValue } from "nestor/hooks";
import type { PgSettings } from "./pg-source.ts";

export const DEFAULT_REGISTRY = "/usr/local/share/kea/user_chk_registry.txt";
export const DEFAULT_OUTCOME = "/usr/local/share/kea/user_chk_outcome.txt";
export const DEFAULT_TABLE = "user_chk_registry";
export const DEFAULT_TIMEOUT_MS = 2_000;
/** Well under the hooks framework's 30 s callout timeout. */
export const MAX_TIMEOUT_MS = 20_000;

/** What a failed database lookup means for the packet. */
export type OnError = "drop" | "unregistered";

export interface Settings {
  /** The registry file (when `postgresql` is null). */
  registry: string;
  postgresql: PgSettings | null;
  outcome: string;
  /** Record DHCPOFFER / ADVERTISE leases too (Kea records every response but DHCPNAK). */
  recordOffers: boolean;
  onError: OnError;
}

export class ParameterError extends Error {
  override name = "ParameterError";
}

const TOP_KEYS = new Set(["registry", "postgresql", "outcome", "record-offers", "on-error"]);
const PG_KEYS = new Set([
  "connection",
  "table",
  "type-column",
  "id-column",
  "timeout-ms",
  "max-connections",
]);

function isMap(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function path(params: JsonObject, name: string, fallback: string): string {
  const v = params[name];
  if (v === undefined) return fallback;
  if (typeof v !== "string" || v.trim() === "") {
    throw new ParameterError(`'${name}' must be a non-empty string (a file path)`);
  }
  return v;
}

function identifier(pg: JsonObject, name: string, fallback: string): string {
  const v = pg[name];
  if (v === undefined) return fallback;
  if (typeof v !== "string" || v === "") {
    throw new ParameterError(`'postgresql.${name}' must be a non-empty string`);
  }
  return v;
}

function integer(pg: JsonObject, name: string, fallback: number, min: number, max: number): number {
  const v = pg[name];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ParameterError(`'postgresql.${name}' must be an integer from ${min} to ${max}`);
  }
  return v;
}

function parsePg(pg: JsonValue): PgSettings {
  if (!isMap(pg)) throw new ParameterError("'postgresql' must be a map");
  for (const key of Object.keys(pg)) {
    if (!PG_KEYS.has(key)) throw new ParameterError(`unknown parameter 'postgresql.${key}'`);
  }
  const connection = pg["connection"];
  if (!(typeof connection === "string" && connection !== "") && !isMap(connection)) {
    throw new ParameterError(
      "'postgresql.connection' must be a connection URI or a map of connection options",
    );
  }
  return {
    connection: typeof connection === "string" ? connection : { ...connection },
    table: identifier(pg, "table", DEFAULT_TABLE),
    typeColumn: identifier(pg, "type-column", "type"),
    idColumn: identifier(pg, "id-column", "id"),
    timeoutMs: integer(pg, "timeout-ms", DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS),
    maxConnections: integer(pg, "max-connections", 4, 1, 100),
  };
}

const nonEmpty = { type: "string", minLength: 1 };

/**
 * The parameters as a JSON Schema (exported by the library as parametersSchema, checked by the
 * server at -t, config-test, config-set and start). What a schema cannot say ('registry' and
 * 'postgresql' exclude each other) is checked by parseSettings() at load.
 */
export const PARAMETERS_SCHEMA = {
  type: "object",
  properties: {
    registry: { ...nonEmpty, description: "the registry file (JSON lines)" },
    outcome: { ...nonEmpty, description: "the outcome file" },
    "record-offers": { type: "boolean" },
    "on-error": { enum: ["drop", "unregistered"] },
    postgresql: {
      type: "object",
      properties: {
        connection: {
          anyOf: [nonEmpty, { type: "object" }],
          description: "a connection URI or a map of pg connection options",
        },
        table: nonEmpty,
        "type-column": nonEmpty,
        "id-column": nonEmpty,
        "timeout-ms": { type: "integer", minimum: 1, maximum: MAX_TIMEOUT_MS },
        "max-connections": { type: "integer", minimum: 1, maximum: 100 },
      },
      required: ["connection"],
      additionalProperties: false,
    },
  },
  dependencies: { "on-error": ["postgresql"] },
  additionalProperties: false,
};

/** Validates the parameters (absent: all defaults); throws ParameterError. */
export function parseSettings(params: JsonObject | undefined): Settings {
  const p = params ?? {};
  for (const key of Object.keys(p)) {
    if (!TOP_KEYS.has(key)) throw new ParameterError(`unknown parameter '${key}'`);
  }
  if (p["registry"] !== undefined && p["postgresql"] !== undefined) {
    throw new ParameterError("'registry' (a file) and 'postgresql' exclude each other");
  }
  const recordOffers = p["record-offers"] ?? false;
  if (typeof recordOffers !== "boolean") {
    throw new ParameterError("'record-offers' must be true or false");
  }
  const onError = p["on-error"] ?? "drop";
  if (onError !== "drop" && onError !== "unregistered") {
    throw new ParameterError('\'on-error\' must be "drop" or "unregistered"');
  }
  const postgresql = p["postgresql"] === undefined ? null : parsePg(p["postgresql"]);
  if (postgresql === null && p["on-error"] !== undefined) {
    throw new ParameterError("'on-error' applies to the 'postgresql' registry only");
  }
  return {
    registry: path(p, "registry", DEFAULT_REGISTRY),
    postgresql,
    outcome: path(p, "outcome", DEFAULT_OUTCOME),
    recordOffers,
    onError,
  };
}
