import { test } from "node:test";
import assert from "node:assert/strict";
import { D6O } from "../../../src/dhcp/constants.ts";
import { Pkt6 } from "../../../src/dhcp/pkt6.ts";
import type { Option6IAAddr } from "../../../src/dhcp/option6-ia.ts";
import { StatusCode } from "../../../src/dhcp/option6-status-code.ts";
import { HWAddrSource, LeaseState, LeaseType6 } from "../../../src/dhcpsrv/leases/lease6.ts";
import {
  CLIENT_DUID,
  M,
  RELAY_ADDR,
  SERVER_DUID,
  type Server6Bed,
  config6,
  exchange6,
  iasOf,
  leasesIn,
  query6,
  server6,
  statusOf,
} from "../../helpers/dhcp6.ts";

const OTHER_DUID = Buffer.from("00030001020000000002", "hex");

async function request(bed: Server6Bed, addr = "2001:db8:1::10", iaid = 1, duid = CLIENT_DUID) {
  return exchange6(bed, query6(M.DHCPV6_REQUEST, { duid, ias: [{ iaid, hints: [addr] }] }));
}

test("SOLICIT gets an ADVERTISE with an address and a prefix from the pools, and nothing is stored", async () => {
  const bed = await server6(config6());
  const r = await exchange6(bed, query6(M.DHCPV6_SOLICIT, { ias: [{}, { pd: true }] }));
  assert.equal(r!.pkt.getType(), M.DHCPV6_ADVERTISE);
  const [na, pd] = iasOf(r!.pkt);
  assert.deepEqual(leasesIn(na!), ["2001:db8:1::10"]);
  assert.deepEqual(leasesIn(pd!), ["2001:db8:8::/60"]);
  assert.equal(na!.getT1(), 1000);
  assert.equal(na!.getT2(), 2000);
  assert.deepEqual(r!.pkt.getOption(D6O.SERVERID)!.getData(), SERVER_DUID);
  assert.deepEqual(r!.pkt.getOption(D6O.CLIENTID)!.getData(), CLIENT_DUID);
  assert.equal(bed.leases.size, 0);
});

test("SOLICIT honours the client's hint when it is free and in a pool", async () => {
  const bed = await server6(config6());
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_SOLICIT, {
      ias: [{ hints: ["2001:db8:1::12"] }, { pd: true, hints: ["2001:db8:8:30::/60"] }],
    }),
  );
  const [na, pd] = iasOf(r!.pkt);
  assert.deepEqual(leasesIn(na!), ["2001:db8:1::12"]);
  assert.deepEqual(leasesIn(pd!), ["2001:db8:8:30::/60"]);
});

test("SOLICIT with Rapid Commit gets a committed REPLY when the subnet allows it", async () => {
  const bed = await server6(config6({}, { "rapid-commit": true }));
  const r = await exchange6(bed, query6(M.DHCPV6_SOLICIT, { rapidCommit: true }));
  assert.equal(r!.pkt.getType(), M.DHCPV6_REPLY);
  assert.notEqual(r!.pkt.getOption(D6O.RAPID_COMMIT), undefined);
  assert.equal(bed.leases.size, 1);
});

test("SOLICIT with Rapid Commit gets an ADVERTISE when the subnet does not allow it", async () => {
  const bed = await server6(config6());
  const r = await exchange6(bed, query6(M.DHCPV6_SOLICIT, { rapidCommit: true }));
  assert.equal(r!.pkt.getType(), M.DHCPV6_ADVERTISE);
  assert.equal(r!.pkt.getOption(D6O.RAPID_COMMIT), undefined);
  assert.equal(bed.leases.size, 0);
});

