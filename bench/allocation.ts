/**
 * The cost of one address allocation (the allocation engine's pick inside the subnet plus the
 * lease store's add), in process, no sockets, for each allocator of `allocator` (iterative,
 * random, flq) in a /16 pool (65,534 addresses) filled to 0 %, 50 %, 90 % and 99 %.
 *
 *   node --expose-gc bench/allocation.ts [--allocations N] [--rounds R] [--json FILE]
 *   (npm run bench:alloc; --json writes the figures there too, for bench:targets)
 *
 * The fill is a random subset of the pool (as clients come and go, leases end up scattered), so
 * that the iterative and random allocators meet taken addresses as a full pool gives them; flq
 * only ever offers free ones. Each figure is, over the rounds, the median of the median time of
 * N allocations (a REQUEST's pick and commit, in-memory store); the mean is printed too: it also
 * holds the store's own occasional costs (50 % of 65,534 is 32,767 leases, where the store's
 * maps double their capacity, 2^15, during the measure). The flq setup (filling the queue from
 * the store, once per configuration) is printed apart.
 * A script, not a test: it prints a table.
 */
import { HWAddr } from "../src/dhcp/hwaddr.ts";
import { ipv4FromString, ipv4ToString } from "../src/dhcp/ioaddress.ts";
import { AllocEngine4, type ClientContext4 } from "../src/dhcpsrv/alloc/alloc-engine4.ts";
import { parseConfigText } from "../src/dhcpsrv/config/index.ts";
import { Lease4 } from "../src/dhcpsrv/leases/lease4.ts";
import { MemfileLeaseStore4 } from "../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { buildDhcp4Model } from "../src/dhcpsrv/model/cfg4.ts";
import { HostStore4 } from "../src/dhcpsrv/model/host4.ts";
import { writeSummary } from "./lib/summaries.ts";

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const ALLOCATIONS = arg("--allocations", 300); // under the 655 free addresses at 99 %
const ROUNDS = arg("--rounds", 5);
const JSON_AT = process.argv.indexOf("--json");
const JSON_FILE = JSON_AT > 0 ? process.argv[JSON_AT + 1] : undefined;
const FILLS = [0, 0.5, 0.9, 0.99];
const KINDS = ["iterative", "random", "flq"] as const;
const FIRST = ipv4FromString("198.18.0.1");
const SIZE = 65534;
const NO_CLASSES: ReadonlySet<string> = new Set();

function model(kind: string) {
  const text = JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", persist: false },
      "valid-lifetime": 3600,
      allocator: kind,
      subnet4: [
        { id: 1, subnet: "198.18.0.0/16", pools: [{ pool: "198.18.0.1 - 198.18.255.254" }] },
      ],
    },
  });
  return buildDhcp4Model(parseConfigText(text, 4).config);
}

function mac(n: number): HWAddr {
  return new HWAddr(Buffer.from([0x02, 0x01, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, 0]));
}

/** A random subset of `count` offsets of the pool (partial Fisher-Yates). */
function randomOffsets(count: number): Uint32Array {
  const a = new Uint32Array(SIZE);
  for (let i = 0; i < SIZE; i++) a[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (SIZE - i));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a.subarray(0, count);
}

interface Figure {
  /** Median of the allocations' times. */
  us: number;
  meanUs: number;
  setupMs: number;
}

function measure(kind: string, fill: number): Figure {
  const m = model(kind);
  const subnet = m.subnets[0]!;
  const store = MemfileLeaseStore4.open({ persist: false });
  const now = Math.floor(Date.now() / 1000);
  const taken = randomOffsets(Math.round(SIZE * fill));
  for (let i = 0; i < taken.length; i++) {
    store.addLease4(
      new Lease4({
        address: ipv4ToString(FIRST + taken[i]!),
        hwaddr: mac(i),
        validLifetime: 3600,
        cltt: now,
        subnetId: 1,
      }),
    );
  }
  const engine = new AllocEngine4(store, new HostStore4());
  const t0 = process.hrtime.bigint();
  engine.setSubnets(m.subnets);
  const setupMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const ctx = (n: number): ClientContext4 => ({
    subnet,
    hwaddr: mac(1_000_000 + n),
    clientId: null,
    requestedAddress: 0,
    fakeAllocation: false,
    host: undefined,
    requestedLifetime: 0,
    hostname: "",
    now,
    classes: NO_CLASSES,
    classLifetime: undefined,
  });
  const contexts = Array.from({ length: ALLOCATIONS }, (_, n) => ctx(n));
  // The garbage of the fill is collected before, not during, the measure.
  (globalThis as { gc?: () => void }).gc?.();
  const times = new Float64Array(ALLOCATIONS);
  for (let i = 0; i < ALLOCATIONS; i++) {
    const t1 = process.hrtime.bigint();
    const pick = engine.pick(contexts[i]!);
    if (pick === null) throw new Error(`${kind} at ${fill * 100} %: no address`);
    engine.commit(pick);
    times[i] = Number(process.hrtime.bigint() - t1) / 1e3;
  }
  let sum = 0;
  for (const t of times) sum += t;
  return { us: median(Array.from(times)), meanUs: sum / ALLOCATIONS, setupMs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// Warm-up (JIT), not reported.
for (const kind of KINDS) measure(kind, 0.5);

const rows: string[][] = [];
const results = new Map<string, number[]>();
for (const fill of FILLS) {
  const row = [`${fill * 100} %`];
  for (const kind of KINDS) {
    const runs: Figure[] = [];
    for (let r = 0; r < ROUNDS; r++) runs.push(measure(kind, fill));
    const us = median(runs.map((f) => f.us));
    results.set(kind, [...(results.get(kind) ?? []), us]);
    row.push(`${us.toFixed(2)} (${median(runs.map((f) => f.meanUs)).toFixed(1)})`);
    if (kind === "flq") row.push(median(runs.map((f) => f.setupMs)).toFixed(1));
  }
  rows.push(row);
}

const head = ["fill", "iterative µs (mean)", "random µs (mean)", "flq µs (mean)", "flq setup ms"];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
console.log(
  `One allocation (pick + lease store add) in a /16 pool of ${SIZE} addresses, ` +
    `median (mean) of ${ALLOCATIONS}, median of ${ROUNDS} rounds`,
);
console.log(line(head));
for (const r of rows) console.log(line(r));
for (const kind of KINDS) {
  const xs = results.get(kind)!;
  console.log(`${kind}: 99 % costs ${(xs[3]! / xs[0]!).toFixed(1)}x the empty pool`);
}
writeSummary(JSON_FILE, {
  kind: "alloc",
  date: new Date().toISOString(),
  fills: FILLS,
  us: Object.fromEntries(results),
});
