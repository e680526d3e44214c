/**
 * Reclamation of expired leases shared by several servers on one PostgreSQL lease database
 * (active/active): each expired lease is reclaimed by exactly one of them.
 *
 * A reclamation cycle claims its leases in the table, in a transaction of its own:
 *
 *   BEGIN;
 *   SELECT ... FROM lease4|lease6 WHERE state <> expired-reclaimed AND expire < now (not infinite)
 *     ORDER BY expire LIMIT max-reclaim-leases FOR UPDATE SKIP LOCKED;
 *   -- lease4_expire / lease4_recover, statistics, for each claimed lease (reclaimer.ts)
 *   UPDATE lease4 SET state = expired-reclaimed, hostname = '', ... (or DELETE) ... ;
 *   NOTIFY the other servers of the addresses;  COMMIT;
 *
 * Rows another server's cycle holds are skipped (SKIP LOCKED), and so are rows it reclaimed and
 * committed (their state); a lease the table shows renewed (by any server) is not expired any
 * more and is not selected. A lease this server changed since its last commit (a renewal queued
 * or in flight), or that this server holds unexpired in memory, is left out of the claim too:
 * its row lock is released at the commit and the renewal goes on. The state change is committed
 * before the cycle ends (so before the next cycle claims anything); the other servers learn it
 * from the notification, as of any other write (pgsql-lease-store4.ts).
 *
 * The leases the cycle could not process in `max-reclaim-time` keep their rows unchanged.
 *
 * The table's description (TableSpec) and the store's few entry points (ClaimStore) are all this
 * module knows of a family: pgsql-reclaim4.ts and pgsql-reclaim6.ts give them for `lease4` and
 * `lease6` (both keyed by their address).
 */
import type pg from "pg";
import { defineMessages, type Logger } from "../../log/logger.ts";
import { INFINITY_LFT, LeaseState } from "./lease.ts";
import { NOTIFY_MAX } from "./pgsql-store-base.ts";
import type { ReclaimableLease, ReclaimTarget } from "./reclaimer.ts";

defineMessages({
  DHCPSRV_PGSQL_RECLAIM_CLAIMED:
    "claimed %1 expired leases in the lease database (%2 left to this server's own changes)",
  DHCPSRV_PGSQL_RECLAIM_FAILED: "reclamation of expired leases in the lease database failed: %1",
});

/** A lease of either family, as the claim reads it. */
export interface ClaimableLease extends ReclaimableLease {
  userContext: object | null;
  isExpired(now: number): boolean;
}

/** The columns a reclaimed lease changes, the same in Kea's lease4 and lease6, and their SQL types. */
const RECLAIMED_COLUMNS = ["state", "hostname", "fqdn_fwd", "fqdn_rev", "user_context"];
const RECLAIMED_TYPES = ["bigint", "varchar", "boolean", "boolean", "text"];

function reclaimedValues(l: ClaimableLease): unknown[] {
  return [
    l.state,
    l.hostname,
    l.fqdnFwd,
    l.fqdnRev,
    l.userContext === null ? "" : JSON.stringify(l.userContext),
  ];
}

/** Whether this server's own copy shows the lease alive (renewed here). */
function aliveAt(l: ClaimableLease, now: number): boolean {
  return l.state !== LeaseState.EXPIRED_RECLAIMED && !l.isExpired(now);
}

/** What the claim needs of a family's table. */
export interface TableSpec<L extends ClaimableLease> {
  /** "lease4", "lease6". */
  table: string;
  /** The store's "SELECT <columns> FROM <table>" (the columns fromRow reads). */
  select: string;
  /** The SQL type of the key column `address` in an array parameter ("bigint[]"). */
  keyArray: string;
  /** The NOTIFY channel of the store's notifications. */
  channel: string;
  fromRow(row: Record<string, unknown>): L;
  keyOf(lease: L): number | string;
}

/** What the claim needs of the store. */
export interface ClaimStore<L> {
  readonly sharedPool: pg.Pool;
  /** The store's name in its notifications. */
  readonly token: string;
  changing(key: number | string): boolean;
  current(key: number | string): L | null;
  applyCommitted(key: number | string, lease: L | null): void;
}

/** One cycle's claim: a transaction holding the row locks of the claimed leases. */
class Claim<L extends ClaimableLease> {
  readonly changes = new Map<number | string, L | null>();
  readonly client: pg.PoolClient;
  constructor(client: pg.PoolClient) {
    this.client = client;
    // The connection cut while the claim holds it (PostgreSQL restarted): the next statement
    // fails and the cycle's failure is handled there, not as an uncaught error.
    client.on("error", ignore);
  }

  release(broken: boolean): void {
    this.client.off("error", ignore);
    this.client.release(broken);
  }
}

function ignore(): void {}

export class PgsqlReclaimer<L extends ClaimableLease> {
  private readonly spec: TableSpec<L>;
  private readonly store: ClaimStore<L>;
  private readonly log: Logger | undefined;
  private claim: Claim<L> | null = null;
  /** Leases claimed and reclaimed by this server; claims and commits that failed. */
  claimed = 0;
  failures = 0;

