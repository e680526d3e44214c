/**
 * Address helpers. Nestor's packet API hands addresses to callers as strings in their usual
 * text form ("192.0.2.1", "2001:db8::1", RFC 5952 canonical for IPv6): that is what hook authors
 * print, compare and put in JSON. Internally Pkt4 keeps header addresses as unsigned 32-bit
 * numbers and only formats them when asked, so parsing a packet allocates no strings.
 */
import { BadValue } from "./errors.ts";

export const IPV4_ZERO = "0.0.0.0";
export const IPV6_ZERO = "::";

/** Formats an unsigned 32-bit number as a dotted quad. */
export function ipv4ToString(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parses a dotted quad; returns -1 when the text is not an IPv4 address. */
export function tryParseIPv4(s: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // no leading zeros (not octal, not ambiguous)
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** Parses a dotted quad into an unsigned 32-bit number or throws BadValue. */
export function ipv4FromString(s: string): number {
  const n = tryParseIPv4(s);
  if (n < 0) throw new BadValue(`'${s}' is not a valid IPv4 address`);
  return n;
}

export function isIPv4(s: string): boolean {
  return tryParseIPv4(s) >= 0;
}

/** Reads a big-endian unsigned 32-bit number (caller checks bounds). */
export function readU32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

export function writeU32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = (v >>> 16) & 255;
  buf[off + 2] = (v >>> 8) & 255;
  buf[off + 3] = v & 255;
}

const HEX = "0123456789abcdef";

/**
 * RFC 5952's compressed run of the 16 bytes at `off`: the first longest run of two or more zero
 * groups, as `(start << 4) | length` (a number: nothing allocated); -1 when there is none.
 */
export function ipv6ZeroRun(buf: Uint8Array, off = 0): number {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    if (buf[off + 2 * g] === 0 && buf[off + 2 * g + 1] === 0) {
      if (runStart < 0) runStart = g;
      if (g - runStart + 1 > bestLen) {
        bestLen = g - runStart + 1;
        bestStart = runStart;
      }
    } else {
      runStart = -1;
    }
  }
  return bestLen < 2 ? -1 : (bestStart << 4) | bestLen;
}

/**
 * Whether the 16 bytes at `off`, of zero run `run` (ipv6ZeroRun), are an IPv4-mapped address
 * (::ffff:a.b.c.d), written with its dotted tail as every other tool prints it.
 */
export function ipv6IsMapped(buf: Uint8Array, off: number, run: number): boolean {
  return run === 5 && buf[off + 10] === 255 && buf[off + 11] === 255;
}

/** Formats 16 bytes at `off` as RFC 5952 text (longest zero run of 2+ groups compressed). */
export function ipv6ToString(buf: Uint8Array, off = 0): string {
  const run = ipv6ZeroRun(buf, off);
  if (ipv6IsMapped(buf, off, run)) return `::ffff:${ipv4ToString(readU32(buf, off + 12))}`;
  const bestStart = run < 0 ? -1 : run >> 4;
  const bestLen = run & 15;
  let out = "";
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += "::";
      g += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(":")) out += ":";
    const v = (buf[off + 2 * g]! << 8) | buf[off + 2 * g + 1]!;
    out += v.toString(16);
  }
  return out;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** The groups of the address being parsed (tryParseIPv6 allocates nothing on its way). */
const GROUPS = new Uint16Array(8);

/**
 * The last text parsed and its bytes: a query parses the same address text several times (the
 * allocator's candidate looked up, its lease written and put in the reply), usually the very same
 * string. Starts as "::", whose bytes are all zero.
 */
let lastParsedText = "::";
const LAST_PARSED = new Uint8Array(16);

/** Parses IPv6 text into `out` at `off`; returns false when the text is not an IPv6 address. */
export function tryParseIPv6(s: string, out: Uint8Array, off = 0): boolean {
  if (s === lastParsedText) {
    for (let i = 0; i < 16; i++) out[off + i] = LAST_PARSED[i]!;
    return true;
  }
  if (!parseIPv6(s, out, off)) return false;
  for (let i = 0; i < 16; i++) LAST_PARSED[i] = out[off + i]!;
  lastParsedText = s;
  return true;
}

