/**
 * Kea's option data types and their three forms: wire bytes, JavaScript values and the text
 * used in `option-data` entries. Every function here checks bounds itself; the wire readers
 * return -1 for "does not fit" rather than throwing, so that the packet parser decides.
 */
import { BadValue } from "./errors.ts";
import {
  decodeFormattedHex,
  ipv4ToString,
  ipv6ToString,
  readU32,
  toHex,
  tryParseIPv4,
  tryParseIPv6,
} from "./ioaddress.ts";

/**
 * Kea's `compatibility.lenient-option-parsing` (one setting for the process, as Kea's): a
 * length-prefixed tuple whose length runs past the end of its option is read as the rest of the
 * option instead of making the option malformed.
 */
let lenient = false;

/** Sets lenient option parsing (the server does, from its configuration). */
export function setLenientOptionParsing(on: boolean): void {
  lenient = on;
}

export function lenientOptionParsing(): boolean {
  return lenient;
}

/**
 * The length of a tuple's data whose length field says `declared` with `avail` bytes left after
 * that field: `declared`, or the rest when it runs past the end and parsing is lenient; -1 when
 * it does not fit.
 */
export function tupleDataLength(declared: number, avail: number): number {
  if (declared <= avail) return declared;
  return lenient ? avail : -1;
}

export const OptionDataType = {
  EMPTY: "empty",
  BINARY: "binary",
  BOOLEAN: "boolean",
  INT8: "int8",
  INT16: "int16",
  INT32: "int32",
  UINT8: "uint8",
  UINT16: "uint16",
  UINT32: "uint32",
  IPV4_ADDRESS: "ipv4-address",
  IPV6_ADDRESS: "ipv6-address",
  IPV6_PREFIX: "ipv6-prefix",
  PSID: "psid",
  RECORD: "record",
  STRING: "string",
  TUPLE: "tuple",
  FQDN: "fqdn",
  /** Kea's type for options with a hand-written class (121 classless static routes). */
  INTERNAL: "internal",
} as const;
export type OptionDataTypeName = (typeof OptionDataType)[keyof typeof OptionDataType];

const ALL_TYPES: ReadonlySet<string> = new Set(Object.values(OptionDataType));

export function isOptionDataType(s: string): s is OptionDataTypeName {
  return ALL_TYPES.has(s);
}

/** An IPv6 prefix value: address text and prefix length. */
export interface PrefixValue {
  prefix: string;
  length: number;
}

/** A port-set identifier (RFC 7597): the PSID value and its length in bits. */
export interface PsidValue {
  psid: number;
  psidLen: number;
}

/** A decoded field. Integers are numbers, addresses strings, binary a Buffer. */
export type OptionValue = number | boolean | string | Buffer | PrefixValue | PsidValue;

const INT_RANGES: Record<string, readonly [number, number, number]> = {
  int8: [-128, 127, 1],
  int16: [-32768, 32767, 2],
  int32: [-2147483648, 2147483647, 4],
  uint8: [0, 255, 1],
  uint16: [0, 65535, 2],
  uint32: [0, 4294967295, 4],
};

/** Wire size of a fixed-size type, or -1 for variable-size ones. */
export function fixedSize(t: OptionDataTypeName): number {
  switch (t) {
    case "boolean":
    case "int8":
    case "uint8":
      return 1;
    case "int16":
    case "uint16":
      return 2;
    case "int32":
    case "uint32":
    case "ipv4-address":
      return 4;
    case "ipv6-address":
      return 16;
    case "psid":
      return 3;
    case "empty":
      return 0;
    default:
      return -1;
  }
}

/**
 * How many bytes one field of type `t` takes at buf[off..end), or -1 if it is malformed.
 * `last` lets a string/binary field (or a partial FQDN, when `partialFqdn`) take the rest.
 */
