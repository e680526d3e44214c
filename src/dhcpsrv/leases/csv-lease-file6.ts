/**
 * Kea's DHCPv6 lease file format (memfile CSV), row by row: the v6 twin of csv-lease-file4.ts,
 * with the same escaping of `hostname` and `user_context` and the same JSON layout.
 *
 * Nestor writes the header Kea 2.2 writes (schema 4.0, `address` .. `hwaddr_source`), so Kea 2.2
 * loads Nestor's file as its own; Kea 3 upgrades it (`pool_id` 0). Nestor reads every v6 header
 * Kea has written: 1.0 (through `hostname`), 2.0 (`hwaddr`), 3.0 (`state`), 3.1
 * (`user_context`), 4.0 (Kea 2.2: `hwtype`, `hwaddr_source`) and 5.0 (`pool_id`, Kea 2.3.8 and
 * later), and drops columns it does not know, as Kea's VersionedCSVFile does.
 *
 * Encodings (isc-projects/kea src/lib/dhcpsrv/csv_lease_file6.cc, checked against Kea 2.2):
 * - `address`: RFC 5952 text; for a delegated prefix, the prefix, with its length in
 *   `prefix_len` (128 for addresses).
 * - `duid`: lower-case colon hex. A declined lease has Kea's empty DUID `00`; a row with no DUID,
 *   or with the empty DUID and another state, is a bad row (Kea: "Empty DUIDs are not allowed").
 * - `hwaddr`: colon hex without the type; `hwtype` and `hwaddr_source` are written only with a
 *   hardware address (all three empty without one). A row whose hardware address columns do not
 *   parse loads without a hardware address, as Kea does (it only warns).
 * - `expire` = cltt + valid_lifetime. A row with valid_lifetime 0 deletes the lease of its
 *   address; Kea writes it with the preferred lifetime 0 too, and expire = cltt.
 * - The hostname is kept with the case it has in the file: Kea assigns it after constructing the
 *   lease, so unlike v4 it is not lower-cased on load.
 */
import { HType, HWAddr, MAX_HWADDR_LEN } from "../../dhcp/hwaddr.ts";
import type { JsonObject } from "../../hooks/types.ts";
import { address6Key, address6OfKey } from "./address6-key.ts";
import {
  boolAt,
  colonHexAt,
  fieldsAt,
  latin1Into,
  latin1Of,
  uintAt,
  decodeHexLatin1,
  readBool,
  readText,
  readUint,
  readUserContext,
  stripCR,
} from "./csv-columns.ts";
import { LeaseFileFormatError, LeaseRowError } from "./lease-store.ts";
import { Lease6, LeaseState } from "./lease6.ts";
import * as out from "./row-bytes.ts";

/** Every v6 column Kea has defined, in file order. */
export const LEASE6_COLUMNS = [
  "address",
  "duid",
  "valid_lifetime",
  "expire",
  "subnet_id",
  "pref_lifetime",
  "lease_type",
  "iaid",
  "prefix_len",
  "fqdn_fwd",
  "fqdn_rev",
  "hostname",
  "hwaddr",
  "state",
  "user_context",
  "hwtype",
  "hwaddr_source",
  "pool_id",
] as const;

/** Columns Nestor writes (Kea 2.2's schema 4.0). */
export const LEASE6_WRITE_COLUMNS = 17;
/** The header Kea 2.2 writes, and Nestor with it. */
export const LEASE6_HEADER_2_2 = LEASE6_COLUMNS.slice(0, LEASE6_WRITE_COLUMNS).join(",");
/** The header Kea 2.3.8 and later write (schema 5.0). */
export const LEASE6_HEADER_3_0 = LEASE6_COLUMNS.join(",");
/** A header must name at least the columns through `hostname` (Kea's minimum valid columns). */
const MIN_VALID_COLUMNS = 12;
const COL_HWADDR = 12;
const COL_STATE = 13;
const COL_USER_CONTEXT = 14;
const COL_HWTYPE = 15;
const COL_HWADDR_SOURCE = 16;
const COL_POOL_ID = 17;
/** Kea's DUID::MAX_DUID_LEN: 128 bytes of identifier plus the 2-byte type. */
const MAX_DUID_LEN = 130;
const MAX_LEASE_TYPE = 2;

