import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { D6O } from "../../../src/dhcp/constants.ts";
import type { Option6IA } from "../../../src/dhcp/option6-ia.ts";
import { StatusCode } from "../../../src/dhcp/option6-status-code.ts";
import type { Pkt6 } from "../../../src/dhcp/pkt6.ts";
import { Lease6, LeaseState, LeaseType6 } from "../../../src/dhcpsrv/leases/lease6.ts";
import { Reclaimer6 } from "../../../src/dhcp6/reclaimer.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import {
  CLIENT_DUID,
  M,
  type Server6Bed,
  config6,
  exchange6,
  iasOf,
  leasesIn,
  query6,
  server6,
  statusOf,
} from "../../helpers/dhcp6.ts";

const LIB = fileURLToPath(new URL("../../fixtures/dhcp6-hooks/set-status.ts", import.meta.url));
const CONTINUE = 0;
const SKIP = 1;
const DROP = 2;
const PARK = 3;
const ADDR = "2001:db8:1::10";
const PREFIX = "2001:db8:8::/60";

function lib(hook: string, status: number, action = ""): JsonObject {
  return { library: LIB, parameters: { hook, status, action } };
}

function takeTrace(): string[] {
  const g = globalThis as { nestorTrace6?: string[] };
  const t = g.nestorTrace6 ?? [];
  g.nestorTrace6 = [];
  return t;
}

function reset(): void {
  takeTrace();
  (globalThis as { nestorSeen6?: unknown[] }).nestorSeen6 = [];
}

function seen(): Record<string, unknown>[] {
  return (globalThis as { nestorSeen6?: Record<string, unknown>[] }).nestorSeen6 ?? [];
}

const SOLICIT = () => query6(M.DHCPV6_SOLICIT, { ias: [{}, { pd: true }] });
const REQUEST = () =>
  query6(M.DHCPV6_REQUEST, { ias: [{ hints: [ADDR] }, { pd: true, hints: [PREFIX] }] });

/** A server where the client already holds ADDR and PREFIX (given before the library acts). */
async function withLeases(libraries: JsonObject[], extra: JsonObject = {}): Promise<Server6Bed> {
  const bed = await server6(config6(extra), libraries);
  const plain = await server6(config6(extra));
  await exchange6(plain, REQUEST());
  for (const l of plain.leases.getAllLeases6()) {
    const old = l.clone();
    old.cltt -= 100;
    bed.leases.addLease6(old);
  }
  reset();
  return bed;
}

test("buffer6_receive gets query6 before parsing; DROP drops the packet", async () => {
  const bed = await server6(config6(), [lib("buffer6_receive", DROP)]);
  reset();
  assert.equal(await exchange6(bed, SOLICIT()), null);
  assert.deepEqual(takeTrace(), ["buffer6_receive query6"]);
  // Dropped by buffer6_receive: not counted as received (Kea 2.2 counts pkt6-received only
  // for what the callouts let through, one that then fails to parse included), never typed.
  assert.equal(bed.stats.get("pkt6-received")!.value, 0);
  assert.equal(bed.stats.get("pkt6-solicit-received")!.value, 0);
});

test("buffer6_receive SKIP: the server does not parse; a callout that parsed it gets the packet processed", async () => {
  const parsed = await server6(config6(), [lib("buffer6_receive", SKIP, "unpack")]);
  assert.equal((await exchange6(parsed, SOLICIT()))!.pkt.getType(), M.DHCPV6_ADVERTISE);
  const unparsed = await server6(config6(), [lib("buffer6_receive", SKIP)]);
  assert.equal(await exchange6(unparsed, SOLICIT()), null);
});

for (const [name, status] of [
  ["SKIP", SKIP],
  ["DROP", DROP],
] as const) {
  test(`pkt6_receive ${name} drops the packet`, async () => {
    const bed = await server6(config6(), [lib("pkt6_receive", status)]);
    reset();
    assert.equal(await exchange6(bed, SOLICIT()), null);
    assert.deepEqual(takeTrace(), ["pkt6_receive query6"]);
  });
}

