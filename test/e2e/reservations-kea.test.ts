/**
 * Host reservations, nestor-dhcp4 against Kea 2.2 (Debian's kea-dhcp4): the reservation modes
 * (reservations-global / -in-subnet / -out-of-pool at global and subnet level), conflicts (an
 * address reserved for another client, a reserved address leased to someone else),
 * ip-reservations-unique false, global reservations whose classes steer the subnet
 * (early-global-reservations-lookup) and the pool. One configuration given unchanged to both
 * servers, the same relayed queries sent to each by a relay agent in its own namespace; the
 * answers and the lease files must be the same.
 *
 *   relay ns [veth 198.51.100.254/24 (+ .253 .252 .251)] ---- [veth 198.51.100.1/24] server ns:
 *     kea-dhcp4, then nestor-dhcp4 (UDP sockets); each subnet chosen by its relay address
 *
 * Needs root, iproute2 and kea-dhcp4 (Debian: kea-dhcp4-server).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { keaPrerequisite, serverRelayLink } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import { leaseView, queriesToBoth, type Side4 } from "./lib/queries4-both.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";

const SERVER = "198.51.100.1";
const RELAYS = ["198.51.100.254", "198.51.100.253", "198.51.100.252", "198.51.100.251"] as const;

const DISCOVER = 1;
const REQUEST = 3;
const OFFER = 2;
const ACK = 5;
const NAK = 6;

const ipHex = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");
const requested = (a: string): [number, string] => [50, ipHex(a)];
const serverId: [number, string] = [54, ipHex(SERVER)];
const PRL: [number, string] = [55, "01030c0f"];

/** Queries through relay `r` (its address selects the subnet). */
const via = (r: number, q: Query4): Query4 => ({ ...q, giaddr: RELAYS[r] });
const discover = (r: number, mac: string): Query4 =>
  via(r, { type: DISCOVER, mac, options: [PRL] });
const selecting = (r: number, mac: string, addr: string): Query4 =>
  via(r, { type: REQUEST, mac, options: [requested(addr), serverId, PRL] });

async function bothOnLink(
  title: string,
  queries: Query4[],
  dhcp4: Record<string, unknown>,
): Promise<Record<"kea" | "nestor", Side4>> {
  requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
  const bed = new TestBed(title);
  try {
    const { serverNs, relayNs, serverIf, relayIf } = serverRelayLink(bed, SERVER, RELAYS[0], 24);
    for (const r of RELAYS.slice(1))
      bed.exec(relayNs, "ip", ["addr", "add", `${r}/24`, "dev", relayIf]);
    return await queriesToBoth(bed, {
      serverNs,
      relayNs,
      relayAddress: RELAYS[0],
      server: SERVER,
      queries,
      dhcp4: () => ({
        "interfaces-config": { interfaces: [serverIf], "dhcp-socket-type": "udp" },
        "valid-lifetime": 4000,
        ...dhcp4,
      }),
      statistics: [],
    });
  } finally {
    await bed.close();
  }
}

/** Every answer and every lease the same; the message shows both servers' answers. */
function same(queries: Query4[], both: Record<"kea" | "nestor", Side4>): void {
  const brief = (a: Answer4 | null | undefined) =>
    a === null || a === undefined ? "-" : `${a.type} ${a.yiaddr}`;
  const table = queries
    .map(
      (_, i) => `${i}: Kea ${brief(both.kea.answers[i])} | Nestor ${brief(both.nestor.answers[i])}`,
    )
    .join("\n");
  queries.forEach((q, i) => {
    assert.deepEqual(
      both.nestor.answers[i],
      both.kea.answers[i],
      `query ${i} (${JSON.stringify(q)}): nestor-dhcp4 and Kea 2.2 differ\n${table}`,
    );
  });
  const view = (s: Side4) =>
    [...s.leases.values()]
      .map(leaseView)
      .sort((a, b) => String(a!.address).localeCompare(String(b!.address)));
  assert.deepEqual(view(both.nestor), view(both.kea), "the lease files differ");
}

const mac = (n: number) => `02:00:00:00:01:${n.toString(16).padStart(2, "0")}`;

