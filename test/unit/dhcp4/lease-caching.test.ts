/**
 * Lease caching (cache-threshold, cache-max-age) on DHCPv4 renewals, as Kea's setLeaseReusable:
 * a renewal within the limits is answered with the lifetime left and writes nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { DHO } from "../../../src/dhcp/constants.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../helpers/dhcp4.ts";
import type { Server4Bed } from "../../helpers/dhcp4.ts";

const MAC = "02:00:00:00:00:31";

async function leased(extra: JsonObject, subnet: JsonObject = {}): Promise<Server4Bed> {
  const bed = await server4(config4(extra, subnet), [], "INFO");
  await exchange(bed, query4(T.DHCPDISCOVER, { mac: MAC }));
  const ack = await exchange(
    bed,
    query4(T.DHCPREQUEST, { mac: MAC, requested: "198.51.100.10", serverId: SERVER_ADDR }),
  );
  assert.equal(ack?.pkt.getType(), T.DHCPACK);
  return bed;
}

/** Moves the stored lease's last transmission `seconds` back: the lease is that old. */
function age(bed: Server4Bed, seconds: number): number {
  const lease = bed.leases.getLease4("198.51.100.10")!.clone();
  lease.cltt -= seconds;
  bed.leases.updateLease4(lease);
  return lease.cltt;
}

async function renew(bed: Server4Bed) {
  const r = await exchange(bed, query4(T.DHCPREQUEST, { mac: MAC, ciaddr: "198.51.100.10" }));
  assert.equal(r?.pkt.getType(), T.DHCPACK);
  const u32 = (code: number) => r!.pkt.getOption(code)?.getData().readUInt32BE(0);
  return {
    lifetime: u32(DHO.DHCP_LEASE_TIME),
    t1: u32(DHO.DHCP_RENEWAL_TIME),
    t2: u32(DHO.DHCP_REBINDING_TIME),
  };
}

test("a renewal at 10 % of the lifetime with cache-threshold 0.25 reuses the lease: remaining lifetime, nothing written", async () => {
  const bed = await leased({ "cache-threshold": 0.25 });
  const cltt = age(bed, 400);
  const lines = bed.lines.length;
  const r = await renew(bed);
  assert.equal(r.lifetime, 3600);
  // T1 and T2 are the configured ones (renew-timer 1000, rebind-timer 2000), below 3600.
  assert.equal(r.t1, 1000);
  assert.equal(r.t2, 2000);
  const stored = bed.leases.getLease4("198.51.100.10")!;
  assert.equal(stored.cltt, cltt, "the stored lease is untouched");
  assert.equal(stored.validLifetime, 4000);
  const log = bed.lines.slice(lines).join("\n");
  assert.match(log, /DHCP4_LEASE_REUSE .*lease 198\.51\.100\.10 has been reused for 3600 seconds/);
});

test("a renewal past the threshold is written with a full lifetime", async () => {
  const bed = await leased({ "cache-threshold": 0.25 });
  const cltt = age(bed, 1200); // 0.25 * 4000 = 1000
  const r = await renew(bed);
  assert.equal(r.lifetime, 4000);
  assert.ok(bed.leases.getLease4("198.51.100.10")!.cltt > cltt);
});

test("without cache-threshold nor cache-max-age (Kea 2.2's default) every renewal is written", async () => {
  const bed = await leased({});
  const cltt = age(bed, 10);
  assert.equal((await renew(bed)).lifetime, 4000);
  assert.ok(bed.leases.getLease4("198.51.100.10")!.cltt > cltt);
});

test("cache-max-age alone: reused up to that age, written past it; the subnet's value wins", async () => {
  const bed = await leased({ "cache-max-age": 1 }, { "cache-max-age": 300 });
  age(bed, 200);
  assert.equal((await renew(bed)).lifetime, 3800);
  age(bed, 200); // now 400 s old: the stored cltt was not moved by the reuse
  assert.equal((await renew(bed)).lifetime, 4000);
});

test("cache-max-age 0 disables caching even with a threshold", async () => {
  const bed = await leased({ "cache-threshold": 0.5, "cache-max-age": 0 });
  age(bed, 100);
  assert.equal((await renew(bed)).lifetime, 4000);
});

test("a renewal that changes the lease (another valid lifetime asked) is written", async () => {
  const bed = await leased({
    "cache-threshold": 0.25,
    "min-valid-lifetime": 1000,
    "max-valid-lifetime": 8000,
  });
  const cltt = age(bed, 100);
  const q = query4(T.DHCPREQUEST, { mac: MAC, ciaddr: "198.51.100.10" });
  // Option 51 asks 3000 s: the lease changes, it cannot be reused.
  const withTime = Buffer.concat([
    q.subarray(0, q.length - 1),
    Buffer.from([51, 4, 0, 0, 0x0b, 0xb8, 255]),
  ]);
  const r = await exchange(bed, withTime);
  assert.equal(r?.pkt.getOption(DHO.DHCP_LEASE_TIME)?.getData().readUInt32BE(0), 3000);
  assert.ok(bed.leases.getLease4("198.51.100.10")!.cltt > cltt);
});

test("a DISCOVER from a client with a cached lease is offered the remaining lifetime", async () => {
  const bed = await leased({ "cache-threshold": 0.25 });
  age(bed, 400);
  const r = await exchange(bed, query4(T.DHCPDISCOVER, { mac: MAC }));
  assert.equal(r?.pkt.getType(), T.DHCPOFFER);
  assert.equal(r?.pkt.yiaddr, "198.51.100.10");
  assert.equal(r?.pkt.getOption(DHO.DHCP_LEASE_TIME)?.getData().readUInt32BE(0), 3600);
});
