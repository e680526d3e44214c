/**
 * What the framework does when a library's callout fails, per library: how long an asynchronous
 * callout (or a query it parked) may take, and what becomes of the query when the callout throws
 * or rejects (`on-error`) or does not settle in time (`on-timeout`). Set by the keys `timeout-ms`,
 * `on-timeout` and `on-error` of the library's `hooks-libraries` entry (Nestor's additions;
 * `parameters` stays the library's own).
 */
import { ConfigError } from "../util/errors.ts";

/**
 * `drop`: the query is dropped (status DROP; Kea 3's rule for a throwing callout).
 * `continue`: the query goes on with the status it had before the failing callout ran.
 * `skip`: the status becomes SKIP, which the hook point acts on where it defines SKIP (and is
 * the same as `continue` where it does not).
 */
export type FailureAction = "drop" | "continue" | "skip";

export interface CalloutPolicy {
  /** An asynchronous callout or a parked query not done after this long is abandoned; 0 = never. */
  readonly timeoutMs: number;
  readonly onTimeout: FailureAction;
  readonly onError: FailureAction;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** The keys of a `hooks-libraries` entry this module reads. */
export const POLICY_KEYS: readonly string[] = ["timeout-ms", "on-timeout", "on-error"];

const ACTIONS: readonly FailureAction[] = ["drop", "continue", "skip"];

/** The longest timeout accepted: 24 hours. */
const MAX_TIMEOUT_MS = 86_400_000;

/** What an entry sets; the manager's defaults fill the rest (resolvePolicy). */
export interface CalloutPolicyConfig {
  timeoutMs?: number;
  onTimeout?: FailureAction;
  onError?: FailureAction;
}

/** The entry's settings over the defaults (the manager's timeout, `drop`). */
export function resolvePolicy(
  config: CalloutPolicyConfig | undefined,
  defaultTimeoutMs: number,
): CalloutPolicy {
  return {
    timeoutMs: config?.timeoutMs ?? defaultTimeoutMs,
    onTimeout: config?.onTimeout ?? "drop",
    onError: config?.onError ?? "drop",
  };
}

function action(
  entry: Record<string, unknown>,
  key: string,
  at: string,
  file?: string,
): FailureAction | undefined {
  const v = entry[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || !(ACTIONS as readonly string[]).includes(v)) {
    throw new ConfigError(
      `'${key}' must be one of ${ACTIONS.map((a) => `"${a}"`).join(", ")}` +
        ` (got ${JSON.stringify(v)})`,
      `${at}.${key}`,
      file,
    );
  }
  return v as FailureAction;
}

/**
 * What an entry's `timeout-ms`, `on-timeout` and `on-error` set, or undefined when it sets none
 * of them. A bad value is a ConfigError naming the key.
 */
export function parseCalloutPolicy(
  entry: Record<string, unknown>,
  at: string,
  file?: string,
): CalloutPolicyConfig | undefined {
  if (!POLICY_KEYS.some((k) => entry[k] !== undefined)) return undefined;
  const policy: CalloutPolicyConfig = {};
  const t = entry["timeout-ms"];
  if (t !== undefined) {
    if (typeof t !== "number" || !Number.isInteger(t) || t < 0 || t > MAX_TIMEOUT_MS) {
      throw new ConfigError(
        `'timeout-ms' must be an integer from 0 (no limit) to ${MAX_TIMEOUT_MS}` +
          ` (got ${JSON.stringify(t)})`,
        `${at}.timeout-ms`,
        file,
      );
    }
    policy.timeoutMs = t;
  }
  const onTimeout = action(entry, "on-timeout", at, file);
  if (onTimeout !== undefined) policy.onTimeout = onTimeout;
  const onError = action(entry, "on-error", at, file);
  if (onError !== undefined) policy.onError = onError;
  return policy;
}
