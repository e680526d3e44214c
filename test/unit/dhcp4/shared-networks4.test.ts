/**
 * Shared networks in the DHCPv4 server: the configuration rules (name, interface, ids), the
 * inheritance global -> network -> subnet, and the allocation walk over a network's subnets as
 * Kea 2.2 makes it (side by side with kea-dhcp4 in test/e2e/shared-networks-kea.test.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

import { ConfigFileError } from "../../../src/dhcpsrv/config/errors.ts";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import { buildDhcp4Model } from "../../../src/dhcpsrv/model/cfg4.ts";
import { DHO } from "../../../src/dhcp/constants.ts";
import { SERVER_ADDR, T, exchange, query4, server4 } from "../../helpers/dhcp4.ts";

const RELAY = "198.51.100.254";
const HOOK = fileURLToPath(new URL("../../fixtures/dhcp4-hooks/set-status.ts", import.meta.url));

type Json = Record<string, unknown>;

/** Network "blue": subnet 10 (pool of 2), subnet 11 (pool of 3) behind RELAY; subnet 20 apart. */
function config(network: Json = {}, first: Json = {}, second: Json = {}, extra: Json = {}): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", persist: false },
      "valid-lifetime": 4000,
      "shared-networks": [
        {
          name: "blue",
          relay: { "ip-addresses": [RELAY] },
          "valid-lifetime": 3000,
          subnet4: [
            {
              id: 10,
              subnet: "198.51.100.0/26",
              pools: [{ pool: "198.51.100.10 - 198.51.100.11" }],
              ...first,
            },
            {
              id: 11,
              subnet: "198.51.100.64/26",
              pools: [{ pool: "198.51.100.70 - 198.51.100.72" }],
              ...second,
            },
          ],
          ...network,
        },
      ],
      subnet4: [
        {
          id: 20,
          subnet: "203.0.113.0/24",
          pools: [{ pool: "203.0.113.10 - 203.0.113.20" }],
        },
      ],
      ...extra,
    },
  });
}

