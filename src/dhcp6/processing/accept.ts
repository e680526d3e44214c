/**
 * Accepting a DHCPv6 query: what unpacking and the first classification read of v6 (the client
 * FQDN option, the vendor class), and Kea's sanity check (RFC 8415 section 16).
 */
import { DHCPv6MessageType as M, D6O } from "../../dhcp/constants.ts";
import { HWAddr, MAX_HWADDR_LEN } from "../../dhcp/hwaddr.ts";
import { ipv6FromString } from "../../dhcp/ioaddress.ts";
import type { Option } from "../../dhcp/option.ts";
import { tupleDataLength } from "../../dhcp/option-data-types.ts";
import type { Pkt } from "../../dhcp/pkt.ts";
import type { Pkt6 } from "../../dhcp/pkt6.ts";
import { HWAddrSource } from "../../dhcpsrv/leases/lease6.ts";
import { parseFqdn6 } from "../../dhcpsrv/processing/client-name.ts";
import { dropOnSkipOrDrop, familyRules } from "../../dhcpsrv/processing/family.ts";
import type { HookPoint } from "../../dhcpsrv/processing/hook-point.ts";
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
  // RFC 7341: forwarded to the DHCPv4 server (src/dhcp6/processing/send.ts forward4o6).
  M.DHCPV6_DHCPV4_QUERY,
]);

