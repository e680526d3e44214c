/**
 * What one exchange costs in process: allocation (bytes per exchange, collected objects included)
 * and CPU time, for the 4-way exchange of the perfdhcp bed (bench:dhcp4 / bench:dhcp6) run through
 * the servers' `processQuery`, without sockets.
 *
 *   npm run bench:packet [-- --family 4|6 --exchanges N --rounds R --top K --alloc-only
 *                            --cpu-only --callouts all --json FILE]
 *
 * The packets are perfdhcp's (captured from perfdhcp 2.2): a relayed DISCOVER with options 53, 55
 * (1, 28, 2, 3, 15, 6, 12) and 61, then a REQUEST adding 50 and 54; a SOLICIT with CLIENTID,
 * IA_NA, ORO (23, 24) and ELAPSED_TIME, then a REQUEST adding SERVERID and the advertised IAADDR.
 * Every exchange is a different client. The servers are built as the servers build themselves
 * (configuration text, model, memfile lease store persisting to a file in a temporary directory,
 * no hook library, WARN logs into a sink), with the configuration of the perfdhcp bed; as the
 * reply pipeline does, the lease store is flushed after every 8 queries. Packets (REQUESTs from
 * the replies too) are built outside the measured spans.
 *
 * Each family runs in its own process (the servers are one family each: two families in one
 * process would make the shared packet code polymorphic as a server never sees it). Per family:
 * two warm-up rounds, then (CPU first: after the sampling heap profiler has run, the process's
 * code allocates more slowly, by up to 20 % per exchange in a trial)
 * - allocation: V8's sampling heap profiler (one sample per 256 bytes, objects already collected
 *   by the young and old generation collectors included) over one round; bytes per exchange, and
 *   the allocation sites with the most bytes (--top K, default 15): function, file and line;
 * - CPU: the process's CPU time (user + system, all threads) per exchange over --rounds rounds
 *   (default 5), each on fresh clients; the lowest and the median.
 *
 * A script, not a test: it prints the figures. --json FILE writes them there too.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { D6O, DHCPMessageType, DHCPv6MessageType, DHO } from "../src/dhcp/constants.ts";
import { HWAddr } from "../src/dhcp/hwaddr.ts";
import { Option } from "../src/dhcp/option.ts";
import { Option6IA, Option6IAAddr } from "../src/dhcp/option6-ia.ts";
import { Pkt4 } from "../src/dhcp/pkt4.ts";
import { Pkt6 } from "../src/dhcp/pkt6.ts";
import { Dhcp4Srv } from "../src/dhcp4/dhcp4-srv.ts";
import type { Received4 } from "../src/dhcp4/exchange.ts";
import { registerDhcp4Hooks } from "../src/dhcp4/hook-points.ts";
import { Dhcp6Srv } from "../src/dhcp6/dhcp6-srv.ts";
import type { Received6 } from "../src/dhcp6/exchange.ts";
import { registerDhcp6Hooks } from "../src/dhcp6/hook-points.ts";
import { parseConfigText } from "../src/dhcpsrv/config/index.ts";
import { MemfileLeaseStore4 } from "../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { MemfileLeaseStore6 } from "../src/dhcpsrv/leases/memfile-lease-store6.ts";
import { buildDhcp4Model } from "../src/dhcpsrv/model/cfg4.ts";
import { buildDhcp6Model } from "../src/dhcpsrv/model/cfg6.ts";
import { registerProduct } from "../src/dhcpsrv/runtime/product.ts";
import { HooksManager } from "../src/hooks/hooks-manager.ts";
import { ServerHooks } from "../src/hooks/server-hooks.ts";
import { LogManager } from "../src/log/logger.ts";
import { StatsManager } from "../src/stats/stats-manager.ts";

const { values: args } = parseArgs({
  options: {
    family: { type: "string" },
    exchanges: { type: "string", default: "10000" },
    rounds: { type: "string", default: "5" },
    top: { type: "string", default: "15" },
    stack: { type: "string", default: "1" },
    inclusive: { type: "string", default: "0" },
    "alloc-only": { type: "boolean", default: false },
    "cpu-only": { type: "boolean", default: false },
    json: { type: "string" },
    callouts: { type: "string" },
  },
});

const EXCHANGES = Number(args.exchanges);
const ROUNDS = Number(args.rounds);
const TOP = Number(args.top);
/** Frames named per allocation site: 1, the allocating function; more, its callers too. */
const STACK = Number(args.stack);
/** Functions listed by inclusive bytes (their own and their callees'). */
const INCLUSIVE = Number(args.inclusive);
const WARMUP = 2;
/** The reply pipeline's flush: one lease file write per this many queries. */
const FLUSH_EVERY = 8;
/** Addresses in the v4 pool (198.18.0.1 - 198.19.254.254); every exchange takes one for good. */
const POOL4_SIZE = 2 * 65536 - 258;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 20) fail("--rounds: 1 to 20");
if (!Number.isInteger(TOP) || TOP < 0 || TOP > 200) fail("--top: 0 to 200");
if (!Number.isInteger(STACK) || STACK < 1 || STACK > 20) fail("--stack: 1 to 20");
if (!Number.isInteger(INCLUSIVE) || INCLUSIVE < 0 || INCLUSIVE > 200) fail("--inclusive: 0 to 200");
const SPANS = WARMUP + 1 + ROUNDS;
if (!Number.isInteger(EXCHANGES) || EXCHANGES < 1 || EXCHANGES * SPANS > POOL4_SIZE) {
  fail(`--exchanges: 1 to ${Math.floor(POOL4_SIZE / SPANS)} with ${ROUNDS} rounds`);
}
if (args["alloc-only"] && args["cpu-only"]) fail("--alloc-only and --cpu-only exclude each other");
if (args.callouts !== undefined && args.callouts !== "all") fail('--callouts takes only "all"');

