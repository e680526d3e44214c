/**
 * Two nestor-dhcp4 servers, active/active, on one PostgreSQL lease database (Kea 2.2's schema,
 * made by kea-admin), reclaiming the same expired leases: each lease is reclaimed by exactly one
 * of them. Each server in its own network namespace with its own perfdhcp (DORA, a few seconds),
 * short lifetimes; a hook library on lease4_expire writes each reclaimed address to a file per
 * server. Once every lease expired and every row is expired-reclaimed: the two files together
 * hold every leased address exactly once, each server's `reclaimed-leases` equals its callouts,
 * and the servers' `subnet[1].assigned-addresses` add up to none.
 *
 * The callout takes 80 ms (asynchronous), so a server's cycle of 10 leases lasts about as long as
 * the one-second interval between cycles, and the two servers' cycles overlap: reading expired
 * leases without locking them (the servers' own memory, or Kea 2.2's SELECT), both would call
 * lease4_expire for most leases.
 *
 *   perfA ns [198.18.0.2/16] ---- [198.18.0.1/16] srvA ns: nestor-dhcp4 \
 *                                                                         one PostgreSQL
 *   perfB ns [198.18.0.2/16] ---- [198.18.0.1/16] srvB ns: nestor-dhcp4 /  (unix socket)
 *
 * Needs root, iproute2, perfdhcp and kea-admin (kea-admin), postgresql.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PgKea } from "../helpers/pg-kea.ts";
import { statistic, waitForControl } from "./lib/control-client.ts";
import { startNestor } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed, type Proc } from "./lib/netns.ts";
import { perfdhcp4Args } from "./lib/perfdhcp.ts";

const RATE = 20;
const SECONDS = 3;
const LIFETIME = 6;

/**
 * A hook library writing each lease4_expire's address, one a line, to its `file` parameter,
 * then taking `delay-ms` to finish (an asynchronous callout, as one telling a DNS server or an
 * IPAM would be): a cycle lasts long enough for the other server's cycles to run meanwhile.
 */
const EXPIRE_LOG = `
import { appendFileSync } from "node:fs";
import { HOOKS_VERSION } from "nestor/hooks";
let file = "";
let delay = 0;
export const version = () => HOOKS_VERSION;
export function load(handle) {
  file = String(handle.getParameter("file"));
  delay = Number(handle.getParameter("delay-ms"));
  return 0;
}
export async function lease4_expire(handle) {
  appendFileSync(file, handle.getArgument("lease4").address + "\\n");
  await new Promise((resolve) => setTimeout(resolve, delay));
  return 0;
}
`;

