/**
 * What hook callouts cost the servers: the time of `processQuery` (the v4 and v6 message
 * processing the servers run for each received datagram, without the sockets) for a DHCPv4
 * DISCOVER and a DHCPv6 SOLICIT, then for the REQUEST that follows the offer, with
 *
 *   (a) no hook library (0 callouts),
 *   (b) a library with one synchronous callout on each packet hook point of the family
 *       (v4: buffer4_receive, pkt4_receive, subnet4_select, lease4_select, lease4_offer,
 *       pkt4_send, buffer4_send; v6: buffer6_receive, pkt6_receive, subnet6_select,
 *       lease6_select, pkt6_send, buffer6_send),
 *   (c) a library with one synchronous callout on pkt4_receive / pkt6_receive only,
 *   (d) a library with one asynchronous (`async`) callout on pkt4_receive / pkt6_receive; the
 *       query's promise is awaited before the next one, as a query finishes in the server,
 *   (e) bench/hooks/callouts-all4.mjs / callouts-all6.mjs, what `bench:dhcp4 -- --callouts all`
 *       loads: a callout on every hook point that returns at once without reading an argument
 *       (the arguments of such a point are never made).
 *
 * Each case has its own server, built as the test helpers do (configuration text, model,
 * in-memory memfile lease store, hooks manager with the libraries written to a temp dir as .mjs
 * files importing `nestor/hooks`); the cases take turns within each round. Every query is a different client (MAC / DUID and transaction id),
 * in a 198.18.0.0/15 (v4) or 2001:db8:1::/64 (v6) pool large enough that each gets a fresh
 * address; the packets are built before the clock starts. As the servers' reply pipeline does,
 * the lease store is flushed after each batch of 64 queries (and after each asynchronous query).
 * Logging is at INFO, the default, into a sink that drops the lines.
 *
 *   npm run bench:hooks [-- --queries N --rounds N --clock wall|cpu --case a|b|c|d|e --json FILE]
 *
 * `--case` runs that one case alone: the cases of one process share the JIT's type feedback,
 * which makes (a)'s code polymorphic as a server without callouts never is. Run `--case a` and
 * `--case e` in turn, a few times, to compare them as on the real path (one server each).
 * --json FILE writes the medians there too (bench/lib/summaries.ts), for bench:targets.
 *
 * A script, not a test: it prints nanoseconds per query, the median of several rounds (after a
 * warm-up round) and the best, and for (b)-(d) the ratio of the median to (a)'s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { D6O, DHCPMessageType, DHCPv6MessageType, DHO } from "../src/dhcp/constants.ts";
import { HWAddr } from "../src/dhcp/hwaddr.ts";
import { Option } from "../src/dhcp/option.ts";
import { Option6IA, Option6IAAddr } from "../src/dhcp/option6-ia.ts";
import { Pkt4 } from "../src/dhcp/pkt4.ts";
import { Pkt6 } from "../src/dhcp/pkt6.ts";
import { Dhcp4Srv } from "../src/dhcp4/dhcp4-srv.ts";
import type { Received4, Reply4 } from "../src/dhcp4/exchange.ts";
import { registerDhcp4Hooks } from "../src/dhcp4/hook-points.ts";
import { Dhcp6Srv } from "../src/dhcp6/dhcp6-srv.ts";
import type { Received6, Reply6 } from "../src/dhcp6/exchange.ts";
import { registerDhcp6Hooks } from "../src/dhcp6/hook-points.ts";
import { parseConfigText } from "../src/dhcpsrv/config/index.ts";
import { MemfileLeaseStore4 } from "../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { MemfileLeaseStore6 } from "../src/dhcpsrv/leases/memfile-lease-store6.ts";
import { buildDhcp4Model } from "../src/dhcpsrv/model/cfg4.ts";
import { buildDhcp6Model } from "../src/dhcpsrv/model/cfg6.ts";
import { registerProduct } from "../src/dhcpsrv/runtime/product.ts";
import { parseHooksLibraries } from "../src/hooks/config.ts";
import { HooksManager } from "../src/hooks/hooks-manager.ts";
import { ServerHooks } from "../src/hooks/server-hooks.ts";
import { LogManager } from "../src/log/logger.ts";
import { StatsManager } from "../src/stats/stats-manager.ts";
import { writeSummary } from "./lib/summaries.ts";

const { values: args } = parseArgs({
  options: {
    queries: { type: "string", default: "10000" },
    clock: { type: "string", default: "wall" },
    json: { type: "string" },
    rounds: { type: "string", default: "5" },
    case: { type: "string" },
  },
});
/**
 * --clock cpu: the process's CPU time (user + system, all threads: the JIT's and the GC's too)
 * instead of the wall clock; steadier than wall time on a machine shared with other work.
 */
