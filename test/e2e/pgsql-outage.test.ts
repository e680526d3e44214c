/**
 * The PostgreSQL lease database going away under load: nestor-dhcp4 serves perfdhcp (DORA, new
 * clients) from a PostgreSQL database; PostgreSQL is stopped (immediate shutdown: connections cut)
 * for a few seconds and started again. No acknowledged lease may be missing from the table, the
 * queries of the outage are dropped and counted, the server logs Kea's messages for the lost and
 * recovered connection, and it serves again by itself (a second perfdhcp run completes).
 *
 *   perf ns [198.18.0.2/16] ---- [198.18.0.1/16] srv ns: nestor-dhcp4 -- PostgreSQL (unix socket)
 *
 * Needs root, iproute2, perfdhcp and kea-admin (kea-admin), postgresql.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PgKea } from "../helpers/pg-kea.ts";
import { statistic, waitForControl } from "./lib/control-client.ts";
import { startNestor } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import { exchangeStats, perfdhcp4Args, perfdhcpStats } from "./lib/perfdhcp.ts";

const RATE = 100;

test(
  "PostgreSQL stopped for a few seconds under perfdhcp load: no acknowledged lease lost, drops counted, service resumes",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "perfdhcp", debianPackage: "kea-admin" },
    ]);
    // synchronous_commit on, as PostgreSQL's default: a commit acknowledged is in the WAL on
    // disk, so the immediate shutdown (a crash) cannot lose it.
    const pg = await PgKea.start({ synchronousCommit: true });
    const bed = new TestBed("pgsql outage");
    try {
      const db = pg.createKeaDatabase("kea_outage");
      const serverNs = bed.namespace("srv");
      const perfNs = bed.namespace("perf");
      const link = bed.link(
        { ns: serverNs, role: "s", address: "198.18.0.1/16" },
        { ns: perfNs, role: "p", address: "198.18.0.2/16" },
      );
      const socket = join(bed.dir, "dhcp4.sock");
      const file = join(bed.dir, "nestor.json");
      writeFileSync(
        file,
        JSON.stringify({
          Dhcp4: {
            "interfaces-config": { interfaces: [link.a], "dhcp-socket-type": "udp" },
            "lease-database": {
              ...db.keaConfig(),
              "max-reconnect-tries": 60,
              "reconnect-wait-time": 500,
              "on-fail": "stop-retry-exit",
            },
            "control-socket": { "socket-type": "unix", "socket-name": socket },
            "valid-lifetime": 4000,
            subnet4: [
              { id: 1, subnet: "198.18.0.0/16", pools: [{ pool: "198.18.1.0 - 198.18.245.255" }] },
            ],
            loggers: [
              { name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" },
            ],
          },
        }),
      );
      const server = await startNestor(bed, serverNs, 4, file);
      await waitForControl(socket, server, 30_000);
      const perfRun = (name: string, seconds: number, mac: string) =>
        bed.spawn(name, perfNs, "perfdhcp", [
          ...perfdhcp4Args(link.b, { rate: RATE, seconds, clients: 4_294_967_295, seed: 5 }).slice(
            0,
            -1,
          ),
          "-b",
          `mac=${mac}`,
          "all",
        ]);
      const perf = perfRun("perfdhcp-outage", 12, "02:0a:00:00:00:00");
      await new Promise((r) => setTimeout(r, 3_000));
      await pg.pause("immediate");
      await new Promise((r) => setTimeout(r, 4_000));
      await pg.resume();
      assert.ok(await perf.waitExit(120_000), `perfdhcp did not finish:\n${perf.output}`);
      await server.waitForOutput(/DHCP4_DB_RECONNECT_SUCCEEDED/, 60_000);
      assert.match(server.output, /DHCP4_DB_RECONNECT_LOST_CONNECTION/);
      assert.match(server.output, /DHCPSRV_PGSQL_LEASE_DB_RECONNECT_ATTEMPT_SCHEDULE/);
      const during = perfdhcpStats(perf.output);
      const acks1 = exchangeStats(during, "REQUEST-ACK", perf.output).received;
      const sent1 = exchangeStats(during, "DISCOVER-OFFER", perf.output).sent;
      process.stdout.write(`# during the outage run: ${sent1} DISCOVERs, ${acks1} ACKs\n`);
      assert.ok(acks1 < sent1, "the outage cost some exchanges");
      assert.ok(acks1 > 0);
      // The queries of the outage were dropped and counted: the service was off while
      // reconnecting (stop-retry-exit), or their commit failed.
      const disabled = await statistic(socket, "pkt4-service-disabled");
      const writeDrops = await statistic(socket, "pkt4-lease-write-drop");
      process.stdout.write(
        `# pkt4-service-disabled ${disabled}, pkt4-lease-write-drop ${writeDrops}\n`,
      );
      assert.ok(disabled + writeDrops > 0);
      // Service resumed by itself.
      const after = perfRun("perfdhcp-after", 3, "02:0b:00:00:00:00");
      assert.ok(await after.waitExit(120_000), `perfdhcp did not finish:\n${after.output}`);
      const stats2 = perfdhcpStats(after.output);
      const acks2 = exchangeStats(stats2, "REQUEST-ACK", after.output).received;
      const sent2 = exchangeStats(stats2, "DISCOVER-OFFER", after.output).sent;
      assert.ok(acks2 >= sent2 * 0.95, after.output);
      await server.stop();
      // No acknowledged lease missing: at least one row per ACK, each address and client once.
      const [rows, clients] = pg
        .psql("SELECT count(*), count(DISTINCT hwaddr) FROM lease4", db.name)
        .split("|")
        .map(Number);
      process.stdout.write(`# ${rows} leases in the table for ${acks1 + acks2} ACKs\n`);
      assert.ok(rows! >= acks1 + acks2, `${rows} rows for ${acks1 + acks2} ACKs`);
      assert.equal(clients, rows);
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
