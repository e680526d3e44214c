/**
 * The DHCPv6 statistics' recount at configuration from the memfile store's columns: each lease's
 * pool found on its address bytes (pool-bytes6.ts) as `Subnet6.poolOfLease` finds it on its text,
 * and the per-pool counters the same as counted from leases, with no Lease6 made.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Dhcp6Stats } from "../../../src/dhcp6/stats6.ts";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import { ipv6ToString, tryParseIPv6 } from "../../../src/dhcp/ioaddress.ts";
import { Lease6, LeaseState } from "../../../src/dhcpsrv/leases/lease6.ts";
import type { LeaseStore6 } from "../../../src/dhcpsrv/leases/lease-store6.ts";
import { MemfileLeaseStore6 } from "../../../src/dhcpsrv/leases/memfile-lease-store6.ts";
import { buildDhcp6Model } from "../../../src/dhcpsrv/model/cfg6.ts";
import { poolOfBytes6 } from "../../../src/dhcpsrv/model/pool-bytes6.ts";
import { bigToBytes16 } from "../../../src/dhcpsrv/model/subnet6.ts";
import { StatsManager } from "../../../src/stats/stats-manager.ts";
import { seededRandom } from "../../helpers/random.ts";

const CONFIG = `{ "Dhcp6": { "subnet6": [
  { "id": 1, "subnet": "2001:db8:1::/64",
    "pools": [ { "pool": "2001:db8:1::10 - 2001:db8:1::1f", "pool-id": 1 },
               { "pool": "2001:db8:1::100/120", "pool-id": 2 },
               { "pool": "2001:db8:1:0:8000::/65" } ],
    "pd-pools": [ { "prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 60, "pool-id": 3 },
                  { "prefix": "2001:db8:9::", "prefix-len": 48, "delegated-len": 64 },
                  { "prefix": "2001:db8:a:8000::", "prefix-len": 49, "delegated-len": 63 } ] },
  { "id": 2, "subnet": "2001:db8:2::/64",
    "pools": [ { "pool": "2001:db8:2::/112", "pool-id": 7 } ] } ] } }`;

function model() {
  const { config, source } = parseConfigText(CONFIG, 6, "kea.conf");
  return buildDhcp6Model(config, "kea.conf", source);
}

/** Addresses and prefixes around every pool's edges, and random ones in the subnets. */
function candidates(next: () => number): { type: number; address: string; len: number }[] {
  const out: { type: number; address: string; len: number }[] = [];
  const edges = [
    "2001:db8:1::f",
    "2001:db8:1::10",
    "2001:db8:1::1f",
    "2001:db8:1::20",
    "2001:db8:1::ff",
    "2001:db8:1::100",
    "2001:db8:1::1ff",
    "2001:db8:1::200",
    "2001:db8:1:0:7fff:ffff:ffff:ffff",
    "2001:db8:1:0:8000::",
    "2001:db8:1:0:ffff:ffff:ffff:ffff",
    "2001:db8:2::",
    "2001:db8:2::ffff",
    "2001:db8:2::1:0",
  ];
  for (const address of edges) out.push({ type: 0, address, len: 128 });
  const prefixes: [string, number][] = [
    ["2001:db8:8::", 60],
    ["2001:db8:8:f0::", 60],
    ["2001:db8:8:100::", 60],
    ["2001:db8:8:8::", 60], // bits past the delegated length set: no pool
    ["2001:db8:8::", 64],
    ["2001:db8:9:ffff::", 64],
    ["2001:db8:9::1", 64],
    ["2001:db8:a:8000::", 63],
    ["2001:db8:a:7ffe::", 63],
    ["2001:db8:a:fffe::", 63],
    ["2001:db8:a:ffff::", 63],
  ];
  for (const [address, len] of prefixes) out.push({ type: 2, address, len });
  for (let i = 0; i < 3000; i++) {
    const b = bigToBytes16(0x20010db8n << 96n);
    b[5] = Math.floor(next() * 12);
    for (let k = 6; k < 16; k++) b[k] = next() < 0.5 ? 0 : Math.floor(next() * 256);
    const pd = next() < 0.4;
    out.push({
      type: pd ? 2 : next() < 0.1 ? 1 : 0,
      address: ipv6ToString(b),
      len: pd ? [60, 63, 64, 56][Math.floor(next() * 4)]! : 128,
    });
  }
  return out;
}

