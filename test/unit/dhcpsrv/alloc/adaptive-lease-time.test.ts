// adaptive-lease-time-threshold (Kea 3; Kea 2.2 does not have it, so there is no side-by-side
// run): above the threshold share of a pool in running leases, a new lease gets the minimum
// valid lifetime and a renewed one the minimum or what it still had, whichever is longer. The
// cases are those of Kea 3's own tests: a pool of 4, threshold .5, lifetimes 100/200/300. The
// share is read from the pool's statistics (assigned-addresses, assigned-nas), not by walking
// its leases: the leases these tests write behind the server's back are recounted (as at a
// reconfiguration) before the query.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DHO } from "../../../../src/dhcp/constants.ts";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { Option6IAAddr } from "../../../../src/dhcp/option6-ia.ts";
import { Lease4, LeaseState } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { Lease6, LeaseType6 } from "../../../../src/dhcpsrv/leases/lease6.ts";
import {
  SERVER_ADDR,
  T,
  config4,
  exchange,
  query4,
  server4,
  type Server4Bed,
} from "../../../helpers/dhcp4.ts";
import { M, config6, exchange6, iasOf, query6, server6 } from "../../../helpers/dhcp6.ts";

const LIFETIMES = {
  "min-valid-lifetime": 100,
  "valid-lifetime": 200,
  "max-valid-lifetime": 300,
  "adaptive-lease-time-threshold": 0.5,
  "renew-timer": 40,
  "rebind-timer": 80,
};
const POOL4 = { pools: [{ pool: "198.51.100.11 - 198.51.100.14" }] };

const now = () => Math.floor(Date.now() / 1000);

/** A lease of another client written in the store; `state` e.g. reclaimed. */
function held4(bed: Server4Bed, address: string, n: number, age = 0, state?: number): void {
  const mac = HWAddr.fromText(`02:00:00:00:aa:${n.toString(16).padStart(2, "0")}`);
  bed.leases.addLease4(
    new Lease4({
      address,
      hwaddr: mac,
      clientId: null,
      validLifetime: 600,
      cltt: now() - age,
      subnetId: 1,
      ...(state === undefined ? {} : { state }),
    }),
  );
}

/** The statistics recounted from the store, as at a reconfiguration. */
function recount(bed: { srv: { setModel(m: never): void; getModel(): unknown } }): void {
  bed.srv.setModel(bed.srv.getModel() as never);
}

async function lifetime4(bed: Server4Bed, requested: string, mac = "02:00:00:00:00:01") {
  const r = await exchange(bed, query4(T.DHCPREQUEST, { mac, requested, serverId: SERVER_ADDR }));
  assert.equal(r!.pkt.getType(), T.DHCPACK);
  assert.equal(r!.pkt.yiaddr, requested);
  return r!.pkt.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0);
}

function age4(bed: Server4Bed, address: string, secs: number): void {
  const l = bed.leases.getLease4(address)!.clone();
  l.cltt -= secs;
  bed.leases.updateLease4(l);
}

test("dhcp4: a pool in little use gives valid-lifetime", async () => {
  const bed = await server4(config4(LIFETIMES, POOL4));
  assert.equal(await lifetime4(bed, "198.51.100.14"), 200);
});

test("dhcp4: above the threshold a new lease gets min-valid-lifetime", async () => {
  const bed = await server4(config4(LIFETIMES, POOL4));
  held4(bed, "198.51.100.11", 1);
  held4(bed, "198.51.100.12", 2);
  held4(bed, "198.51.100.13", 3);
  recount(bed);
  // The pool's statistic is what is read: not a walk of its leases.
  bed.leases.getLeases4Page = () => {
    throw new Error("the pool's leases are walked");
  };
  assert.equal(await lifetime4(bed, "198.51.100.14"), 100);
});

test("dhcp4: reclaimed leases do not count", async () => {
  const bed = await server4(config4(LIFETIMES, POOL4));
  held4(bed, "198.51.100.11", 1, 1000, LeaseState.EXPIRED_RECLAIMED);
  held4(bed, "198.51.100.12", 2, 1000, LeaseState.EXPIRED_RECLAIMED);
  held4(bed, "198.51.100.13", 3);
  recount(bed);
  assert.equal(await lifetime4(bed, "198.51.100.14"), 200);
});

test("dhcp4: an expired lease counts until it is reclaimed, as the pool's assigned-addresses", async () => {
  const bed = await server4(config4(LIFETIMES, POOL4));
  held4(bed, "198.51.100.11", 1, 1000);
  held4(bed, "198.51.100.12", 2, 1000);
  held4(bed, "198.51.100.13", 3);
  recount(bed);
  assert.equal(bed.stats.get("subnet[1].pool[0].assigned-addresses")!.value, 3);
  assert.equal(await lifetime4(bed, "198.51.100.14"), 100);
});

test("dhcp4: a renewal in a full pool gets the minimum or what it had left, the longer", async () => {
  const bed = await server4(config4(LIFETIMES, POOL4));
  assert.equal(await lifetime4(bed, "198.51.100.14"), 200);
  age4(bed, "198.51.100.14", 150);
  // One lease of four: under the threshold.
  assert.equal(await lifetime4(bed, "198.51.100.14"), 200);
  held4(bed, "198.51.100.11", 1);
  held4(bed, "198.51.100.12", 2);
  held4(bed, "198.51.100.13", 3);
  recount(bed);
  // Full: 200 s granted 50 s ago, 150 left, more than the minimum.
  age4(bed, "198.51.100.14", 50);
  const left = await lifetime4(bed, "198.51.100.14");
  assert.ok(left >= 148 && left <= 150, String(left));
  // Nothing left: the minimum.
  age4(bed, "198.51.100.14", 150);
  assert.equal(await lifetime4(bed, "198.51.100.14"), 100);
});

test("dhcp4: a subnet's threshold over the global one; none = no adaptation", async () => {
  const bed = await server4(config4(LIFETIMES, { ...POOL4, "adaptive-lease-time-threshold": 1 }));
  held4(bed, "198.51.100.11", 1);
  held4(bed, "198.51.100.12", 2);
  held4(bed, "198.51.100.13", 3);
  recount(bed);
  // 3 of 4 is not above 1.
  assert.equal(await lifetime4(bed, "198.51.100.14"), 200);
});

test("dhcp6: above the threshold a new lease gets the minimum lifetimes", async () => {
  const config = config6(
    { ...LIFETIMES, "min-preferred-lifetime": 50, "preferred-lifetime": 150 },
    { pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::13" }] },
  );
  const bed = await server6(config);
  const duid = Buffer.from("0003000102000000bb00", "hex");
  for (let i = 0; i < 3; i++) {
    bed.leases.addLease6(
      new Lease6({
        address: `2001:db8:1::1${i}`,
        type: LeaseType6.IA_NA,
        prefixLen: 128,
        duid: Buffer.from(`0003000102000000bb0${i + 1}`, "hex"),
        iaid: 1,
        preferredLifetime: 600,
        validLifetime: 600,
        cltt: now(),
        subnetId: 1,
      }),
    );
  }
  recount(bed);
  bed.leases.getLeases6BySubnet = () => {
    throw new Error("the subnet's leases are walked");
  };
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_REQUEST, { duid, relays: [{ link: "2001:db8:1::1" }] }),
    "2001:db8:1::1",
  );
  const [ia] = iasOf(r!.pkt);
  const lease = ia!.getOptions().find((o) => o instanceof Option6IAAddr)!;
  assert.equal(lease.getAddress(), "2001:db8:1::13");
  assert.equal(lease.getValid(), 100);
  assert.equal(lease.getPreferred(), 50);
});