/** Four subnets, each selected by its relay, each with other reservation flags. */
const MODES = {
  "ip-reservations-unique": false,
  reservations: [
    { "hw-address": mac(1), "ip-address": "203.0.113.51", hostname: "global-one" },
    { "hw-address": mac(2), "ip-address": "203.0.113.52", hostname: "global-two" },
  ],
  subnet4: [
    {
      // The global reservations only, the subnet's own ignored (subnet level over global).
      id: 1,
      subnet: "203.0.113.0/26",
      relay: { "ip-addresses": [RELAYS[0]] },
      pools: [{ pool: "203.0.113.10 - 203.0.113.19" }],
      "reservations-global": true,
      "reservations-in-subnet": false,
      reservations: [{ "hw-address": mac(1), "ip-address": "203.0.113.50", hostname: "own" }],
    },
    {
      // The defaults: the subnet's own reservations, checked against the pool.
      id: 2,
      subnet: "203.0.113.64/26",
      relay: { "ip-addresses": [RELAYS[1]] },
      pools: [{ pool: "203.0.113.74 - 203.0.113.79" }],
      reservations: [
        { "hw-address": mac(3), "ip-address": "203.0.113.75" },
        { "hw-address": mac(2), hostname: "in-subnet-two" },
      ],
    },
    {
      // Reservations promised out of the pools: a pool address is not checked.
      id: 3,
      subnet: "203.0.113.128/26",
      relay: { "ip-addresses": [RELAYS[2]] },
      pools: [{ pool: "203.0.113.138 - 203.0.113.143" }],
      "reservations-out-of-pool": true,
      reservations: [{ "hw-address": mac(4), "ip-address": "203.0.113.139" }],
    },
    {
      // One address reserved for two clients (ip-reservations-unique false).
      id: 4,
      subnet: "203.0.113.192/26",
      relay: { "ip-addresses": [RELAYS[3]] },
      pools: [{ pool: "203.0.113.202 - 203.0.113.205" }],
      reservations: [
        { "hw-address": mac(6), "ip-address": "203.0.113.210" },
        { "hw-address": mac(7), "ip-address": "203.0.113.210" },
      ],
    },
  ],
};

const MODE_QUERIES: Query4[] = [
  // 0-1 Subnet 1: the global reservation's address and name, not the subnet's own.
  discover(0, mac(1)),
  selecting(0, mac(1), "203.0.113.51"),
  // 2 Subnet 1: a client without a global reservation: the pool.
  discover(0, mac(5)),
  // 3-4 Subnet 2 (global reservations off there): no global address; the subnet's hostname.
  discover(1, mac(2)),
  selecting(1, mac(2), "203.0.113.74"),
  // 5-7 Subnet 2: a client asking for an address reserved for another: refused; skipped in the pool.
  selecting(1, mac(5), "203.0.113.75"),
  discover(1, mac(5)),
  selecting(1, mac(5), "203.0.113.76"),
  // 8-9 Subnet 3, out-of-pool: another client gets the in-pool reserved address.
  selecting(2, mac(5), "203.0.113.139"),
  discover(2, mac(8)),
  // 10-12 Subnet 3: the reserved client, its address leased to another: a dynamic one, granted.
  discover(2, mac(4)),
  selecting(2, mac(4), "203.0.113.138"),
  selecting(2, mac(4), "203.0.113.139"),
  // 13-15 Subnet 3: the other client moved to another address (its lease of .139 removed); with
  // out-of-pool an in-pool reservation is not taken as one: the client keeps its lease, and
  // may take .139 as any pool address.
  selecting(2, mac(5), "203.0.113.141"),
  discover(2, mac(4)),
  selecting(2, mac(4), "203.0.113.139"),
  // 16-20 Subnet 4: the first of two clients reserved one address takes it; the second gets a
  // dynamic one and is refused the reserved one while it is leased.
  discover(3, mac(6)),
  selecting(3, mac(6), "203.0.113.210"),
  discover(3, mac(7)),
  selecting(3, mac(7), "203.0.113.210"),
  selecting(3, mac(7), "203.0.113.202"),
  // 21-23 Subnet 4: the first moved to a pool address, the reserved one goes to the second.
  selecting(3, mac(6), "203.0.113.203"),
  discover(3, mac(7)),
  selecting(3, mac(7), "203.0.113.210"),
];

