// offer-lifetime (Kea 2.6; Kea 2.2 does not have it, so there is no side-by-side run): a
// DISCOVER's new lease is stored with that lifetime and counted, the OFFER tells the normal lease
// time, lease4_select and lease4_offer see the offer lifetime, the REQUEST renews the lease; a
// client class's offer-lifetime over the subnet's for a client in the class.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { DHO } from "../../../src/dhcp/constants.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../helpers/dhcp4.ts";

const LIB = fileURLToPath(new URL("../../fixtures/dhcp4-hooks/set-status.ts", import.meta.url));
const lib = (hook: string): JsonObject => ({ library: LIB, parameters: { hook, status: 0 } });
const seen = () => (globalThis as { nestorSeen?: Record<string, unknown>[] }).nestorSeen ?? [];
const reset = () => {
  (globalThis as { nestorSeen?: unknown[]; nestorTrace?: unknown[] }).nestorSeen = [];
  (globalThis as { nestorTrace?: unknown[] }).nestorTrace = [];
};

test("a DISCOVER stores its new lease for offer-lifetime; the OFFER tells the valid lifetime", async () => {
  const bed = await server4(config4({ "offer-lifetime": 60 }), [lib("lease4_offer")]);
  reset();
  const r = await exchange(bed, query4(T.DHCPDISCOVER));
  assert.equal(r!.pkt.getType(), T.DHCPOFFER);
  assert.equal(r!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 4000);
  const stored = bed.leases.getLease4(r!.pkt.yiaddr);
  assert.ok(stored, "the offered lease is stored");
  assert.equal(stored.validLifetime, 60);
  assert.equal(bed.stats.get("subnet[1].assigned-addresses")!.value, 1);
  assert.equal(seen()[0]!["offer_lifetime"], 60);
  // Another client is not offered the same address.
  const other = await exchange(bed, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:00:02" }));
  assert.notEqual(other!.pkt.yiaddr, r!.pkt.yiaddr);
  // The REQUEST renews the offered lease to the valid lifetime: no new assignment counted (two
  // with the other client's offer).
  const ack = await exchange(
    bed,
    query4(T.DHCPREQUEST, { requested: r!.pkt.yiaddr, serverId: SERVER_ADDR }),
  );
  assert.equal(ack!.pkt.getType(), T.DHCPACK);
  assert.equal(bed.leases.getLease4(r!.pkt.yiaddr)!.validLifetime, 4000);
  assert.equal(bed.stats.get("subnet[1].assigned-addresses")!.value, 2);
});

test("a subnet's offer-lifetime 0 stores nothing on DISCOVER (the global one set)", async () => {
  const bed = await server4(config4({ "offer-lifetime": 60 }, { "offer-lifetime": 0 }));
  const r = await exchange(bed, query4(T.DHCPDISCOVER));
  assert.equal(r!.pkt.getType(), T.DHCPOFFER);
  assert.equal(bed.leases.size, 0);
});

test("lease4_select sees offer_lft on DISCOVER", async () => {
  const bed = await server4(config4({}, { "offer-lifetime": 30 }), [lib("lease4_select")]);
  reset();
  await exchange(bed, query4(T.DHCPDISCOVER));
  assert.equal(seen()[0]!["offer_lft"], 30);
  assert.equal(bed.leases.getLease4("198.51.100.10")!.validLifetime, 30);
});

/** Two classes chosen by hardware address, each with its offer-lifetime; the subnet's 60. */
const CLASSES: JsonObject = {
  "client-classes": [
    { name: "short", test: "pkt4.mac == 0x020000000001", "offer-lifetime": 20 },
    { name: "none", test: "pkt4.mac == 0x020000000002", "offer-lifetime": 0 },
    { name: "plain", test: "pkt4.mac == 0x020000000003" },
  ],
};

test("a client class's offer-lifetime is used over the subnet's for a client in the class", async () => {
  const bed = await server4(config4(CLASSES, { "offer-lifetime": 60 }), [lib("lease4_offer")]);
  reset();
  const stored = async (mac: string): Promise<number | null> => {
    const r = await exchange(bed, query4(T.DHCPDISCOVER, { mac }));
    assert.equal(r!.pkt.getType(), T.DHCPOFFER);
    // The OFFER tells the valid lifetime whatever the offer lifetime.
    assert.equal(r!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 4000);
    return bed.leases.getLease4(r!.pkt.yiaddr)?.validLifetime ?? null;
  };
  assert.equal(await stored("02:00:00:00:00:01"), 20);
  // A class's 0 is set: nothing stored, though the subnet has an offer lifetime.
  assert.equal(await stored("02:00:00:00:00:02"), null);
  // A class without the key leaves the subnet's.
  assert.equal(await stored("02:00:00:00:00:03"), 60);
  assert.deepEqual(
    seen().map((s) => s["offer_lifetime"]),
    [20, 0, 60],
  );
});

test("a client class's offer-lifetime applies where the subnet has none; others store nothing", async () => {
  const bed = await server4(config4(CLASSES), [lib("lease4_select")]);
  reset();
  await exchange(bed, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:00:01" }));
  await exchange(bed, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:00:03" }));
  assert.deepEqual(
    seen().map((s) => s["offer_lft"]),
    [20, 0],
  );
  assert.equal(bed.leases.size, 1);
  assert.equal(bed.leases.getLease4("198.51.100.10")!.validLifetime, 20);
});