  constructor(spec: TableSpec<L>, store: ClaimStore<L>, log?: Logger) {
    this.spec = spec;
    this.store = store;
    this.log = log;
  }

  /**
   * Opens the cycle's transaction and claims at most `max` (0: all) expired leases not reclaimed
   * yet, skipping the rows other servers hold. Resolves with none when the database fails (the
   * next cycle tries again).
   */
  async claimExpired(now: number, max: number): Promise<L[]> {
    if (this.claim !== null) await this.commit();
    let client: pg.PoolClient;
    try {
      client = await this.store.sharedPool.connect();
    } catch (err) {
      this.failed(err);
      return [];
    }
    const claim = new Claim<L>(client);
    try {
      await client.query("BEGIN");
      const { rows } = await client.query(
        `${this.spec.select} WHERE state <> ${LeaseState.EXPIRED_RECLAIMED} ` +
          `AND valid_lifetime <> ${INFINITY_LFT} AND expire < to_timestamp($1) ` +
          `ORDER BY expire LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, max > 0 ? max : null],
      );
      const leases: L[] = [];
      for (const row of rows) {
        const lease = this.spec.fromRow(row);
        if (this.untouched(lease, now)) leases.push(lease);
      }
      this.claim = claim;
      this.log?.debug(
        40,
        "DHCPSRV_PGSQL_RECLAIM_CLAIMED",
        leases.length,
        rows.length - leases.length,
      );
      return leases;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      claim.release(true);
      this.failed(err);
      return [];
    }
  }

  /**
   * Whether this server left the lease alone since the table's row was read: no change of its
   * own queued or in flight, no unexpired copy in its memory.
   */
  untouched(lease: L, now: number): boolean {
    const key = this.spec.keyOf(lease);
    const mine = this.store.current(key);
    return !this.store.changing(key) && (mine === null || !aliveAt(mine, now));
  }

  /** The reclaimed lease of a claimed row (null: removed), written by `commit()`. */
  record(lease: L, reclaimed: L | null): void {
    this.claim?.changes.set(this.spec.keyOf(lease), reclaimed);
  }

  /**
   * Writes the cycle's changes, tells the other servers, commits (the row locks go), then
   * applies the changes in this server's memory.
   */
  async commit(): Promise<void> {
    const claim = this.claim;
    if (claim === null) return;
    this.claim = null;
    const { table, keyArray, channel } = this.spec;
    const updated: L[] = [];
    const removed: (number | string)[] = [];
    for (const [key, lease] of claim.changes) {
      if (lease === null) removed.push(key);
      else updated.push(lease);
    }
    const cols = RECLAIMED_COLUMNS;
    const values: unknown[][] = cols.map(() => []);
    for (const l of updated) {
      reclaimedValues(l).forEach((v, i) => values[i]!.push(v));
    }
    const n = cols.length;
    let broken = false;
    try {
      if (claim.changes.size > 0) {
        await claim.client.query(
          `WITH v AS (SELECT * FROM unnest($1::${keyArray}, ${cols
            .map((_, i) => `$${i + 2}::${RECLAIMED_TYPES[i]}[]`)
            .join(", ")}) AS t(key, ${cols.join(", ")})),
          upd AS (UPDATE ${table} l SET ${cols.map((c) => `${c} = v.${c}`).join(", ")}
            FROM v WHERE l.address = v.key RETURNING l.address),
          del AS (DELETE FROM ${table} WHERE address = ANY($${n + 2}::${keyArray}) RETURNING address),
          done AS (SELECT address FROM upd UNION ALL SELECT address FROM del)
          SELECT pg_notify('${channel}', $${n + 3} || ' ' || CASE WHEN count(*) > ${NOTIFY_MAX}
            THEN '*' ELSE coalesce(string_agg(address::text, ','), '') END) FROM done`,
          [updated.map((l) => this.spec.keyOf(l)), ...values, removed, this.store.token],
        );
      }
      await claim.client.query("COMMIT");
    } catch (err) {
      broken = true;
      await claim.client.query("ROLLBACK").catch(() => {});
      this.failed(err);
      return;
    } finally {
      claim.release(broken);
    }
    this.claimed += claim.changes.size;
    for (const [key, lease] of claim.changes) this.store.applyCommitted(key, lease);
  }

  private failed(err: unknown): void {
    this.failures++;
    this.log?.error("DHCPSRV_PGSQL_RECLAIM_FAILED", (err as Error).message ?? String(err));
  }

  /**
   * The family's reclaim target (reclaimer.ts) turned into a shared one: the expired leases come
   * from the claim, their state changes go to the claim's transaction.
   */
  target(base: ReclaimTarget<L>): ReclaimTarget<L> {
    return {
      ...base,
      getExpired: (now, max) => this.claimExpired(now, max),
      remove: (l) => this.record(l, null),
      update: (l) => this.record(l, l),
      commitReclaimed: () => this.commit(),
      stillExpired: (l, now) => this.untouched(l, now),
    };
  }
}
