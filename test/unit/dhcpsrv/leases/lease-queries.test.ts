/** The lease stores' queries for lease_cmds: identifiers across subnets, hostnames, pages. */
import assert from "node:assert/strict";
import { test } from "node:test";

import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { Lease4 } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { Lease6, LeaseType6 } from "../../../../src/dhcpsrv/leases/lease6.ts";
import { MemfileLeaseStore4 } from "../../../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { MemfileLeaseStore6 } from "../../../../src/dhcpsrv/leases/memfile-lease-store6.ts";

const MAC = HWAddr.fromText("02:00:00:00:00:01");

function lease4(address: string, subnetId: number, hostname = "", mac = MAC): Lease4 {
  return new Lease4({
    address,
    hwaddr: mac,
    clientId: Buffer.from([1, 2, 3]),
    validLifetime: 3600,
    cltt: 1_000_000,
    subnetId,
    hostname,
  });
}

test("v4: hardware address and client id across subnets, subnet by subnet in id order", async () => {
  const store = MemfileLeaseStore4.open({ persist: false });
  store.addLease4(lease4("203.0.113.5", 2));
  store.addLease4(lease4("198.51.100.9", 1));
  store.addLease4(lease4("198.51.100.7", 1));
  store.addLease4(lease4("198.51.100.8", 1, "", HWAddr.fromText("02:00:00:00:00:02")));
  const addresses = (ls: Lease4[]) => ls.map((l) => l.address);
  assert.deepEqual(addresses(store.getLeases4ByHwAddr(MAC)), [
    "198.51.100.9",
    "198.51.100.7",
    "203.0.113.5",
  ]);
  assert.deepEqual(addresses(store.getLeases4ByHwAddr(MAC, 2)), ["203.0.113.5"]);
  assert.equal(store.getLeases4ByClientId(Buffer.from([1, 2, 3])).length, 4);
  assert.deepEqual(store.getLeases4ByClientId(Buffer.from([9])), []);
  await store.close();
});

test("v4: the hostname index follows renewals that change the name, and deletions", async () => {
  const store = MemfileLeaseStore4.open({ persist: false });
  store.addLease4(lease4("198.51.100.7", 1, "a.example.org"));
  store.addLease4(lease4("198.51.100.8", 1, "a.example.org"));
  assert.equal(store.getLeases4ByHostname("a.example.org").length, 2);
  const renewed = store.getLease4("198.51.100.7")!.clone();
  renewed.hostname = "b.example.org";
  store.updateLease4(renewed);
  assert.deepEqual(
    store.getLeases4ByHostname("a.example.org").map((l) => l.address),
    ["198.51.100.8"],
  );
  assert.deepEqual(
    store.getLeases4ByHostname("b.example.org").map((l) => l.address),
    ["198.51.100.7"],
  );
  store.deleteLease4(renewed);
  assert.deepEqual(store.getLeases4ByHostname("b.example.org"), []);
  await store.close();
});

test("v4: pages in address order (unsigned: 203.x after 198.x), get-all in address order", async () => {
  const store = MemfileLeaseStore4.open({ persist: false });
  for (const a of ["203.0.113.1", "198.51.100.200", "198.51.100.3", "198.18.0.1"]) {
    store.addLease4(lease4(a, 1));
  }
  const page = (after: string | null, n: number) =>
    store.getLeases4Page(after, n).map((l) => l.address);
  assert.deepEqual(page(null, 2), ["198.18.0.1", "198.51.100.3"]);
  assert.deepEqual(page("198.51.100.3", 2), ["198.51.100.200", "203.0.113.1"]);
  assert.deepEqual(page("198.51.100.4", 5), ["198.51.100.200", "203.0.113.1"]);
  assert.deepEqual(page("203.0.113.1", 5), []);
  assert.throws(() => store.getLeases4Page("nonsense", 5), /not an IPv4 address/);
  store.deleteLease4(lease4("198.51.100.200", 1));
  assert.deepEqual(
    store.getAllLeases4().map((l) => l.address),
    ["198.18.0.1", "198.51.100.3", "203.0.113.1"],
  );
  await store.close();
});

function lease6(address: string, type: number = LeaseType6.IA_NA, hostname = ""): Lease6 {
  return new Lease6({
    address,
    type,
    prefixLen: type === LeaseType6.IA_PD ? 48 : 128,
    duid: Buffer.from([1, 2, 3, 4]),
    iaid: 1,
    preferredLifetime: 300,
    validLifetime: 600,
    cltt: 1_000_000,
    subnetId: 1,
    hostname,
  });
}

test("v6: pages in address byte order whatever the type, and the hostname index", async () => {
  const store = MemfileLeaseStore6.open({ persist: false });
  store.addLease6(lease6("2001:db8:100::", LeaseType6.IA_PD));
  store.addLease6(lease6("2001:db8:1::10", LeaseType6.IA_NA, "h.example.org"));
  store.addLease6(lease6("2001:db8:1::9"));
  store.addLease6(lease6("2001:db8:1:0:1::"));
  const page = (after: string | null, n: number) =>
    store.getLeases6Page(after, n).map((l) => l.address);
  assert.deepEqual(page(null, 3), ["2001:db8:1::9", "2001:db8:1::10", "2001:db8:1:0:1::"]);
  assert.deepEqual(page("2001:db8:1:0:1::", 3), ["2001:db8:100::"]);
  assert.deepEqual(page("2001:0db8:0001::0010", 1), ["2001:db8:1:0:1::"], "any spelling");
  assert.throws(() => store.getLeases6Page("198.51.100.1", 1), /not an IPv6 address/);
  assert.deepEqual(
    store.getLeases6ByHostname("h.example.org").map((l) => l.address),
    ["2001:db8:1::10"],
  );
  await store.close();
});
