/**
 * The PostgreSQL lease database shared by kea-dhcp6 2.2 and nestor-dhcp6 (a migration), with
 * addresses and delegated prefixes: one Kea configuration file with `"type": "postgresql"`, given
 * unchanged to both servers, one database made by Kea's own `kea-admin db-init pgsql`.
 *
 *   1. kea-dhcp6 serves three clients (relayed SOLICIT + REQUEST, an IA_NA and an IA_PD each),
 *      lease6-get-all, stops.
 *   2. nestor-dhcp6 starts on the same file: its lease6-get-all equals Kea's, field by field, and
 *      its assigned-nas / assigned-pds count them (recounted from the database at start); a
 *      client of Kea's gets its own address and prefix back from Nestor; two new clients are
 *      served, with addresses and prefixes no one holds; lease6-add and lease6-del (lease_cmds)
 *      change the table before they answer; a row written by another server meanwhile is read,
 *      and counted in the statistics, at the next reconfiguration (config-reload).
 *   3. kea-dhcp6 starts again: its lease6-get-all equals Nestor's, and so do its statistics.
 *
 *   relay ns [veth 2001:db8:1::1/64] ---- [veth 2001:db8:1::2/64] server ns
 *
 * Needs root, iproute2, kea-dhcp6 (kea-dhcp6-server), libdhcp_lease_cmds.so (kea-common),
 * kea-admin and postgresql.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PgKea } from "../helpers/pg-kea.ts";
import { controlCommand, statistic, waitForControl } from "./lib/control-client.ts";
import { keaPrerequisite, requireKeaHookLibrary, serverRelayLink, startKea } from "./lib/kea.ts";
import { startNestor } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed, type Proc } from "./lib/netns.ts";
import { allLeases, relayQueries, sharedLeaseDatabase } from "./lib/pgsql-kea-shared.ts";
import type { Answer6, Query6 } from "./lib/relay6-queries.ts";

const RELAY = "2001:db8:1::1";
const SERVER = "2001:db8:1::2";
const SOLICIT = 1;
const ADVERTISE = 2;
const REQUEST = 3;
const REPLY = 7;

const duid = (n: number) => `0003000102000000${n.toString(16).padStart(4, "0")}`;
/** A client's SOLICIT then REQUEST (the server identifier of the ADVERTISE), IA_NA 1 and IA_PD 2. */
const exchange = (n: number): Query6[] => {
  const ias = [{ iaid: 1 }, { iaid: 2, pd: true }];
  return [
    { type: SOLICIT, duid: duid(n), ias },
    { type: REQUEST, duid: duid(n), ias, serverId: true },
  ];
};

/** "<address> <preferred> <valid>" of each IA of a REPLY, in order. */
const granted = (a: Answer6 | null) => [a?.type, ...(a?.ias.map((ia) => ia.leases[0]) ?? [])];

