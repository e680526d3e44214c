/**
 * Memfile lease store costs as the server pays them:
 *   - lease commits per second with group commit, for batches of 1 and of 64 packets: each
 *     packet adds (or renews) one lease, then the batch is flushed with one write;
 *   - lookups per second by address, by hardware address + subnet, by client id + subnet, and
 *     the cost of the reclamation routine's expired-lease query;
 *   - load time of a lease file of 100,000 leases (plus 100,000 renewal rows), and the time a
 *     lease file cleanup takes on it in the worker thread.
 *
 *   node bench/lease-store.ts [--leases N]
 *
 * A script, not a test: it prints figures (median of several rounds) and removes its files.
 * Writes go to the temporary directory's file system, without fsync (as Kea's memfile).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { HWAddr } from "../src/dhcp/hwaddr.ts";
import { ipv4ToString } from "../src/dhcp/ioaddress.ts";
import { Lease4 } from "../src/dhcpsrv/leases/lease4.ts";
import { MemfileLeaseStore4 } from "../src/dhcpsrv/leases/memfile-lease-store4.ts";

const leasesArg = process.argv.indexOf("--leases");
const LOAD_LEASES = leasesArg > 0 ? Number(process.argv[leasesArg + 1]) : 100_000;
const COMMITS = 64 * 400;
const ROUNDS = 5;
const BASE = 0xc6336400; // 198.51.100.0, spilling over into the next /24s as n grows

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestor-bench-leases-"));
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));

function makeLease(n: number, cltt: number): Lease4 {
  const mac = Buffer.from([0x02, 0, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, 1]);
  return new Lease4({
    address: ipv4ToString(BASE + n),
    hwaddr: new HWAddr(mac),
    clientId: Buffer.concat([Buffer.from([1]), mac]),
    validLifetime: 3600,
    cltt,
    subnetId: 1,
    hostname: `host-${n}.example.org`,
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Lease commits per second when the server flushes every `batch` packets. */
function commitRate(batch: number, round: number): number {
  const file = path.join(dir, `commit-${batch}-${round}.csv`);
  const store = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
  const leases = Array.from({ length: COMMITS }, (_, n) => makeLease(n, 1_800_000_000));
  const t0 = performance.now();
  for (let i = 0; i < COMMITS; i += batch) {
    for (let j = i; j < i + batch; j++) store.addLease4(leases[j]!);
    store.flush();
  }
  const secs = (performance.now() - t0) / 1000;
  void store.close();
  fs.rmSync(file);
  return COMMITS / secs;
}

function renewRate(batch: number): number {
  const store = MemfileLeaseStore4.open({
    name: path.join(dir, `renew-${batch}.csv`),
    "lfc-interval": 0,
  });
  for (let n = 0; n < COMMITS; n++) store.addLease4(makeLease(n, 1_800_000_000));
  store.flush();
  const t0 = performance.now();
  for (let i = 0; i < COMMITS; i += batch) {
    for (let j = i; j < i + batch; j++) {
      const l = store.getLease4(BASE + j)!.clone();
      l.cltt += 60;
      store.updateLease4(l);
    }
    store.flush();
  }
  const secs = (performance.now() - t0) / 1000;
  void store.close();
  return COMMITS / secs;
}

function lookupRates(): { address: number; hwaddr: number; clientId: number; expiredMs: number } {
  const store = MemfileLeaseStore4.open({ persist: false });
  const n = 100_000;
  const macs: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const l = makeLease(i, 1_800_000_000);
    macs.push(l.hwaddr!.hwaddr);
    store.addLease4(l);
  }
  const time = (fn: (i: number) => unknown): number => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    return n / ((performance.now() - t0) / 1000);
  };
  const cids = macs.map((m) => Buffer.concat([Buffer.from([1]), m]));
  // The reclamation routine's query: 100 oldest expired leases out of 100,000 (10% expired).
  for (let i = 0; i < n; i += 10) {
    const l = store.getLease4(BASE + i)!.clone();
    l.cltt = 1_000_000_000;
    store.updateLease4(l);
  }
  const t0 = performance.now();
  for (let r = 0; r < 20; r++) store.getExpiredLeases4(1_800_000_000, 100);
  const expiredMs = (performance.now() - t0) / 20;
  return {
    expiredMs,
    address: time((i) => store.getLease4(BASE + i)),
    hwaddr: time((i) => store.getLease4ByHwAddr(macs[i]!, 1)),
    clientId: time((i) => store.getLease4ByClientId(cids[i]!, 1)),
  };
}

async function loadAndCleanup(): Promise<{
  loadMs: number;
  cleanupMs: number;
  rotateMs: number;
  maxDelayMs: number;
  mb: number;
}> {
  const file = path.join(dir, "load.csv");
  const writer = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
  for (let n = 0; n < LOAD_LEASES; n++) writer.addLease4(makeLease(n, 1_800_000_000));
  for (let n = 0; n < LOAD_LEASES; n++) {
    const l = writer.getLease4(BASE + n)!.clone();
    l.cltt += 60;
    writer.updateLease4(l);
  }
  await writer.close();
  const mb = fs.statSync(file).size / 1e6;
  const loads: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const store = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
    loads.push(performance.now() - t0);
    if (store.size !== LOAD_LEASES) throw new Error(`loaded ${store.size} leases`);
    await store.close();
  }
  const store = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0 });
  await new Promise((r) => setTimeout(r, 1000)); // let the loads' garbage be collected first
  // How long the event loop is held while the cleanup runs (rotation on it, compaction off it).
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const t0 = performance.now();
  const call = store.runCleanup();
  const rotateMs = performance.now() - t0;
  const result = await call;
  delay.disable();
  await store.close();
  return {
    loadMs: median(loads),
    cleanupMs: result?.durationMs ?? NaN,
    rotateMs,
    maxDelayMs: delay.max / 1e6,
    mb,
  };
}

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");

for (const batch of [1, 64]) {
  const rates = Array.from({ length: ROUNDS }, (_, r) => commitRate(batch, r));
  console.log(`add + flush, batch of ${String(batch).padStart(2)}: ${fmt(median(rates))} leases/s`);
}
for (const batch of [1, 64]) {
  console.log(
    `renew + flush, batch of ${String(batch).padStart(2)}: ${fmt(renewRate(batch))} leases/s`,
  );
}
const l = lookupRates();
console.log(
  `lookups (100,000 leases): by address ${fmt(l.address)}/s, by hwaddr+subnet ${fmt(l.hwaddr)}/s, by client-id+subnet ${fmt(l.clientId)}/s`,
);
console.log(
  `expired-lease query (100 of 10,000 expired among 100,000): ${l.expiredMs.toFixed(2)} ms`,
);
const { loadMs, cleanupMs, rotateMs, maxDelayMs, mb } = await loadAndCleanup();
console.log(
  `load ${fmt(LOAD_LEASES)} leases (${fmt(2 * LOAD_LEASES)} rows, ${mb.toFixed(1)} MB): ${fmt(loadMs)} ms`,
);
console.log(
  `lease file cleanup of the same file: ${fmt(cleanupMs)} ms in the worker thread; ` +
    `${rotateMs.toFixed(1)} ms on the event loop (rotation, worker start), ` +
    `event loop delay meanwhile at most ${maxDelayMs.toFixed(1)} ms`,
);
