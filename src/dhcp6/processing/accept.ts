/**
 * Accepting a DHCPv6 query: what unpacking and the first classification read of v6 (the client
 * FQDN option, the vendor class), and Kea's sanity check (RFC 8415 section 16).
 */
import { DHCPv6MessageType as M, D6O } from "../../dhcp/constants.ts";
import { HWAddr } from "../../dhcp/hwaddr.ts";
import type { Pkt } from "../../dhcp/pkt.ts";
import type { Pkt6 } from "../../dhcp/pkt6.ts";
import { HWAddrSource } from "../../dhcpsrv/leases/lease6.ts";
import { parseFqdn6 } from "../../dhcpsrv/processing/client-name.ts";
import { familyRules } from "../../dhcpsrv/processing/family.ts";
import type { Exchange6 } from "../exchange.ts";

/**
 * What the shared steps know of v6: option 39 (a query with one that does not parse is dropped,
 * Kea's DHCP6_PACKET_DROP_PARSE_FAIL), option 16.
 */
export const RULES6 = familyRules("6", D6O.CLIENT_FQDN, parseFqdn6, vendorClass6);

/** Client message types a server answers. */
const ANSWERED = new Set<number>([
  M.DHCPV6_SOLICIT,
  M.DHCPV6_REQUEST,
  M.DHCPV6_CONFIRM,
  M.DHCPV6_RENEW,
  M.DHCPV6_REBIND,
  M.DHCPV6_RELEASE,
  M.DHCPV6_DECLINE,
  M.DHCPV6_INFORMATION_REQUEST,
]);

/** RFC 8415 section 16: messages that carry our Server Identifier (others must not, but IR). */
const SERVER_ID_MANDATORY = new Set<number>([
  M.DHCPV6_REQUEST,
  M.DHCPV6_RENEW,
  M.DHCPV6_RELEASE,
  M.DHCPV6_DECLINE,
]);
const SERVER_ID_FORBIDDEN = new Set<number>([M.DHCPV6_SOLICIT, M.DHCPV6_CONFIRM, M.DHCPV6_REBIND]);
/** RFC 8415 section 18.4: answered with UseMulticast when received by unicast. */
const MULTICAST_ONLY_REPLY = SERVER_ID_MANDATORY;
/** Dropped when received by unicast from a client (Kea's testUnicast). */
const MULTICAST_ONLY_DROP = new Set<number>([
  M.DHCPV6_SOLICIT,
  M.DHCPV6_CONFIRM,
  M.DHCPV6_REBIND,
  M.DHCPV6_INFORMATION_REQUEST,
]);

/** Counts the query and drops what RFC 8415 section 16 says a server discards (Kea's sanityCheck). */
export function accept(ex: Exchange6): void {
  const q = ex.query;
  const type = q.getType();
  ex.srv.stats.countReceived(type);
  const reason = refusal(ex, q, type);
  if (reason !== null) return ex.srv.core.drop(ex, reason);
  if (q.relayInfo.length === 0 && isUnicast(q.localAddr)) {
    // Kea's testUnicast: dropped whether or not the interface has a unicast address.
    if (MULTICAST_ONLY_DROP.has(type))
      return ex.srv.core.drop(ex, `${q.getName()} received by unicast`);
    // The others are served at the interface's link-local address and at the unicast address
    // configured for it ("eth0/2001:db8::1"), as Kea; sent to another global address (which Kea
    // does not listen on), they are answered with UseMulticast (RFC 8415 18.4).
    if (
      MULTICAST_ONLY_REPLY.has(type) &&
      !isLinkLocal(q.localAddr) &&
      ex.srv.model.unicast.get(q.iface) !== q.localAddr
    ) {
      ex.useMulticast = true;
    }
  }
  // The client's hardware address: from its DUID (LLT, LL), else from a relay (RFC 6939).
  ex.hwaddr = hwaddrFromDuid(ex.duid);
  if (ex.hwaddr !== null) ex.hwaddrSource = HWAddrSource.DUID;
  else {
    ex.hwaddr = hwaddrFromRelay(q);
    if (ex.hwaddr !== null) ex.hwaddrSource = HWAddrSource.CLIENT_ADDR_RELAY_OPTION;
  }
  ex.fake = type === M.DHCPV6_SOLICIT;
}

