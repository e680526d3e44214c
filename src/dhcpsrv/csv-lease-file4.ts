/**
 * Kea's DHCPv4 lease file format (memfile CSV), row by row.
 *
 * Nestor writes the header Kea 2.2 writes (schema 2.1: `address` .. `user_context`), because
 * 2.2 is the Kea of this project's reference machine (Debian's kea-dhcp4-server 2.2.0): a file
 * Nestor writes is a file Kea 2.2 loads as its own, without conversion. Kea 3 reads it too (it
 * upgrades it, filling `pool_id` with 0). Nestor reads every v4 header Kea has written: 1.0
 * (through `hostname`), 2.0 (`state`), 2.1 (Kea 2.2) and 3.0 (`pool_id`, Kea 2.3.8 and later),
 * and drops columns it does not know, as Kea's VersionedCSVFile does.
 *
 * Encodings (isc-projects/kea src/lib/dhcpsrv/csv_lease_file4.cc, src/lib/util/csv_file.cc):
 * - `hwaddr` and `client_id`: lower-case colon hex, without the hardware type; empty when none.
 * - `expire` = cltt + valid_lifetime; cltt is read back as expire - valid_lifetime.
 * - `fqdn_fwd`, `fqdn_rev`: `1` or `0` (nothing else is accepted, as boost::lexical_cast<bool>).
 * - `hostname` and `user_context` are escaped: a byte becomes `&#x` and two hex digits. Kea 2.2
 *   escapes `,` and `&` only; Kea 3 also every byte below 0x20 or above 0x7e. Nestor writes 2.2's
 *   escapes plus line feed and carriage return (which 2.2 would write raw, breaking the row);
 *   both versions decode any `&#xHH`, so both read Nestor's rows. Reading accepts either form.
 * - Text is bytes in Kea: non-ASCII hostnames are written as raw UTF-8, and escaped bytes or
 *   `\u00XX` JSON escapes (Kea's JSON printer writes one per byte) are decoded back to UTF-8.
 * - `user_context` is the JSON text of a map, in the layout of Kea's `Element::str()`
 *   (`{ "a": 1, "b": [ 1, 2 ] }`, keys sorted), so a Kea row rewritten by Nestor stays the same.
 * - A row with `valid_lifetime` 0 deletes the lease of its address.
 */
import { HWAddr } from "../dhcp/hwaddr.ts";
import { decodeFormattedHex, toColonHex, tryParseIPv4 } from "../dhcp/ioaddress.ts";
import type { JsonObject, JsonValue } from "../hooks/types.ts";
import { Lease4, LeaseState } from "./lease.ts";
import { LeaseFileFormatError, LeaseRowError } from "./lease-store.ts";

/** Every v4 column Kea has defined, in file order. */
export const LEASE4_COLUMNS = [
  "address",
  "hwaddr",
  "client_id",
  "valid_lifetime",
  "expire",
  "subnet_id",
  "fqdn_fwd",
  "fqdn_rev",
  "hostname",
  "state",
  "user_context",
  "pool_id",
] as const;

/** The header Kea 2.2 writes, and Nestor with it. */
export const LEASE4_HEADER_2_2 = LEASE4_COLUMNS.slice(0, 11).join(",");
/** The header Kea 2.3.8 and later write (schema 3.0). */
export const LEASE4_HEADER_3_0 = LEASE4_COLUMNS.join(",");
/** Columns Nestor writes. */
export const LEASE4_WRITE_COLUMNS = 11;
/** A header must name at least the columns through `hostname` (Kea's minimum valid columns). */
const MIN_VALID_COLUMNS = 9;
const COL_STATE = 9;
const COL_USER_CONTEXT = 10;
const COL_POOL_ID = 11;
const MAX_CLIENT_ID_LEN = 255;

/** What the header of a file says about its rows. */
export interface Lease4FileLayout {
  /** Number of columns named in the header. */
  readonly headerCount: number;
  /** Number of leading header columns Nestor knows (the rest is dropped). */
  readonly knownCount: number;
  /** True when the header is not Kea 2.2's, so Kea would convert the file at start-up. */
  readonly needsConversion: boolean;
}

/** Checks a header line as Kea's VersionedCSVFile does; throws LeaseFileFormatError. */
export function parseLease4Header(line: string, file = ""): Lease4FileLayout {
  const names = stripCR(line).split(",");
  let known = 0;
  while (known < names.length && known < LEASE4_COLUMNS.length) {
    if (names[known] !== LEASE4_COLUMNS[known]) {
      throw new LeaseFileFormatError(
        file,
        `invalid header '${line}': unexpected column '${names[known]}' at position ${known + 1}`,
      );
    }
    known++;
  }
  if (known < MIN_VALID_COLUMNS) {
    throw new LeaseFileFormatError(
      file,
      `invalid header '${line}': ${known} valid column(s), at least ${MIN_VALID_COLUMNS} needed`,
    );
  }
  return {
    headerCount: names.length,
    knownCount: known,
    needsConversion: names.length !== LEASE4_WRITE_COLUMNS,
  };
}

/**
 * One lease file row, with its line feed, in the Kea 2.2 layout. `validLifetime` 0 makes the
 * deletion row of the lease (Kea writes the lease with valid_lifetime 0, so expire = cltt).
 */
