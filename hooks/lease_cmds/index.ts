/**
 * lease_cmds: Kea's Lease Commands hook library (libdhcp_lease_cmds.so) for nestor-dhcp4 and
 * nestor-dhcp6: control commands that add, get, update and delete leases in the server's lease
 * store while it runs, with Kea 2.2's arguments, checks, result codes and texts. No parameters.
 *
 *   "hooks-libraries": [{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so" }]
 *
 * loads this library, as does naming this file. See README.md.
 */
import { HOOKS_VERSION, type LibraryHandle, type Logger } from "nestor/hooks";
import { Dhcp4ServerAccess } from "nestor/dhcp4";
import { Dhcp6ServerAccess } from "nestor/dhcp6";
import { commandCallout, type Handler } from "./common.ts";
import { commands4 } from "./lease4.ts";
import { commands6 } from "./lease6.ts";
import "./messages.ts";

let log: Logger | null = null;

/**
 * No parameters. Kea's library ignores any it is given, so a map of them is accepted (and
 * ignored) here too: only a `parameters` that is not a map is refused, by -t already.
 */
export const parametersSchema = { type: "object" };

export function version(): number {
  return HOOKS_VERSION;
}

// Every command runs to completion synchronously on the server's own lease store.
export function multi_threading_compatible(): number {
  return 1;
}

export function load(handle: LibraryHandle): number {
  log = handle.createLogger("lease-cmds-hooks");
  const server = handle.getServer();
  const stats = () => handle.getStatistics();
  let commands: Record<string, Handler>;
  if (server instanceof Dhcp4ServerAccess) commands = commands4(server, stats);
  else if (server instanceof Dhcp6ServerAccess) commands = commands6(server, stats);
  else {
    log.error("LEASE_CMDS_LOAD_ERROR", "the library runs in nestor-dhcp4 or nestor-dhcp6 only");
    return 1;
  }
  for (const [name, handler] of Object.entries(commands)) {
    handle.registerCommandCallout(
      name,
      commandCallout(name, handler, () => log),
    );
  }
  log.info("LEASE_CMDS_INIT_OK");
  return 0;
}

export function unload(): number {
  log?.info("LEASE_CMDS_DEINIT_OK");
  log = null;
  return 0;
}
