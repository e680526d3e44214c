/**
 * Kea's PostgreSQL lease database for DHCPv4 (`lease-database` with `"type": "postgresql"`), in
 * the `lease4` table of Kea 2.2's schema (made by `kea-admin db-init pgsql`), so that Kea 2.2 and
 * Nestor read each other's rows.
 *
 * The leases live in memory, in the same indexes as memfile (an in-memory MemfileLeaseStore4,
 * loaded from the table at open): lookups stay synchronous. Every change applies in memory at
 * once and queues its row; `flush()` writes the queue in one statement (one round trip, one
 * transaction: an upsert of every new or changed row, a delete only when the batch deletes) and
 * resolves once PostgreSQL committed it. The server sends a batch's replies only then.
 *
 * Several servers on one table (active/active, same pools): a row is written only if the table
 * still holds what this server knew of it (the same client), or an expired or reclaimed lease,
 * or nothing; the primary key (address) decides between two servers inserting at once. A row
 * refused that way is a lease another server took: `flush()` reports its address as lost, the
 * in-memory copy is replaced by the table's row, and the server does not send the reply that
 * would have granted it.
 *
 * A failed commit (connection lost) keeps the queued rows, in order, for the next flush, as
 * memfile does with a failed append; the reconnect policy of db-access.ts runs meanwhile.
 *
 * The group commit, the notifications between servers and the reconnect wiring are shared with
 * the DHCPv6 store (pgsql-store-base.ts); this module holds what is the lease4 table's.
 */
import type { HWAddr } from "../../dhcp/hwaddr.ts";
import { HWAddr as HWAddrClass } from "../../dhcp/hwaddr.ts";
import { ipv4FromString, ipv4ToString } from "../../dhcp/ioaddress.ts";
import type { JsonObject } from "../../hooks/types.ts";
import type { DbAccess } from "../db/db-access.ts";
import { INFINITY_LFT, Lease4, LeaseState } from "./lease4.ts";
import type { LeaseCursor4, LeaseStatsRow, LeaseStore4, LostLeases } from "./lease-store4.ts";
import { MemfileLeaseStore4 } from "./memfile-lease-store4.ts";
import {
  dbExpire,
  notifySql,
  type PendingRow,
  PgsqlStoreBase,
  type PgsqlStoreNames,
  type PgsqlStoreOptions,
  userContextOf,
} from "./pgsql-store-base.ts";

export { isTransientConflict, MAX_DB_TIME, type PgsqlStoreOptions } from "./pgsql-store-base.ts";

/** One queued row: the lease to store (null: delete) and the client it replaced. */
interface Pending extends PendingRow<number, Lease4> {
  /** What the table held for this address as this server knew it (null: nothing). */
  oldHw: Buffer | null;
  oldCid: Buffer | null;
}

/**
 * The channel on which Nestor servers sharing the table tell each other which addresses they
 * wrote ("<server token> <address>,<address>..." or "<token> *" for a large batch: read all).
 */
export const NOTIFY_CHANNEL = "nestor_lease4";
/** The names on the database: channel, listening connections (how servers find each other). */
const NAMES4: PgsqlStoreNames = {
  channel: NOTIFY_CHANNEL,
  listenApplication: "nestor-lease4-listen",
  applicationName: "nestor-dhcp4",
  family: 4,
};

const COLUMNS =
  "address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context";

/**
 * The batch upsert: rows from arrays; a row is updated only when the table holds the client this
 * server knew (or an expired/reclaimed lease), inserted only when the address is free. Returns
 * the addresses written.
 */
const UPSERT = `
WITH v AS (
  SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[], $4::bigint[], $5::bigint[],
    $6::bigint[], $7::boolean[], $8::boolean[], $9::varchar[], $10::bigint[], $11::text[],
    $12::bytea[], $13::bytea[])
    AS t(address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev,
         hostname, state, user_context, old_hw, old_cid)
), upd AS (
  UPDATE lease4 l SET hwaddr = v.hwaddr, client_id = v.client_id,
    valid_lifetime = v.valid_lifetime, expire = to_timestamp(v.expire), subnet_id = v.subnet_id,
    fqdn_fwd = v.fqdn_fwd, fqdn_rev = v.fqdn_rev, hostname = v.hostname, state = v.state,
    user_context = v.user_context
  FROM v
  WHERE l.address = v.address AND (
    (l.expire < now() AND l.valid_lifetime <> ${INFINITY_LFT}) OR l.state = ${LeaseState.EXPIRED_RECLAIMED}
    OR (coalesce(l.hwaddr, ''::bytea) = coalesce(v.old_hw, ''::bytea)
        AND coalesce(l.client_id, ''::bytea) = coalesce(v.old_cid, ''::bytea)))
  RETURNING l.address
), ins AS (
  INSERT INTO lease4 (${COLUMNS})
  SELECT v.address, v.hwaddr, v.client_id, v.valid_lifetime, to_timestamp(v.expire), v.subnet_id,
    v.fqdn_fwd, v.fqdn_rev, v.hostname, v.state, v.user_context
  FROM v WHERE NOT EXISTS (SELECT 1 FROM lease4 l WHERE l.address = v.address)
  ON CONFLICT (address) DO NOTHING
  RETURNING address
), done AS (SELECT address FROM upd UNION ALL SELECT address FROM ins)
SELECT array_agg(address) AS written, ${notifySql(NOTIFY_CHANNEL, "$14", "address")} AS notified
FROM done`;

