/**
 * run_script: Kea's Run Script hook library for Nestor. On each lease hook point it runs an
 * external program with the hook point's name as its only argument and, as its whole
 * environment, variables describing the query and the leases (Kea 2.2's names and formats).
 *
 *   "hooks-libraries": [{
 *     "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_run_script.so",
 *     "parameters": { "name": "/usr/local/sbin/dhcp-event.sh", "sync": false }
 *   }]
 *
 * With `sync: true` (which Kea documents as unsupported) the request waits for the script,
 * bounded by `timeout` ms, and its exit status sets the next step. See README.md.
 */
import {
  HOOKS_VERSION,
  NextStep,
  type CalloutHandle,
  type CalloutResult,
  type LibraryHandle,
  type Logger,
} from "nestor/hooks";
import type { Option6IA } from "nestor/dhcp";
import type {} from "nestor/dhcp4";
import type {} from "nestor/dhcp6";
import {
  addHWAddr,
  addId,
  addLease4,
  addLease6,
  addLeases4,
  addLeases6,
  addOptionIA,
  addPkt4,
  addPkt6,
  addSubnet4,
  type Env,
} from "./environment.ts";
import { MAX_TIMEOUT_MS, ScriptRunner, parseParameters } from "./runner.ts";

/**
 * The parameters, as a JSON Schema the server checks at -t, config-test, config-set and start.
 * That the script exists and is executable is checked by load().
 */
export const parametersSchema = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, description: "the script to run (absolute path)" },
    sync: { type: "boolean", description: "wait for the script (Kea: unsupported)" },
    timeout: {
      type: "integer",
      minimum: 1,
      maximum: MAX_TIMEOUT_MS,
      description: "bound of a synchronous run, in ms",
    },
  },
  required: ["name"],
  additionalProperties: false,
};

let runner: ScriptRunner | null = null;
let log: Logger | null = null;

export function version(): number {
  return HOOKS_VERSION;
}

// Callouts keep nothing between calls except the configuration, read-only after load().
export function multi_threading_compatible(): number {
  return 1;
}

export function load(handle: LibraryHandle): number {
  log = handle.createLogger("run-script-hooks");
  try {
    runner = new ScriptRunner(parseParameters(handle.getParameters()), log);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error("RUN_SCRIPT_LOAD_ERROR", message);
    throw new Error(message, { cause: err });
  }
  log.info("RUN_SCRIPT_LOAD");
  return 0;
}

export function unload(): number {
  if (runner !== null) log?.info("RUN_SCRIPT_UNLOAD");
  runner = null;
  return 0;
}

/**
 * Runs the script for `hook` with the variables `build` makes, unless the status on entry is
 * DROP or SKIP (then nothing runs). Asynchronous mode returns at once; synchronous mode returns
 * a Promise that sets the status from the exit code.
 */
function invoke(
  handle: CalloutHandle,
  hook: string,
  build: (env: Env) => void,
): CalloutResult | Promise<CalloutResult> {
  const status = handle.getStatus();
  if (status === NextStep.DROP || status === NextStep.SKIP) return 0;
  const r = runner;
  if (r === null) return 0;
  const env: Env = {};
  build(env);
  if (!r.config.sync) {
    r.fire(hook, env);
    return 0;
  }
  return r.run(hook, env).then((step) => {
    if (step !== null) handle.setStatus(step);
    return 0;
  });
}

export function lease4_renew(handle: CalloutHandle<"lease4_renew">) {
  return invoke(handle, "lease4_renew", (env) => {
    addPkt4(env, "QUERY4", handle.getArgument("query4"));
    addSubnet4(env, "SUBNET4", handle.getArgument("subnet4"));
    addId(env, "PKT4_CLIENT_ID", handle.getArgument("clientid"));
    addHWAddr(env, "PKT4_HWADDR", handle.getArgument("hwaddr"));
    addLease4(env, "LEASE4", handle.getArgument("lease4"));
  });
}