test("REQUEST stores the requested address and sends the configured options asked for", async () => {
  const bed = await server6(config6());
  const r = await request(bed, "2001:db8:1::11");
  assert.equal(r!.pkt.getType(), M.DHCPV6_REPLY);
  assert.deepEqual(leasesIn(iasOf(r!.pkt)[0]!), ["2001:db8:1::11"]);
  const lease = bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::11")!;
  assert.deepEqual(lease.duid, CLIENT_DUID);
  assert.equal(lease.iaid, 1);
  assert.equal(lease.validLifetime, 4000);
  assert.equal(lease.preferredLifetime, 3000);
  assert.equal(lease.subnetId, 1);
  assert.equal(lease.hwaddr!.toText(false), "02:00:00:00:00:01");
  assert.equal(lease.hwaddrSource, HWAddrSource.DUID);
  assert.notEqual(r!.pkt.getOption(D6O.NAME_SERVERS), undefined);
});

test("options come from the most specific level: reservation, pool, subnet, global", async () => {
  const bed = await server6(
    config6(
      { "option-data": [{ name: "domain-search", data: "global.example" }] },
      {
        pools: [
          {
            pool: "2001:db8:1::10 - 2001:db8:1::12",
            "option-data": [{ name: "dns-servers", data: "2001:db8:1::5" }],
          },
        ],
      },
    ),
  );
  const r = await exchange6(bed, query6(M.DHCPV6_SOLICIT, { oro: [23, 24] }));
  assert.equal(
    r!.pkt.getOption(D6O.NAME_SERVERS)!.getData().toString("hex"),
    "20010db8000100000000000000000005",
  );
  assert.notEqual(r!.pkt.getOption(D6O.DOMAIN_SEARCH), undefined);
});

test("several IA_NA and IA_PD in one REQUEST are each handled on their own", async () => {
  const bed = await server6(config6());
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_REQUEST, {
      ias: [{ iaid: 1 }, { iaid: 2 }, { pd: true, iaid: 3 }, { pd: true, iaid: 4 }],
    }),
  );
  const ias = iasOf(r!.pkt);
  assert.deepEqual(
    ias.map((o) => o.getIAID()),
    [1, 2, 3, 4],
  );
  const got = ias.map((o) => leasesIn(o));
  assert.equal(new Set(got.flat()).size, 4);
  for (const g of got) assert.equal(g.length, 1);
  assert.equal(bed.leases.size, 4);
});

test("an IA that finds the pool exhausted gets NoAddrsAvail while the others get addresses", async () => {
  const bed = await server6(config6());
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_REQUEST, { ias: [1, 2, 3, 4].map((iaid) => ({ iaid })) }),
  );
  const ias = iasOf(r!.pkt);
  assert.equal(ias.filter((o) => leasesIn(o).length === 1).length, 3);
  assert.equal(statusOf(ias[3]!), StatusCode.NoAddrsAvail);
  assert.equal(bed.stats.get("subnet[1].v6-allocation-fail")!.value, 1);
});

test("an IA_PD in a subnet without pd-pools gets NoPrefixAvail", async () => {
  const bed = await server6(config6({}, { "pd-pools": [] }));
  const r = await exchange6(bed, query6(M.DHCPV6_REQUEST, { ias: [{ pd: true }] }));
  assert.equal(statusOf(iasOf(r!.pkt)[0]!), StatusCode.NoPrefixAvail);
});

test("RENEW extends the client's lease", async () => {
  const bed = await server6(config6());
  await request(bed);
  const before = bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::10")!.clone();
  before.cltt -= 100;
  bed.leases.updateLease6(before);
  const r = await exchange6(bed, query6(M.DHCPV6_RENEW, { ias: [{ hints: ["2001:db8:1::10"] }] }));
  assert.deepEqual(leasesIn(iasOf(r!.pkt)[0]!), ["2001:db8:1::10"]);
  const after = bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::10")!;
  assert.ok(after.cltt >= before.cltt + 100);
});

test("RENEW of an unknown IA gets a new lease, its free hint first, as Kea 2.2's renewLeases6", async () => {
  const bed = await server6(config6());
  const r = await exchange6(bed, query6(M.DHCPV6_RENEW, { ias: [{ hints: ["2001:db8:1::11"] }] }));
  const ia = iasOf(r!.pkt)[0]!;
  assert.equal(statusOf(ia), undefined);
  assert.deepEqual(leasesIn(ia), ["2001:db8:1::11"]);
  assert.equal(ia.getT1(), 1000);
  const lease = bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::11")!;
  assert.deepEqual(lease.duid, CLIENT_DUID);
});

