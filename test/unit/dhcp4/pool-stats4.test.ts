/**
 * Per-pool statistics as Kea 3 keeps them (`subnet[id].pool[pid].*`, pid = the pool's
 * `pool-id`, 0 when absent), kept in step with the subnet's through real queries: allocation,
 * a move into another pool, release, decline, reclamation and reconfiguration.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { Reclaimer4 } from "../../../src/dhcp4/reclaimer.ts";
import { registerDhcp4Hooks } from "../../../src/dhcp4/hook-points.ts";
import { Lease4, LeaseState } from "../../../src/dhcpsrv/leases/lease4.ts";
import { buildDhcp4Model } from "../../../src/dhcpsrv/model/cfg4.ts";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../helpers/dhcp4.ts";
import type { Server4Bed } from "../../helpers/dhcp4.ts";

const POOLS = {
  pools: [
    { pool: "198.51.100.10 - 198.51.100.19", "pool-id": 1 },
    { pool: "198.51.100.32/28", "pool-id": 2 },
  ],
};

const val = (bed: Server4Bed, name: string) => bed.stats.get(name)?.value;
const pool = (bed: Server4Bed, pid: number, name: string) =>
  val(bed, `subnet[1].pool[${pid}].${name}`);

async function request(bed: Server4Bed, mac: string, address: string) {
  const q = query4(T.DHCPREQUEST, { mac, requested: address, serverId: SERVER_ADDR });
  const ack = await exchange(bed, q);
  assert.equal(ack!.pkt.getType(), T.DHCPACK);
  assert.equal(ack!.pkt.yiaddr, address);
}

function reclaimer(bed: Server4Bed) {
  return new Reclaimer4({
    leases: bed.leases,
    hooks: bed.hooks,
    hookIdx: registerDhcp4Hooks(bed.hooks.serverHooks),
    stats: bed.srv.stats4,
    log: new LogManager("t").getLogger("x"),
    config: {
      "reclaim-timer-wait-time": 0,
      "flush-reclaimed-timer-wait-time": 0,
      "hold-reclaimed-time": 3600,
      "max-reclaim-leases": 100,
      "max-reclaim-time": 250,
      "unwarned-reclaim-cycles": 5,
    },
  });
}

test("each pool has Kea 3's statistics under its pool-id from the start: its total and the counters at 0", async () => {
  const bed = await server4(config4({}, POOLS));
  assert.equal(pool(bed, 1, "total-addresses"), 10);
  assert.equal(pool(bed, 2, "total-addresses"), 16);
  for (const pid of [1, 2]) {
    for (const name of [
      "assigned-addresses",
      "cumulative-assigned-addresses",
      "declined-addresses",
      "reclaimed-declined-addresses",
      "reclaimed-leases",
    ]) {
      assert.equal(pool(bed, pid, name), 0, `pool[${pid}].${name}`);
    }
  }
  assert.equal(val(bed, "subnet[1].pool[0].total-addresses"), undefined, "no pool-id 0 here");
  assert.equal(val(bed, "subnet[1].total-addresses"), 26);
});

test("pools without a pool-id are pool[0], as Kea 3; pools sharing a pool-id add up", async () => {
  const bed = await server4(
    config4(
      {},
      {
        pools: [
          { pool: "198.51.100.10 - 198.51.100.19" },
          { pool: "198.51.100.32/28" },
          { pool: "198.51.100.64/28", "pool-id": 7 },
        ],
      },
    ),
  );
  assert.equal(val(bed, "subnet[1].pool[0].total-addresses"), 26);
  assert.equal(val(bed, "subnet[1].pool[7].total-addresses"), 16);
  await request(bed, "02:00:00:00:00:01", "198.51.100.11");
  await request(bed, "02:00:00:00:00:02", "198.51.100.33");
  await request(bed, "02:00:00:00:00:03", "198.51.100.65");
  assert.equal(val(bed, "subnet[1].pool[0].assigned-addresses"), 2);
  assert.equal(val(bed, "subnet[1].pool[0].cumulative-assigned-addresses"), 2);
  assert.equal(val(bed, "subnet[1].pool[7].assigned-addresses"), 1);
});

test("allocation, a move into another pool and release are counted in the lease's pool", async () => {
  const bed = await server4(config4({}, POOLS));
  const mac = "02:00:00:00:00:01";
  await request(bed, mac, "198.51.100.12");
  assert.equal(pool(bed, 1, "assigned-addresses"), 1);
  assert.equal(pool(bed, 1, "cumulative-assigned-addresses"), 1);
  // The same client asks for an address of the other pool: its lease moves.
  await request(bed, mac, "198.51.100.40");
  assert.equal(pool(bed, 1, "assigned-addresses"), 0);
  assert.equal(pool(bed, 2, "assigned-addresses"), 1);
  assert.equal(pool(bed, 2, "cumulative-assigned-addresses"), 1);
  assert.equal(val(bed, "subnet[1].assigned-addresses"), 1);
  // A renewal of the same address changes nothing.
  await request(bed, mac, "198.51.100.40");
  assert.equal(pool(bed, 2, "assigned-addresses"), 1);
  assert.equal(pool(bed, 2, "cumulative-assigned-addresses"), 1);
  assert.equal(await exchange(bed, query4(T.DHCPRELEASE, { mac, ciaddr: "198.51.100.40" })), null);
  assert.equal(pool(bed, 2, "assigned-addresses"), 0);
  assert.equal(pool(bed, 2, "cumulative-assigned-addresses"), 1);
  assert.equal(val(bed, "subnet[1].assigned-addresses"), 0);
});

test("a decline, then the reclamation of the declined lease, are counted in its pool", async () => {
  const bed = await server4(config4({ "decline-probation-period": 1 }, POOLS));
  const mac = "02:00:00:00:00:01";
  await request(bed, mac, "198.51.100.35");
  const d = query4(T.DHCPDECLINE, { mac, requested: "198.51.100.35", serverId: SERVER_ADDR });
  assert.equal(await exchange(bed, d), null);
  assert.equal(pool(bed, 2, "declined-addresses"), 1);
  assert.equal(pool(bed, 2, "assigned-addresses"), 1, "declined leases still count as assigned");
  const over = bed.leases.getLease4("198.51.100.35")!.clone();
  over.cltt -= 5; // the probation period is over
  bed.leases.updateLease4(over);
  await reclaimer(bed).reclaimOnce();
  assert.equal(pool(bed, 2, "declined-addresses"), 0);
  assert.equal(pool(bed, 2, "reclaimed-declined-addresses"), 1);
  assert.equal(pool(bed, 2, "reclaimed-leases"), 1);
  assert.equal(pool(bed, 2, "assigned-addresses"), 0);
  assert.equal(pool(bed, 1, "reclaimed-leases"), 0);
});

test("an expired lease is reclaimed in its pool, and one taken over by another client moves pools' counts", async () => {
  const bed = await server4(config4({}, POOLS));
  await request(bed, "02:00:00:00:00:01", "198.51.100.13");
  const old = bed.leases.getLease4("198.51.100.13")!.clone();
  old.cltt -= 10_000; // expired
  bed.leases.updateLease4(old);
  await reclaimer(bed).reclaimOnce();
  assert.equal(pool(bed, 1, "reclaimed-leases"), 1);
  assert.equal(pool(bed, 1, "assigned-addresses"), 0);
  await request(bed, "02:00:00:00:00:02", "198.51.100.13");
  assert.equal(pool(bed, 1, "assigned-addresses"), 1);
  assert.equal(pool(bed, 1, "cumulative-assigned-addresses"), 2);
});

test("a reconfiguration removes the old pools' statistics and recounts the new ones from the leases", async () => {
  const bed = await server4(config4({}, POOLS));
  await request(bed, "02:00:00:00:00:01", "198.51.100.12");
  await request(bed, "02:00:00:00:00:02", "198.51.100.36");
  await request(bed, "02:00:00:00:00:03", "198.51.100.37");
  // A lease loaded from a file does not know its pool (Kea 2.2's file has no pool_id).
  bed.leases.addLease4(
    new Lease4({
      address: "198.51.100.38",
      validLifetime: 4000,
      cltt: Math.floor(Date.now() / 1000),
      subnetId: 1,
      state: LeaseState.DECLINED,
    }),
  );
  const text = config4(
    {},
    {
      pools: [
        { pool: "198.51.100.10 - 198.51.100.19", "pool-id": 5 },
        { pool: "198.51.100.32/28", "pool-id": 6 },
      ],
    },
  );
  const { config } = parseConfigText(text, 4, "test.json");
  bed.srv.setModel(buildDhcp4Model(config, "test.json"));
  for (const name of bed.stats.names()) {
    assert.doesNotMatch(name, /^subnet\[1\]\.pool\[[12]\]\./, "the old pools' are gone");
  }
  assert.equal(val(bed, "subnet[1].pool[5].total-addresses"), 10);
  assert.equal(val(bed, "subnet[1].pool[5].assigned-addresses"), 1);
  assert.equal(val(bed, "subnet[1].pool[6].assigned-addresses"), 3);
  assert.equal(val(bed, "subnet[1].pool[6].declined-addresses"), 1);
  assert.equal(val(bed, "subnet[1].pool[6].cumulative-assigned-addresses"), 0);
  // And they are kept in step afterwards.
  const mac = "02:00:00:00:00:02";
  assert.equal(await exchange(bed, query4(T.DHCPRELEASE, { mac, ciaddr: "198.51.100.36" })), null);
  assert.equal(val(bed, "subnet[1].pool[6].assigned-addresses"), 2);
});

test("a lease outside every pool (a reservation) counts in its subnet only", async () => {
  const mac = "02:00:00:00:00:09";
  const bed = await server4(
    config4(
      {},
      { ...POOLS, reservations: [{ "hw-address": mac, "ip-address": "198.51.100.200" }] },
    ),
  );
  await request(bed, mac, "198.51.100.200");
  assert.equal(val(bed, "subnet[1].assigned-addresses"), 1);
  assert.equal(pool(bed, 1, "assigned-addresses"), 0);
  assert.equal(pool(bed, 2, "assigned-addresses"), 0);
});

test("a subnet counter removed by a command comes back at the next lease, counting from 0, as Kea's", async () => {
  const bed = await server4(config4({}, POOLS));
  await request(bed, "02:00:00:00:00:01", "198.51.100.10");
  assert.equal(val(bed, "subnet[1].assigned-addresses"), 1);
  assert.equal(val(bed, "subnet[1].cumulative-assigned-addresses"), 1);
  assert.ok(bed.stats.remove("subnet[1].assigned-addresses"));
  bed.stats.removeAll();
  assert.equal(val(bed, "subnet[1].cumulative-assigned-addresses"), undefined);
  await request(bed, "02:00:00:00:00:02", "198.51.100.11");
  assert.equal(val(bed, "subnet[1].assigned-addresses"), 1, "made anew by the lease");
  assert.equal(val(bed, "subnet[1].cumulative-assigned-addresses"), 1);
  assert.equal(val(bed, "cumulative-assigned-addresses"), 1);
  // Something else made the statistic again first: the lease counts in that one.
  bed.stats.remove("subnet[1].assigned-addresses");
  bed.stats.setValue("subnet[1].assigned-addresses", 5);
  await request(bed, "02:00:00:00:00:03", "198.51.100.12");
  assert.equal(val(bed, "subnet[1].assigned-addresses"), 6);
});
