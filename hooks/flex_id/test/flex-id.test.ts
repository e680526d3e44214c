/**
 * flex_id in the servers (nestor/testing: the real query processing in memory): reservations
 * keyed by the flex-id its identifier-expression computes from the query, through the
 * host4_identifier / host6_identifier hook points; replace-client-id, ignore-iaid; the checks of
 * its parameters. Kea 2.2 from Debian has no libdhcp_flex_id.so (premium in 2.2), so these are
 * not side by side with Kea; test/e2e/flex-id.test.ts runs the library with real clients.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { DHO, Option } from "nestor/dhcp";
import type { JsonObject } from "nestor/hooks";
import {
  discover,
  iasOf,
  leasesIn,
  request,
  request6,
  solicit,
  TestServer4,
  TestServer6,
} from "nestor/testing";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const FLEX_ID = here("../index.ts");
const SKIP = here("./fixtures/skip-identifier.ts");

const vendor = (s: string) => new Option(4, DHO.VENDOR_CLASS_IDENTIFIER, Buffer.from(s));

function config4(identifiers = ["flex-id", "hw-address"]): JsonObject {
  return {
    "host-reservation-identifiers": identifiers,
    subnet4: [
      {
        id: 1,
        subnet: "198.51.100.0/24",
        pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
        reservations: [
          { "flex-id": "'lab-7'", "ip-address": "198.51.100.77", hostname: "lab7" },
          { "flex-id": "6c61622d38", "ip-address": "198.51.100.78" },
        ],
      },
    ],
  };
}

const lib = (parameters: JsonObject) => ({ library: FLEX_ID, parameters });

test("v4: the flex-id from identifier-expression finds the reservation, text or hex", async () => {
  const b = await TestServer4.start({
    config: config4(),
    libraries: [lib({ "identifier-expression": "option[60].hex" })],
  });
  try {
    const a = await b.query(discover({ mac: "02:00:00:00:00:07", options: [vendor("lab-7")] }));
    assert.equal(a?.yiaddr, "198.51.100.77");
    const h = a?.getOption(DHO.HOST_NAME);
    assert.equal(h === undefined ? undefined : Buffer.from(h.getData()).toString(), "lab7");
    const c = await b.query(discover({ mac: "02:00:00:00:00:08", options: [vendor("lab-8")] }));
    assert.equal(c?.yiaddr, "198.51.100.78", "a flex-id reservation written in hex");
    const other = await b.query(discover({ mac: "02:00:00:00:00:09", options: [vendor("x")] }));
    assert.equal(other?.yiaddr, "198.51.100.10", "no reservation: a pool address");
    const none = await b.query(discover({ mac: "02:00:00:00:00:0a" }));
    assert.equal(none?.yiaddr, "198.51.100.11", "no option 60: an empty flex-id, not used");
    const got = await b.query(
      request({
        mac: "02:00:00:00:00:07",
        requested: "198.51.100.77",
        serverId: "198.51.100.1",
        options: [vendor("lab-7")],
      }),
    );
    assert.equal(got?.getType(), 5);
    assert.equal(b.lease("198.51.100.77")?.hwaddr?.toText(false), "02:00:00:00:00:07");
  } finally {
    await b.close();
  }
});

test("v4: without flex-id in host-reservation-identifiers, host4_identifier is not called", async () => {
  const b = await TestServer4.start({
    config: config4(["hw-address"]),
    libraries: [lib({ "identifier-expression": "option[60].hex" })],
  });
  try {
    const a = await b.query(discover({ mac: "02:00:00:00:00:07", options: [vendor("lab-7")] }));
    assert.equal(a?.yiaddr, "198.51.100.10");
  } finally {
    await b.close();
  }
});

test("v4: a callout leaving status SKIP at host4_identifier: the flex-id is not used", async () => {
  const b = await TestServer4.start({
    config: config4(),
    libraries: [lib({ "identifier-expression": "option[60].hex" }), { library: SKIP }],
  });
  try {
    const a = await b.query(discover({ mac: "02:00:00:00:00:07", options: [vendor("lab-7")] }));
    assert.equal(a?.yiaddr, "198.51.100.10");
  } finally {
    await b.close();
  }
});

test("v4: replace-client-id: the lease is the flex-id's, the client's own id answered", async () => {
  const b = await TestServer4.start({
    config: config4(),
    libraries: [lib({ "identifier-expression": "option[60].hex", "replace-client-id": true })],
  });
  try {
    const r = await b.query(
      request({
        mac: "02:00:00:00:00:07",
        clientId: "01020000000007",
        requested: "198.51.100.77",
        serverId: "198.51.100.1",
        options: [vendor("lab-7")],
      }),
    );
    assert.equal(r?.yiaddr, "198.51.100.77");
    const lease = b.lease("198.51.100.77");
    assert.equal(lease?.clientId?.toString("hex"), "00" + Buffer.from("lab-7").toString("hex"));
    const echoed = r?.getOption(DHO.DHCP_CLIENT_IDENTIFIER);
    assert.equal(
      echoed === undefined ? undefined : Buffer.from(echoed.getData()).toString("hex"),
      "01020000000007",
    );
  } finally {
    await b.close();
  }
});

test("load refusals: parameters of the wrong type, an expression that does not parse", async () => {
  for (const parameters of [
    { "identifier-expression": 5 },
    { "identifier-expression": "option[60].hex ==" },
    { "identifier-expression": "option[60].hex", "replace-client-id": "yes" },
  ] as JsonObject[]) {
    await assert.rejects(
      TestServer4.start({ config: config4(), libraries: [lib(parameters)] }),
      JSON.stringify(parameters),
    );
  }
});

function config6(): JsonObject {
  return {
    "host-reservation-identifiers": ["flex-id", "duid"],
    subnet6: [
      {
        id: 1,
        subnet: "2001:db8:1::/64",
        pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::1f" }],
        reservations: [{ "flex-id": "'port-9'", "ip-addresses": ["2001:db8:1::99"] }],
      },
    ],
  };
}

const viaPort = (port: string) => [{ link: "2001:db8:1::1", interfaceId: port }];

test("v6: the flex-id from a relay's interface-id finds the reservation", async () => {
  const b = await TestServer6.start({
    config: config6(),
    libraries: [lib({ "identifier-expression": "relay6[0].option[18].hex" })],
  });
  try {
    const a = await b.query(solicit({ duid: "00030001020000000009", relays: viaPort("port-9") }));
    assert.deepEqual(leasesIn(iasOf(a!)[0]!), ["2001:db8:1::99"]);
    const c = await b.query(solicit({ duid: "0003000102000000000a", relays: viaPort("port-1") }));
    assert.deepEqual(leasesIn(iasOf(c!)[0]!), ["2001:db8:1::10"]);
  } finally {
    await b.close();
  }
});

test("v6: ignore-iaid: one IA_NA is the same lease whatever its IAID, answered with its own", async () => {
  const b = await TestServer6.start({
    config: config6(),
    libraries: [lib({ "ignore-iaid": true })],
  });
  try {
    const duid = "0003000102000000000b";
    const first = await b.query(request6({ duid, ias: [{ iaid: 7 }], relays: viaPort("port-1") }));
    const ia1 = iasOf(first!)[0]!;
    assert.equal(ia1.getIAID(), 7);
    assert.equal(leasesIn(ia1).length, 1);
    const second = await b.query(request6({ duid, ias: [{ iaid: 8 }], relays: viaPort("port-1") }));
    const ia2 = iasOf(second!)[0]!;
    assert.equal(ia2.getIAID(), 8, "the response carries the client's IAID");
    assert.deepEqual(leasesIn(ia2), leasesIn(ia1), "the same lease (stored with IAID 0)");
    assert.deepEqual(
      b.allLeases().map((l) => l.iaid),
      [0],
      "one lease, stored with IAID 0",
    );
  } finally {
    await b.close();
  }
});

test("v6: replace-client-id: the lease is the flex-id's DUID, the client's own answered", async () => {
  const b = await TestServer6.start({
    config: config6(),
    libraries: [
      lib({ "identifier-expression": "relay6[0].option[18].hex", "replace-client-id": true }),
    ],
  });
  try {
    const duid = "00030001020000000009";
    const r = await b.query(request6({ duid, relays: viaPort("port-9") }));
    assert.deepEqual(leasesIn(iasOf(r!)[0]!), ["2001:db8:1::99"]);
    const leases = b.allLeases();
    assert.equal(leases.length, 1);
    assert.equal(leases[0]!.duid.toString("hex"), "0000" + Buffer.from("port-9").toString("hex"));
    const cid = r!.getOption(1);
    assert.equal(cid === undefined ? undefined : Buffer.from(cid.getData()).toString("hex"), duid);
  } finally {
    await b.close();
  }
});

test("v4: with early-global-reservations-lookup the flex-id is known before the subnet is selected", async () => {
  const config = (early: boolean): JsonObject => ({
    "host-reservation-identifiers": ["flex-id"],
    "early-global-reservations-lookup": early,
    "reservations-global": true,
    "client-classes": [{ name: "lab" }],
    reservations: [{ "flex-id": "'lab-7'", "client-classes": ["lab"] }],
    subnet4: [
      {
        id: 1,
        subnet: "203.0.113.0/24",
        "client-class": "lab",
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
    const b = await TestServer4.start({
      config: config(early),
      libraries: [lib({ "identifier-expression": "option[60].hex" })],
    });
    try {
      const q = discover({
        mac: "02:00:00:00:00:07",
        relay: "198.51.100.254",
        options: [vendor("lab-7")],
      });
      assert.equal((await b.query(q))?.yiaddr, expected, `early ${early}`);
    } finally {
      await b.close();
    }
  }
});