test("RENEW of an unknown IA when the pool is full gets NoAddrsAvail with Kea's renewal text", async () => {
  const bed = await server6(config6());
  for (const [i, a] of ["2001:db8:1::10", "2001:db8:1::11", "2001:db8:1::12"].entries()) {
    await request(bed, a, 1, Buffer.from(`000300010200000000f${i}`, "hex"));
  }
  const r = await exchange6(bed, query6(M.DHCPV6_RENEW, { ias: [{ hints: ["2001:db8:1::11"] }] }));
  const ia = iasOf(r!.pkt)[0]!;
  assert.equal(statusOf(ia), StatusCode.NoAddrsAvail);
  const text = ia.getOption(D6O.STATUS_CODE)!.getData().toString("utf8", 2);
  assert.equal(text, "Sorry, no addresses could be assigned at this time.");
  // The address named, someone else's, comes back with lifetimes 0.
  const named = ia.getOptions(D6O.IAADDR) as Option6IAAddr[];
  assert.deepEqual(
    named.map((a) => [a.getAddress(), a.getValid()]),
    [["2001:db8:1::11", 0]],
  );
});

test("RENEW returns an address that is not the client's with lifetimes 0", async () => {
  const bed = await server6(config6());
  await request(bed);
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_RENEW, { ias: [{ hints: ["2001:db8:1::10", "2001:db8:1::99"] }] }),
  );
  const ia = iasOf(r!.pkt)[0]!;
  assert.deepEqual(leasesIn(ia), ["2001:db8:1::10"]);
  assert.equal(ia.getOptions(D6O.IAADDR).length, 2);
});

test("REBIND extends the client's lease and its prefix", async () => {
  const bed = await server6(config6());
  await exchange6(bed, query6(M.DHCPV6_REQUEST, { ias: [{}, { pd: true }] }));
  const r = await exchange6(bed, query6(M.DHCPV6_REBIND, { ias: [{}, { pd: true }] }));
  const [na, pd] = iasOf(r!.pkt);
  assert.deepEqual(leasesIn(na!), ["2001:db8:1::10"]);
  assert.deepEqual(leasesIn(pd!), ["2001:db8:8::/60"]);
});

test("REBIND of an unknown IA with an address off the link gets a new lease, and that address with lifetimes 0", async () => {
  const bed = await server6(config6());
  const r = await exchange6(bed, query6(M.DHCPV6_REBIND, { ias: [{ hints: ["2001:db8:99::1"] }] }));
  const ia = iasOf(r!.pkt)[0]!;
  assert.equal(statusOf(ia), undefined);
  const named = ia.getOptions(D6O.IAADDR) as Option6IAAddr[];
  assert.deepEqual(
    named.map((a) => [a.getAddress(), a.getValid()]),
    [
      ["2001:db8:1::10", 4000],
      ["2001:db8:99::1", 0],
    ],
  );
});

test("RELEASE removes the lease and says Success", async () => {
  const bed = await server6(config6());
  await request(bed);
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_RELEASE, { ias: [{ hints: ["2001:db8:1::10"] }] }),
  );
  assert.equal(r!.pkt.getType(), M.DHCPV6_REPLY);
  assert.equal(statusOf(iasOf(r!.pkt)[0]!), StatusCode.Success);
  assert.equal(statusOf(r!.pkt), StatusCode.Success);
  assert.equal(bed.leases.size, 0);
  assert.equal(bed.stats.get("subnet[1].assigned-nas")!.value, 0);
});

test("RELEASE of another client's address gets NoBinding and keeps the lease", async () => {
  const bed = await server6(config6());
  await request(bed);
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_RELEASE, { duid: OTHER_DUID, ias: [{ hints: ["2001:db8:1::10"] }] }),
  );
  assert.equal(statusOf(iasOf(r!.pkt)[0]!), StatusCode.NoBinding);
  assert.equal(statusOf(r!.pkt), StatusCode.NoBinding);
  assert.equal(bed.leases.size, 1);
});