/** One family's figures. */
interface Figures {
  family: 4 | 6;
  exchanges: number;
  /** Bytes allocated per exchange (null with --cpu-only). */
  bytesPerExchange: number | null;
  /** CPU microseconds per exchange, each round (empty with --alloc-only). */
  cpuUs: number[];
}

// --- without --family: one child process per family -------------------------------------------

if (args.family === undefined) {
  const all: Figures[] = [];
  const dir = mkdtempSync(join(tmpdir(), "nestor-bench-packet-"));
  try {
    for (const family of ["4", "6"]) {
      const out = join(dir, `${family}.json`);
      const rest = process.argv
        .slice(2)
        .filter((_, i, a) => a[i] !== "--json" && a[i - 1] !== "--json");
      const r = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          ...rest,
          "--family",
          family,
          "--json",
          out,
        ],
        { stdio: "inherit" },
      );
      if (r.status !== 0) fail(`the family ${family} run failed (exit ${r.status})`);
      all.push(...(JSON.parse(await readText(out)) as { figures: Figures[] }).figures);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (args.json !== undefined) writeJson(args.json, all);
  process.exit(0);
}

async function readText(path: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  return readFile(path, "utf8");
}

function writeJson(path: string, figures: Figures[]): void {
  writeFileSync(path, JSON.stringify({ kind: "packet", date: new Date().toISOString(), figures }));
}

const FAMILY = args.family === "4" ? 4 : args.family === "6" ? 6 : fail("--family: 4 or 6");

// --- the servers --------------------------------------------------------------------------------

const SERVER_ADDR4 = "198.19.255.1";
const RELAY_ADDR4 = "198.19.255.2";
const SERVER_DUID = Buffer.from("000100012a2b2c2d020000000099", "hex");

const leaseDir = mkdtempSync(join(tmpdir(), "nestor-bench-packet-leases-"));
process.on("exit", () => rmSync(leaseDir, { recursive: true, force: true }));

/** The configuration of the perfdhcp bed (bench/dhcp4.ts, bench/dhcp6.ts). */
function configText(family: 4 | 6): string {
  const common = {
    "interfaces-config": { interfaces: [] },
    "valid-lifetime": 4000,
    "renew-timer": 1000,
    "rebind-timer": 2000,
  };
  if (family === 4) {
    return JSON.stringify({
      Dhcp4: {
        ...common,
        subnet4: [
          { id: 1, subnet: "198.18.0.0/15", pools: [{ pool: "198.18.0.1 - 198.19.254.254" }] },
        ],
      },
    });
  }
  return JSON.stringify({
    Dhcp6: {
      ...common,
      "preferred-lifetime": 3000,
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          interface: "eth0",
          pools: [{ pool: "2001:db8:1::1:0 - 2001:db8:1::ffff:ffff" }],
        },
      ],
    },
  });
}

