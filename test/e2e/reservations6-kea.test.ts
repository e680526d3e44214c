/**
 * Host reservations, nestor-dhcp6 against Kea 2.2 (Debian's kea-dhcp6): the reservation modes
 * (reservations-global / -in-subnet / -out-of-pool at global and subnet level), an address
 * reserved for another client, a reserved address leased to someone else,
 * ip-reservations-unique false, reservations-out-of-pool (an in-pool reservation, a lease held on
 * an address reserved for another client), a global reservation's class selecting the subnet with
 * early-global-reservations-lookup. One configuration given unchanged to both servers, the same
 * relayed queries sent to each (each subnet chosen by the relay-forward's link address); the
 * answers must be the same, field by field.
 *
 *   relay ns [veth 2001:db8:1::1/64] ---- [veth 2001:db8:1::2/64] server ns: kea-dhcp6, then
 *                                                                  nestor-dhcp6
 *
 * Needs root, iproute2 and kea-dhcp6 (Debian: kea-dhcp6-server).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { keaPrerequisite, relayedQueriesToBoth, serverRelayLink } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer6, Query6 } from "./lib/relay6-queries.ts";

const RELAY_ADDR = "2001:db8:1::1";
const SERVER = "2001:db8:1::2";
const SOLICIT = 1;
const REQUEST = 3;
const ADVERTISE = 2;
const REPLY = 7;
const RENEW = 5;
const NO_ADDRS_AVAIL = 2;
const ORO: [number, string] = [6, "0018"];

const duid = (n: number) => `000300010200000001${n.toString(16).padStart(2, "0")}`;
/** The link address of subnet `n` (2001:db8:n::/64). */
const link = (n: number) => `2001:db8:${n}::1`;
const solicit = (n: number, who: number, hints: string[] = []): Query6 => ({
  type: SOLICIT,
  duid: duid(who),
  ias: [{ iaid: 1, hints }],
  options: [ORO],
  link: link(n),
  // Every query here is answered: a generous wait (a loaded machine).
  waitMs: 10_000,
});
const request = (n: number, who: number, address: string): Query6 => ({
  type: REQUEST,
  duid: duid(who),
  ias: [{ iaid: 1, hints: [address] }],
  options: [ORO],
  serverId: true,
  link: link(n),
  waitMs: 10_000,
});

async function both(
  title: string,
  queries: Query6[],
  dhcp6: Record<string, unknown>,
): Promise<Record<"kea" | "nestor", (Answer6 | null)[]>> {
  requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
  const bed = new TestBed(title);
  try {
    const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, RELAY_ADDR, 64);
    return await relayedQueriesToBoth<Answer6>(bed, 6, {
      serverNs,
      relayNs,
      relayAddress: RELAY_ADDR,
      server: SERVER,
      queries,
      config: (leaseFile) =>
        JSON.stringify({
          Dhcp6: {
            "interfaces-config": { interfaces: [`${serverIf}/${SERVER}`] },
            "lease-database": {
              type: "memfile",
              name: leaseFile,
              persist: true,
              "lfc-interval": 0,
            },
            "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
            "preferred-lifetime": 3000,
            "valid-lifetime": 4000,
            ...dhcp6,
          },
        }),
    });
  } finally {
    await bed.close();
  }
}

function same(queries: Query6[], r: Record<"kea" | "nestor", (Answer6 | null)[]>): void {
  const brief = (a: Answer6 | null | undefined) =>
    a === null || a === undefined
      ? "-"
      : `${a.type} ${a.ias.map((ia) => `${ia.leases.join(",")}${ia.status === null ? "" : `/${ia.status}`}`).join(" ")}`;
  const table = queries
    .map((_, i) => `${i}: Kea ${brief(r.kea[i])} | Nestor ${brief(r.nestor[i])}`)
    .join("\n");
  queries.forEach((q, i) => {
    assert.deepEqual(
      r.nestor[i],
      r.kea[i],
      `query ${i} (${JSON.stringify(q)}): nestor-dhcp6 and Kea 2.2 differ\n${table}`,
    );
  });
}