test("DECLINE sets the address aside for the probation period", async () => {
  const bed = await server6(config6({ "decline-probation-period": 3600 }));
  await request(bed);
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_DECLINE, { ias: [{ hints: ["2001:db8:1::10"] }] }),
  );
  assert.equal(statusOf(iasOf(r!.pkt)[0]!), StatusCode.Success);
  const lease = bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::10")!;
  assert.equal(lease.state, LeaseState.DECLINED);
  assert.equal(lease.validLifetime, 3600);
  assert.ok(lease.hasEmptyDuid());
  assert.equal(bed.stats.get("declined-addresses")!.value, 1);
  // Nobody gets it meanwhile.
  const other = await exchange6(
    bed,
    query6(M.DHCPV6_SOLICIT, { duid: OTHER_DUID, ias: [{ hints: ["2001:db8:1::10"] }] }),
  );
  assert.notDeepEqual(leasesIn(iasOf(other!.pkt)[0]!), ["2001:db8:1::10"]);
});

test("DECLINE of an address the client does not hold gets NoBinding", async () => {
  const bed = await server6(config6());
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_DECLINE, { ias: [{ hints: ["2001:db8:1::10"] }] }),
  );
  assert.equal(statusOf(iasOf(r!.pkt)[0]!), StatusCode.NoBinding);
});

test("CONFIRM of addresses on the link says Success, of others NotOnLink", async () => {
  const bed = await server6(config6());
  const on = await exchange6(
    bed,
    query6(M.DHCPV6_CONFIRM, { ias: [{ hints: ["2001:db8:1::10"] }] }),
  );
  assert.equal(on!.pkt.getType(), M.DHCPV6_REPLY);
  assert.equal(statusOf(on!.pkt), StatusCode.Success);
  assert.equal(iasOf(on!.pkt).length, 0);
  const off = await exchange6(
    bed,
    query6(M.DHCPV6_CONFIRM, { ias: [{ hints: ["2001:db8:2::10"] }] }),
  );
  assert.equal(statusOf(off!.pkt), StatusCode.NotOnLink);
});

test("CONFIRM texts are Kea's: the first address off the link is named", async () => {
  const bed = await server6(config6());
  const text = (r: Awaited<ReturnType<typeof exchange6>>) =>
    r!.pkt.getOption(D6O.STATUS_CODE)!.getData().toString("utf8", 2);
  const ok = await exchange6(
    bed,
    query6(M.DHCPV6_CONFIRM, { ias: [{ hints: ["2001:db8:1::10"] }] }),
  );
  assert.equal(text(ok), "All addresses are on-link");
  const off = await exchange6(
    bed,
    query6(M.DHCPV6_CONFIRM, {
      ias: [{ hints: ["2001:db8:1::10", "2001:db8:5::1", "2001:db8:6::1"] }],
    }),
  );
  assert.equal(statusOf(off!.pkt), StatusCode.NotOnLink);
  assert.equal(text(off), "Address 2001:db8:5::1 is not on link.");
});

test("CONFIRM without addresses gets no reply", async () => {
  const bed = await server6(config6());
  assert.equal(await exchange6(bed, query6(M.DHCPV6_CONFIRM, { ias: [{}] })), null);
});

test("INFORMATION-REQUEST gets the configured options and no IA", async () => {
  const bed = await server6(
    config6({ "option-data": [{ name: "domain-search", data: "example.org" }] }),
  );
  const r = await exchange6(bed, query6(M.DHCPV6_INFORMATION_REQUEST, { oro: [23, 24] }));
  assert.equal(r!.pkt.getType(), M.DHCPV6_REPLY);
  assert.notEqual(r!.pkt.getOption(D6O.NAME_SERVERS), undefined);
  assert.notEqual(r!.pkt.getOption(D6O.DOMAIN_SEARCH), undefined);
  assert.equal(iasOf(r!.pkt).length, 0);
});

test("INFORMATION-REQUEST without a client identifier is answered", async () => {
  const bed = await server6(config6());
  const r = await exchange6(bed, query6(M.DHCPV6_INFORMATION_REQUEST, { duid: null }));
  assert.equal(r!.pkt.getType(), M.DHCPV6_REPLY);
});

