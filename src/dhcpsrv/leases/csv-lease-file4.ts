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
import { HType, HWAddr, MAX_HWADDR_LEN } from "../../dhcp/hwaddr.ts";
import { ipv4ToString, tryParseIPv4 } from "../../dhcp/ioaddress.ts";
import type { JsonObject } from "../../hooks/types.ts";
import {
  boolAt,
  colonHexAt,
  decodeHexLatin1,
  fieldsAt,
  latin1Into,
  latin1Of,
  uintAt,
  readBool,
  readText,
  readUint,
  readUserContext,
  stripCR,
} from "./csv-columns.ts";
import { Lease4, LeaseState, asciiLower } from "./lease4.ts";
import { LeaseFileFormatError, LeaseRowError } from "./lease-store4.ts";
import * as out from "./row-bytes.ts";

export { escapeField, keaJsonText, unescapeField } from "./csv-columns.ts";

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
  const w = out.rowScratch(lease.address);
  const hw = lease.hwaddr === null ? out.NO_BYTES : lease.hwaddr.hwaddr;
  const cid = lease.clientId ?? out.NO_BYTES;
  writeLease4Fields(
    w,
    hw,
    0,
    hw.length,
    cid,
    0,
    cid.length,
    validLifetime,
    lease.cltt,
    lease.subnetId,
    lease.fqdnFwd,
    lease.fqdnRev,
    lease.hostname,
    lease.state,
    lease.userContext,
  );
  return w.toString();
}

/**
 * A row's columns after its address, through its line feed, in the Kea 2.2 layout, as bytes:
 * what the memfile store writes from its columns into the batch of the group commit.
 */
export function writeLease4Fields(
  w: out.RowBytes,
  hw: Uint8Array,
  hwOff: number,
  hwLen: number,
  cid: Uint8Array,
  cidOff: number,
  cidLen: number,
  validLifetime: number,
  cltt: number,
  subnetId: number,
  fqdnFwd: boolean,
  fqdnRev: boolean,
  hostname: string,
  state: number,
  userContext: JsonObject | null,
): void {
  w.comma();
  w.colonHex(hw, hwOff, hwLen);
  w.comma();
  w.colonHex(cid, cidOff, cidLen);
  out.writeLifetimes(w, validLifetime, cltt, subnetId);
  out.writeDns(w, fqdnFwd, fqdnRev, hostname);
  out.writeStateContext(w, state, userContext);
  w.newline();
}

/**
 * A row's values, in the form the memfile store keeps them: the address as a signed 32-bit
 * number, the hardware address and client id as latin1 text (one character per byte).
 */
export interface Lease4Values {
  key: number;
  /** null without a hardware address. */
  hw: string | null;
  /** The hardware type: Ethernet in a lease file, 0 without a hardware address. */
  hwtype: number;
  /** "" without a client id. */
  cid: string;
  validLifetime: number;
  cltt: number;
  subnetId: number;
  fqdnFwd: boolean;
  fqdnRev: boolean;
  /** ASCII letters lower-cased, as Kea's Lease4 constructor does. */
  hostname: string;
  state: number;
  userContext: JsonObject | null;
  poolId: number;
}

/**
 * Parses one row (a line of a file read as latin1, i.e. one char per byte, without its line
 * feed) into a lease. Throws LeaseRowError with Kea's kind of reason when the row is bad.
 */
export function parseLease4Row(line: string, layout: Lease4FileLayout): Lease4 {
  const v = readLease4Row(line, layout);
  const lease = new Lease4({
    address: ipv4ToString(v.key >>> 0),
    hwaddr: v.hw === null ? null : new HWAddr(Buffer.from(v.hw, "latin1"), v.hwtype),
    clientId: v.cid === "" ? null : Buffer.from(v.cid, "latin1"),
    validLifetime: v.validLifetime,
    cltt: v.cltt,
    subnetId: v.subnetId,
    poolId: v.poolId,
    fqdnFwd: v.fqdnFwd,
    fqdnRev: v.fqdnRev,
    state: v.state,
    userContext: v.userContext,
  });
  lease.hostname = v.hostname;
  return lease;
}

