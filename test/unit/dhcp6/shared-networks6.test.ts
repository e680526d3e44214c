/**
 * Shared networks in the DHCPv6 server: the configuration rules, the inheritance global ->
 * network -> subnet, and the allocation walk over a network's subnets as Kea 2.2 makes it (side
 * by side with kea-dhcp6 in test/e2e/shared-networks-kea.test.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { ConfigFileError } from "../../../src/dhcpsrv/config/errors.ts";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import { buildDhcp6Model } from "../../../src/dhcpsrv/model/cfg6.ts";
import { D6O } from "../../../src/dhcp/constants.ts";
import { M, exchange6, iasOf, leasesIn, query6, server6 } from "../../helpers/dhcp6.ts";

const LINK = "2001:db8:1::1";

type Json = Record<string, unknown>;

/** Network "blue" (relay LINK): subnet 10 with one address, subnet 11 with three. */
function config(network: Json = {}, first: Json = {}, second: Json = {}, extra: Json = {}): string {
  return JSON.stringify({
    Dhcp6: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      "shared-networks": [
        {
          name: "blue",
          relay: { "ip-addresses": [LINK] },
          "preferred-lifetime": 2000,
          "valid-lifetime": 2500,
          subnet6: [
            {
              id: 10,
              subnet: "2001:db8:a::/64",
              pools: [{ pool: "2001:db8:a::10 - 2001:db8:a::10" }],
              ...first,
            },
            {
              id: 11,
              subnet: "2001:db8:b::/64",
              pools: [{ pool: "2001:db8:b::10 - 2001:db8:b::12" }],
              ...second,
            },
          ],
          ...network,
        },
      ],
      ...extra,
    },
  });
}

const duid = (n: number) =>
  Buffer.from(`000100012a2b2c2d0200000000${n.toString(16).padStart(2, "0")}`, "hex");
const relays = [{ link: LINK }];

async function sarr(bed: Awaited<ReturnType<typeof server6>>, n: number): Promise<string> {
  const adv = await exchange6(
    bed,
    query6(M.DHCPV6_SOLICIT, { duid: duid(n), relays }),
    "2001:db8:ffff::1",
  );
  const offered = leasesIn(iasOf(adv!.pkt)[0]!)[0];
  assert.ok(offered !== undefined, `no address advertised to client ${n}`);
  const rep = await exchange6(
    bed,
    query6(M.DHCPV6_REQUEST, { duid: duid(n), relays, ias: [{ hints: [offered] }] }),
    "2001:db8:ffff::1",
  );
  return leasesIn(iasOf(rep!.pkt)[0]!)[0]!;
}

