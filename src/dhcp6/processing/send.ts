/**
 * The end of a DHCPv6 query: whether leases6_committed is called (its arguments, pkt6_send and
 * buffer6_send: src/dhcpsrv/processing/family.ts), then where the reply goes.
 */
import { DHCPv6MessageType as M, D6O } from "../../dhcp/constants.ts";
import type { Pkt6 } from "../../dhcp/pkt6.ts";
import { dropClassed } from "../../dhcpsrv/processing/exchange-rules.ts";
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

/**
 * DHCPV4-QUERY (RFC 7341): after the DROP class, the whole message (relay layers included) goes
 * to the DHCPv4 server with where it came from, and this query ends without a reply (Kea's
 * processDhcp4Query); the DHCPv4 server's DHCPV4-RESPONSE comes back later (response4o6Port).
 * With the IPC off the query is dropped.
 */
export function forward4o6(ex: Exchange6): void {
  if (ex.query.getType() !== M.DHCPV6_DHCPV4_QUERY) return;
  if (dropClassed(ex, ex.srv.core)) return;
  ex.dropped = true;
  try {
    ex.srv.to4o6(ex.query);
  } catch (e) {
    ex.srv.core.log.debug(40, "DHCP6_DHCP4O6_SEND_FAIL", ex, (e as Error).message);
  }
}

/**
 * The port a DHCPV4-RESPONSE from the DHCPv4 server goes to (Kea's Dhcp6to4Ipc::handler): a
 * relay's, 547 or the source port of a relay that sent relay-source-port (its remote port);
 * 546 for a direct client.
 */
export function response4o6Port(r: Pkt6): number {
  if (r.relayInfo.length === 0) return DHCP6_CLIENT_PORT;
  if (r.getNonCopiedRelayOption(D6O.RELAY_SOURCE_PORT, 0) !== undefined) return r.remotePort;
  return DHCP6_SERVER_PORT;
}

/** leases6_committed, for the messages that change leases (not for a UseMulticast answer). */
export function committed(ex: Exchange6): void | Promise<void> {
  if (ex.useMulticast) return;
  if (!ex.rapidCommit && !COMMITTING.has(ex.query.getType())) return;
  return callHook(ex, ex.srv.points.leases6_committed);
}

/**
 * A direct client gets the reply at its source address, port 546; a relay gets the
 * RELAY-REPL at its source address, port 547 (its own source port when it sent the
 * relay-source-port option, RFC 8357). -P overrides the port.
 */
export function destination(ex: Exchange6, r: Pkt6): Reply6 | null {
  const q = ex.query;
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
  return {
    data: r.getBuffer(),
    type: r.getType(),
    address,
    port,
    iface: q.iface,
    ifindex: q.ifindex,
  };
}