test("subnet6_select gets query6, subnet6 and subnet6collection; SKIP means no subnet, so no lease", async () => {
  const bed = await server6(config6(), [lib("subnet6_select", SKIP)]);
  reset();
  const r = await exchange6(bed, REQUEST());
  assert.deepEqual(takeTrace(), ["subnet6_select query6,subnet6,subnet6collection"]);
  const [na, pd] = iasOf(r!.pkt);
  assert.equal(statusOf(na!), StatusCode.NoAddrsAvail);
  assert.equal(statusOf(pd!), StatusCode.NoPrefixAvail);
  assert.equal(bed.leases.size, 0);
});

test("subnet6_select DROP drops the packet", async () => {
  const bed = await server6(config6(), [lib("subnet6_select", DROP)]);
  assert.equal(await exchange6(bed, SOLICIT()), null);
});

test("lease6_select on SOLICIT has fake_allocation true, once per lease", async () => {
  const bed = await server6(config6(), [lib("lease6_select", CONTINUE)]);
  reset();
  await exchange6(bed, SOLICIT());
  assert.deepEqual(takeTrace(), [
    "lease6_select fake_allocation,lease6,query6,subnet6",
    "lease6_select fake_allocation,lease6,query6,subnet6",
  ]);
  assert.equal(seen()[0]!["fake_allocation"], true);
});

test("lease6_select on REQUEST has fake_allocation false", async () => {
  const bed = await server6(config6(), [lib("lease6_select", CONTINUE)]);
  reset();
  await exchange6(bed, REQUEST());
  assert.equal(seen()[0]!["fake_allocation"], false);
  assert.equal((seen()[0]!["lease6"] as Lease6).address, ADDR);
});

test("lease6_select on a SOLICIT with rapid commit has fake_allocation false", async () => {
  const bed = await server6(config6({}, { "rapid-commit": true }), [
    lib("lease6_select", CONTINUE),
  ]);
  reset();
  await exchange6(bed, query6(M.DHCPV6_SOLICIT, { rapidCommit: true }));
  assert.equal(seen()[0]!["fake_allocation"], false);
  assert.equal(bed.leases.size, 1);
});

test("lease6_select PARK is not a status of this point: treated as CONTINUE", async () => {
  const bed = await server6(config6(), [lib("lease6_select", PARK)]);
  const r = await exchange6(bed, REQUEST());
  assert.deepEqual(leasesIn(iasOf(r!.pkt)[0]!), [ADDR]);
});

test("lease6_select SKIP: that lease is not assigned, the client gets the others", async () => {
  const bed = await server6(config6(), [lib("lease6_select", CONTINUE, "skip-pd")]);
  const r = await exchange6(bed, REQUEST());
  const [na, pd] = iasOf(r!.pkt);
  assert.deepEqual(leasesIn(na!), [ADDR]);
  assert.deepEqual(leasesIn(pd!), []);
  assert.equal(statusOf(pd!), StatusCode.NoPrefixAvail);
  assert.equal(bed.leases.size, 1);
  assert.equal(bed.leases.getLease6(LeaseType6.IA_PD, "2001:db8:8::"), null);
});

test("lease6_select: a lease changed by the callout is stored and sent as changed", async () => {
  const bed = await server6(config6(), [lib("lease6_select", CONTINUE, "short-lease")]);
  const r = await exchange6(bed, REQUEST());
  assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, ADDR)!.validLifetime, 600);
  const iaaddr = iasOf(r!.pkt)[0]!.getOptions(D6O.IAADDR)[0]!;
  assert.equal(iaaddr.getData().readUInt32BE(20), 600);
});

test("lease6_select DROP is not a status of this point: treated as CONTINUE", async () => {
  const bed = await server6(config6(), [lib("lease6_select", DROP)]);
  const r = await exchange6(bed, REQUEST());
  assert.deepEqual(leasesIn(iasOf(r!.pkt)[0]!), [ADDR]);
});

test("lease6_renew is called once per IA with query6, lease6 and ia_na or ia_pd", async () => {
  const bed = await withLeases([lib("lease6_renew", CONTINUE)]);
  await exchange6(bed, query6(M.DHCPV6_RENEW, { ias: [{}, { pd: true }] }));
  assert.deepEqual(takeTrace(), [
    "lease6_renew ia_na,lease6,query6",
    "lease6_renew ia_pd,lease6,query6",
  ]);
  assert.equal((seen()[0]!["ia_na"] as Option6IA).getIAID(), 1);
});

