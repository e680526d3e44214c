/**
 * Per-pool statistics of DHCPv6 as Kea 3 keeps them: `subnet[id].pool[pid].*` for the address
 * pools, `subnet[id].pd-pool[pid].*` for the prefix delegation pools (pid = `pool-id`, 0 when
 * absent), kept in step through real queries and recounted on reconfiguration.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { Reclaimer6 } from "../../../src/dhcp6/reclaimer.ts";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import { buildDhcp6Model } from "../../../src/dhcpsrv/model/cfg6.ts";
import {
  M,
  type Server6Bed,
  config6,
  exchange6,
  iasOf,
  leasesIn,
  query6,
  server6,
} from "../../helpers/dhcp6.ts";

const SUBNET = {
  pools: [
    { pool: "2001:db8:1::10 - 2001:db8:1::1f", "pool-id": 1 },
    { pool: "2001:db8:1::100/120", "pool-id": 2 },
  ],
  "pd-pools": [
    { prefix: "2001:db8:8::", "prefix-len": 56, "delegated-len": 60, "pool-id": 3 },
    { prefix: "2001:db8:9::", "prefix-len": 48, "delegated-len": 64 },
  ],
};

const val = (bed: Server6Bed, name: string) => bed.stats.get(name)?.value;

async function request(bed: Server6Bed, hints: { na?: string; pd?: string }, duidByte = 1) {
  const duid = Buffer.from(
    `00010001aabbccdd0200000000${duidByte.toString(16).padStart(2, "0")}`,
    "hex",
  );
  const ias = [
    ...(hints.na === undefined ? [] : [{ hints: [hints.na] }]),
    ...(hints.pd === undefined ? [] : [{ pd: true, hints: [hints.pd] }]),
  ];
  const r = await exchange6(bed, query6(M.DHCPV6_REQUEST, { duid, ias }));
  return iasOf(r!.pkt).flatMap(leasesIn);
}

test("v6 pools and pd-pools have Kea 3's statistics under their pool-id from the start", async () => {
  const bed = await server6(config6({}, SUBNET));
  assert.equal(val(bed, "subnet[1].pool[1].total-nas"), 16n);
  assert.equal(val(bed, "subnet[1].pool[2].total-nas"), 256n);
  assert.equal(val(bed, "subnet[1].pd-pool[3].total-pds"), 16n);
  assert.equal(val(bed, "subnet[1].pd-pool[0].total-pds"), 65536n);
  for (const name of [
    "assigned-nas",
    "cumulative-assigned-nas",
    "declined-addresses",
    "reclaimed-declined-addresses",
    "reclaimed-leases",
  ]) {
    assert.equal(val(bed, `subnet[1].pool[1].${name}`), 0, name);
  }
  for (const name of ["assigned-pds", "cumulative-assigned-pds", "reclaimed-leases"]) {
    assert.equal(val(bed, `subnet[1].pd-pool[3].${name}`), 0, name);
  }
  assert.equal(val(bed, "subnet[1].pd-pool[3].declined-addresses"), undefined);
});

test("v6 allocation, release and decline are counted in the lease's pool or pd-pool", async () => {
  const bed = await server6(config6({}, SUBNET));
  const got = await request(bed, { na: "2001:db8:1::105", pd: "2001:db8:9:7::/64" });
  assert.deepEqual(got, ["2001:db8:1::105", "2001:db8:9:7::/64"]);
  assert.equal(val(bed, "subnet[1].pool[2].assigned-nas"), 1);
  assert.equal(val(bed, "subnet[1].pool[2].cumulative-assigned-nas"), 1);
  assert.equal(val(bed, "subnet[1].pd-pool[0].assigned-pds"), 1);
  assert.equal(val(bed, "subnet[1].pd-pool[0].cumulative-assigned-pds"), 1);
  assert.equal(val(bed, "subnet[1].pd-pool[3].assigned-pds"), 0);
  assert.equal(val(bed, "subnet[1].pool[1].assigned-nas"), 0);
  const duid = Buffer.from("00010001aabbccdd020000000001", "hex");
  const release = query6(M.DHCPV6_RELEASE, {
    duid,
    ias: [{ pd: true, hints: ["2001:db8:9:7::/64"] }],
  });
  assert.ok(await exchange6(bed, release));
  assert.equal(val(bed, "subnet[1].pd-pool[0].assigned-pds"), 0);
  assert.equal(val(bed, "subnet[1].pd-pool[0].cumulative-assigned-pds"), 1);
  const decline = query6(M.DHCPV6_DECLINE, { duid, ias: [{ hints: ["2001:db8:1::105"] }] });
  assert.ok(await exchange6(bed, decline));
  assert.equal(val(bed, "subnet[1].pool[2].declined-addresses"), 1);
  assert.equal(val(bed, "subnet[1].declined-addresses"), 1);
});

test("v6 reclamation counts in the pool, and a reconfiguration recounts the pools from the leases", async () => {
  const bed = await server6(config6({}, SUBNET));
  await request(bed, { na: "2001:db8:1::11", pd: "2001:db8:8:10::/60" }, 1);
  await request(bed, { na: "2001:db8:1::12" }, 2);
  assert.equal(val(bed, "subnet[1].pool[1].assigned-nas"), 2);
  assert.equal(val(bed, "subnet[1].pd-pool[3].assigned-pds"), 1);
  const expired = bed.leases.getLease6(0, "2001:db8:1::12")!.clone();
  expired.cltt -= 10_000;
  bed.leases.updateLease6(expired);
  const reclaimer = new Reclaimer6({
    leases: bed.leases,
    hooks: bed.hooks,
    hookIdx: bed.hookIdx,
    stats: bed.srv.stats6,
    log: bed.logs.getLogger("alloc-engine"),
    config: {
      "reclaim-timer-wait-time": 0,
      "flush-reclaimed-timer-wait-time": 0,
      "hold-reclaimed-time": 3600,
      "max-reclaim-leases": 100,
      "max-reclaim-time": 250,
      "unwarned-reclaim-cycles": 5,
    },
  });
  await reclaimer.reclaimOnce();
  assert.equal(val(bed, "subnet[1].pool[1].assigned-nas"), 1);
  assert.equal(val(bed, "subnet[1].pool[1].reclaimed-leases"), 1);
  assert.equal(val(bed, "subnet[1].reclaimed-leases"), 1);

  // The same ranges under other ids: the old names go, the new ones count the leases held.
  const renumbered = {
    pools: SUBNET.pools.map((p, i) => ({ ...p, "pool-id": 10 + i })),
    "pd-pools": SUBNET["pd-pools"].map((p, i) => ({ ...p, "pool-id": 20 + i })),
  };
  const { config } = parseConfigText(config6({}, renumbered), 6, "test.json");
  bed.srv.setModel(buildDhcp6Model(config, "test.json"));
  for (const name of bed.stats.names()) {
    assert.doesNotMatch(name, /^subnet\[1\]\.(pool|pd-pool)\[[0-3]\]\./, name);
  }
  assert.equal(val(bed, "subnet[1].pool[10].assigned-nas"), 1);
  assert.equal(val(bed, "subnet[1].pool[10].reclaimed-leases"), 0);
  assert.equal(val(bed, "subnet[1].pd-pool[20].assigned-pds"), 1);
  assert.equal(val(bed, "subnet[1].pd-pool[21].assigned-pds"), 0);
  assert.equal(val(bed, "subnet[1].pd-pool[21].total-pds"), 65536n);
});
