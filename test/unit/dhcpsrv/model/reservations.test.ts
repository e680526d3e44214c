/**
 * Reservation modes and lookups in the servers' query processing (src/testing's in-memory
 * servers): the subnet level of reservations-global / -in-subnet / -out-of-pool over the global
 * one, addresses reserved for another client, ip-reservations-unique false, the global
 * reservation's classes with early-global-reservations-lookup. The same cases against Kea 2.2:
 * test/e2e/reservations-kea.test.ts and reservations6-kea.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { JsonObject } from "../../../../src/hooks/index.ts";
import { reservationModes } from "../../../../src/dhcpsrv/model/host.ts";
import { Host4, HostStore4 } from "../../../../src/dhcpsrv/model/host4.ts";
import { Option6IAAddr } from "../../../../src/dhcp/option6-ia.ts";
import {
  discover,
  iasOf,
  leasesIn,
  renew,
  request,
  request6,
  solicit,
  TestServer4,
  TestServer6,
} from "../../../../src/testing/index.ts";

test("reservationModes: the most specific level that sets a flag wins, then Kea's defaults", () => {
  assert.deepEqual(reservationModes(), { global: false, inSubnet: true, outOfPool: false });
  assert.deepEqual(
    reservationModes(
      { "reservations-in-subnet": false },
      { "reservations-out-of-pool": true, "reservations-in-subnet": true },
      { "reservations-global": true },
    ),
    { global: true, inSubnet: false, outOfPool: true },
  );
  assert.deepEqual(reservationModes(undefined, { "reservations-global": true }), {
    global: true,
    inSubnet: true,
    outOfPool: false,
  });
});

test("HostStore4: one address may be held by several reservations", () => {
  const store = new HostStore4();
  const a = new Host4({
    identifierType: "hw-address",
    identifier: Buffer.from([1]),
    subnetId: 1,
    ipv4: 9,
  });
  const b = new Host4({
    identifierType: "hw-address",
    identifier: Buffer.from([2]),
    subnetId: 1,
    ipv4: 9,
  });
  store.add(a);
  store.add(b);
  assert.deepEqual(store.findAllByAddress(1, 9), [a, b]);
  assert.equal(store.findByAddress(1, 9), a);
  assert.deepEqual(store.findAllByAddress(2, 9), []);
});

const mac = (n: number) => `02:00:00:00:02:${n.toString(16).padStart(2, "0")}`;

function config4(global: JsonObject, subnet: JsonObject, reservations: JsonObject[]): JsonObject {
  return {
    ...global,
    reservations: [{ "hw-address": mac(1), "ip-address": "198.51.100.51" }],
    subnet4: [
      {
        id: 1,
        subnet: "198.51.100.0/24",
        pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
        reservations,
        ...subnet,
      },
    ],
  };
}

async function offer4(config: JsonObject, n: number): Promise<string | undefined> {
  const b = await TestServer4.start({ config });
  try {
    return (await b.query(discover({ mac: mac(n) })))?.yiaddr;
  } finally {
    await b.close();
  }
}

test("v4: the subnet's reservation flags win over the global ones", async () => {
  const own = [{ "hw-address": mac(1), "ip-address": "198.51.100.50" }];
  // Global defaults: the subnet's own reservation.
  assert.equal(await offer4(config4({}, {}, own), 1), "198.51.100.50");
  // Global reservations on at the subnet level only, the subnet's own off there.
  assert.equal(
    await offer4(
      config4({}, { "reservations-global": true, "reservations-in-subnet": false }, own),
      1,
    ),
    "198.51.100.51",
  );
  // Global flags on, the subnet turns global reservations off again.
  assert.equal(
    await offer4(
      config4(
        { "reservations-global": true, "reservations-in-subnet": false },
        { "reservations-global": false },
        own,
      ),
      1,
    ),
    "198.51.100.10",
  );
});

test("v4: a pool address reserved for another client is skipped, unless out-of-pool", async () => {
  const other = [{ "hw-address": mac(2), "ip-address": "198.51.100.10" }];
  assert.equal(await offer4(config4({}, {}, other), 3), "198.51.100.11");
  assert.equal(
    await offer4(config4({}, { "reservations-out-of-pool": true }, other), 3),
    "198.51.100.10",
  );
  // With reservations-in-subnet false the subnet's reservations do not hold the address either.
  assert.equal(
    await offer4(config4({}, { "reservations-in-subnet": false }, other), 3),
    "198.51.100.10",
  );
});

test("v4: ip-reservations-unique false: the first client takes the address, the next a pool one", async () => {
  const b = await TestServer4.start({
    config: config4({ "ip-reservations-unique": false }, {}, [
      { "hw-address": mac(6), "ip-address": "198.51.100.99" },
      { "hw-address": mac(7), "ip-address": "198.51.100.99" },
    ]),
  });
  try {
    const first = await b.query(
      request({ mac: mac(6), requested: "198.51.100.99", serverId: "198.51.100.1" }),
    );
    assert.equal(first?.getType(), 5);
    assert.equal((await b.query(discover({ mac: mac(7) })))?.yiaddr, "198.51.100.10");
    const refused = await b.query(
      request({ mac: mac(7), requested: "198.51.100.99", serverId: "198.51.100.1" }),
    );
    assert.equal(refused?.getType(), 6, "NAK while the other client holds it");
  } finally {
    await b.close();
  }
});

test("v4: early-global-reservations-lookup: a global reservation's class selects the subnet", async () => {
  const config = (early: boolean): JsonObject => ({
    "early-global-reservations-lookup": early,
    "reservations-global": true,
    "client-classes": [{ name: "vip" }],
    reservations: [{ "hw-address": mac(0x21), "client-classes": ["vip"] }],
    subnet4: [
      {
        id: 1,
        subnet: "203.0.113.0/24",
        "client-class": "vip",
        relay: { "ip-addresses": ["198.51.100.254"] },
        pools: [{ pool: "203.0.113.10 - 203.0.113.19" }],
      },
      {
        id: 2,
        subnet: "198.51.100.0/24",
        relay: { "ip-addresses": ["198.51.100.254"] },
        pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
      },
    ],
  });
  for (const [early, expected] of [
    [true, "203.0.113.10"],
    [false, "198.51.100.10"],
  ] as const) {
    const b = await TestServer4.start({ config: config(early) });
    try {
      const a = await b.query(discover({ mac: mac(0x21), relay: "198.51.100.254" }));
      assert.equal(a?.yiaddr, expected, `early ${early}`);
    } finally {
      await b.close();
    }
  }
});

test("v6: the subnet's reservation flags and an address reserved for another client", async () => {
  const config = (subnet: JsonObject): JsonObject => ({
    reservations: [{ duid: "00030001020000000201", "ip-addresses": ["2001:db8:1::51"] }],
    subnet6: [
      {
        id: 1,
        subnet: "2001:db8:1::/64",
        pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::1f" }],
        reservations: [
          { duid: "00030001020000000201", "ip-addresses": ["2001:db8:1::50"] },
          { duid: "00030001020000000202", "ip-addresses": ["2001:db8:1::10"] },
        ],
        ...subnet,
      },
    ],
  });
  const ask = async (subnet: JsonObject, duid: string) => {
    const b = await TestServer6.start({ config: config(subnet) });
    try {
      const a = await b.query(solicit({ duid, relays: [{ link: "2001:db8:1::1" }] }));
      return leasesIn(iasOf(a!)[0]!);
    } finally {
      await b.close();
    }
  };
  assert.deepEqual(await ask({}, "00030001020000000201"), ["2001:db8:1::50"]);
  assert.deepEqual(
    await ask(
      { "reservations-global": true, "reservations-in-subnet": false },
      "00030001020000000201",
    ),
    ["2001:db8:1::51"],
  );
  assert.deepEqual(await ask({}, "00030001020000000203"), ["2001:db8:1::11"]);
  assert.deepEqual(await ask({ "reservations-out-of-pool": true }, "00030001020000000203"), [
    "2001:db8:1::10",
  ]);
});

test("v6 reservations-out-of-pool: an in-pool reservation is not one; a lease reserved for another is taken back", async () => {
  const relays = [{ link: "2001:db8:1::1" }];
  const b = await TestServer6.start({
    config: {
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::1f" }],
          "reservations-out-of-pool": true,
          reservations: [
            { duid: "00030001020000000204", "ip-addresses": ["2001:db8:1::15"] },
            { duid: "00030001020000000206", "ip-addresses": ["2001:db8:1::12"] },
          ],
        },
      ],
    },
  });
  /** Every address of the answer's first IA with its lifetimes. */
  const all = (a: Awaited<ReturnType<typeof b.query>>) =>
    iasOf(a!)[0]!
      .getOptions()
      .filter((o): o is Option6IAAddr => o instanceof Option6IAAddr)
      .map((o) => `${o.getAddress()} ${o.getPreferred()} ${o.getValid()}`);
  try {
    // The client's in-pool reservation of ::15 is not one: the first pool address, as Kea.
    const own = await b.query(solicit({ duid: "00030001020000000204", relays }));
    assert.deepEqual(leasesIn(iasOf(own!)[0]!), ["2001:db8:1::10"]);
    // ::12, reserved for another client, is granted on request (out-of-pool spares the check)...
    const ias = [{ hints: ["2001:db8:1::12"] }];
    const got = await b.query(request6({ duid: "00030001020000000205", relays, ias }));
    assert.deepEqual(all(got), ["2001:db8:1::12 3000 4000"]);
    // ...but the lease held is taken back on RENEW (lifetimes 0), then granted anew from the hint.
    const renewed = await b.query(renew({ duid: "00030001020000000205", relays, ias }));
    assert.deepEqual(all(renewed), ["2001:db8:1::12 3000 4000", "2001:db8:1::12 0 0"]);
  } finally {
    await b.close();
  }
});
