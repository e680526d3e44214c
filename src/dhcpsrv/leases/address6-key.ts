/**
 * The index key of a DHCPv6 lease address: its 16 bytes as a 16-character string (one character
 * per byte, code 0-255). Every spelling of an address gives the same key, and keys compare (`<`)
 * in address order, so one key serves the address index and the address order of page queries.
 *
 * One query hands the same address text to several index operations (the allocator's lookup,
 * the lookup before the write, the write): the last text and its key are kept, so the text is
 * parsed once, not once per operation.
 */
import { ipv6ToString, tryParseIPv6 } from "../../dhcp/ioaddress.ts";

const BYTES = new Uint8Array(16);
let lastText = "";
let lastKey: string | null = null;

/** The key of an address, or null when the text is not an IPv6 address. */
export function address6Key(text: string): string | null {
  if (text === lastText) return lastKey;
  const b = BYTES;
  const key = tryParseIPv6(text, b)
    ? String.fromCharCode(
        b[0]!,
        b[1]!,
        b[2]!,
        b[3]!,
        b[4]!,
        b[5]!,
        b[6]!,
        b[7]!,
        b[8]!,
        b[9]!,
        b[10]!,
        b[11]!,
        b[12]!,
        b[13]!,
        b[14]!,
        b[15]!,
      )
    : null;
  lastText = text;
  lastKey = key;
  return key;
}

/** The canonical (RFC 5952) text of the address a key stands for. */
export function address6OfKey(key: string): string {
  const b = BYTES;
  for (let i = 0; i < 16; i++) b[i] = key.charCodeAt(i);
  // BYTES no longer holds lastText's bytes; the memo keeps only text and key, so it stays right.
  return ipv6ToString(b);
}