const CPU_CLOCK = args.clock === "cpu";
if (args.clock !== "cpu" && args.clock !== "wall") {
  console.error(`--clock must be wall or cpu, not ${args.clock}`);
  process.exit(2);
}
const QUERIES = Number(args.queries);
const ROUNDS = Number(args.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 50) {
  console.error("--rounds must be an integer from 1 to 50");
  process.exit(2);
}
const ONLY = args.case;
if (ONLY !== undefined && !["a", "b", "c", "d", "e"].includes(ONLY)) {
  console.error(`--case must be one of a, b, c, d, e, not ${ONLY}`);
  process.exit(2);
}
/** Rounds run: one warm-up round, not counted, then ROUNDS. */
const RUNS = ROUNDS + 1;
/** The reply pipeline's batch (recvmmsg) size: the lease store is flushed once per batch. */
const BATCH = 64;
/** Addresses of the v4 pool; every REQUEST of a case takes one for good. */
const POOL4_SIZE = 2 * 65536 - 258;
if (!Number.isInteger(QUERIES) || QUERIES < 1 || QUERIES * RUNS > POOL4_SIZE) {
  console.error(`--queries must be an integer from 1 to ${Math.floor(POOL4_SIZE / RUNS)}`);
  process.exit(2);
}

// --- hook libraries -------------------------------------------------------------------------

const POINTS4 = [
  "buffer4_receive",
  "pkt4_receive",
  "subnet4_select",
  "lease4_select",
  "lease4_offer",
  "pkt4_send",
  "buffer4_send",
];
const POINTS6 = [
  "buffer6_receive",
  "pkt6_receive",
  "subnet6_select",
  "lease6_select",
  "pkt6_send",
  "buffer6_send",
];

/** A library with one callout per point: it reads an argument the point has, and continues. */
function library(points: string[], isAsync = false): string {
  const callouts = points.map((point) => {
    const v4 = point.includes("4");
    const arg = point.startsWith("buffer") && point.endsWith("_send") ? "response" : "query";
    return `export ${isAsync ? "async " : ""}function ${point}(handle) {
  if (handle.getArgument("${arg}${v4 ? 4 : 6}") === null) handle.setStatus(NextStep.DROP);
  return 0;
}`;
  });
  return `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
export const version = () => HOOKS_VERSION;
${callouts.join("\n")}
`;
}