/** What the header of a file says about its rows. */
export interface Lease6FileLayout {
  /** Number of columns named in the header. */
  readonly headerCount: number;
  /** Number of leading header columns Nestor knows (the rest is dropped). */
  readonly knownCount: number;
  /** True when the header is not Kea 2.2's, so Kea would convert the file at start-up. */
  readonly needsConversion: boolean;
}

/** Checks a header line as Kea's VersionedCSVFile does; throws LeaseFileFormatError. */
export function parseLease6Header(line: string, file = ""): Lease6FileLayout {
  const names = stripCR(line).split(",");
  let known = 0;
  while (known < names.length && known < LEASE6_COLUMNS.length) {
    if (names[known] !== LEASE6_COLUMNS[known]) {
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
    needsConversion: names.length !== LEASE6_WRITE_COLUMNS,
  };
}

/**
 * One lease file row, with its line feed, in the Kea 2.2 layout. `deletion` makes the row that
 * deletes the lease: valid and preferred lifetimes 0, so expire = cltt.
 */
export function formatLease6Row(lease: Lease6, deletion = false): string {
  const w = out.rowScratch(lease.address);
  const hw = lease.hwaddr;
  const hwBytes = hw === null ? out.NO_BYTES : hw.hwaddr;
  writeLease6Fields(
    w,
    lease.duid,
    0,
    lease.duid.length,
    deletion ? 0 : lease.validLifetime,
    lease.cltt,
    lease.subnetId,
    deletion ? 0 : lease.preferredLifetime,
    lease.type,
    lease.iaid,
    lease.prefixLen,
    lease.fqdnFwd,
    lease.fqdnRev,
    lease.hostname,
    hwBytes,
    0,
    hwBytes.length,
    hw === null ? 0 : hw.htype,
    lease.hwaddrSource,
    lease.state,
    lease.userContext,
  );
  return w.toString();
}

/**
 * A row's columns after its address, through its line feed, in the Kea 2.2 layout, as bytes:
 * what the memfile store writes from its columns into the batch of the group commit. The
 * hardware type and source are written only with a hardware address of at least one byte.
 */
export function writeLease6Fields(
  w: out.RowBytes,
  duid: Uint8Array,
  duidOff: number,
  duidLen: number,
  validLifetime: number,
  cltt: number,
  subnetId: number,
  preferredLifetime: number,
  type: number,
  iaid: number,
  prefixLen: number,
  fqdnFwd: boolean,
  fqdnRev: boolean,
  hostname: string,
  hw: Uint8Array,
  hwOff: number,
  hwLen: number,
  hwtype: number,
  hwaddrSource: number,
  state: number,
  userContext: JsonObject | null,
): void {
  w.comma();
  w.colonHex(duid, duidOff, duidLen);
  out.writeLifetimes(w, validLifetime, cltt, subnetId);
  w.comma();
  w.number(preferredLifetime);
  w.comma();
  w.number(type);
  w.comma();
  w.number(iaid);
  w.comma();
  w.number(prefixLen);
  out.writeDns(w, fqdnFwd, fqdnRev, hostname);
  w.comma();
  w.colonHex(hw, hwOff, hwLen);
  out.writeStateContext(w, state, userContext);
  w.comma();
  if (hwLen > 0) {
    w.number(hwtype);
    w.comma();
    w.number(hwaddrSource);
  } else {
    w.comma();
  }
  w.newline();
}

/**
 * A row's values, in the form the memfile store keeps them: the address as its key
 * (address6-key.ts), the DUID and hardware address as latin1 text (one character per byte).
 */
export interface Lease6Values {
  key: string;
  duid: string;
  /** null without a hardware address. */
  hw: string | null;
  hwtype: number;
  hwaddrSource: number;
  validLifetime: number;
  cltt: number;
  subnetId: number;
  preferredLifetime: number;
  type: number;
  iaid: number;
  prefixLen: number;
  fqdnFwd: boolean;
  fqdnRev: boolean;
  /** As in the file (not lower-cased: Kea sets it after constructing the lease). */
  hostname: string;
  state: number;
  userContext: JsonObject | null;
  poolId: number;
}

/**
 * Parses one row (a line of a file read as latin1, without its line feed) into a lease. The
 * address comes out in RFC 5952 form. Throws LeaseRowError with Kea's kind of reason.
 */
export function parseLease6Row(line: string, layout: Lease6FileLayout): Lease6 {
  const v = readLease6Row(line, layout);
  const lease = new Lease6({
    address: address6OfKey(v.key),
    type: v.type,
    prefixLen: v.prefixLen,
    duid: Buffer.from(v.duid, "latin1"),
    iaid: v.iaid,
    preferredLifetime: v.preferredLifetime,
    validLifetime: v.validLifetime,
    cltt: v.cltt,
    subnetId: v.subnetId,
    poolId: v.poolId,
    fqdnFwd: v.fqdnFwd,
    fqdnRev: v.fqdnRev,
    hwaddr: v.hw === null ? null : new HWAddr(Buffer.from(v.hw, "latin1"), v.hwtype),
    hwaddrSource: v.hwaddrSource,
    state: v.state,
    userContext: v.userContext,
  });
  lease.hostname = v.hostname; // as Kea: after the constructor, so not lower-cased
  return lease;
}

/** As parseLease6Row, into the values a store keeps: no Lease6, no Buffer. */
export function readLease6Row(line: string, layout: Lease6FileLayout): Lease6Values {
  const f = stripCR(line).split(",");
  const n = f.length;
  if (n < layout.knownCount) {
    throw new LeaseRowError(`${n} columns, the header needs at least ${layout.knownCount}`);
  }
  if (n > Math.max(layout.headerCount, LEASE6_COLUMNS.length)) {
    throw new LeaseRowError(`${n} columns, more than the header's ${layout.headerCount}`);
  }
  const key = address6Key(f[0]!);
  if (key === null) throw new LeaseRowError(`'${f[0]!}' is not an IPv6 address`);
  const duid = readDuid(f[1]!);
  const validLifetime = readUint(f[2]!, "valid_lifetime", 0xffffffff);
  const expire = readUint(f[3]!, "expire", Number.MAX_SAFE_INTEGER);
  const subnetId = readUint(f[4]!, "subnet_id", 0xffffffff);
  const preferredLifetime = readUint(f[5]!, "pref_lifetime", 0xffffffff);
  const type = readUint(f[6]!, "lease_type", MAX_LEASE_TYPE);
  const iaid = readUint(f[7]!, "iaid", 0xffffffff);
  const prefixLen = readUint(f[8]!, "prefix_len", 128);
  const fqdnFwd = readBool(f[9]!, "fqdn_fwd");
  const fqdnRev = readBool(f[10]!, "fqdn_rev");
  const hostname = readText(f[11]!);
  // Columns are positional, as in Kea: an older file's rows are shorter (defaults fill them).
  const col = (i: number): string => (n > i ? f[i]! : "");
  let hw = readHWAddr(col(COL_HWADDR));
  let hwtype = 0;
  let hwaddrSource = 0;
  if (hw !== null) {
    try {
      const t = col(COL_HWTYPE);
      const src = col(COL_HWADDR_SOURCE);
      hwtype = t === "" ? HType.ETHER : readUint(t, "hwtype", 0xffff);
      hwaddrSource = src === "" ? 0 : readUint(src, "hwaddr_source", 0xffffffff);
    } catch {
      // Kea only warns: the lease loads without a hardware address.
      hw = null;
      hwtype = 0;
      hwaddrSource = 0;
    }
  }
  const state = readUint(n > COL_STATE ? f[COL_STATE]! : "0", "state", 0xffffffff);
  const userContext = readUserContext(col(COL_USER_CONTEXT));
  const poolId = readUint(n > COL_POOL_ID ? f[COL_POOL_ID]! : "0", "pool_id", 0xffffffff);
  if (duid === "\x00" && state !== LeaseState.DECLINED) {
    throw new LeaseRowError(`lease ${address6OfKey(key)} has the empty DUID and is not declined`);
  }
  return {
    key,
    duid,
    hw,
    hwtype,
    hwaddrSource,
    validLifetime,
    cltt: expire - validLifetime,
    subnetId,
    preferredLifetime,
    type,
    iaid,
    prefixLen,
    fqdnFwd,
    fqdnRev,
    hostname,
    state,
    userContext,
    poolId,
  };
}

function readDuid(text: string): string {
  if (text === "") throw new LeaseRowError("empty DUIDs are not allowed");
  const bytes = decodeHexLatin1(text);
  if (bytes === null || bytes.length === 0) throw new LeaseRowError(`'${text}' is not a DUID`);
  if (bytes.length > MAX_DUID_LEN) {
    throw new LeaseRowError(`DUID of ${bytes.length} bytes is longer than ${MAX_DUID_LEN}`);
  }
  return bytes;
}

/** The hardware address's bytes as latin1; null when absent or unreadable (Kea only warns). */
function readHWAddr(text: string): string | null {
  if (text === "") return null;
  const bytes = decodeHexLatin1(text);
  return bytes === null || bytes.length === 0 || bytes.length > MAX_HWADDR_LEN ? null : bytes;
}

/**
 * One lease as the memfile store files it, reused from row to row: the address's 16 bytes, the
 * DUID's and hardware address's bytes (in this row's buffers, or a caller's lease's own), and
 * the other fields as numbers. No object is made for a row read in Kea's plain form.
 */
export class Lease6Row {
  readonly addr = new Uint8Array(16);
  duid: Uint8Array = new Uint8Array(MAX_DUID_LEN);
  duidLen = 0;
  hw: Uint8Array = new Uint8Array(MAX_HWADDR_LEN);
  /** -1 without a hardware address. */
  hwLen = -1;
  hwtype = 0;
  hwaddrSource = 0;
  validLifetime = 0;
  cltt = 0;
  subnetId = 0;
  preferredLifetime = 0;
  type = 0;
  iaid = 0;
  prefixLen = 0;
  fqdnFwd = false;
  fqdnRev = false;
  hostname = "";
  state = 0;
  userContext: JsonObject | null = null;
  poolId = 0;
  /** The row's own buffers (`duid` and `hw` may be a caller's lease's). */
  readonly duidBuf = this.duid;
  readonly hwBuf = this.hw;

  /** The values of a row read as text (readLease6Row). */
  fromValues(v: Lease6Values): void {
    const a = this.addr;
    for (let i = 0; i < 16; i++) a[i] = v.key.charCodeAt(i);
    this.duid = this.duidBuf;
    this.duidLen = latin1Into(v.duid, this.duid);
    this.hw = this.hwBuf;
    this.hwLen = v.hw === null ? -1 : latin1Into(v.hw, this.hw);
    this.setFields(v);
  }

  /** A caller's lease (its address already in `addr`); its DUID and hwaddr bytes are its own. */
  fromLease(lease: Lease6, userContext: JsonObject | null): void {
    this.duid = lease.duid;
    this.duidLen = lease.duid.length;
    const hw = lease.hwaddr;
    this.hw = hw === null ? this.hwBuf : hw.hwaddr;
    this.hwLen = hw === null ? -1 : hw.hwaddr.length;
    this.setFields(lease);
    this.hwtype = hw === null ? 0 : hw.htype;
    this.userContext = userContext;
  }

  private setFields(v: Lease6Values | Lease6): void {
    this.hwtype = "hwtype" in v ? v.hwtype : 0;
    this.hwaddrSource = v.hwaddrSource;
    this.validLifetime = v.validLifetime;
    this.cltt = v.cltt;
    this.subnetId = v.subnetId;
    this.preferredLifetime = v.preferredLifetime;
    this.type = v.type;
    this.iaid = v.iaid;
    this.prefixLen = v.prefixLen;
    this.fqdnFwd = v.fqdnFwd;
    this.fqdnRev = v.fqdnRev;
    this.hostname = v.hostname;
    this.state = v.state;
    this.userContext = v.userContext;
    this.poolId = v.poolId;
  }
}

/** Field starts of the row being read: field i is from FIELDS[i] to FIELDS[i + 1] - 1. */
const FIELDS = new Int32Array(LEASE6_COLUMNS.length + 2);
const GROUPS = new Uint16Array(8);

/**
 * As readLease6Row, from the row's bytes (`buf` from `start` to `end`, no line feed) into `row`:
 * numbers and hex are read in place. A row not in the plain form Kea writes (another spelling of
 * an address or of hex, a bad field) is read as text by readLease6Row, which gives the reason of
 * a bad one. Throws LeaseRowError.
 */
export function readLease6RowBytes(
  buf: Uint8Array,
  start: number,
  end: number,
  layout: Lease6FileLayout,
  row: Lease6Row,
): void {
  let e = end;
  if (e > start && buf[e - 1] === 13) e--;
  if (!readPlain6(buf, start, e, layout, row)) {
    row.fromValues(readLease6Row(latin1Of(buf.subarray(start, end)), layout));
  }
}

function readPlain6(
  b: Uint8Array,
  start: number,
  end: number,
  layout: Lease6FileLayout,
  row: Lease6Row,
): boolean {
  const f = FIELDS;
  const n = fieldsAt(b, start, end, f, LEASE6_COLUMNS.length + 1);
  if (n < layout.knownCount || n > Math.max(layout.headerCount, LEASE6_COLUMNS.length)) {
    return false;
  }
  if (!ipv6At(b, f[0]!, f[1]! - 1, row.addr)) return false;
  row.duid = row.duidBuf;
  const duidLen = colonHexAt(b, f[1]!, f[2]! - 1, row.duid, MAX_DUID_LEN);
  if (duidLen <= 0) return false;
  row.duidLen = duidLen;
  const valid = uintAt(b, f[2]!, f[3]! - 1, 0xffffffff);
  const expire = uintAt(b, f[3]!, f[4]! - 1, Number.MAX_SAFE_INTEGER);
  const subnetId = uintAt(b, f[4]!, f[5]! - 1, 0xffffffff);
  const pref = uintAt(b, f[5]!, f[6]! - 1, 0xffffffff);
  const type = uintAt(b, f[6]!, f[7]! - 1, MAX_LEASE_TYPE);
  const iaid = uintAt(b, f[7]!, f[8]! - 1, 0xffffffff);
  const prefixLen = uintAt(b, f[8]!, f[9]! - 1, 128);
  const fwd = boolAt(b, f[9]!, f[10]! - 1);
  const rev = boolAt(b, f[10]!, f[11]! - 1);
  if (valid < 0 || expire < 0 || subnetId < 0 || pref < 0 || iaid < 0) return false;
  if (type < 0 || prefixLen < 0 || fwd < 0 || rev < 0) return false;
  const hs = f[11]!;
  const he = f[12]! - 1;
  const hostname = he === hs ? "" : readText(latin1Of(b.subarray(hs, he)));
  row.hw = row.hwBuf;
  let hwLen = -1;
  let hwtype = 0;
  let hwaddrSource = 0;
  if (n > COL_HWADDR && f[COL_HWADDR + 1]! - 1 > f[COL_HWADDR]!) {
    hwLen = colonHexAt(b, f[COL_HWADDR]!, f[COL_HWADDR + 1]! - 1, row.hw, MAX_HWADDR_LEN);
    if (hwLen <= 0) return false;
    const ts = n > COL_HWTYPE ? f[COL_HWTYPE]! : 0;
    const te = n > COL_HWTYPE ? f[COL_HWTYPE + 1]! - 1 : 0;
    hwtype = te === ts ? HType.ETHER : uintAt(b, ts, te, 0xffff);
    const ss = n > COL_HWADDR_SOURCE ? f[COL_HWADDR_SOURCE]! : 0;
    const se = n > COL_HWADDR_SOURCE ? f[COL_HWADDR_SOURCE + 1]! - 1 : 0;
    hwaddrSource = se === ss ? 0 : uintAt(b, ss, se, 0xffffffff);
    if (hwtype < 0 || hwaddrSource < 0) return false;
  }
  const state = n > COL_STATE ? uintAt(b, f[COL_STATE]!, f[COL_STATE + 1]! - 1, 0xffffffff) : 0;
  if (state < 0) return false;
  if (duidLen === 1 && row.duid[0] === 0 && state !== LeaseState.DECLINED) return false;
  const cs = n > COL_USER_CONTEXT ? f[COL_USER_CONTEXT]! : 0;
  const ce = n > COL_USER_CONTEXT ? f[COL_USER_CONTEXT + 1]! - 1 : 0;
  const userContext = ce === cs ? null : readUserContext(latin1Of(b.subarray(cs, ce)));
  const poolId =
    n > COL_POOL_ID ? uintAt(b, f[COL_POOL_ID]!, f[COL_POOL_ID + 1]! - 1, 0xffffffff) : 0;
  if (poolId < 0) return false;
  row.hwLen = hwLen;
  row.hwtype = hwtype;
  row.hwaddrSource = hwaddrSource;
  row.validLifetime = valid;
  row.cltt = expire - valid;
  row.subnetId = subnetId;
  row.preferredLifetime = pref;
  row.type = type;
  row.iaid = iaid;
  row.prefixLen = prefixLen;
  row.fqdnFwd = fwd === 1;
  row.fqdnRev = rev === 1;
  row.hostname = hostname;
  row.state = state;
  row.userContext = userContext;
  row.poolId = poolId;
  return true;
}

function hexAt(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * An IPv6 address in hex groups (with at most one "::", no dotted IPv4 tail) from `s` to `e`
 * into `out`; false for any other text (the caller reads the row as text).
 */
function ipv6At(b: Uint8Array, s: number, e: number, out: Uint8Array): boolean {
  if (e - s < 2 || e - s > 39) return false;
  const g = GROUPS;
  let groups = 0;
  let gap = -1;
  let i = s;
  if (b[i] === 58) {
    if (b[i + 1] !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < e) {
    let v = 0;
    let digits = 0;
    for (; i < e && digits < 5; i++, digits++) {
      const d = hexAt(b[i]!);
      if (d < 0) break;
      v = v * 16 + d;
    }
    if (digits === 0 || digits > 4 || groups === 8) return false;
    g[groups++] = v;
    if (i === e) break;
    if (b[i] !== 58) return false;
    i++;
    if (i < e && b[i] === 58) {
      if (gap >= 0) return false;
      gap = groups;
      i++;
    } else if (i === e) {
      return false;
    }
  }
  if (gap < 0 ? groups !== 8 : groups > 7) return false;
  const zeros = gap < 0 ? 0 : 8 - groups;
  let k = 0;
  for (let j = 0; j <= groups; j++) {
    if (j === gap) for (let z = 0; z < zeros; z++, k += 2) out[k] = out[k + 1] = 0;
    if (j === groups) break;
    out[k++] = g[j]! >> 8;
    out[k++] = g[j]! & 0xff;
  }
  return true;
}
