/**
 * Fuzzed packets leave nothing behind but what a valid-enough packet legitimately creates (a
 * lease, counted in the statistics as Kea counts it): tens of thousands of test/fuzz's mutations
 * of the captured client packets go through each server's processQuery, with the lease store
 * flushed per batch as the reply pipeline does, and afterwards the statistics added since the
 * warm-up are only per-message-type counters made on a type's first packet (a bounded set, as
 * Kea's), the lease store holds exactly the leases the statistics count, and the
 * live heap (after full collections) has not grown by more than a few bytes per packet. A
 * structure keyed by packet content (a statistic or cache named from a packet, a per-client map
 * never pruned) fails it.
 */
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import { allVectors } from "../../../fixtures/wire/vectors.ts";
import { fuzzCase } from "../../../fuzz/harness.ts";
import { config4, received, server4 } from "../../../helpers/dhcp4.ts";
import { config6, received6, server6 } from "../../../helpers/dhcp6.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const WARMUP = 5000;
const PACKETS = 40_000;
/** The live heap may grow by this much over PACKETS (the JIT's code, mostly): 50 bytes a packet. */
const HEAP_SLACK = 50 * PACKETS;
const BATCH = 64;
const SEED = 0x6d656d; // any fixed seed: the cases are a pure function of (seed, index)

function liveHeap(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

interface Bed {
  process(data: Buffer): unknown;
  flush(): void;
  clearLog(): void;
  statistics(): string[];
  leases(): number;
  assigned(): number;
}

async function feed(bed: Bed, family: 4 | 6, from: number, count: number): Promise<void> {
  const vectors = allVectors().filter(
    (v) => v.family === family && v.direction === "client-to-server",
  );
  for (let i = 0; i < count; i++) {
    const r = bed.process(fuzzCase(vectors, SEED, from + i).data);
    if (r instanceof Promise) await r;
    if (i % BATCH === BATCH - 1) {
      bed.flush();
      bed.clearLog();
    }
  }
  bed.flush();
  bed.clearLog();
}

async function bounded(bed: Bed, family: 4 | 6, t: TestContext): Promise<void> {
  await feed(bed, family, 0, WARMUP);
  const names = bed.statistics();
  const heap = liveHeap();
  await feed(bed, family, WARMUP, PACKETS);
  const grown = liveHeap() - heap;
  const added = bed.statistics().filter((n) => !names.includes(n));
  for (const name of added) {
    assert.match(
      name,
      new RegExp(`^pkt${family}-[a-z0-9-]+-(received|sent)$`),
      "a message type's counter",
    );
  }
  assert.ok(added.length <= 16, `${added.length} statistics added: ${added.join(", ")}`);
  assert.equal(bed.leases(), bed.assigned(), "every lease held is one the statistics count");
  t.diagnostic(`live heap ${grown} bytes more; statistics added: ${added.join(", ") || "none"}`);
  assert.ok(
    grown < HEAP_SLACK,
    `live heap grew by ${grown} bytes over ${PACKETS} fuzzed packets (at most ${HEAP_SLACK})`,
  );
}

test("DHCPv4: fuzzed packets leave the statistics, leases and live heap bounded", async (t) => {
  const bed = await server4(
    config4({}, { pools: [{ pool: "198.51.100.10 - 198.51.100.250" }] }),
    [],
    "INFO",
  );
  await bounded(
    {
      process: (data) => bed.srv.processQuery(received(data)),
      flush: () => bed.leases.flush(),
      clearLog: () => (bed.lines.length = 0),
      statistics: () => bed.stats.names().sort(),
      leases: () => bed.leases.size,
      assigned: () => Number(bed.stats.get("subnet[1].assigned-addresses")?.value ?? 0),
    },
    4,
    t,
  );
});

test("DHCPv6: fuzzed packets leave the statistics, leases and live heap bounded", async (t) => {
  const bed = await server6(config6());
  await bounded(
    {
      process: (data) => bed.srv.processQuery(received6(data)),
      flush: () => bed.leases.flush(),
      clearLog: () => (bed.lines.length = 0),
      statistics: () => bed.stats.names().sort(),
      leases: () => bed.leases.size,
      assigned: () =>
        Number(bed.stats.get("subnet[1].assigned-nas")?.value ?? 0) +
        Number(bed.stats.get("subnet[1].assigned-pds")?.value ?? 0),
    },
    6,
    t,
  );
});
