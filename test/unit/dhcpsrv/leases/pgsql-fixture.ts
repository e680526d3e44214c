/**
 * What the PostgreSQL lease store tests of both families share (pgsql-lease-store4/6,
 * pgsql-reclaim4/6): one throw-away PostgreSQL per describe block, fresh databases in Kea's
 * schema, stores closed after each test, a bounded wait, a reclaimer that records what it
 * reclaimed, and the tests whose steps are the same for lease4 and lease6 (given the family's
 * leases and SQL).
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import pg from "pg";
import type { ExpiredLeasesProcessing } from "../../../../src/dhcpsrv/config/types.ts";
import { type DbAccess, parseDbAccess } from "../../../../src/dhcpsrv/db/db-access.ts";
import type { LostLeases } from "../../../../src/dhcpsrv/leases/lease-store.ts";
import type { PgsqlStoreOptions } from "../../../../src/dhcpsrv/leases/pgsql-store-base.ts";
import { HooksManager } from "../../../../src/hooks/hooks-manager.ts";
import { ServerHooks } from "../../../../src/hooks/server-hooks.ts";
import { type Logger, LogManager } from "../../../../src/log/logger.ts";
import { StatsManager } from "../../../../src/stats/stats-manager.ts";
import { type KeaDatabase, PgKea } from "../../../helpers/pg-kea.ts";

type Ctx = { after(fn: () => Promise<void>): void };

/** What the shared tests read of a store. */
export interface PgStore {
  flush(): Promise<LostLeases>;
  readonly pendingWrites: number;
  readonly commitFailures: number;
  readonly retries: number;
  close(): Promise<void>;
}

export interface PgStoreBed<S> {
  /** The PostgreSQL of the describe block (set by its `before`). */
  readonly server: PgKea;
  /** A new database in Kea's schema. */
  freshDb(): KeaDatabase;
  /** A store on the database, closed after the test; `exit` replaces the reconnect's exit. */
  open(t: Ctx, db: KeaDatabase, exit?: (code: number) => void): Promise<S>;
  /** Two stores (two servers) on a fresh database; a lost connection does not end the process. */
  twoStores(t: Ctx): Promise<{ db: KeaDatabase; a: S; b: S }>;
}

/**
 * Registers the describe block's PostgreSQL (before/after) and returns how its tests get
 * databases (`<prefix>_<n>`) and stores of the family.
 */
export function pgStoreBed<S extends { close(): Promise<void> }>(
  prefix: string,
  family: 4 | 6,
  openStore: (access: DbAccess, options: PgsqlStoreOptions) => Promise<S>,
): PgStoreBed<S> {
  let server: PgKea | undefined;
  let n = 0;
  before(async () => {
    server = await PgKea.start();
  });
  after(async () => {
    await server?.stop();
  });
  const bed: PgStoreBed<S> = {
    get server(): PgKea {
      assert.ok(server !== undefined, "PostgreSQL started");
      return server;
    },
    freshDb: () => bed.server.createKeaDatabase(`${prefix}_${++n}`),
    async open(t, db, exit) {
      const access = parseDbAccess({ ...db.keaConfig() }, `Dhcp${family}/lease-database`);
      const store = await openStore(access, exit === undefined ? {} : { exit });
      t.after(() => store.close());
      return store;
    },
    async twoStores(t) {
      const db = bed.freshDb();
      const a = await bed.open(t, db, () => {});
      const b = await bed.open(t, db, () => {});
      return { db, a, b };
    },
  };
  return bed;
}

/** Waits (bounded: 20 s) until the check holds. */
export async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A commit while the database is down fails and keeps its rows queued; once PostgreSQL is back
 * they commit with what was queued since (`first` and `second` add one lease each).
 */