describe("the v6 recount from the store's columns", () => {
  it("finds each lease's pool on its bytes as poolOfLease does on its text, hint first", () => {
    const next = seededRandom(19);
    for (const subnet of model().subnets) {
      const poolOf = poolOfBytes6(subnet);
      for (const c of candidates(next)) {
        // The address at an offset of a larger array, as a store's column holds it.
        const bytes = new Uint8Array(20);
        const at = 3;
        assert.ok(tryParseIPv6(c.address, bytes, at));
        const text = c.address;
        for (const hint of [0, 1, 2, 5]) {
          const pool = subnet.poolOfLease(c.type, text, c.len, hint);
          const want =
            pool === undefined ? -1 : pool.type === 2 ? subnet.pools.length + pool.id : pool.id;
          assert.equal(
            poolOf(c.type, bytes, at, c.len, hint),
            want,
            `${text}/${c.len} type ${c.type} hint ${hint} in subnet ${subnet.id}`,
          );
        }
      }
    }
  });

  it("counts every pool as the leases would, without making one", () => {
    const m = model();
    const store = MemfileLeaseStore6.open({ persist: false });
    const next = seededRandom(7);
    let n = 0;
    const inPools = Array.from({ length: 256 }, (_, i) => [
      { type: 0, address: `2001:db8:1::1${i.toString(16).padStart(2, "0")}`, len: 128 },
      { type: 0, address: `2001:db8:2::${(i * 97).toString(16)}`, len: 128 },
      { type: 2, address: `2001:db8:9:${(i * 31).toString(16)}::`, len: 64 },
    ]).flat();
    for (const c of [...inPools, ...candidates(next)]) {
      const lease = new Lease6({
        address: c.address,
        type: c.type,
        prefixLen: c.len,
        duid: Buffer.from([0, 2, n >> 8, n & 255]),
        iaid: n,
        preferredLifetime: 3000,
        validLifetime: 3600,
        cltt: 1_800_000_000,
        subnetId: c.address.startsWith("2001:db8:2:") ? 2 : 1,
        poolId: Math.floor(next() * 4),
        state: [0, 0, 0, LeaseState.DECLINED, LeaseState.EXPIRED_RECLAIMED][Math.floor(next() * 5)],
      });
      n++;
      store.addLease6(lease); // an address filed twice keeps its first lease
    }
    // The same store seen through the lease path only (as a store without columns).
    const byLeases: LeaseStore6 = Object.create(store, {
      visitLeases6InSubnet: { value: undefined },
    }) as LeaseStore6;
    const counted = (leases: LeaseStore6) => {
      const stats = new StatsManager();
      new Dhcp6Stats(stats).configure(m, leases);
      const out: Record<string, unknown> = {};
      for (const name of stats.names()) {
        if (/\.(pd-)?pool\[/.test(name)) out[name] = stats.get(name)!.value;
      }
      return out;
    };
    const want = counted(byLeases);
    assert.ok((want["subnet[1].pool[2].assigned-nas"] as number) > 50);
    assert.ok((want["subnet[1].pool[2].declined-addresses"] as number) > 10);
    assert.ok((want["subnet[1].pd-pool[0].assigned-pds"] as number) > 50);
    assert.ok((want["subnet[2].pool[7].assigned-nas"] as number) > 50);
    // The column path must not make leases: the lease-making iterators fail if called.
    const columnsOnly: LeaseStore6 = Object.create(store, {
      eachLease6InSubnet: {
        value: () => assert.fail("eachLease6InSubnet made leases for the recount"),
      },
      getLeases6BySubnet: {
        value: () => assert.fail("getLeases6BySubnet made leases for the recount"),
      },
    }) as LeaseStore6;
    assert.deepEqual(counted(columnsOnly), want);
  });
});
