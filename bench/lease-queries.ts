/**
 * The lease queries of lease_cmds on a large store: fills an in-memory memfile store with
 * 1,000,000 DHCPv4 leases (1,000 subnets of 1,000 leases, 250,000 hardware addresses with four
 * leases each, in scattered address order) and times, each as the median of many calls:
 *   - lease4-get-by-hw-address: the store query, and the whole command (arguments checked,
 *     leases turned into JSON) through hooks/lease_cmds;
 *   - lease4-get-page with limit 100 from scattered addresses: the same two.
 *
 *   node bench/lease-queries.ts [--leases N] [--calls N]
 */
import { parseArgs } from "node:util";

import { HWAddr } from "../src/dhcp/hwaddr.ts";
import { ipv4ToString } from "../src/dhcp/ioaddress.ts";
import { Lease4 } from "../src/dhcpsrv/leases/lease4.ts";
import { MemfileLeaseStore4 } from "../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { Dhcp4ServerAccess } from "../src/dhcp4/server-access.ts";
import { StatsManager } from "../src/stats/stats-manager.ts";
import { commands4 } from "../hooks/lease_cmds/lease4.ts";

const { values } = parseArgs({
  options: {
    leases: { type: "string", default: "1000000" },
    calls: { type: "string", default: "2000" },
  },
});
const N = Number(values.leases);
const CALLS = Number(values.calls);

function macOf(i: number): HWAddr {
  const m = i % Math.ceil(N / 4);
  return new HWAddr(
    Buffer.from([2, 0, (m >>> 24) & 255, (m >>> 16) & 255, (m >>> 8) & 255, m & 255]),
  );
}

// Addresses 10.0.0.0 + a scattered permutation (multiplication by an odd constant mod 2^24).
function addressOf(i: number): number {
  return ((10 << 24) + ((i * 2654435761) % 16777216)) >>> 0;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function time(label: string, calls: number, fn: (i: number) => unknown): void {
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const p99 = [...samples].sort((a, b) => a - b)[Math.floor(samples.length * 0.99)]!;
  console.log(
    `${label.padEnd(52)} median ${median(samples).toFixed(1)} us   p99 ${p99.toFixed(1)} us`,
  );
}

const store = MemfileLeaseStore4.open({ persist: false });
const t0 = Date.now();
for (let i = 0; i < N; i++) {
  store.addLease4(
    new Lease4({
      address: ipv4ToString(addressOf(i)),
      hwaddr: macOf(i),
      validLifetime: 3600,
      cltt: 1_800_000_000,
      subnetId: 1 + (i % 1000),
    }),
  );
}
const fillMs = Date.now() - t0;
console.log(
  `${store.size} leases in 1000 subnets, filled in ${fillMs} ms (${((fillMs * 1000) / N).toFixed(2)} us per add)`,
);

// The get commands need no subnets.
const access = new Dhcp4ServerAccess(
  () => store,
  () => [],
  () => new Map(),
);
const stats = new StatsManager();
const cmds = commands4(access, () => stats);

const hwText = (i: number) => macOf((i * 7919) % N).toText(false);
time("store getLeases4ByHwAddr (4 leases)", CALLS, (i) => {
  const r = store.getLeases4ByHwAddr(macOf((i * 7919) % N));
  if (r.length !== 4) throw new Error(`expected 4 leases, got ${r.length}`);
});
time("lease4-get-by-hw-address command (4 leases)", CALLS, (i) => {
  const a = cmds["lease4-get-by-hw-address"]!({ "hw-address": hwText(i) });
  if (a.result !== 0) throw new Error(JSON.stringify(a));
});
const fromOf = (i: number) => ipv4ToString(addressOf((i * 104729) % N));
time("store getLeases4Page (limit 100)", CALLS, (i) => {
  store.getLeases4Page(fromOf(i), 100);
});
time("lease4-get-page command (limit 100)", CALLS, (i) => {
  const a = cmds["lease4-get-page"]!({ from: fromOf(i), limit: 100 });
  if (a.result !== 0) throw new Error(JSON.stringify(a));
});
await store.close();
