/**
 * Accepting a DHCPv4 query: buffer4_receive's arguments, unpacking (and the client FQDN option),
 * the classes known before pkt4_receive, and Kea's accept(): which queries a server answers.
 */
import { DHCPMessageType, DHO } from "../../dhcp/constants.ts";
import { ipv4ToString } from "../../dhcp/ioaddress.ts";
import type { Pkt } from "../../dhcp/pkt.ts";
import type { Pkt4 } from "../../dhcp/pkt4.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import { parseFqdn4 } from "../../dhcpsrv/processing/client-name.ts";
import {
  bufferReceiveStatus,
  dropOn,
  unpackQuery,
} from "../../dhcpsrv/processing/exchange-rules.ts";
import type { Exchange4 } from "../exchange.ts";

const { DHCPDISCOVER, DHCPREQUEST, DHCPDECLINE, DHCPRELEASE, DHCPINFORM } = DHCPMessageType;

/** buffer4_receive and pkt4_receive: the query. */
export function setQuery(h: CalloutHandle, ex: Exchange4): void {
  h.setArgument("query4", ex.query);
}

// buffer4_receive: SKIP = the callout parsed the packet; DROP = drop it.
export function afterBuffer4Receive(ex: Exchange4, status: number): void {
  bufferReceiveStatus(ex, ex.srv.core, ex.srv.points.buffer4_receive, status);
}

/**
 * The query and its option 81: Kea's Option4ClientFqdn refuses a truncated option, N and S both
 * set or a malformed name, and with it the packet.
 */
export function unpack(ex: Exchange4): void {
  unpackQuery(ex, ex.srv.core, DHO.FQDN, parseFqdn4);
}

/**
 * Kea's classifyPacket, after unpacking and before pkt4_receive: ALL, VENDOR_CLASS_<option 60>
 * and the class tests that do not depend on KNOWN/UNKNOWN. Nothing without classes configured.
 */
export function classify(ex: Exchange4): void {
  const classes = ex.srv.model.classes;
  if (classes === null) return;
  ex.srv.core.classify(ex, classes, vendorClass4(ex.query));
}

/** Counts the query and drops what this server does not answer (Kea's accept()). */
export function accept(ex: Exchange4): void {
  const q = ex.query;
  const core = ex.srv.core;
  const type = q.getType();
  ex.srv.stats.countReceived(type);
  if (type === 0) return core.drop(ex, "no DHCP message type (BOOTP needs the bootp hook library)");
  if (
    type !== DHCPDISCOVER &&
    type !== DHCPREQUEST &&
    type !== DHCPRELEASE &&
    type !== DHCPDECLINE &&
    type !== DHCPINFORM
  ) {
    return core.drop(ex, `message type ${q.getName()} is not handled by a server`);
  }
  if (q.hlen === 0 && q.getClientId() === null) {
    return core.drop(ex, "no hardware address and no client identifier");
  }
  const sid = q.getOption(DHO.DHCP_SERVER_IDENTIFIER);
  if (sid !== undefined && type !== DHCPDISCOVER && type !== DHCPINFORM) {
    const d = sid.getData();
    const text = d.length === 4 ? ipv4ToString(d.readUInt32BE(0)) : "";
    if (text !== ex.serverId && !isOurAddress(ex, text)) {
      return core.drop(
        ex,
        `server identifier ${text} is not ours (the client chose another server)`,
      );
    }
  }
}

// pkt4_receive: SKIP or DROP = drop the packet.
export function afterPkt4Receive(ex: Exchange4, status: number): void {
  dropOn(ex, ex.srv.core, ex.srv.points.pkt4_receive, status, true);
}

function isOurAddress(ex: Exchange4, addr: string): boolean {
  return addr !== "" && ex.srv.ifaceAddresses("").includes(addr);
}

/** The label of a v4 packet in log lines (class evaluation errors). */
export function label4(pkt: Pkt): string {
  return (pkt as Pkt4).getLabel();
}

/** Option 60 as text without trailing NULs (Kea's OptionString), for VENDOR_CLASS_; or null. */
function vendorClass4(q: Pkt4): string | null {
  const o = q.getNonCopiedOption(DHO.VENDOR_CLASS_IDENTIFIER);
  if (o === undefined) return null;
  const d = o.getData();
  let end = d.length;
  while (end > 0 && d[end - 1] === 0) end--;
  return end === 0 ? null : d.toString("utf8", 0, end);
}