test(
  "kea-dhcp6 2.2 and nestor-dhcp6 serve addresses and prefixes from one PostgreSQL lease database, each seeing the other's leases",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const leaseCmds = requireKeaHookLibrary("libdhcp_lease_cmds.so", "kea-common");
    const pg = await PgKea.start();
    const bed = new TestBed("pgsql kea v6", "pg6");
    try {
      const db = pg.createKeaDatabase("kea6_shared");
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, RELAY, 64);
      const socket = join(bed.dir, "dhcp6.sock");
      const config = join(bed.dir, "kea-dhcp6.conf");
      // A Kea 2.2 configuration, as an operator has it; Nestor gets the same file.
      writeFileSync(
        config,
        JSON.stringify(
          {
            Dhcp6: {
              "interfaces-config": { interfaces: [`${serverIf}/${SERVER}`] },
              "lease-database": sharedLeaseDatabase(db),
              "server-id": {
                type: "EN",
                "enterprise-id": 2495,
                identifier: "0102",
                persist: false,
              },
              "control-socket": { "socket-type": "unix", "socket-name": socket },
              "hooks-libraries": [{ library: leaseCmds }],
              "preferred-lifetime": 3000,
              "valid-lifetime": 4000,
              subnet6: [
                {
                  id: 1,
                  subnet: "2001:db8:1::/64",
                  pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::2f" }],
                  "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 }],
                },
              ],
              loggers: [
                { name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" },
              ],
            },
          },
          null,
          2,
        ),
      );
      const relay = { bed, family: 6 as const, relayNs, relayAddress: RELAY, server: SERVER };
      const send = (name: string, queries: Query6[]) =>
        relayQueries<Query6, Answer6>(relay, name, queries);
      const ready = async (server: Proc) => waitForControl(socket, server, 30_000);
      const counts = async () => [
        await statistic(socket, "subnet[1].assigned-nas"),
        await statistic(socket, "subnet[1].assigned-pds"),
      ];

      // 1. Kea serves three clients, an address and a prefix each.
      let kea = await startKea(bed, serverNs, 6, config);
      await ready(kea);
      const keaAnswers = await send("kea1", [...exchange(1), ...exchange(2), ...exchange(3)]);
      assert.deepEqual(
        keaAnswers.map((a) => a?.type),
        [ADVERTISE, REPLY, ADVERTISE, REPLY, ADVERTISE, REPLY],
        kea.output,
      );
      // And a lease of infinite lifetime, through lease_cmds (its expire column is Kea's own
      // convention: the two servers must read it alike).
      const infinite = await controlCommand(socket, {
        command: "lease6-add",
        arguments: {
          "ip-address": "2001:db8:1::2f",
          duid: "00:03:00:01:02:00:00:00:00:2f",
          iaid: 47,
          "subnet-id": 1,
          "valid-lft": 4294967295,
        },
      });
      assert.equal(infinite.result, 0, JSON.stringify(infinite));
      const byKea = await allLeases(socket, 6);
      assert.equal(byKea.length, 7, JSON.stringify(byKea));
      assert.deepEqual(byKea.map((l) => l["type"]).sort(), [
        "IA_NA",
        "IA_NA",
        "IA_NA",
        "IA_NA",
        "IA_PD",
        "IA_PD",
        "IA_PD",
      ]);
      await kea.stop();

      // 2. Nestor on the same, unmodified file.
      const nestor = await startNestor(bed, serverNs, 6, config);
      await ready(nestor);
      assert.match(nestor.output, /DHCPSRV_PGSQL_DB .*name=kea6_shared/);
      assert.deepEqual(await allLeases(socket, 6), byKea, "Nestor reads Kea's rows field by field");
      assert.deepEqual(await counts(), [4, 3], "statistics recounted from the database");
      const client2 = byKea.filter((l) => l["duid"] === duid(2).replace(/(..)(?!$)/g, "$1:"));
      assert.equal(client2.length, 2, JSON.stringify(byKea));
      const nestorAnswers = await send("nestor", [...exchange(2), ...exchange(4), ...exchange(5)]);
      // Kea's client gets its own address and prefix back.
      const mine = (type: string) => client2.find((l) => l["type"] === type)!;
      const na = mine("IA_NA");
      const pd = mine("IA_PD");
      assert.deepEqual(
        granted(nestorAnswers[1]!),
        [REPLY, `${na["ip-address"]} 3000 4000`, `${pd["ip-address"]}/56 3000 4000`],
        nestor.output,
      );
      assert.deepEqual(
        nestorAnswers.map((a) => a?.type),
        [ADVERTISE, REPLY, ADVERTISE, REPLY, ADVERTISE, REPLY],
        nestor.output,
      );
      const byNestor = await allLeases(socket, 6);
      assert.equal(byNestor.length, 11, JSON.stringify(byNestor));
      // Each address and prefix once (the new clients got ones no one held).
      assert.equal(new Set(byNestor.map((l) => l["ip-address"])).size, 11);
      for (const l of byKea) {
        const now = byNestor.find((x) => x["ip-address"] === l["ip-address"]);
        assert.equal(now?.["duid"], l["duid"], `${String(l["ip-address"])} kept its client`);
      }
      assert.deepEqual(await counts(), [6, 5]);

      // lease_cmds on the database: an address added, a prefix of Kea's client deleted, each
      // committed before the answer.
      const added = await controlCommand(socket, {
        command: "lease6-add",
        arguments: {
          "ip-address": "2001:db8:1::2a",
          duid: "00:03:00:01:02:00:00:00:00:2a",
          iaid: 42,
          "subnet-id": 1,
          hostname: "added.example.org",
          "valid-lft": 4294967295,
        },
      });
      assert.equal(added.result, 0, JSON.stringify(added));
      const deleted = await controlCommand(socket, {
        command: "lease6-del",
        arguments: { "ip-address": pd["ip-address"], type: "IA_PD" },
      });
      assert.equal(deleted.result, 0, JSON.stringify(deleted));
      assert.equal(
        pg.psql(
          `SELECT hostname FROM lease6 WHERE address = '2001:db8:1::2a' UNION ALL SELECT count(*)::text FROM lease6 WHERE address = '${String(pd["ip-address"])}'`,
          db.name,
        ),
        "added.example.org\n0",
      );
      assert.deepEqual(await counts(), [7, 4]);
      // A row another server wrote meanwhile (as kea-dhcp6 2.2 writes it): a reconfiguration
      // reads the table again and recounts the statistics from it.
      pg.psql(
        `INSERT INTO lease6 (address, duid, valid_lifetime, expire, subnet_id, pref_lifetime, lease_type, iaid, prefix_len, fqdn_fwd, fqdn_rev, hostname, hwaddr, hwtype, hwaddr_source, state, user_context) VALUES ('2001:db8:8:ff00::', '\\x0003000102000000002b', 4000, to_timestamp(floor(extract(epoch from now())) + 4000), 1, 3000, 2, 2, 56, false, false, '', '', 0, 0, 0, '')`,
        db.name,
      );
      const reloaded = await controlCommand(socket, { command: "config-reload" });
      assert.equal(reloaded.result, 0, JSON.stringify(reloaded));
      assert.deepEqual(await counts(), [7, 5], "statistics recounted after the reconfiguration");
      const byNestorNow = await allLeases(socket, 6);
      process.stdout.write(
        `# infinite leases: ${pg.psql("SELECT address, extract(epoch from expire)::bigint, valid_lifetime FROM lease6 WHERE valid_lifetime = 4294967295 ORDER BY address", db.name).replaceAll("\n", "; ")}\n`,
      );
      assert.equal(byNestorNow.length, 12);
      await nestor.stop();
      assert.equal(
        pg.psql("SELECT lease_type, count(*) FROM lease6 GROUP BY 1 ORDER BY 1", db.name),
        "0|7\n2|5",
      );

      // 3. Kea again: it sees what Nestor wrote, exactly.
      kea = await startKea(bed, serverNs, 6, config);
      await ready(kea);
      assert.deepEqual(
        await allLeases(socket, 6),
        byNestorNow,
        "Kea reads Nestor's rows field by field",
      );
      assert.deepEqual(await counts(), [7, 5]);
      await kea.stop();
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
