/**
 * DECLINE and RELEASE variants as Kea 2.2 processes them (the e2e suite
 * test/e2e/proc4-kea.test.ts compares them with kea-dhcp4 itself).
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { Reclaimer4 } from "../../../src/dhcp4/reclaimer.ts";
import { registerDhcp4Hooks } from "../../../src/dhcp4/hook-points.ts";
import { LeaseState } from "../../../src/dhcpsrv/leases/lease4.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../helpers/dhcp4.ts";

const A = "02:00:00:00:0a:01";
const OTHER = "02:00:00:00:99:01";
const CID = Buffer.from("01020000000a01", "hex");
const ADDR = "198.51.100.10";

async function leased(extra = {}) {
  const bed = await server4(config4(extra));
  const q = query4(T.DHCPREQUEST, {
    mac: A,
    clientId: CID,
    requested: ADDR,
    serverId: SERVER_ADDR,
  });
  const ack = await exchange(bed, q);
  assert.equal(ack!.pkt.yiaddr, ADDR);
  return bed;
}

const drops = (bed: Awaited<ReturnType<typeof server4>>) =>
  bed.stats.get("pkt4-receive-drop")!.value;

test("a DECLINE without option 50 is dropped and counted, even with ciaddr set; the lease stays", async () => {
  const bed = await leased();
  const q = query4(T.DHCPDECLINE, { mac: A, clientId: CID, ciaddr: ADDR, serverId: SERVER_ADDR });
  assert.equal(await exchange(bed, q), null);
  assert.equal(bed.leases.getLease4(ADDR)!.state, LeaseState.DEFAULT);
  assert.equal(drops(bed), 1);
  assert.ok(bed.lines.some((l) => /DHCP4_PACKET_DROP_0007/.test(l)));
});

test("a DECLINE of another client's lease or of an address nobody holds is ignored with a warning, not counted", async () => {
  const bed = await leased();
  const other = query4(T.DHCPDECLINE, { mac: OTHER, requested: ADDR, serverId: SERVER_ADDR });
  assert.equal(await exchange(bed, other), null);
  const wrongCid = query4(T.DHCPDECLINE, {
    mac: A,
    clientId: Buffer.from("01ff", "hex"),
    requested: ADDR,
  });
  assert.equal(await exchange(bed, wrongCid), null);
  const nobody = query4(T.DHCPDECLINE, { mac: A, clientId: CID, requested: "198.51.100.11" });
  assert.equal(await exchange(bed, nobody), null);
  assert.equal(bed.leases.getLease4(ADDR)!.state, LeaseState.DEFAULT);
  assert.equal(drops(bed), 0);
  assert.equal(bed.lines.filter((l) => /WARN .*DHCP4_DECLINE_LEASE_MISMATCH/.test(l)).length, 2);
  assert.ok(bed.lines.some((l) => /WARN .*DHCP4_DECLINE_LEASE_NOT_FOUND/.test(l)));
});

test("a declined address is offered and given again once its probation period is over, and counted as reclaimed", async () => {
  const bed = await leased({ "decline-probation-period": 1 });
  const d = query4(T.DHCPDECLINE, {
    mac: A,
    clientId: CID,
    requested: ADDR,
    serverId: SERVER_ADDR,
  });
  assert.equal(await exchange(bed, d), null);
  const lease = bed.leases.getLease4(ADDR)!;
  assert.equal(lease.state, LeaseState.DECLINED);
  const req = (mac: string) =>
    exchange(bed, query4(T.DHCPREQUEST, { mac, requested: ADDR, serverId: SERVER_ADDR }));
  assert.equal((await req(OTHER))!.pkt.getType(), T.DHCPNAK, "refused while on probation");
  // The probation period is over (the store hands out copies: the change is written back).
  lease.cltt -= 5;
  bed.leases.updateLease4(lease);
  const offer = await exchange(bed, query4(T.DHCPDISCOVER, { mac: OTHER }));
  assert.equal(offer!.pkt.yiaddr, ADDR);
  assert.equal((await req(OTHER))!.pkt.getType(), T.DHCPACK);
  assert.equal(bed.leases.getLease4(ADDR)!.hwaddr!.toText(false), OTHER);
  assert.equal(bed.stats.get("declined-addresses")!.value, 0);
  assert.equal(bed.stats.get("reclaimed-declined-addresses")!.value, 1);
  assert.equal(bed.stats.get("subnet[1].assigned-addresses")!.value, 1);
});

test("RELEASE: the same client-id from another chaddr releases; chaddr alone releases a lease without client-id; another client-id does not", async () => {
  const bed = await leased();
  const wrong = query4(T.DHCPRELEASE, {
    mac: A,
    clientId: Buffer.from("01ff", "hex"),
    ciaddr: ADDR,
  });
  assert.equal(await exchange(bed, wrong), null);
  assert.ok(bed.leases.getLease4(ADDR), "another client-id: kept");
  const sameCid = query4(T.DHCPRELEASE, { mac: OTHER, clientId: CID, ciaddr: ADDR });
  assert.equal(await exchange(bed, sameCid), null);
  assert.equal(bed.leases.getLease4(ADDR), null, "same client-id: released");
  const b = query4(T.DHCPREQUEST, { mac: OTHER, requested: ADDR, serverId: SERVER_ADDR });
  assert.equal((await exchange(bed, b))!.pkt.getType(), T.DHCPACK);
  assert.equal(await exchange(bed, query4(T.DHCPRELEASE, { mac: OTHER, ciaddr: ADDR })), null);
  assert.equal(bed.leases.getLease4(ADDR), null, "chaddr only: released");
});

test("a declined lease recovered by the reclamation cycle is removed (Kea), also when reclaimed leases are kept", async () => {
  const bed = await leased({ "decline-probation-period": 1 });
  const d = query4(T.DHCPDECLINE, {
    mac: A,
    clientId: CID,
    requested: ADDR,
    serverId: SERVER_ADDR,
  });
  assert.equal(await exchange(bed, d), null);
  const over = bed.leases.getLease4(ADDR)!.clone();
  over.cltt -= 5; // the probation period is over
  bed.leases.updateLease4(over);
  const reclaimer = new Reclaimer4({
    leases: bed.leases,
    hooks: bed.hooks,
    hookIdx: registerDhcp4Hooks(bed.hooks.serverHooks),
    stats: bed.srv.stats4,
    log: new LogManager("t").getLogger("x"),
    config: {
      "reclaim-timer-wait-time": 0,
      "flush-reclaimed-timer-wait-time": 25, // reclaimed leases are kept...
      "hold-reclaimed-time": 3600,
      "max-reclaim-leases": 100,
      "max-reclaim-time": 250,
      "unwarned-reclaim-cycles": 5,
    },
  });
  await reclaimer.reclaimOnce();
  assert.equal(bed.leases.getLease4(ADDR), null, "...but not a recovered declined one");
  assert.equal(bed.stats.get("declined-addresses")!.value, 0);
  assert.equal(bed.stats.get("reclaimed-declined-addresses")!.value, 1);
  const offer = await exchange(bed, query4(T.DHCPDISCOVER, { mac: OTHER }));
  assert.equal(offer!.pkt.yiaddr, ADDR);
});

test("an option 50 or 54 of another size than 4 makes any query malformed, as Kea's unpack: parse-failed, not received", async () => {
  const bed = await leased();
  const short = "198.51.100"; // 3 bytes
  const queries = [
    query4(T.DHCPDECLINE, { mac: A, clientId: CID, requested: short }),
    query4(T.DHCPREQUEST, { mac: A, clientId: CID, requested: short }),
    query4(T.DHCPREQUEST, { mac: A, clientId: CID, requested: ADDR, serverId: short }),
  ];
  for (const q of queries) assert.equal(await exchange(bed, q), null);
  assert.equal(bed.stats.get("pkt4-parse-failed")!.value, 3);
  assert.equal(drops(bed), 3);
  assert.equal(bed.stats.get("pkt4-decline-received")!.value, 0);
  assert.equal(bed.leases.getLease4(ADDR)!.state, LeaseState.DEFAULT);
  assert.ok(bed.lines.some((l) => /DHCP4_PACKET_DROP_0001 .*option 50 is 3 bytes long/.test(l)));
});