/** What both families' processing is built from: statistics, logs (WARN, dropped), hooks. */
function deps<H>(name: string, register: (serverHooks: ServerHooks) => H) {
  registerProduct();
  const stats = new StatsManager();
  const logs = new LogManager(name);
  logs.configure([{ name, severity: "WARN", outputs: [() => {}] }]);
  const serverHooks = new ServerHooks();
  const hookIdx = register(serverHooks);
  const hooks = new HooksManager({ serverHooks, logManager: logs, statistics: stats });
  return { stats, logs, hooks, hookIdx, clientPort: undefined };
}

interface Bed<Rx> {
  process(rx: Rx): Buffer | null;
  leases: { readonly pendingWrites: number; flush(): void };
}

/**
 * --callouts all: bench:dhcpN's library of one trivial synchronous callout on every hook point
 * (bench/hooks/callouts-allN.mjs), loaded as the server loads it: what the dispatch adds to an
 * exchange, in bytes and CPU, against the same run without it.
 */
async function withCallouts(d: ReturnType<typeof deps>, family: 4 | 6): Promise<void> {
  if (args.callouts !== "all") return;
  const path = fileURLToPath(new URL(`hooks/callouts-all${family}.mjs`, import.meta.url));
  await d.hooks.loadLibraries([{ library: path, path }]);
}

async function server4(): Promise<Bed<Received4>> {
  const leases = MemfileLeaseStore4.open({ name: join(leaseDir, "leases4.csv") });
  const d = deps("nestor-dhcp4", registerDhcp4Hooks);
  await withCallouts(d, 4);
  const srv = new Dhcp4Srv({
    ...d,
    model: buildDhcp4Model(parseConfigText(configText(4), 4, "bench.json").config),
    leases,
    serverPort: 67,
    ifaceAddresses: () => [SERVER_ADDR4],
    directResponse: () => false,
  });
  return { process: (rx) => sync(srv.processQuery(rx))?.data ?? null, leases };
}

async function server6(): Promise<Bed<Received6>> {
  const leases = MemfileLeaseStore6.open({ name: join(leaseDir, "leases6.csv") });
  const d = deps("nestor-dhcp6", registerDhcp6Hooks);
  await withCallouts(d, 6);
  const srv = new Dhcp6Srv({
    ...d,
    model: buildDhcp6Model(parseConfigText(configText(6), 6, "bench.json").config),
    leases,
    serverDuid: SERVER_DUID,
    serverPort: 547,
  });
  return { process: (rx) => sync(srv.processQuery(rx))?.data ?? null, leases };
}

/** Without hook libraries nothing waits: a Promise here means the bench is not measuring the
 *  synchronous path it means to. */
function sync<T>(r: T | Promise<T>): T {
  if (r instanceof Promise) throw new Error("processQuery went asynchronous");
  return r;
}

// --- perfdhcp's packets -------------------------------------------------------------------------

const xidOf = (n: number) => (0x10000 + n) >>> 0;

function mac(n: number): Buffer {
  const b = Buffer.from([0x00, 0x0c, 0, 0, 0, 0]);
  b.writeUInt32BE(n, 2);
  return b;
}

const PRL4 = Buffer.from([1, 28, 2, 3, 15, 6, 12]);

function query4(type: number, n: number, requested?: Buffer): Received4 {
  const p = Pkt4.create(type, xidOf(n));
  p.setHWAddr(new HWAddr(mac(n)));
  p.giaddr = RELAY_ADDR4;
  p.setHops(1);
  if (requested !== undefined) {
    p.addOption(new Option(4, DHO.DHCP_REQUESTED_ADDRESS, requested));
    p.addOption(new Option(4, DHO.DHCP_SERVER_IDENTIFIER, Buffer.from([198, 19, 255, 1])));
  }
  p.addOption(new Option(4, DHO.DHCP_PARAMETER_REQUEST_LIST, PRL4));
  p.addOption(new Option(4, DHO.DHCP_CLIENT_IDENTIFIER, Buffer.concat([Buffer.from([1]), mac(n)])));
  return {
    data: p.pack(),
    srcAddr: RELAY_ADDR4,
    srcPort: 67,
    dstAddr: SERVER_ADDR4,
    iface: "eth0",
    ifindex: 2,
    receivedAt: Date.now(),
  };
}

