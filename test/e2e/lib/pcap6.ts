/**
 * What crossed a link, as tcpdump saw it: the DHCPv6 messages of a classic pcap file (Ethernet,
 * IPv6, UDP ports 546/547), relayed ones unwrapped, reduced to what the tests compare with the
 * lease file. The decoding is written here from RFC 8415, independently of the server's code.
 */
import { readPcapFrames } from "./pcap.ts";

/** DHCPv6 message types used by the tests. */
export const M6 = {
  SOLICIT: 1,
  ADVERTISE: 2,
  REQUEST: 3,
  REPLY: 7,
  RELEASE: 8,
  RELAY_FORW: 12,
  RELAY_REPL: 13,
} as const;

export interface Dhcp6Seen {
  /** The outer message type (RELAY-FORW/RELAY-REPL for relayed messages). */
  outerType: number;
  /** The client's message type (the innermost one for relayed messages). */
  type: number;
  /** Number of relay levels around the client's message. */
  relayLevels: number;
  /** link-address of the outermost relay header, for relayed messages. */
  linkAddress?: string;
  /** Destination UDP port. */
  dstPort: number;
  xid: number;
  /** Client DUID (option 1), colon hex, lower case. */
  duid: string;
  /** Addresses of IA_NA options (IAADDR). */
  addresses: string[];
  /** Prefixes of IA_PD options (IAPREFIX), "prefix/len". */
  prefixes: string[];
}

const ETHERTYPE_IPV6 = 0x86dd;
const OPT_CLIENTID = 1;
const OPT_IA_NA = 3;
const OPT_IAADDR = 5;
const OPT_RELAY_MSG = 9;
const OPT_IA_PD = 25;
const OPT_IAPREFIX = 26;

/** RFC 5952 text of a 16-byte IPv6 address. */
export function ipv6Text(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}

function* options(buf: Buffer): Generator<{ code: number; data: Buffer }> {
  let i = 0;
  while (i + 4 <= buf.length) {
    const code = buf.readUInt16BE(i);
    const len = buf.readUInt16BE(i + 2);
    if (i + 4 + len > buf.length) return;
    yield { code, data: buf.subarray(i + 4, i + 4 + len) };
    i += 4 + len;
  }
}

function parseDhcp6(dhcp: Buffer, dstPort: number): Dhcp6Seen | null {
  if (dhcp.length < 4) return null;
  const outerType = dhcp[0]!;
  let msg = dhcp;
  let relayLevels = 0;
  let linkAddress: string | undefined;
  while (msg.length >= 34 && (msg[0] === M6.RELAY_FORW || msg[0] === M6.RELAY_REPL)) {
    if (relayLevels === 0) linkAddress = ipv6Text(msg.subarray(2, 18));
    relayLevels += 1;
    let inner: Buffer | null = null;
    for (const o of options(msg.subarray(34))) if (o.code === OPT_RELAY_MSG) inner = o.data;
    if (inner === null) return null;
    msg = inner;
  }
  if (msg.length < 4) return null;
  const seen: Dhcp6Seen = {
    outerType,
    type: msg[0]!,
    relayLevels,
    ...(linkAddress === undefined ? {} : { linkAddress }),
    dstPort,
    xid: msg.readUIntBE(1, 3),
    duid: "",
    addresses: [],
    prefixes: [],
  };
  for (const o of options(msg.subarray(4))) {
    if (o.code === OPT_CLIENTID) {
      seen.duid = [...o.data].map((x) => x.toString(16).padStart(2, "0")).join(":");
    } else if ((o.code === OPT_IA_NA || o.code === OPT_IA_PD) && o.data.length >= 12) {
      for (const sub of options(o.data.subarray(12))) {
        if (sub.code === OPT_IAADDR && sub.data.length >= 24) {
          seen.addresses.push(ipv6Text(sub.data.subarray(0, 16)));
        } else if (sub.code === OPT_IAPREFIX && sub.data.length >= 25) {
          seen.prefixes.push(`${ipv6Text(sub.data.subarray(9, 25))}/${sub.data[8]}`);
        }
      }
    }
  }
  return seen;
}

function parseFrame(frame: Buffer): Dhcp6Seen | null {
  if (frame.length < 14 || frame.readUInt16BE(12) !== ETHERTYPE_IPV6) return null;
  const ip = frame.subarray(14);
  // Next header UDP straight after the fixed header (DHCPv6 carries no extension headers here).
  if (ip.length < 48 || ip[6] !== 17) return null;
  const udp = ip.subarray(40);
  const src = udp.readUInt16BE(0);
  const dst = udp.readUInt16BE(2);
  if (![src, dst].every((p) => p === 546 || p === 547)) return null;
  return parseDhcp6(udp.subarray(8, udp.readUInt16BE(4)), dst);
}

/** Every DHCPv6 message in a pcap file written by tcpdump -w. */
export function readDhcp6Pcap(file: string): Dhcp6Seen[] {
  const seen: Dhcp6Seen[] = [];
  for (const { frame } of readPcapFrames(file)) {
    const msg = parseFrame(frame);
    if (msg !== null) seen.push(msg);
  }
  return seen;
}

/** tcpdump's filter for DHCPv6. */
export const DHCP6_FILTER = "ip6 and (udp port 546 or udp port 547)";
