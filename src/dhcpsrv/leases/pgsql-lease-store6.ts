/**
 * Kea's PostgreSQL lease database for DHCPv6 (`lease-database` with `"type": "postgresql"` in
 * Dhcp6), in the `lease6` table of Kea 2.2's schema (made by `kea-admin db-init pgsql`), so that
 * Kea 2.2's kea-dhcp6 and nestor-dhcp6 read each other's rows: addresses (IA_NA, type 0),
 * temporary addresses (IA_TA, 1) and delegated prefixes (IA_PD, 2).
 *
 * The columns as Kea 2.2 writes and reads them:
 *   address         the address, or the prefix's first address, as text (RFC 5952)
 *   duid            the client's DUID (the one byte 00 for a declined lease)
 *   iaid            the IAID as a signed 32-bit INT (2^31 and above stored negative)
 *   lease_type      0, 1, 2;  prefix_len  128 for addresses
 *   valid_lifetime, pref_lifetime;  expire = cltt + valid_lifetime (a timestamp), the cltt
 *                   itself for an infinite lease (valid_lifetime 4294967295)
 *   hwaddr          the bytes, empty (not NULL) when none; hwtype and hwaddr_source 0 then
 *   user_context    the JSON text, empty when none
 *
 * The rest is the v4 store's (pgsql-lease-store4.ts), through pgsql-store-base.ts: the leases
 * in memory (an in-memory MemfileLeaseStore6) loaded at open and at reconfiguration, changes
 * queued and committed in one statement per batch (the replies leave once committed), a row
 * written only when the table still holds what this server knew of it (the same DUID, IAID and
 * type), an expired or reclaimed lease, or nothing, so that between servers the primary key
 * (address) decides; the addresses lost that way are reported by `flush()` and their replies
 * not sent. Servers sharing the table tell each other what they wrote on the `nestor_lease6`
 * channel.
 */
import { HWAddr } from "../../dhcp/hwaddr.ts";
import type { JsonObject } from "../../hooks/types.ts";
import type { DbAccess } from "../db/db-access.ts";
import { address6Key, address6OfKey } from "./address6-key.ts";
import type { LostLeases } from "./lease-store.ts";
import type { LeaseCursor6, LeaseStats6Row, LeaseStore6 } from "./lease-store6.ts";
import { INFINITY_LFT, Lease6, LeaseState } from "./lease6.ts";
import { MemfileLeaseStore6 } from "./memfile-lease-store6.ts";
import {
  dbExpire,
  notifySql,
  type PendingRow,
  PgsqlStoreBase,
  type PgsqlStoreNames,
  type PgsqlStoreOptions,
  userContextOf,
} from "./pgsql-store-base.ts";

/** One queued row: the lease to store (null: delete) and the client this server knew there. */
interface Pending6 extends PendingRow<string, Lease6> {
  /** The DUID, IAID and type the table held for this address as this server knew it. */
  oldDuid: Buffer | null;
  oldIaid: number | null;
  oldType: number | null;
}

/** The channel on which Nestor servers sharing the lease6 table tell each other what they wrote. */
export const NOTIFY_CHANNEL6 = "nestor_lease6";
/** The names on the database: channel, listening connections (how servers find each other). */
const NAMES6: PgsqlStoreNames = {
  channel: NOTIFY_CHANNEL6,
  listenApplication: "nestor-lease6-listen",
  applicationName: "nestor-dhcp6",
  family: 6,
};

/**
 * The condition under which this server may overwrite (or delete) the row `l`: an infinite
 * lease's `expire` is its cltt (Kea's convention), it never expires.
 */
const MAY_WRITE = (v: string) => `(
    (l.expire < now() AND l.valid_lifetime <> ${INFINITY_LFT})
    OR l.state = ${LeaseState.EXPIRED_RECLAIMED}
    OR (l.duid IS NOT DISTINCT FROM ${v}.old_duid AND l.iaid IS NOT DISTINCT FROM ${v}.old_iaid
        AND l.lease_type IS NOT DISTINCT FROM ${v}.old_type))`;