export function formatLease4Row(lease: Lease4, validLifetime = lease.validLifetime): string {
  const hw = lease.hwaddr === null ? "" : toColonHex(lease.hwaddr.hwaddr);
  const cid = lease.clientId === null ? "" : toColonHex(lease.clientId);
  const host = lease.hostname === "" ? "" : escapeField(lease.hostname);
  const ctx = lease.userContext === null ? "" : escapeField(keaJsonText(lease.userContext));
  return (
    `${lease.address},${hw},${cid},${validLifetime},${lease.cltt + validLifetime},` +
    `${lease.subnetId},${lease.fqdnFwd ? 1 : 0},${lease.fqdnRev ? 1 : 0},${host},` +
    `${lease.state},${ctx}\n`
  );
}

/**
 * Parses one row (a line of a file read as latin1, i.e. one char per byte, without its line
 * feed) into a lease. Throws LeaseRowError with Kea's kind of reason when the row is bad.
 */
export function parseLease4Row(line: string, layout: Lease4FileLayout): Lease4 {
  const f = stripCR(line).split(",");
  const n = f.length;
  if (n < layout.knownCount) {
    throw new LeaseRowError(`${n} columns, the header needs at least ${layout.knownCount}`);
  }
  if (n > Math.max(layout.headerCount, LEASE4_COLUMNS.length)) {
    throw new LeaseRowError(`${n} columns, more than the header's ${layout.headerCount}`);
  }
  const address = f[0]!;
  if (tryParseIPv4(address) < 0) throw new LeaseRowError(`'${address}' is not an IPv4 address`);
  const hwaddr = readHWAddr(f[1]!);
  const clientId = readClientId(f[2]!);
  const validLifetime = readUint(f[3]!, "valid_lifetime", 0xffffffff);
  const expire = readUint(f[4]!, "expire", Number.MAX_SAFE_INTEGER);
  const subnetId = readUint(f[5]!, "subnet_id", 0xffffffff);
  const fqdnFwd = readBool(f[6]!, "fqdn_fwd");
  const fqdnRev = readBool(f[7]!, "fqdn_rev");
  const hostname = readText(f[8]!);
  // Columns are positional, as in Kea: a row of an older file may be shorter (defaults fill
  // it) and, as Kea 2.2 accepts, one written by a newer Kea may be longer than its header.
  const state = readUint(n > COL_STATE ? f[COL_STATE]! : "0", "state", 0xffffffff);
  const ctxText = n > COL_USER_CONTEXT ? f[COL_USER_CONTEXT]! : "";
  const poolId = readUint(n > COL_POOL_ID ? f[COL_POOL_ID]! : "0", "pool_id", 0xffffffff);
  const userContext = readUserContext(ctxText);
  if (hwaddr === null && clientId === null && state !== LeaseState.DECLINED) {
    throw new LeaseRowError(
      `lease ${address} has neither hardware address nor client id and is not declined`,
    );
  }
  return new Lease4({
    address,
    hwaddr,
    clientId,
    validLifetime,
    cltt: expire - validLifetime,
    subnetId,
    poolId,
    fqdnFwd,
    fqdnRev,
    hostname,
    state,
    userContext,
  });
}

function stripCR(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** Colon hex as Kea writes it ("0a:1b"), on a fast path; any form Kea reads otherwise. */
function decodeHex(text: string): Buffer | null {
  const n = text.length;
  if (n % 3 === 2) {
    const out = Buffer.allocUnsafe((n + 1) / 3);
    let i = 0;
    for (let j = 0; i < n; i += 3, j++) {
      const hi = hexDigit(text.charCodeAt(i));
      const lo = hexDigit(text.charCodeAt(i + 1));
      if (hi < 0 || lo < 0 || (i + 2 < n && text.charCodeAt(i + 2) !== 58)) break;
      out[j] = hi * 16 + lo;
    }
    if (i >= n) return out;
  }
  return decodeFormattedHex(text);
}

function readHWAddr(text: string): HWAddr | null {
  if (text === "") return null;
  const bytes = decodeHex(text);
  if (bytes === null) throw new LeaseRowError(`'${text}' is not a hardware address`);
  if (bytes.length === 0) return null;
  try {
    return new HWAddr(bytes);
  } catch (err) {
    throw new LeaseRowError(`hardware address '${text}': ${(err as Error).message}`);
  }
}

function readClientId(text: string): Buffer | null {
  if (text === "") return null;
  const bytes = decodeHex(text);
  if (bytes === null) throw new LeaseRowError(`'${text}' is not a client identifier`);
  if (bytes.length > MAX_CLIENT_ID_LEN) {
    throw new LeaseRowError(`client identifier of ${bytes.length} bytes is too long`);
  }
  return bytes.length === 0 ? null : bytes;
}

function readUint(text: string, column: string, max: number): number {
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

function readBool(text: string, column: string): boolean {
  if (text === "1") return true;
  if (text === "0") return false;
  throw new LeaseRowError(`${column} '${text}' is not 0 or 1`);
}

function readUserContext(text: string): JsonObject | null {
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
function readText(field: string): string {
  return bytesToText(unescapeField(field));
}

// Bytes 0x80..0xff in a latin1 string, or a JSON \u00XX escape of one.
const NON_ASCII = /[\x80-\xff]|\\u00[89a-fA-F]/;
const HIGH_BYTE = /[\x80-\xff]/;
const UTF8 = new TextDecoder("utf-8", { fatal: true });

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

const ESCAPE_TAG = "&#x";
const NEEDS_ESCAPE = /[,&\n\r]/;

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

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
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
