/**
 * DHCPv6 queries for tests, from a few fields: what a client (or its relays) sends. Each returns
 * a Pkt6 (relayed when `relays` is given) to hand to TestServer6.query().
 */
import { D6O, DHCPv6MessageType } from "../dhcp/constants.ts";
import { Option } from "../dhcp/option.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "../dhcp/option6-ia.ts";
import { Pkt6, RelayInfo } from "../dhcp/pkt6.ts";

export interface Ia6 {
  /** IA_PD instead of IA_NA. */
  pd?: boolean;
  iaid?: number;
  /** Addresses (IA_NA) or "prefix/len" (IA_PD) the client asks for. */
  hints?: readonly string[];
}

export interface Query6Fields {
  /** The client's DUID, hex or bytes; a DUID-LL of 02:00:00:00:00:01 by default. */
  duid?: string | Uint8Array;
  xid?: number;
  /**
   * The server's DUID (option 2), hex or bytes. By default REQUEST, RENEW, RELEASE and DECLINE
   * name TestServer6's (TEST_SERVER_DUID) and the others none; null leaves it out.
   */
  serverId?: string | Uint8Array | null;
  /** The IAs; one IA_NA by default (none for INFORMATION-REQUEST). */
  ias?: readonly Ia6[];
  /** Option 6; [23] (DNS servers) by default. */
  oro?: readonly number[];
  rapidCommit?: boolean;
  /** Relay agents, outermost first. */
  relays?: readonly { link: string; peer?: string; interfaceId?: string }[];
  /** Other options, as [code, hex data] or Option objects. */
  options?: readonly (readonly [number, string] | Option)[];
}

export const DEFAULT_DUID = "00030001020000000001";

/** TestServer6's DUID (hex), which REQUEST, RENEW, RELEASE and DECLINE name by default. */
export const TEST_SERVER_DUID = "000100012a2b2c2d020000000099";

let nextXid = 0x4e5300;

function hex(s: string | Uint8Array): Buffer {
  return typeof s === "string" ? Buffer.from(s.replace(/[:\s]/g, ""), "hex") : Buffer.from(s);
}

const NAMES_SERVER: readonly number[] = [
  DHCPv6MessageType.DHCPV6_REQUEST,
  DHCPv6MessageType.DHCPV6_RENEW,
  DHCPv6MessageType.DHCPV6_RELEASE,
  DHCPv6MessageType.DHCPV6_DECLINE,
];

function iaOption(spec: Ia6, i: number): Option6IA {
  const o = Option6IA.create(spec.pd === true ? D6O.IA_PD : D6O.IA_NA, spec.iaid ?? i + 1);
  for (const h of spec.hints ?? []) {
    if (spec.pd === true) {
      const [a, l] = h.split("/");
      o.addOption(Option6IAPrefix.create(a!, Number(l ?? 0), 0, 0));
    } else {
      o.addOption(Option6IAAddr.create(h, 0, 0));
    }
  }
  return o;
}

/** Any DHCPv6 message type with the fields above. */
export function query6(type: number, f: Query6Fields = {}): Pkt6 {
  const p = Pkt6.create(type, (f.xid ?? nextXid++) & 0xffffff);
  p.addOption(new Option(6, D6O.CLIENTID, hex(f.duid ?? DEFAULT_DUID)));
  const serverId =
    f.serverId === undefined ? (NAMES_SERVER.includes(type) ? TEST_SERVER_DUID : null) : f.serverId;
  if (serverId !== null) p.addOption(new Option(6, D6O.SERVERID, hex(serverId)));
  p.addOption(new Option(6, D6O.ELAPSED_TIME, Buffer.alloc(2)));
  if (f.rapidCommit === true) p.addOption(new Option(6, D6O.RAPID_COMMIT));
  const oro = f.oro ?? [23];
  const od = Buffer.alloc(oro.length * 2);
  oro.forEach((c, i) => od.writeUInt16BE(c, i * 2));
  p.addOption(new Option(6, D6O.ORO, od));
  const ias = f.ias ?? (type === DHCPv6MessageType.DHCPV6_INFORMATION_REQUEST ? [] : [{}]);
  ias.forEach((spec, i) => p.addOption(iaOption(spec, i)));
  for (const o of f.options ?? []) {
    p.addOption(o instanceof Option ? o : new Option(6, o[0], hex(o[1])));
  }
  for (const r of [...(f.relays ?? [])].reverse()) {
    const info = new RelayInfo(DHCPv6MessageType.DHCPV6_RELAY_FORW, 0, r.link, r.peer ?? "fe80::1");
    if (r.interfaceId !== undefined) {
      info.options.push(new Option(6, D6O.INTERFACE_ID, Buffer.from(r.interfaceId)));
    }
    p.addRelayInfo(info);
  }
  p.relayInfo.forEach((r, i) => (r.hopCount = p.relayInfo.length - 1 - i));
  return p;
}

const M = DHCPv6MessageType;
export const solicit = (f: Query6Fields = {}): Pkt6 => query6(M.DHCPV6_SOLICIT, f);
export const request6 = (f: Query6Fields = {}): Pkt6 => query6(M.DHCPV6_REQUEST, f);
export const renew = (f: Query6Fields = {}): Pkt6 => query6(M.DHCPV6_RENEW, f);
export const rebind = (f: Query6Fields = {}): Pkt6 => query6(M.DHCPV6_REBIND, f);
export const release6 = (f: Query6Fields = {}): Pkt6 => query6(M.DHCPV6_RELEASE, f);
export const decline6 = (f: Query6Fields = {}): Pkt6 => query6(M.DHCPV6_DECLINE, f);
export const confirm = (f: Query6Fields = {}): Pkt6 => query6(M.DHCPV6_CONFIRM, f);
export const informationRequest = (f: Query6Fields = {}): Pkt6 =>
  query6(M.DHCPV6_INFORMATION_REQUEST, f);
