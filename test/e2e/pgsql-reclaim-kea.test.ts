/**
 * Reclamation on a PostgreSQL lease database, side by side with Kea 2.2: one Kea configuration
 * (a 4 s lifetime, a 2 s decline probation, reclamation every second, reclaimed leases kept),
 * kea-dhcp4 2.2 on one database and nestor-dhcp4 on another (both made by kea-admin), the same
 * relayed queries to each: three clients get a lease, a fourth gets one and declines it. Once
 * every lease has expired and been reclaimed, the tables hold the same rows (state, names, DNS
 * flags, lifetimes, clients), Kea's lease4_stat the same counts, and the servers report the same
 * statistics.
 *
 *   relay ns [veth 198.51.100.254/24] ---- [veth 198.51.100.1/24] server ns
 *
 * Needs root, iproute2, kea-dhcp4 (kea-dhcp4-server), kea-admin and postgresql.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { PgKea } from "../helpers/pg-kea.ts";
import { statistic, waitForControl } from "./lib/control-client.ts";
import { keaPrerequisite, keaThenNestor, serverRelayLink } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";

const GIADDR = "198.51.100.254";
const SERVER = "198.51.100.1";
const REQUEST = 3;
const DECLINE = 4;
const ACK = 5;

const ipHex = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");
const mac = (n: number) => `02:00:00:00:0e:${n.toString(16).padStart(2, "0")}`;
const selecting = (m: string, addr: string, type = REQUEST): Query4 => ({
  type,
  mac: m,
  options: [
    [50, ipHex(addr)],
    [54, ipHex(SERVER)],
  ],
});

const STATISTICS = [
  "reclaimed-leases",
  "subnet[1].reclaimed-leases",
  "subnet[1].assigned-addresses",
  "declined-addresses",
  "subnet[1].declined-addresses",
  "reclaimed-declined-addresses",
  "subnet[1].reclaimed-declined-addresses",
];

test(
  "reclamation on a PostgreSQL lease database leaves the same rows, counts and statistics as Kea 2.2",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    const pg = await PgKea.start();
    const bed = new TestBed("pgsql reclaim kea");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
      const socket = join(bed.dir, "dhcp4.sock");
      const relay = fileURLToPath(new URL("./lib/relay4-queries.ts", import.meta.url));
      const queries = join(bed.dir, "queries.json");
      writeFileSync(
        queries,
        JSON.stringify([
          // A hostname (option 12): reclamation clears what the lease kept of it.
          {
            ...selecting(mac(1), "198.51.100.10"),
            options: [...selecting(mac(1), "198.51.100.10").options!, [12, "686f73742d6f6e65"]],
          },
          selecting(mac(2), "198.51.100.11"),
          selecting(mac(3), "198.51.100.12"),
          selecting(mac(4), "198.51.100.13"),
          selecting(mac(4), "198.51.100.13", DECLINE),
        ]),
      );
      const out = await keaThenNestor(
        bed,
        serverNs,
        4,
        (who) => {
          const db = pg.createKeaDatabase(`reclaim_${who}`);
          const file = join(bed.dir, `${who}.json`);
          writeFileSync(
            file,
            JSON.stringify({
              Dhcp4: {
                "interfaces-config": { interfaces: [serverIf], "dhcp-socket-type": "udp" },
                "lease-database": db.keaConfig(),
                "control-socket": { "socket-type": "unix", "socket-name": socket },
                "valid-lifetime": 4,
                "decline-probation-period": 2,
                "expired-leases-processing": {
                  "reclaim-timer-wait-time": 1,
                  "flush-reclaimed-timer-wait-time": 25,
                  "hold-reclaimed-time": 3600,
                  "max-reclaim-leases": 100,
                  "max-reclaim-time": 250,
                },
                subnet4: [
                  {
                    id: 1,
                    subnet: "198.51.100.0/24",
                    relay: { "ip-addresses": [GIADDR] },
                    pools: [{ pool: "198.51.100.10 - 198.51.100.29" }],
                  },
                ],
                loggers: [
                  { name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" },
                ],
              },
            }),
          );
          return file;
        },
        async (who, server) => {
          await waitForControl(socket, server, 30_000);
          const answers = JSON.parse(
            bed.exec(relayNs, process.execPath, [relay, GIADDR, SERVER, queries], 30_000),
          ) as (Answer4 | null)[];
          const db = `reclaim_${who}`;
          // Every lease past its lifetime (or probation) and reclaimed: no assigned or declined
          // row left. Bounded: 4 s lifetimes, a cycle every second.
          const deadline = Date.now() + 60_000;
          for (;;) {
            const left = Number(pg.psql("SELECT count(*) FROM lease4 WHERE state <> 2", db));
            if (left === 0) break;
            assert.ok(
              Date.now() < deadline,
              `${who}: ${left} leases not reclaimed:\n${server.output}`,
            );
            await new Promise((r) => setTimeout(r, 250));
          }
          const rows = pg.psql(
            "SELECT address, encode(hwaddr, 'hex'), encode(client_id, 'hex'), valid_lifetime, " +
              "subnet_id, fqdn_fwd, fqdn_rev, hostname, state, user_context FROM lease4 ORDER BY address",
            db,
          );
          const stat = pg.psql(
            "SELECT subnet_id, state, leases FROM lease4_stat ORDER BY subnet_id, state",
            db,
          );
          const stats: Record<string, number> = {};
          for (const name of STATISTICS) stats[name] = await statistic(socket, name);
          return {
            answers: answers.map((a) => [a?.type ?? null, a?.yiaddr ?? null]),
            rows,
            stat,
            stats,
          };
        },
      );
      process.stdout.write(`# rows: ${out.nestor.rows.replaceAll("\n", " / ")}\n`);
      assert.deepEqual(out.kea.answers.slice(0, 4), [
        [ACK, "198.51.100.10"],
        [ACK, "198.51.100.11"],
        [ACK, "198.51.100.12"],
        [ACK, "198.51.100.13"],
      ]);
      assert.deepEqual(out.nestor.answers, out.kea.answers);
      // Three leases kept as expired-reclaimed; the declined one recovered and removed.
      assert.equal(out.kea.rows.split("\n").length, 3, out.kea.rows);
      assert.equal(out.nestor.rows, out.kea.rows, "the same rows as Kea's, column by column");
      assert.equal(out.nestor.stat, out.kea.stat, "the same lease4_stat counts");
      assert.deepEqual(out.nestor.stats, out.kea.stats, "the same statistics");
      assert.equal(out.nestor.stats["reclaimed-leases"], 4);
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
