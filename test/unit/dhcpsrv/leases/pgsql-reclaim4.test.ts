/**
 * Reclamation shared by two servers on one PostgreSQL lease database (pgsql-reclaim4.ts): two
 * stores on one throw-away database, each with its own reclaimer (Reclaimer4, its own statistics),
 * reclaiming the same expired leases at the same time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registerDhcp4Hooks } from "../../../../src/dhcp4/hook-points.ts";
import { Reclaimer4 } from "../../../../src/dhcp4/reclaimer.ts";
import { Dhcp4Stats } from "../../../../src/dhcp4/stats4.ts";
import type { ExpiredLeasesProcessing } from "../../../../src/dhcpsrv/config/types.ts";
import { type Lease4, LeaseState } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { PgsqlLeaseStore4 } from "../../../../src/dhcpsrv/leases/pgsql-lease-store4.ts";
import { pgsqlReclaimer4 } from "../../../../src/dhcpsrv/leases/pgsql-reclaim4.ts";
import { pgStoreBed, recordingReclaimer, until } from "./pgsql-fixture.ts";
import { lease } from "./lease-helpers.ts";

const NOW = Math.floor(Date.now() / 1000);

function settings(over: Partial<ExpiredLeasesProcessing> = {}): ExpiredLeasesProcessing {
  return {
    "reclaim-timer-wait-time": 0,
    "flush-reclaimed-timer-wait-time": 25,
    "hold-reclaimed-time": 3600,
    "max-reclaim-leases": 100,
    "max-reclaim-time": 0,
    "unwarned-reclaim-cycles": 0,
    ...over,
  };
}

/** A server's reclamation: its reclaimer, its statistics, the addresses its cycles reclaimed. */
function reclaimerOf(
  store: PgsqlLeaseStore4,
  config: ExpiredLeasesProcessing,
  onReclaimed?: (address: string) => void,
) {
  return recordingReclaimer(
    registerDhcp4Hooks,
    (stats) => new Dhcp4Stats(stats),
    (deps) => new Reclaimer4({ ...deps, leases: store }),
    config,
    onReclaimed,
  );
}

/** Leases of addresses 198.51.100.<first..first+count-1>, expired 1000 s ago, each its client. */
function expiredLeases(first: number, count: number) {
  return Array.from({ length: count }, (_, i) =>
    lease(first + i, { cltt: NOW - 1000 - i, validLifetime: 100, hostname: `h${first + i}` }),
  );
}