/** Why the query is discarded (its identifiers, its IAs), or null; sets the client's DUID. */
function refusal(ex: Exchange6, q: Pkt6, type: number): string | null {
  if (!ANSWERED.has(type)) return `message type ${q.getName()} is not handled by a server`;
  const cid = q.getNonCopiedOption(D6O.CLIENTID);
  if (cid !== undefined) {
    const d = cid.getData();
    if (d.length < 3 || d.length > 130) return "malformed client identifier";
    ex.duid = d;
  } else if (type !== M.DHCPV6_INFORMATION_REQUEST) {
    return `${q.getName()} without a client identifier`;
  }
  const sid = q.getNonCopiedOption(D6O.SERVERID);
  if (sid !== undefined) {
    if (SERVER_ID_FORBIDDEN.has(type)) return `${q.getName()} with a server identifier`;
    if (!sid.getData().equals(ex.srv.serverDuid)) {
      return "server identifier is not ours (the client chose another server)";
    }
  } else if (SERVER_ID_MANDATORY.has(type)) {
    return `${q.getName()} without a server identifier`;
  }
  if (
    type === M.DHCPV6_INFORMATION_REQUEST &&
    (q.getNonCopiedOption(D6O.IA_NA) !== undefined ||
      q.getNonCopiedOption(D6O.IA_PD) !== undefined ||
      q.getNonCopiedOption(D6O.IA_TA) !== undefined)
  ) {
    return "INFORMATION-REQUEST with an IA";
  }
  return null;
}

const DOCSIS3_CLASS_MODEM = "docsis3.0";
const DOCSIS3_CLASS_EROUTER = "eRouter1.0";

/**
 * The text for VENDOR_CLASS_ from option 16 (enterprise number, then length-prefixed tuples), as
 * Kea's classifyByVendor: a DOCSIS modem or eRouter tuple when present, else the first tuple; null
 * without a tuple.
 */
function vendorClass6(q: Pkt): string | null {
  const o = q.getNonCopiedOption(D6O.VENDOR_CLASS);
  if (o === undefined) return null;
  const d = o.getData();
  const tuples: string[] = [];
  for (let off = 4; off + 2 <= d.length;) {
    const len = d.readUInt16BE(off);
    if (off + 2 + len > d.length) break;
    tuples.push(d.toString("utf8", off + 2, off + 2 + len));
    off += 2 + len;
  }
  if (tuples.length === 0) return null;
  if (tuples.includes(DOCSIS3_CLASS_MODEM)) return DOCSIS3_CLASS_MODEM;
  if (tuples.includes(DOCSIS3_CLASS_EROUTER)) return DOCSIS3_CLASS_EROUTER;
  return tuples[0]!;
}

/** A destination that is neither multicast nor unknown. */
function isUnicast(addr: string): boolean {
  return addr !== "" && addr !== "::" && !addr.toLowerCase().startsWith("ff");
}

/** An address of fe80::/10. */
function isLinkLocal(addr: string): boolean {
  const a = addr.toLowerCase();
  return a.startsWith("fe8") || a.startsWith("fe9") || a.startsWith("fea") || a.startsWith("feb");
}

/** The link-layer address of a DUID-LLT or DUID-LL, else null. */
function hwaddrFromDuid(duid: Buffer | null): HWAddr | null {
  if (duid === null || duid.length < 4) return null;
  const type = (duid[0]! << 8) | duid[1]!;
  const htype = (duid[2]! << 8) | duid[3]!;
  if (type === 1 && duid.length > 8) return new HWAddr(duid.subarray(8), htype);
  if (type === 3 && duid.length > 4) return new HWAddr(duid.subarray(4), htype);
  return null;
}

/** The client link-layer address option (79) of the relay closest to the client, else null. */
function hwaddrFromRelay(q: Pkt6): HWAddr | null {
  const n = q.relayInfo.length;
  if (n > 0) {
    const o = q.relayInfo[n - 1]!.getOption(D6O.CLIENT_LINKLAYER_ADDR)?.getData();
    if (o !== undefined && o.length > 2) return new HWAddr(o.subarray(2), (o[0]! << 8) | o[1]!);
  }
  return null;
}