/** As parseLease4Row, into the values a store keeps: no Lease4, no Buffer. */
export function readLease4Row(line: string, layout: Lease4FileLayout): Lease4Values {
  const f = stripCR(line).split(",");
  const n = f.length;
  if (n < layout.knownCount) {
    throw new LeaseRowError(`${n} columns, the header needs at least ${layout.knownCount}`);
  }
  if (n > Math.max(layout.headerCount, LEASE4_COLUMNS.length)) {
    throw new LeaseRowError(`${n} columns, more than the header's ${layout.headerCount}`);
  }
  const addressNumber = tryParseIPv4(f[0]!);
  if (addressNumber < 0) throw new LeaseRowError(`'${f[0]!}' is not an IPv4 address`);
  const hw = readHWAddr(f[1]!);
  const cid = readClientId(f[2]!);
  const validLifetime = readUint(f[3]!, "valid_lifetime", 0xffffffff);
  const expire = readUint(f[4]!, "expire", Number.MAX_SAFE_INTEGER);
  const subnetId = readUint(f[5]!, "subnet_id", 0xffffffff);
  const fqdnFwd = readBool(f[6]!, "fqdn_fwd");
  const fqdnRev = readBool(f[7]!, "fqdn_rev");
  const hostname = asciiLower(readText(f[8]!));
  // Columns are positional, as in Kea: a row of an older file may be shorter (defaults fill
  // it) and, as Kea 2.2 accepts, one written by a newer Kea may be longer than its header.
  const state = readUint(n > COL_STATE ? f[COL_STATE]! : "0", "state", 0xffffffff);
  const ctxText = n > COL_USER_CONTEXT ? f[COL_USER_CONTEXT]! : "";
  const poolId = readUint(n > COL_POOL_ID ? f[COL_POOL_ID]! : "0", "pool_id", 0xffffffff);
  const userContext = readUserContext(ctxText);
  if (hw === null && cid === "" && state !== LeaseState.DECLINED) {
    throw new LeaseRowError(
      `lease ${ipv4ToString(addressNumber)} has neither hardware address nor client id and is not declined`,
    );
  }
  return {
    key: addressNumber | 0,
    hw,
    hwtype: hw === null ? 0 : HType.ETHER,
    cid,
    validLifetime,
    cltt: expire - validLifetime,
    subnetId,
    fqdnFwd,
    fqdnRev,
    hostname,
    state,
    userContext,
    poolId,
  };
}

function readHWAddr(text: string): string | null {
  if (text === "") return null;
  const bytes = decodeHexLatin1(text);
  if (bytes === null) throw new LeaseRowError(`'${text}' is not a hardware address`);
  if (bytes.length === 0) return null;
  if (bytes.length > MAX_HWADDR_LEN) {
    throw new LeaseRowError(
      `hardware address '${text}': hardware address of ${bytes.length} bytes exceeds ${MAX_HWADDR_LEN}`,
    );
  }
  return bytes;
}

/** The client id's bytes as latin1; "" when none. */
function readClientId(text: string): string {
  if (text === "") return "";
  const bytes = decodeHexLatin1(text);
  if (bytes === null) throw new LeaseRowError(`'${text}' is not a client identifier`);
  if (bytes.length > MAX_CLIENT_ID_LEN) {
    throw new LeaseRowError(`client identifier of ${bytes.length} bytes is too long`);
  }
  return bytes;
}

/**
 * One lease as the memfile store files it, reused from row to row: the address as an unsigned
 * number, the hardware address's and client id's bytes (in this row's buffers, or a caller's
 * lease's own), the other fields as numbers. No object is made for a row in Kea's plain form.
 */
export class Lease4Row {
  address = 0;
  /** The row's own buffers (`hw` and `cid` may be a caller's lease's). */
  readonly hwBuf = new Uint8Array(MAX_HWADDR_LEN);
  readonly cidBuf = new Uint8Array(MAX_CLIENT_ID_LEN);
  hw: Uint8Array = this.hwBuf;
  /** -1 without a hardware address. */
  hwLen = -1;
  hwtype = 0;
  cid: Uint8Array = this.cidBuf;
  /** 0 without a client id. */
  cidLen = 0;
  validLifetime = 0;
  cltt = 0;
  subnetId = 0;
  fqdnFwd = false;
  fqdnRev = false;
  hostname = "";
  state = 0;
  userContext: JsonObject | null = null;
  poolId = 0;

  /** The values of a row read as text (readLease4Row). */
  fromValues(v: Lease4Values): void {
    this.address = v.key >>> 0;
    this.hw = this.hwBuf;
    this.hwLen = v.hw === null ? -1 : latin1Into(v.hw, this.hw);
    this.cid = this.cidBuf;
    this.cidLen = latin1Into(v.cid, this.cid);
    this.setFields(v);
    this.hwtype = v.hwtype;
  }

  /** A caller's lease (its address already in `address`); its identifiers are its own. */
  fromLease(lease: Lease4, userContext: JsonObject | null): void {
    const hw = lease.hwaddr;
    this.hw = hw === null ? this.hwBuf : hw.hwaddr;
    this.hwLen = hw === null ? -1 : hw.hwaddr.length;
    this.hwtype = hw === null ? 0 : hw.htype;
    this.cid = lease.clientId ?? this.cidBuf;
    this.cidLen = lease.clientId === null ? 0 : lease.clientId.length;
    this.setFields(lease);
    this.userContext = userContext;
  }