describe("reclamation shared by two servers on one PostgreSQL lease database", () => {
  const bed = pgStoreBed("reclaim4", 4, (access, options) =>
    PgsqlLeaseStore4.open(access, options),
  );
  const twoStores = (t: { after(fn: () => Promise<void>): void }) => bed.twoStores(t);

  it("two servers reclaiming the same expired leases at once reclaim each exactly once", async (t) => {
    const { db, a, b } = await twoStores(t);
    const leases = expiredLeases(10, 120);
    for (const l of leases) a.addLease4(l);
    assert.equal((await a.flush()).size, 0);
    await until("b loaded the leases", () => b.size === leases.length);
    // Small cycles, run side by side until neither finds anything: the claims interleave.
    const config = settings({ "max-reclaim-leases": 7 });
    const ra = reclaimerOf(a, config);
    const rb = reclaimerOf(b, config);
    for (let round = 0; round < 100; round++) {
      const [x, y] = await Promise.all([ra.reclaimer.reclaimOnce(), rb.reclaimer.reclaimOnce()]);
      if (x === 0 && y === 0) break;
    }
    const all = [...ra.reclaimed, ...rb.reclaimed];
    assert.equal(all.length, leases.length, "every lease reclaimed once in total");
    assert.equal(new Set(all).size, leases.length, "no lease reclaimed twice");
    assert.ok(ra.reclaimed.length > 0 && rb.reclaimed.length > 0, "both servers took a share");
    // Each server's statistics count what it reclaimed.
    assert.equal(ra.stat("reclaimed-leases"), ra.reclaimed.length);
    assert.equal(rb.stat("reclaimed-leases"), rb.reclaimed.length);
    assert.equal(ra.stat("subnet[1].reclaimed-leases"), ra.reclaimed.length);
    // The table: every row expired-reclaimed, names cleared; Kea's lease4_stat agrees.
    assert.equal(
      bed.server.psql(
        `SELECT count(*), count(*) FILTER (WHERE state = 2 AND hostname = '') FROM lease4`,
        db.name,
      ),
      `${leases.length}|${leases.length}`,
    );
    // Kea's statistics table counts assigned (0) and declined (1) leases: none left.
    assert.equal(
      bed.server.psql(
        "SELECT coalesce(sum(leases), 0) FROM lease4_stat WHERE subnet_id = 1",
        db.name,
      ),
      "0",
    );
    // Both servers' memory: the reclaimer's own changes at once, the other's by notification.
    await until("both copies reclaimed", () =>
      [a, b].every((s) => s.getAllLeases4().every((l) => l.state === LeaseState.EXPIRED_RECLAIMED)),
    );
    assert.equal(a.pendingWrites, 0, "the reclaimed state is not written a second time");
  });

  it("rows one server holds are skipped by the other, which reclaims the rest", async (t) => {
    const { a, b } = await twoStores(t);
    for (const l of expiredLeases(30, 10)) a.addLease4(l);
    await a.flush();
    await until("b loaded the leases", () => b.size === 10);
    // Server a claims the four longest expired and holds them (its callouts still running).
    const held = pgsqlReclaimer4(a);
    const claimed = await held.claimExpired(NOW, 4);
    assert.deepEqual(
      claimed.map((l) => l.address),
      ["198.51.100.39", "198.51.100.38", "198.51.100.37", "198.51.100.36"],
    );
    const rb = reclaimerOf(b, settings());
    assert.equal(await rb.reclaimer.reclaimOnce(), 6);
    assert.deepEqual(
      rb.reclaimed.sort(),
      ["30", "31", "32", "33", "34", "35"].map((x) => `198.51.100.${x}`),
    );
    // Server a's claim ends without a change (max-reclaim-time ran out, say): the rows stay
    // expired, unreclaimed, for the next cycle, which the other server now runs.
    await held.commit();
    assert.equal(await rb.reclaimer.reclaimOnce(), 4);
    assert.equal(rb.stat("reclaimed-leases"), 10);
  });

  it("a lease renewed by its client is not reclaimed: in the table by another server, or here not yet committed", async (t) => {
    const { db, a, b } = await twoStores(t);
    for (const l of expiredLeases(50, 3)) a.addLease4(l);
    await a.flush();
    await until("b loaded the leases", () => b.size === 3);
    // .50: renewed in the table by a server that does not notify (Kea 2.2 sharing the database):
    // b's copy still shows it expired.
    bed.server.psql(
      `UPDATE lease4 SET expire = to_timestamp(${NOW + 3600}), valid_lifetime = 3600 WHERE address = ${0xc6336432}`,
      db.name,
    );
    assert.equal(b.getLease4("198.51.100.50")!.isExpired(NOW), true);
    // .51: renewed by b itself, in memory, not committed yet.
    const renewed = b.getLease4("198.51.100.51")!.clone();
    renewed.cltt = NOW;
    renewed.validLifetime = 3600;
    b.updateLease4(renewed);
    const rb = reclaimerOf(b, settings());
    assert.equal(await rb.reclaimer.reclaimOnce(), 1);
    assert.deepEqual(rb.reclaimed, ["198.51.100.52"]);
    await b.flush();
    assert.equal(
      bed.server.psql(
        "SELECT address - 3325256704, state, extract(epoch from expire)::bigint FROM lease4 ORDER BY address",
        db.name,
      ),
      [`50|0|${NOW + 3600}`, `51|0|${NOW + 3600}`, `52|2|${NOW - 1000 - 2 + 100}`].join("\n"),
    );
    assert.equal(b.getLease4("198.51.100.51")!.state, LeaseState.DEFAULT);
    assert.equal(b.getLease4("198.51.100.52")!.state, LeaseState.EXPIRED_RECLAIMED);
  });

  it("a lease this server renews while the cycle is under way is left out of the rest of the cycle", async (t) => {
    const { db, a } = await twoStores(t);
    for (const l of expiredLeases(60, 3)) a.addLease4(l);
    await a.flush();
    // Longest expired first: .62, .61, .60. When .62 is done, its client of .61 renews (a
    // query served between two callouts).
    const ra = reclaimerOf(a, settings(), (address) => {
      if (address !== "198.51.100.62") return;
      const renewed = a.getLease4("198.51.100.61")!.clone();
      renewed.cltt = NOW;
      renewed.validLifetime = 3600;
      a.updateLease4(renewed);
    });
    assert.equal(await ra.reclaimer.reclaimOnce(), 2);
    assert.deepEqual(ra.reclaimed, ["198.51.100.62", "198.51.100.60"]);
    await a.flush();
    assert.equal(
      bed.server.psql("SELECT address - 3325256704, state FROM lease4 ORDER BY address", db.name),
      "60|2\n61|0\n62|2",
    );
    assert.equal(a.getLease4("198.51.100.61")!.state, LeaseState.DEFAULT);
    assert.equal(a.getLease4("198.51.100.62")!.state, LeaseState.EXPIRED_RECLAIMED);
  });

  it("flush-reclaimed-timer-wait-time 0 removes the reclaimed rows; a declined lease past probation is removed", async (t) => {
    const { db, a, b } = await twoStores(t);
    const leases = expiredLeases(70, 4);
    leases[0]!.state = LeaseState.DECLINED;
    for (const l of leases) a.addLease4(l);
    await a.flush();
    await until("b loaded the leases", () => b.size === 4);
    const ra = reclaimerOf(a, settings({ "flush-reclaimed-timer-wait-time": 0 }));
    assert.equal(await ra.reclaimer.reclaimOnce(), 4);
    assert.equal(ra.stat("reclaimed-declined-addresses"), 1);
    assert.equal(bed.server.psql("SELECT count(*) FROM lease4", db.name), "0");
    assert.equal(a.size, 0);
    await until("b learned the removals", () => b.size === 0);
    const rb = reclaimerOf(b, settings({ "flush-reclaimed-timer-wait-time": 0 }));
    assert.equal(await rb.reclaimer.reclaimOnce(), 0);
  });

  it("a claim or a commit that fails (PostgreSQL stopped) changes nothing and is counted; the next cycle reclaims", async (t) => {
    const { db, a } = await twoStores(t);
    for (const l of expiredLeases(80, 2)) a.addLease4(l);
    await a.flush();
    const shared = pgsqlReclaimer4(a);
    // A fast shutdown (connections cut, transactions rolled back): the test server's
    // asynchronous commits are on disk then, as they would not be after a crash.
    await bed.server.pause("fast");
    try {
      assert.deepEqual(await shared.claimExpired(NOW, 0), [], "nothing claimed, no exception");
      assert.equal(shared.failures, 1);
    } finally {
      await bed.server.resume();
    }
    // The pool may need a try or two to reconnect: bounded.
    let claimed: Lease4[] = [];
    for (let i = 0; i < 50 && claimed.length === 0; i++) {
      claimed = await shared.claimExpired(NOW, 0);
      if (claimed.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(claimed.length, 2);
    for (const l of claimed) {
      const r = l.clone();
      r.state = LeaseState.EXPIRED_RECLAIMED;
      shared.record(l, r);
    }
    const failuresBefore = shared.failures;
    await bed.server.pause("fast");
    try {
      await shared.commit();
      assert.equal(shared.failures, failuresBefore + 1);
      // Memory keeps what the table keeps: not reclaimed.
      assert.equal(a.getLease4("198.51.100.80")!.state, LeaseState.DEFAULT);
    } finally {
      await bed.server.resume();
    }
    assert.equal(bed.server.psql("SELECT count(*) FROM lease4 WHERE state = 0", db.name), "2");
    const ra = reclaimerOf(a, settings());
    let done = 0;
    for (let i = 0; i < 50 && done === 0; i++) {
      done = await ra.reclaimer.reclaimOnce();
      if (done === 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(done, 2);
    assert.equal(bed.server.psql("SELECT count(*) FROM lease4 WHERE state = 2", db.name), "2");
  });
});
