/**
 * Reclamation shared by two nestor-dhcp6 on one PostgreSQL lease database (pgsql-reclaim6.ts):
 * two stores on one throw-away database with Kea's `lease6` table, each with its own reclaimer
 * (Reclaimer6, its own statistics), reclaiming the same expired addresses and prefixes at once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registerDhcp6Hooks } from "../../../../src/dhcp6/hook-points.ts";
import { Reclaimer6 } from "../../../../src/dhcp6/reclaimer.ts";
import { Dhcp6Stats } from "../../../../src/dhcp6/stats6.ts";
import type { ExpiredLeasesProcessing } from "../../../../src/dhcpsrv/config/types.ts";
import { LeaseType6 } from "../../../../src/dhcpsrv/leases/lease6.ts";
import { PgsqlLeaseStore6 } from "../../../../src/dhcpsrv/leases/pgsql-lease-store6.ts";
import { pgStoreBed, recordingReclaimer, until } from "./pgsql-fixture.ts";
import { lease6, prefix6 } from "./lease6-helpers.ts";

const NOW = Math.floor(Date.now() / 1000);

const SETTINGS: ExpiredLeasesProcessing = {
  "reclaim-timer-wait-time": 0,
  "flush-reclaimed-timer-wait-time": 25,
  "hold-reclaimed-time": 3600,
  "max-reclaim-leases": 7,
  "max-reclaim-time": 0,
  "unwarned-reclaim-cycles": 0,
};

/** A server's reclamation: its reclaimer, its statistics, the addresses its cycles reclaimed. */
function reclaimerOf(store: PgsqlLeaseStore6) {
  return recordingReclaimer(
    registerDhcp6Hooks,
    (stats) => new Dhcp6Stats(stats),
    (deps) => new Reclaimer6({ ...deps, leases: store }),
    SETTINGS,
  );
}

describe("DHCPv6 reclamation shared by two servers on one PostgreSQL lease database", () => {
  const bed = pgStoreBed("reclaim6", 6, (access, options) =>
    PgsqlLeaseStore6.open(access, options),
  );
  const twoStores = (t: { after(fn: () => Promise<void>): void }) => bed.twoStores(t);

  it("addresses and prefixes reclaimed at once by two servers are each reclaimed exactly once", async (t) => {
    const { db, a, b } = await twoStores(t);
    const expired = { cltt: NOW - 1000, validLifetime: 100, preferredLifetime: 50 };
    const leases = [
      ...Array.from({ length: 40 }, (_, i) => lease6(10 + i, { ...expired, hostname: "h" })),
      ...Array.from({ length: 20 }, (_, i) => prefix6(10 + i, expired)),
    ];
    for (const l of leases) a.addLease6(l);
    assert.equal((await a.flush()).size, 0);
    await until("b loaded the leases", () => b.size === leases.length);
    const ra = reclaimerOf(a);
    const rb = reclaimerOf(b);
    for (let round = 0; round < 100; round++) {
      const [x, y] = await Promise.all([
        ra.reclaimer.reclaimOnce({}),
        rb.reclaimer.reclaimOnce({}),
      ]);
      if (x === 0 && y === 0) break;
    }
    const all = [...ra.reclaimed, ...rb.reclaimed];
    assert.equal(all.length, leases.length, "every lease reclaimed once in total");
    assert.equal(new Set(all).size, leases.length, "no lease reclaimed twice");
    assert.ok(ra.reclaimed.length > 0 && rb.reclaimed.length > 0, "both servers took a share");
    assert.equal(
      ra.stat("reclaimed-leases") + rb.stat("reclaimed-leases"),
      leases.length,
      "the servers' statistics add up to the leases",
    );
    assert.equal(
      bed.server.psql(
        "SELECT count(*), count(*) FILTER (WHERE state = 2 AND hostname = '') FROM lease6",
        db.name,
      ),
      `${leases.length}|${leases.length}`,
    );
    // Both servers' copies say reclaimed (their own commits, and the other's notifications).
    await until("b learned a's reclamations", () =>
      leases.every((l) => b.getLease6(l.type, l.address)?.state === 2),
    );
    assert.ok(leases.every((l) => a.getLease6(l.type, l.address)?.state === 2));
  });

  it("a lease renewed in the table before the cycle is not reclaimed", async (t) => {
    const { db, a, b } = await twoStores(t);
    const l = lease6(0x70, { cltt: NOW - 1000, validLifetime: 100, preferredLifetime: 50 });
    a.addLease6(l);
    await a.flush();
    await until("b loaded the lease", () => b.size === 1);
    // a renews it (a client's RENEW through server a) and commits.
    const renewed = a.getLease6(LeaseType6.IA_NA, l.address)!;
    renewed.cltt = NOW;
    a.updateLease6(renewed);
    await a.flush();
    const rb = reclaimerOf(b);
    await rb.reclaimer.reclaimOnce({});
    assert.deepEqual(rb.reclaimed, []);
    assert.equal(
      bed.server.psql(`SELECT state FROM lease6 WHERE address = '${l.address}'`, db.name),
      "0",
    );
  });
});
