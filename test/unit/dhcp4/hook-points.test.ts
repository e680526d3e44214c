import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DHO } from "../../../src/dhcp/constants.ts";
import { LeaseState, Lease4 } from "../../../src/dhcpsrv/leases/lease4.ts";
import { Reclaimer4 } from "../../../src/dhcp4/reclaimer.ts";
import { registerDhcp4Hooks } from "../../../src/dhcp4/hook-points.ts";
import { LogManager } from "../../../src/log/logger.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../helpers/dhcp4.ts";

const LIB = fileURLToPath(new URL("../../fixtures/dhcp4-hooks/set-status.ts", import.meta.url));
const CONTINUE = 0;
const SKIP = 1;
const DROP = 2;

function lib(hook: string, status: number, action = ""): JsonObject {
  return { library: LIB, parameters: { hook, status, action } };
}

/** The calls recorded since the last take; the arguments seen stay readable until then. */
function takeTrace(): string[] {
  const g = globalThis as { nestorTrace?: string[]; nestorSeen?: unknown[] };
  const t = g.nestorTrace ?? [];
  g.nestorTrace = [];
  return t;
}

function reset(): void {
  takeTrace();
  (globalThis as { nestorSeen?: unknown[] }).nestorSeen = [];
}

function seen(): Record<string, unknown>[] {
  return (globalThis as { nestorSeen?: Record<string, unknown>[] }).nestorSeen ?? [];
}

const REQUEST = () => query4(T.DHCPREQUEST, { requested: "198.51.100.10", serverId: SERVER_ADDR });

test("buffer4_receive gets query4 before parsing; DROP drops the packet", async () => {
  const bed = await server4(config4(), [lib("buffer4_receive", DROP)]);
  reset();
  assert.equal(await exchange(bed, query4(T.DHCPDISCOVER)), null);
  assert.deepEqual(takeTrace(), ["buffer4_receive query4"]);
  // Dropped by buffer4_receive: not counted as received (Kea 2.2 counts pkt4-received only
  // for what the callouts let through, one that then fails to parse included), never typed.
  assert.equal(bed.stats.get("pkt4-received")!.value, 0);
  assert.equal(bed.stats.get("pkt4-discover-received")!.value, 0);
});

test("buffer4_receive SKIP: the server does not parse; a callout that parsed it gets the packet processed", async () => {
  const parsed = await server4(config4(), [lib("buffer4_receive", SKIP, "unpack")]);
  assert.equal((await exchange(parsed, query4(T.DHCPDISCOVER)))!.pkt.getType(), T.DHCPOFFER);
  const unparsed = await server4(config4(), [lib("buffer4_receive", SKIP)]);
  assert.equal(await exchange(unparsed, query4(T.DHCPDISCOVER)), null);
});

for (const status of [SKIP, DROP]) {
  test(`pkt4_receive ${status === SKIP ? "SKIP" : "DROP"} drops the packet`, async () => {
    const bed = await server4(config4(), [lib("pkt4_receive", status)]);
    assert.equal(await exchange(bed, query4(T.DHCPDISCOVER)), null);
  });
}

test("subnet4_select gets query4, subnet4 and subnet4collection; SKIP means no subnet, so no offer", async () => {
  const bed = await server4(config4(), [lib("subnet4_select", SKIP)]);
  reset();
  assert.equal(await exchange(bed, query4(T.DHCPDISCOVER)), null);
  assert.deepEqual(takeTrace(), ["subnet4_select query4,subnet4,subnet4collection"]);
});

