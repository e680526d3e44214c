// sanity-checks.lease-checks on loaded leases: each mode, the lease's subnet-id fixed or the
// lease dropped, and Kea's message IDs in the log.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ipv4FromString } from "../../../../src/dhcp/ioaddress.ts";
import { LogManager } from "../../../../src/log/logger.ts";
import {
  leaseSanityCheck,
  numberCheck4,
  prefixCheck6,
  type LeaseCheckMode,
  type SanitySubnet,
} from "../../../../src/dhcpsrv/runtime/lease-sanity.ts";

const SUBNETS: SanitySubnet<number>[] = [
  { id: 1, inRange: (a) => a >>> 8 === ipv4FromString("198.51.100.0") >>> 8 },
  { id: 2, inRange: (a) => a >>> 8 === ipv4FromString("203.0.113.0") >>> 8 },
];

/** The three leases: sane, in the wrong subnet, in no subnet; what each mode leaves and logs. */
function run(mode: LeaseCheckMode) {
  const lines: string[] = [];
  const logs = new LogManager("nestor-dhcp4");
  logs.configure([{ name: "nestor-dhcp4", severity: "INFO", outputs: [(l) => lines.push(l)] }]);
  const check = leaseSanityCheck(mode, SUBNETS, ipv4FromString, logs.getLogger("dhcpsrv"));
  const leases = [
    { address: "198.51.100.10", subnetId: 1 },
    { address: "203.0.113.10", subnetId: 1 },
    { address: "198.18.0.10", subnetId: 2 },
  ];
  if (check === null) return { kept: leases, ids: [] as string[] };
  const kept = leases.filter((l) => check(l));
  const ids = lines.map((l) => /\] (\S+)/.exec(l)![1]!);
  return { kept, ids };
}

test("none checks nothing", () => {
  assert.deepEqual(
    run("none").kept.map((l) => l.subnetId),
    [1, 1, 2],
  );
});

test("warn keeps every lease as it is and warns of the two", () => {
  const r = run("warn");
  assert.deepEqual(
    r.kept.map((l) => [l.address, l.subnetId]),
    [
      ["198.51.100.10", 1],
      ["203.0.113.10", 1],
      ["198.18.0.10", 2],
    ],
  );
  assert.deepEqual(r.ids, ["DHCPSRV_LEASE_SANITY_FAIL", "DHCPSRV_LEASE_SANITY_FAIL"]);
});

test("fix moves the lease to the subnet holding its address and keeps the one no subnet holds", () => {
  const r = run("fix");
  assert.deepEqual(
    r.kept.map((l) => [l.address, l.subnetId]),
    [
      ["198.51.100.10", 1],
      ["203.0.113.10", 2],
      ["198.18.0.10", 2],
    ],
  );
  assert.deepEqual(r.ids, ["DHCPSRV_LEASE_SANITY_FIXED", "DHCPSRV_LEASE_SANITY_FAIL"]);
});

test("fix-del moves what it can and drops the rest", () => {
  const r = run("fix-del");
  assert.deepEqual(
    r.kept.map((l) => [l.address, l.subnetId]),
    [
      ["198.51.100.10", 1],
      ["203.0.113.10", 2],
    ],
  );
  assert.deepEqual(r.ids, ["DHCPSRV_LEASE_SANITY_FIXED", "DHCPSRV_LEASE_SANITY_FAIL_DISCARD"]);
});

test("del drops every lease that fails", () => {
  const r = run("del");
  assert.deepEqual(
    r.kept.map((l) => l.address),
    ["198.51.100.10"],
  );
  assert.deepEqual(r.ids, [
    "DHCPSRV_LEASE_SANITY_FAIL_DISCARD",
    "DHCPSRV_LEASE_SANITY_FAIL_DISCARD",
  ]);
});

test("v6 quick check: a lease whose address bytes are in its subnet's prefix, or a pd-pool's", () => {
  const subnets = [
    { id: 1, prefix: 0x20010db8000100000000000000000000n, prefixLen: 64, pdPools: [] },
    {
      id: 2,
      prefix: 0x20010db8000200000000000000000000n,
      prefixLen: 48,
      pdPools: [{ prefix: 0x20010db8ff0000000000000000000000n, prefixLen: 36 }],
    },
  ];
  const quick = prefixCheck6(subnets);
  const at = (text: string, subnetId: number) => {
    const bytes = new Uint8Array(32);
    bytes.set(Buffer.from(text.replace(/:/g, ""), "hex"), 16); // at offset 16, as in a column
    return { address: text, subnetId, addressBytes: bytes, addressOffset: 16 };
  };
  assert.equal(quick(at("20010db8000100000000000000000001", 1)), true);
  assert.equal(quick(at("20010db8000100010000000000000001", 1)), false, "outside the /64");
  assert.equal(quick(at("20010db8000100000000000000000001", 2)), false, "another subnet's");
  assert.equal(quick(at("20010db8000200ff0000000000000000", 2)), true);
  assert.equal(quick(at("20010db8ff0fff000000000000000000", 2)), true, "in the pd-pool's /36");
  assert.equal(quick(at("20010db8ef0000000000000000000000", 2)), false, "outside the /36");
  assert.equal(quick(at("20010db8000100000000000000000001", 9)), false, "unknown subnet-id");
  assert.equal(quick({ address: "2001:db8:1::1", subnetId: 1 }), false, "no bytes: full check");
});

test("a lease the quick check passes is kept without its address text being read", () => {
  const logs = new LogManager("nestor-dhcp6");
  let parsed = 0;
  const check = leaseSanityCheck(
    "del",
    [{ id: 1, inRange: () => false }],
    () => parsed++,
    logs.getLogger("dhcpsrv"),
    (l) => l.subnetId === 1,
  )!;
  const sane = {
    get address(): string {
      throw new Error("read");
    },
    subnetId: 1,
  };
  assert.equal(check(sane), true);
  assert.equal(parsed, 0);
  assert.equal(check({ address: "2001:db8::1", subnetId: 2 }), false, "the rest: the full check");
  assert.equal(parsed, 1);
});

test("v4 quick check: a lease whose address number is in the subnet its subnet-id names", () => {
  const quick = numberCheck4(SUBNETS);
  const at = (text: string, subnetId: number) => ({
    address: text,
    subnetId,
    addressNumber: ipv4FromString(text),
  });
  assert.equal(quick(at("198.51.100.10", 1)), true);
  assert.equal(quick(at("198.51.100.255", 1)), true);
  assert.equal(quick(at("203.0.113.10", 1)), false, "another subnet's: the full check");
  assert.equal(quick(at("203.0.113.10", 2)), true);
  assert.equal(quick(at("198.18.0.10", 2)), false, "in no subnet");
  assert.equal(quick(at("198.51.100.10", 9)), false, "unknown subnet-id");
  assert.equal(quick({ address: "198.51.100.10", subnetId: 1 }), false, "no number: full check");
  // With the check, each mode still decides the leases the quick form sends on.
  const logs = new LogManager("nestor-dhcp4");
  const check = leaseSanityCheck("fix-del", SUBNETS, ipv4FromString, logs.getLogger("x"), quick)!;
  const moved = at("203.0.113.10", 1);
  const kept = [at("198.51.100.10", 1), moved, at("198.18.0.10", 2)].filter((l) => check(l));
  assert.deepEqual(
    kept.map((l) => [l.address, l.subnetId]),
    [
      ["198.51.100.10", 1],
      ["203.0.113.10", 2],
    ],
  );
});