const DELETE = `
WITH gone AS (
  DELETE FROM lease4 l USING unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS d(address, old_hw, old_cid)
  WHERE l.address = d.address AND (
    (l.expire < now() AND l.valid_lifetime <> ${INFINITY_LFT}) OR l.state = ${LeaseState.EXPIRED_RECLAIMED}
    OR (coalesce(l.hwaddr, ''::bytea) = coalesce(d.old_hw, ''::bytea)
        AND coalesce(l.client_id, ''::bytea) = coalesce(d.old_cid, ''::bytea)))
  RETURNING l.address
)
SELECT ${notifySql(NOTIFY_CHANNEL, "$4", "address")} FROM gone`;

export const SELECT =
  "SELECT address, hwaddr, client_id, valid_lifetime, extract(epoch from expire)::bigint AS expire, " +
  "subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context FROM lease4";

/** A lease4 row as Nestor's Lease4 (Kea's conversions: expire = cltt + valid). */
export function leaseFromRow4(row: Record<string, unknown>): Lease4 {
  const valid = Number(row["valid_lifetime"]);
  const expire = Number(row["expire"]);
  const hw = row["hwaddr"] as Buffer | null;
  const cid = row["client_id"] as Buffer | null;
  const userContext = userContextOf<JsonObject>(row["user_context"]);
  const lease = new Lease4({
    address: ipv4ToString(Number(row["address"])),
    hwaddr: hw === null || hw.length === 0 ? null : new HWAddrClass(hw),
    clientId: cid === null || cid.length === 0 ? null : cid,
    validLifetime: valid,
    // Kea 2.2 stores an infinite lease's cltt as its expire (no overflow).
    cltt: valid === INFINITY_LFT ? expire : expire - valid,
    subnetId: Number(row["subnet_id"]),
    fqdnFwd: row["fqdn_fwd"] === true,
    fqdnRev: row["fqdn_rev"] === true,
    state: Number(row["state"] ?? 0),
    userContext,
  });
  lease.hostname = (row["hostname"] as string | null) ?? "";
  return lease;
}

function hwOf(lease: Lease4 | null): Buffer | null {
  const hw = lease?.hwaddr;
  return hw === null || hw === undefined || hw.hwaddr.length === 0 ? null : hw.hwaddr;
}

