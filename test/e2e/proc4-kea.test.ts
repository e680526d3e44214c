/**
 * DHCPv4 processing, nestor-dhcp4 against Kea 2.2 (Debian's kea-dhcp4): REQUESTs in each client
 * state (SELECTING, INIT-REBOOT, RENEWING) for addresses free, leased to another client, out of
 * the pools or out of the subnet, with `authoritative` false and true; DECLINE and RELEASE
 * variants; subnet and pool selection by a global reservation's classes and by relay address
 * with overlapping pools. One configuration given unchanged to both servers, the same relayed
 * queries sent to each; the answers (type, yiaddr, fixed fields, options), the statistics and the
 * leases left must be the same.
 *
 *   relay ns [veth 198.51.100.254/24, .253] ---- [veth 198.51.100.1/24] server ns: kea-dhcp4,
 *                                                                  then nestor-dhcp4 (UDP)
 *
 * Needs root, iproute2 and kea-dhcp4 (Debian: kea-dhcp4-server).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { Udhcpc } from "./lib/clients.ts";
import { keaPrerequisite, keaThenNestor, serverRelayLink, type Who } from "./lib/kea.ts";
import { leaseSet, readLeaseRows } from "./lib/nestor.ts";
import { addressOn, requirePrerequisites, TestBed } from "./lib/netns.ts";
import { leaseView, queriesToBoth, type Side4 } from "./lib/queries4-both.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";

const GIADDR = "198.51.100.254";
const GIADDR2 = "198.51.100.253";
const SERVER = "198.51.100.1";
/** A relay address of a link no subnet serves. */
const NO_SUBNET_GIADDR = "203.0.113.254";

const DISCOVER = 1;
const REQUEST = 3;
const OFFER = 2;
const DECLINE = 4;
const ACK = 5;
const NAK = 6;
const RELEASE = 7;

const ipHex = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");
const requested = (a: string): [number, string] => [50, ipHex(a)];
const serverId: [number, string] = [54, ipHex(SERVER)];
const clientId = (hex: string): [number, string] => [61, hex];
const PRL: [number, string] = [55, "010306"];

/** A client state of RFC 2131 4.3.2, as a REQUEST carries it. */
const selecting = (mac: string, addr: string, more: [number, string][] = []): Query4 => ({
  type: REQUEST,
  mac,
  options: [requested(addr), serverId, PRL, ...more],
});
const initReboot = (mac: string, addr: string, more: [number, string][] = []): Query4 => ({
  type: REQUEST,
  mac,
  options: [requested(addr), PRL, ...more],
});
const renewing = (mac: string, ciaddr: string, more: [number, string][] = []): Query4 => ({
  type: REQUEST,
  mac,
  ciaddr,
  options: [PRL, ...more],
});

