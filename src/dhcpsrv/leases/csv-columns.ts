/**
 * Column readers and the text escaping shared by the v4 and v6 lease files (Kea's CSV encodings:
 * ../shared/reference/kea-inventory.md section 7.2). A malformed value throws LeaseRowError.
 */
import { decodeFormattedHex } from "../../dhcp/ioaddress.ts";
import type { JsonObject, JsonValue } from "../../hooks/types.ts";
import { LeaseRowError } from "./lease-store4.ts";

// Bytes 0x80..0xff in a latin1 string, or a JSON \u00XX escape of one.
const NON_ASCII = /[\x80-\xff]|\\u00[89a-fA-F]/;
const HIGH_BYTE = /[\x80-\xff]/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const ESCAPE_TAG = "&#x";
const NEEDS_ESCAPE = /[,&\n\r]/;

export function stripCR(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** Colon hex as Kea writes it ("0a:1b"), on a fast path; any form Kea reads otherwise. */
export function decodeHex(text: string): Buffer | null {
  const n = text.length;
  if (n % 3 === 2) {
    const out = Buffer.allocUnsafe((n + 1) / 3);
    if (colonHexInto(text, out)) return out;
  }
  return decodeFormattedHex(text);
}

/** Bytes as a latin1 string (one character per byte): how the memfile stores keep them. */
export function latin1Of(bytes: Uint8Array): string {
  return (
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  ).toString("latin1");
}

/** A user context the store owns: changes the caller makes to its own later are not seen. */
export function ownedContext(ctx: JsonObject | null): JsonObject | null {
  return ctx === null ? null : structuredClone(ctx);
}

const SCRATCH = Buffer.allocUnsafe(256);

/**
 * decodeHex's bytes as a latin1 string (one character per byte, what the memfile stores keep
 * and index): Kea's colon hex goes through a scratch buffer, no Buffer per field.
 */
export function decodeHexLatin1(text: string): string | null {
  const n = text.length;
  const len = (n + 1) / 3;
  if (n % 3 === 2 && len <= SCRATCH.length && colonHexInto(text, SCRATCH)) {
    return SCRATCH.toString("latin1", 0, len);
  }
  const bytes = decodeFormattedHex(text);
  return bytes === null ? null : bytes.toString("latin1");
}

/** "0a:1b" (length 3k+2) into out[0..k]; false when the text is not in that form. */
function colonHexInto(text: string, out: Buffer): boolean {
  const n = text.length;
  for (let i = 0, j = 0; i < n; i += 3, j++) {
    const hi = hexDigit(text.charCodeAt(i));
    const lo = hexDigit(text.charCodeAt(i + 1));
    if (hi < 0 || lo < 0 || (i + 2 < n && text.charCodeAt(i + 2) !== 58)) return false;
    out[j] = hi * 16 + lo;
  }
  return true;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

export function readUint(text: string, column: string, max: number): number {
  const len = text.length;
  if (len === 0 || len > 16) throw new LeaseRowError(`${column} '${text}' is not a number`);
  let v = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) throw new LeaseRowError(`${column} '${text}' is not a number`);
    v = v * 10 + c;
  }
  if (v > max) throw new LeaseRowError(`${column} ${text} is out of range`);
  return v;
}

export function readBool(text: string, column: string): boolean {
  if (text === "1") return true;
  if (text === "0") return false;
  throw new LeaseRowError(`${column} '${text}' is not 0 or 1`);
}

export function readUserContext(text: string): JsonObject | null {
  if (text === "") return null;
  const json = unescapeField(text);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new LeaseRowError(`user context '${json}' is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new LeaseRowError(`user context '${json}' is not a JSON map`);
  }
  return NON_ASCII.test(json)
    ? (decodeJsonStrings(value as JsonObject) as JsonObject)
    : (value as JsonObject);
}

/** A field's text: escapes decoded, then its bytes read as UTF-8. */
export function readText(field: string): string {
  return ownText(bytesToText(unescapeField(field)));
}

/**
 * `s` in storage of its own. A part of a row cut out by split() or slice() may be a view into
 * the text it came from (V8 does so from 13 characters on): a lease keeping one would keep the
 * whole chunk of the lease file it was read from alive.
 */
export function ownText(s: string): string {
  if (s.length < 13) return s;
  return JSON.parse(JSON.stringify(s)) as string;
}

/** A latin1 string holding UTF-8 bytes becomes the text they encode (or stays as it is). */
function bytesToText(s: string): string {
  if (!HIGH_BYTE.test(s)) return s;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return s;
  try {
    return UTF8.decode(Buffer.from(s, "latin1"));
  } catch {
    return s; // not UTF-8: keep one character per byte
  }
}

function decodeJsonStrings(v: JsonValue): JsonValue {
  if (typeof v === "string") return bytesToText(v);
  if (Array.isArray(v)) return v.map(decodeJsonStrings);
  if (typeof v === "object" && v !== null) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) out[bytesToText(k)] = decodeJsonStrings(x);
    return out;
  }
  return v;
}

/** Escapes `,` and `&` (Kea 2.2), plus line breaks, as `&#x` + two lower-case hex digits. */
export function escapeField(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2c || c === 0x26 || c === 0x0a || c === 0x0d) {
      out += ESCAPE_TAG + (c < 16 ? "0" : "") + c.toString(16);
    } else {
      out += text[i];
    }
  }
  return out;
}

