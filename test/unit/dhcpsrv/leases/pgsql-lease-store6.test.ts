import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { LeaseState, LeaseType6 } from "../../../../src/dhcpsrv/leases/lease6.ts";
import { PgsqlLeaseStore6 } from "../../../../src/dhcpsrv/leases/pgsql-lease-store6.ts";
import type { KeaDatabase } from "../../../helpers/pg-kea.ts";
import {
  commitsAfterOutage,
  pgStoreBed,
  refusesNonKeaSchema,
  retriesStatConflict,
} from "./pgsql-fixture.ts";
import { duidOf, lease6, leaseSetText6, prefix6 } from "./lease6-helpers.ts";

const NOW = Math.floor(Date.now() / 1000);
const NA = LeaseType6.IA_NA;
const PD = LeaseType6.IA_PD;

describe("PgsqlLeaseStore6 on Kea 2.2's lease6 table", () => {
  const bed = pgStoreBed("leases6", 6, (access, options) => PgsqlLeaseStore6.open(access, options));
  const freshDb = () => bed.freshDb();
  const open = (t: { after(fn: () => Promise<void>): void }, db: KeaDatabase) => bed.open(t, db);

  it("commits addresses and prefixes in one flush, in Kea's columns; another store loads the same leases", async (t) => {
    const db = freshDb();
    const a = await open(t, db);
    const addr = lease6(10, {
      cltt: NOW,
      // An IAID above 2^31: Kea stores it negative in the INT column.
      iaid: 0xfffffffe,
      hostname: "host-a.example.org",
      hwaddr: HWAddr.fromText("02:00:00:00:00:0a"),
      hwaddrSource: 4,
      userContext: { note: "x" },
    });
    const pfx = prefix6(11, { cltt: NOW });
    assert.equal(a.addLease6(addr), true);
    assert.equal(a.addLease6(pfx), true);
    assert.equal(a.pendingWrites, 2);
    const lost = await a.flush();
    assert.equal(lost.size, 0);
    assert.equal(a.pendingWrites, 0);
    assert.equal(
      bed.server.psql(
        "SELECT address, encode(duid,'hex'), iaid, lease_type, prefix_len, pref_lifetime, valid_lifetime, extract(epoch from expire)::bigint, subnet_id, hostname, encode(hwaddr,'hex'), hwtype, hwaddr_source, state, user_context FROM lease6 ORDER BY address",
        db.name,
      ),
      [
        `2001:db8:1::a|0003000102000000000a|-2|0|128|3000|3600|${NOW + 3600}|1|host-a.example.org|02000000000a|1|4|0|{"note":"x"}`,
        `2001:db8:8:b00::|0003000102000000000b|111|2|56|3000|3600|${NOW + 3600}|1|||0|0|0|`,
      ].join("\n"),
    );
    // Kea's triggers keep lease6_stat, per subnet, type and state.
    assert.equal(
      bed.server.psql("SELECT lease_type, leases FROM lease6_stat ORDER BY lease_type", db.name),
      "0|1\n2|1",
    );
    const b = await open(t, db);
    assert.equal(leaseSetText6(b.getAllLeases6()), leaseSetText6(a.getAllLeases6()));
    assert.equal(b.getLease6(NA, "2001:db8:1::a")?.iaid, 0xfffffffe);
    assert.equal(b.getLease6(PD, "2001:db8:8:b00::")?.prefixLen, 56);
    assert.equal(b.countLeases6(1, NA, LeaseState.DEFAULT), 1);
    assert.equal(b.countLeases6(1, PD, LeaseState.DEFAULT), 1);
    assert.deepEqual(b.getLease6(NA, "2001:db8:1::a")?.userContext, { note: "x" });
  });

  it("updates and deletes reach the table, any spelling of the address", async (t) => {
    const db = freshDb();
    const a = await open(t, db);
    a.addLease6(lease6(20, { cltt: NOW }));
    a.addLease6(prefix6(21, { cltt: NOW }));
    await a.flush();
    const renewed = a.getLease6(NA, "2001:0db8:0001:0000:0000:0000:0000:0014")!.clone();
    renewed.cltt = NOW + 100;
    renewed.hostname = "renewed";
    a.updateLease6(renewed);
    assert.equal(a.deleteLease6(a.getLease6(PD, "2001:db8:8:1500::")!), true);
    await a.flush();
    assert.equal(
      bed.server.psql(
        "SELECT address, hostname, extract(epoch from expire)::bigint FROM lease6",
        db.name,
      ),
      `2001:db8:1::14|renewed|${NOW + 100 + 3600}`,
    );
    assert.equal(
      bed.server.psql("SELECT lease_type, leases FROM lease6_stat ORDER BY lease_type", db.name),
      "0|1\n2|0",
    );
  });

  it("two servers on one table: the second to commit an address or prefix loses it and learns the winner", async (t) => {
    const db = freshDb();
    const a = await open(t, db);
    const b = await open(t, db);
    assert.equal(b.peerSeen, true, "B saw A listening");
    // Both saw 2001:db8:1::30 and 2001:db8:8:3000::/56 free; each gives them to its own client.
    a.addLease6(lease6(0x30, { cltt: NOW }));
    a.addLease6(prefix6(0x30, { cltt: NOW }));
    b.addLease6(lease6(0x30, { cltt: NOW, duid: duidOf(0xb0) }));
    b.addLease6(prefix6(0x30, { cltt: NOW, duid: duidOf(0xb0) }));
    b.addLease6(lease6(0x31, { cltt: NOW, duid: duidOf(0xb1) }));
    let conflicts: readonly string[] = [];
    b.onConflict = (lost) => (conflicts = lost);
    assert.equal((await a.flush()).size, 0);
    const lost = await b.flush();
    assert.deepEqual([...lost].sort(), ["2001:db8:1::30", "2001:db8:8:3000::"]);
    assert.deepEqual([...conflicts].sort(), ["2001:db8:1::30", "2001:db8:8:3000::"]);
    assert.equal(b.conflicts, 2);
    // B now holds A's leases in memory, and its own ::31 is in the table.
    assert.equal(
      b.getLease6(NA, "2001:db8:1::30")?.duid.toString("hex"),
      duidOf(0x30).toString("hex"),
    );
    assert.equal(
      b.getLease6(PD, "2001:db8:8:3000::")?.duid.toString("hex"),
      duidOf(0x30).toString("hex"),
    );
    assert.equal(
      bed.server.psql("SELECT address, encode(duid,'hex') FROM lease6 ORDER BY address", db.name),
      [
        `2001:db8:1::30|${duidOf(0x30).toString("hex")}`,
        `2001:db8:1::31|${duidOf(0xb1).toString("hex")}`,
        `2001:db8:8:3000::|${duidOf(0x30).toString("hex")}`,
      ].join("\n"),
    );
    // A's changes reach B's memory by notification; B may then take over A's expired lease.
    const stale = a.getLease6(NA, "2001:db8:1::30")!.clone();
    stale.cltt = NOW - 7200;
    a.updateLease6(stale);
    await a.flush();
    for (let i = 0; i < 100 && b.getLease6(NA, "2001:db8:1::30")?.cltt !== NOW - 7200; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(b.getLease6(NA, "2001:db8:1::30")?.cltt, NOW - 7200, "B learnt A's change");
    assert.ok(b.refreshed >= 1);
    b.updateLease6(lease6(0x30, { cltt: NOW, duid: duidOf(0xb3) }));
    assert.equal((await b.flush()).size, 0);
    assert.equal(
      bed.server.psql(
        "SELECT encode(duid,'hex') FROM lease6 WHERE address = '2001:db8:1::30'",
        db.name,
      ),
      duidOf(0xb3).toString("hex"),
    );
    // A deletion of a lease the other server holds now is not done either.
    const mine = a.getLease6(PD, "2001:db8:8:3000::")!;
    bed.server.psql(
      `UPDATE lease6 SET duid = '\\x0003000102000000ffff' WHERE address = '2001:db8:8:3000::'`,
      db.name,
    );
    a.deleteLease6(mine);
    await a.flush();
    assert.equal(bed.server.psql("SELECT count(*) FROM lease6 WHERE lease_type = 2", db.name), "1");
  });

  it("an infinite lease is stored as Kea 2.2 stores it (expire = cltt) and is never taken as expired", async (t) => {
    const db = freshDb();
    const a = await open(t, db);
    const b = await open(t, db);
    const forever = lease6(0x60, { cltt: NOW - 7200, validLifetime: 0xffffffff });
    a.addLease6(forever);
    await a.flush();
    assert.equal(
      bed.server.psql(
        "SELECT extract(epoch from expire)::bigint, valid_lifetime FROM lease6 WHERE address = '2001:db8:1::60'",
        db.name,
      ),
      `${NOW - 7200}|4294967295`,
    );
    // Another store reads the cltt back.
    const c = await open(t, db);
    assert.equal(c.getLease6(NA, "2001:db8:1::60")?.cltt, NOW - 7200);
    // A row written by a server that does not notify (Kea 2.2): its expire column is in the past,
    // yet the lease holds against a store that did not know it.
    bed.server.psql(
      `INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state, user_context) VALUES ('2001:db8:1::61', '\\x000300010200000000a1', 4294967295, to_timestamp(${NOW - 7200}), 1, 3000, 0, 1, 128, false, false, '', '', 0, 0, 0, '')`,
      db.name,
    );
    b.addLease6(lease6(0x61, { cltt: NOW, duid: duidOf(0xb6) }));
    assert.deepEqual([...(await b.flush())], ["2001:db8:1::61"]);
    assert.equal(b.getLease6(NA, "2001:db8:1::61")?.duid.toString("hex"), "000300010200000000a1");
    assert.equal(
      bed.server.psql(
        "SELECT encode(duid,'hex') FROM lease6 WHERE address = '2001:db8:1::61'",
        db.name,
      ),
      "000300010200000000a1",
    );
  });

  it(
    "a commit while the database is down fails; the rows stay queued and commit once it is back",
    commitsAfterOutage(
      bed,
      "lease6",
      (a) => a.addLease6(lease6(40, { cltt: NOW })),
      (a) => a.addLease6(prefix6(0x41, { cltt: NOW })),
    ),
  );

  it("reload() reads rows as Kea 2.2 writes them (as at a reconfiguration)", async (t) => {
    const db = freshDb();
    const a = await open(t, db);
    assert.equal(a.size, 0);
    // Rows as kea-dhcp6 2.2 writes them: an address with an empty hwaddr, type and source 0,
    // an empty user context, a negative IAID; a prefix with a hardware address.
    bed.server.psql(
      `INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state, user_context) VALUES
       ('2001:db8:1::50', '\\x000300010200000000aa', 4000, to_timestamp(${NOW + 4000}), 1, 3000, 0, -16777216, 128, false, false, 'kea-host', '', 0, 0, 0, ''),
       ('2001:db8:8:5100::', '\\x000300010200000000ab', 4000, to_timestamp(${NOW + 4000}), 1, 3000, 2, 7, 56, false, false, '', '\\x0200000000ab', 1, 4, 0, '{ "ISC": { "x": 1 } }')`,
      db.name,
    );
    assert.equal(await a.reload(), 2);
    const l = a.getLease6(NA, "2001:db8:1::50");
    assert.equal(l?.hwaddr, null);
    assert.equal(l?.iaid, 0xff000000);
    assert.equal(l?.cltt, NOW);
    assert.equal(l?.validLifetime, 4000);
    assert.equal(l?.preferredLifetime, 3000);
    assert.equal(l?.hostname, "kea-host");
    assert.equal(l?.userContext, null);
    const p = a.getLease6(PD, "2001:db8:8:5100::");
    assert.equal(p?.prefixLen, 56);
    assert.equal(p?.hwaddr?.hwaddr.toString("hex"), "0200000000ab");
    assert.equal(p?.hwaddr?.htype, 1);
    assert.equal(p?.hwaddrSource, 4);
    assert.deepEqual(p?.userContext, { ISC: { x: 1 } });
    assert.deepEqual(a.leaseStats6(), [
      { subnetId: 1, type: NA, state: 0, count: 1 },
      { subnetId: 1, type: PD, state: 0, count: 1 },
    ]);
    // A row deleted by another program disappears at the next reload.
    bed.server.psql("DELETE FROM lease6 WHERE lease_type = 2", db.name);
    assert.equal(await a.reload(), 1);
    assert.equal(a.getLease6(PD, "2001:db8:8:5100::"), null);
    assert.equal(a.countLeases6(1, PD, 0), 0);
  });

  it(
    "a commit that meets another server's first insert into Kea's lease6_stat goes again and succeeds",
    retriesStatConflict(
      bed,
      `INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state, user_context) VALUES ('2001:db8:7::90', '\\x0003000102000000ff90', 3600, to_timestamp(${NOW + 3600}), 7, 3000, 0, 1, 128, false, false, '', '', 0, 0, 0, '')`,
      (a) => a.addLease6(lease6(0x91, { cltt: NOW, subnetId: 7, address: "2001:db8:7::91" })),
      "SELECT leases FROM lease6_stat WHERE subnet_id = 7 AND lease_type = 0 AND state = 0",
    ),
  );

  it(
    "refuses a database without Kea's schema",
    refusesNonKeaSchema(bed, 6, "not_kea6", (access) => PgsqlLeaseStore6.open(access)),
  );
});