test("lease6_renew SKIP: the lease is not renewed in the database", async () => {
  const bed = await withLeases([lib("lease6_renew", SKIP)]);
  const before = bed.leases.getLease6(LeaseType6.IA_NA, ADDR)!.cltt;
  const r = await exchange6(bed, query6(M.DHCPV6_RENEW, { ias: [{}] }));
  assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, ADDR)!.cltt, before);
  assert.deepEqual(leasesIn(iasOf(r!.pkt)[0]!), [ADDR]);
});

test("lease6_renew SKIP: what the callout wrote into ia_na reaches the client", async () => {
  const bed = await withLeases([lib("lease6_renew", SKIP, "mark-ia")]);
  const r = await exchange6(bed, query6(M.DHCPV6_RENEW, { ias: [{}] }));
  assert.equal(iasOf(r!.pkt)[0]!.getT1(), 1);
});

test("lease6_renew CONTINUE: a lease changed by the callout is stored", async () => {
  const bed = await withLeases([lib("lease6_renew", CONTINUE, "short-lease")]);
  await exchange6(bed, query6(M.DHCPV6_RENEW, { ias: [{}] }));
  assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, ADDR)!.validLifetime, 600);
});

test("lease6_rebind is called once per IA with ia_na or ia_pd; SKIP: not rebound", async () => {
  const bed = await withLeases([lib("lease6_rebind", SKIP)]);
  const before = bed.leases.getLease6(LeaseType6.IA_PD, "2001:db8:8::")!.cltt;
  await exchange6(bed, query6(M.DHCPV6_REBIND, { ias: [{}, { pd: true }] }));
  assert.deepEqual(takeTrace(), [
    "lease6_rebind ia_na,lease6,query6",
    "lease6_rebind ia_pd,lease6,query6",
  ]);
  assert.equal(bed.leases.getLease6(LeaseType6.IA_PD, "2001:db8:8::")!.cltt, before);
});

test("lease6_renew is not called for a RENEW of an unknown IA", async () => {
  const bed = await server6(config6(), [lib("lease6_renew", CONTINUE)]);
  reset();
  await exchange6(bed, query6(M.DHCPV6_RENEW, { ias: [{ hints: [ADDR] }] }));
  assert.deepEqual(takeTrace(), []);
});

test("lease6_decline gets query6 and lease6; SKIP: the reply says declined, the database keeps the lease", async () => {
  const bed = await withLeases([lib("lease6_decline", SKIP)]);
  const r = await exchange6(bed, query6(M.DHCPV6_DECLINE, { ias: [{ hints: [ADDR] }] }));
  assert.deepEqual(takeTrace(), ["lease6_decline lease6,query6"]);
  assert.equal(statusOf(iasOf(r!.pkt)[0]!), StatusCode.Success);
  assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, ADDR)!.state, LeaseState.DEFAULT);
});

test("lease6_decline DROP: no decline and no reply", async () => {
  const bed = await withLeases([lib("lease6_decline", DROP)]);
  assert.equal(await exchange6(bed, query6(M.DHCPV6_DECLINE, { ias: [{ hints: [ADDR] }] })), null);
  assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, ADDR)!.state, LeaseState.DEFAULT);
});

test("lease6_release gets query6 and lease6; SKIP keeps the lease and still replies", async () => {
  const bed = await withLeases([lib("lease6_release", SKIP)]);
  const r = await exchange6(bed, query6(M.DHCPV6_RELEASE, { ias: [{ hints: [ADDR] }] }));
  assert.deepEqual(takeTrace(), ["lease6_release lease6,query6"]);
  assert.equal(r!.pkt.getType(), M.DHCPV6_REPLY);
  assert.equal(statusOf(iasOf(r!.pkt)[0]!), StatusCode.Success);
  assert.notEqual(bed.leases.getLease6(LeaseType6.IA_NA, ADDR), null);
});

test("lease6_release PARK is not a status of this point: treated as CONTINUE, the lease goes", async () => {
  const bed = await withLeases([lib("lease6_release", PARK)]);
  await exchange6(bed, query6(M.DHCPV6_RELEASE, { ias: [{ hints: [ADDR] }] }));
  assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, ADDR), null);
});

