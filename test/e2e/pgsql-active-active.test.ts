/**
 * Two nestor-dhcp4 servers, active/active, on one PostgreSQL lease database (Kea 2.2's schema,
 * made by kea-admin) with the same subnet and the same pool: each in its own network namespace
 * with its own perfdhcp (DORA, new clients, 10 s). No address may be leased to two clients, every
 * acknowledged lease must be in the database, and each perfdhcp must complete at least 95 % of
 * its exchanges (two Kea 2.2 servers complete about half in this setup: both offer the same
 * next free address, and half the REQUESTs get no ACK).
 *
 *   perfA ns [198.18.0.2/16] ---- [198.18.0.1/16] srvA ns: nestor-dhcp4 \
 *                                                                         one PostgreSQL
 *   perfB ns [198.18.0.2/16] ---- [198.18.0.1/16] srvB ns: nestor-dhcp4 /  (unix socket)
 *
 * Needs root, iproute2, perfdhcp and kea-admin (kea-admin), postgresql.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PgKea } from "../helpers/pg-kea.ts";
import { startNestor } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed, type Proc } from "./lib/netns.ts";
import { exchangeStats, perfdhcp4Args, perfdhcpStats } from "./lib/perfdhcp.ts";

const RATE = 200;
const SECONDS = 10;

test(
  "two nestor-dhcp4 on one PostgreSQL database, same pool, each under perfdhcp: no address twice, every ACK stored, >= 95 % completed",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "perfdhcp", debianPackage: "kea-admin" },
    ]);
    const pg = await PgKea.start();
    const bed = new TestBed("pgsql active-active");
    try {
      const db = pg.createKeaDatabase("kea_aa");
      const sides = ["a", "b"].map((name) => {
        const serverNs = bed.namespace(`s${name}`);
        const perfNs = bed.namespace(`p${name}`);
        const link = bed.link(
          { ns: serverNs, role: "s", address: "198.18.0.1/16" },
          { ns: perfNs, role: "p", address: "198.18.0.2/16" },
        );
        const file = join(bed.dir, `nestor-${name}.json`);
        writeFileSync(
          file,
          JSON.stringify({
            Dhcp4: {
              "interfaces-config": { interfaces: [link.a], "dhcp-socket-type": "udp" },
              "lease-database": db.keaConfig(),
              "valid-lifetime": 4000,
              subnet4: [
                {
                  id: 1,
                  subnet: "198.18.0.0/16",
                  pools: [{ pool: "198.18.1.0 - 198.18.245.255" }],
                },
              ],
              loggers: [
                { name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" },
              ],
            },
          }),
        );
        return { name, serverNs, perfNs, link, file };
      });
      const servers: Proc[] = [];
      for (const s of sides) servers.push(await startNestor(bed, s.serverNs, 4, s.file));
      const perfs = sides.map((s, i) =>
        bed.spawn(
          `perfdhcp-${s.name}`,
          s.perfNs,
          "perfdhcp",
          // Each perfdhcp its own clients: its own base MAC address (-b), the last bytes random.
          [
            ...perfdhcp4Args(s.link.b, {
              rate: RATE,
              seconds: SECONDS,
              clients: 4_294_967_295,
              seed: 11 + i,
            }).slice(0, -1),
            "-b",
            `mac=02:0${i + 1}:00:00:00:00`,
            "all",
          ],
        ),
      );
      for (const p of perfs) {
        assert.ok(await p.waitExit((SECONDS + 60) * 1000), `perfdhcp did not finish:\n${p.output}`);
      }
      let acks = 0;
      for (const [i, p] of perfs.entries()) {
        const stats = perfdhcpStats(p.output);
        const discover = exchangeStats(stats, "DISCOVER-OFFER", p.output);
        const request = exchangeStats(stats, "REQUEST-ACK", p.output);
        const completed = request.received / discover.sent;
        process.stdout.write(
          `# server ${sides[i]!.name}: ${discover.sent} DISCOVERs, ${request.received} ACKs (${(completed * 100).toFixed(1)} %)\n`,
        );
        assert.ok(discover.sent >= RATE * SECONDS * 0.9, p.output);
        assert.ok(completed >= 0.95, `${sides[i]!.name}: ${p.output}\n${servers[i]!.output}`);
        acks += request.received;
      }
      for (const s of servers) await s.stop();
      // Every ACK's lease in the table, each address once (the primary key), each client once.
      const [rows, clients] = pg
        .psql("SELECT count(*), count(DISTINCT hwaddr) FROM lease4", db.name)
        .split("|")
        .map(Number);
      process.stdout.write(`# ${rows} leases in the table for ${acks} ACKs\n`);
      // An ACK lost on the way (or a REQUEST answered after perfdhcp stopped waiting) leaves a
      // stored lease perfdhcp did not count: never fewer rows than ACKs.
      assert.ok(rows! >= acks, `${rows} rows for ${acks} ACKs: an acknowledged lease is missing`);
      assert.equal(clients, rows, "no client holds two addresses, no address two clients");
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
