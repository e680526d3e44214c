// offer-lifetime (Kea 2.6; Kea 2.2 does not have it, so there is no side-by-side run): a
// DISCOVER's new lease is stored with that lifetime and counted, the OFFER tells the normal lease
// time, lease4_select and lease4_offer see the offer lifetime, the REQUEST renews the lease.
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