test(
  "reservation modes, conflicts and non-unique reservations: nestor-dhcp4 answers as Kea 2.2",
  { timeout: 180_000 },
  async () => {
    const both = await bothOnLink("reservation modes v4", MODE_QUERIES, MODES);
    const k = both.kea.answers;
    const at = (i: number) => `${i}: ${JSON.stringify(k[i])}`;
    // What Kea answered is what the scenario shows.
    assert.equal(k[0]?.yiaddr, "203.0.113.51", at(0));
    assert.equal(k[1]?.type, ACK, at(1));
    assert.equal(k[2]?.yiaddr, "203.0.113.10", at(2));
    assert.equal(k[3]?.yiaddr, "203.0.113.74", at(3));
    assert.equal(k[5]?.type, NAK, at(5));
    assert.equal(k[6]?.yiaddr, "203.0.113.76", at(6));
    assert.equal(k[8]?.type, ACK, at(8));
    assert.equal(k[10]?.type, OFFER, at(10));
    assert.notEqual(k[10]?.yiaddr, "203.0.113.139", at(10));
    assert.equal(k[14]?.yiaddr, "203.0.113.138", at(14));
    assert.equal(k[15]?.yiaddr, "203.0.113.139", at(15));
    assert.equal(k[17]?.type, ACK, at(17));
    assert.equal(k[19]?.type, NAK, at(19));
    assert.equal(k[23]?.yiaddr, "203.0.113.210", at(23));
    same(MODE_QUERIES, both);
  },
);

const vip = mac(0x21);
const gold = mac(0x22);
const plain = mac(0x23);

/** Global reservations with classes: one guards a subnet, one a pool. */
function classed(early: boolean): Record<string, unknown> {
  return {
    "early-global-reservations-lookup": early,
    "reservations-global": true,
    "client-classes": [
      { name: "vip", "option-data": [{ name: "domain-name", data: "vip.example" }] },
      { name: "gold", "option-data": [{ name: "domain-name", data: "gold.example" }] },
    ],
    reservations: [
      { "hw-address": vip, "client-classes": ["vip"] },
      { "hw-address": gold, "client-classes": ["gold"], hostname: "gold" },
    ],
    subnet4: [
      {
        id: 1,
        subnet: "203.0.113.0/26",
        relay: { "ip-addresses": [RELAYS[0]] },
        "client-class": "vip",
        pools: [{ pool: "203.0.113.10 - 203.0.113.19" }],
      },
      {
        id: 2,
        subnet: "203.0.113.64/26",
        relay: { "ip-addresses": [RELAYS[0]] },
        pools: [
          { pool: "203.0.113.74 - 203.0.113.79", "client-class": "gold" },
          { pool: "203.0.113.80 - 203.0.113.89" },
        ],
      },
    ],
  };
}

const CLASSED_QUERIES: Query4[] = [
  // The gold client: its reserved class opens the gold pool; it joins the class (its option).
  discover(0, gold),
  // The vip client: its reserved class selects the vip subnet only when looked up early.
  discover(0, vip),
  selecting(0, vip, "203.0.113.10"),
  // A client without reservation: the open pool of the second subnet.
  discover(0, plain),
];

for (const early of [true, false]) {
  test(
    `global reservations' classes with early-global-reservations-lookup ${early}: nestor-dhcp4 answers as Kea 2.2`,
    { timeout: 180_000 },
    async () => {
      const both = await bothOnLink(
        `global classes v4 (${early})`,
        CLASSED_QUERIES,
        classed(early),
      );
      const k = both.kea.answers;
      const at = (i: number) => `${i}: ${JSON.stringify(k[i])}`;
      assert.equal(k[0]?.yiaddr, "203.0.113.74", at(0));
      assert.equal(k[0]?.options["15"], Buffer.from("gold.example").toString("hex"), at(0));
      assert.equal(k[1]?.yiaddr, early ? "203.0.113.10" : "203.0.113.80", at(1));
      assert.equal(k[2]?.type, early ? ACK : undefined, at(2));
      assert.equal(k[3]?.yiaddr, early ? "203.0.113.80" : "203.0.113.81", at(3));
      same(CLASSED_QUERIES, both);
    },
  );
}
