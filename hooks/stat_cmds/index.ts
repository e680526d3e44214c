/**
 * stat_cmds: Kea's Statistics Commands hook library (libdhcp_stat_cmds.so) for nestor-dhcp4 and
 * nestor-dhcp6: `stat-lease4-get` and `stat-lease6-get`, the lease statistics of all subnets, one
 * subnet or a range of subnet ids, as Kea 2.2's result set (columns and rows), counted from the
 * lease store as Kea counts them. No parameters.
 *
 *   "hooks-libraries": [{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_stat_cmds.so" }]
 *
 * loads this library, as does naming this file. See README.md.
 */
import { HOOKS_VERSION, type CalloutHandle, type LibraryHandle, type Logger } from "nestor/hooks";
import { Dhcp4ServerAccess } from "nestor/dhcp4";
import { Dhcp6ServerAccess } from "nestor/dhcp6";
import "./messages.ts";
import { leaseStats, StatsQueryError, type Family } from "./result-set.ts";

let log: Logger | null = null;

/**
 * No parameters. Kea's library ignores any it is given, so a map of them is accepted (and
 * ignored) here too: only a `parameters` that is not a map is refused, by -t already.
 */
export const parametersSchema = { type: "object" };

export function version(): number {
  return HOOKS_VERSION;
}

// Each command reads the store and the statistics synchronously.
export function multi_threading_compatible(): number {
  return 1;
}

export function load(handle: LibraryHandle): number {
  log = handle.createLogger("stat-cmds-hooks");
  const server = handle.getServer();
  let family: Family;
  if (server instanceof Dhcp4ServerAccess) family = { v: 4, server };
  else if (server instanceof Dhcp6ServerAccess) family = { v: 6, server };
  else {
    log.error("STAT_CMDS_LOAD_ERROR", "the library runs in nestor-dhcp4 or nestor-dhcp6 only");
    return 1;
  }
  const name = `stat-lease${family.v}-get`;
  handle.registerCommandCallout(name, (h: CalloutHandle<"$command">) => {
    const command = h.getArgument("command");
    try {
      h.setArgument("response", leaseStats(family, handle.getStatistics(), command.arguments));
      return 0;
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      if (!(err instanceof StatsQueryError)) log?.error("STAT_CMDS_LEASE_FAILED", name, text);
      h.setArgument("response", { result: 1, text });
      return 1;
    }
  });
  log.info("STAT_CMDS_INIT_OK");
  return 0;
}

export function unload(): number {
  log?.info("STAT_CMDS_DEINIT_OK");
  log = null;
  return 0;
}
