/**
 * The end of a DHCPv6 query: leases6_committed, pkt6_send (packing), buffer6_send, then where
 * the reply goes and the end of the request (context_destroy).
 */
import { DHCPv6MessageType as M, D6O } from "../../dhcp/constants.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import { dropOn, endQuery, pktSendStatus } from "../../dhcpsrv/processing/exchange-rules.ts";
import { callHook } from "../../dhcpsrv/processing/hook-point.ts";
import type { Exchange6, Reply6 } from "../exchange.ts";

const DHCP6_CLIENT_PORT = 546;
const DHCP6_SERVER_PORT = 547;

/** Messages whose lease changes leases6_committed reports (and SOLICIT with rapid commit). */
const COMMITTING = new Set<number>([
  M.DHCPV6_REQUEST,
  M.DHCPV6_RENEW,
  M.DHCPV6_REBIND,
  M.DHCPV6_RELEASE,
  M.DHCPV6_DECLINE,
]);

/** leases6_committed, for the messages that change leases (not for a UseMulticast answer). */
export function committed(ex: Exchange6): void | Promise<void> {
  if (ex.useMulticast) return;
  if (!ex.rapidCommit && !COMMITTING.has(ex.query.getType())) return;
  return callHook(ex, ex.srv.points.leases6_committed);
}

export function setupCommitted(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("query6", ex.query);
  h.setArgument("response6", ex.response);
  h.setArgument("leases6", ex.leases);
  h.setArgument("deleted_leases6", ex.deleted);
}

// leases6_committed: DROP = the response is not sent.
export function afterCommitted(ex: Exchange6, status: number): void {
  dropOn(ex, ex.srv.core, ex.srv.points.leases6_committed, status, false);
}

export function setupPkt6Send(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("query6", ex.query);
  h.setArgument("response6", ex.response!);
  h.setArgument("subnet6", ex.subnet);
}

// pkt6_send: SKIP = the callout packed the response itself; DROP = not sent.
export function afterPkt6Send(ex: Exchange6, status: number): void {
  pktSendStatus(ex, ex.srv.core, ex.srv.points.pkt6_send, status);
}

export function setupBuffer6Send(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("response6", ex.response!);
}

// buffer6_send: SKIP (or DROP) = the response is not sent.
export function afterBuffer6Send(ex: Exchange6, status: number): void {
  dropOn(ex, ex.srv.core, ex.srv.points.buffer6_send, status, true);
}

/** A step threw: the query is dropped and counted, the server goes on. */
export function failed(ex: Exchange6, err: unknown): void {
  ex.srv.core.failed(ex, err);
}

/** Ends the request (context_destroy) and returns the reply, if any. */
export function finish(ex: Exchange6): Reply6 | null | Promise<Reply6 | null> {
  return endQuery(ex, ex.srv.core, destination);
}

/**
 * A direct client gets the reply at its source address, port 546; a relay gets the
 * RELAY-REPL at its source address, port 547 (its own source port when it sent the
 * relay-source-port option, RFC 8357). -P overrides the port.
 */
function destination(ex: Exchange6): Reply6 | null {
  const q = ex.query;
  const r = ex.response;
  if (r === null) return null;
  const relayed = q.relayInfo.length > 0;
  const clientPort = ex.srv.clientPort;
  let port: number;
  if (clientPort !== undefined) port = clientPort;
  else if (!relayed) port = DHCP6_CLIENT_PORT;
  else if (q.getNonCopiedRelayOption(D6O.RELAY_SOURCE_PORT, 0) !== undefined) port = q.remotePort;
  else port = DHCP6_SERVER_PORT;
  const address = q.remoteAddr;
  r.remoteAddr = address;
  r.remotePort = port;
  const log = ex.srv.core.log;
  if (log.isEnabled("DEBUG", 45))
    log.debug(45, "DHCP6_RESPONSE_DATA", ex, r.getName(), address, port, q.iface);
  return { data: r.getBuffer(), address, port, iface: q.iface, ifindex: q.ifindex };
}