export class PgsqlLeaseStore4
  extends PgsqlStoreBase<number, Lease4, Pending, MemfileLeaseStore4>
  implements LeaseStore4
{
  private constructor(db: DbAccess, options: PgsqlStoreOptions) {
    super(db, options, NAMES4, MemfileLeaseStore4.open({ persist: false }));
  }

  /**
   * Opens the database: connects, checks Kea's schema version (13.0) and loads every lease4 row
   * into memory. Throws when the database cannot be reached or its schema is not Kea 2.2's.
   */
  static open(db: DbAccess, options: PgsqlStoreOptions = {}): Promise<PgsqlLeaseStore4> {
    return new PgsqlLeaseStore4(db, options).started(options);
  }

  protected readonly selectAll = SELECT;
  protected readonly keyType = "bigint";

  protected fromRow(row: Record<string, unknown>): Lease4 {
    return leaseFromRow4(row);
  }

  protected keyOf(lease: Lease4): number {
    return ipv4FromString(lease.address);
  }

  protected heldKeys(): number[] {
    return this.mem.getAllLeases4().map((l) => ipv4FromString(l.address));
  }

  protected hold(lease: Lease4): boolean {
    if (this.mem.getLease4(lease.address) === null) return this.mem.addLease4(lease);
    this.mem.updateLease4(lease);
    return true;
  }

  protected forget(address: number): void {
    const cur = this.mem.getLease4(address);
    if (cur !== null) this.mem.deleteLease4(cur);
  }

  protected keyOfText(text: string): number {
    return Number(text);
  }

  protected lostOf(keys: readonly number[]): LostLeases {
    return new Set(keys.map((a) => ipv4ToString(a)));
  }

  // ---- lookups: the in-memory copy -------------------------------------------------------

  getLease4(address: string | number): Lease4 | null {
    return this.mem.getLease4(address);
  }
  getLease4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId: number): Lease4 | null {
    return this.mem.getLease4ByHwAddr(hwaddr, subnetId);
  }
  getLeases4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId?: number): Lease4[] {
    return this.mem.getLeases4ByHwAddr(hwaddr, subnetId);
  }
  getLease4ByClientId(clientId: Uint8Array, subnetId: number): Lease4 | null {
    return this.mem.getLease4ByClientId(clientId, subnetId);
  }
  getLeases4ByClientId(clientId: Uint8Array, subnetId?: number): Lease4[] {
    return this.mem.getLeases4ByClientId(clientId, subnetId);
  }
  getLeases4ByHostname(hostname: string): Lease4[] {
    return this.mem.getLeases4ByHostname(hostname);
  }
  getLeases4Page(after: string | number | null, limit: number): Lease4[] {
    return this.mem.getLeases4Page(after, limit);
  }
  getLeases4BySubnet(subnetId: number): Lease4[] {
    return this.mem.getLeases4BySubnet(subnetId);
  }

  eachLease4InSubnet(subnetId: number): Iterable<Lease4> {
    return this.mem.eachLease4InSubnet(subnetId);
  }
  visitLeases4InSubnet(subnetId: number, visit: (lease: LeaseCursor4) => void): void {
    this.mem.visitLeases4InSubnet(subnetId, visit);
  }
  getAllLeases4(): Lease4[] {
    return this.mem.getAllLeases4();
  }
  getExpiredLeases4(now: number, max: number): Lease4[] {
    return this.mem.getExpiredLeases4(now, max);
  }
  countLeases4(subnetId: number, state: number): number {
    return this.mem.countLeases4(subnetId, state);
  }
  leaseStats4(): LeaseStatsRow[] {
    return this.mem.leaseStats4();
  }

  // ---- changes: in memory now, in the table at the next flush --------------------------------

  private queueRow(address: number, lease: Lease4 | null, old: Lease4 | null): void {
    const prev = this.queue.get(address);
    if (prev !== undefined) {
      prev.lease = lease;
      return;
    }
    this.queue.set(address, {
      key: address,
      lease,
      oldHw: old === null ? null : hwOf(old),
      oldCid: old === null ? null : old.clientId,
    });
  }

  addLease4(lease: Lease4): boolean {
    if (!this.mem.addLease4(lease)) return false;
    const stored = this.mem.getLease4(lease.address)!;
    // New to this server: the table may hold the same client's row (written by Kea, say).
    this.queueRow(ipv4FromString(lease.address), stored, stored);
    return true;
  }

  updateLease4(lease: Lease4): void {
    const old = this.mem.getLease4(lease.address);
    this.mem.updateLease4(lease);
    this.queueRow(ipv4FromString(lease.address), this.mem.getLease4(lease.address), old);
  }

  deleteLease4(lease: Lease4): boolean {
    const old = this.mem.getLease4(lease.address);
    if (old === null || !this.mem.deleteLease4(lease)) return false;
    this.queueRow(ipv4FromString(lease.address), null, old);
    return true;
  }

  deleteExpiredReclaimedLeases4(now: number, secs: number): number {
    const doomed = this.mem
      .getAllLeases4()
      .filter((l) => l.state === LeaseState.EXPIRED_RECLAIMED && l.expire < now - secs);
    for (const l of doomed) this.deleteLease4(l);
    return doomed.length;
  }

  // ---- the statements ------------------------------------------------------------------------

  protected readonly statements = { name: "nestor_lease4", upsert: UPSERT, remove: DELETE };

  protected upsertColumns(ups: Pending[]): unknown[] {
    return upsertParams(ups);
  }

  protected deleteColumns(dels: Pending[]): unknown[] {
    return [dels.map((d) => d.key), dels.map((d) => d.oldHw), dels.map((d) => d.oldCid)];
  }
}

const EMPTY = Buffer.alloc(0);

function upsertParams(ups: Pending[]): unknown[] {
  const cols: unknown[][] = Array.from({ length: 13 }, () => []);
  for (const p of ups) {
    const l = p.lease!;
    cols[0]!.push(p.key);
    // As Kea: an empty value, not NULL, when there is none.
    cols[1]!.push(hwOf(l) ?? EMPTY);
    cols[2]!.push(l.clientId ?? EMPTY);
    cols[3]!.push(l.validLifetime);
    cols[4]!.push(dbExpire(l));
    cols[5]!.push(l.subnetId);
    cols[6]!.push(l.fqdnFwd);
    cols[7]!.push(l.fqdnRev);
    cols[8]!.push(l.hostname);
    cols[9]!.push(l.state);
    cols[10]!.push(l.userContext === null ? "" : JSON.stringify(l.userContext));
    cols[11]!.push(p.oldHw);
    cols[12]!.push(p.oldCid);
  }
  return cols;
}
