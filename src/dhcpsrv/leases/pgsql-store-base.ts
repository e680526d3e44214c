/**
 * What Kea's PostgreSQL lease databases for DHCPv4 and DHCPv6 share in Nestor (the `lease4` and
 * `lease6` tables of Kea 2.2's schema: pgsql-lease-store4.ts, pgsql-lease-store6.ts).
 *
 * The leases live in memory (a memfile store without a file), loaded from the table at open:
 * lookups stay synchronous. Every change applies in memory at once and queues its row, keyed by
 * address (the table's primary key; the last change of an address wins). `flush()` hands the
 * queue to the family's `write()` (one round trip, one transaction) and resolves once PostgreSQL
 * committed it; a flush asked while a commit is in flight joins the next one, which takes every
 * row queued until then (group commit: a slow database gets fewer, larger transactions).
 *
 * Several servers on one table: `write()` returns the addresses it wrote; those it did not are
 * held by another server (conflicts), re-read from the table and reported by `flush()` as lost,
 * so that their replies are not sent. Each server tells the others which addresses it wrote by
 * NOTIFY on the family's channel ("<server token> <address>,<address>..." or "<token> *" for a
 * large batch: read all); a connection of its own LISTENs and schedules refreshes, one at a time.
 *
 * A failed commit keeps its rows queued, in order, before anything queued since; a connection
 * error starts the reconnect policy of db-access.ts (Kea's DHCPx_DB_RECONNECT_* messages and
 * `on-fail`), which reloads the table and listens again once the database is back. A transient
 * conflict with another server's transaction (deadlock, serialization, a unique violation in
 * Kea's statistics tables) runs the same batch once more.
 */
import type pg from "pg";
import type { Logger } from "../../log/logger.ts";
import {
  checkSchemaVersion,
  type DbAccess,
  DbReconnectControl,
  describeDbAccess,
  pgLibrary,
  pgPoolConfig,
} from "../db/db-access.ts";
import { INFINITY_LFT } from "./lease.ts";
import type { LostLeases } from "./lease-store.ts";

/** Kea's largest database time (2038-01-19 03:14:07 UTC): no `expire` is written beyond it. */
export const MAX_DB_TIME = 2147483647;

/** Addresses per notification (PostgreSQL's payload limit is 8000 bytes). */
export const NOTIFY_MAX = 600;

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

/** The names a family's store uses on the database. */
export interface PgsqlStoreNames {
  /** The NOTIFY channel of the family's table. */
  channel: string;
  /** The application name of the listening connections (how servers find each other). */
  listenApplication: string;
  /** The pool's application name when the options give none. */
  applicationName: string;
  family: 4 | 6;
}

/** The in-memory store a family's leases live in (an in-memory memfile store). */
export interface MemoryLeases {
  readonly size: number;
  close(): Promise<void>;
}

/** Kea 2.2's `expire`: cltt + valid lifetime, and cltt itself for an infinite lease. */
export function dbExpire(lease: { readonly cltt: number; readonly validLifetime: number }): number {
  if (lease.validLifetime === INFINITY_LFT) return Math.min(lease.cltt, MAX_DB_TIME);
  return Math.min(lease.cltt + lease.validLifetime, MAX_DB_TIME);
}

/** One queued row: the lease to store (null: delete); the family adds what it knew before. */
export interface PendingRow<K, L> {
  key: K;
  lease: L | null;
}

/**
 * The tail of a write statement: one notification naming the addresses written (`column` of the
 * CTE `from`), "*" when there are too many, the token as parameter `tokenParam`.
 */
export function notifySql(channel: string, tokenParam: string, column: string): string {
  return (
    `pg_notify('${channel}', ${tokenParam} || ' ' || CASE WHEN count(*) > ${NOTIFY_MAX} ` +
    `THEN '*' ELSE coalesce(string_agg(${column}::text, ','), '') END)`
  );
}