/** The address of the first IA of an answer, or undefined. */
const addr = (a: Answer6 | null | undefined) => a?.ias[0]?.leases[0]?.split(" ")[0];

const subnet = (n: number, extra: Record<string, unknown>) => ({
  id: n,
  subnet: `2001:db8:${n}::/64`,
  pools: [{ pool: `2001:db8:${n}::10 - 2001:db8:${n}::1f` }],
  ...extra,
});

const MODES = {
  reservations: [
    { duid: duid(1), "ip-addresses": ["2001:db8:1::51"], hostname: "global-one" },
    { duid: duid(2), "ip-addresses": ["2001:db8:2::52"] },
  ],
  subnet6: [
    // The global reservations only: the subnet's own are ignored (subnet level over global).
    subnet(1, {
      "reservations-global": true,
      "reservations-in-subnet": false,
      reservations: [
        { duid: duid(1), "ip-addresses": ["2001:db8:1::50"] },
        { duid: duid(3), "ip-addresses": ["2001:db8:1::10"] },
      ],
    }),
    // The defaults: no global reservations, the subnet's own checked against the pool.
    subnet(2, {
      reservations: [{ duid: duid(3), "ip-addresses": ["2001:db8:2::11"] }],
    }),
    // Reservations promised out of the pools.
    subnet(3, {
      "reservations-out-of-pool": true,
      reservations: [{ duid: duid(4), "ip-addresses": ["2001:db8:3::11"] }],
    }),
  ],
};

const MODE_QUERIES: Query6[] = [
  // 0-1 Subnet 1: the global reservation, not the subnet's own.
  solicit(1, 1),
  request(1, 1, "2001:db8:1::51"),
  // 2 Subnet 1: the subnet's reservation of ::10 is ignored: another client gets ::10.
  solicit(1, 5),
  // 3 Subnet 2 (no global reservations there): client 2 gets a pool address, not ::52.
  solicit(2, 2),
  // 4-6 Subnet 2: ::11 is reserved for client 3: skipped for others, refused when asked.
  request(2, 5, "2001:db8:2::10"),
  solicit(2, 8),
  request(2, 8, "2001:db8:2::11"),
  // 7-9 Subnet 3 (out-of-pool): the in-pool reserved ::11 goes to another client.
  request(3, 5, "2001:db8:3::10"),
  request(3, 8, "2001:db8:3::11"),
  solicit(3, 4),
];

/** One address reserved for two clients (ip-reservations-unique false). */
const NON_UNIQUE = {
  "ip-reservations-unique": false,
  subnet6: [
    subnet(4, {
      reservations: [
        { duid: duid(6), "ip-addresses": ["2001:db8:4::99"] },
        { duid: duid(7), "ip-addresses": ["2001:db8:4::99"] },
      ],
    }),
  ],
};

const NON_UNIQUE_QUERIES: Query6[] = [
  // The first takes it, the second gets another address and is not given it while it is leased.
  solicit(4, 6),
  request(4, 6, "2001:db8:4::99"),
  solicit(4, 7),
  request(4, 7, "2001:db8:4::99"),
];

test(
  "reservation modes and conflicts: nestor-dhcp6 answers as Kea 2.2",
  { timeout: 180_000 },
  async () => {
    const r = await both("reservation modes v6", MODE_QUERIES, MODES);
    const k = r.kea;
    const at = (i: number) => `${i}: ${JSON.stringify(k[i])}`;
    assert.equal(addr(k[0]), "2001:db8:1::51", at(0));
    assert.equal(k[1]?.type, REPLY, at(1));
    assert.equal(addr(k[2]), "2001:db8:1::10", at(2));
    assert.notEqual(addr(k[3]), "2001:db8:2::52", at(3));
    assert.notEqual(addr(k[5]), "2001:db8:2::11", at(5));
    assert.equal(addr(k[8]), "2001:db8:3::11", at(8));
    assert.equal(k[0]?.type, ADVERTISE);
    void NO_ADDRS_AVAIL;
    same(MODE_QUERIES, r);
  },
);