/**
 * Decodes every `&#xHH` (either case) into the byte HH; a tag not followed by two hex digits
 * stays as it is, as in Kea. Works on latin1 strings (one char per byte).
 */
export function unescapeField(text: string): string {
  let at = text.indexOf(ESCAPE_TAG);
  if (at < 0) return text;
  let out = "";
  let from = 0;
  while (at >= 0) {
    const hi = at + 4 < text.length ? hexDigit(text.charCodeAt(at + 3)) : -1;
    const lo = hi >= 0 ? hexDigit(text.charCodeAt(at + 4)) : -1;
    if (lo >= 0) {
      out += text.slice(from, at) + String.fromCharCode(hi * 16 + lo);
      from = at + 5;
    } else {
      out += text.slice(from, at + 3);
      from = at + 3;
    }
    at = text.indexOf(ESCAPE_TAG, from);
  }
  return out + text.slice(from);
}

/**
 * JSON text in the layout of Kea's `Element::str()`: `{ "k": v, ... }` with keys sorted,
 * `[ a, b ]`, empty containers as `{  }` and `[  ]`. Numbers keep JavaScript's full precision
 * (Kea prints doubles with 6 significant digits; both read either).
 */
export function keaJsonText(v: JsonValue): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) {
    let s = "[ ";
    for (let i = 0; i < v.length; i++) s += (i > 0 ? ", " : "") + keaJsonText(v[i]!);
    return s + " ]";
  }
  const keys = Object.keys(v).sort();
  let s = "{ ";
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    s += (i > 0 ? ", " : "") + JSON.stringify(k) + ": " + keaJsonText(v[k]!);
  }
  return s + " }";
}

// ---- columns read in place from a lease file's bytes (the stores' loading) ---------------------
// Each returns -1 when the field is not in the plain form Kea writes: the caller then reads the
// row as text (the readers above), which accept every form and give the reason of a bad one.

/** Decimal digits from `s` to `e` (1 to 16 of them) at most `max`; else -1. */
export function uintAt(b: Uint8Array, s: number, e: number, max: number): number {
  const len = e - s;
  if (len <= 0 || len > 16) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]! - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v > max ? -1 : v;
}

/** 1 or 0 for a field "1" or "0"; else -1. */
export function boolAt(b: Uint8Array, s: number, e: number): number {
  if (e !== s + 1) return -1;
  const c = b[s]!;
  return c === 49 ? 1 : c === 48 ? 0 : -1;
}

/**
 * Kea's colon hex ("0a:1b") from `s` to `e` into `out` from 0: the number of bytes (at most
 * `max`), else -1 (another form, or too long).
 */
export function colonHexAt(b: Uint8Array, s: number, e: number, out: Uint8Array, max: number) {
  const n = e - s;
  if (n % 3 !== 2) return -1;
  const len = (n + 1) / 3;
  if (len > max || len > out.length) return -1;
  for (let i = s, j = 0; i < e; i += 3, j++) {
    const hi = hexDigit(b[i]!);
    const lo = hexDigit(b[i + 1]!);
    if (hi < 0 || lo < 0 || (i + 2 < e && b[i + 2] !== 58)) return -1;
    out[j] = hi * 16 + lo;
  }
  return len;
}

/** A latin1 string's bytes into `out` from 0 (one byte per character); returns the length. */
export function latin1Into(text: string, out: Uint8Array): number {
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return text.length;
}

/**
 * The fields of a row from `start` to `end`: field i runs from fields[i] to fields[i + 1] - 1.
 * Returns their number, or -1 when there are more than `max`.
 */
export function fieldsAt(
  b: Uint8Array,
  start: number,
  end: number,
  fields: Int32Array,
  max: number,
): number {
  let n = 0;
  fields[0] = start;
  for (let i = start; i < end; i++) {
    if (b[i] !== 44) continue;
    if (++n === max) return -1;
    fields[n] = i + 1;
  }
  fields[++n] = end + 1;
  return n;
}
