/**
 * DHCPv6 per-pool statistics (Kea 3's `subnet[id].pool[pid].*` and `subnet[id].pd-pool[pid].*`,
 * which Kea 2.2 does not have) against Kea 2.2's subnet statistics: one configuration given
 * unchanged to kea-dhcp6 2.2 and to nestor-dhcp6, a subnet with one address pool and one prefix
 * pool, the same queries (REQUESTs for addresses and prefixes, a RELEASE of each kind, a DECLINE).
 * Every lease is in a pool, so Nestor's pool[0] counters must equal the subnet's address
 * counters and its pd-pool[0] counters the subnet's prefix counters, as both servers count them.
 *
 *   client ns [veth 2001:db8:1::100/64] ---- [veth 2001:db8:1::2/64] server ns: kea-dhcp6,
 *                                                                   then nestor-dhcp6
 *
 * Needs root, iproute2 and kea-dhcp6 (Debian: kea-dhcp6-server).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { controlCommand, waitForControl } from "./lib/control-client.ts";
import { keaPrerequisite, keaThenNestor } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { DirectAnswer6, DirectQuery6 } from "./lib/proc6-queries.ts";

const SERVER = "2001:db8:1::2";
const CLIENT = "2001:db8:1::100";
const REQUEST = 3;
const RELEASE = 8;
const DECLINE = 9;
const REPLY = 7;
const SENDER = fileURLToPath(new URL("./lib/proc6-queries.ts", import.meta.url));

const duid = (n: number) => `00020000098d000000${n.toString(16).padStart(2, "0")}`;

const NAS = ["total-nas", "assigned-nas", "cumulative-assigned-nas"];
const PDS = ["total-pds", "assigned-pds", "cumulative-assigned-pds"];
const SHARED = ["declined-addresses", "reclaimed-declined-addresses", "reclaimed-leases"];

test(
  "v6 pool[0] and pd-pool[0] counters follow the queries as Kea 2.2's subnet counters do",
  { timeout: 240_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const bed = new TestBed("pool statistics v6", "ps6");
    let got: Record<"kea" | "nestor", { answers: (DirectAnswer6 | null)[]; stats: Stats }>;
    try {
      const serverNs = bed.namespace("srv");
      const clientNs = bed.namespace("cli");
      bed.noDad(serverNs);
      bed.noDad(clientNs);
      const { a: serverIf, b: clientIf } = bed.link(
        { ns: serverNs, role: "s" },
        { ns: clientNs, role: "c" },
      );
      bed.exec(serverNs, "ip", ["addr", "add", `${SERVER}/64`, "dev", serverIf, "nodad"]);
      bed.exec(clientNs, "ip", ["addr", "add", `${CLIENT}/64`, "dev", clientIf, "nodad"]);
      const to = `ff02::1:2%${clientIf}`;
      const request = (n: number, address: string, prefix: string): DirectQuery6 => ({
        to,
        type: REQUEST,
        duid: duid(n),
        ias: [
          { iaid: 1, hints: [address] },
          { pd: true, iaid: 2, hints: [prefix] },
        ],
        serverId: true,
      });
      const queries: DirectQuery6[] = [
        { to, type: 1, duid: duid(1), ias: [{ iaid: 1 }] }, // 0 a SOLICIT: the server's id
        request(1, "2001:db8:1::10", "2001:db8:8:10::/60"), // 1
        request(2, "2001:db8:1::11", "2001:db8:8:20::/60"), // 2
        request(3, "2001:db8:1::12", "2001:db8:8:30::/60"), // 3
        // 4 client 1 releases its prefix; 5 client 2 releases its address.
        {
          to,
          type: RELEASE,
          duid: duid(1),
          ias: [{ pd: true, iaid: 2, hints: ["2001:db8:8:10::/60"] }],
          serverId: true,
        },
        {
          to,
          type: RELEASE,
          duid: duid(2),
          ias: [{ iaid: 1, hints: ["2001:db8:1::11"] }],
          serverId: true,
        },
        // 6 client 3 declines its address.
        {
          to,
          type: DECLINE,
          duid: duid(3),
          ias: [{ iaid: 1, hints: ["2001:db8:1::12"] }],
          serverId: true,
        },
      ];
      const file = join(bed.dir, "queries6.json");
      writeFileSync(file, JSON.stringify(queries));
      const socket = (who: string) => join(bed.dir, `${who}6.sock`);
      got = await keaThenNestor(
        bed,
        serverNs,
        6,
        (who) => {
          const c = join(bed.dir, `${who}.json`);
          const config = {
            Dhcp6: {
              "interfaces-config": { interfaces: [serverIf] },
              "lease-database": {
                type: "memfile",
                name: join(bed.dir, `${who}-leases6.csv`),
                persist: true,
                "lfc-interval": 0,
              },
              "server-id": {
                type: "EN",
                "enterprise-id": 2495,
                identifier: "0102",
                persist: false,
              },
              "control-socket": { "socket-type": "unix", "socket-name": socket(who) },
              "preferred-lifetime": 3000,
              "valid-lifetime": 4000,
              subnet6: [
                {
                  id: 1,
                  subnet: "2001:db8:1::/64",
                  interface: serverIf,
                  pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::1f" }],
                  "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 56, "delegated-len": 60 }],
                },
              ],
              loggers: [
                { name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" },
              ],
            },
          };
          writeFileSync(c, JSON.stringify(config));
          return c;
        },
        async (who, server) => {
          await waitForControl(socket(who), server);
          const answers = JSON.parse(
            bed.exec(clientNs, process.execPath, [SENDER, file], 60_000),
          ) as (DirectAnswer6 | null)[];
          const all = await controlCommand(socket(who), { command: "statistic-get-all" });
          const args = all.arguments as Record<string, [unknown, string][]>;
          const stats: Stats = {};
          for (const [name, samples] of Object.entries(args)) stats[name] = samples[0]?.[0];
          return { answers, stats };
        },
      );
    } finally {
      await bed.close();
    }
    const types = (who: "kea" | "nestor") => got[who].answers.map((a) => a?.type ?? null);
    assert.deepEqual(types("nestor"), types("kea"), "the same answers");
    assert.deepEqual(types("kea").slice(1), [REPLY, REPLY, REPLY, REPLY, REPLY, REPLY]);
    const pick = (who: "kea" | "nestor", scope: string, names: string[]) =>
      Object.fromEntries(names.map((n) => [n, numeric(got[who].stats[`subnet[1].${scope}${n}`])]));
    const keaNas = pick("kea", "", [...NAS, ...SHARED]);
    const keaPds = pick("kea", "", PDS);
    assert.deepEqual(pick("nestor", "", [...NAS, ...SHARED, ...PDS]), { ...keaNas, ...keaPds });
    assert.deepEqual(pick("nestor", "pool[0].", [...NAS, ...SHARED]), keaNas, "pool[0]");
    assert.deepEqual(pick("nestor", "pd-pool[0].", PDS), keaPds, "pd-pool[0]");
    assert.deepEqual(
      pick("nestor", "pd-pool[0].", ["reclaimed-leases"]),
      pick("kea", "", ["reclaimed-leases"]),
    );
    // What the queries did, so that the comparisons above compare something.
    assert.deepEqual(keaNas, {
      "total-nas": 16,
      "assigned-nas": 2,
      "cumulative-assigned-nas": 3,
      "declined-addresses": 1,
      "reclaimed-declined-addresses": 0,
      "reclaimed-leases": 0,
    });
    assert.deepEqual(keaPds, { "total-pds": 16, "assigned-pds": 2, "cumulative-assigned-pds": 3 });
    assert.ok(
      Object.keys(got.kea.stats).every((n) => !/\.(pool|pd-pool)\[/.test(n)),
      "Kea 2.2 has no pool statistic",
    );
  },
);

type Stats = Record<string, unknown>;

/** A statistic's value as a number (Kea's big integers come as numbers too); undefined stays. */
function numeric(v: unknown): number | undefined {
  return v === undefined ? undefined : Number(v);
}