function refusal(text: string): ConfigFileError {
  try {
    const { config } = parseConfigText(text, 4, "kea.conf");
    buildDhcp4Model(config, "kea.conf");
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, `expected a ConfigFileError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the configuration to be refused");
}

const discover = (mac: string, o: { requested?: string; giaddr?: string } = {}) =>
  query4(T.DHCPDISCOVER, { mac, giaddr: o.giaddr ?? RELAY, requested: o.requested });
const request = (mac: string, requested: string, giaddr = RELAY) =>
  query4(T.DHCPREQUEST, { mac, giaddr, requested, serverId: SERVER_ADDR });

async function dora(bed: Awaited<ReturnType<typeof server4>>, mac: string, giaddr = RELAY) {
  const offer = await exchange(bed, discover(mac, { giaddr }), giaddr, SERVER_ADDR);
  assert.ok(offer !== null, `no OFFER for ${mac}`);
  const ack = await exchange(bed, request(mac, offer.pkt.yiaddr, giaddr), giaddr, SERVER_ADDR);
  assert.equal(ack!.pkt.getType(), T.DHCPACK);
  return ack!.pkt;
}

describe("shared-networks configuration", () => {
  test("a network without a name is refused with the file, key and reason", () => {
    const e = refusal('{ "Dhcp4": { "shared-networks": [ { "subnet4": [] } ] } }');
    assert.equal(e.path, "Dhcp4.shared-networks[0]");
    assert.match(e.message, /^kea\.conf:1:\d+: Dhcp4\.shared-networks\[0\]: .*name/);
  });

  test("an empty name is refused", () => {
    const e = refusal('{ "Dhcp4": { "shared-networks": [ { "name": " " } ] } }');
    assert.equal(e.path, "Dhcp4.shared-networks[0].name");
    assert.equal(e.reason, "a shared network name must not be empty");
  });

  test("a name used twice is refused at the second network", () => {
    const e = refusal(
      '{ "Dhcp4": { "shared-networks": [ { "name": "a" }, { "name": "b" }, { "name": "a" } ] } }',
    );
    assert.equal(e.path, "Dhcp4.shared-networks[2].name");
    assert.equal(
      e.reason,
      "a shared network with the name 'a' already exists (shared-networks[0])",
    );
  });

  test("subnet ids are unique across networks and the top-level list", () => {
    const e = refusal(config({}, {}, { id: 20 }));
    assert.equal(e.path, "Dhcp4.subnet4[0].id");
    assert.match(e.reason, /'20' is already in use by shared-networks\[0\]\.subnet4\[1\]/);
  });

  test("a subnet whose interface differs from its network's is refused", () => {
    const e = refusal(config({ interface: "eth1" }, { interface: "eth2" }));
    assert.equal(e.path, "Dhcp4.shared-networks[0].subnet4[0].interface");
    assert.match(
      e.reason,
      /has interface 'eth2' but its shared network 'blue' has interface 'eth1'/,
    );
  });

  test("a key a shared network does not have (pools) is refused", () => {
    const e = refusal(config({ pools: [] }));
    assert.equal(e.path, "Dhcp4.shared-networks[0].pools");
  });

  test("subnets without an id are numbered networks first, as Kea 2.2 reads them", () => {
    const text = JSON.stringify({
      Dhcp4: {
        subnet4: [{ subnet: "203.0.113.0/24" }],
        "shared-networks": [{ name: "n", subnet4: [{ subnet: "198.51.100.0/24" }] }],
      },
    });
    const { config: c } = parseConfigText(text, 4, "kea.conf");
    assert.equal(c["shared-networks"][0]!.subnet4[0]!.id, 1);
    assert.equal(c.subnet4[0]!.id, 2);
  });

  test("the configuration keeps the networks as written (what config-get returns)", () => {
    const { config: c } = parseConfigText(config(), 4, "kea.conf");
    assert.equal(c["shared-networks"].length, 1);
    assert.equal(c["shared-networks"][0]!.name, "blue");
    assert.deepEqual(
      c["shared-networks"][0]!.subnet4.map((s) => s.id),
      [10, 11],
    );
    // Not copied down: the subnet shows only what it says itself.
    assert.equal(c["shared-networks"][0]!.subnet4[0]!["valid-lifetime"], undefined);
    assert.deepEqual(
      c.subnet4.map((s) => s.id),
      [20],
    );
  });
});

describe("inheritance global -> network -> subnet", () => {
  test("each key from the most specific level that sets it", () => {
    const { config: c } = parseConfigText(
      config(
        { "renew-timer": 500, "match-client-id": false, authoritative: true },
        { "valid-lifetime": 1000 },
      ),
      4,
      "kea.conf",
    );
    const m = buildDhcp4Model(c, "kea.conf");
    const s10 = m.subnetsById.get(10)!;
    const s11 = m.subnetsById.get(11)!;
    const s20 = m.subnetsById.get(20)!;
    assert.equal(s10.validLifetime.default, 1000); // subnet
    assert.equal(s11.validLifetime.default, 3000); // network
    assert.equal(s20.validLifetime.default, 4000); // global
    assert.equal(s11.renewTimer, 500);
    assert.equal(s11.matchClientId, false);
    assert.equal(s20.matchClientId, true);
    assert.equal(s11.authoritative, true);
    assert.deepEqual(s11.relayAddresses.length, 1);
    assert.equal(s20.relayAddresses.length, 0);
    assert.equal(s10.network, m.networks[0]);
    assert.equal(s20.network, null);
    assert.deepEqual(
      m.networks[0]!.subnets.map((s) => s.id),
      [10, 11],
    );
  });

  test("options: subnet, then network, then global", async () => {
    const bed = await server4(
      config(
        {
          "option-data": [
            { name: "domain-name", data: "net.example" },
            { name: "routers", data: "198.51.100.1" },
          ],
        },
        { "option-data": [{ name: "routers", data: "198.51.100.2" }] },
        {},
        { "option-data": [{ name: "domain-name-servers", data: "203.0.113.53" }] },
      ),
    );
    const offer = (await exchange(bed, discover("02:00:00:00:01:01"), RELAY, SERVER_ADDR))!.pkt;
    assert.equal(offer.yiaddr, "198.51.100.10");
    const text = (code: number) => offer.getOption(code)?.getData();
    assert.deepEqual([...text(DHO.ROUTERS)!], [198, 51, 100, 2]);
    assert.equal(text(DHO.DOMAIN_NAME)!.toString(), "net.example");
    assert.deepEqual([...text(DHO.DOMAIN_NAME_SERVERS)!], [203, 0, 113, 53]);
  });
});

describe("allocation over the network's subnets", () => {
  test("the network is selected through its relay; a full subnet gives way to the next", async () => {
    const bed = await server4(config());
    const got: string[] = [];
    for (let i = 1; i <= 5; i++) got.push((await dora(bed, `02:00:00:00:02:0${i}`)).yiaddr);
    assert.deepEqual(got, [
      "198.51.100.10",
      "198.51.100.11",
      "198.51.100.70",
      "198.51.100.71",
      "198.51.100.72",
    ]);
    assert.equal(bed.leases.getLease4("198.51.100.70")!.subnetId, 11);
    // The lease's subnet gives the answer its lifetime (the network's 3000).
    const last = await dora(bed, "02:00:00:00:02:01");
    assert.equal(last.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 3000);
    // All six pool addresses of the network held: nothing more.
    assert.equal(await exchange(bed, discover("02:00:00:00:02:09"), RELAY, SERVER_ADDR), null);
    assert.equal(bed.stats.get("subnet[10].assigned-addresses")?.value, 2);
    assert.equal(bed.stats.get("subnet[11].assigned-addresses")?.value, 3);
  });

  test("a subnet closed to the client's classes is skipped", async () => {
    const bed = await server4(
      config({}, { "client-class": "gold" }, {}, { "client-classes": [{ name: "gold" }] }),
    );
    const ack = await dora(bed, "02:00:00:00:03:01");
    assert.equal(ack.yiaddr, "198.51.100.70");
  });

  test("a network closed to the client's classes is not selected", async () => {
    const bed = await server4(
      config({ "client-class": "gold" }, {}, {}, { "client-classes": [{ name: "gold" }] }),
    );
    assert.equal(await exchange(bed, discover("02:00:00:00:03:02"), RELAY, SERVER_ADDR), null);
  });

  test("a client keeps its lease in another subnet of the network; renewing it there is honoured", async () => {
    const bed = await server4(config());
    await dora(bed, "02:00:00:00:04:01");
    await dora(bed, "02:00:00:00:04:02");
    const mine = (await dora(bed, "02:00:00:00:04:03")).yiaddr;
    assert.equal(mine, "198.51.100.70");
    // Back through the first subnet's relay link: the same address, from subnet 11.
    const again = await exchange(bed, discover("02:00:00:00:04:03"), RELAY, SERVER_ADDR);
    assert.equal(again!.pkt.yiaddr, "198.51.100.70");
    // A renewal (ciaddr, unicast) of the address of subnet 11.
    const renew = query4(T.DHCPREQUEST, { mac: "02:00:00:00:04:03", ciaddr: mine });
    const ack = await exchange(bed, renew, mine, SERVER_ADDR);
    assert.equal(ack!.pkt.getType(), T.DHCPACK);
    assert.equal(ack!.pkt.yiaddr, mine);
    assert.equal(bed.leases.getLease4(mine)!.subnetId, 11);
  });

  test("a REQUEST for an address of another subnet of the network is granted there", async () => {
    const bed = await server4(config());
    const ack = await exchange(
      bed,
      request("02:00:00:00:05:01", "198.51.100.72"),
      RELAY,
      SERVER_ADDR,
    );
    assert.equal(ack!.pkt.getType(), T.DHCPACK);
    assert.equal(ack!.pkt.yiaddr, "198.51.100.72");
    assert.equal(bed.leases.getLease4("198.51.100.72")!.subnetId, 11);
  });

  test("a reservation in another subnet of the network is found", async () => {
    const bed = await server4(
      config(
        {},
        {},
        { reservations: [{ "hw-address": "02:00:00:00:06:01", "ip-address": "198.51.100.99" }] },
      ),
    );
    const ack = await dora(bed, "02:00:00:00:06:01");
    assert.equal(ack.yiaddr, "198.51.100.99");
    assert.equal(bed.leases.getLease4("198.51.100.99")!.subnetId, 11);
  });

  test("subnet4_select gets every subnet, the networks' ones included, by increasing id", async () => {
    const text = config(
      {},
      {},
      {},
      {
        subnet4: [
          { id: 20, subnet: "203.0.113.0/24" },
          { id: 3, subnet: "198.18.0.0/24" },
        ],
      },
    );
    const m = buildDhcp4Model(parseConfigText(text, 4, "kea.conf").config, "kea.conf");
    assert.deepEqual(
      m.subnets.map((s) => s.id),
      [3, 10, 11, 20],
    );
    const g = globalThis as { nestorSeen?: Record<string, unknown>[] };
    g.nestorSeen = [];
    const bed = await server4(text, [
      { library: HOOK, parameters: { hook: "subnet4_select", status: 0 } },
    ]);
    await exchange(bed, discover("02:00:00:00:07:01"), RELAY, SERVER_ADDR);
    const seen = g.nestorSeen[0]!;
    assert.deepEqual(
      (seen["subnet4collection"] as { id: number }[]).map((x) => x.id),
      [3, 10, 11, 20],
    );
    const selected = seen["subnet4"] as { id: number; network: { name: string } | null };
    assert.equal(selected.id, 10, "the network's first subnet");
    assert.equal(selected.network?.name, "blue", "a callout sees the subnet's network");
  });
});
