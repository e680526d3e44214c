/**
 * The two callouts of the bootp library (Kea's bootp_callouts.cc, behaviour rewritten here):
 *
 * - buffer4_receive: the library parses the query itself (unless an earlier library already did
 *   and set SKIP). Like Kea's, it refuses a plain RFC 951 request without vendor extensions, and
 *   reads a BOOTP request with bytes after END or a truncated last option as Kea does
 *   (lenient.ts). A BOOTREQUEST without a DHCP message type is a BOOTP query: it is put in the
 *   BOOTP client class and given the type DHCPREQUEST, so the server processes it as a REQUEST
 *   naming no address (a free pool address, an infinite lifetime). A query that does not parse
 *   is counted (pkt4-parse-failed, pkt4-receive-drop) and dropped. Finally the status is SKIP,
 *   so the server does not parse the query a second time.
 * - pkt4_send: for a BOOTP query, the DHCP-specific options (50-59, 61) are removed from the
 *   response, which is packed here (options in Kea's order, by code), with zero padding after
 *   END up to the 300 octets of a BOOTP message; SKIP then tells the server not to pack it
 *   again. If another library set SKIP before (it packed the response itself), the response
 *   cannot be made a BOOTP one: the callout throws, which drops it.
 */
import {
  InvalidOperation,
  NextStep,
  type CalloutHandle,
  type CalloutResult,
  type Logger,
} from "nestor/hooks";
import { BOOTREQUEST, DHCPMessageType, DHCPV4_PKT_HDR_LEN, DHO, type Pkt4 } from "nestor/dhcp";
import type {} from "nestor/dhcp4";
import { reparseAsBootp } from "./lenient.ts";
import { DBGLVL_TRACE_BASIC } from "./messages.ts";

/** The client class of BOOTP queries, which pools can be guarded by. */
export const BOOTP_CLASS = "BOOTP";

/** The DHCP-specific options of RFC 1533 section 9 (Kea's DHO_DHCP_* codes). */
export const DHCP_SPECIFIC_OPTIONS: readonly number[] = [
  DHO.DHCP_REQUESTED_ADDRESS, // 50
  DHO.DHCP_LEASE_TIME, // 51
  DHO.DHCP_OPTION_OVERLOAD, // 52
  DHO.DHCP_MESSAGE_TYPE, // 53
  DHO.DHCP_SERVER_IDENTIFIER, // 54
  DHO.DHCP_PARAMETER_REQUEST_LIST, // 55
  DHO.DHCP_MESSAGE, // 56
  DHO.DHCP_MAX_MESSAGE_SIZE, // 57
  DHO.DHCP_RENEWAL_TIME, // 58
  DHO.DHCP_REBINDING_TIME, // 59
  DHO.DHCP_CLIENT_IDENTIFIER, // 61
];

/** The BOOTP header (236 octets) and its 64-octet vendor extensions area (RFC 951, 1497). */
export const BOOTP_MIN_SIZE = 236 + 64;

let log: Logger | null = null;

/** The library's logger, set by load() and cleared by unload(). */
export function setLogger(logger: Logger | null): void {
  log = logger;
}

export function buffer4_receive(handle: CalloutHandle<"buffer4_receive">): CalloutResult {
  const status = handle.getStatus();
  if (status === NextStep.DROP) return 0;
  const query = handle.getArgument("query4");
  if (status !== NextStep.SKIP) {
    try {
      // As Kea's parser: plain RFC 951 BOOTP (the header alone, no vendor extensions) is
      // refused. (Nestor's parser accepts it; Kea's library, and so this one, does not.)
      if (query.data.length === DHCPV4_PKT_HDR_LEN) {
        throw new Error("Received BOOTP packet without vendor information extensions.");
      }
      unpack(query);
    } catch (err) {
      // Any failure, not only a PacketParseError: the packet is dropped and counted, never
      // passed on half parsed.
      log?.debug(
        DBGLVL_TRACE_BASIC,
        "BOOTP_PACKET_UNPACK_FAILED",
        query.remoteAddr,
        query.localAddr,
        query.iface,
        err instanceof Error ? err.message : String(err),
      );
      const stats = handle.getLibraryHandle().getStatistics();
      stats.addValue("pkt4-parse-failed", 1);
      stats.addValue("pkt4-receive-drop", 1);
      handle.setStatus(NextStep.DROP);
      return 0;
    }
  }
  if (query.getType() === DHCPMessageType.DHCP_NOTYPE && query.op === BOOTREQUEST) {
    query.addClass(BOOTP_CLASS);
    query.setType(DHCPMessageType.DHCPREQUEST);
    if (log?.isEnabled("DEBUG", DBGLVL_TRACE_BASIC) === true) {
      log.debug(DBGLVL_TRACE_BASIC, "BOOTP_BOOTP_QUERY", query.getLabel());
    }
  }
  // The query is parsed: the server must not parse it again.
  handle.setStatus(NextStep.SKIP);
  return 0;
}

/**
 * Parses the query; when Nestor's parser refuses it, a BOOTP request is read as Kea reads it
 * (lenient.ts), which Kea logs as options skipped. Throws the parser's error otherwise.
 */
function unpack(query: Pkt4): void {
  try {
    query.unpack();
  } catch (err) {
    if (!reparseAsBootp(query)) throw err;
    log?.debug(
      DBGLVL_TRACE_BASIC,
      "BOOTP_PACKET_OPTIONS_SKIPPED",
      err instanceof Error ? err.message : String(err),
    );
  }
}

/**
 * Puts the options in the order Kea's pack() writes them: by code (options with the same code
 * in the order they were added), relay agent information (82) last. Nestor's server writes them
 * in the order it added them; the reply a BOOTP client gets is then Kea's, octet for octet.
 */
function keaOrder(response: Pkt4): void {
  const options = response.getNonCopiedOptions();
  const sorted = options.toSorted((a, b) => a.type - b.type);
  if (sorted.every((o, i) => o === options[i])) return;
  for (const o of options) response.delAllOptions(o.type);
  // addOption keeps option 82 after the others.
  for (const o of sorted) response.addOption(o);
}

export function pkt4_send(handle: CalloutHandle<"pkt4_send">): CalloutResult {
  const status = handle.getStatus();
  if (status === NextStep.DROP) return 0;
  const query = handle.getArgument("query4");
  if (!query.inClass(BOOTP_CLASS)) return 0;
  const response = handle.getArgument("response4");
  if (status === NextStep.SKIP) {
    // Another library packed the response already: it cannot be made a BOOTP reply any more.
    // The framework logs the throw and drops the response. (Load this library before any
    // library that sets SKIP on pkt4_send.)
    throw new InvalidOperation("the packet pack already handled");
  }
  for (const code of DHCP_SPECIFIC_OPTIONS) response.delAllOptions(code);
  try {
    keaOrder(response);
    if (log?.isEnabled("DEBUG", DBGLVL_TRACE_BASIC) === true) {
      log.debug(DBGLVL_TRACE_BASIC, "BOOTP_PACKET_PACK", response.getLabel());
    }
    // pack() writes END, then zeros up to the minimum size.
    response.pack(BOOTP_MIN_SIZE);
  } catch (err) {
    log?.error(
      "BOOTP_PACKET_PACK_FAIL",
      response.getLabel(),
      err instanceof Error ? err.message : String(err),
    );
  }
  // The response is packed: the server must not pack it again.
  handle.setStatus(NextStep.SKIP);
  return 0;
}