const dir = mkdtempSync(join(tmpdir(), "nestor-bench-hooks-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const LIBS: Record<string, string> = {
  "all4.mjs": library(POINTS4),
  "receive4.mjs": library(["pkt4_receive"]),
  "async4.mjs": library(["pkt4_receive"], true),
  "all6.mjs": library(POINTS6),
  "receive6.mjs": library(["pkt6_receive"]),
  "async6.mjs": library(["pkt6_receive"], true),
};
for (const [name, text] of Object.entries(LIBS)) writeFileSync(join(dir, name), text);

interface Case {
  label: string;
  library: string | null;
}

function cases(family: 4 | 6): Case[] {
  const points = family === 4 ? POINTS4 : POINTS6;
  const all: Case[] = [
    { label: "(a) 0 callouts (no library)", library: null },
    {
      label: `(b) 1 sync callout on each of ${points.length} points`,
      library: `all${family}.mjs`,
    },
    { label: `(c) 1 sync callout on pkt${family}_receive`, library: `receive${family}.mjs` },
    { label: `(d) 1 async callout on pkt${family}_receive`, library: `async${family}.mjs` },
    {
      label: "(e) 1 idle callout on every hook point",
      library: fileURLToPath(new URL(`hooks/callouts-all${family}.mjs`, import.meta.url)),
    },
  ];
  if (ONLY === undefined) return all.slice(0, 4);
  return all.filter((c) => c.label.startsWith(`(${ONLY})`));
}

// --- the servers, as test/helpers/dhcp4.ts and dhcp6.ts build them ----------------------------

const SERVER_ADDR4 = "198.19.255.1";
const SERVER_DUID = Buffer.from("000100012a2b2c2d020000000099", "hex");

const CONFIG4 = JSON.stringify({
  Dhcp4: {
    "interfaces-config": { interfaces: [] },
    "lease-database": { type: "memfile", persist: false },
    "valid-lifetime": 4000,
    "renew-timer": 1000,
    "rebind-timer": 2000,
    subnet4: [
      {
        id: 1,
        subnet: "198.18.0.0/15",
        pools: [{ pool: "198.18.0.1 - 198.19.254.254" }],
        "option-data": [{ name: "routers", data: SERVER_ADDR4 }],
      },
    ],
  },
});

const CONFIG6 = JSON.stringify({
  Dhcp6: {
    "interfaces-config": { interfaces: [] },
    "lease-database": { type: "memfile", persist: false },
    "preferred-lifetime": 3000,
    "valid-lifetime": 4000,
    "renew-timer": 1000,
    "rebind-timer": 2000,
    subnet6: [
      {
        id: 1,
        subnet: "2001:db8:1::/64",
        interface: "eth0",
        pools: [{ pool: "2001:db8:1::1:0 - 2001:db8:1::ffff:ffff" }],
        "option-data": [{ name: "dns-servers", data: "2001:db8:1::53" }],
      },
    ],
  },
});

/** A log manager that formats what the server logs at INFO and up, and drops the lines. */
function quietLogs(name: string): LogManager {
  const logs = new LogManager(name);
  logs.configure([{ name, severity: "INFO", outputs: [() => {}] }]);
  return logs;
}

async function loadLibrary(hooks: HooksManager, library: string | null): Promise<void> {
  if (library === null) return;
  const path = isAbsolute(library) ? library : join(dir, library);
  await hooks.loadLibraries(parseHooksLibraries([{ library: path }]));
}

/** What both families' processing is built from: statistics, logs, hooks and the library. */
async function processingDeps<H>(
  name: string,
  register: (serverHooks: ServerHooks) => H,
  library: string | null,
) {
  registerProduct();
  const stats = new StatsManager();
  const logs = quietLogs(name);
  const serverHooks = new ServerHooks();
  const hookIdx = register(serverHooks);
  const hooks = new HooksManager({ serverHooks, logManager: logs, statistics: stats });
  await loadLibrary(hooks, library);
  return { hooks, hookIdx, stats, logs, clientPort: undefined };
}

async function server4(library: string | null) {
  const deps = await processingDeps("nestor-dhcp4", registerDhcp4Hooks, library);
  const model = buildDhcp4Model(parseConfigText(CONFIG4, 4, "bench.json").config, "bench.json");
  const leases = MemfileLeaseStore4.open({ persist: false });
  const srv = new Dhcp4Srv({
    ...deps,
    model,
    leases,
    serverPort: 67,
    ifaceAddresses: () => [SERVER_ADDR4],
    directResponse: () => false,
  });
  return { srv, leases, hooks: deps.hooks };
}

async function server6(library: string | null) {
  const deps = await processingDeps("nestor-dhcp6", registerDhcp6Hooks, library);
  const model = buildDhcp6Model(parseConfigText(CONFIG6, 6, "bench.json").config, "bench.json");
  const leases = MemfileLeaseStore6.open({ persist: false });
  const srv = new Dhcp6Srv({ ...deps, model, leases, serverDuid: SERVER_DUID, serverPort: 547 });
  return { srv, leases, hooks: deps.hooks };
}

// --- packets ----------------------------------------------------------------------------------

/** Client number n: transaction id and the last 4 bytes of its MAC / DUID. */
const xidOf = (n: number) => (0x10000 + n) >>> 0;

function mac(n: number): HWAddr {
  const b = Buffer.from([0x02, 0x42, 0, 0, 0, 0]);
  b.writeUInt32BE(n, 2);
  return new HWAddr(b);
}

function ipv4Bytes(a: string): Buffer {
  return Buffer.from(a.split(".").map(Number));
}

function query4(type: number, n: number, requested?: string): Buffer {
  const p = Pkt4.create(type, xidOf(n));
  p.setHWAddr(mac(n));
  if (requested !== undefined) {
    p.addOption(new Option(4, DHO.DHCP_REQUESTED_ADDRESS, ipv4Bytes(requested)));
    p.addOption(new Option(4, DHO.DHCP_SERVER_IDENTIFIER, ipv4Bytes(SERVER_ADDR4)));
  }
  p.addOption(new Option(4, DHO.DHCP_PARAMETER_REQUEST_LIST, Buffer.from([1, 3, 6, 15, 51, 54])));
  return p.pack();
}

function received4(data: Buffer): Received4 {
  return {
    data,
    srcAddr: "0.0.0.0",
    srcPort: 68,
    dstAddr: "255.255.255.255",
    iface: "eth0",
    ifindex: 2,
    receivedAt: Date.now(),
  };
}

function duid(n: number): Buffer {
  const b = Buffer.from("00010001aabbccdd020000000000", "hex");
  b.writeUInt32BE(n, 10);
  return b;
}

function query6(type: number, n: number, address?: string): Buffer {
  const p = Pkt6.create(type, xidOf(n) & 0xffffff);
  p.addOption(new Option(6, D6O.CLIENTID, duid(n)));
  if (address !== undefined) p.addOption(new Option(6, D6O.SERVERID, SERVER_DUID));
  p.addOption(new Option(6, D6O.ELAPSED_TIME, Buffer.alloc(2)));
  p.addOption(new Option(6, D6O.ORO, Buffer.from([0, 23])));
  const ia = Option6IA.create(D6O.IA_NA, 1);
  if (address !== undefined) ia.addOption(Option6IAAddr.create(address, 0, 0));
  p.addOption(ia);
  return p.pack();
}

function received6(data: Buffer): Received6 {
  return {
    data,
    srcAddr: "fe80::2",
    srcPort: 546,
    dstAddr: "ff02::1:2",
    iface: "eth0",
    ifindex: 2,
    receivedAt: Date.now(),
  };
}

/** The REQUEST that follows an OFFER: the offered address and our server identifier. */
function request4(offer: Reply4 | null, n: number): Received4 {
  const yiaddr = offer === null ? undefined : Pkt4.parse(offer.data).yiaddr;
  if (yiaddr === undefined || yiaddr === "0.0.0.0") throw new Error(`client ${n}: no offer`);
  return received4(query4(DHCPMessageType.DHCPREQUEST, n, yiaddr));
}

/** The REQUEST that follows an ADVERTISE: the advertised address and the server's DUID. */
function request6(advertise: Reply6 | null, n: number): Received6 {
  const ia = advertise === null ? undefined : Pkt6.parse(advertise.data).getOption(D6O.IA_NA);
  const addr = ia instanceof Option6IA ? ia.getOption(D6O.IAADDR) : undefined;
  if (!(addr instanceof Option6IAAddr)) throw new Error(`client ${n}: no address advertised`);
  return received6(query6(DHCPv6MessageType.DHCPV6_REQUEST, n, addr.getAddress()));
}

// --- measurement ------------------------------------------------------------------------------

interface Srv<Rx, R> {
  srv: { processQuery(rx: Rx): R | null | Promise<R | null> };
  leases: { readonly pendingWrites: number; flush(): void };
  hooks: HooksManager;
}

/**
 * Runs the queries through processQuery as the reply pipeline does: a synchronous result as it
 * is, an asynchronous one awaited and flushed on its own, a flush after each batch. Returns the
 * nanoseconds per query and fills `replies`.
 */
async function timed<Rx, R>(bed: Srv<Rx, R>, queries: Rx[], replies: (R | null)[]) {
  const { srv, leases } = bed;
  const cpu0 = CPU_CLOCK ? process.cpuUsage() : null;
  const start = process.hrtime.bigint();
  for (let i = 0; i < queries.length; i++) {
    let r = srv.processQuery(queries[i]!);
    if (r instanceof Promise) {
      r = await r;
      if (leases.pendingWrites > 0) leases.flush();
    } else if ((i + 1) % BATCH === 0 && leases.pendingWrites > 0) {
      leases.flush();
    }
    replies[i] = r;
  }
  if (leases.pendingWrites > 0) leases.flush();
  if (cpu0 !== null) {
    const used = process.cpuUsage(cpu0);
    return ((used.user + used.system) * 1000) / queries.length;
  }
  return Number(process.hrtime.bigint() - start) / queries.length;
}

function checkReplies(what: string, replies: unknown[]): void {
  const missing = replies.filter((r) => r === null).length;
  if (missing > 0) throw new Error(`${what}: ${missing} of ${replies.length} queries unanswered`);
}

interface Result {
  label: string;
  first: number[];
  second: number[];
}

interface Bed<Rx, R> extends Srv<Rx, R> {
  label: string;
}

/**
 * Each round runs every case in turn (so that they share the JIT's state and the machine's
 * drift): the first messages of the round's clients, then the REQUESTs built from their replies.
 */
async function measure<Rx, R>(
  beds: Bed<Rx, R>[],
  first: Rx[][],
  followUp: (reply: R | null, n: number) => Rx,
): Promise<Result[]> {
  const results: Result[] = beds.map((b) => ({ label: b.label, first: [], second: [] }));
  for (let run = 0; run < RUNS; run++) {
    const queries = first[run]!;
    for (const [k, bed] of beds.entries()) {
      const replies: (R | null)[] = new Array<R | null>(queries.length).fill(null);
      const ns1 = await timed(bed, queries, replies);
      checkReplies(`${bed.label}, first message`, replies);
      const requests = replies.map((r, i) => followUp(r, run * QUERIES + i));
      const ns2 = await timed(bed, requests, replies);
      checkReplies(`${bed.label}, REQUEST`, replies);
      if (run > 0) {
        results[k]!.first.push(ns1);
        results[k]!.second.push(ns2);
      }
    }
  }
  for (const bed of beds) await bed.hooks.unloadLibraries();
  return results;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const best = (xs: number[]) => Math.min(...xs);

function report(title: string, results: Result[], which: "first" | "second"): void {
  console.log(title);
  const base = median(results[0]![which]);
  for (const r of results) {
    const m = median(r[which]);
    const ratio = r === results[0] ? "" : `  x${(m / base).toFixed(2)}`;
    console.log(
      `  ${r.label.padEnd(42)} ${m.toFixed(0).padStart(7)} ns/query  (best ${best(r[which]).toFixed(0).padStart(6)})${ratio}`,
    );
  }
}

/** Client packets, one array per round, every client different. */
function firstQueries<Rx>(build: (n: number) => Rx): Rx[][] {
  return Array.from({ length: RUNS }, (_, run) =>
    Array.from({ length: QUERIES }, (_, i) => build(run * QUERIES + i)),
  );
}

console.log(
  `processQuery with hook callouts: ${QUERIES} queries x ${ROUNDS} rounds (+1 warm-up), ` +
    `Node ${process.version}; median ns/query (best) of ${CPU_CLOCK ? "CPU time" : "wall time"}, ` +
    "ratio of medians to (a)",
);

const discovers = firstQueries((n) => received4(query4(DHCPMessageType.DHCPDISCOVER, n)));
const beds4: Bed<Received4, Reply4>[] = [];
for (const c of cases(4)) beds4.push({ label: c.label, ...(await server4(c.library)) });
const results4 = await measure(beds4, discovers, request4);
report("DHCPv4 DISCOVER -> OFFER", results4, "first");
report("DHCPv4 REQUEST -> ACK (after the OFFER)", results4, "second");

const solicits = firstQueries((n) => received6(query6(DHCPv6MessageType.DHCPV6_SOLICIT, n)));
const beds6: Bed<Received6, Reply6>[] = [];
for (const c of cases(6)) beds6.push({ label: c.label, ...(await server6(c.library)) });
const results6 = await measure(beds6, solicits, request6);
report("DHCPv6 SOLICIT -> ADVERTISE", results6, "first");
report("DHCPv6 REQUEST -> REPLY (after the ADVERTISE)", results6, "second");

const summaryCases = (results: Result[]) =>
  results.map((r) => ({ label: r.label, firstNs: median(r.first), requestNs: median(r.second) }));
writeSummary(args.json, {
  kind: "hooks",
  date: new Date().toISOString(),
  families: { "4": { cases: summaryCases(results4) }, "6": { cases: summaryCases(results6) } },
});