const UPSERT6 = `
WITH v AS (
  SELECT * FROM unnest($1::varchar[], $2::bytea[], $3::bigint[], $4::bigint[], $5::bigint[],
    $6::bigint[], $7::smallint[], $8::int[], $9::smallint[], $10::boolean[], $11::boolean[],
    $12::varchar[], $13::bytea[], $14::smallint[], $15::smallint[], $16::bigint[], $17::text[],
    $18::bytea[], $19::int[], $20::smallint[])
    AS t(address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid,
         prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state,
         user_context, old_duid, old_iaid, old_type)
), upd AS (
  UPDATE lease6 l SET duid = v.duid, valid_lifetime = v.valid_lifetime,
    expire = to_timestamp(v.expire), subnet_id = v.subnet_id, pref_lifetime = v.pref_lifetime,
    lease_type = v.lease_type, iaid = v.iaid, prefix_len = v.prefix_len, fqdn_fwd = v.fqdn_fwd,
    fqdn_rev = v.fqdn_rev, hostname = v.hostname, hwaddr = v.hwaddr, hwtype = v.hwtype,
    hwaddr_source = v.hwaddr_source, state = v.state, user_context = v.user_context
  FROM v
  WHERE l.address = v.address AND ${MAY_WRITE("v")}
  RETURNING l.address
), ins AS (
  INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime,
    lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source,
    state, user_context)
  SELECT v.address, v.duid, v.valid_lifetime, to_timestamp(v.expire), v.subnet_id,
    v.pref_lifetime, v.lease_type, v.iaid, v.prefix_len, v.fqdn_fwd, v.fqdn_rev, v.hostname,
    v.hwaddr, v.hwtype, v.hwaddr_source, v.state, v.user_context
  FROM v WHERE NOT EXISTS (SELECT 1 FROM lease6 l WHERE l.address = v.address)
  ON CONFLICT (address) DO NOTHING
  RETURNING address
), done AS (SELECT address FROM upd UNION ALL SELECT address FROM ins)
SELECT array_agg(address) AS written, ${notifySql(NOTIFY_CHANNEL6, "$21", "address")} AS notified
FROM done`;

const DELETE6 = `
WITH gone AS (
  DELETE FROM lease6 l
  USING unnest($1::varchar[], $2::bytea[], $3::int[], $4::smallint[])
    AS d(address, old_duid, old_iaid, old_type)
  WHERE l.address = d.address AND ${MAY_WRITE("d")}
  RETURNING l.address
)
SELECT ${notifySql(NOTIFY_CHANNEL6, "$5", "address")} FROM gone`;

export const SELECT6 =
  "SELECT address, duid, valid_lifetime, extract(epoch from expire)::bigint AS expire, " +
  "subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, " +
  "hwaddr, hwtype, hwaddr_source, state, user_context FROM lease6";

/** The RFC 5952 text of an address as the table holds it (the text itself if not an address). */
export function canonical6(text: string): string {
  const key = address6Key(text);
  return key === null ? text : address6OfKey(key);
}

/** A lease6 row as Nestor's Lease6 (Kea's conversions: cltt from expire, IAID unsigned). */
export function leaseFromRow6(row: Record<string, unknown>): Lease6 {
  const valid = Number(row["valid_lifetime"]);
  const hw = row["hwaddr"] as Buffer | null;
  const hasHw = hw !== null && hw.length > 0;
  const lease = new Lease6({
    address: canonical6(String(row["address"])),
    type: Number(row["lease_type"] ?? 0),
    prefixLen: Number(row["prefix_len"] ?? 128),
    duid: (row["duid"] as Buffer | null) ?? Buffer.alloc(0),
    iaid: Number(row["iaid"] ?? 0) >>> 0,
    preferredLifetime: Number(row["pref_lifetime"] ?? 0),
    validLifetime: valid,
    cltt: valid === INFINITY_LFT ? Number(row["expire"]) : Number(row["expire"]) - valid,
    subnetId: Number(row["subnet_id"]),
    fqdnFwd: row["fqdn_fwd"] === true,
    fqdnRev: row["fqdn_rev"] === true,
    hwaddr: hasHw ? new HWAddr(hw, Number(row["hwtype"] ?? 0)) : null,
    hwaddrSource: hasHw ? Number(row["hwaddr_source"] ?? 0) : 0,
    state: Number(row["state"] ?? 0),
    userContext: userContextOf<JsonObject>(row["user_context"]),
  });
  // As stored (Kea does not lower-case a hostname it reads).
  lease.hostname = (row["hostname"] as string | null) ?? "";
  return lease;
}

