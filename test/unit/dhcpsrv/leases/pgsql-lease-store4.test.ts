import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { LeaseState } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { PgsqlLeaseStore4 } from "../../../../src/dhcpsrv/leases/pgsql-lease-store4.ts";
import type { KeaDatabase } from "../../../helpers/pg-kea.ts";
import {
  commitsAfterOutage,
  pgStoreBed,
  refusesNonKeaSchema,
  retriesStatConflict,
} from "./pgsql-fixture.ts";
import { lease, leaseSetText } from "./lease-helpers.ts";

const NOW = Math.floor(Date.now() / 1000);

describe("PgsqlLeaseStore4 on Kea 2.2's lease4 table", () => {
  const bed = pgStoreBed("leases4", 4, (access, options) => PgsqlLeaseStore4.open(access, options));
  const freshDb = () => bed.freshDb();
  const open = (t: { after(fn: () => Promise<void>): void }, db: KeaDatabase) => bed.open(t, db);

  it("commits a batch in one flush; another store opened later loads the same leases", async (t) => {
    const db = freshDb();
    const a = await open(t, db);
    const l1 = lease(10, { cltt: NOW, clientId: Buffer.from([1, 2, 3]), hostname: "host-a" });
    const l2 = lease(11, { cltt: NOW, userContext: { note: "x" } });
    assert.equal(a.addLease4(l1), true);
    assert.equal(a.addLease4(l2), true);
    assert.equal(a.pendingWrites, 2);
    const lost = await a.flush();
    assert.equal(lost.size, 0);
    assert.equal(a.pendingWrites, 0);
    assert.equal(bed.server.psql("SELECT count(*) FROM lease4", db.name), "2");
    // Kea's columns: expire = cltt + valid_lifetime, address as a number.
    assert.equal(
      bed.server.psql(
        "SELECT address, encode(hwaddr,'hex'), encode(client_id,'hex'), valid_lifetime, extract(epoch from expire)::bigint, subnet_id, hostname, state FROM lease4 WHERE address = 3325256714",
        db.name,
      ),
      `3325256714|02000000000a|010203|3600|${NOW + 3600}|1|host-a|0`,
    );
    // The lease statistics table Kea reads is kept by Kea's triggers.
    assert.equal(
      bed.server.psql("SELECT leases FROM lease4_stat WHERE subnet_id = 1 AND state = 0", db.name),
      "2",
    );
    const b = await open(t, db);
    assert.equal(leaseSetText(b.getAllLeases4()), leaseSetText(a.getAllLeases4()));
    assert.equal(b.countLeases4(1, LeaseState.DEFAULT), 2);
  });

  it("updates and deletes reach the table; a renewal of a reclaimed lease is written", async (t) => {
    const db = freshDb();
    const a = await open(t, db);
    a.addLease4(lease(20, { cltt: NOW }));
    a.addLease4(lease(21, { cltt: NOW }));
    await a.flush();
    const renewed = a.getLease4("198.51.100.20")!.clone();
    renewed.cltt = NOW + 100;
    renewed.hostname = "renewed";
    a.updateLease4(renewed);
    assert.equal(a.deleteLease4(a.getLease4("198.51.100.21")!), true);
    await a.flush();
    assert.equal(
      bed.server.psql("SELECT hostname, extract(epoch from expire)::bigint FROM lease4", db.name),
      `renewed|${NOW + 100 + 3600}`,
    );
  });

  it("two servers on one table: the second to commit an address loses it and learns the winner", async (t) => {
    const db = freshDb();
    const a = await open(t, db);
    const b = await open(t, db);
    // Both saw 198.51.100.30 free; each gives it to its own client.
    a.addLease4(lease(30, { cltt: NOW, hwaddr: HWAddr.fromText("02:aa:00:00:00:01") }));
    b.addLease4(lease(30, { cltt: NOW, hwaddr: HWAddr.fromText("02:bb:00:00:00:01") }));
    b.addLease4(lease(31, { cltt: NOW, hwaddr: HWAddr.fromText("02:bb:00:00:00:02") }));
    assert.equal((await a.flush()).size, 0);
    const lost = await b.flush();
    assert.deepEqual([...lost], ["198.51.100.30"]);
    assert.equal(b.conflicts, 1);
    // B now holds A's lease for .30 in memory, and its own .31 is in the table.
    assert.equal(b.getLease4("198.51.100.30")?.hwaddr?.hwaddr.toString("hex"), "02aa00000001");
    assert.equal(
      bed.server.psql(
        "SELECT address - 3325256704, encode(hwaddr,'hex') FROM lease4 ORDER BY address",
        db.name,
      ),
      "30|02aa00000001\n31|02bb00000002",
    );
    // A's changes reach B's memory by notification; an expired lease of A's may then be taken
    // over by B (as the allocation engine reuses an expired lease: an update).
    const stale = a.getLease4("198.51.100.30")!.clone();
    stale.cltt = NOW - 7200;
    a.updateLease4(stale);
    await a.flush();
    for (let i = 0; i < 100 && b.getLease4("198.51.100.30")?.cltt !== NOW - 7200; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(b.getLease4("198.51.100.30")?.cltt, NOW - 7200, "B learnt A's change");
    assert.ok(b.refreshed >= 1);
    b.updateLease4(lease(30, { cltt: NOW, hwaddr: HWAddr.fromText("02:bb:00:00:00:03") }));
    assert.equal((await b.flush()).size, 0);
    assert.equal(
      bed.server.psql(
        "SELECT encode(hwaddr,'hex') FROM lease4 WHERE address = 3325256734",
        db.name,
      ),
      "02bb00000003",
    );
  });

  it(
    "a commit while the database is down fails; the rows stay queued and commit once it is back",
    commitsAfterOutage(
      bed,
      "lease4",
      (a) => a.addLease4(lease(40, { cltt: NOW })),
      (a) => a.addLease4(lease(41, { cltt: NOW })),
    ),
  );

  it("reload() reads rows another program wrote (as at a reconfiguration)", async (t) => {
    const db = freshDb();
    const a = await open(t, db);
    assert.equal(a.size, 0);
    // A row as Kea 2.2 writes it: empty client_id and user_context, expire a timestamp.
    bed.server.psql(
      `INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES (3325256754, '\\x020000000032', '', 3600, to_timestamp(${NOW + 3600}), 1, false, false, 'kea-host', 0, '')`,
      db.name,
    );
    assert.equal(await a.reload(), 1);
    const l = a.getLease4("198.51.100.50");
    assert.equal(l?.hwaddr?.hwaddr.toString("hex"), "020000000032");
    assert.equal(l?.clientId, null);
    assert.equal(l?.cltt, NOW);
    assert.equal(l?.hostname, "kea-host");
    assert.equal(l?.userContext, null);
    assert.equal(a.countLeases4(1, LeaseState.DEFAULT), 1);
  });

  it(
    "a commit that meets another server's first insert into Kea's lease4_stat goes again and succeeds",
    retriesStatConflict(
      bed,
      // Another server's transaction: the first lease of subnet 7, whose trigger inserts
      // lease4_stat (7, 0).
      `INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES (3325256790, '\\x020000000050', '', 3600, to_timestamp(${NOW + 3600}), 7, false, false, '', 0, '')`,
      (a) => a.addLease4(lease(91, { cltt: NOW, subnetId: 7 })),
      "SELECT leases FROM lease4_stat WHERE subnet_id = 7 AND state = 0",
    ),
  );

  it("an infinite lease is stored as Kea 2.2 stores it (expire = cltt) and is never taken as expired", async (t) => {
    const db = freshDb();
    const a = await open(t, db);
    const b = await open(t, db);
    a.addLease4(lease(60, { cltt: NOW - 7200, validLifetime: 0xffffffff }));
    await a.flush();
    assert.equal(
      bed.server.psql(
        "SELECT extract(epoch from expire)::bigint, valid_lifetime FROM lease4 WHERE address = 3325256764",
        db.name,
      ),
      `${NOW - 7200}|4294967295`,
    );
    // Another store reads the cltt back.
    const c = await open(t, db);
    assert.equal(c.getLease4("198.51.100.60")?.cltt, NOW - 7200);
    // A row written by a server that does not notify (Kea 2.2): its expire column is in the past,
    // yet the lease holds against a store that did not know it.
    bed.server.psql(
      `INSERT INTO lease4 (address, hwaddr, client_id, valid_lifetime, expire, subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context) VALUES (3325256765, '\\x0200000000a1', '', 4294967295, to_timestamp(${NOW - 7200}), 1, false, false, '', 0, '')`,
      db.name,
    );
    b.addLease4(lease(61, { cltt: NOW, hwaddr: HWAddr.fromText("02:00:00:00:00:b6") }));
    assert.deepEqual([...(await b.flush())], ["198.51.100.61"]);
    assert.equal(b.getLease4("198.51.100.61")?.hwaddr?.hwaddr.toString("hex"), "0200000000a1");
  });

  it(
    "refuses a database without Kea's schema",
    refusesNonKeaSchema(bed, 4, "not_kea", (access) => PgsqlLeaseStore4.open(access)),
  );
});
