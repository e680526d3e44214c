import { test } from "node:test";
import assert from "node:assert/strict";
import { DHO } from "../../../src/dhcp/constants.ts";
import { LeaseState } from "../../../src/dhcpsrv/leases/lease4.ts";
import { buildDhcp4Model } from "../../../src/dhcpsrv/model/cfg4.ts";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../helpers/dhcp4.ts";

const MAC2 = "02:00:00:00:00:02";

async function dora(bed: Awaited<ReturnType<typeof server4>>, mac = "02:00:00:00:00:01") {
  const offer = await exchange(bed, query4(T.DHCPDISCOVER, { mac }));
  const ack = await exchange(
    bed,
    query4(T.DHCPREQUEST, { mac, requested: offer!.pkt.yiaddr, serverId: SERVER_ADDR }),
  );
  return ack!.pkt;
}

test("a returning client gets its address back, on DISCOVER and on REQUEST", async () => {
  const bed = await server4(config4());
  const first = await dora(bed);
  await dora(bed, MAC2);
  const again = await exchange(bed, query4(T.DHCPDISCOVER));
  assert.equal(again!.pkt.yiaddr, first.yiaddr);
  assert.equal((await dora(bed)).yiaddr, first.yiaddr);
  assert.equal(bed.leases.size, 2);
});

test("RENEWING: a unicast REQUEST with ciaddr is acknowledged to ciaddr and extends the lease", async () => {
  const bed = await server4(config4());
  const ack = await dora(bed);
  const before = bed.leases.getLease4(ack.yiaddr)!.cltt;
  const r = await exchange(
    bed,
    query4(T.DHCPREQUEST, { ciaddr: ack.yiaddr }),
    ack.yiaddr,
    SERVER_ADDR,
  );
  assert.equal(r!.pkt.getType(), T.DHCPACK);
  assert.equal(r!.pkt.ciaddr, ack.yiaddr);
  assert.equal(r!.reply.address, ack.yiaddr);
  assert.equal(r!.reply.port, 68);
  assert.ok(bed.leases.getLease4(ack.yiaddr)!.cltt >= before);
});

test("INIT-REBOOT of a known client for another client's address is NAKed by broadcast", async () => {
  const bed = await server4(config4());
  const ack = await dora(bed);
  await dora(bed, MAC2);
  const r = await exchange(bed, query4(T.DHCPREQUEST, { mac: MAC2, requested: ack.yiaddr }));
  assert.equal(r!.pkt.getType(), T.DHCPNAK);
  assert.equal(r!.reply.address, "255.255.255.255");
  assert.equal(r!.pkt.yiaddr, "0.0.0.0");
  assert.ok(r!.pkt.getOption(DHO.DHCP_SERVER_IDENTIFIER));
  assert.equal(bed.leases.getLease4(ack.yiaddr)!.hwaddr!.toText(false), "02:00:00:00:00:01");
});

test("a REQUEST for an address outside the subnet's pools is NAKed", async () => {
  const bed = await server4(config4({ authoritative: true }));
  const r = await exchange(bed, query4(T.DHCPREQUEST, { requested: "198.51.100.99" }));
  assert.equal(r!.pkt.getType(), T.DHCPNAK);
  assert.equal(bed.leases.size, 0);
});

test("INIT-REBOOT of a client this non-authoritative server does not know gets no answer", async () => {
  const bed = await server4(config4());
  const r = await exchange(bed, query4(T.DHCPREQUEST, { requested: "198.51.100.99" }));
  assert.equal(r, null);
});

test("RELEASE removes the client's lease and sends nothing", async () => {
  const bed = await server4(config4());
  const ack = await dora(bed);
  const r = await exchange(
    bed,
    query4(T.DHCPRELEASE, { ciaddr: ack.yiaddr, serverId: SERVER_ADDR }),
  );
  assert.equal(r, null);
  assert.equal(bed.leases.getLease4(ack.yiaddr), null);
  assert.equal(bed.stats.get("subnet[1].assigned-addresses")!.value, 0);
});

test("RELEASE of another client's address changes nothing", async () => {
  const bed = await server4(config4());
  const ack = await dora(bed);
  await exchange(bed, query4(T.DHCPRELEASE, { mac: MAC2, ciaddr: ack.yiaddr }));
  assert.ok(bed.leases.getLease4(ack.yiaddr));
});