const EMPTY = Buffer.alloc(0);
const TYPES = [0, 1, 2];

export class PgsqlLeaseStore6
  extends PgsqlStoreBase<string, Lease6, Pending6, MemfileLeaseStore6>
  implements LeaseStore6
{
  private constructor(db: DbAccess, options: PgsqlStoreOptions) {
    super(db, options, NAMES6, MemfileLeaseStore6.open({ persist: false }));
  }

  /**
   * Opens the database: connects, checks Kea's schema version (13.0) and loads every lease6 row
   * into memory. Throws when the database cannot be reached or its schema is not Kea 2.2's.
   */
  static open(db: DbAccess, options: PgsqlStoreOptions = {}): Promise<PgsqlLeaseStore6> {
    return new PgsqlLeaseStore6(db, options).started(options);
  }

  protected readonly selectAll = SELECT6;
  protected readonly keyType = "varchar";

  protected fromRow(row: Record<string, unknown>): Lease6 {
    return leaseFromRow6(row);
  }

  protected keyOf(lease: Lease6): string {
    return lease.address;
  }

  protected heldKeys(): string[] {
    return this.mem.getAllLeases6().map((l) => l.address);
  }

  /** Files a row's lease in memory; false when it is not one a lease store can hold. */
  protected hold(lease: Lease6): boolean {
    try {
      if (this.anyLease(lease.address) === null) this.mem.addLease6(lease);
      else this.mem.updateLease6(lease);
      return true;
    } catch {
      return false;
    }
  }

  protected forget(address: string): void {
    const cur = this.anyLease(address);
    if (cur !== null) this.mem.deleteLease6(cur);
  }

  /** The lease of an address whatever its type (the table's key is the address alone). */
  anyLease(address: string): Lease6 | null {
    for (const t of TYPES) {
      const l = this.mem.getLease6(t, address);
      if (l !== null) return l;
    }
    return null;
  }

  protected keyOfText(text: string): string {
    return canonical6(text);
  }

  protected lostOf(keys: readonly string[]): LostLeases {
    return new Set(keys);
  }

  // ---- lookups: the in-memory copy -------------------------------------------------------

  getLease6(type: number, address: string): Lease6 | null {
    return this.mem.getLease6(type, address);
  }
  getLeases6ByDuidIaid(type: number, duid: Uint8Array, iaid: number): Lease6[] {
    return this.mem.getLeases6ByDuidIaid(type, duid, iaid);
  }
  getLeases6ByDuidIaidSubnet(
    type: number,
    duid: Uint8Array,
    iaid: number,
    subnetId: number,
  ): Lease6[] {
    return this.mem.getLeases6ByDuidIaidSubnet(type, duid, iaid, subnetId);
  }
  getLeases6ByDuid(duid: Uint8Array): Lease6[] {
    return this.mem.getLeases6ByDuid(duid);
  }
  getLeases6BySubnet(subnetId: number): Lease6[] {
    return this.mem.getLeases6BySubnet(subnetId);
  }

  eachLease6InSubnet(subnetId: number): Iterable<Lease6> {
    return this.mem.eachLease6InSubnet(subnetId);
  }

  visitLeases6InSubnet(subnetId: number, visit: (lease: LeaseCursor6) => void): void {
    this.mem.visitLeases6InSubnet(subnetId, visit);
  }
  getAllLeases6(): Lease6[] {
    return this.mem.getAllLeases6();
  }
  getLeases6ByHostname(hostname: string): Lease6[] {
    return this.mem.getLeases6ByHostname(hostname);
  }
  getLeases6Page(after: string | null, limit: number): Lease6[] {
    return this.mem.getLeases6Page(after, limit);
  }
  getExpiredLeases6(now: number, max: number): Lease6[] {
    return this.mem.getExpiredLeases6(now, max);
  }
  countLeases6(subnetId: number, type: number, state: number): number {
    return this.mem.countLeases6(subnetId, type, state);
  }
  leaseStats6(): LeaseStats6Row[] {
    return this.mem.leaseStats6();
  }

  // ---- changes: in memory now, in the table at the next flush --------------------------------

  private queueRow(address: string, lease: Lease6 | null, old: Lease6 | null): void {
    const prev = this.queue.get(address);
    if (prev !== undefined) {
      prev.lease = lease;
      return;
    }
    this.queue.set(address, {
      key: address,
      lease,
      oldDuid: old?.duid ?? null,
      oldIaid: old === null ? null : old.iaid | 0,
      oldType: old?.type ?? null,
    });
  }

  addLease6(lease: Lease6): boolean {
    if (!this.mem.addLease6(lease)) return false;
    const stored = this.mem.getLease6(lease.type, lease.address)!;
    // New to this server: the table may hold the same client's row (written by Kea, say).
    this.queueRow(stored.address, stored, stored);
    return true;
  }

  updateLease6(lease: Lease6): void {
    const old = this.anyLease(lease.address);
    this.mem.updateLease6(lease);
    const stored = this.mem.getLease6(lease.type, lease.address)!;
    this.queueRow(stored.address, stored, old);
  }

  deleteLease6(lease: Lease6): boolean {
    const old = this.anyLease(lease.address);
    if (old === null || !this.mem.deleteLease6(lease)) return false;
    this.queueRow(old.address, null, old);
    return true;
  }

  deleteExpiredReclaimedLeases6(now: number, secs: number): number {
    const doomed = this.mem
      .getAllLeases6()
      .filter((l) => l.state === LeaseState.EXPIRED_RECLAIMED && l.expire < now - secs);
    for (const l of doomed) this.deleteLease6(l);
    return doomed.length;
  }

  // ---- the statements ------------------------------------------------------------------------

  protected readonly statements = { name: "nestor_lease6", upsert: UPSERT6, remove: DELETE6 };

  protected upsertColumns(ups: Pending6[]): unknown[] {
    return upsertParams6(ups);
  }

  protected deleteColumns(dels: Pending6[]): unknown[] {
    return [
      dels.map((d) => d.key),
      dels.map((d) => d.oldDuid),
      dels.map((d) => d.oldIaid),
      dels.map((d) => d.oldType),
    ];
  }
}