function refusal(text: string): ConfigFileError {
  try {
    const { config: c } = parseConfigText(text, 6, "kea.conf");
    buildDhcp6Model(c, "kea.conf");
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, `expected a ConfigFileError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the configuration to be refused");
}

describe("DHCPv6 shared-networks configuration", () => {
  test("an empty name is refused with the key and reason", () => {
    const e = refusal('{ "Dhcp6": { "shared-networks": [ { "name": "" } ] } }');
    assert.equal(e.path, "Dhcp6.shared-networks[0].name");
    assert.equal(e.reason, "a shared network name must not be empty");
  });

  test("interface-id differing from the network's is refused", () => {
    const e = refusal(config({ "interface-id": "a", relay: undefined }, { "interface-id": "b" }));
    assert.equal(e.path, "Dhcp6.shared-networks[0].subnet6[0].interface-id");
  });

  test("rapid-commit, lifetimes and relay inherited from the network", () => {
    const { config: c } = parseConfigText(config({ "rapid-commit": true }), 6, "kea.conf");
    const m = buildDhcp6Model(c, "kea.conf");
    const s = m.subnetsById.get(11)!;
    assert.equal(s.rapidCommit, true);
    assert.equal(s.preferredLifetime.default, 2000);
    assert.equal(s.validLifetime.default, 2500);
    assert.deepEqual(s.relayAddresses, [LINK]);
    assert.equal(s.network!.name, "blue");
  });
});

describe("DHCPv6 allocation over the network's subnets", () => {
  test("relayed by the network's link; a full subnet gives way to the next", async () => {
    const bed = await server6(config());
    const got: string[] = [];
    for (let i = 1; i <= 4; i++) got.push(await sarr(bed, i));
    assert.deepEqual(got, ["2001:db8:a::10", "2001:db8:b::10", "2001:db8:b::11", "2001:db8:b::12"]);
    assert.equal(bed.leases.getLease6(0, "2001:db8:b::10")!.subnetId, 11);
    assert.equal(bed.stats.get("subnet[11].assigned-nas")?.value, 3);
  });

  test("a subnet closed to the client's classes is skipped", async () => {
    const bed = await server6(
      config({}, { "client-class": "gold" }, {}, { "client-classes": [{ name: "gold" }] }),
    );
    assert.equal(await sarr(bed, 1), "2001:db8:b::10");
  });

  test("a client keeps its lease in the other subnet; its RENEW is honoured", async () => {
    const bed = await server6(config());
    await sarr(bed, 1);
    const mine = await sarr(bed, 2);
    assert.equal(mine, "2001:db8:b::10");
    const renew = await exchange6(
      bed,
      query6(M.DHCPV6_RENEW, { duid: duid(2), relays, ias: [{ hints: [mine] }] }),
      "2001:db8:ffff::1",
    );
    // Granted (a valid lifetime above 0) with the network's lifetime.
    assert.deepEqual(leasesIn(iasOf(renew!.pkt)[0]!), [mine]);
    const again = await exchange6(
      bed,
      query6(M.DHCPV6_SOLICIT, { duid: duid(2), relays }),
      "2001:db8:ffff::1",
    );
    assert.equal(leasesIn(iasOf(again!.pkt)[0]!)[0], mine);
    assert.equal(bed.leases.getLease6(0, mine)!.subnetId, 11);
  });

  test("a hint in another subnet of the network is honoured there", async () => {
    const bed = await server6(config());
    const rep = await exchange6(
      bed,
      query6(M.DHCPV6_REQUEST, { duid: duid(5), relays, ias: [{ hints: ["2001:db8:b::12"] }] }),
      "2001:db8:ffff::1",
    );
    assert.equal(leasesIn(iasOf(rep!.pkt)[0]!)[0], "2001:db8:b::12");
    assert.equal(bed.leases.getLease6(0, "2001:db8:b::12")!.subnetId, 11);
  });

  test("the network's options come after the subnet's", async () => {
    const bed = await server6(
      config(
        {
          "option-data": [
            { name: "dns-servers", data: "2001:db8::53" },
            { name: "domain-search", data: "net.example." },
          ],
        },
        { "option-data": [{ name: "dns-servers", data: "2001:db8::54" }] },
      ),
    );
    const adv = await exchange6(
      bed,
      query6(M.DHCPV6_SOLICIT, {
        duid: duid(7),
        relays,
        oro: [D6O.NAME_SERVERS, D6O.DOMAIN_SEARCH],
      }),
      "2001:db8:ffff::1",
    );
    assert.equal(
      adv!.pkt.getOption(D6O.NAME_SERVERS)!.getData().toString("hex"),
      "20010db8000000000000000000000054",
    );
    assert.ok(adv!.pkt.getOption(D6O.DOMAIN_SEARCH) !== undefined);
  });

  test("a new lease from the next subnet is answered with that subnet's options, as Kea", async () => {
    const bed = await server6(
      config(
        {},
        { "option-data": [{ name: "dns-servers", data: "2001:db8::54" }] },
        { "option-data": [{ name: "dns-servers", data: "2001:db8::55" }] },
      ),
    );
    const ask = (n: number) =>
      exchange6(
        bed,
        query6(M.DHCPV6_SOLICIT, { duid: duid(n), relays, oro: [D6O.NAME_SERVERS] }),
        "2001:db8:ffff::1",
      );
    await sarr(bed, 1);
    const adv = await ask(2);
    assert.equal(leasesIn(iasOf(adv!.pkt)[0]!)[0], "2001:db8:b::10");
    assert.equal(
      adv!.pkt.getOption(D6O.NAME_SERVERS)!.getData().toString("hex"),
      "20010db8000000000000000000000055",
    );
  });
});
