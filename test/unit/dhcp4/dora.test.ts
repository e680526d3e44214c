import { test } from "node:test";
import assert from "node:assert/strict";
import { DHO } from "../../../src/dhcp/constants.ts";
import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../helpers/dhcp4.ts";

test("DISCOVER gets an OFFER from the pool with lease time, T1/T2, mask, server id and requested options; nothing is stored", async () => {
  const bed = await server4(config4());
  const r = await exchange(bed, query4(T.DHCPDISCOVER));
  assert.ok(r);
  const offer = r.pkt;
  assert.equal(offer.getType(), T.DHCPOFFER);
  assert.equal(offer.yiaddr, "198.51.100.10");
  assert.equal(offer.transid, 0x1234);
  assert.equal(offer.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 4000);
  assert.equal(offer.getOption(DHO.DHCP_RENEWAL_TIME)!.getData().readUInt32BE(0), 1000);
  assert.equal(offer.getOption(DHO.DHCP_REBINDING_TIME)!.getData().readUInt32BE(0), 2000);
  assert.deepEqual([...offer.getOption(DHO.SUBNET_MASK)!.getData()], [255, 255, 255, 0]);
  assert.deepEqual([...offer.getOption(DHO.ROUTERS)!.getData()], [198, 51, 100, 1]);
  assert.deepEqual([...offer.getOption(DHO.DHCP_SERVER_IDENTIFIER)!.getData()], [198, 51, 100, 1]);
  assert.equal(r.reply.address, "255.255.255.255");
  assert.equal(r.reply.port, 68);
  assert.equal(bed.leases.size, 0);
});

test("REQUEST in SELECTING state gets an ACK and the lease is stored", async () => {
  const bed = await server4(config4());
  const r = await exchange(
    bed,
    query4(T.DHCPREQUEST, { requested: "198.51.100.10", serverId: SERVER_ADDR }),
  );
  assert.equal(r!.pkt.getType(), T.DHCPACK);
  assert.equal(r!.pkt.yiaddr, "198.51.100.10");
  const lease = bed.leases.getLease4("198.51.100.10");
  assert.ok(lease);
  assert.equal(lease.hwaddr!.toText(false), "02:00:00:00:00:01");
  assert.equal(lease.validLifetime, 4000);
  assert.equal(bed.stats.get("subnet[1].assigned-addresses")!.value, 1);
  assert.equal(bed.stats.get("pkt4-ack-sent")!.value, 1);
});