function parseIPv6(s: string, out: Uint8Array, off: number): boolean {
  const len = s.length;
  if (len < 2 || len > 45) return false;
  let n = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (len === 2) {
      out.fill(0, off, off + 16);
      return true;
    }
  }
  while (i < len) {
    const start = i;
    let v = 0;
    let digits = 0;
    let c = 0;
    while (i < len && (c = s.charCodeAt(i)) !== 58 && c !== 46) {
      const h = hexVal(c);
      if (h < 0 || ++digits > 4) return false;
      v = v * 16 + h;
      i++;
    }
    if (c === 46 && i < len) {
      // An embedded IPv4 tail ("::ffff:192.0.2.1") takes the last two groups.
      if (n > 6) return false;
      const v4 = tryParseIPv4(s.slice(start));
      if (v4 < 0) return false;
      GROUPS[n++] = v4 >>> 16;
      GROUPS[n++] = v4 & 0xffff;
      break;
    }
    if (digits === 0 || n === 8) return false;
    GROUPS[n++] = v;
    if (i < len) {
      i++; // the colon
      if (i < len && s.charCodeAt(i) === 58) {
        if (gap >= 0) return false;
        gap = n;
        i++;
      } else if (i === len) {
        return false; // trailing single colon
      }
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return false;
  const head = gap < 0 ? 8 : gap;
  const zeros = 8 - n;
  let g = 0;
  for (; g < head; g++) {
    out[off + 2 * g] = GROUPS[g]! >>> 8;
    out[off + 2 * g + 1] = GROUPS[g]! & 255;
  }
  for (let z = 0; z < zeros; z++, g++) {
    out[off + 2 * g] = 0;
    out[off + 2 * g + 1] = 0;
  }
  for (let k = head; k < n; k++, g++) {
    out[off + 2 * g] = GROUPS[k]! >>> 8;
    out[off + 2 * g + 1] = GROUPS[k]! & 255;
  }
  return true;
}

/** Parses IPv6 text into a fresh 16-byte Buffer or throws BadValue. */
export function ipv6FromString(s: string): Buffer {
  const out = Buffer.alloc(16);
  if (!tryParseIPv6(s, out)) throw new BadValue(`'${s}' is not a valid IPv6 address`);
  return out;
}

export function isIPv6(s: string): boolean {
  return tryParseIPv6(s, SCRATCH16);
}

/** Returns the canonical text of an IPv6 address (throws BadValue when invalid). */
export function canonicalIPv6(s: string): string {
  if (!tryParseIPv6(s, SCRATCH16)) throw new BadValue(`'${s}' is not a valid IPv6 address`);
  return ipv6ToString(SCRATCH16);
}

const SCRATCH16 = new Uint8Array(16);

/** Lower-case hex of a byte range, no separators. */
export function toHex(buf: Uint8Array, start = 0, end = buf.length): string {
  let s = "";
  for (let i = start; i < end; i++) s += HEX[buf[i]! >>> 4]! + HEX[buf[i]! & 15]!;
  return s;
}

/** Lower-case hex of a byte range with ':' between octets, as Kea prints MACs and DUIDs. */
export function toColonHex(buf: Uint8Array, start = 0, end = buf.length): string {
  let s = "";
  for (let i = start; i < end; i++) {
    if (i > start) s += ":";
    s += HEX[buf[i]! >>> 4]! + HEX[buf[i]! & 15]!;
  }
  return s;
}

/**
 * Decodes hex text the way Kea's configuration does: octets separated by colons ("1:2:ab") or
 * by spaces ("01 02 ab"), or one run of digits with an optional "0x" prefix, where an odd
 * number of digits gets a leading zero ("0x123" is 01 23). Returns null when not hex.
 */
export function decodeFormattedHex(text: string): Buffer | null {
  const sep = text.includes(":") ? ":" : text.includes(" ") ? " " : "";
  if (sep !== "") {
    const parts = text.split(sep);
    const out = Buffer.alloc(parts.length);
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p.length === 0 || p.length > 2) return null;
      let v = 0;
      for (let j = 0; j < p.length; j++) {
        const h = hexVal(p.charCodeAt(j));
        if (h < 0) return null;
        v = v * 16 + h;
      }
      out[i] = v;
    }
    return out;
  }
  let digits =
    text.length > 2 && (text.startsWith("0x") || text.startsWith("0X")) ? text.slice(2) : text;
  if (digits.length % 2 !== 0) digits = "0" + digits;
  const out = Buffer.alloc(digits.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexVal(digits.charCodeAt(2 * i));
    const lo = hexVal(digits.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = hi * 16 + lo;
  }
  return out;
}
