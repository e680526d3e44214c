/**
 * REQUESTs in each client state (SELECTING, INIT-REBOOT, RENEWING) against each kind of address,
 * authoritative or not: ACK, NAK or silence as Kea 2.2 decides (the e2e suite
 * test/e2e/proc4-kea.test.ts compares the same table with kea-dhcp4 itself).
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../helpers/dhcp4.ts";

const A = "02:00:00:00:0a:01";
const B = "02:00:00:00:0b:01";
const C = "02:00:00:00:0c:01";

type Bed = Awaited<ReturnType<typeof server4>>;

async function selecting(bed: Bed, mac: string, requested: string) {
  return exchange(bed, query4(T.DHCPREQUEST, { mac, requested, serverId: SERVER_ADDR }));
}

function kind(r: Awaited<ReturnType<typeof exchange>>): string {
  if (r === null) return "none";
  if (r.pkt.getType() === T.DHCPACK) return `ACK ${r.pkt.yiaddr}`;
  return r.pkt.getType() === T.DHCPNAK ? "NAK" : `type ${r.pkt.getType()}`;
}

/** A holds .10, B holds .11. */
async function twoClients(authoritative: boolean): Promise<Bed> {
  const bed = await server4(config4({ authoritative }));
  assert.equal(kind(await selecting(bed, A, "198.51.100.10")), "ACK 198.51.100.10");
  assert.equal(kind(await selecting(bed, B, "198.51.100.11")), "ACK 198.51.100.11");
  return bed;
}

for (const authoritative of [false, true]) {
  test(`authoritative ${authoritative}: a REQUEST for an address in no pool gets no answer and is not counted as dropped`, async () => {
    const bed = await twoClients(authoritative);
    assert.equal(kind(await selecting(bed, C, "198.51.100.100")), "none");
    assert.equal(kind(await selecting(bed, C, "203.0.113.5")), "none");
    const renew = query4(T.DHCPREQUEST, { mac: A, ciaddr: "198.51.100.100" });
    assert.equal(kind(await exchange(bed, renew, "198.51.100.100", SERVER_ADDR)), "none");
    assert.equal(bed.stats.get("pkt4-receive-drop")!.value, 0);
    assert.equal(bed.leases.getLease4("198.51.100.10")!.hwaddr!.toText(false), A);
    assert.ok(bed.lines.some((l) => /DHCP4_UNKNOWN_ADDRESS_REQUESTED/.test(l)));
  });

  test(`authoritative ${authoritative}: INIT-REBOOT from a client without a lease: ${authoritative ? "NAK" : "silence"}, even for a free pool address`, async () => {
    const bed = await twoClients(authoritative);
    const r = await exchange(bed, query4(T.DHCPREQUEST, { mac: C, requested: "198.51.100.12" }));
    assert.equal(kind(r), authoritative ? "NAK" : "none");
    assert.equal(bed.leases.getLease4("198.51.100.12"), null, "no lease given");
    const id = authoritative ? "DHCP4_PACKET_NAK_0002" : "DHCP4_NO_LEASE_INIT_REBOOT";
    assert.ok(bed.lines.some((l) => l.includes(id)));
    assert.ok(bed.lines.some((l) => /INFO .*DHCP4_INIT_REBOOT .*198\.51\.100\.12/.test(l)));
  });
}

test("INIT-REBOOT of a known client for another free address is NAKed; its own address is ACKed", async () => {
  const bed = await twoClients(false);
  const other = await exchange(bed, query4(T.DHCPREQUEST, { mac: A, requested: "198.51.100.12" }));
  assert.equal(kind(other), "NAK");
  assert.equal(bed.leases.getLease4("198.51.100.12"), null);
  const own = await exchange(bed, query4(T.DHCPREQUEST, { mac: A, requested: "198.51.100.10" }));
  assert.equal(kind(own), "ACK 198.51.100.10");
});

test("RENEWING with another client's address as ciaddr is NAKed; with a free pool address the client moves to it", async () => {
  const bed = await twoClients(false);
  const renew = (ciaddr: string) =>
    exchange(bed, query4(T.DHCPREQUEST, { mac: A, ciaddr }), ciaddr, SERVER_ADDR);
  assert.equal(kind(await renew("198.51.100.11")), "NAK");
  assert.equal(bed.leases.getLease4("198.51.100.11")!.hwaddr!.toText(false), B);
  assert.equal(kind(await renew("198.51.100.12")), "ACK 198.51.100.12");
  assert.equal(bed.leases.getLease4("198.51.100.10"), null, "the old lease is released");
});

test("a REQUEST from a link no subnet serves is NAKed in every state, authoritative or not; a DISCOVER gets nothing", async () => {
  const bed = await server4(config4({ authoritative: false }));
  const giaddr = "203.0.113.9";
  const sel = query4(T.DHCPREQUEST, { giaddr, requested: "203.0.113.10", serverId: SERVER_ADDR });
  assert.equal(kind(await exchange(bed, sel, giaddr, SERVER_ADDR)), "NAK");
  const reboot = query4(T.DHCPREQUEST, { giaddr, requested: "203.0.113.10" });
  assert.equal(kind(await exchange(bed, reboot, giaddr, SERVER_ADDR)), "NAK");
  const disc = query4(T.DHCPDISCOVER, { giaddr });
  assert.equal(kind(await exchange(bed, disc, giaddr, SERVER_ADDR)), "none");
  assert.equal(bed.stats.get("pkt4-receive-drop")!.value, 0);
});
