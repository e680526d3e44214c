/**
 * Option 121, classless static routes (RFC 3442). Kea gives it a hand-written format
 * ("internal" type) whose option-data text is "10.229.0.128/25 - 10.229.0.1, ...":
 * destination prefix, a dash, the router. On the wire each route is the prefix width, the
 * significant octets of the destination and the 4-byte router.
 */
import { BadValue } from "./errors.ts";
import { ipv4ToString, readU32, tryParseIPv4 } from "./ioaddress.ts";
import { ByteWriter } from "./option-data-types.ts";

/** Length of a well-formed route list in buf[start..end), or -1. */
export function routesLength(buf: Uint8Array, start: number, end: number): number {
  let p = start;
  while (p < end) {
    const width = buf[p]!;
    if (width > 32) return -1;
    const n = 1 + Math.ceil(width / 8) + 4;
    if (p + n > end) return -1;
    p += n;
  }
  return p - start;
}

export function routesToText(buf: Uint8Array): string {
  const parts: string[] = [];
  let p = 0;
  while (p < buf.length) {
    const width = buf[p]!;
    const octets = Math.ceil(width / 8);
    let dest = 0;
    for (let i = 0; i < 4; i++) dest = dest * 256 + (i < octets ? buf[p + 1 + i]! : 0);
    const router = readU32(buf, p + 1 + octets);
    parts.push(`${ipv4ToString(dest)}/${width} - ${ipv4ToString(router)}`);
    p += 1 + octets + 4;
  }
  return parts.join(", ");
}

export function writeRoutesText(text: string, w: ByteWriter): void {
  if (text.trim() === "") return;
  for (const route of text.split(",")) {
    const m = /^\s*([0-9.]+)\s*\/\s*(\d+)\s*-\s*([0-9.]+)\s*$/.exec(route);
    if (m === null) {
      throw new BadValue(`'${route.trim()}' is not a route (expected prefix/width - router)`);
    }
    const dest = tryParseIPv4(m[1]!);
    const width = Number(m[2]);
    const router = tryParseIPv4(m[3]!);
    if (dest < 0 || router < 0 || width > 32) {
      throw new BadValue(`'${route.trim()}' is not a valid route`);
    }
    const octets = Math.ceil(width / 8);
    const mask = width === 0 ? 0 : (0xffffffff << (32 - width)) >>> 0;
    if ((dest & ~mask) >>> 0 !== 0) {
      throw new BadValue(`'${route.trim()}': destination has bits set past /${width}`);
    }
    w.u8(width);
    for (let i = 0; i < octets; i++) w.u8((dest >>> (24 - 8 * i)) & 255);
    w.u32(router);
  }
}
