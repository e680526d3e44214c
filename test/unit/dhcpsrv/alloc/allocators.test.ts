/**
 * The allocators of `allocator` / `pd-allocator`: iterative (Kea 2.2), random and flq (Kea 2.4+),
 * through the DHCPv4 server (real queries) and their building blocks.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { FreeQueue } from "../../../../src/dhcpsrv/alloc/allocators/free-queue.ts";
import { Permutation } from "../../../../src/dhcpsrv/alloc/allocators/permutation.ts";
import { ipv4FromString } from "../../../../src/dhcp/ioaddress.ts";
import { LeaseState } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { buildDhcp4Model } from "../../../../src/dhcpsrv/model/cfg4.ts";
import { parseConfigText } from "../../../../src/dhcpsrv/config/index.ts";
import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../../helpers/dhcp4.ts";
import type { Server4Bed } from "../../../helpers/dhcp4.ts";

const POOL = "198.51.100.10 - 198.51.100.59"; // 50 addresses
const mac = (i: number) =>
  `02:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${(i & 255).toString(16).padStart(2, "0")}`;

async function bed(allocator: string): Promise<Server4Bed> {
  return server4(config4({ allocator }, { pools: [{ pool: POOL }] }), [], "INFO");
}

/** DORA for client i: the address it got, or null (no OFFER). */
async function dora(b: Server4Bed, i: number): Promise<string | null> {
  const offer = await exchange(b, query4(T.DHCPDISCOVER, { mac: mac(i) }));
  if (offer === null) return null;
  const yiaddr = offer.pkt.yiaddr;
  const ack = await exchange(
    b,
    query4(T.DHCPREQUEST, { mac: mac(i), requested: yiaddr, serverId: SERVER_ADDR }),
  );
  assert.equal(ack?.pkt.getType(), T.DHCPACK);
  return yiaddr;
}

const inPool = (a: string) => {
  const n = ipv4FromString(a);
  return n >= ipv4FromString("198.51.100.10") && n <= ipv4FromString("198.51.100.59");
};

describe("every allocator fills the pool with distinct addresses, then has none", () => {
  for (const kind of ["iterative", "random", "flq"]) {
    test(kind, async () => {
      const b = await bed(kind);
      const got: string[] = [];
      for (let i = 1; i <= 50; i++) got.push((await dora(b, i))!);
      assert.ok(got.every(inPool));
      assert.equal(new Set(got).size, 50, "no address given twice");
      assert.equal(await dora(b, 51), null, "the pool is exhausted");
    });
  }
});

test("iterative hands out the pool in order; random does not (it spreads)", async () => {
  const it = await bed("iterative");
  const rnd = await bed("random");
  const a: string[] = [];
  const r: string[] = [];
  for (let i = 1; i <= 10; i++) {
    a.push((await dora(it, i))!);
    r.push((await dora(rnd, i))!);
  }
  assert.deepEqual(
    a,
    Array.from({ length: 10 }, (_, k) => `198.51.100.${10 + k}`),
  );
  // 10 sequential picks out of 50 by chance: probability 41 * 10! / 50!/(40!) ~ 1e-14.
  assert.notDeepEqual(r, a);
  const spread = Math.max(...r.map(ipv4FromString)) - Math.min(...r.map(ipv4FromString));
  assert.ok(spread > 9, `random picks spread over the pool (spread ${spread})`);
});

describe("flq hands out free addresses, and takes back those that become free", () => {
  test("a released address is the next one given once the pool is full", async () => {
    const b = await bed("flq");
    for (let i = 1; i <= 50; i++) await dora(b, i);
    const lease = b.leases.getLease4("198.51.100.33")!;
    const rel = lease.clone();
    // RELEASE from its owner.
    const owner = lease.hwaddr!.toText(false);
    await exchange(
      b,
      query4(T.DHCPRELEASE, { mac: owner, ciaddr: "198.51.100.33", serverId: SERVER_ADDR }),
    );
    assert.equal(b.leases.getLease4("198.51.100.33"), null, `released ${rel.address}`);
    assert.equal(await dora(b, 60), "198.51.100.33");
  });

  test("a lease deleted from the store (lease4-del) or reclaimed puts its address back", async () => {
    const b = await bed("flq");
    for (let i = 1; i <= 50; i++) await dora(b, i);
    b.leases.deleteLease4(b.leases.getLease4("198.51.100.20")!);
    assert.equal(await dora(b, 61), "198.51.100.20");
    const reclaimed = b.leases.getLease4("198.51.100.41")!.clone();
    reclaimed.state = LeaseState.EXPIRED_RECLAIMED;
    reclaimed.cltt -= 5000;
    b.leases.updateLease4(reclaimed);
    assert.equal(await dora(b, 62), "198.51.100.41");
  });

  test("after a reconfiguration the queue is filled again from the leases in the store", async () => {
    const b = await bed("flq");
    for (let i = 1; i <= 49; i++) await dora(b, i);
    const taken = new Set(b.leases.getAllLeases4().map((l) => l.address));
    const { config } = parseConfigText(
      config4({ allocator: "flq" }, { pools: [{ pool: POOL }] }),
      4,
    );
    b.srv.setModel(buildDhcp4Model(config));
    const last = (await dora(b, 70))!;
    assert.ok(!taken.has(last) && inPool(last), `the one free address: ${last}`);
    assert.equal(await dora(b, 71), null);
  });
});

test("flq is refused for a pool larger than 2^20 addresses, with its key", () => {
  const text = config4(
    { allocator: "flq" },
    { subnet: "10.0.0.0/8", pools: [{ pool: "10.0.0.0/8" }] },
  );
  const { config } = parseConfigText(text, 4, "kea.conf");
  assert.throws(
    () => buildDhcp4Model(config, "kea.conf"),
    /subnet4\[0\]\.pools\[0\].*flq allocator takes pools of at most 1048576/,
  );
});

test("FreeQueue: offers rotate, deletes and adds are exact", () => {
  const q = new FreeQueue(5);
  for (const i of [3, 1, 4]) q.add(i);
  q.add(3); // already queued
  assert.equal(q.size, 3);
  assert.deepEqual([q.offer(), q.offer(), q.offer(), q.offer()], [3, 1, 4, 3]);
  q.delete(1);
  assert.deepEqual([q.offer(), q.offer(), q.offer()], [4, 3, 4]);
  q.delete(4);
  q.delete(3);
  assert.equal(q.offer(), -1);
  assert.equal(q.size, 0);
});

test("Permutation: each offset once per cycle, then a new cycle", () => {
  const p = new Permutation(100n);
  const seen = new Set<bigint>();
  for (let i = 0; i < 100; i++) seen.add(p.next());
  assert.equal(seen.size, 100);
  assert.ok([...seen].every((x) => x >= 0n && x < 100n));
  assert.equal(p.exhausted, true);
  assert.equal(p.next(), -1n);
  p.reset();
  assert.ok(p.next() >= 0n);
  // A pool of 2^64 draws without holding it.
  const big = new Permutation(1n << 64n);
  const a = big.next();
  assert.ok(a >= 0n && a < 1n << 64n);
});
