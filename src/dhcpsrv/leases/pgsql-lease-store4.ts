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
 */
import pg from "pg";
import type { HWAddr } from "../../dhcp/hwaddr.ts";
import { HWAddr as HWAddrClass } from "../../dhcp/hwaddr.ts";
import { ipv4FromString, ipv4ToString } from "../../dhcp/ioaddress.ts";
import type { JsonObject } from "../../hooks/types.ts";
import type { Logger } from "../../log/logger.ts";
import {
  checkSchemaVersion,
  type DbAccess,
  DbReconnectControl,
  describeDbAccess,
  pgPoolConfig,
} from "../db/db-access.ts";
import { INFINITY_LFT, Lease4, LeaseState } from "./lease4.ts";
import type { LeaseStatsRow, LeaseStore4, LostLeases } from "./lease-store4.ts";
import { MemfileLeaseStore4 } from "./memfile-lease-store4.ts";

/** Kea's largest database time (2038-01-19 03:14:07 UTC): the expire of an infinite lease. */
export const MAX_DB_TIME = 2147483647;

export interface PgsqlStoreOptions {
  logger?: Logger;
  /** The server's family adapter for the reconnect policy (service off/on, exit). */
  family?: 4 | 6;
  disableService?(): void;
  enableService?(): void;
  exit?(code: number): void;
  /** Pool size (default 3: commits, reloads, reconnect checks). */
  poolSize?: number;
  applicationName?: string;
}

/** One queued row: the lease to store (null: delete) and the client it replaced. */
interface Pending {
  address: number;
  lease: Lease4 | null;
  /** What the table held for this address as this server knew it (null: nothing). */
  oldHw: Buffer | null;
  oldCid: Buffer | null;
}

/**
 * The channel on which Nestor servers sharing the table tell each other which addresses they
 * wrote ("<server token> <address>,<address>..." or "<token> *" for a large batch: read all).
 */
export const NOTIFY_CHANNEL = "nestor_lease4";
/** The application name of the listening connections (how servers find each other). */
const LISTEN_APPLICATION = "nestor-lease4-listen";
/** Addresses per notification (PostgreSQL's payload limit is 8000 bytes). */
export const NOTIFY_MAX = 600;

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
    l.expire < now() OR l.state = ${LeaseState.EXPIRED_RECLAIMED}
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
SELECT array_agg(address) AS written,
  pg_notify('${NOTIFY_CHANNEL}', $14 || ' ' || CASE WHEN count(*) > ${NOTIFY_MAX} THEN '*'
    ELSE coalesce(string_agg(address::text, ','), '') END) AS notified