test("DECLINE sets the address aside for the probation period and it is not offered again", async () => {
  const bed = await server4(config4({ "decline-probation-period": 3600 }));
  const ack = await dora(bed);
  const r = await exchange(
    bed,
    query4(T.DHCPDECLINE, { requested: ack.yiaddr, serverId: SERVER_ADDR }),
  );
  assert.equal(r, null);
  const lease = bed.leases.getLease4(ack.yiaddr)!;
  assert.equal(lease.state, LeaseState.DECLINED);
  assert.equal(lease.hwaddr, null);
  assert.equal(lease.validLifetime, 3600);
  assert.equal(bed.stats.get("declined-addresses")!.value, 1);
  const other = await exchange(bed, query4(T.DHCPDISCOVER, { mac: MAC2 }));
  assert.notEqual(other!.pkt.yiaddr, ack.yiaddr);
});

test("INFORM gets an ACK with configuration and no lease, sent to ciaddr", async () => {
  const bed = await server4(config4());
  const r = await exchange(
    bed,
    query4(T.DHCPINFORM, { ciaddr: "198.51.100.77" }),
    "198.51.100.77",
    SERVER_ADDR,
  );
  assert.equal(r!.pkt.getType(), T.DHCPACK);
  assert.equal(r!.pkt.yiaddr, "0.0.0.0");
  assert.equal(r!.pkt.getOption(DHO.DHCP_LEASE_TIME), undefined);
  assert.deepEqual([...r!.pkt.getOption(DHO.ROUTERS)!.getData()], [198, 51, 100, 1]);
  assert.equal(r!.reply.address, "198.51.100.77");
  assert.equal(bed.leases.size, 0);
});