export function fieldLength(
  t: OptionDataTypeName,
  buf: Uint8Array,
  off: number,
  end: number,
  universe: 4 | 6,
  last: boolean,
  partialFqdn = false,
): number {
  const avail = end - off;
  const fixed = fixedSize(t);
  if (fixed >= 0) {
    if (avail < fixed) return -1;
    if (t === "boolean" && buf[off]! > 1) return -1;
    if (t === "psid" && !psidValid(buf[off]!, (buf[off + 1]! << 8) | buf[off + 2]!)) return -1;
    return fixed;
  }
  switch (t) {
    case "binary":
    case "string":
    case "internal":
      return last ? avail : -1;
    case "tuple": {
      const lenSize = universe === 4 ? 1 : 2;
      if (avail < lenSize) return -1;
      const n = universe === 4 ? buf[off]! : (buf[off]! << 8) | buf[off + 1]!;
      const data = tupleDataLength(n, avail - lenSize);
      return data < 0 ? -1 : lenSize + data;
    }
    case "ipv6-prefix": {
      if (avail < 1) return -1;
      const bits = buf[off]!;
      if (bits > 128) return -1;
      const n = 1 + Math.ceil(bits / 8);
      return avail < n ? -1 : n;
    }
    case "fqdn":
      return fqdnLength(buf, off, end, last && partialFqdn);
    default:
      return -1;
  }
}

function psidValid(len: number, psid: number): boolean {
  if (len > 16) return false;
  // Bits below the PSID length must be zero, or the text form could not say them.
  const mask = len === 0 ? 0xffff : 0xffff >>> len;
  return (psid & mask) === 0;
}

/** Length of an RFC 1035 name (no compression); a partial name may run to `end`. */
function fqdnLength(buf: Uint8Array, off: number, end: number, partialOk: boolean): number {
  let p = off;
  let total = 0;
  while (p < end) {
    const n = buf[p]!;
    if (n === 0) return p + 1 - off;
    if (n > 63) return -1;
    total += n + 1;
    if (total > 255 || p + 1 + n > end) return -1;
    p += 1 + n;
  }
  return partialOk && p > off ? p - off : -1;
}

/** Reads a field already measured by fieldLength. */
export function readField(
  t: OptionDataTypeName,
  buf: Uint8Array,
  off: number,
  len: number,
  universe: 4 | 6,
): OptionValue {
  switch (t) {
    case "boolean":
      return buf[off] === 1;
    case "uint8":
      return buf[off]!;
    case "int8":
      return (buf[off]! << 24) >> 24;
    case "uint16":
      return (buf[off]! << 8) | buf[off + 1]!;
    case "int16":
      return (((buf[off]! << 8) | buf[off + 1]!) << 16) >> 16;
    case "uint32":
      return readU32(buf, off);
    case "int32":
      return readU32(buf, off) | 0;
    case "ipv4-address":
      return ipv4ToString(readU32(buf, off));
    case "ipv6-address":
      return ipv6ToString(buf, off);
    case "string": {
      // Trailing NULs (some clients send C strings) are not part of the value, as in Kea.
      let n = len;
      while (n > 0 && buf[off + n - 1] === 0) n--;
      return Buffer.from(buf.buffer, buf.byteOffset + off, n).toString("latin1");
    }
    case "tuple": {
      const h = universe === 4 ? 1 : 2;
      return Buffer.from(buf.buffer, buf.byteOffset + off + h, len - h).toString("latin1");
    }
    case "fqdn":
      return fqdnToText(buf, off, off + len);
    case "ipv6-prefix": {
      const bits = buf[off]!;
      const addr = new Uint8Array(16);
      addr.set(buf.subarray(off + 1, off + len));
      return { prefix: ipv6ToString(addr), length: bits };
    }
    case "psid": {
      const psidLen = buf[off]!;
      const raw = (buf[off + 1]! << 8) | buf[off + 2]!;
      return { psid: psidLen === 0 ? 0 : raw >>> (16 - psidLen), psidLen };
    }
    default:
      return Buffer.from(buf.subarray(off, off + len));
  }
}

/** "example.com." for a complete name, "host" (no final dot) for a partial one. */
function fqdnToText(buf: Uint8Array, off: number, end: number): string {
  let s = "";
  let p = off;
  while (p < end) {
    const n = buf[p]!;
    if (n === 0) return s === "" ? "." : s;
    s += Buffer.from(buf.buffer, buf.byteOffset + p + 1, n).toString("latin1") + ".";
    p += 1 + n;
  }
  return s.endsWith(".") ? s.slice(0, -1) : s;
}

