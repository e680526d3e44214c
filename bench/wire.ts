// Wire codec throughput: unpack + pack of captured packets (test/fixtures/wire), in operations
// per second. Each case is warmed up, then timed over several rounds; the median round is shown
// with the spread of all rounds. Each case runs in a worker thread of its own.
//
//   npm run bench:wire [-- --rounds 7 --round-ms 400]
import { parseArgs } from "node:util";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { Pkt4, Pkt6 } from "../src/dhcp/index.ts";
import { bytes, vector } from "../test/fixtures/wire/vectors.ts";

interface Case {
  label: string;
  vector: string;
  run: (data: Buffer) => number;
}

const v4 = (data: Buffer): number => Pkt4.parse(data).pack().length;
const v6 = (data: Buffer): number => Pkt6.parse(data).pack().length;
const v4Unpack = (data: Buffer): number => (Pkt4.parse(data) === undefined ? 0 : 1);
const v6Unpack = (data: Buffer): number => (Pkt6.parse(data) === undefined ? 0 : 1);

const CASES: Case[] = [
  { label: "DHCPDISCOVER (dhclient)", vector: "dhclient4-init-01-discover", run: v4 },
  { label: "DHCPREQUEST (dhclient)", vector: "dhclient4-init-03-request", run: v4 },
  { label: "DHCPACK (Kea)", vector: "dhclient4-init-04-ack", run: v4 },
  { label: "SOLICIT (dhclient, IA_NA+IA_PD)", vector: "dhclient6-init-01-solicit", run: v6 },
  {
    label: "RELAY-FORW(SOLICIT) (perfdhcp -A 1)",
    vector: "perfdhcp6-relay-01-relay-forw-solicit",
    run: v6,
  },
  { label: "DHCPDISCOVER unpack only", vector: "dhclient4-init-01-discover", run: v4Unpack },
  { label: "SOLICIT unpack only", vector: "dhclient6-init-01-solicit", run: v6Unpack },
];

let sink = 0;

/** Runs `run` in batches until `ms` have passed; returns operations per second. */
function round(run: (data: Buffer) => number, data: Buffer, ms: number): number {
  const batch = 1000;
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < batch; i++) sink += run(data);
    ops += batch;
    now = performance.now();
  }
  return (ops / (now - start)) * 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Job {
  index: number;
  rounds: number;
  roundMs: number;
}

/** One case, alone in its worker thread: warm-up, then `rounds` timed rounds. */
function measure(job: Job): number[] {
  const c = CASES[job.index]!;
  const data = bytes(vector(c.vector));
  round(c.run, data, 300); // warm-up: let the JIT settle
  const results: number[] = [];
  for (let r = 0; r < job.rounds; r++) results.push(round(c.run, data, job.roundMs));
  if (sink === -1) console.log(sink); // keeps the work observable
  return results;
}

// Each case runs in its own worker thread (its own V8 isolate), so that what the JIT learned
// from one case cannot slow down or speed up the next.
function runCase(job: Job): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: job });
    worker.once("message", (results: number[]) => resolve(results));
    worker.once("error", reject);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rounds: { type: "string" }, "round-ms": { type: "string" } },
  });
  const rounds = Number(values.rounds ?? 7);
  const roundMs = Number(values["round-ms"] ?? 400);
  console.log(`Node ${process.version}, ${rounds} rounds of ${roundMs} ms after warm-up; median`);
  console.log(
    `${"case".padEnd(40)} ${"bytes".padStart(5)} ${"ops/s".padStart(10)} ${"us/op".padStart(7)}  min..max ops/s`,
  );
  for (let index = 0; index < CASES.length; index++) {
    const c = CASES[index]!;
    const results = await runCase({ index, rounds, roundMs });
    const med = median(results);
    const size = bytes(vector(c.vector)).length;
    const fmt = (x: number): string => Math.round(x).toLocaleString("en-US");
    console.log(
      `${c.label.padEnd(40)} ${String(size).padStart(5)} ${fmt(med).padStart(10)} ` +
        `${(1e6 / med).toFixed(2).padStart(7)}  ${fmt(Math.min(...results))}..${fmt(Math.max(...results))}`,
    );
  }
}

if (isMainThread) await main();
else parentPort!.postMessage(measure(workerData as Job));