function request4(offer: Buffer | null, n: number): Received4 {
  const yiaddr = offer === null ? 0 : Pkt4.parse(offer).yiaddrInt;
  if (yiaddr === 0) throw new Error(`client ${n}: no offer`);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(yiaddr);
  return query4(DHCPMessageType.DHCPREQUEST, n, b);
}

function duid(n: number): Buffer {
  const b = Buffer.from("00010001aabbccdd000c00000000", "hex");
  b.writeUInt32BE(n, 10);
  return b;
}

function query6(type: number, n: number, ia: Option6IA): Received6 {
  const p = Pkt6.create(type, xidOf(n) & 0xffffff);
  p.addOption(new Option(6, D6O.CLIENTID, duid(n)));
  if (type === DHCPv6MessageType.DHCPV6_REQUEST)
    p.addOption(new Option(6, D6O.SERVERID, SERVER_DUID));
  p.addOption(ia);
  p.addOption(new Option(6, D6O.ORO, Buffer.from([0, 23, 0, 24])));
  p.addOption(new Option(6, D6O.ELAPSED_TIME, Buffer.alloc(2)));
  return {
    data: p.pack(),
    srcAddr: "fe80::20c:ff:fe00:1",
    srcPort: 546,
    dstAddr: "ff02::1:2",
    iface: "eth0",
    ifindex: 2,
    receivedAt: Date.now(),
  };
}

function solicit(n: number): Received6 {
  return query6(DHCPv6MessageType.DHCPV6_SOLICIT, n, Option6IA.create(D6O.IA_NA, 1, 3600, 5400));
}

function request6(advertise: Buffer | null, n: number): Received6 {
  const ia = advertise === null ? undefined : Pkt6.parse(advertise).getOption(D6O.IA_NA);
  const addr = ia instanceof Option6IA ? ia.getOption(D6O.IAADDR) : undefined;
  if (!(addr instanceof Option6IAAddr)) throw new Error(`client ${n}: no address advertised`);
  const copy = Option6IA.create(D6O.IA_NA, 1, 3600, 5400);
  copy.addOption(Option6IAAddr.create(addr.getAddress(), 3000, 4000));
  return query6(DHCPv6MessageType.DHCPV6_REQUEST, n, copy);
}

// --- measurement --------------------------------------------------------------------------------

/** Runs queries as the reply pipeline does; returns the replies. */
function run<Rx>(bed: Bed<Rx>, queries: Rx[]): (Buffer | null)[] {
  const replies = new Array<Buffer | null>(queries.length);
  for (let i = 0; i < queries.length; i++) {
    replies[i] = bed.process(queries[i]!);
    if ((i + 1) % FLUSH_EVERY === 0 && bed.leases.pendingWrites > 0) bed.leases.flush();
  }
  if (bed.leases.pendingWrites > 0) bed.leases.flush();
  const missing = replies.filter((r) => r === null).length;
  if (missing > 0) throw new Error(`${missing} of ${queries.length} queries unanswered`);
  return replies;
}

interface Family<Rx> {
  bed: Bed<Rx>;
  first: (n: number) => Rx;
  second: (reply: Buffer | null, n: number) => Rx;
}

/**
 * One round of EXCHANGES clients starting at `from`: the first messages, then (built outside the
 * measured spans) the REQUESTs. `around` wraps each of the two measured spans.
 */