test("INFORMATION-REQUEST with an IA is discarded", async () => {
  const bed = await server6(config6());
  assert.equal(await exchange6(bed, query6(M.DHCPV6_INFORMATION_REQUEST, { ias: [{}] })), null);
});

test("a client DUID is required in SOLICIT, REQUEST, RENEW, REBIND, RELEASE, DECLINE and CONFIRM", async () => {
  const bed = await server6(config6());
  for (const t of [
    M.DHCPV6_SOLICIT,
    M.DHCPV6_REQUEST,
    M.DHCPV6_RENEW,
    M.DHCPV6_REBIND,
    M.DHCPV6_RELEASE,
    M.DHCPV6_DECLINE,
    M.DHCPV6_CONFIRM,
  ]) {
    assert.equal(
      await exchange6(bed, query6(t, { duid: null, ias: [{ hints: ["2001:db8:1::10"] }] })),
      null,
      `type ${t}`,
    );
  }
  assert.equal(bed.stats.get("pkt6-receive-drop")!.value, 7);
});

test("REQUEST, RENEW, RELEASE and DECLINE without our server identifier are discarded", async () => {
  const bed = await server6(config6());
  for (const t of [M.DHCPV6_REQUEST, M.DHCPV6_RENEW, M.DHCPV6_RELEASE, M.DHCPV6_DECLINE]) {
    assert.equal(await exchange6(bed, query6(t, { serverId: null })), null);
    assert.equal(await exchange6(bed, query6(t, { serverId: OTHER_DUID })), null);
  }
});

test("SOLICIT, REBIND and CONFIRM carrying a server identifier are discarded", async () => {
  const bed = await server6(config6());
  for (const t of [M.DHCPV6_SOLICIT, M.DHCPV6_REBIND, M.DHCPV6_CONFIRM]) {
    assert.equal(
      await exchange6(
        bed,
        query6(t, { serverId: SERVER_DUID, ias: [{ hints: ["2001:db8:1::10"] }] }),
      ),
      null,
    );
  }
});

test("a REQUEST sent by unicast without a unicast address configured gets UseMulticast", async () => {
  const bed = await server6(config6());
  const r = await exchange6(bed, query6(M.DHCPV6_REQUEST), "2001:db8:1::77", "2001:db8:1::1");
  assert.equal(r!.pkt.getType(), M.DHCPV6_REPLY);
  assert.equal(statusOf(r!.pkt), StatusCode.UseMulticast);
  assert.equal(iasOf(r!.pkt).length, 0);
  assert.equal(bed.leases.size, 0);
});

test("a SOLICIT sent by unicast is discarded", async () => {
  const bed = await server6(config6());
  assert.equal(
    await exchange6(bed, query6(M.DHCPV6_SOLICIT), "2001:db8:1::77", "2001:db8:1::1"),
    null,
  );
});

test("a REQUEST sent by unicast to an interface configured with a unicast address is served", async () => {
  const bed = await server6(
    config6({ "interfaces-config": { interfaces: ["eth0/2001:db8:1::1"] } }),
  );
  const r = await exchange6(bed, query6(M.DHCPV6_REQUEST), "2001:db8:1::77", "2001:db8:1::1");
  assert.deepEqual(leasesIn(iasOf(r!.pkt)[0]!), ["2001:db8:1::10"]);
});

test("SOLICIT, CONFIRM, REBIND and INFORMATION-REQUEST by unicast are discarded even at the configured unicast address (Kea's testUnicast)", async () => {
  const bed = await server6(
    config6({ "interfaces-config": { interfaces: ["eth0/2001:db8:1::1"] } }),
  );
  for (const t of [
    M.DHCPV6_SOLICIT,
    M.DHCPV6_CONFIRM,
    M.DHCPV6_REBIND,
    M.DHCPV6_INFORMATION_REQUEST,
  ]) {
    const ias = t === M.DHCPV6_INFORMATION_REQUEST ? [] : [{ hints: ["2001:db8:1::10"] }];
    const q = query6(t, { ias });
    assert.equal(await exchange6(bed, q, "2001:db8:1::77", "2001:db8:1::1"), null, `type ${t}`);
    assert.equal(await exchange6(bed, q, "fe80::77", "fe80::1"), null, `type ${t} link-local`);
  }
});

