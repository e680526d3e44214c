/**
 * The DHCPv4 statistics' recount at configuration from the memfile store's columns: each lease's
 * pool found on its address as a number, and the per-pool and per-subnet counters the same as
 * counted from leases, with no Lease4 made (a load of many leases would otherwise leave one
 * object per lease to the collector at every start and reconfiguration).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Dhcp4Stats } from "../../../src/dhcp4/stats4.ts";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import { ipv4ToString, ipv4FromString } from "../../../src/dhcp/ioaddress.ts";
import { HWAddr } from "../../../src/dhcp/hwaddr.ts";
import { Lease4, LeaseState } from "../../../src/dhcpsrv/leases/lease4.ts";
import type { LeaseStore4 } from "../../../src/dhcpsrv/leases/lease-store4.ts";
import { MemfileLeaseStore4 } from "../../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { buildDhcp4Model } from "../../../src/dhcpsrv/model/cfg4.ts";
import { StatsManager } from "../../../src/stats/stats-manager.ts";
import { seededRandom } from "../../helpers/random.ts";

const CONFIG = `{ "Dhcp4": { "subnet4": [
  { "id": 1, "subnet": "198.51.100.0/24",
    "pools": [ { "pool": "198.51.100.10 - 198.51.100.19", "pool-id": 1 },
               { "pool": "198.51.100.32/28", "pool-id": 2 },
               { "pool": "198.51.100.64 - 198.51.100.127" },
               { "pool": "198.51.100.200 - 198.51.100.209", "pool-id": 2 } ] },
  { "id": 2, "subnet": "203.0.113.0/24",
    "pools": [ { "pool": "203.0.113.0/25", "pool-id": 7 } ] } ] } }`;

function model() {
  const { config, source } = parseConfigText(CONFIG, 4, "kea.conf");
  return buildDhcp4Model(config, "kea.conf", source);
}

test("the v4 recount from the store's columns counts every pool and subnet as the leases would, without making one", () => {
  const m = model();
  const store = MemfileLeaseStore4.open({ persist: false });
  const next = seededRandom(11);
  const base1 = ipv4FromString("198.51.100.0");
  const base2 = ipv4FromString("203.0.113.0");
  // Every address of both subnets (in pools, between them, at their edges), in random states and
  // with pool ids that are right, wrong (the hint misses) or out of range.
  let n = 0;
  for (const [base, subnetId] of [
    [base1, 1],
    [base2, 2],
  ] as const) {
    for (let i = 0; i < 256; i++) {
      if (next() < 0.2) continue;
      const mac = Buffer.from([2, 0, 0, 0, n >> 8, n & 255]);
      store.addLease4(
        new Lease4({
          address: ipv4ToString(base + i),
          hwaddr: new HWAddr(mac, 1),
          validLifetime: 3600,
          cltt: 1_800_000_000,
          subnetId,
          poolId: Math.floor(next() * 6),
          state: [0, 0, 0, LeaseState.DECLINED, LeaseState.EXPIRED_RECLAIMED][
            Math.floor(next() * 5)
          ],
        }),
      );
      n++;
    }
  }
  const counted = (leases: LeaseStore4) => {
    const stats = new StatsManager();
    new Dhcp4Stats(stats).configure(m, leases);
    const out: Record<string, unknown> = {};
    for (const name of stats.names()) {
      if (/^subnet\[/.test(name) && /(assigned|declined)/.test(name)) {
        out[name] = stats.get(name)!.value;
      }
    }
    return out;
  };
  // The same store seen through the lease path only (as a store without columns).
  const byLeases = Object.create(store, {
    visitLeases4InSubnet: { value: undefined },
  }) as LeaseStore4;
  const want = counted(byLeases);
  assert.ok((want["subnet[1].pool[2].assigned-addresses"] as number) > 10);
  assert.ok((want["subnet[1].pool[2].declined-addresses"] as number) > 2);
  assert.ok((want["subnet[1].pool[0].assigned-addresses"] as number) > 20);
  assert.ok((want["subnet[2].pool[7].assigned-addresses"] as number) > 40);
  assert.ok((want["subnet[1].assigned-addresses"] as number) > 100);
  // The column path must not make leases: the lease-making iterators fail if called.
  const columnsOnly = Object.create(store, {
    eachLease4InSubnet: {
      value: () => assert.fail("eachLease4InSubnet made leases for the recount"),
    },
    getLeases4BySubnet: {
      value: () => assert.fail("getLeases4BySubnet made leases for the recount"),
    },
  }) as LeaseStore4;
  assert.deepEqual(counted(columnsOnly), want);
});