FROM done`;

const DELETE = `
WITH gone AS (
  DELETE FROM lease4 l USING unnest($1::bigint[], $2::bytea[], $3::bytea[]) AS d(address, old_hw, old_cid)
  WHERE l.address = d.address AND (
    l.expire < now() OR l.state = ${LeaseState.EXPIRED_RECLAIMED}
    OR (coalesce(l.hwaddr, ''::bytea) = coalesce(d.old_hw, ''::bytea)
        AND coalesce(l.client_id, ''::bytea) = coalesce(d.old_cid, ''::bytea)))
  RETURNING l.address
)
SELECT pg_notify('${NOTIFY_CHANNEL}', $4 || ' ' || CASE WHEN count(*) > ${NOTIFY_MAX} THEN '*'
  ELSE coalesce(string_agg(address::text, ','), '') END) FROM gone`;

export const SELECT =
  "SELECT address, hwaddr, client_id, valid_lifetime, extract(epoch from expire)::bigint AS expire, " +
  "subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context FROM lease4";

/** A lease4 row as Nestor's Lease4 (Kea's conversions: expire = cltt + valid). */
export function leaseFromRow4(row: Record<string, unknown>): Lease4 {
  const valid = Number(row["valid_lifetime"]);
  const expire = Number(row["expire"]);
  const hw = row["hwaddr"] as Buffer | null;
  const cid = row["client_id"] as Buffer | null;
  const ctx = row["user_context"] as string | null;
  let userContext: JsonObject | null = null;
  if (ctx !== null && ctx !== "") {
    try {
      userContext = JSON.parse(ctx) as JsonObject;
    } catch {
      userContext = null;
    }
  }
  const lease = new Lease4({
    address: ipv4ToString(Number(row["address"])),
    hwaddr: hw === null || hw.length === 0 ? null : new HWAddrClass(hw),
    clientId: cid === null || cid.length === 0 ? null : cid,
    validLifetime: valid,
    cltt: expire - valid,
    subnetId: Number(row["subnet_id"]),
    fqdnFwd: row["fqdn_fwd"] === true,
    fqdnRev: row["fqdn_rev"] === true,
    state: Number(row["state"] ?? 0),
    userContext,
  });
  lease.hostname = (row["hostname"] as string | null) ?? "";
  return lease;
}

function expireOf(lease: Lease4): number {
  if (lease.validLifetime === INFINITY_LFT) return MAX_DB_TIME;
  return Math.min(lease.cltt + lease.validLifetime, MAX_DB_TIME);
}

function hwOf(lease: Lease4 | null): Buffer | null {
  const hw = lease?.hwaddr;
  return hw === null || hw === undefined || hw.hwaddr.length === 0 ? null : hw.hwaddr;
}

/** An error of the connection (not of a statement): the reconnect policy takes over. */
function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? "";
  if (/^(08|57P0)/.test(code)) return true; // connection exception, admin/crash shutdown
  return /ECONNREFUSED|ENOENT|ECONNRESET|EPIPE|Connection terminated|timeout|not queryable|ended/i.test(
    e.message ?? "",
  );
}

/**
 * An error that another server's concurrent transaction caused and that the same statement,
 * run again, does not meet: a unique violation in Kea's statistics tables (their triggers insert
 * a subnet's first row without a lock), a deadlock, a serialization failure.
 */
export function isTransientConflict(err: unknown): boolean {
  const e = err as { code?: string; constraint?: string };
  if (e.code === "40P01" || e.code === "40001") return true;
  return e.code === "23505" && /_stat(_by_type)?_pkey$|_stat/.test(e.constraint ?? "");
}

export class PgsqlLeaseStore4 implements LeaseStore4 {
  readonly persist = true;
  readonly db: DbAccess;
  private readonly mem: MemfileLeaseStore4;
  private readonly pool: pg.Pool;
  private readonly reconnect: DbReconnectControl;
  /** Rows queued since the last flush took them, by address (the last change wins). */
  private queue = new Map<number, Pending>();
  /** The commit in flight (one at a time, in order), and the one the flushes since wait for. */
  private committing: Promise<LostLeases> | null = null;
  private nextCommit: PromiseWithResolvers<LostLeases> | null = null;
  /** The rows of the commit in flight. */
  private inFlight: Map<number, Pending> | null = null;
  private closed = false;
  /** Commits that failed (connection lost, statement error). */
  commitFailures = 0;
  /** Commits tried a second time after a transient conflict with another server. */
  retries = 0;
  /** Rows another server held when this one tried to write them. */
  conflicts = 0;
  /** Addresses re-read because another server wrote them (its notifications). */
  refreshed = 0;
  /**
   * Another Nestor server uses the table (seen listening at open, or by its notifications):
   * then `onPeer` is called once (the server spreads its allocation cursors).
   */
  peerSeen = false;
  onPeer: (() => void) | null = null;
  /**
   * Called with the addresses a commit found taken by another server (the server moves its
   * allocation cursors in their pools elsewhere).
   */
  onConflict: ((addresses: readonly number[]) => void) | null = null;
  /** This store's name in its notifications (its own are ignored). */
  readonly token = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  /** The connection that LISTENs to the other servers' notifications. */
  private listener: pg.Client | null = null;
  /** Addresses others wrote, read again by the next refresh (one at a time, coalesced). */
  private toRefresh = new Set<number>();
  private reloadWanted = false;
  private refreshing: Promise<void> | null = null;

  private constructor(db: DbAccess, options: PgsqlStoreOptions) {
    this.db = db;
    this.mem = MemfileLeaseStore4.open({ persist: false });
    this.pool = new pg.Pool(
      pgPoolConfig(db, {
        max: options.poolSize ?? 3,
        applicationName: options.applicationName ?? "nestor-dhcp4",
      }),
    );
    // An idle connection dying (server restart) must not take the process down.
    this.pool.on("error", () => this.reconnect.lost());
    this.reconnect = new DbReconnectControl(
      db,
      options.family ?? 4,
      {
        reconnect: async () => {
          await this.pool.query("SELECT 1");
          // Notifications were missed meanwhile: read the table again, listen again.
          await this.reload();
          await this.listen();
          // What failed to commit during the outage goes now, not with the next query.
          if (this.queue.size > 0) await this.flush().catch(() => {});
        },
        disableService: options.disableService,
        enableService: options.enableService,
        exit: options.exit ?? ((code) => process.exit(code)),
      },
      options.logger,
    );
  }

  /**
   * Opens the database: connects, checks Kea's schema version (13.0) and loads every lease4 row
   * into memory. Throws when the database cannot be reached or its schema is not Kea 2.2's.
   */
  static async open(db: DbAccess, options: PgsqlStoreOptions = {}): Promise<PgsqlLeaseStore4> {
    const store = new PgsqlLeaseStore4(db, options);
    options.logger?.info("DHCPSRV_PGSQL_DB", describeDbAccess(db));
    try {
      await checkSchemaVersion(store.pool, db);
      await store.listen();
      await store.reload();
    } catch (err) {
      store.reconnect.stop();
      await store.pool.end().catch(() => {});
      throw err;
    }
    return store;
  }

  /**
   * Reads the whole table again into memory (start, after a reconnect); the changes queued and
   * not yet committed keep their in-memory version.
   */
  async reload(): Promise<number> {
    const { rows } = await this.pool.query(SELECT);
    for (const l of this.mem.getAllLeases4()) {
      if (!this.queue.has(ipv4FromString(l.address))) this.mem.deleteLease4(l);
    }
    for (const row of rows) {
      if (this.queue.has(Number(row["address"]))) continue;
      this.mem.addLease4(leaseFromRow4(row));
    }
    return rows.length;
  }

  /** LISTENs to the other servers' notifications on a connection of its own. */
  private async listen(): Promise<void> {
    const old = this.listener;
    this.listener = null;
    if (old !== null) await old.end().catch(() => {});
    if (this.closed) return;
    const client = new pg.Client(pgPoolConfig(this.db, { applicationName: LISTEN_APPLICATION }));
    client.on("error", () => {
      if (this.listener === client) this.reconnect.lost();
    });
    client.on("notification", (n) => {
      if (n.payload === undefined) return;
      const space = n.payload.indexOf(" ");
      if (space < 0 || n.payload.slice(0, space) === this.token) return;
      this.sawPeer();
      const list = n.payload.slice(space + 1);
      if (list === "") return;
      if (list === "*") this.reloadWanted = true;
      else for (const a of list.split(",")) this.toRefresh.add(Number(a));
      this.scheduleRefresh();
    });
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    this.listener = client;
    const peers = await client.query(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()",
      [LISTEN_APPLICATION],
    );
    if (Number(peers.rows[0]?.["n"] ?? 0) > 0) this.sawPeer();
  }

  /** One refresh at a time; what arrives meanwhile is read by the next one, together. */
  private scheduleRefresh(): void {
    if (this.refreshing !== null || this.closed) return;
    if (this.toRefresh.size === 0 && !this.reloadWanted) return;
    const addresses = [...this.toRefresh];
    const all = this.reloadWanted;
    this.toRefresh = new Set();
    this.reloadWanted = false;
    this.refreshing = (all ? this.reload().then(() => {}) : this.refresh(addresses))
      .then(
        () => {
          this.refreshed += all ? 1 : addresses.length;
        },
        () => {
          // Read again later (the connection is back, or the next notification).
          for (const a of addresses) this.toRefresh.add(a);
          if (all) this.reloadWanted = true;
        },
      )
      .finally(() => {
        this.refreshing = null;
        if (!this.reconnect.reconnecting) this.scheduleRefresh();
      });
  }

  private sawPeer(): void {
    if (this.peerSeen) return;
    this.peerSeen = true;
    this.onPeer?.();
  }

  /** Replaces the in-memory copies of these addresses by the table's rows (after a conflict). */
  private async refresh(addresses: number[]): Promise<void> {
    const { rows } = await this.pool.query(`${SELECT} WHERE address = ANY($1::bigint[])`, [
      addresses,
    ]);
    const seen = new Set<number>();
    for (const row of rows) {
      const lease = leaseFromRow4(row);
      seen.add(Number(row["address"]));
      if (this.queue.has(Number(row["address"]))) continue; // changed again since: ours wins
      if (this.mem.getLease4(lease.address) === null) this.mem.addLease4(lease);
      else this.mem.updateLease4(lease);
    }
    for (const a of addresses) {
      if (seen.has(a) || this.queue.has(a)) continue;
      const cur = this.mem.getLease4(a);
      if (cur !== null) this.mem.deleteLease4(cur);
    }
  }

  // ---- lookups: the in-memory copy -------------------------------------------------------

  get size(): number {
    return this.mem.size;
  }
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
      address,
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

  // ---- group commit ----------------------------------------------------------------------------

  get pendingWrites(): number {
    return this.queue.size;
  }

  /**
   * Commits every queued row in one transaction; resolves with the addresses another server
   * holds (their replies must not be sent), rejects when the commit failed (the rows stay queued
   * for the next flush). Flushes run one after the other, in order.
   */
  flush(): Promise<LostLeases> {
    if (this.committing === null) return this.startCommit();
    // A commit is in flight: this flush joins the next one, which takes every row queued until
    // then (group commit: a slow database gets fewer, larger transactions).
    this.nextCommit ??= Promise.withResolvers<LostLeases>();
    return this.nextCommit.promise;
  }

  private startCommit(): Promise<LostLeases> {
    const batch = this.queue;
    this.queue = new Map();
    const run = this.commit(batch);
    this.committing = run;
    this.inFlight = batch;
    void run
      .catch(() => {})
      .finally(() => {
        this.committing = null;
        this.inFlight = null;
        const waiting = this.nextCommit;
        this.nextCommit = null;
        if (waiting !== null) this.startCommit().then(waiting.resolve, waiting.reject);
      });
    return run;
  }

  private async commit(batch: Map<number, Pending>): Promise<LostLeases> {
    if (batch.size === 0) return new Set();
    const ups: Pending[] = [];
    const dels: Pending[] = [];
    for (const p of batch.values()) (p.lease === null ? dels : ups).push(p);
    let written: Set<number>;
    try {
      written = await this.write(ups, dels).catch((err: unknown) => {
        // Two servers racing in Kea's statistics triggers (the first lease of a subnet and
        // state inserted by both: lease4_stat's primary key) or in a deadlock: the other
        // transaction has committed by now, so the same batch goes again, once.
        if (!isTransientConflict(err)) throw err;
        this.retries++;
        return this.write(ups, dels);
      });
    } catch (err) {
      this.commitFailures++;
      // Keep the rows for the next flush, before anything queued since (which is newer).
      const merged = new Map(batch);
      for (const [a, p] of this.queue) {
        const prev = merged.get(a);
        if (prev === undefined) merged.set(a, p);
        else prev.lease = p.lease;
      }
      this.queue = merged;
      if (isConnectionError(err)) this.reconnect.lost();
      throw err;
    }
    const lostNums = ups.filter((p) => !written.has(p.address)).map((p) => p.address);
    if (lostNums.length === 0) return new Set();
    this.conflicts += lostNums.length;
    this.onConflict?.(lostNums);
    await this.refresh(lostNums).catch(() => {});
    return new Set(lostNums.map((a) => ipv4ToString(a)));
  }

  private async write(ups: Pending[], dels: Pending[]): Promise<Set<number>> {
    const params = ups.length > 0 ? upsertParams(ups, this.token) : null;
    if (dels.length === 0) {
      const r = await this.pool.query({
        name: "nestor_lease4_upsert",
        text: UPSERT,
        values: params!,
      });
      return writtenOf(r.rows);
    }
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN");
      let written = new Set<number>();
      if (params !== null) {
        const r = await client.query({
          name: "nestor_lease4_upsert",
          text: UPSERT,
          values: params,
        });
        written = writtenOf(r.rows);
      }
      await client.query({
        name: "nestor_lease4_delete",
        text: DELETE,
        values: [
          dels.map((d) => d.address),
          dels.map((d) => d.oldHw),
          dels.map((d) => d.oldCid),
          this.token,
        ],
      });
      await client.query("COMMIT");
      return written;
    } catch (err) {
      broken = isConnectionError(err);
      if (!broken) await client.query("ROLLBACK").catch(() => {});
      throw err;
    } finally {
      client.release(broken);
    }
  }

  // ---- shared reclamation (pgsql-reclaim4.ts) ---------------------------------------------------

  /** The connections, for the reclamation's own transactions. */
  get sharedPool(): pg.Pool {
    return this.pool;
  }

  /** Whether this server changed the address since its last commit (queued, or in flight). */
  changing(address: number): boolean {
    return this.queue.has(address) || this.inFlight?.has(address) === true;
  }

  /**
   * A change committed by this server outside the queue (a reclaimed lease): applied in memory,
   * not queued again; a change queued or in flight for the address wins.
   */
  applyCommitted(address: number, lease: Lease4 | null): void {
    if (this.changing(address)) return;
    const cur = this.mem.getLease4(address);
    if (lease === null) {
      if (cur !== null) this.mem.deleteLease4(cur);
    } else if (cur === null) this.mem.addLease4(lease);
    else this.mem.updateLease4(lease);
  }

  /** Waits for the commits in flight, stops the reconnect timer and closes the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.queue.size > 0) await this.flush().catch(() => {});
    while (this.committing !== null) await this.committing.catch(() => {});
    this.reconnect.stop();
    await this.refreshing;
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
    await this.mem.close();
    await this.pool.end().catch(() => {});
  }
}

const EMPTY = Buffer.alloc(0);

function writtenOf(rows: Record<string, unknown>[]): Set<number> {
  const list = (rows[0]?.["written"] ?? null) as (string | number)[] | null;
  return new Set((list ?? []).map(Number));
}

function upsertParams(ups: Pending[], token: string): unknown[] {
  const cols: unknown[][] = Array.from({ length: 13 }, () => []);
  for (const p of ups) {
    const l = p.lease!;
    cols[0]!.push(p.address);
    // As Kea: an empty value, not NULL, when there is none.
    cols[1]!.push(hwOf(l) ?? EMPTY);
    cols[2]!.push(l.clientId ?? EMPTY);
    cols[3]!.push(l.validLifetime);
    cols[4]!.push(expireOf(l));
    cols[5]!.push(l.subnetId);
    cols[6]!.push(l.fqdnFwd);
    cols[7]!.push(l.fqdnRev);
    cols[8]!.push(l.hostname);
    cols[9]!.push(l.state);
    cols[10]!.push(l.userContext === null ? "" : JSON.stringify(l.userContext));
    cols[11]!.push(p.oldHw);
    cols[12]!.push(p.oldCid);
  }
  return [...cols, token];
}
