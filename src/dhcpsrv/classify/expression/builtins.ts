/**
 * Values of the expression language and the functions over them: Kea's values are byte strings,
 * booleans shown as a value are the texts "true" and "false".
 */
import type { Pkt } from "../../../dhcp/pkt.ts";
import { ipv4ToString, ipv6ToString } from "../../../dhcp/ioaddress.ts";

/** A compiled string (byte) expression. */
export type StringFn = (pkt: Pkt) => Buffer;
/** A compiled boolean expression. */
export type BoolFn = (pkt: Pkt) => boolean;

export const TRUE_ = Buffer.from("true");
export const FALSE_ = Buffer.from("false");
export const EMPTY = Buffer.alloc(0);

/** Integers are 4 bytes in network order, as Kea's TokenInteger and the packet fields. */
export function uint32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

/** Kea's TokenSubstring. */
export function substring(v: Buffer, start: number, length: number | "all"): Buffer {
  const n = v.length;
  if (n === 0) return EMPTY;
  let len = length === "all" ? n : length;
  let pos = start;
  if (pos < -n || pos >= n) return EMPTY;
  if (pos < 0) pos = n + pos;
  if (len < 0) {
    len = -len;
    if (len <= pos) pos -= len;
    else {
      len = pos;
      pos = 0;
    }
  }
  return v.subarray(pos, Math.min(n, pos + len));
}

/** Kea's TokenSplit: the 1-based field of `v` cut at any of the delimiter bytes. */
export function split(v: Buffer, delims: Buffer, field: number): Buffer {
  if (v.length === 0) return EMPTY;
  if (delims.length === 0) return v;
  let n = 1;
  let start = 0;
  for (let i = 0; i <= v.length; i++) {
    if (i < v.length && !delims.includes(v[i]!)) continue;
    if (n === field) return v.subarray(start, i);
    n++;
    start = i + 1;
  }
  return EMPTY;
}

/**
 * Later Kea's lcase / ucase: the ASCII letters of `v` to lower (or upper) case, other bytes as
 * they are (Kea changes case in the "C" locale). `v` itself when nothing changes.
 */
export function asciiCase(v: Buffer, upper: boolean): Buffer {
  const from = upper ? 0x61 : 0x41;
  let out: Buffer | null = null;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c >= from && c <= from + 25) {
      out ??= Buffer.from(v);
      out[i] = c ^ 0x20;
    }
  }
  return out ?? v;
}

export function hexstring(v: Buffer, sep: Buffer): Buffer {
  if (v.length === 0) return EMPTY;
  const sepText = sep.toString("latin1");
  let s = "";
  for (let i = 0; i < v.length; i++) {
    if (i > 0) s += sepText;
    s += (v[i]! < 16 ? "0" : "") + v[i]!.toString(16);
  }
  return Buffer.from(s, "latin1");
}

/** Thrown at evaluation, as Kea's EvalTypeError: the class is not assigned. */
export class EvalTypeError extends Error {}

type Converter = (v: Buffer) => string;

function sized(v: Buffer, n: number, what: string): Buffer {
  if (v.length !== n) throw new EvalTypeError(`Can not convert to valid ${what}.`);
  return v;
}

/** Kea's *totext tokens: an empty value stays empty, a value of the wrong size is an error. */
const CONVERTERS = {
  addrtotext: (v) => {
    if (v.length === 4) return ipv4ToString(v.readUInt32BE(0));
    if (v.length === 16) return ipv6ToString(v);
    throw new EvalTypeError("Can not convert to valid address.");
  },
  int8totext: (v) => String(sized(v, 1, "int8").readInt8(0)),
  int16totext: (v) => String(sized(v, 2, "int16").readInt16BE(0)),
  int32totext: (v) => String(sized(v, 4, "int32").readInt32BE(0)),
  uint8totext: (v) => String(sized(v, 1, "uint8").readUInt8(0)),
  uint16totext: (v) => String(sized(v, 2, "uint16").readUInt16BE(0)),
  uint32totext: (v) => String(sized(v, 4, "uint32").readUInt32BE(0)),
} satisfies Record<string, Converter>;

export type ConverterName = keyof typeof CONVERTERS;

/** Own keys only: a name such as `toString` must stay an unknown name, not Object's method. */
export function isConverter(name: string): name is ConverterName {
  return Object.hasOwn(CONVERTERS, name);
}

export function converted(name: ConverterName, v: StringFn): StringFn {
  const convert: Converter = CONVERTERS[name];
  return (p) => {
    const b = v(p);
    return b.length === 0 ? EMPTY : Buffer.from(convert(b));
  };
}