test(
  "ip-reservations-unique false: nestor-dhcp6 answers as Kea 2.2",
  { timeout: 180_000 },
  async () => {
    const r = await both("non-unique reservations v6", NON_UNIQUE_QUERIES, NON_UNIQUE);
    const k = r.kea;
    assert.equal(addr(k[1]), "2001:db8:4::99", JSON.stringify(k[1]));
    assert.notEqual(addr(k[2]), "2001:db8:4::99", JSON.stringify(k[2]));
    same(NON_UNIQUE_QUERIES, r);
  },
);

test(
  "a global reservation's class selects the subnet with early-global-reservations-lookup: nestor-dhcp6 answers as Kea 2.2",
  { timeout: 180_000 },
  async () => {
    const config = {
      "early-global-reservations-lookup": true,
      "reservations-global": true,
      "client-classes": [{ name: "vip" }],
      reservations: [{ duid: duid(0x21), "client-classes": ["vip"] }],
      subnet6: [
        subnet(1, { "client-class": "vip", relay: { "ip-addresses": [link(9)] } }),
        subnet(2, { relay: { "ip-addresses": [link(9)] } }),
      ],
    };
    const queries = [solicit(9, 0x21), solicit(9, 0x22)];
    const r = await both("global classes v6", queries, config);
    const k = r.kea;
    assert.equal(addr(k[0]), "2001:db8:1::10", JSON.stringify(k[0]));
    assert.equal(addr(k[1]), "2001:db8:2::10", JSON.stringify(k[1]));
    same(queries, r);
  },
);

/**
 * reservations-out-of-pool in v6, as Kea 2.2's engine has it: a client's own reservation inside
 * a pool is not taken as one (it gets a pool address as any client), and a lease the client
 * holds on an address reserved for another client is taken back (it is not kept under the
 * out-of-pool promise, which only spares the checks of addresses being picked).
 */
const OUT_OF_POOL = {
  subnet6: [
    subnet(3, {
      "reservations-out-of-pool": true,
      reservations: [
        { duid: duid(4), "ip-addresses": ["2001:db8:3::15"] },
        { duid: duid(6), "ip-addresses": ["2001:db8:3::12"] },
      ],
    }),
  ],
};

const renew = (n: number, who: number, address: string): Query6 => ({
  ...request(n, who, address),
  type: RENEW,
});

const OUT_OF_POOL_QUERIES: Query6[] = [
  // 0-1 Client 4's reservation of the in-pool ::15 is not one: a pool address, as any client.
  solicit(3, 4),
  request(3, 4, "2001:db8:3::10"),
  // 2 Client 5 asks for ::12, reserved for client 6: granted (out-of-pool skips the check).
  request(3, 5, "2001:db8:3::12"),
  // 3 Client 5 renews ::12: it is reserved for another client.
  renew(3, 5, "2001:db8:3::12"),
  // 4 Client 6, whose in-pool reservation is not one either.
  solicit(3, 6),
];

test(
  "reservations-out-of-pool: an in-pool reservation and a lease reserved for another: nestor-dhcp6 answers as Kea 2.2",
  { timeout: 180_000 },
  async () => {
    const r = await both("out-of-pool v6", OUT_OF_POOL_QUERIES, OUT_OF_POOL);
    const k = r.kea;
    const at = (i: number) => `${i}: ${JSON.stringify(k[i])}`;
    assert.equal(addr(k[0]), "2001:db8:3::10", at(0));
    assert.equal(addr(k[1]), "2001:db8:3::10", at(1));
    assert.equal(addr(k[2]), "2001:db8:3::12", at(2));
    // Taken back (lifetimes 0), and granted anew from the hint, out-of-pool sparing the check.
    assert.deepEqual(
      k[3]?.ias[0]?.leases,
      ["2001:db8:3::12 3000 4000", "2001:db8:3::12 0 0"],
      at(3),
    );
    assert.equal(addr(k[4]), "2001:db8:3::11", at(4));
    same(OUT_OF_POOL_QUERIES, r);
  },
);