test("an exhausted pool gives no answer, a log line and the allocation-failure statistics", async () => {
  const bed = await server4(config4());
  for (const n of [1, 2, 3]) await dora(bed, `02:00:00:00:00:0${n}`);
  const r = await exchange(bed, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:00:09" }));
  assert.equal(r, null);
  assert.equal(bed.stats.get("v4-allocation-fail")!.value, 1);
  assert.equal(bed.stats.get("subnet[1].v4-allocation-fail-subnet")!.value, 1);
  assert.ok(bed.lines.some((l) => /WARN .*DHCP4_ALLOC_FAIL/.test(l)));
});

test("a reservation by hardware address gets its reserved address, which no other client gets", async () => {
  const bed = await server4(
    config4(
      {},
      {
        reservations: [{ "hw-address": MAC2, "ip-address": "198.51.100.10", hostname: "printer" }],
      },
    ),
  );
  const other = await dora(bed);
  assert.notEqual(other.yiaddr, "198.51.100.10");
  const reserved = await dora(bed, MAC2);
  assert.equal(reserved.yiaddr, "198.51.100.10");
  assert.equal(bed.leases.getLease4("198.51.100.10")!.hostname, "printer");
});

test("with match-client-id the client-id identifies the client; without it the hardware address does", async () => {
  const cid = Buffer.from([1, 2, 0, 0, 0, 0, 0, 9]);
  const bed = await server4(config4());
  const a = await exchange(
    bed,
    query4(T.DHCPREQUEST, { clientId: cid, requested: "198.51.100.11", serverId: SERVER_ADDR }),
  );
  assert.equal(a!.pkt.getType(), T.DHCPACK);
  // Same client-id, another NIC: still the same client.
  const b = await exchange(bed, query4(T.DHCPDISCOVER, { clientId: cid, mac: MAC2 }));
  assert.equal(b!.pkt.yiaddr, "198.51.100.11");
  const off = await server4(config4({ "match-client-id": false }));
  await exchange(
    off,
    query4(T.DHCPREQUEST, { clientId: cid, requested: "198.51.100.11", serverId: SERVER_ADDR }),
  );
  const c = await exchange(off, query4(T.DHCPDISCOVER, { clientId: cid, mac: MAC2 }));
  assert.notEqual(c!.pkt.yiaddr, "198.51.100.11");
});

test("the client identifier is echoed (echo-client-id) and relayed queries are answered to the relay on port 67", async () => {
  const bed = await server4(config4({}, { relay: { "ip-addresses": ["203.0.113.1"] } }));
  const cid = Buffer.from([1, 2, 0, 0, 0, 0, 0, 7]);
  const r = await exchange(
    bed,
    query4(T.DHCPDISCOVER, { giaddr: "203.0.113.1", clientId: cid }),
    "203.0.113.1",
    SERVER_ADDR,
  );
  assert.equal(r!.reply.address, "203.0.113.1");
  assert.equal(r!.reply.port, 67);
  assert.deepEqual(r!.pkt.getOption(DHO.DHCP_CLIENT_IDENTIFIER)!.getData(), cid);
  assert.equal(r!.pkt.giaddr, "203.0.113.1");
});

test("a query from a relay no subnet knows gets no answer", async () => {
  const bed = await server4(config4());
  assert.equal(await exchange(bed, query4(T.DHCPDISCOVER, { giaddr: "203.0.113.9" })), null);
});

test("a malformed packet is dropped and counted, never answered", async () => {
  const bed = await server4(config4());
  const bad = query4(T.DHCPDISCOVER).subarray(0, 100);
  assert.equal(await exchange(bed, Buffer.from(bad)), null);
  assert.equal(bed.stats.get("pkt4-parse-failed")!.value, 1);
  assert.equal(bed.stats.get("pkt4-receive-drop")!.value, 1);
  // Every datagram received is counted, one that does not parse included (no type counted).
  assert.equal(bed.stats.get("pkt4-received")!.value, 1);
  assert.equal(bed.stats.get("pkt4-unknown-received")!.value, 0);
});

test("a REQUEST naming another server is dropped (the client chose another server)", async () => {
  const bed = await server4(config4());
  const r = await exchange(
    bed,
    query4(T.DHCPREQUEST, { requested: "198.51.100.10", serverId: "203.0.113.5" }),
  );
  assert.equal(r, null);
  assert.equal(bed.leases.size, 0);
});

test("the client's requested lease time is honoured within min and max", async () => {
  const bed = await server4(config4({ "min-valid-lifetime": 1000, "max-valid-lifetime": 5000 }));
  const ack = await exchange(
    bed,
    query4(T.DHCPREQUEST, { requested: "198.51.100.10", serverId: SERVER_ADDR }),
  );
  assert.equal(ack!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 4000);
});

test("with a raw sender a new address is unicast to the client's hardware address, unless it asked for broadcast", async () => {
  const bed = await server4(config4(), [], "INFO", true);
  const direct = await exchange(bed, query4(T.DHCPDISCOVER));
  assert.equal(direct!.reply.address, "198.51.100.10");
  assert.equal(direct!.reply.hwaddr, "02:00:00:00:00:01");
  const asked = await exchange(bed, query4(T.DHCPDISCOVER, { broadcast: true }));
  assert.equal(asked!.reply.address, "255.255.255.255");
  assert.equal(asked!.reply.hwaddr, undefined);
});

test("every lease given, offered and released is logged at INFO, as Kea does", async () => {
  const bed = await server4(config4(), [], "INFO");
  const ack = await dora(bed);
  await exchange(bed, query4(T.DHCPRELEASE, { ciaddr: ack.yiaddr }));
  const info = bed.lines
    .filter((l) => / INFO {2}\[nestor-dhcp4\.leases\//.test(l))
    .map((l) => l.split("] ")[1]!.split(" ")[0]);
  assert.deepEqual(info, ["DHCP4_LEASE_ADVERT", "DHCP4_LEASE_ALLOC", "DHCP4_RELEASE"]);
});

test("after a reconfiguration allocation goes on where it was: an address just offered is not offered again", async () => {
  const bed = await server4(config4());
  const first = await exchange(bed, query4(T.DHCPDISCOVER));
  const { config } = parseConfigText(config4({ "valid-lifetime": 5000 }), 4, "new.json");
  bed.srv.setModel(buildDhcp4Model(config, "new.json"));
  const second = await exchange(bed, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:00:07" }));
  assert.notEqual(second!.pkt.yiaddr, first!.pkt.yiaddr);
  assert.equal(second!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 5000);
});