/** An error of the connection (not of a statement): the reconnect policy takes over. */
export function isConnectionError(err: unknown): boolean {
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

/** The JSON of a `user_context` column (Kea writes "" for none); null when empty or not JSON. */
export function userContextOf<T>(text: unknown): T | null {
  if (typeof text !== "string" || text === "") return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

/** Runs a write that deletes too, in one transaction on one connection of the pool. */
async function inTransaction<T>(
  pool: pg.Pool,
  body: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query("BEGIN");
    const result = await body(client);
    await client.query("COMMIT");
    return result;
  } catch (err) {
    broken = isConnectionError(err);
    if (!broken) await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release(broken);
  }
}

export abstract class PgsqlStoreBase<
  K,
  L,
  P extends PendingRow<K, L>,
  M extends MemoryLeases = MemoryLeases,
> {
  readonly persist = true;
  readonly db: DbAccess;
  /** The leases in memory (every lookup reads them). */
  protected readonly mem: M;
  private readonly pool: pg.Pool;
  private readonly reconnect: DbReconnectControl;
  private readonly names: PgsqlStoreNames;
  /** Rows queued since the last flush took them, by address (the last change wins). */
  protected queue = new Map<K, P>();
  /** The commit in flight (one at a time, in order), and the one the flushes since wait for. */
  private committing: Promise<LostLeases> | null = null;
  private nextCommit: PromiseWithResolvers<LostLeases> | null = null;
  /** The rows of the commit in flight. */
  private inFlight: Map<K, P> | null = null;
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
  onConflict: ((addresses: readonly K[]) => void) | null = null;
  /**
   * Called with this server's versions of the leases a commit found taken by another server,
   * before the table's rows replace them in memory (the server counts them out of its
   * statistics: it never granted them).
   */
  onLeasesLost: ((leases: readonly L[]) => void) | null = null;
  /** This store's name in its notifications (its own are ignored). */
  readonly token = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  /** The connection that LISTENs to the other servers' notifications. */
  private listener: pg.Client | null = null;
  /** Addresses others wrote, read again by the next refresh (one at a time, coalesced). */
  private toRefresh = new Set<K>();
  private reloadWanted = false;
  private refreshing: Promise<void> | null = null;

  protected constructor(db: DbAccess, options: PgsqlStoreOptions, names: PgsqlStoreNames, mem: M) {
    this.db = db;
    this.names = names;
    this.mem = mem;
    this.pool = new (pgLibrary().Pool)(
      pgPoolConfig(db, {
        max: options.poolSize ?? 3,
        applicationName: options.applicationName ?? names.applicationName,
      }),
    );
    // An idle connection dying (server restart) must not take the process down.
    this.pool.on("error", () => this.reconnect.lost());
    this.reconnect = new DbReconnectControl(
      db,
      options.family ?? names.family,
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
   * A family's `open`: the new store connected, Kea's schema version (13.0) checked, listening,
   * the table loaded; on failure the connections are closed and the error thrown (the database
   * cannot be reached, or its schema is not Kea 2.2's).
   */
  protected async started(options: PgsqlStoreOptions): Promise<this> {
    await this.start(options.logger);
    return this;
  }

  private async start(logger: Logger | undefined): Promise<void> {
    logger?.info("DHCPSRV_PGSQL_DB", describeDbAccess(this.db));
    try {
      await checkSchemaVersion(this.pool, this.db);
      await this.listen();
      await this.reload();
    } catch (err) {
      this.reconnect.stop();
      await this.pool.end().catch(() => {});
      throw err;
    }
  }

  /** The family's SELECT of every column it reads, without WHERE. */
  protected abstract readonly selectAll: string;
  /** The SQL type of the `address` column's values as this store keys them. */
  protected abstract readonly keyType: "bigint" | "varchar";
  /** A row as the family's lease. */
  protected abstract fromRow(row: Record<string, unknown>): L;
  /** A lease's key: its address as the queue and the `address` column hold it. */
  protected abstract keyOf(lease: L): K;
  /** The keys of every lease in memory. */
  protected abstract heldKeys(): K[];
  /** Files a lease read from the table in memory (added or replacing); false when it cannot. */
  protected abstract hold(lease: L): boolean;
  /** Removes the lease of an address from memory (the table no longer has it). */
  protected abstract forget(key: K): void;
  /**
   * The family's write statements: `upsert` takes the columns of `upsertColumns` then the token,
   * returns `written` (an array of the addresses written) and notifies; `remove` takes the
   * columns of `deleteColumns` then the token. `name` prefixes their prepared statements' names.
   */
  protected abstract readonly statements: { name: string; upsert: string; remove: string };
  /** The upsert's parameters but the token: one array per column, a row per pending row. */
  protected abstract upsertColumns(ups: P[]): unknown[];
  /** The delete's parameters but the token. */
  protected abstract deleteColumns(dels: P[]): unknown[];
  /** An address as a notification names it. */
  protected abstract keyOfText(text: string): K;
  /** The addresses lost to another server, as `flush()` reports them. */
  protected abstract lostOf(keys: readonly K[]): LostLeases;
  /** How many leases are in memory. */
  get size(): number {
    return this.mem.size;
  }

  /** Rows of the table the in-memory store could not hold (at the last reload). */
  badRows = 0;

  /**
   * Reads the whole table again into memory (start, reconfiguration, after a reconnect); the
   * changes queued and not yet committed keep their in-memory version. Returns the rows read.
   */
  async reload(): Promise<number> {
    const { rows } = await this.pool.query(this.selectAll);
    for (const key of this.heldKeys()) if (!this.queue.has(key)) this.forget(key);
    let bad = 0;
    for (const row of rows) {
      const lease = this.fromRow(row);
      if (!this.queue.has(this.keyOf(lease)) && !this.hold(lease)) bad++;
    }
    this.badRows = bad;
    return rows.length;
  }

  /** Replaces the in-memory copies of these addresses by the table's rows (none: deleted). */
  private async refresh(keys: K[]): Promise<void> {
    const { rows } = await this.pool.query(
      `${this.selectAll} WHERE address = ANY($1::${this.keyType}[])`,
      [keys],
    );
    const seen = new Set<K>();
    for (const row of rows) {
      const lease = this.fromRow(row);
      const key = this.keyOf(lease);
      seen.add(key);
      // Changed again here since: this server's version wins.
      if (!this.queue.has(key)) this.hold(lease);
    }
    for (const key of keys) if (!seen.has(key) && !this.queue.has(key)) this.forget(key);
  }

  /**
   * Writes a batch: the upsert alone (one round trip, its own transaction), or the upsert and the
   * delete in one transaction. Resolves with the addresses the upsert wrote.
   */
  private async write(ups: P[], dels: P[]): Promise<Set<K>> {
    const { name, upsert, remove } = this.statements;
    const up: pg.QueryConfig | null =
      ups.length === 0
        ? null
        : {
            name: `${name}_upsert`,
            text: upsert,
            values: [...this.upsertColumns(ups), this.token],
          };
    const writtenOf = (rows: Record<string, unknown>[]): Set<K> => {
      const list = (rows[0]?.["written"] ?? null) as unknown[] | null;
      return new Set((list ?? []).map((a) => this.keyOfText(String(a))));
    };
    if (dels.length === 0) {
      return up === null ? new Set() : writtenOf((await this.pool.query(up)).rows);
    }
    const del = {
      name: `${name}_delete`,
      text: remove,
      values: [...this.deleteColumns(dels), this.token],
    };
    return inTransaction(this.pool, async (client) => {
      const written = up === null ? new Set<K>() : writtenOf((await client.query(up)).rows);
      await client.query(del);
      return written;
    });
  }

  /** LISTENs to the other servers' notifications on a connection of its own. */
  private async listen(): Promise<void> {
    const old = this.listener;
    this.listener = null;
    if (old !== null) await old.end().catch(() => {});
    if (this.closed) return;
    const { channel, listenApplication } = this.names;
    const client = new (pgLibrary().Client)(
      pgPoolConfig(this.db, { applicationName: listenApplication }),
    );
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
      else for (const a of list.split(",")) this.toRefresh.add(this.keyOfText(a));
      this.scheduleRefresh();
    });
    await client.connect();
    await client.query(`LISTEN ${channel}`);
    this.listener = client;
    const peers = await client.query(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid()",
      [listenApplication],
    );
    if (Number(peers.rows[0]?.["n"] ?? 0) > 0) this.sawPeer();
  }

  /** One refresh at a time; what arrives meanwhile is read by the next one, together. */
  private scheduleRefresh(): void {
    if (this.refreshing !== null || this.closed) return;
    if (this.toRefresh.size === 0 && !this.reloadWanted) return;
    const keys = [...this.toRefresh];
    const all = this.reloadWanted;
    this.toRefresh = new Set();
    this.reloadWanted = false;
    this.refreshing = (all ? this.reload().then(() => {}) : this.refresh(keys))
      .then(
        () => {
          this.refreshed += all ? 1 : keys.length;
        },
        () => {
          // Read again later (the connection is back, or the next notification).
          for (const k of keys) this.toRefresh.add(k);
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
    this.nextCommit ??= Promise.withResolvers<LostLeases>();
    return this.nextCommit.promise;
  }

  // ---- shared reclamation (pgsql-reclaim4.ts) ---------------------------------------------------

  /** The connections, for the reclamation's own transactions. */
  get sharedPool(): pg.Pool {
    return this.pool;
  }

  /** Whether this server changed the lease since its last commit (queued, or in flight). */
  changing(key: K): boolean {
    return this.queue.has(key) || this.inFlight?.has(key) === true;
  }

  /**
   * A change committed by this server outside the queue (a reclaimed lease): applied in memory,
   * not queued again; a change queued or in flight for the lease wins.
   */
  applyCommitted(key: K, lease: L | null): void {
    if (this.changing(key)) return;
    if (lease === null) this.forget(key);
    else this.hold(lease);
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

  private async commit(batch: Map<K, P>): Promise<LostLeases> {
    if (batch.size === 0) return new Set();
    const ups: P[] = [];
    const dels: P[] = [];
    for (const p of batch.values()) (p.lease === null ? dels : ups).push(p);
    let written: Set<K>;
    try {
      written = await this.write(ups, dels).catch((err: unknown) => {
        // Two servers racing in Kea's statistics triggers (the first lease of a subnet and
        // state inserted by both: the lease statistics table's primary key) or in a deadlock:
        // the other transaction has committed by now, so the same batch goes again, once.
        if (!isTransientConflict(err)) throw err;
        this.retries++;
        return this.write(ups, dels);
      });
    } catch (err) {
      this.commitFailures++;
      // Keep the rows for the next flush, before anything queued since (which is newer).
      const merged = new Map(batch);
      for (const [k, p] of this.queue) {
        const prev = merged.get(k);
        if (prev === undefined) merged.set(k, p);
        else prev.lease = p.lease;
      }
      this.queue = merged;
      if (isConnectionError(err)) this.reconnect.lost();
      throw err;
    }
    const lostRows = ups.filter((p) => !written.has(p.key));
    if (lostRows.length === 0) return new Set();
    const lost = lostRows.map((p) => p.key);
    this.conflicts += lost.length;
    this.onConflict?.(lost);
    this.onLeasesLost?.(lostRows.map((p) => p.lease!));
    await this.refresh(lost).catch(() => {});
    return this.lostOf(lost);
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
