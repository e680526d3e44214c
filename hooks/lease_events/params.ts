/** lease_events' parameters, checked at load (an error names the parameter and why). */
import type { JsonObject } from "nestor/hooks";

export interface Settings {
  url: string;
  /** Hold each reply until its events are delivered. */
  sync: boolean;
  queueFile: string | null;
  maxQueue: number;
  batch: number;
  retryMs: number;
  maxRetryMs: number;
  timeoutMs: number;
  headers: Record<string, string>;
}

function int(p: JsonObject, key: string, dflt: number, min: number): number {
  const v = p[key];
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new Error(`parameter '${key}' must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function parseSettings(p: JsonObject | undefined): Settings {
  const params = p ?? {};
  const url = params["url"];
  if (typeof url !== "string" || !/^https?:\/\/./.test(url)) {
    throw new Error(
      `parameter 'url' must be an http:// or https:// URL, got ${JSON.stringify(url)}`,
    );
  }
  const sync = params["sync"] ?? false;
  if (typeof sync !== "boolean") throw new Error("parameter 'sync' must be true or false");
  const queueFile = params["queue-file"] ?? null;
  if (queueFile !== null && (typeof queueFile !== "string" || queueFile === "")) {
    throw new Error("parameter 'queue-file' must be a file name");
  }
  const headers = params["headers"] ?? {};
  if (
    typeof headers !== "object" ||
    headers === null ||
    Array.isArray(headers) ||
    Object.values(headers).some((v) => typeof v !== "string")
  ) {
    throw new Error("parameter 'headers' must be a map of strings");
  }
  const retryMs = int(params, "retry-ms", 1000, 1);
  return {
    url,
    sync,
    queueFile,
    maxQueue: int(params, "max-queue", 100_000, 1),
    batch: int(params, "batch", 100, 1),
    retryMs,
    maxRetryMs: Math.max(retryMs, int(params, "max-retry-ms", 60_000, 1)),
    timeoutMs: int(params, "timeout-ms", 5000, 1),
    headers: headers as Record<string, string>,
  };
}
