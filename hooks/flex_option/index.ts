/**
 * flex_option: Kea's Flexible Option hook library (libdhcp_flex_option.so) for nestor-dhcp4 and
 * nestor-dhcp6: options of the response added, replaced or removed by Kea expressions evaluated
 * on the query, at pkt4_send / pkt6_send, as the `options` parameter says:
 *
 *   "hooks-libraries": [{
 *     "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_flex_option.so",
 *     "parameters": { "options": [
 *       { "code": 67, "add": "ifelse(option[host-name].exists, option[host-name].text, '')" },
 *       { "name": "domain-name-servers", "supersede": "'198.51.100.53'", "csv-format": true },
 *       { "code": 43, "remove": "not member('vendor-x')", "client-class": "lab" } ] } }]
 *
 * loads this library, as does naming this file. See README.md.
 */
import {
  HOOKS_VERSION,
  NextStep,
  type CalloutHandle,
  type LibraryHandle,
  type Logger,
} from "nestor/hooks";
import { Dhcp4ServerAccess } from "nestor/dhcp4";
import { Dhcp6ServerAccess } from "nestor/dhcp6";
import { applyOptions, parseOptions, type OptionConfig } from "./flex.ts";
import "./messages.ts";

let log: Logger | null = null;
let config4: OptionConfig[] = [];
let config6: OptionConfig[] = [];

export function version(): number {
  return HOOKS_VERSION;
}

// The configuration is read-only once loaded; the callouts never await.
export function multi_threading_compatible(): number {
  return 1;
}

export function load(handle: LibraryHandle): number {
  log = handle.createLogger("flex-option-hooks");
  const server = handle.getServer();
  const universe =
    server instanceof Dhcp4ServerAccess ? 4 : server instanceof Dhcp6ServerAccess ? 6 : null;
  if (universe === null) {
    log.error("FLEX_OPTION_LOAD_ERROR", "the library runs in nestor-dhcp4 or nestor-dhcp6 only");
    return 1;
  }
  try {
    const parsed = parseOptions(handle.getParameter("options"), universe);
    if (universe === 4) config4 = parsed;
    else config6 = parsed;
  } catch (err) {
    log.error("FLEX_OPTION_LOAD_ERROR", err instanceof Error ? err.message : String(err));
    return 1;
  }
  return 0;
}

export function unload(): number {
  config4 = [];
  config6 = [];
  log = null;
  return 0;
}

export function pkt4_send(handle: CalloutHandle<"pkt4_send">): number {
  if (handle.getStatus() === NextStep.DROP || config4.length === 0) return 0;
  return process(4, config4, handle.getArgument("query4"), handle.getArgument("response4"));
}

export function pkt6_send(handle: CalloutHandle<"pkt6_send">): number {
  if (handle.getStatus() === NextStep.DROP || config6.length === 0) return 0;
  return process(6, config6, handle.getArgument("query6"), handle.getArgument("response6"));
}

function process(
  universe: 4 | 6,
  config: readonly OptionConfig[],
  query: Parameters<typeof applyOptions>[2],
  response: Parameters<typeof applyOptions>[3],
): number {
  try {
    applyOptions(universe, config, query, response, log);
    return 0;
  } catch (err) {
    log?.error("FLEX_OPTION_PROCESS_ERROR", err instanceof Error ? err.message : String(err));
    return 1;
  }
}