  private setFields(v: Lease4Values | Lease4): void {
    this.validLifetime = v.validLifetime;
    this.cltt = v.cltt;
    this.subnetId = v.subnetId;
    this.fqdnFwd = v.fqdnFwd;
    this.fqdnRev = v.fqdnRev;
    this.hostname = v.hostname;
    this.state = v.state;
    this.userContext = v.userContext;
    this.poolId = v.poolId;
  }
}

const FIELDS4 = new Int32Array(LEASE4_COLUMNS.length + 2);

/**
 * As readLease4Row, from the row's bytes (`buf` from `start` to `end`, no line feed) into `row`:
 * numbers and hex are read in place. A row not in the plain form Kea writes is read as text by
 * readLease4Row, which gives the reason of a bad one. Throws LeaseRowError.
 */
export function readLease4RowBytes(
  buf: Uint8Array,
  start: number,
  end: number,
  layout: Lease4FileLayout,
  row: Lease4Row,
): void {
  let e = end;
  if (e > start && buf[e - 1] === 13) e--;
  if (!readPlain4(buf, start, e, layout, row)) {
    row.fromValues(readLease4Row(latin1Of(buf.subarray(start, end)), layout));
  }
}

function readPlain4(
  b: Uint8Array,
  start: number,
  end: number,
  layout: Lease4FileLayout,
  row: Lease4Row,
): boolean {
  const f = FIELDS4;
  const n = fieldsAt(b, start, end, f, LEASE4_COLUMNS.length + 1);
  if (n < layout.knownCount || n > Math.max(layout.headerCount, LEASE4_COLUMNS.length)) {
    return false;
  }
  const address = ipv4At(b, f[0]!, f[1]! - 1);
  if (address < 0) return false;
  row.hw = row.hwBuf;
  let hwLen = -1;
  if (f[2]! - 1 > f[1]!) {
    hwLen = colonHexAt(b, f[1]!, f[2]! - 1, row.hw, MAX_HWADDR_LEN);
    if (hwLen <= 0) return false;
  }
  row.cid = row.cidBuf;
  let cidLen = 0;
  if (f[3]! - 1 > f[2]!) {
    cidLen = colonHexAt(b, f[2]!, f[3]! - 1, row.cid, MAX_CLIENT_ID_LEN);
    if (cidLen <= 0) return false;
  }
  const valid = uintAt(b, f[3]!, f[4]! - 1, 0xffffffff);
  const expire = uintAt(b, f[4]!, f[5]! - 1, Number.MAX_SAFE_INTEGER);
  const subnetId = uintAt(b, f[5]!, f[6]! - 1, 0xffffffff);
  const fwd = boolAt(b, f[6]!, f[7]! - 1);
  const rev = boolAt(b, f[7]!, f[8]! - 1);
  if (valid < 0 || expire < 0 || subnetId < 0 || fwd < 0 || rev < 0) return false;
  const hs = f[8]!;
  const he = f[9]! - 1;
  const hostname = he === hs ? "" : asciiLower(readText(latin1Of(b.subarray(hs, he))));
  const state = n > COL_STATE ? uintAt(b, f[COL_STATE]!, f[COL_STATE + 1]! - 1, 0xffffffff) : 0;
  const poolId =
    n > COL_POOL_ID ? uintAt(b, f[COL_POOL_ID]!, f[COL_POOL_ID + 1]! - 1, 0xffffffff) : 0;
  if (state < 0 || poolId < 0) return false;
  if (hwLen < 0 && cidLen === 0 && state !== LeaseState.DECLINED) return false;
  const cs = n > COL_USER_CONTEXT ? f[COL_USER_CONTEXT]! : 0;
  const ce = n > COL_USER_CONTEXT ? f[COL_USER_CONTEXT + 1]! - 1 : 0;
  row.userContext = ce === cs ? null : readUserContext(latin1Of(b.subarray(cs, ce)));
  row.address = address;
  row.hwLen = hwLen;
  row.hwtype = hwLen < 0 ? 0 : HType.ETHER;
  row.cidLen = cidLen;
  row.validLifetime = valid;
  row.cltt = expire - valid;
  row.subnetId = subnetId;
  row.fqdnFwd = fwd === 1;
  row.fqdnRev = rev === 1;
  row.hostname = hostname;
  row.state = state;
  row.poolId = poolId;
  return true;
}

/** A dotted quad (1 to 3 digits, each at most 255) from `s` to `e` as a number; else -1. */
function ipv4At(b: Uint8Array, s: number, e: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = s; i < e; i++) {
    const c = b[i]!;
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      const d = c - 48;
      if (d < 0 || d > 9 || (digits > 0 && part === 0)) return -1;
      part = part * 10 + d;
      if (++digits > 3 || part > 255) return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}