test("leases6_committed gets query6, response6, leases6 and deleted_leases6 on REQUEST", async () => {
  const bed = await server6(config6(), [lib("leases6_committed", CONTINUE)]);
  reset();
  await exchange6(bed, REQUEST());
  assert.deepEqual(takeTrace(), ["leases6_committed deleted_leases6,leases6,query6,response6"]);
  assert.equal((seen()[0]!["leases6"] as Lease6[]).length, 2);
  assert.equal((seen()[0]!["deleted_leases6"] as Lease6[]).length, 0);
});

test("leases6_committed is not called for SOLICIT, CONFIRM and INFORMATION-REQUEST", async () => {
  const bed = await server6(config6(), [lib("leases6_committed", CONTINUE)]);
  reset();
  await exchange6(bed, SOLICIT());
  await exchange6(bed, query6(M.DHCPV6_CONFIRM, { ias: [{ hints: [ADDR] }] }));
  await exchange6(bed, query6(M.DHCPV6_INFORMATION_REQUEST));
  assert.deepEqual(takeTrace(), []);
});

test("leases6_committed is called for SOLICIT with rapid commit", async () => {
  const bed = await server6(config6({}, { "rapid-commit": true }), [
    lib("leases6_committed", CONTINUE),
  ]);
  reset();
  await exchange6(bed, query6(M.DHCPV6_SOLICIT, { rapidCommit: true }));
  assert.equal(takeTrace().length, 1);
});

test("leases6_committed on RELEASE lists the released lease in deleted_leases6", async () => {
  const bed = await withLeases([lib("leases6_committed", CONTINUE)]);
  await exchange6(bed, query6(M.DHCPV6_RELEASE, { ias: [{ hints: [ADDR] }] }));
  const deleted = seen()[0]!["deleted_leases6"] as Lease6[];
  assert.deepEqual(
    deleted.map((l) => l.address),
    [ADDR],
  );
});

test("leases6_committed DROP: the response is not sent", async () => {
  const bed = await server6(config6(), [lib("leases6_committed", DROP)]);
  assert.equal(await exchange6(bed, REQUEST()), null);
});

test("pkt6_send gets query6, response6 and subnet6; DROP: not sent", async () => {
  const bed = await server6(config6(), [lib("pkt6_send", DROP)]);
  reset();
  assert.equal(await exchange6(bed, SOLICIT()), null);
  assert.deepEqual(takeTrace(), ["pkt6_send query6,response6,subnet6"]);
});

test("pkt6_send SKIP: the server sends what the callout packed", async () => {
  const bed = await server6(config6(), [lib("pkt6_send", SKIP, "pack-myself")]);
  const r = await exchange6(bed, SOLICIT());
  assert.equal(r!.pkt.getType(), M.DHCPV6_ADVERTISE);
  assert.equal(r!.pkt.getOption(D6O.SERVERID), undefined);
});

test("pkt6_send SKIP without packing sends a zero-sized message", async () => {
  const bed = await server6(config6(), [lib("pkt6_send", SKIP)]);
  const reply = await bed.srv.processQuery({
    data: SOLICIT(),
    srcAddr: "fe80::2",
    srcPort: 546,
    dstAddr: "ff02::1:2",
    iface: "eth0",
    ifindex: 2,
    receivedAt: Date.now(),
  });
  assert.equal(reply!.data.length, 0);
});

test("pkt6_send: an option changed by a callout is a copy, the configuration keeps its own", async () => {
  const bed = await server6(config6(), [lib("pkt6_send", CONTINUE, "edit-dns")]);
  const first = await exchange6(bed, SOLICIT());
  assert.deepEqual(first!.pkt.getOption(D6O.NAME_SERVERS)!.getData(), Buffer.alloc(16, 0xee));
  const cfg = bed.srv.getModel().subnets[0]!.options.get(D6O.NAME_SERVERS)!.option.getData();
  assert.notDeepEqual(cfg, Buffer.alloc(16, 0xee));
});

test("buffer6_send gets response6; SKIP: the response is dropped", async () => {
  const bed = await server6(config6(), [lib("buffer6_send", SKIP)]);
  reset();
  assert.equal(await exchange6(bed, REQUEST()), null);
  assert.deepEqual(takeTrace(), ["buffer6_send response6"]);
  assert.equal((seen()[0]!["response6"] as Pkt6).getBuffer().length > 0, true);
  // The request was processed: the leases stay.
  assert.equal(bed.leases.size, 2);
});