export function lease4_expire(handle: CalloutHandle<"lease4_expire">) {
  return invoke(handle, "lease4_expire", (env) => {
    addLease4(env, "LEASE4", handle.getArgument("lease4"));
    env.REMOVE_LEASE = String(handle.getArgument("remove_lease"));
  });
}

export function lease4_recover(handle: CalloutHandle<"lease4_recover">) {
  return invoke(handle, "lease4_recover", (env) => {
    addLease4(env, "LEASE4", handle.getArgument("lease4"));
  });
}

export function leases4_committed(handle: CalloutHandle<"leases4_committed">) {
  return invoke(handle, "leases4_committed", (env) => {
    addPkt4(env, "QUERY4", handle.getArgument("query4"));
    addLeases4(env, "LEASES4", handle.getArgument("leases4"));
    addLeases4(env, "DELETED_LEASES4", handle.getArgument("deleted_leases4"));
  });
}

export function lease4_release(handle: CalloutHandle<"lease4_release">) {
  return invoke(handle, "lease4_release", (env) => {
    addPkt4(env, "QUERY4", handle.getArgument("query4"));
    addLease4(env, "LEASE4", handle.getArgument("lease4"));
  });
}

export function lease4_decline(handle: CalloutHandle<"lease4_decline">) {
  return invoke(handle, "lease4_decline", (env) => {
    addPkt4(env, "QUERY4", handle.getArgument("query4"));
    addLease4(env, "LEASE4", handle.getArgument("lease4"));
  });
}

/** The IA of the reply: `ia_na` for an address lease, `ia_pd` for a prefix (Kea's choice). */
function replyIA(handle: CalloutHandle, leaseType: number): Option6IA | null {
  const name = leaseType === 0 ? "ia_na" : "ia_pd";
  if (!handle.getArgumentNames().includes(name)) return null;
  return handle.getArgument<Option6IA | null>(name) ?? null;
}

export function lease6_renew(handle: CalloutHandle<"lease6_renew">) {
  return invoke(handle, "lease6_renew", (env) => {
    const lease = handle.getArgument("lease6");
    addPkt6(env, "QUERY6", handle.getArgument("query6"));
    addLease6(env, "LEASE6", lease);
    addOptionIA(env, "PKT6_IA", replyIA(handle, lease.type));
  });
}

export function lease6_rebind(handle: CalloutHandle<"lease6_rebind">) {
  return invoke(handle, "lease6_rebind", (env) => {
    const lease = handle.getArgument("lease6");
    addPkt6(env, "QUERY6", handle.getArgument("query6"));
    addLease6(env, "LEASE6", lease);
    addOptionIA(env, "PKT6_IA", replyIA(handle, lease.type));
  });
}

export function lease6_expire(handle: CalloutHandle<"lease6_expire">) {
  return invoke(handle, "lease6_expire", (env) => {
    addLease6(env, "LEASE6", handle.getArgument("lease6"));
    env.REMOVE_LEASE = String(handle.getArgument("remove_lease"));
  });
}

export function lease6_recover(handle: CalloutHandle<"lease6_recover">) {
  return invoke(handle, "lease6_recover", (env) => {
    addLease6(env, "LEASE6", handle.getArgument("lease6"));
  });
}

export function leases6_committed(handle: CalloutHandle<"leases6_committed">) {
  return invoke(handle, "leases6_committed", (env) => {
    addPkt6(env, "QUERY6", handle.getArgument("query6"));
    addLeases6(env, "LEASES6", handle.getArgument("leases6"));
    addLeases6(env, "DELETED_LEASES6", handle.getArgument("deleted_leases6"));
  });
}

export function lease6_release(handle: CalloutHandle<"lease6_release">) {
  return invoke(handle, "lease6_release", (env) => {
    addPkt6(env, "QUERY6", handle.getArgument("query6"));
    addLease6(env, "LEASE6", handle.getArgument("lease6"));
  });
}

export function lease6_decline(handle: CalloutHandle<"lease6_decline">) {
  return invoke(handle, "lease6_decline", (env) => {
    addPkt6(env, "QUERY6", handle.getArgument("query6"));
    addLease6(env, "LEASE6", handle.getArgument("lease6"));
  });
}
