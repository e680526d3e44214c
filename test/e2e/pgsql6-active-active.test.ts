/**
 * Two nestor-dhcp6 servers, active/active, on one PostgreSQL lease database (Kea 2.2's schema,
 * made by kea-admin) with the same subnet, the same address pool and the same prefix pool: each in
 * its own network namespace with its own perfdhcp -6 (SOLICIT, ADVERTISE, REQUEST, REPLY with an
 * IA_NA and an IA_PD, new clients, 10 s at 200/s). No address or prefix may be leased to two
 * clients, every lease perfdhcp saw granted must be in the database, and each server must answer
 * at least 95 % of the REQUESTs it received, by its own counters (pkt6-request-received,
 * pkt6-reply-sent, less the replies held back because the other server committed the lease first,
 * pkt6-lease-taken-drop, and those of failed commits, pkt6-lease-write-drop). What perfdhcp counts
 * is bounded more loosely (80 %), as in the DHCPv4 test: two perfdhcp, two servers and PostgreSQL
 * share two CPUs, and a starved perfdhcp counts replies it did not read in time as drops.
 *
 *   perfA ns [link-local] ---- [2001:db8:1::1/64] srvA ns: nestor-dhcp6 \
 *                                                                         one PostgreSQL
 *   perfB ns [link-local] ---- [2001:db8:1::1/64] srvB ns: nestor-dhcp6 /  (unix socket)
 *
 * Needs root, iproute2, perfdhcp and kea-admin (kea-admin), postgresql.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PgKea } from "../helpers/pg-kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import { activeActiveLoad } from "./lib/pgsql-active-active-run.ts";
import {
  assertLease6Rows,
  perfdhcp6LoadArgs,
  perfServer6Config,
  waitForLinkLocal,
} from "./lib/perfdhcp6-load.ts";

const RATE = 200;
const SECONDS = 10;

test(
  "two nestor-dhcp6 on one PostgreSQL database, same address and prefix pools, each under perfdhcp -6: no address or prefix twice, every REPLY stored, >= 95 % of REQUESTs answered",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "perfdhcp", debianPackage: "kea-admin" },
    ]);
    const pg = await PgKea.start();
    const bed = new TestBed("pgsql6 active-active", "pa6");
    try {
      const db = pg.createKeaDatabase("kea6_aa");
      const sides = ["a", "b"].map((name, i) => {
        const serverNs = bed.namespace(`s${name}`);
        const perfNs = bed.namespace(`p${name}`);
        // perfdhcp -6 needs its link-local address at once (no duplicate address detection).
        bed.noDad(serverNs);
        bed.noDad(perfNs);
        // Link-local and global addresses usable at once (no duplicate address detection).
        bed.noDad(serverNs);
        bed.noDad(perfNs);
        const link = bed.link(
          { ns: serverNs, role: "s", address: "2001:db8:1::1/64" },
          { ns: perfNs, role: "p" },
        );
        const file = join(bed.dir, `nestor-${name}.json`);
        const socket = join(bed.dir, `nestor-${name}.sock`);
        writeFileSync(
          file,
          perfServer6Config({
            iface: link.a,
            leaseDatabase: db.keaConfig(),
            serverId: `0${i + 1}`,
            socket,
            // 8,192 addresses and 8,192 prefixes for about 4,000 clients: the two searches,
            // started at random places, meet.
            pool: "2001:db8:1::/115",
            delegatedLen: 48,
          }),
        );
        return { name, serverNs, perfNs, link, file, socket };
      });
      const { completed: replies, servers } = await activeActiveLoad(bed, sides, {
        family: 6,
        rate: RATE,
        seconds: SECONDS,
        // Each perfdhcp its own clients.
        perfArgs: (iface, i) =>
          perfdhcp6LoadArgs(iface, {
            rate: RATE,
            seconds: SECONDS,
            seed: 11 + i,
            duidTime: `${i + 1}f5e1000`,
          }),
        ready: (s) => waitForLinkLocal(bed, s.perfNs, s.link.b),
        first: "SOLICIT-ADVERTISE",
        last: "REQUEST-REPLY",
        repliesSent: "pkt6-reply-sent",
      });
      for (const s of servers) await s.stop();
      // Every REPLY's address and prefix in the table, each once, each client one of each.
      assertLease6Rows(pg, db.name, replies);
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
