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
import { toColonHex } from "../../dhcp/ioaddress.ts";
import type { JsonObject } from "../../hooks/types.ts";
import { address6Key, address6OfKey } from "./address6-key.ts";
import {
  decodeHexLatin1,
  escapeField,
  readBool,
  readText,
  readUint,
  readUserContext,
  stripCR,
} from "./csv-columns.ts";
import { keaJsonText } from "./csv-columns.ts";
import { LeaseFileFormatError, LeaseRowError } from "./lease-store.ts";
import { Lease6, LeaseState } from "./lease6.ts";

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
  const valid = deletion ? 0 : lease.validLifetime;
  const pref = deletion ? 0 : lease.preferredLifetime;
  const host = lease.hostname === "" ? "" : escapeField(lease.hostname);
  const ctx = lease.userContext === null ? "" : escapeField(keaJsonText(lease.userContext));
  const hw = lease.hwaddr;
  const hasHw = hw !== null && hw.hwaddr.length > 0;
  const hwText = hasHw ? toColonHex(hw.hwaddr) : "";
  const hwTail = hasHw ? `${hw.htype},${lease.hwaddrSource}` : ",";
  return (
    `${lease.address},${toColonHex(lease.duid)},${valid},${lease.cltt + valid},` +
    `${lease.subnetId},${pref},${lease.type},${lease.iaid},${lease.prefixLen},` +
    `${lease.fqdnFwd ? 1 : 0},${lease.fqdnRev ? 1 : 0},${host},${hwText},${lease.state},${ctx},${hwTail}\n`
  );
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
