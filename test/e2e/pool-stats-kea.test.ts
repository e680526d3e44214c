/**
 * Per-pool statistics (Kea 3's `subnet[id].pool[pid].*`, which Kea 2.2 does not have) against
 * Kea 2.2's subnet statistics: one configuration given unchanged to kea-dhcp4 2.2 and to
 * nestor-dhcp4, a subnet with one pool, the same relayed queries (allocations, releases, a
 * decline, the declined address reclaimed by a cycle after its probation and handed out again).
 * Every lease is in the pool, so each of Nestor's pool counters must equal the subnet counter
 * of the same name in both servers; Kea 2.2 has no pool statistic.
 *
 *   relay ns [veth 198.51.100.254/24] ---- [veth 198.51.100.1/24] server ns: kea-dhcp4,
 *                                                          then nestor-dhcp4 (UDP)
 *
 * Needs root, iproute2 and kea-dhcp4 (Debian: kea-dhcp4-server).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { keaPrerequisite, serverRelayLink } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import { queriesToBoth } from "./lib/queries4-both.ts";
import type { Query4 } from "./lib/relay4-queries.ts";

const GIADDR = "198.51.100.254";
const SERVER = "198.51.100.1";
const REQUEST = 3;
const DECLINE = 4;
const RELEASE = 7;
const ACK = 5;

const ipHex = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");
const requested = (a: string): [number, string] => [50, ipHex(a)];
const serverId: [number, string] = [54, ipHex(SERVER)];
const PRL: [number, string] = [55, "010306"];
const selecting = (mac: string, addr: string): Query4 => ({
  type: REQUEST,
  mac,
  options: [requested(addr), serverId, PRL],
});
const mac = (n: number) => `02:00:00:00:0c:${n.toString(16).padStart(2, "0")}`;

const QUERIES: Query4[] = [
  selecting(mac(1), "198.51.100.10"), // 0
  selecting(mac(2), "198.51.100.11"), // 1
  selecting(mac(3), "198.51.100.12"), // 2
  selecting(mac(4), "198.51.100.13"), // 3
  { type: RELEASE, mac: mac(1), ciaddr: "198.51.100.10", options: [serverId] }, // 4
  { type: DECLINE, mac: mac(2), options: [requested("198.51.100.11"), serverId] }, // 5
  selecting(mac(5), "198.51.100.10"), // 6 the released address again
  // 7 after the probation (3 s), reclaimed by a cycle (every second), given to another client.
  { ...selecting(mac(6), "198.51.100.11"), delayMs: 5000 },
];

const COUNTERS = [
  "total-addresses",
  "assigned-addresses",
  "cumulative-assigned-addresses",
  "declined-addresses",
  "reclaimed-declined-addresses",
  "reclaimed-leases",
];

test(
  "pool[0]'s counters of a one-pool subnet follow the queries exactly as Kea 2.2's subnet counters do",
  { timeout: 240_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    const bed = new TestBed("pool statistics");
    let both;
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
      both = await queriesToBoth(bed, {
        serverNs,
        relayNs,
        relayAddress: GIADDR,
        server: SERVER,
        queries: QUERIES,
        dhcp4: () => ({
          "interfaces-config": { interfaces: [serverIf], "dhcp-socket-type": "udp" },
          "valid-lifetime": 4000,
          "decline-probation-period": 3,
          "expired-leases-processing": { "reclaim-timer-wait-time": 1 },
          subnet4: [
            {
              id: 1,
              subnet: "198.51.100.0/24",
              relay: { "ip-addresses": [GIADDR] },
              pools: [{ pool: "198.51.100.10 - 198.51.100.29" }],
            },
          ],
        }),
        statistics: [
          ...COUNTERS.map((n) => `subnet[1].${n}`),
          ...COUNTERS.map((n) => `subnet[1].pool[0].${n}`),
        ],
      });
    } finally {
      await bed.close();
    }
    const types = (who: "kea" | "nestor") => both[who].answers.map((a) => a?.type ?? null);
    assert.deepEqual(types("nestor"), types("kea"), "the same answers");
    assert.deepEqual(types("kea"), [ACK, ACK, ACK, ACK, null, null, ACK, ACK]);
    const subnet = (who: "kea" | "nestor") =>
      Object.fromEntries(COUNTERS.map((n) => [n, both[who].stats[`subnet[1].${n}`]]));
    const pool = (who: "kea" | "nestor") =>
      Object.fromEntries(COUNTERS.map((n) => [n, both[who].stats[`subnet[1].pool[0].${n}`]]));
    assert.deepEqual(subnet("nestor"), subnet("kea"), "the subnet counters");
    assert.deepEqual(pool("nestor"), subnet("kea"), "Nestor's pool counters = Kea's subnet's");
    // What the queries did, so that the comparison above compares something.
    assert.deepEqual(subnet("kea"), {
      "total-addresses": 20,
      "assigned-addresses": 4,
      "cumulative-assigned-addresses": 6,
      "declined-addresses": 0,
      "reclaimed-declined-addresses": 1,
      "reclaimed-leases": 1,
    });
    assert.deepEqual(
      Object.values(pool("kea")),
      COUNTERS.map(() => 0),
      "Kea 2.2 has no pool statistic (read as 0)",
    );
  },
);