test("an asynchronous callout holds only its query; the result is the same", async () => {
  const bed = await server6(config6(), [lib("lease6_select", CONTINUE, "later")]);
  const p = bed.srv.processQuery({
    data: REQUEST(),
    srcAddr: "fe80::2",
    srcPort: 546,
    dstAddr: "ff02::1:2",
    iface: "eth0",
    ifindex: 2,
    receivedAt: Date.now(),
  });
  assert.ok(p instanceof Promise);
  const reply = await p;
  assert.ok(reply !== null);
  assert.equal(bed.leases.size, 2);
});

test("without callouts, a query is processed without a Promise", async () => {
  const bed = await server6(config6());
  const r = bed.srv.processQuery({
    data: REQUEST(),
    srcAddr: "fe80::2",
    srcPort: 546,
    dstAddr: "ff02::1:2",
    iface: "eth0",
    ifindex: 2,
    receivedAt: Date.now(),
  });
  assert.ok(!(r instanceof Promise));
});

async function reclaimBed(libraries: JsonObject[], flushWait: number) {
  const bed = await server6(config6(), libraries);
  bed.leases.addLease6(
    new Lease6({
      address: "2001:db8:1::11",
      duid: CLIENT_DUID,
      iaid: 1,
      preferredLifetime: 50,
      validLifetime: 100,
      cltt: Math.floor(Date.now() / 1000) - 1000,
      subnetId: 1,
      hostname: "old.example.org",
    }),
  );
  const reclaimer = new Reclaimer6({
    leases: bed.leases,
    hooks: bed.hooks,
    hookIdx: bed.hookIdx,
    stats: bed.srv.stats6,
    log: bed.logs.getLogger("alloc-engine"),
    config: {
      "reclaim-timer-wait-time": 0,
      "flush-reclaimed-timer-wait-time": flushWait,
      "hold-reclaimed-time": 3600,
      "max-reclaim-leases": 100,
      "max-reclaim-time": 250,
      "unwarned-reclaim-cycles": 5,
    },
  });
  reset();
  return { bed, reclaimer };
}

test("lease6_expire gets lease6 and remove_lease; SKIP: the server leaves the lease to the callout", async () => {
  const { bed, reclaimer } = await reclaimBed([lib("lease6_expire", SKIP)], 25);
  assert.equal(await reclaimer.reclaimOnce(), 0);
  assert.deepEqual(takeTrace(), ["lease6_expire lease6,remove_lease"]);
  assert.equal(seen()[0]!["remove_lease"], false);
  assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::11")!.state, LeaseState.DEFAULT);
});

test("an expired v6 lease is kept as expired-reclaimed, or removed when flush-reclaimed-timer-wait-time is 0", async () => {
  const kept = await reclaimBed([], 25);
  assert.equal(await kept.reclaimer.reclaimOnce(), 1);
  const lease = kept.bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::11")!;
  assert.equal(lease.state, LeaseState.EXPIRED_RECLAIMED);
  assert.equal(lease.hostname, "");
  assert.equal(kept.bed.stats.get("reclaimed-leases")!.value, 1);
  const removed = await reclaimBed([lib("lease6_expire", CONTINUE)], 0);
  await removed.reclaimer.reclaimOnce();
  assert.equal(seen().at(-1)!["remove_lease"], true);
  assert.equal(removed.bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::11"), null);
});

test("lease6_recover gets lease6; SKIP keeps a declined lease after its probation", async () => {
  const { bed, reclaimer } = await reclaimBed([lib("lease6_recover", SKIP)], 25);
  const declined = bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::11")!.clone();
  declined.decline(100, Math.floor(Date.now() / 1000) - 1000);
  bed.leases.updateLease6(declined);
  await reclaimer.reclaimOnce();
  assert.deepEqual(takeTrace(), ["lease6_recover lease6"]);
  assert.equal(
    bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::11")!.state,
    LeaseState.DECLINED,
  );
});

test("lease6_recover CONTINUE: the declined lease is recovered and counted", async () => {
  const { bed, reclaimer } = await reclaimBed([lib("lease6_recover", CONTINUE)], 0);
  const declined = bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::11")!.clone();
  declined.decline(100, Math.floor(Date.now() / 1000) - 1000);
  bed.leases.updateLease6(declined);
  assert.equal(await reclaimer.reclaimOnce(), 1);
  assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::11"), null);
  assert.equal(bed.stats.get("reclaimed-declined-addresses")!.value, 1);
});
