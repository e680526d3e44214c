/**
 * bootp: Kea's BOOTP hook library (libdhcp_bootp.so) for nestor-dhcp4. BOOTP requests (RFC 951
 * with the RFC 1497 vendor extensions) are recognised on arrival, put in the client class
 * "BOOTP" and processed as DHCPREQUESTs; the server gives members of the class leases of
 * infinite lifetime (and the class can guard pools). Their replies lose the DHCP-specific
 * options and are padded to the 300 octets of a BOOTP message. No parameters.
 *
 *   "hooks-libraries": [{ "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_bootp.so" }]
 *
 * loads this library, as does naming this file. Load it before any library that sets SKIP on
 * pkt4_send. See README.md.
 */
import { HOOKS_VERSION, type LibraryHandle, type Logger } from "nestor/hooks";
import { setLogger } from "./callouts.ts";
import "./messages.ts";

export { buffer4_receive, pkt4_send } from "./callouts.ts";

/**
 * No parameters. Kea's libdhcp_bootp.so ignores any it is given, so a map of them is accepted
 * (and ignored) here too: only a `parameters` that is not a map is refused.
 */
export const parametersSchema = { type: "object" };

export function version(): number {
  return HOOKS_VERSION;
}

// The callouts keep no state between calls (everything is in the packets) and never await.
export function multi_threading_compatible(): number {
  return 1;
}

let log: Logger | null = null;

export function load(handle: LibraryHandle): number {
  log = handle.createLogger("bootp-hooks");
  setLogger(log);
  log.info("BOOTP_LOAD");
  return 0;
}

export function unload(): number {
  log?.info("BOOTP_UNLOAD");
  log = null;
  setLogger(null);
  return 0;
}
