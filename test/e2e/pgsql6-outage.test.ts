/**
 * The PostgreSQL lease database going away under load, for nestor-dhcp6: the server serves
 * perfdhcp -6 (SOLICIT, ADVERTISE, REQUEST, REPLY with an address and a prefix, new clients)
 * from Kea 2.2's lease6 table; PostgreSQL is stopped (immediate shutdown: connections cut) for a
 * few seconds and started again. No lease granted in a REPLY may be missing from the table, the
 * queries of the outage are dropped and counted, the server logs Kea's DHCP6_DB_RECONNECT_*
 * messages for the lost and recovered connection, and it serves again by itself (a second
 * perfdhcp run completes).
 *
 *   perf ns [link-local] ---- [2001:db8:1::1/64] srv ns: nestor-dhcp6 -- PostgreSQL (unix socket)
 *
 * Needs root, iproute2, perfdhcp and kea-admin (kea-admin), postgresql.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PgKea } from "../helpers/pg-kea.ts";
import { waitForControl } from "./lib/control-client.ts";
import { startNestor } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import { outageUnderLoad } from "./lib/pgsql-outage-run.ts";
import {
  assertLease6Rows,
  perfdhcp6LoadArgs,
  perfServer6Config,
  waitForLinkLocal,
} from "./lib/perfdhcp6-load.ts";

const RATE = 100;

test(
  "nestor-dhcp6: PostgreSQL stopped for a few seconds under perfdhcp -6 load: no granted lease lost, drops counted, service resumes",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "perfdhcp", debianPackage: "kea-admin" },
    ]);
    // synchronous_commit on, as PostgreSQL's default: a commit acknowledged is in the WAL on
    // disk, so the immediate shutdown (a crash) cannot lose it.
    const pg = await PgKea.start({ synchronousCommit: true });
    const bed = new TestBed("pgsql6 outage", "po6");
    try {
      const db = pg.createKeaDatabase("kea6_outage");
      const serverNs = bed.namespace("srv");
      const perfNs = bed.namespace("perf");
      // perfdhcp -6 needs its link-local address at once (no duplicate address detection).
      bed.noDad(serverNs);
      bed.noDad(perfNs);
      bed.noDad(serverNs);
      bed.noDad(perfNs);
      const link = bed.link(
        { ns: serverNs, role: "s", address: "2001:db8:1::1/64" },
        { ns: perfNs, role: "p" },
      );
      const socket = join(bed.dir, "dhcp6.sock");
      const file = join(bed.dir, "nestor.json");
      writeFileSync(
        file,
        perfServer6Config({
          iface: link.a,
          leaseDatabase: {
            ...db.keaConfig(),
            "max-reconnect-tries": 60,
            "reconnect-wait-time": 500,
            "on-fail": "stop-retry-exit",
          },
          serverId: "06",
          socket,
          pool: "2001:db8:1::/112",
          delegatedLen: 56,
        }),
      );
      const server = await startNestor(bed, serverNs, 6, file);
      await waitForControl(socket, server, 30_000);
      await waitForLinkLocal(bed, perfNs, link.b);
      const duidTimes = ["1f5e1000", "2f5e1000"];
      const replies = await outageUnderLoad(pg, server, socket, {
        family: 6,
        // Each run its own clients.
        perfRun: (name, seconds, run) =>
          bed.spawn(
            name,
            perfNs,
            "perfdhcp",
            perfdhcp6LoadArgs(link.b, { rate: RATE, seconds, seed: 5, duidTime: duidTimes[run]! }),
          ),
        first: "SOLICIT-ADVERTISE",
        last: "REQUEST-REPLY",
      });
      await server.stop();
      // No granted lease missing: an address and a prefix per REPLY, each once.
      assertLease6Rows(pg, db.name, replies);
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