test(
  "two nestor-dhcp4 on one PostgreSQL database reclaim the same expired leases: each lease once, by one server; statistics add up",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "perfdhcp", debianPackage: "kea-admin" },
    ]);
    const pg = await PgKea.start();
    const bed = new TestBed("pgsql reclaim");
    try {
      const db = pg.createKeaDatabase("kea_reclaim");
      const library = join(bed.dir, "expire-log.mjs");
      writeFileSync(library, EXPIRE_LOG);
      const sides = ["a", "b"].map((name) => {
        const serverNs = bed.namespace(`s${name}`);
        const perfNs = bed.namespace(`p${name}`);
        const link = bed.link(
          { ns: serverNs, role: "s", address: "198.18.0.1/16" },
          { ns: perfNs, role: "p", address: "198.18.0.2/16" },
        );
        const file = join(bed.dir, `nestor-${name}.json`);
        const socket = join(bed.dir, `nestor-${name}.sock`);
        const expired = join(bed.dir, `expired-${name}.txt`);
        writeFileSync(
          file,
          JSON.stringify({
            Dhcp4: {
              "interfaces-config": { interfaces: [link.a], "dhcp-socket-type": "udp" },
              "lease-database": db.keaConfig(),
              "control-socket": { "socket-type": "unix", "socket-name": socket },
              "valid-lifetime": LIFETIME,
              // Small cycles every second: the two servers' cycles meet on the same leases.
              "expired-leases-processing": {
                "reclaim-timer-wait-time": 1,
                "max-reclaim-leases": 10,
                "max-reclaim-time": 0,
                "flush-reclaimed-timer-wait-time": 25,
                "hold-reclaimed-time": 3600,
              },
              "hooks-libraries": [{ library, parameters: { file: expired, "delay-ms": 80 } }],
              subnet4: [
                { id: 1, subnet: "198.18.0.0/16", pools: [{ pool: "198.18.1.0 - 198.18.4.255" }] },
              ],
              loggers: [
                { name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" },
              ],
            },
          }),
        );
        return { name, serverNs, perfNs, link, file, socket, expired };
      });
      const servers: Proc[] = [];
      for (const s of sides) {
        const server = await startNestor(bed, s.serverNs, 4, s.file);
        await waitForControl(s.socket, server, 30_000);
        servers.push(server);
      }
      const perfs = sides.map((s, i) =>
        bed.spawn(`perfdhcp-${s.name}`, s.perfNs, "perfdhcp", [
          ...perfdhcp4Args(s.link.b, {
            rate: RATE,
            seconds: SECONDS,
            clients: 4_294_967_295,
            seed: 21 + i,
          }).slice(0, -1),
          "-b",
          `mac=02:0${i + 1}:00:00:00:00`,
          "all",
        ]),
      );
      for (const p of perfs) {
        assert.ok(await p.waitExit((SECONDS + 60) * 1000), `perfdhcp did not finish:\n${p.output}`);
      }
      const acks = await Promise.all(sides.map((s) => statistic(s.socket, "pkt4-ack-sent")));
      assert.ok(
        acks.every((n) => n > 0),
        `both servers granted leases (ACKs: ${acks.join(", ")})`,
      );
      // Every lease expires within LIFETIME s of the last ACK; the cycles reclaim 10 a second
      // each. Wait (bounded) until the table holds no lease left to reclaim.
      const deadline = Date.now() + 120_000;
      for (;;) {
        const left = Number(pg.psql("SELECT count(*) FROM lease4 WHERE state <> 2", db.name));
        if (left === 0) break;
        assert.ok(Date.now() < deadline, `${left} leases still not reclaimed after 120 s`);
        await new Promise((r) => setTimeout(r, 500));
      }
      // The callouts wrote their lines before their cycle committed the rows' state.
      const rows = pg
        .psql("SELECT address FROM lease4 ORDER BY address", db.name)
        .split("\n")
        .filter((l) => l !== "")
        .map((a) => [24, 16, 8, 0].map((s) => (Number(a) >>> s) & 255).join("."));
      const reclaimedBy = sides.map((s) =>
        existsSync(s.expired)
          ? readFileSync(s.expired, "utf8")
              .split("\n")
              .filter((l) => l !== "")
          : [],
      );
      const all = reclaimedBy.flat();
      process.stdout.write(
        `# ${rows.length} leases (ACKs ${acks.join(" + ")}), reclaimed by a: ${reclaimedBy[0]!.length}, by b: ${reclaimedBy[1]!.length}\n`,
      );
      const context = servers.map((s) => s.output).join("\n");
      assert.ok(rows.length >= 20, `${rows.length} leases granted: ${context}`);
      assert.equal(all.length, rows.length, "as many lease4_expire calls as leases");
      assert.equal(new Set(all).size, all.length, "no lease reclaimed twice");
      assert.deepEqual([...all].sort(), [...rows].sort(), "every lease reclaimed");
      assert.ok(
        reclaimedBy.every((list) => list.length > 0),
        "both servers reclaimed leases",
      );
      let assigned = 0;
      for (const [i, s] of sides.entries()) {
        assert.equal(await statistic(s.socket, "reclaimed-leases"), reclaimedBy[i]!.length);
        assert.equal(
          await statistic(s.socket, "subnet[1].reclaimed-leases"),
          reclaimedBy[i]!.length,
        );
        assigned += await statistic(s.socket, "subnet[1].assigned-addresses");
      }
      // What the servers assigned, they reclaimed, once. A REQUEST whose lease the other server
      // committed first (its reply held back, pkt4-lease-taken-drop) is not counted as assigned:
      // the lease is the other server's, counted there.
      assert.equal(assigned, 0, `assigned-addresses add up to ${assigned}`);
      // Kea's statistics table (its triggers): nothing assigned left.
      assert.equal(
        pg.psql("SELECT coalesce(sum(leases), 0) FROM lease4_stat WHERE state = 0", db.name),
        "0",
      );
      for (const s of servers) await s.stop();
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