test("subnet4_select: a callout's choice of another configured subnet is the subnet used", async () => {
  const two = config4({
    subnet4: [
      { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.12" }] },
      { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.12" }] },
    ],
  });
  const bed = await server4(two, [lib("subnet4_select", CONTINUE, "pick-last")]);
  const offer = await exchange(bed, query4(T.DHCPDISCOVER, { giaddr: "198.51.100.254" }));
  assert.equal(offer!.pkt.yiaddr, "203.0.113.10");
});

for (const action of ["copy-subnet", "unknown-subnet"]) {
  test(`subnet4_select: a callout returning a subnet not in the configuration (${action}) leaves the server's selection`, async () => {
    const bed = await server4(config4(), [lib("subnet4_select", CONTINUE, action)]);
    const ack = await exchange(bed, REQUEST());
    assert.equal(ack!.pkt.getType(), T.DHCPACK);
    assert.equal(bed.leases.getLease4("198.51.100.10")!.subnetId, 1);
    assert.equal(bed.stats.get("subnet[1].assigned-addresses")!.value, 1);
  });
}

test("subnet4_select DROP drops the packet", async () => {
  const bed = await server4(config4({ authoritative: true }), [lib("subnet4_select", DROP)]);
  assert.equal(await exchange(bed, REQUEST()), null);
});

test("lease4_select on DISCOVER has fake_allocation true; SKIP means no address and no offer", async () => {
  const bed = await server4(config4(), [lib("lease4_select", SKIP)]);
  reset();
  assert.equal(await exchange(bed, query4(T.DHCPDISCOVER)), null);
  assert.deepEqual(takeTrace(), ["lease4_select fake_allocation,lease4,offer_lft,query4,subnet4"]);
  assert.equal(seen()[0]!["fake_allocation"], true);
});

test("lease4_select on REQUEST has fake_allocation false; SKIP means no lease stored and a NAK", async () => {
  const bed = await server4(config4(), [lib("lease4_select", SKIP)]);
  reset();
  const r = await exchange(bed, REQUEST());
  assert.equal(r!.pkt.getType(), T.DHCPNAK);
  assert.equal(seen()[0]!["fake_allocation"], false);
  assert.equal(bed.leases.size, 0);
});

test("a lease4_select callout's change to the lease is what the client gets and what is stored", async () => {
  const bed = await server4(config4(), [lib("lease4_select", CONTINUE, "short-lease")]);
  const r = await exchange(bed, REQUEST());
  assert.equal(r!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 600);
  assert.equal(bed.leases.getLease4("198.51.100.10")!.validLifetime, 600);
});

test("lease4_renew runs when the client already has a lease; SKIP keeps the stored lease unchanged", async () => {
  const bed = await server4(config4(), [lib("lease4_renew", SKIP, "short-lease")]);
  await exchange(bed, REQUEST());
  reset();
  const r = await exchange(bed, REQUEST());
  assert.deepEqual(takeTrace(), ["lease4_renew clientid,hwaddr,lease4,query4,subnet4"]);
  assert.equal(r!.pkt.getType(), T.DHCPACK);
  assert.equal(bed.leases.getLease4("198.51.100.10")!.validLifetime, 4000);
  assert.equal(r!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 4000);
});

test("lease4_release SKIP keeps the lease; CONTINUE removes it", async () => {
  for (const [status, kept] of [
    [SKIP, true],
    [CONTINUE, false],
  ] as const) {
    const bed = await server4(config4(), [lib("lease4_release", status)]);
    await exchange(bed, REQUEST());
    reset();
    await exchange(bed, query4(T.DHCPRELEASE, { ciaddr: "198.51.100.10" }));
    assert.deepEqual(takeTrace(), ["lease4_release lease4,query4"]);
    assert.equal(bed.leases.getLease4("198.51.100.10") !== null, kept);
  }
});

test("lease4_decline SKIP or DROP: the lease is not declined", async () => {
  for (const status of [SKIP, DROP]) {
    const bed = await server4(config4(), [lib("lease4_decline", status)]);
    await exchange(bed, REQUEST());
    await exchange(bed, query4(T.DHCPDECLINE, { requested: "198.51.100.10" }));
    assert.equal(bed.leases.getLease4("198.51.100.10")!.state, LeaseState.DEFAULT);
  }
});

test("lease4_offer gets the offer and its lease; DROP: no offer is sent", async () => {
  const bed = await server4(config4(), [lib("lease4_offer", DROP)]);
  reset();
  assert.equal(await exchange(bed, query4(T.DHCPDISCOVER)), null);
  assert.deepEqual(takeTrace(), [
    "lease4_offer host,leases4,offer_lifetime,old_lease,query4,response4",
  ]);
});

test("leases4_committed gets the new and deleted leases; DROP: no ACK but the lease is stored", async () => {
  const bed = await server4(config4(), [lib("leases4_committed", DROP)]);
  reset();
  assert.equal(await exchange(bed, REQUEST()), null);
  assert.deepEqual(takeTrace(), ["leases4_committed deleted_leases4,leases4,query4,response4"]);
  const args = seen()[0]!;
  assert.deepEqual(
    (args["leases4"] as Lease4[]).map((l) => l.address),
    ["198.51.100.10"],
  );
  assert.deepEqual(args["deleted_leases4"], []);
  assert.ok(bed.leases.getLease4("198.51.100.10"));
});

test("leases4_committed runs for RELEASE with no response and the released lease deleted", async () => {
  const bed = await server4(config4(), [lib("leases4_committed", CONTINUE)]);
  await exchange(bed, REQUEST());
  reset();
  await exchange(bed, query4(T.DHCPRELEASE, { ciaddr: "198.51.100.10" }));
  const args = seen()[0]!;
  assert.equal(args["response4"], null);
  assert.deepEqual(
    (args["deleted_leases4"] as Lease4[]).map((l) => l.address),
    ["198.51.100.10"],
  );
});

test("pkt4_send SKIP: the server sends the buffer the callout packed", async () => {
  const bed = await server4(config4(), [lib("pkt4_send", SKIP, "pack-myself")]);
  const r = await exchange(bed, query4(T.DHCPDISCOVER));
  assert.equal(r!.pkt.getType(), T.DHCPOFFER);
  assert.equal(r!.pkt.getOption(DHO.ROUTERS), undefined);
});

test("pkt4_send DROP, buffer4_send SKIP and buffer4_send DROP: nothing is sent", async () => {
  for (const [hook, status] of [
    ["pkt4_send", DROP],
    ["buffer4_send", SKIP],
    ["buffer4_send", DROP],
  ] as const) {
    const bed = await server4(config4(), [lib(hook, status)]);
    assert.equal(await exchange(bed, query4(T.DHCPDISCOVER)), null, `${hook} ${status}`);
  }
});

test("a callout changing an option of the response never changes the configured option", async () => {
  const bed = await server4(config4(), [lib("pkt4_send", CONTINUE, "edit-routers")]);
  const first = await exchange(bed, query4(T.DHCPDISCOVER));
  assert.deepEqual([...first!.pkt.getOption(DHO.ROUTERS)!.getData()], [203, 0, 113, 1]);
  const configured = bed.srv.getModel().subnets[0]!.options.get(DHO.ROUTERS)!.option;
  assert.deepEqual([...configured.getData()], [198, 51, 100, 1]);
});

test("one callout handle follows a packet: context_create runs once per packet", async () => {
  const bed = await server4(config4(), [
    lib("context_create", CONTINUE),
    lib("pkt4_receive", CONTINUE),
    lib("pkt4_send", CONTINUE),
  ]);
  reset();
  await exchange(bed, query4(T.DHCPDISCOVER));
  assert.deepEqual(takeTrace(), [
    "context_create ",
    "pkt4_receive query4",
    "pkt4_send query4,response4,subnet4",
  ]);
});

async function reclaimBed(libraries: JsonObject[], flushWait: number) {
  const bed = await server4(config4(), libraries);
  const expired = new Lease4({
    address: "198.51.100.11",
    hwaddr: null,
    clientId: Buffer.from([1, 2, 3]),
    validLifetime: 100,
    cltt: Math.floor(Date.now() / 1000) - 1000,
    subnetId: 1,
    hostname: "old.example.org",
  });
  bed.leases.addLease4(expired);
  const idx = registerDhcp4Hooks(bed.hooks.serverHooks);
  const reclaimer = new Reclaimer4({
    leases: bed.leases,
    hooks: bed.hooks,
    hookIdx: idx,
    stats: bed.srv.stats4,
    log: new LogManager("t").getLogger("x"),
    config: {
      "reclaim-timer-wait-time": 0,
      "flush-reclaimed-timer-wait-time": flushWait,
      "hold-reclaimed-time": 3600,
      "max-reclaim-leases": 100,
      "max-reclaim-time": 250,
      "unwarned-reclaim-cycles": 5,
    },
  });
  return { bed, reclaimer };
}

test("lease4_expire gets lease4 and remove_lease; SKIP: the server leaves the lease to the callout", async () => {
  const { bed, reclaimer } = await reclaimBed([lib("lease4_expire", SKIP)], 25);
  reset();
  assert.equal(await reclaimer.reclaimOnce(), 0);
  assert.deepEqual(takeTrace(), ["lease4_expire lease4,remove_lease"]);
  assert.equal(bed.leases.getLease4("198.51.100.11")!.state, LeaseState.DEFAULT);
});

test("an expired lease is reclaimed: kept as expired-reclaimed without its name, or removed when flush wait is 0", async () => {
  const kept = await reclaimBed([], 25);
  assert.equal(await kept.reclaimer.reclaimOnce(), 1);
  const lease = kept.bed.leases.getLease4("198.51.100.11")!;
  assert.equal(lease.state, LeaseState.EXPIRED_RECLAIMED);
  assert.equal(lease.hostname, "");
  assert.equal(kept.bed.stats.get("reclaimed-leases")!.value, 1);
  const removed = await reclaimBed([lib("lease4_expire", CONTINUE)], 0);
  await removed.reclaimer.reclaimOnce();
  assert.equal(seen().at(-1)!["remove_lease"], true);
  assert.equal(removed.bed.leases.getLease4("198.51.100.11"), null);
});

test("lease4_recover SKIP keeps a declined lease after its probation", async () => {
  const { bed, reclaimer } = await reclaimBed([lib("lease4_recover", SKIP)], 25);
  const declined = bed.leases.getLease4("198.51.100.11")!.clone();
  declined.state = LeaseState.DECLINED;
  bed.leases.updateLease4(declined);
  reset();
  await reclaimer.reclaimOnce();
  assert.deepEqual(takeTrace(), ["lease4_recover lease4"]);
  assert.equal(bed.leases.getLease4("198.51.100.11")!.state, LeaseState.DECLINED);
});

test("an expired declined lease goes through lease4_expire, then lease4_recover (Kea 2.2)", async () => {
  const { bed, reclaimer } = await reclaimBed(
    [lib("lease4_expire", CONTINUE), lib("lease4_recover", CONTINUE)],
    25,
  );
  const declined = bed.leases.getLease4("198.51.100.11")!.clone();
  declined.state = LeaseState.DECLINED;
  bed.leases.updateLease4(declined);
  reset();
  await reclaimer.reclaimOnce();
  assert.deepEqual(takeTrace(), ["lease4_expire lease4,remove_lease", "lease4_recover lease4"]);
  // SKIP on lease4_expire: the callout took the lease over, recover is not called.
  const skipped = await reclaimBed(
    [lib("lease4_expire", SKIP), lib("lease4_recover", CONTINUE)],
    25,
  );
  const d2 = skipped.bed.leases.getLease4("198.51.100.11")!.clone();
  d2.state = LeaseState.DECLINED;
  skipped.bed.leases.updateLease4(d2);
  reset();
  await skipped.reclaimer.reclaimOnce();
  assert.deepEqual(takeTrace(), ["lease4_expire lease4,remove_lease"]);
});

test("subnet4_select is not called for RELEASE and DECLINE, as in Kea", async () => {
  const bed = await server4(config4(), [lib("subnet4_select", CONTINUE)]);
  await exchange(bed, REQUEST());
  reset();
  await exchange(bed, query4(T.DHCPRELEASE, { ciaddr: "198.51.100.10" }));
  await exchange(bed, query4(T.DHCPDECLINE, { requested: "198.51.100.10" }));
  assert.deepEqual(takeTrace(), []);
});