/** Escapes commas and backslashes so a string survives the CSV split of option-data. */
export function escapeCsv(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/,/g, "\\,");
}

/** A field as option-data text (one CSV token). */
export function fieldToText(
  t: OptionDataTypeName,
  buf: Uint8Array,
  off: number,
  len: number,
  universe: 4 | 6,
): string {
  const v = readField(t, buf, off, len, universe);
  switch (t) {
    case "string":
    case "tuple":
      return escapeCsv(v as string);
    case "binary":
    case "internal":
      return toHex(buf, off, off + len).toUpperCase();
    case "boolean":
      return v ? "true" : "false";
    case "ipv6-prefix": {
      const p = v as PrefixValue;
      return `${p.prefix}/${p.length}`;
    }
    case "psid": {
      const p = v as PsidValue;
      return `${p.psid}/${p.psidLen}`;
    }
    default:
      return String(v);
  }
}

/** Growable byte sink for building payloads from text (configuration time only). */
export class ByteWriter {
  bytes: number[] = [];

  u8(v: number): void {
    this.bytes.push(v & 255);
  }

  u16(v: number): void {
    this.bytes.push((v >>> 8) & 255, v & 255);
  }

  u32(v: number): void {
    this.bytes.push(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  }

  put(b: Uint8Array): void {
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]!);
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** Parses an integer the way Kea's configuration does (decimal; "0x" hex also accepted). */
export function parseInteger(t: string, text: string): number {
  const range = INT_RANGES[t];
  if (range === undefined) throw new BadValue(`'${t}' is not an integer type`);
  const s = text.trim();
  let v: number;
  if (/^[+-]?\d+$/.test(s)) v = Number(s);
  else if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = parseInt(s.slice(2), 16);
  else throw new BadValue(`'${text}' is not a valid ${t} value`);
  if (v < range[0] || v > range[1]) {
    throw new BadValue(`${text} is out of range ${range[0]}..${range[1]} for ${t}`);
  }
  return v;
}

/** Parses a boolean: "true"/"false" in any case, or 1/0. */
export function parseBoolean(text: string): boolean {
  const s = text.trim().toLowerCase();
  if (s === "true" || s === "1") return true;
  if (s === "false" || s === "0") return false;
  throw new BadValue(`'${text}' is not a valid boolean value (true, false, 1 or 0)`);
}

/** Encodes a name as RFC 1035 labels; a name without a final dot is partial when allowed. */
export function writeFqdn(text: string, w: ByteWriter, partialOk: boolean): void {
  const s = text.trim();
  if (s === "") throw new BadValue("empty domain name");
  if (s === ".") {
    w.u8(0);
    return;
  }
  const absolute = s.endsWith(".");
  const labels = (absolute ? s.slice(0, -1) : s).split(".");
  let total = 1;
  for (const label of labels) {
    const b = Buffer.from(label, "latin1");
    if (b.length === 0) throw new BadValue(`'${text}' has an empty label`);
    if (b.length > 63) throw new BadValue(`'${text}' has a label longer than 63 bytes`);
    total += b.length + 1;
    w.u8(b.length);
    w.put(b);
  }
  if (total > 255) throw new BadValue(`'${text}' is longer than 255 bytes`);
  if (absolute || !partialOk) w.u8(0);
}

/** Writes one field from its option-data text. */
export function writeFieldText(
  t: OptionDataTypeName,
  text: string,
  w: ByteWriter,
  universe: 4 | 6,
  partialFqdn = false,
): void {
  switch (t) {
    case "boolean":
      w.u8(parseBoolean(text) ? 1 : 0);
      return;
    case "int8":
    case "uint8":
      w.u8(parseInteger(t, text));
      return;
    case "int16":
    case "uint16":
      w.u16(parseInteger(t, text));
      return;
    case "int32":
    case "uint32":
      w.u32(parseInteger(t, text) >>> 0);
      return;
    case "ipv4-address": {
      const n = tryParseIPv4(text.trim());
      if (n < 0) throw new BadValue(`'${text}' is not a valid IPv4 address`);
      w.u32(n);
      return;
    }
    case "ipv6-address": {
      const b = new Uint8Array(16);
      if (!tryParseIPv6(text.trim(), b))
        throw new BadValue(`'${text}' is not a valid IPv6 address`);
      w.put(b);
      return;
    }
    case "string":
      w.put(Buffer.from(text, "latin1"));
      return;
    case "tuple": {
      const b = Buffer.from(text, "latin1");
      if (universe === 4) {
        if (b.length > 255) throw new BadValue(`tuple '${text}' is longer than 255 bytes`);
        w.u8(b.length);
      } else {
        if (b.length > 65535) throw new BadValue(`tuple is longer than 65535 bytes`);
        w.u16(b.length);
      }
      w.put(b);
      return;
    }
    case "fqdn":
      writeFqdn(text, w, partialFqdn);
      return;
    case "binary":
    case "internal": {
      const s = text.trim();
      const b = s === "" ? Buffer.alloc(0) : decodeFormattedHex(s);
      if (b === null) throw new BadValue(`'${text}' is not valid hexadecimal data`);
      w.put(b);
      return;
    }
    case "ipv6-prefix":
      writePrefixText(text, w);
      return;
    case "psid":
      writePsidText(text, w);
      return;
    case "empty":
      return;
    default:
      throw new BadValue(`type '${t}' cannot be written as a field`);
  }
}

function writePrefixText(text: string, w: ByteWriter): void {
  const s = text.replace(/\s+/g, "");
  const slash = s.indexOf("/");
  if (slash < 0) throw new BadValue(`'${text}' is not a prefix (expected address/length)`);
  const bits = parseInteger("uint8", s.slice(slash + 1));
  if (bits > 128) throw new BadValue(`prefix length ${bits} exceeds 128`);
  const addr = new Uint8Array(16);
  if (!tryParseIPv6(s.slice(0, slash), addr)) {
    throw new BadValue(`'${text}' is not a valid IPv6 prefix`);
  }
  const n = Math.ceil(bits / 8);
  // Bits past the length are not sent; clear them so the value reads back unchanged.
  if (bits % 8 !== 0) addr[n - 1] = addr[n - 1]! & (0xff << (8 - (bits % 8)));
  w.u8(bits);
  w.put(addr.subarray(0, n));
}

function writePsidText(text: string, w: ByteWriter): void {
  const s = text.replace(/\s+/g, "");
  const slash = s.indexOf("/");
  if (slash < 0) throw new BadValue(`'${text}' is not a PSID (expected psid/length)`);
  const psid = parseInteger("uint16", s.slice(0, slash));
  const len = parseInteger("uint8", s.slice(slash + 1));
  if (len > 16) throw new BadValue(`PSID length ${len} exceeds 16`);
  if (len === 0 ? psid !== 0 : psid >= 1 << len) {
    throw new BadValue(`PSID ${psid} does not fit in ${len} bits`);
  }
  w.u8(len);
  w.u16(len === 0 ? 0 : (psid << (16 - len)) & 0xffff);
}

/** Writes a decoded value (from a setter) for a field of type `t`. */
export function writeFieldValue(
  t: OptionDataTypeName,
  v: OptionValue,
  w: ByteWriter,
  universe: 4 | 6,
  partialFqdn = false,
): void {
  if (typeof v === "number") {
    if (t === "boolean") w.u8(v ? 1 : 0);
    else writeFieldText(t, String(v), w, universe);
  } else if (typeof v === "boolean") {
    if (t !== "boolean") throw new BadValue(`a boolean is not a valid ${t} value`);
    w.u8(v ? 1 : 0);
  } else if (typeof v === "string") {
    writeFieldText(t, v, w, universe, partialFqdn);
  } else if (Buffer.isBuffer(v)) {
    if (t !== "binary" && t !== "internal") throw new BadValue(`bytes are not a valid ${t} value`);
    w.put(v);
  } else if ("prefix" in v) {
    writeFieldText("ipv6-prefix", `${v.prefix}/${v.length}`, w, universe);
  } else {
    writeFieldText("psid", `${v.psid}/${v.psidLen}`, w, universe);
  }
}