async function round<Rx>(
  f: Family<Rx>,
  from: number,
  around: (span: () => void) => Promise<void>,
): Promise<void> {
  const first = Array.from({ length: EXCHANGES }, (_, i) => f.first(from + i));
  let replies: (Buffer | null)[] = [];
  await around(() => {
    replies = run(f.bed, first);
  });
  const second = replies.map((r, i) => f.second(r, from + i));
  await around(() => {
    run(f.bed, second);
  });
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Bytes by allocation site: `self` by the allocating function (file and the line where it
 * starts) and, with --stack N, its N - 1 nearest callers; `inclusive` by function, its callees'
 * bytes included (once when it recurs).
 */
function sites(head: SamplingNode): { self: Map<string, number>; inclusive: Map<string, number> } {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const frame = (n: SamplingNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.startsWith("file://") ? relative(ROOT, fileURLToPath(url)) : url;
    return `${functionName || "(anonymous)"} ${file}:${lineNumber + 1}`;
  };
  const walk = (n: SamplingNode, callers: string[]): number => {
    const here = frame(n);
    if (n.selfSize > 0) {
      const key = [here, ...callers.slice(0, STACK - 1)].join(" < ");
      self.set(key, (self.get(key) ?? 0) + n.selfSize);
    }
    let total = n.selfSize;
    for (const c of n.children) total += walk(c, [here, ...callers]);
    if (!callers.includes(here)) inclusive.set(here, (inclusive.get(here) ?? 0) + total);
    return total;
  };
  walk(head, []);
  return { self, inclusive };
}

function add(into: Map<string, number>, from: Map<string, number>): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

function printTop(title: string, m: Map<string, number>, count: number): void {
  if (count === 0) return;
  console.log(title);
  for (const [site, bytes] of [...m].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    console.log(`  ${(bytes / EXCHANGES).toFixed(0).padStart(6)} B  ${site}`);
  }
}

async function measure<Rx>(f: Family<Rx>): Promise<Figures> {
  let next = 0;
  const fresh = () => {
    const from = next;
    next += EXCHANGES;
    return from;
  };
  const plain = async (span: () => void) => span();
  for (let i = 0; i < WARMUP; i++) await round(f, fresh(), plain);
  const figures: Figures = {
    family: FAMILY,
    exchanges: EXCHANGES,
    bytesPerExchange: null,
    cpuUs: [],
  };

  if (!args["alloc-only"]) {
    for (let r = 0; r < ROUNDS; r++) {
      let us = 0;
      await round(f, fresh(), async (span) => {
        const t0 = process.cpuUsage();
        span();
        const t = process.cpuUsage(t0);
        us += t.user + t.system;
      });
      figures.cpuUs.push(us / EXCHANGES);
    }
    const sorted = [...figures.cpuUs].sort((a, b) => a - b);
    console.log(
      `DHCPv${FAMILY}: CPU per exchange ${sorted[0]!.toFixed(1)} µs lowest, ` +
        `${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} µs median ` +
        `(rounds: ${figures.cpuUs.map((x) => x.toFixed(1)).join(", ")})`,
    );
  }
  if (!args["cpu-only"]) {
    const session = new Session();
    session.connect();
    const self = new Map<string, number>();
    const inclusive = new Map<string, number>();
    await round(f, fresh(), async (span) => {
      await session.post("HeapProfiler.startSampling", {
        samplingInterval: 256,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      span();
      const { profile } = (await session.post("HeapProfiler.stopSampling")) as {
        profile: { head: SamplingNode };
      };
      const s = sites(profile.head);
      add(self, s.self);
      add(inclusive, s.inclusive);
    });
    session.disconnect();
    let total = 0;
    for (const v of self.values()) total += v;
    figures.bytesPerExchange = total / EXCHANGES;
    console.log(
      `DHCPv${FAMILY}: ${(total / EXCHANGES / 1024).toFixed(1)} KB allocated per exchange ` +
        `(${EXCHANGES} exchanges, sampled every 256 bytes)`,
    );
    printTop("  by allocating function (bytes per exchange):", self, TOP);
    printTop("  by function, callees included:", inclusive, INCLUSIVE);
  }

  return figures;
}

const figures =
  FAMILY === 4
    ? await measure<Received4>({
        bed: await server4(),
        first: (n) => query4(DHCPMessageType.DHCPDISCOVER, n),
        second: request4,
      })
    : await measure<Received6>({ bed: await server6(), first: solicit, second: request6 });
if (args.json !== undefined) writeJson(args.json, [figures]);