function upsertParams6(ups: Pending6[]): unknown[] {
  const cols: unknown[][] = Array.from({ length: 20 }, () => []);
  for (const p of ups) {
    const l = p.lease!;
    const hw = l.hwaddr !== null && l.hwaddr.hwaddr.length > 0 ? l.hwaddr : null;
    cols[0]!.push(p.key);
    cols[1]!.push(l.duid);
    cols[2]!.push(l.validLifetime);
    cols[3]!.push(dbExpire(l));
    cols[4]!.push(l.subnetId);
    cols[5]!.push(l.preferredLifetime);
    cols[6]!.push(l.type);
    // Kea's IAID union: the unsigned IAID in a signed INT column.
    cols[7]!.push(l.iaid | 0);
    cols[8]!.push(l.prefixLen);
    cols[9]!.push(l.fqdnFwd);
    cols[10]!.push(l.fqdnRev);
    cols[11]!.push(l.hostname);
    // As Kea: an empty value, not NULL, and type and source 0 when there is no hardware address.
    cols[12]!.push(hw === null ? EMPTY : hw.hwaddr);
    cols[13]!.push(l.hwaddr === null ? 0 : l.hwaddr.htype);
    cols[14]!.push(l.hwaddr === null ? 0 : l.hwaddrSource);
    cols[15]!.push(l.state);
    cols[16]!.push(l.userContext === null ? "" : JSON.stringify(l.userContext));
    cols[17]!.push(p.oldDuid);
    cols[18]!.push(p.oldIaid);
    cols[19]!.push(p.oldType);
  }
  return cols;
}