export function commitsAfterOutage<S extends PgStore>(
  bed: PgStoreBed<S>,
  table: string,
  first: (store: S) => void,
  second: (store: S) => void,
): (t: Ctx) => Promise<void> {
  return async (t) => {
    const db = bed.freshDb();
    const a = await bed.open(t, db, () => {});
    first(a);
    await bed.server.pause("immediate");
    try {
      await assert.rejects(a.flush());
      assert.equal(a.commitFailures, 1);
      assert.equal(a.pendingWrites, 1);
    } finally {
      await bed.server.resume();
    }
    second(a);
    // The pool may need a try or two to reconnect: bounded.
    let ok = false;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = await a.flush().then(
        () => true,
        () => false,
      );
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(ok, "the commit succeeds once PostgreSQL is back");
    assert.equal(bed.server.psql(`SELECT count(*) FROM ${table}`, db.name), "2");
  };
}

/**
 * Another server's transaction, not yet committed, inserts the first lease of subnet 7 (`insert`),
 * whose trigger inserts Kea's statistics row; this store's commit (`add`: a lease of subnet 7)
 * inserts the same row and waits on the other, which then commits: a unique violation, and the
 * commit goes again and succeeds. `statSql` reads the statistics row's count (then 2).
 */
export function retriesStatConflict<S extends PgStore>(
  bed: PgStoreBed<S>,
  insert: string,
  add: (store: S) => void,
  statSql: string,
): (t: Ctx) => Promise<void> {
  return async (t) => {
    const db = bed.freshDb();
    const a = await bed.open(t, db);
    const other = new pg.Client(bed.server.connection(db.name));
    await other.connect();
    t.after(() => other.end());
    await other.query("BEGIN");
    await other.query(insert);
    add(a);
    const flushed = a.flush();
    await new Promise((r) => setTimeout(r, 300));
    await other.query("COMMIT");
    const lost = await flushed;
    assert.equal(lost.size, 0, "no lease lost");
    assert.equal(a.retries, 1, "the commit went a second time");
    assert.equal(a.commitFailures, 0);
    assert.equal(bed.server.psql(statSql, db.name), "2");
  };
}

/** A database without Kea's schema is refused at open. */
export function refusesNonKeaSchema<S>(
  bed: PgStoreBed<S>,
  family: 4 | 6,
  name: string,
  openStore: (access: DbAccess) => Promise<S>,
): () => Promise<void> {
  return async () => {
    bed.server.psql(`CREATE DATABASE ${name}`);
    const access = parseDbAccess(
      { type: "postgresql", name, host: bed.server.socketDir, user: "nestor" },
      `Dhcp${family}/lease-database`,
    );
    await assert.rejects(openStore(access), /has no Kea schema/);
  };
}

/** What a recording reclaimer needs of a family's statistics. */
interface ReclaimStats<L> {
  leaseReclaimed(lease: L, declined: boolean): void;
}

/**
 * A server's reclamation: its reclaimer (made by `make` with hooks, statistics and settings of
 * its own), its statistics, and the addresses its cycles reclaimed (in order; `onReclaimed` sees
 * each as it goes).
 */
export function recordingReclaimer<R, T extends ReclaimStats<never>, H>(
  registerHooks: (hooks: ServerHooks) => H,
  makeStats: (stats: StatsManager) => T,
  make: (deps: {
    hooks: HooksManager;
    hookIdx: H;
    stats: T;
    log: Logger;
    config: ExpiredLeasesProcessing;
  }) => R,
  config: ExpiredLeasesProcessing,
  onReclaimed?: (address: string) => void,
) {
  const stats = new StatsManager();
  const family = makeStats(stats);
  const reclaimed: string[] = [];
  const counted = new Proxy(family, {
    get(target, name, receiver) {
      if (name !== "leaseReclaimed") return Reflect.get(target, name, receiver) as unknown;
      return (l: { address: string }, declined: boolean) => {
        reclaimed.push(l.address);
        target.leaseReclaimed(l as never, declined);
        onReclaimed?.(l.address);
      };
    },
  });
  const serverHooks = new ServerHooks();
  const hookIdx = registerHooks(serverHooks);
  const hooks = new HooksManager({ serverHooks, logManager: new LogManager("t") });
  const reclaimer = make({
    hooks,
    hookIdx,
    stats: counted,
    log: new LogManager("t").getLogger("x"),
    config,
  });
  return {
    reclaimer,
    reclaimed,
    stat: (name: string) => Number(stats.get(name)?.value ?? 0),
  };
}
