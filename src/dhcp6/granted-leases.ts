/**
 * Which leases a DHCPv6 reply grants, read from its bytes: the addresses (IAADDR, in IA_NA and
 * IA_TA) and delegated prefixes (IAPREFIX, in IA_PD) it gives with a valid lifetime, inside a
 * RELAY-REPL's relayed message too. Used once a database commit found leases taken by another
 * server: a reply granting one of them is not sent (nestor-dhcp6's `grants`).
 */
import { ipv6ToString } from "../dhcp/ioaddress.ts";
import type { LostLeases } from "../dhcpsrv/leases/lease-store.ts";

const RELAY_REPL = 13;
const OPT_RELAY_MSG = 9;
const OPT_IA_NA = 3;
const OPT_IA_TA = 4;
const OPT_IAADDR = 5;
const OPT_IA_PD = 25;
const OPT_IAPREFIX = 26;
/** Relays nest at most 32 deep (RFC 8415's HOP_COUNT_LIMIT). */
const MAX_DEPTH = 32;

/** True when the reply (a DHCPv6 message or a RELAY-REPL) grants one of the `lost` leases. */
export function grantsLease6(data: Buffer, lost: LostLeases): boolean {
  let msg = data;
  for (let depth = 0; depth <= MAX_DEPTH && msg.length >= 4; depth++) {
    if (msg[0] !== RELAY_REPL) return options(msg, 4, msg.length, lost, 0);
    const inner = relayed(msg);
    if (inner === null) return false;
    msg = inner;
  }
  return false;
}

/** The message a RELAY-REPL carries (its RELAY_MSG option), or null. */
function relayed(msg: Buffer): Buffer | null {
  let off = 34;
  while (off + 4 <= msg.length) {
    const code = msg.readUInt16BE(off);
    const len = msg.readUInt16BE(off + 2);
    if (off + 4 + len > msg.length) return null;
    if (code === OPT_RELAY_MSG) return msg.subarray(off + 4, off + 4 + len);
    off += 4 + len;
  }
  return null;
}

/** Walks the options in [from, to): IAs (level 0) and their addresses and prefixes (level 1). */
function options(msg: Buffer, from: number, to: number, lost: LostLeases, level: number): boolean {
  let off = from;
  while (off + 4 <= to) {
    const code = msg.readUInt16BE(off);
    const len = msg.readUInt16BE(off + 2);
    const body = off + 4;
    if (body + len > to) return false;
    if (level === 0) {
      const head = code === OPT_IA_NA || code === OPT_IA_PD ? 12 : code === OPT_IA_TA ? 4 : -1;
      if (head >= 0 && len >= head && options(msg, body + head, body + len, lost, 1)) return true;
    } else if (code === OPT_IAADDR && len >= 24) {
      if (msg.readUInt32BE(body + 20) > 0 && lost.has(ipv6ToString(msg, body))) return true;
    } else if (code === OPT_IAPREFIX && len >= 25) {
      if (msg.readUInt32BE(body + 4) > 0 && lost.has(ipv6ToString(msg, body + 9))) return true;
    }
    off = body + len;
  }
  return false;
}