/** Messages whose client identifier is optional (Kea's sanityCheck OPTIONAL). */
const CLIENT_ID_OPTIONAL = new Set<number>([M.DHCPV6_INFORMATION_REQUEST, M.DHCPV6_DHCPV4_QUERY]);

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
  findMac(ex, q);
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
  } else if (!CLIENT_ID_OPTIONAL.has(type)) {
    return `${q.getName()} without a client identifier`;
  }
  const sid = q.getNonCopiedOptionData(D6O.SERVERID);
  if (sid !== undefined) {
    if (SERVER_ID_FORBIDDEN.has(type)) return `${q.getName()} with a server identifier`;
    if (!sid.equals(ex.srv.serverDuid)) {
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
    const len = tupleDataLength(d.readUInt16BE(off), d.length - off - 2);
    if (len < 0) break;
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

/** The sources of a client's hardware address, in the order Kea tries them within one entry. */
const MAC_SOURCE_ORDER = [
  HWAddrSource.CLIENT_ADDR_RELAY_OPTION,
  HWAddrSource.DUID,
  HWAddrSource.IPV6_LINK_LOCAL,
  HWAddrSource.REMOTE_ID,
  HWAddrSource.DOCSIS_CMTS,
  HWAddrSource.DOCSIS_MODEM,
] as const;

/** Ethernet, the hardware type Nestor gives an address read from an interface's traffic. */
const HTYPE_ETHER = 1;
/** Kea's HTYPE_DOCSIS (DOCSIS addresses are Ethernet's). */
const HTYPE_DOCSIS = 1;
const CABLE_LABS = 4491;
/** CableLabs sub-options of option 17: the CMTS's view of the modem's MAC, the device ID. */
const DOCSIS3_V6_CMTS_CM_MAC = 1026;
const DOCSIS3_V6_DEVICE_ID = 36;

/**
 * The client's hardware address (Kea's Dhcpv6Srv::getMAC): the `mac-sources` entries in order,
 * each trying its sources (all of them for "any") in Kea's order; the first found wins. Raw
 * sockets give none for v6, nor does subscriber-id, as in Kea.
 */
function findMac(ex: Exchange6, q: Pkt6): void {
  for (const mask of ex.srv.model.macSources) {
    for (const source of MAC_SOURCE_ORDER) {
      if ((mask & source) === 0) continue;
      const mac = macFrom(source, ex, q);
      if (mac !== null) {
        ex.hwaddr = mac;
        ex.hwaddrSource = source;
        return;
      }
    }
  }
}

function macFrom(source: number, ex: Exchange6, q: Pkt6): HWAddr | null {
  switch (source) {
    case HWAddrSource.DUID:
      return hwaddrFromDuid(ex.duid);
    case HWAddrSource.IPV6_LINK_LOCAL: {
      const n = q.relayInfo.length;
      return hwaddrFromLinkLocal(n === 0 ? q.remoteAddr : q.relayInfo[n - 1]!.peerAddr);
    }
    case HWAddrSource.CLIENT_ADDR_RELAY_OPTION:
      return hwaddrFromRelay(q);
    case HWAddrSource.REMOTE_ID:
      return hwaddrFromRemoteId(q);
    case HWAddrSource.DOCSIS_CMTS: {
      // The vendor option of the relays, searched from the client's side.
      for (let i = q.relayInfo.length - 1; i >= 0; i--) {
        const o = q.relayInfo[i]!.getOption(D6O.VENDOR_OPTS);
        if (o !== undefined) return cableLabsMac(o, DOCSIS3_V6_CMTS_CM_MAC);
      }
      return null;
    }
    case HWAddrSource.DOCSIS_MODEM: {
      const o = q.getNonCopiedOption(D6O.VENDOR_OPTS);
      return o === undefined ? null : cableLabsMac(o, DOCSIS3_V6_DEVICE_ID);
    }
  }
  return null;
}

/** The MAC of a modified EUI-64 link-local address (fe80::/64, u bit set, ff:fe), else null. */
function hwaddrFromLinkLocal(addr: string): HWAddr | null {
  if (addr === "" || !addr.toLowerCase().startsWith("fe80:")) return null;
  const b = ipv6FromString(addr);
  if (b[0] !== 0xfe || b[1] !== 0x80 || (b[8]! & 3) !== 2 || b[11] !== 0xff || b[12] !== 0xfe) {
    return null;
  }
  return new HWAddr(Buffer.from([b[8]! ^ 2, b[9]!, b[10]!, b[13]!, b[14]!, b[15]!]), HTYPE_ETHER);
}

/** Remote-id (option 37) of the relay closest to the client: the bytes after the enterprise. */
function hwaddrFromRemoteId(q: Pkt6): HWAddr | null {
  const n = q.relayInfo.length;
  if (n === 0) return null;
  const d = q.relayInfo[n - 1]!.getOption(D6O.REMOTE_ID)?.getData();
  if (d === undefined || d.length < 5) return null;
  return new HWAddr(d.subarray(4, 4 + MAX_HWADDR_LEN), HTYPE_ETHER);
}

/** A CableLabs (4491) option 17's sub-option `code` as a DOCSIS hardware address, else null. */
function cableLabsMac(o: Option, code: number): HWAddr | null {
  const d = o.pack().subarray(4);
  if (d.length < 4 || d.readUInt32BE(0) !== CABLE_LABS) return null;
  for (let off = 4; off + 4 <= d.length;) {
    const c = d.readUInt16BE(off);
    const len = d.readUInt16BE(off + 2);
    if (off + 4 + len > d.length) return null;
    if (c === code) {
      if (len === 0 || len > MAX_HWADDR_LEN) return null;
      return new HWAddr(d.subarray(off + 4, off + 4 + len), HTYPE_DOCSIS);
    }
    off += 4 + len;
  }
  return null;
}

/** The link-layer address of a DUID-LLT or DUID-LL, else null. */
function hwaddrFromDuid(duid: Buffer | null): HWAddr | null {
  if (duid === null || duid.length < 4) return null;
  const type = (duid[0]! << 8) | duid[1]!;
  const htype = (duid[2]! << 8) | duid[3]!;
  if (type === 1 && duid.length > 8 && duid.length - 8 <= MAX_HWADDR_LEN) {
    return new HWAddr(duid.subarray(8), htype);
  }
  if (type === 3 && duid.length > 4 && duid.length - 4 <= MAX_HWADDR_LEN) {
    return new HWAddr(duid.subarray(4), htype);
  }
  return null;
}

/** The client link-layer address option (79) of the relay closest to the client, else null. */
function hwaddrFromRelay(q: Pkt6): HWAddr | null {
  const n = q.relayInfo.length;
  if (n > 0) {
    const o = q.relayInfo[n - 1]!.getOption(D6O.CLIENT_LINKLAYER_ADDR)?.getData();
    if (o !== undefined && o.length > 2 && o.length - 2 <= MAX_HWADDR_LEN) {
      return new HWAddr(o.subarray(2), (o[0]! << 8) | o[1]!);
    }
  }
  return null;
}

/**
 * pkt6_receive's status (SKIP or DROP drop the query); then, as Kea reads the client's DUID
 * for the lease and the reservations only after the callouts, the DUID a callout left in the
 * query (a library replacing it, such as flex_id's replace-client-id).
 */
export function afterPkt6Receive(ex: Exchange6, status: number, point: HookPoint<Exchange6>): void {
  dropOnSkipOrDrop(ex, status, point);
  if (ex.dropped || !ex.gen.calloutsPresent(point.index)) return;
  const cid = ex.query.getNonCopiedOption(D6O.CLIENTID);
  if (cid !== undefined && cid.getData().length >= 3) ex.duid = cid.getData();
}
