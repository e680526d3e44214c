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
import { waitForControl } from "./lib/control-client.ts";
import { startNestor } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import { perfdhcp4Args } from "./lib/perfdhcp.ts";
import { outageUnderLoad } from "./lib/pgsql-outage-run.ts";

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
      const macs = ["02:0a:00:00:00:00", "02:0b:00:00:00:00"];
      const acks = await outageUnderLoad(pg, server, socket, {
        family: 4,
        // Each run its own clients: its own base MAC address (-b).
        perfRun: (name, seconds, run) =>
          bed.spawn(name, perfNs, "perfdhcp", [
            ...perfdhcp4Args(link.b, {
              rate: RATE,
              seconds,
              clients: 4_294_967_295,
              seed: 5,
            }).slice(0, -1),
            "-b",
            `mac=${macs[run]}`,
            "all",
          ]),
        first: "DISCOVER-OFFER",
        last: "REQUEST-ACK",
      });
      await server.stop();
      // No acknowledged lease missing: at least one row per ACK, each address and client once.
      const [rows, clients] = pg
        .psql("SELECT count(*), count(DISTINCT hwaddr) FROM lease4", db.name)
        .split("|")
        .map(Number);
      process.stdout.write(`# ${rows} leases in the table for ${acks} ACKs\n`);
      assert.ok(rows! >= acks, `${rows} rows for ${acks} ACKs`);
      assert.equal(clients, rows);
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
