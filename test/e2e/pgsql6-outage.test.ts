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
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PgKea } from "../helpers/pg-kea.ts";
import { statistic, waitForControl } from "./lib/control-client.ts";
import { startNestor } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import { exchangeStats, perfdhcpStats } from "./lib/perfdhcp.ts";
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
      // Each run its own clients.
      const perfRun = (name: string, seconds: number, duidTime: string) =>
        bed.spawn(
          name,
          perfNs,
          "perfdhcp",
          perfdhcp6LoadArgs(link.b, { rate: RATE, seconds, seed: 5, duidTime }),
        );
      await waitForLinkLocal(bed, perfNs, link.b);
      const perf = perfRun("perfdhcp-outage", 12, "1f5e1000");
      await new Promise((r) => setTimeout(r, 3_000));
      await pg.pause("immediate");
      await new Promise((r) => setTimeout(r, 4_000));
      await pg.resume();
      assert.ok(await perf.waitExit(120_000), `perfdhcp did not finish:\n${perf.output}`);
      await server.waitForOutput(/DHCP6_DB_RECONNECT_SUCCEEDED/, 60_000);
      assert.match(server.output, /DHCP6_DB_RECONNECT_LOST_CONNECTION/);
      assert.match(server.output, /DHCPSRV_PGSQL_LEASE_DB_RECONNECT_ATTEMPT_SCHEDULE/);
      const during = perfdhcpStats(perf.output);
      const replies1 = exchangeStats(during, "REQUEST-REPLY", perf.output).received;
      const sent1 = exchangeStats(during, "SOLICIT-ADVERTISE", perf.output).sent;
      process.stdout.write(`# during the outage run: ${sent1} SOLICITs, ${replies1} REPLYs\n`);
      assert.ok(replies1 < sent1, "the outage cost some exchanges");
      assert.ok(replies1 > 0);
      // The queries of the outage were dropped and counted: the service was off while
      // reconnecting (stop-retry-exit), or their commit failed.
      const disabled = await statistic(socket, "pkt6-service-disabled");
      const writeDrops = await statistic(socket, "pkt6-lease-write-drop");
      process.stdout.write(
        `# pkt6-service-disabled ${disabled}, pkt6-lease-write-drop ${writeDrops}\n`,
      );
      assert.ok(disabled + writeDrops > 0);
      // Service resumed by itself.
      const after = perfRun("perfdhcp-after", 3, "2f5e1000");
      assert.ok(await after.waitExit(120_000), `perfdhcp did not finish:\n${after.output}`);
      const stats2 = perfdhcpStats(after.output);
      const replies2 = exchangeStats(stats2, "REQUEST-REPLY", after.output).received;
      const sent2 = exchangeStats(stats2, "SOLICIT-ADVERTISE", after.output).sent;
      assert.ok(replies2 >= sent2 * 0.95, after.output);
      await server.stop();
      // No granted lease missing: an address and a prefix per REPLY, each once.
      assertLease6Rows(pg, db.name, replies1 + replies2);
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