async function bothOnLink(
  title: string,
  queries: Query4[],
  dhcp4: (ifname: string) => Record<string, unknown>,
  statistics: string[] = [],
): Promise<Record<"kea" | "nestor", Side4>> {
  requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
  const bed = new TestBed(title);
  try {
    const { serverNs, relayNs, serverIf, relayIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
    // More relay addresses: one more on the subnet's link, one on a link no subnet serves (the
    // server reaches it on the same veth).
    bed.exec(relayNs, "ip", ["addr", "add", `${GIADDR2}/24`, "dev", relayIf]);
    bed.exec(relayNs, "ip", ["addr", "add", `${NO_SUBNET_GIADDR}/24`, "dev", relayIf]);
    bed.exec(serverNs, "ip", ["route", "add", "203.0.113.0/24", "dev", serverIf]);
    return await queriesToBoth(bed, {
      serverNs,
      relayNs,
      relayAddress: GIADDR,
      server: SERVER,
      queries,
      dhcp4: () => ({
        "interfaces-config": { interfaces: [serverIf], "dhcp-socket-type": "udp" },
        ...dhcp4(serverIf),
      }),
      statistics,
    });
  } finally {
    await bed.close();
  }
}

/** Every answer the same; the message names the query and shows both servers' answers. */
function sameAnswers(queries: Query4[], both: Record<"kea" | "nestor", Side4>): void {
  const table = queries
    .map(
      (_, i) => `${i}: Kea ${kind(both.kea.answers[i])} | Nestor ${kind(both.nestor.answers[i])}`,
    )
    .join("\n");
  queries.forEach((q, i) => {
    assert.deepEqual(
      both.nestor.answers[i],
      both.kea.answers[i],
      `query ${i} (${JSON.stringify(q)}): nestor-dhcp4 and Kea 2.2 differ\n${table}`,
    );
  });
}

/** The same leases left, field by field (times aside). */
function sameLeases(both: Record<"kea" | "nestor", Side4>): void {
  const addrs = [...both.kea.leases.keys()].sort();
  assert.deepEqual([...both.nestor.leases.keys()].sort(), addrs, "the leases");
  for (const a of addrs) {
    assert.deepEqual(
      leaseView(both.nestor.leases.get(a)),
      leaseView(both.kea.leases.get(a)),
      `lease ${a}`,
    );
  }
}

const kind = (a: Answer4 | null | undefined): string => {
  if (a === null || a === undefined) return "none";
  if (a.type === ACK) return `ACK ${a.yiaddr}`;
  if (a.type === OFFER) return `OFFER ${a.yiaddr}`;
  return a.type === NAK ? "NAK" : `type ${a.type}`;
};

// Clients: A and B hold leases; C, D, E, F have none.
const A = "02:00:00:00:0a:01";
const B = "02:00:00:00:0b:01";
const C = "02:00:00:00:0c:01";
const D = "02:00:00:00:0d:01";
const E = "02:00:00:00:0e:01";
const F = "02:00:00:00:0f:01";
const G = "02:00:00:00:01:01";

/** The table of REQUESTs: each client state against each kind of address. */
const AUTH_QUERIES: Query4[] = [
  selecting(A, "198.51.100.10"), // 0 SELECTING, free in pool: ACK
  selecting(B, "198.51.100.11"), // 1 SELECTING, free in pool: ACK
  selecting(C, "198.51.100.11"), // 2 SELECTING, leased to B
  selecting(D, "198.51.100.100"), // 3 SELECTING, in the subnet, out of the pools
  selecting(D, "203.0.113.5"), // 4 SELECTING, out of the subnet
  selecting(C, "198.51.100.12"), // 5 SELECTING, free in pool (C now has .12)
  initReboot(E, "198.51.100.13"), // 6 INIT-REBOOT, unknown client, free in pool
  initReboot(E, "198.51.100.11"), // 7 INIT-REBOOT, unknown client, leased to B
  initReboot(E, "198.51.100.100"), // 8 INIT-REBOOT, unknown client, out of the pools
  initReboot(E, "203.0.113.5"), // 9 INIT-REBOOT, unknown client, out of the subnet
  initReboot(A, "198.51.100.10"), // 10 INIT-REBOOT, its own address
  initReboot(A, "198.51.100.14"), // 11 INIT-REBOOT, known client, another free address
  initReboot(A, "198.51.100.11"), // 12 INIT-REBOOT, known client, B's address
  initReboot(A, "203.0.113.5"), // 13 INIT-REBOOT, known client, out of the subnet
  renewing(A, "198.51.100.10"), // 14 RENEWING its own address
  renewing(A, "198.51.100.11"), // 15 RENEWING with B's address as ciaddr
  renewing(A, "198.51.100.100"), // 16 RENEWING with an address out of the pools
  renewing(F, "198.51.100.13"), // 17 RENEWING, unknown client, free in pool
  renewing(A, "198.51.100.14"), // 18 RENEWING with another free address (moves to it)
  { type: REQUEST, mac: G, options: [serverId, PRL] }, // 19 no address at all
  { type: DISCOVER, mac: D, options: [requested("198.51.100.11"), PRL] }, // 20 asks B's
  { type: DISCOVER, mac: D, options: [requested("198.51.100.100"), PRL] }, // 21 out of pools
  // From a link no subnet serves: 22 DISCOVER, 23 SELECTING, 24 INIT-REBOOT, 25 RENEWING.
  { type: DISCOVER, mac: G, options: [PRL], giaddr: NO_SUBNET_GIADDR },
  { ...selecting(G, "203.0.113.10"), giaddr: NO_SUBNET_GIADDR },
  { ...initReboot(G, "203.0.113.10"), giaddr: NO_SUBNET_GIADDR },
  { ...renewing(G, "203.0.113.10"), giaddr: NO_SUBNET_GIADDR },
];

for (const authoritative of [false, true]) {
  test(
    `authoritative ${authoritative}: REQUESTs in each client state answered (ACK, NAK or silence) as Kea 2.2 does`,
    { timeout: 240_000 },
    async () => {
      const both = await bothOnLink(
        `proc4: authoritative ${authoritative}`,
        AUTH_QUERIES,
        () => ({
          authoritative,
          "valid-lifetime": 4000,
          subnet4: [
            {
              id: 1,
              subnet: "198.51.100.0/24",
              relay: { "ip-addresses": [GIADDR] },
              pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
            },
          ],
        }),
        ["pkt4-nak-sent", "pkt4-ack-sent", "pkt4-receive-drop"],
      );
      const k = both.kea.answers;
      const table = k.map((a, i) => `${i}: ${kind(a)}`).join("\n");
      // What Kea answered is what this test expects (the scenario shows each decision).
      assert.equal(kind(k[0]), "ACK 198.51.100.10", table);
      assert.equal(kind(k[2]), "NAK", table);
      assert.equal(kind(k[6]), authoritative ? "NAK" : "none", table);
      assert.equal(kind(k[10]), "ACK 198.51.100.10", table);
      assert.equal(kind(k[11]), "NAK", table);
      sameAnswers(AUTH_QUERIES, both);
      assert.deepEqual(both.nestor.stats, both.kea.stats, "statistics");
      sameLeases(both);
      // Both log each INIT-REBOOT at INFO.
      assert.match(both.kea.log, /INFO .*DHCP4_INIT_REBOOT .*198\.51\.100\.13/);
      assert.match(both.nestor.log, /INFO .*DHCP4_INIT_REBOOT .*198\.51\.100\.13/);
    },
  );
}

const CID_A = "01020000000a01";
const CID_C = "01020000000c01";
const OTHER = "02:00:00:00:99:01";

/** RELEASE and DECLINE variants, then a declined address offered again after its probation. */
const DECLINE_QUERIES: Query4[] = [
  selecting(A, "198.51.100.10", [clientId(CID_A)]), // 0 A (with a client-id) takes .10
  selecting(B, "198.51.100.11"), // 1 B (no client-id) takes .11
  selecting(C, "198.51.100.12", [clientId(CID_C)]), // 2 C (with a client-id) takes .12
  // 3 RELEASE of .10 from another chaddr with A's client-id: released.
  { type: RELEASE, mac: OTHER, ciaddr: "198.51.100.10", options: [serverId, clientId(CID_A)] },
  // 4 RELEASE of .11 by chaddr only: released.
  { type: RELEASE, mac: B, ciaddr: "198.51.100.11", options: [serverId] },
  // 5 RELEASE of .12 with C's chaddr but another client-id: kept.
  { type: RELEASE, mac: C, ciaddr: "198.51.100.12", options: [serverId, clientId("01ff")] },
  // 6 RELEASE of an address nobody holds.
  { type: RELEASE, mac: C, ciaddr: "198.51.100.13", options: [serverId] },
  // 7 DECLINE without a requested address (ciaddr only): dropped.
  { type: DECLINE, mac: C, ciaddr: "198.51.100.12", options: [serverId, clientId(CID_C)] },
  // 8 DECLINE of .12 from another chaddr without client-id: not the client's.
  { type: DECLINE, mac: OTHER, options: [requested("198.51.100.12"), serverId] },
  // 9 DECLINE of .12 with C's chaddr and another client-id: not the client's.
  { type: DECLINE, mac: C, options: [requested("198.51.100.12"), serverId, clientId("01ff")] },
  // 10 DECLINE of an address nobody holds.
  { type: DECLINE, mac: C, options: [requested("198.51.100.13"), serverId, clientId(CID_C)] },
  // 11 C declines .12: set aside for the probation period.
  { type: DECLINE, mac: C, options: [requested("198.51.100.12"), serverId, clientId(CID_C)] },
  selecting(D, "198.51.100.10"), // 12 D takes .10 (released)
  selecting(E, "198.51.100.11"), // 13 E takes .11 (released)
  { type: DISCOVER, mac: F, options: [PRL] }, // 14 the pool is full: .12 is declined
  { type: REQUEST, mac: F, options: [requested("198.51.100.12"), serverId, PRL] }, // 15 refused
  // 16 after the probation period (4 s; 15 comes about 2 s after the DECLINE, 16 about 7 s):
  // .12 is offered again, 17 and given.
  { type: DISCOVER, mac: F, options: [PRL], delayMs: 5000 },
  selecting(F, "198.51.100.12"),
  // 18 a DECLINE whose option 50 is 3 bytes long: malformed.
  { type: DECLINE, mac: F, options: [[50, "c63364"], serverId] },
];

for (const reclaim of [0, 1]) {
  test(
    `DECLINE and RELEASE variants dropped, counted and applied as Kea 2.2 does; a declined address is handed out again after its probation (${reclaim === 0 ? "by the allocation, no reclamation cycle" : "reclaimed by a cycle every second"})`,
    { timeout: 240_000 },
    async () => {
      const both = await bothOnLink(
        `proc4: decline and release, reclaim ${reclaim}`,
        DECLINE_QUERIES,
        () => ({
          "valid-lifetime": 4000,
          "decline-probation-period": 4,
          // 0: no reclamation cycle, a declined address comes back through the allocation itself.
          "expired-leases-processing": { "reclaim-timer-wait-time": reclaim },
          subnet4: [
            {
              id: 1,
              subnet: "198.51.100.0/24",
              relay: { "ip-addresses": [GIADDR] },
              pools: [{ pool: "198.51.100.10 - 198.51.100.12" }],
            },
          ],
        }),
        [
          "pkt4-receive-drop",
          "pkt4-parse-failed",
          "pkt4-release-received",
          "pkt4-decline-received",
          "declined-addresses",
          "reclaimed-declined-addresses",
          "reclaimed-leases",
          "subnet[1].assigned-addresses",
          "subnet[1].declined-addresses",
          "v4-allocation-fail",
        ],
      );
      const k = both.kea;
      const table = k.answers.map((a, i) => `${i}: ${kind(a)}`).join("\n");
      assert.equal(kind(k.answers[12]), "ACK 198.51.100.10", table);
      assert.equal(kind(k.answers[14]), "none", table);
      assert.equal(kind(k.answers[16]), "OFFER 198.51.100.12", table);
      assert.equal(kind(k.answers[17]), "ACK 198.51.100.12", table);
      sameAnswers(DECLINE_QUERIES, both);
      assert.deepEqual(both.nestor.stats, both.kea.stats, "statistics");
      sameLeases(both);
      // Kea's warnings for a DECLINE of an address nobody holds and of another client's address.
      for (const id of ["DHCP4_DECLINE_LEASE_NOT_FOUND", "DHCP4_DECLINE_LEASE_MISMATCH"]) {
        assert.match(k.log, new RegExp(`WARN .*${id}`), `Kea logs ${id}`);
        assert.match(both.nestor.log, new RegExp(`WARN .*${id}`), `Nestor logs ${id}`);
      }
    },
  );
}

const GOLD = "02:00:00:00:60:01";
const SILVER = "02:00:00:00:50:01";
const U = "02:00:00:00:70:01";
const V = "02:00:00:00:71:01";
const via2 = (q: Query4): Query4 => ({ ...q, giaddr: GIADDR2 });

/**
 * Subnets and pools guarded by classes a global reservation gives, and two subnets of the same
 * addresses with the same pool, told apart by the relay address.
 */
const SELECT_QUERIES: Query4[] = [
  { type: DISCOVER, mac: GOLD, options: [PRL] }, // 0 gold by its reservation
  { type: DISCOVER, mac: SILVER, options: [PRL] }, // 1 silver by its reservation
  { type: DISCOVER, mac: U, options: [PRL] }, // 2 no reservation
  selecting(GOLD, "203.0.113.10"), // 3 an address of the gold subnet
  selecting(SILVER, "198.51.100.10"), // 4 the silver pool
  selecting(U, "198.51.100.11"), // 5 the silver pool, not silver
  selecting(U, "198.51.100.20"), // 6 the open pool
  via2({ type: DISCOVER, mac: V, options: [PRL] }), // 7 the other subnet, same pool
  via2(selecting(V, "198.51.100.21")), // 8
  via2({ type: DISCOVER, mac: U, options: [PRL] }), // 9 U holds .20 in the first subnet
  via2({ type: DISCOVER, mac: U, options: [requested("198.51.100.20"), PRL] }), // 10
  via2(selecting(U, "198.51.100.20")), // 11
  via2(selecting(U, "198.51.100.22")), // 12
  renewing(U, "198.51.100.20"), // 13 back on the first subnet's relay
  { type: DISCOVER, mac: GOLD, options: [requested("203.0.113.10"), PRL] }, // 14
];

test(
  "subnet and pool selection by a global reservation's classes and by relay address with overlapping pools, as Kea 2.2",
  { timeout: 240_000 },
  async () => {
    const both = await bothOnLink(
      "proc4: selection",
      SELECT_QUERIES,
      () => ({
        "valid-lifetime": 4000,
        "reservations-global": true,
        "reservations-in-subnet": true,
        "client-classes": [{ name: "gold" }, { name: "silver" }],
        reservations: [
          { "hw-address": GOLD, "client-classes": ["gold"] },
          { "hw-address": SILVER, "client-classes": ["silver"] },
        ],
        subnet4: [
          {
            id: 1,
            subnet: "203.0.113.0/25",
            relay: { "ip-addresses": [GIADDR] },
            "client-class": "gold",
            pools: [{ pool: "203.0.113.10 - 203.0.113.19" }],
          },
          {
            id: 2,
            subnet: "198.51.100.0/24",
            relay: { "ip-addresses": [GIADDR] },
            pools: [
              { pool: "198.51.100.10 - 198.51.100.19", "client-class": "silver" },
              { pool: "198.51.100.20 - 198.51.100.29" },
            ],
          },
          {
            id: 3,
            subnet: "198.51.100.0/25",
            relay: { "ip-addresses": [GIADDR2] },
            pools: [{ pool: "198.51.100.20 - 198.51.100.29" }],
          },
        ],
      }),
      [
        "pkt4-nak-sent",
        "pkt4-receive-drop",
        "subnet[2].assigned-addresses",
        "subnet[3].assigned-addresses",
      ],
    );
    const k = both.kea.answers;
    const table = k.map((a, i) => `${i}: ${kind(a)}`).join("\n");
    // Kea 2.2 selects the subnet before the reservation gives its classes: the gold client is
    // not in the gold subnet; the silver client's DISCOVER goes on in the pool of the last pick.
    assert.equal(kind(k[0]), "OFFER 198.51.100.20", table);
    assert.equal(kind(k[1]), "OFFER 198.51.100.21", table);
    assert.equal(kind(k[3]), "none", table);
    assert.equal(kind(k[4]), "ACK 198.51.100.10", table);
    assert.equal(kind(k[5]), "NAK", table);
    // The same address in the other subnet is not the client's lease there.
    assert.equal(kind(k[11]), "NAK", table);
    sameAnswers(SELECT_QUERIES, both);
    assert.deepEqual(both.nestor.stats, both.kea.stats, "statistics");
    sameLeases(both);
  },
);

const R = "02:00:00:00:22:01"; // reserved 198.51.100.100, out of the pool
const S = "02:00:00:00:33:01"; // reserved 198.51.100.15, in the pool

/** REQUESTs of clients with reservations and of others for reserved addresses. */
const RESERVED_QUERIES: Query4[] = [
  { type: DISCOVER, mac: R, options: [PRL] }, // 0 its reserved address, out of the pool
  selecting(R, "198.51.100.100"), // 1
  selecting(S, "198.51.100.10"), // 2 another address while its reserved one is free
  selecting(C, "198.51.100.15"), // 3 reserved for S
  initReboot(C, "198.51.100.100"), // 4 reserved for R, out of the pool
  renewing(R, "198.51.100.100"), // 5
  { type: REQUEST, mac: S, options: [serverId, PRL] }, // 6 no address: its reserved one
  initReboot(S, "198.51.100.15"), // 7
  renewing(R, "198.51.100.12"), // 8 R moves into the pool while reserved another address
  { type: DISCOVER, mac: C, options: [requested("198.51.100.15"), PRL] }, // 9 S's address
];

for (const authoritative of [false, true]) {
  test(
    `authoritative ${authoritative}: REQUESTs with and for reserved addresses answered as Kea 2.2 does`,
    { timeout: 240_000 },
    async () => {
      const both = await bothOnLink(
        `proc4: reservations, authoritative ${authoritative}`,
        RESERVED_QUERIES,
        () => ({
          authoritative,
          "valid-lifetime": 4000,
          subnet4: [
            {
              id: 1,
              subnet: "198.51.100.0/24",
              relay: { "ip-addresses": [GIADDR] },
              pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
              reservations: [
                { "hw-address": R, "ip-address": "198.51.100.100" },
                { "hw-address": S, "ip-address": "198.51.100.15" },
              ],
            },
          ],
        }),
        ["pkt4-nak-sent", "pkt4-ack-sent", "pkt4-receive-drop"],
      );
      const k = both.kea.answers;
      const table = k.map((a, i) => `${i}: ${kind(a)}`).join("\n");
      assert.equal(kind(k[1]), "ACK 198.51.100.100", table);
      assert.equal(kind(k[3]), "NAK", table);
      sameAnswers(RESERVED_QUERIES, both);
      assert.deepEqual(both.nestor.stats, both.kea.stats, "statistics");
      sameLeases(both);
    },
  );
}

test(
  "two subnets of the same addresses on two interfaces (`interface`), overlapping pools: a real client moved from one link to the other gets a lease of the new link's subnet, as from Kea 2.2",
  { timeout: 240_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      keaPrerequisite(4),
      { program: "udhcpc", debianPackage: "udhcpc" },
    ]);
    const bed = new TestBed("proc4: subnets by interface");
    try {
      const serverNs = bed.namespace("srv");
      const clientA = bed.namespace("cla");
      const clientB = bed.namespace("clb");
      const a = bed.link(
        { ns: serverNs, role: "s", address: "198.51.100.1/24" },
        { ns: clientA, role: "a", mac: "02:4e:00:00:06:0a" },
      );
      const b = bed.link(
        { ns: serverNs, role: "s", address: "198.18.0.1/24" },
        // The same client (same MAC, same client-id) moved to the other link.
        { ns: clientB, role: "b", mac: "02:4e:00:00:06:0a" },
      );
      const config = (who: Who) => {
        const file = join(bed.dir, `${who}-iface.json`);
        const dhcp4 = {
          // Raw sockets: Kea receives a directly connected client's broadcasts only so.
          "interfaces-config": { interfaces: [a.a, b.a], "dhcp-socket-type": "raw" },
          "lease-database": {
            type: "memfile",
            name: join(bed.dir, `${who}-iface-leases4.csv`),
            persist: true,
            "lfc-interval": 0,
          },
          "valid-lifetime": 4000,
          subnet4: [
            {
              id: 1,
              subnet: "198.51.100.0/24",
              interface: a.a,
              pools: [{ pool: "198.51.100.20 - 198.51.100.29" }],
            },
            {
              id: 2,
              subnet: "198.51.100.0/25",
              interface: b.a,
              pools: [{ pool: "198.51.100.20 - 198.51.100.29" }],
            },
          ],
          loggers: [
            { name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" },
          ],
        };
        writeFileSync(file, JSON.stringify({ Dhcp4: dhcp4 }, null, 2));
        return file;
      };
      const got = await keaThenNestor(bed, serverNs, 4, config, async (who) => {
        // The client on link A, then (stopped there without releasing) on link B, whose subnet
        // holds the same pool: its lease of link A's subnet is not its lease there.
        const ua = new Udhcpc(bed, clientA, a.b, { label: `udhcpc A (${who})` });
        const addrA = await addressOn(bed, clientA, a.b, "198.51.100.");
        await ua.proc.stop();
        const ub = new Udhcpc(bed, clientB, b.b, { label: `udhcpc B (${who})` });
        const addrB = await addressOn(bed, clientB, b.b, "198.51.100.");
        await ub.proc.stop();
        bed.exec(clientA, "ip", ["-4", "addr", "flush", "dev", a.b]);
        bed.exec(clientB, "ip", ["-4", "addr", "flush", "dev", b.b]);
        const leases = leaseSet(readLeaseRows(join(bed.dir, `${who}-iface-leases4.csv`)));
        const view = [...leases.values()].map((l) => [l.address, l.hwaddr, l.subnetId]);
        return { addrA, addrB, view };
      });
      assert.equal(got.kea.addrA, "198.51.100.20", JSON.stringify(got));
      assert.equal(got.kea.addrB, "198.51.100.21", JSON.stringify(got));
      assert.deepEqual(got.nestor, got.kea);
    } finally {
      await bed.close();
    }
  },
);