test("a REQUEST sent by unicast to the server's link-local address is served, as Kea", async () => {
  const bed = await server6(config6());
  const r = await exchange6(bed, query6(M.DHCPV6_REQUEST), "fe80::77", "fe80::1");
  assert.equal(statusOf(r!.pkt), undefined);
  assert.deepEqual(leasesIn(iasOf(r!.pkt)[0]!), ["2001:db8:1::10"]);
});

test("a RENEW sent to a global address other than the configured unicast one gets UseMulticast", async () => {
  const bed = await server6(
    config6({ "interfaces-config": { interfaces: ["eth0/2001:db8:1::1"] } }),
  );
  const q = query6(M.DHCPV6_RENEW, { serverId: SERVER_DUID, ias: [{ hints: ["2001:db8:1::10"] }] });
  const r = await exchange6(bed, q, "2001:db8:1::77", "2001:db8:1::5");
  assert.equal(statusOf(r!.pkt), StatusCode.UseMulticast);
  assert.equal(iasOf(r!.pkt).length, 0);
});

test("a relayed SOLICIT is answered with a RELAY-REPL through every relay level, interface-id echoed", async () => {
  const bed = await server6(config6({}, { interface: undefined, "interface-id": "port-7" }));
  const data = query6(M.DHCPV6_SOLICIT, {
    relays: [{ link: "2001:db8:99::1" }, { link: "::", interfaceId: "port-7" }],
  });
  const r = await exchange6(bed, data, RELAY_ADDR, RELAY_ADDR);
  assert.equal(r!.reply.address, RELAY_ADDR);
  assert.equal(r!.reply.port, 547);
  const p = r!.pkt;
  assert.equal(p.relayInfo.length, 2);
  for (const level of p.relayInfo) assert.equal(level.msgType, M.DHCPV6_RELAY_REPL);
  assert.equal(p.relayInfo[0]!.linkAddr, "2001:db8:99::1");
  assert.deepEqual(p.getRelayOption(D6O.INTERFACE_ID, 1)!.getData(), Buffer.from("port-7"));
  assert.equal(p.getType(), M.DHCPV6_ADVERTISE);
  assert.deepEqual(leasesIn(iasOf(p)[0]!), ["2001:db8:1::10"]);
});

test("replies go to port 546 for a direct client, 547 for a relay, and to the -P port when given", async () => {
  const bed = await server6(config6());
  assert.equal((await exchange6(bed, query6(M.DHCPV6_SOLICIT)))!.reply.port, 546);
  const relayed = query6(M.DHCPV6_SOLICIT, { relays: [{ link: "2001:db8:1::1" }] });
  assert.equal((await exchange6(bed, relayed, RELAY_ADDR, RELAY_ADDR))!.reply.port, 547);
  const pinned = await server6(config6(), [], 10546);
  assert.equal((await exchange6(pinned, relayed, RELAY_ADDR, RELAY_ADDR))!.reply.port, 10546);
  assert.equal((await exchange6(pinned, query6(M.DHCPV6_SOLICIT)))!.reply.port, 10546);
});

test("a relayed query selects the subnet by the relay's link address or relay.ip-addresses", async () => {
  const bed = await server6(config6({}, { interface: undefined }));
  const byLink = await exchange6(
    bed,
    query6(M.DHCPV6_SOLICIT, { relays: [{ link: "2001:db8:1::1" }] }),
    RELAY_ADDR,
  );
  assert.deepEqual(leasesIn(iasOf(byLink!.pkt)[0]!), ["2001:db8:1::10"]);
  const other = await server6(
    config6({}, { interface: undefined, relay: { "ip-addresses": ["2001:db8:77::1"] } }),
  );
  const byRelay = await exchange6(
    other,
    query6(M.DHCPV6_SOLICIT, { relays: [{ link: "2001:db8:77::1" }] }),
    RELAY_ADDR,
  );
  assert.deepEqual(leasesIn(iasOf(byRelay!.pkt)[0]!), ["2001:db8:1::10"]);
  const none = await exchange6(
    bed,
    query6(M.DHCPV6_SOLICIT, { relays: [{ link: "2001:db8:5::1" }] }),
    RELAY_ADDR,
  );
  assert.equal(statusOf(iasOf(none!.pkt)[0]!), StatusCode.NoAddrsAvail);
});

test("a reservation by DUID gives its address and prefix, and nobody else gets them", async () => {
  const bed = await server6(
    config6(
      {},
      {
        reservations: [
          {
            duid: CLIENT_DUID.toString("hex").replace(/(..)(?!$)/g, "$1:"),
            "ip-addresses": ["2001:db8:1::100"],
            prefixes: ["2001:db8:9::/64"],
          },
        ],
      },
    ),
  );
  const r = await exchange6(bed, query6(M.DHCPV6_REQUEST, { ias: [{}, { pd: true }] }));
  const [na, pd] = iasOf(r!.pkt);
  assert.deepEqual(leasesIn(na!), ["2001:db8:1::100"]);
  assert.deepEqual(leasesIn(pd!), ["2001:db8:9::/64"]);
  const other = await exchange6(
    bed,
    query6(M.DHCPV6_REQUEST, { duid: OTHER_DUID, ias: [{ hints: ["2001:db8:1::100"] }] }),
  );
  assert.notDeepEqual(leasesIn(iasOf(other!.pkt)[0]!), ["2001:db8:1::100"]);
});

test("a reservation by hw-address matches the link-layer address of the client's DUID", async () => {
  const bed = await server6(
    config6(
      {},
      {
        reservations: [{ "hw-address": "02:00:00:00:00:01", "ip-addresses": ["2001:db8:1::200"] }],
      },
    ),
  );
  const r = await exchange6(bed, query6(M.DHCPV6_SOLICIT));
  assert.deepEqual(leasesIn(iasOf(r!.pkt)[0]!), ["2001:db8:1::200"]);
});

test("statistics use Kea's v6 names", async () => {
  const bed = await server6(config6());
  await exchange6(bed, query6(M.DHCPV6_SOLICIT, { ias: [{}, { pd: true }] }));
  await exchange6(
    bed,
    query6(M.DHCPV6_REQUEST, {
      ias: [{ hints: ["2001:db8:1::10"] }, { pd: true, hints: ["2001:db8:8::/60"] }],
    }),
  );
  const v = (n: string) => bed.stats.get(n)?.value;
  assert.equal(v("pkt6-received"), 2);
  assert.equal(v("pkt6-solicit-received"), 1);
  assert.equal(v("pkt6-request-received"), 1);
  assert.equal(v("pkt6-advertise-sent"), 1);
  assert.equal(v("pkt6-reply-sent"), 1);
  assert.equal(v("pkt6-sent"), 2);
  assert.equal(v("subnet[1].total-nas"), 3n);
  assert.equal(v("subnet[1].total-pds"), 16n);
  assert.equal(v("subnet[1].assigned-nas"), 1);
  assert.equal(v("subnet[1].assigned-pds"), 1);
  assert.equal(v("cumulative-assigned-nas"), 1);
  assert.equal(v("cumulative-assigned-pds"), 1);
});

test("a packet that does not parse is counted and dropped", async () => {
  const bed = await server6(config6());
  assert.equal(await exchange6(bed, Buffer.from([1, 0, 0, 1, 0, 1, 0, 50])), null);
  assert.equal(bed.stats.get("pkt6-parse-failed")!.value, 1);
  assert.equal(bed.stats.get("pkt6-receive-drop")!.value, 1);
  // Every datagram received is counted, one that does not parse included (no type counted).
  assert.equal(bed.stats.get("pkt6-received")!.value, 1);
  assert.equal(bed.stats.get("pkt6-unknown-received")!.value, 0);
});

test("a reply parses as the client would read it", async () => {
  const bed = await server6(config6());
  const r = await exchange6(bed, query6(M.DHCPV6_SOLICIT));
  assert.ok(Pkt6.parse(r!.reply.data).getOption(D6O.IA_NA) !== undefined);
});
