/**
 * Memory, start-up and control-channel figures of nestor-dhcp4/6 against Kea 2.2's
 * kea-dhcp4/6, in one run on one bed, as root, in two network namespaces this script creates
 * (prefix nmb) and removes at the end, even on failure:
 *
 *   nmb-cli [nmb-c0 198.19.255.2/24 2001:db8:ffff::2/64] ---veth--- [nmb-s0 .1 ::1] nmb-srv
 *
 * For each family, each server in turn reads the very same configuration (memfile persist, the
 * lease file in a temporary directory, lfc-interval 0, a unix control socket, WARN logs, one
 * subnet: 198.18.0.0/15 or 2001:db8::/64) and the very same lease file written here in Kea's CSV
 * format, all leases valid for a day, then:
 *
 *   (a) start: time from spawning the server to its first DHCP answer (a relayed DISCOVER or
 *       SOLICIT sent every 20 ms from the client namespace), and VmRSS (/proc/PID/status) then;
 *   (b) fuzz: --warmup fuzzed packets (test/fuzz's seeded mutations of the captured client
 *       packets), VmRSS, then --fuzz more, VmRSS again: the growth;
 *   (c) large: one control command of --large-mb MB (an unknown command whose argument holds a
 *       string that long): the rise of VmRSS over the request (peak: VmHWM after resetting it
 *       through /proc/PID/clear_refs; after: VmRSS once answered);
 *   (d) clients: --clients unix control connections opened at once, each sending version-get:
 *       how many are answered, closed without an answer, or refused.
 *
 * The v4 lease count: 1,000,000 distinct IPv4 addresses do not fit in the address ranges this
 * project's tests and benchmarks may use (198.18.0.0/15 holds 131,072), so the default v4 file
 * holds --leases4 (120,000) leases of that pool, and the figures at 1,000,000 are projected;
 * `--lease4-prefix` takes a larger prefix for a bed where one is free (the addresses are only
 * ever in the lease file and in the servers' memory, never on a wire).
 *
 * The projection: below 10^6 leases, each server is also started on the first 1/P, 2/P... of
 * the lease file (P = --points, 4 by default: 30,000, 60,000, 90,000 and 120,000 v4 leases), and
 * the line fitted through the start times and RSS at those counts gives the cost of each further
 * lease and the figures at 10^6. The cost per lease above the empty server is printed too; it
 * overstates, since the first leases cost more than the next ones (Nestor's young generation,
 * filled once by the load's garbage; tables made once).
 *
 *   npm run bench:memory [-- --family 4|6|both --leases4 N --leases6 N --fuzz N --warmup N
 *                            --rate N --large-mb N --clients N --points P --no-build
 *                            --only nestor|kea
 *                            --fuzz-steps S --json FILE --gc-trace]
 *
 * The fuzz runs in S parts (10 by default), Nestor's or Kea's RSS read after each: the series
 * shows whether RSS keeps growing with the packets or levels off once the process has reached
 * its working size (V8's heap grows in steps until its collections settle).
 *
 * --gc-trace starts Nestor with `node --trace-gc` and prints, beside each fuzz RSS figure, V8's
 * heap after its last collection (used and committed) and the full collections in between: what
 * RSS holds beyond the live heap.
 *
 * --json FILE writes the figures there too (bench/lib/summaries.ts), for bench:targets.
 */
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";

import { control } from "./lib/control.ts";
import { TestBed } from "./lib/netns.ts";
import {
  Processes,
  buildDist,
  entryNodeOptions,
  onPath,
  run,
  sleep,
  type Started,
} from "./lib/processes.ts";
import {
  linearFit,
  memorySummary,
  writeSummary,
  type LoadPoint,
  type MemoryFigures,
} from "./lib/summaries.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const CLIENT = join(ROOT, "bench/lib/memory-client.ts");
const execFileAsync = promisify(execFile);
type Family = 4 | 6;
type ServerName = "Nestor" | "Kea";

const { values } = parseArgs({
  options: {
    family: { type: "string", default: "both" },
    leases4: { type: "string", default: "120000" },
    leases6: { type: "string", default: "1000000" },
    "lease4-prefix": { type: "string", default: "198.18.0.0/15" },
    fuzz: { type: "string", default: "1000000" },
    warmup: { type: "string", default: "100000" },
    rate: { type: "string", default: "20000" },
    "large-mb": { type: "string", default: "10" },
    clients: { type: "string", default: "200" },
    points: { type: "string", default: "4" },
    only: { type: "string" },
    "no-build": { type: "boolean" },
    prefix: { type: "string", default: "nmb" },
    json: { type: "string" },
    "gc-trace": { type: "boolean" },
    "fuzz-steps": { type: "string", default: "10" },
  },
});

function int(name: string, lo: number, hi: number): number {
  const v = Number(values[name as keyof typeof values]);
  if (!Number.isSafeInteger(v) || v < lo || v > hi) {
    throw new Error(`--${name} must be a whole number from ${lo} to ${hi}`);
  }
  return v;
}

const O = {
  families: (values.family === "both" ? [4, 6] : [Number(values.family)]) as Family[],
  leases4: int("leases4", 0, 16_000_000),
  leases6: int("leases6", 0, 16_000_000),
  fuzz: int("fuzz", 0, 100_000_000),
  warmup: int("warmup", 0, 100_000_000),
  rate: int("rate", 100, 1_000_000),
  largeMb: int("large-mb", 1, 1024),
  clients: int("clients", 1, 10_000),
  points: int("points", 1, 20),
  fuzzSteps: int("fuzz-steps", 1, 1000),
  servers: (values.only === "nestor"
    ? ["Nestor"]
    : values.only === "kea"
      ? ["Kea"]
      : ["Nestor", "Kea"]) as ServerName[],
};
for (const f of O.families) {
  if (f !== 4 && f !== 6) throw new Error("--family must be 4, 6 or both");
}
if (!/^[a-z][a-z0-9]{0,9}$/.test(values.prefix!)) throw new Error("--prefix: 1-10 [a-z0-9]");

const bed = new TestBed({
  prefix: values.prefix!,
  serverAddress: "198.19.255.1",
  clientAddress: "198.19.255.2",
  prefixLength: 24,
});
const SERVER6 = "2001:db8:ffff::1";
const CLIENT6 = "2001:db8:ffff::2";
// The relayed SOLICIT's link-address (so in the subnet); it goes to All_DHCP_Relay_Agents_and_Servers
// on the link, from the relay's address on the link, where the answer comes back.
const RELAY6 = "2001:db8::2";
const procs = new Processes();
const ALL_SERVERS = `ff02::1:2%${bed.clientIface}`;

function relayArgs(family: Family): [string, string] {
  return family === 4 ? [bed.clientAddress, bed.clientAddress] : [CLIENT6, RELAY6];
}
const dir = mkdtempSync(join(tmpdir(), "nestor-bench-memory-"));

// ---------------------------------------------------------------------------------------------
// The lease files

function parsePrefix4(text: string): { base: number; size: number } {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(text);
  if (m === null) throw new Error(`--lease4-prefix: not an IPv4 prefix: ${text}`);
  const len = Number(m[5]);
  const base =
    (((+m[1]! << 24) | (+m[2]! << 16) | (+m[3]! << 8) | +m[4]!) >>> 0) &
    ~((2 ** (32 - len) - 1) >>> 0);
  return { base: base >>> 0, size: 2 ** (32 - len) };
}

function ip4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function hex(n: number, bytes: number): string {
  let s = "";
  for (let i = bytes - 1; i >= 0; i--) {
    s += ((n / 2 ** (8 * i)) & 255).toString(16).padStart(2, "0");
    if (i > 0) s += ":";
  }
  return s;
}

async function writeLines(
  path: string,
  header: string,
  count: number,
  line: (i: number) => string,
) {
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  const chunk: string[] = [];
  for (let i = 0; i < count; i++) {
    chunk.push(line(i));
    if (chunk.length === 10_000 || i === count - 1) {
      if (!out.write(`${chunk.join("\n")}\n`))
        await new Promise<void>((r) => out.once("drain", () => r()));
      chunk.length = 0;
    }
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
}

const V4_HEADER =
  "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";
const V6_HEADER =
  "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len,fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source";

/** The lease count of the family's file (v4: no more than its prefix holds below the pool). */
function leaseCount(family: Family): number {
  return family === 4
    ? Math.min(O.leases4, parsePrefix4(values["lease4-prefix"]!).size - 1000)
    : O.leases6;
}

/** Writes the family's lease file, of `count` leases: the first `count` of the full file. */
async function leaseFile(family: Family, path: string, count: number): Promise<number> {
  const expire = Math.floor(Date.now() / 1000) + 86_400;
  if (family === 4) {
    const { base } = parsePrefix4(values["lease4-prefix"]!);
    // From .1 on; the last 1000 addresses of the prefix are the pool.
    await writeLines(path, V4_HEADER, count, (i) => {
      const mac = hex(0x020000000000 + i, 6);
      return `${ip4(base + 1 + i)},${mac},01:${mac},86400,${expire},1,0,0,,0,`;
    });
    return count;
  }
  await writeLines(path, V6_HEADER, count, (i) => {
    const hi = Math.floor(i / 65536);
    const lo = i % 65536;
    const mac = hex(0x020000000000 + i, 6);
    return `2001:db8::1:${hi.toString(16)}:${lo.toString(16)},00:03:00:01:${mac},86400,${expire},1,43200,0,${i},128,0,0,,${mac},0,,1,2`;
  });
  return count;
}

function config(family: Family, leaseFile: string, socket: string): unknown {
  const common = {
    "interfaces-config": {
      // v6: the unicast address too, where the fuzzed packets go (multicast at that rate is
      // mostly lost before either server sees it).
      interfaces: [family === 4 ? bed.serverIface : `${bed.serverIface}/${SERVER6}`],
      ...(family === 4 ? { "dhcp-socket-type": "udp" } : {}),
    },
    "lease-database": { type: "memfile", persist: true, name: leaseFile, "lfc-interval": 0 },
    "control-socket": { "socket-type": "unix", "socket-name": socket },
    "valid-lifetime": 86_400,
    loggers: [
      {
        name: `kea-dhcp${family}`,
        severity: process.env.BENCH_DEBUG ? "DEBUG" : "WARN",
        debuglevel: 99,
        output_options: [{ output: "stderr" }],
      },
    ],
  };
  if (family === 4) {
    const { base, size } = parsePrefix4(values["lease4-prefix"]!);
    const subnet = values["lease4-prefix"]!;
    return {
      Dhcp4: {
        ...common,
        subnet4: [
          {
            id: 1,
            subnet,
            // The pool is the last 1000 addresses, the leases are below it: the first answer
            // does not wait for the allocator to walk past every lease (both servers walk the
            // pool from its start after a restart).
            pools: [{ pool: `${ip4(base + size - 1000)} - ${ip4(base + size - 2)}` }],
            // The relay (the client namespace) is on 198.19.255.0/24: inside 198.18.0.0/15, or
            // named by its address when another prefix is asked for.
            ...(subnet === "198.18.0.0/15"
              ? {}
              : { relay: { "ip-addresses": [bed.clientAddress] } }),
          },
        ],
      },
    };
  }
  return {
    Dhcp6: {
      ...common,
      "preferred-lifetime": 43_200,
      // Not persisted: nothing written outside the temporary directory.
      "server-id": { type: "LLT", persist: false },
      // The leases are in 2001:db8::1:0:0/96, outside the pool (see the v4 pool).
      subnet6: [{ id: 1, subnet: "2001:db8::/64", pools: [{ pool: "2001:db8::ff:0:0/96" }] }],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Measuring one server

function status(pid: number, key: "VmRSS" | "VmHWM"): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  if (m === null) throw new Error(`no ${key} for ${pid}`);
  return Number(m[1]) / 1024; // MiB
}

/** The PID of the server itself: `ip netns exec` execs it, so the spawned PID is the server. */
function serverPid(p: Started): number {
  return p.pid;
}

function startServer(name: ServerName, family: Family, cfg: string, traceGc = false): Started {
  const env = { ...process.env, KEA_PIDFILE_DIR: dir, KEA_LOCKFILE_DIR: dir };
  if (name === "Kea") {
    const [cmd, args] = bed.exec(bed.serverNs, `kea-dhcp${family}`, ["-c", cfg]);
    return procs.start(cmd, args, { env });
  }
  const entry = join(ROOT, `dist/cli/nestor-dhcp${family}.js`);
  const [cmd, args] = bed.exec(bed.serverNs, process.execPath, [
    // The options of the entry's first line, as the installed command starts.
    ...entryNodeOptions(entry),
    ...(traceGc ? ["--trace-gc"] : []),
    entry,
    "-c",
    cfg,
  ]);
  return procs.start(cmd, args, { env });
}

/** What `node --trace-gc` said last: the heap after the collection, and full collections so far. */
interface GcWatch {
  used: number;
  committed: number;
  full: number;
}

/** Follows a server's `--trace-gc` lines on its stdout. */
function watchGc(server: Started): GcWatch {
  const w: GcWatch = { used: NaN, committed: NaN, full: 0 };
  for (const stream of [server.child.stdout, server.child.stderr]) {
    let partial = "";
    stream?.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop()!;
      for (const line of lines) read(line);
    });
  }
  function read(line: string): void {
    const m = /: (Scavenge|Mark-Compact)[^:]*? [\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/.exec(
      line,
    );
    if (m === null) return;
    w.used = Number(m[2]);
    w.committed = Number(m[3]);
    if (m[1] === "Mark-Compact") w.full++;
  }
  return w;
}

/**
 * A client run in the client namespace, while this process goes on reading the server's output. A server logs a WARN
 * line for many fuzzed packets; with this process blocked in a synchronous run, nobody read the
 * pipe of its stderr: Kea then blocked in write(2) and stopped reading packets, and Nestor held
 * the lines it could not write. Neither is what a server whose log is read does.
 */
async function clientRun(args: string[], timeoutMs: number): Promise<string> {
  const [cmd, a] = bed.exec(bed.clientNs, process.execPath, [CLIENT, ...args]);
  const { stdout } = await execFileAsync(cmd, a, { encoding: "utf8", timeout: timeoutMs });
  return stdout;
}

/** Of statistic-get-all: packets received, leases in subnet 1, and how many statistics. */
async function statistics(socket: string, family: Family) {
  const a = JSON.parse(await control(socket, '{ "command": "statistic-get-all" }')) as {
    arguments?: Record<string, [number, string][]>;
  };
  const all = a.arguments ?? {};
  const value = (name: string) => all[name]?.[0]?.[0] ?? NaN;
  return {
    received: value(`pkt${family}-received`),
    assigned: value(family === 4 ? "subnet[1].assigned-addresses" : "subnet[1].assigned-nas"),
    names: Object.keys(all).length,
  };
}

interface Figures {
  leases: number;
  startS: number;
  rssLoaded: number;
  rssWarm: number;
  rssFuzzed: number;
  rssSeries: number[];
  received: number;
  largeAfter: number;
  largePeak: number;
  largeAnswer: string;
  answered: number;
  closed: number;
  refused: number;
  /** With --gc-trace (Nestor): V8's heap after its last collection (MB), and full collections. */
  heapWarm: number | null;
  heapFuzzed: number | null;
  fullGcs: number | null;
}

async function concurrent(socket: string, n: number) {
  let answered = 0;
  let closed = 0;
  let refused = 0;
  await Promise.all(
    Array.from({ length: n }, () =>
      control(socket, '{ "command": "version-get" }', 60_000).then(
        () => answered++,
        (e: Error & { code?: string }) => {
          if (e.code !== undefined) refused++;
          else closed++;
        },
      ),
    ),
  );
  return { answered, closed, refused };
}

async function measure(
  name: ServerName,
  family: Family,
  leases: number,
  leaseFile: string,
): Promise<Figures> {
  const cfg = join(dir, `${name}-${family}.json`);
  const socket = join(dir, `${name}-${family}.sock`);
  const live = join(dir, `${name}-${family}-leases.csv`);
  run("cp", [leaseFile, live]);
  rmSync(`${live}.2`, { force: true });
  writeFileSync(cfg, JSON.stringify(config(family, live, socket), null, 2));
  const t0 = Date.now();
  const traceGc = name === "Nestor" && values["gc-trace"] === true;
  const server = startServer(name, family, cfg, traceGc);
  const gcs = traceGc ? watchGc(server) : null;
  try {
    const server6 = family === 4 ? bed.serverAddress : ALL_SERVERS;
    const fuzzTo = family === 4 ? bed.serverAddress : SERVER6;
    const out = await clientRun(
      ["probe", String(family), server6, ...relayArgs(family), "120000"],
      150_000,
    );
    const m = /answer (\d+)/.exec(out);
    if (m === null) throw new Error(`${name} never answered:\n${server.output().slice(-2000)}`);
    const startS = (Number(m[1]) - t0) / 1000;
    const pid = serverPid(server);
    await sleep(1000);
    const rssLoaded = status(pid, "VmRSS");
    process.stdout.write(
      `  ${name} v${family}: first answer ${startS.toFixed(2)} s, RSS ${rssLoaded.toFixed(0)} MiB;`,
    );

    const fuzzMs = (n: number) => Math.max(60_000, (n / O.rate) * 4000);
    await clientRun(
      ["fuzz", String(family), fuzzTo, String(O.warmup), String(O.rate), "1", "0"],
      fuzzMs(O.warmup),
    );
    await sleep(2000);
    const rssWarm = status(pid, "VmRSS");
    const gcWarm = gcs === null ? null : { ...gcs };
    // The fuzz in --fuzz-steps parts, RSS read after each: where it levels off shows.
    const rssSeries: number[] = [];
    for (let step = 0, sent = 0; step < O.fuzzSteps; step++) {
      const count = Math.round((O.fuzz * (step + 1)) / O.fuzzSteps) - sent;
      await clientRun(
        [
          "fuzz",
          String(family),
          fuzzTo,
          String(count),
          String(O.rate),
          "1",
          String(O.warmup + sent),
        ],
        fuzzMs(count),
      );
      sent += count;
      rssSeries.push(status(pid, "VmRSS"));
    }
    await sleep(2000);
    const rssFuzzed = status(pid, "VmRSS");
    const gcFuzzed = gcs === null ? null : { ...gcs };
    // A server too busy to answer the control channel in time is reported, not fatal.
    const st = await statistics(socket, family).catch(() => ({
      received: NaN,
      assigned: NaN,
      names: NaN,
    }));
    const received = st.received;
    process.stdout.write(
      ` fuzz ${rssWarm.toFixed(0)} -> ${rssFuzzed.toFixed(0)} MiB ` +
        `(after each of ${O.fuzzSteps} parts: ${rssSeries.map((r) => r.toFixed(0)).join(" ")}; ` +
        `${received} received, ` +
        `${st.assigned} assigned, ${st.names} statistics);`,
    );
    if (gcWarm !== null && gcFuzzed !== null) {
      process.stdout.write(
        ` V8 heap after its last collection ${gcWarm.used} -> ${gcFuzzed.used} MB ` +
          `(committed ${gcWarm.committed} -> ${gcFuzzed.committed} MB), ` +
          `${gcFuzzed.full - gcWarm.full} full collection(s) during the fuzz;`,
      );
    }

    // (c) one large control command
    const big = `{ "command": "bench-no-such-command", "arguments": { "blob": "${"x".repeat(O.largeMb * 1024 * 1024)}" } }`;
    await sleep(500);
    const before = status(pid, "VmRSS");
    writeFileSync(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
    let largeAnswer: string;
    try {
      largeAnswer = (await control(socket, big, 120_000)).slice(0, 120);
    } catch (e) {
      largeAnswer = `(${e instanceof Error ? e.message : String(e)})`;
    }
    await sleep(1000);
    const largePeak = status(pid, "VmHWM") - before;
    const largeAfter = status(pid, "VmRSS") - before;
    process.stdout.write(` large +${largePeak.toFixed(0)} peak/+${largeAfter.toFixed(0)} after;`);

    // (d) concurrent control clients
    const c = await concurrent(socket, O.clients);
    console.log(` clients ${c.answered}/${O.clients} answered`);
    return {
      ...{ leases, startS, rssLoaded, rssWarm, rssFuzzed, rssSeries, received },
      ...{ largeAfter, largePeak, largeAnswer },
      ...{ answered: c.answered, closed: c.closed, refused: c.refused },
      heapWarm: gcWarm?.used ?? null,
      heapFuzzed: gcFuzzed?.used ?? null,
      fullGcs: gcWarm && gcFuzzed ? gcFuzzed.full - gcWarm.full : null,
    };
  } finally {
    const code = await procs.stop(server, 10_000);
    if (code !== 0 && code !== 143) {
      console.log(`  (${name} exited with ${code}: ${server.output().slice(-500).trim()})`);
    }
  }
}

/**
 * A server started on a copy of `leaseFile` (null: an empty one): the time to its first answer
 * and its RSS a second later, as `measure` takes them. The empty server's RSS gives the cost per
 * lease; the smaller lease files give the points of the projection to 10^6 leases.
 */
async function loaded(
  name: ServerName,
  family: Family,
  leaseFile: string | null,
  tag: string,
): Promise<{ startS: number; rss: number }> {
  const cfg = join(dir, `${name}-${family}-${tag}.json`);
  const live = join(dir, `${name}-${family}-${tag}.csv`);
  rmSync(live, { force: true });
  rmSync(`${live}.2`, { force: true });
  if (leaseFile !== null) run("cp", [leaseFile, live]);
  writeFileSync(
    cfg,
    JSON.stringify(config(family, live, join(dir, `${name}-${family}-${tag}.sock`)), null, 2),
  );
  const t0 = Date.now();
  const server = startServer(name, family, cfg);
  try {
    const to = family === 4 ? bed.serverAddress : ALL_SERVERS;
    const out = await clientRun(
      ["probe", String(family), to, ...relayArgs(family), "60000"],
      90_000,
    );
    const m = /answer (\d+)/.exec(out);
    if (m === null) {
      throw new Error(
        `${name} never answered on ${leaseFile ?? "an empty lease file"}:\n${server.output().slice(-2000)}`,
      );
    }
    const startS = (Number(m[1]) - t0) / 1000;
    await sleep(1000);
    return { startS, rss: status(server.pid, "VmRSS") };
  } finally {
    await procs.stop(server, 10_000);
    rmSync(live, { force: true });
  }
}

/** RSS of a server started on an empty lease file (for the per-lease cost). */
async function baseline(name: ServerName, family: Family): Promise<number> {
  return (await loaded(name, family, null, "empty")).rss;
}

// ---------------------------------------------------------------------------------------------

function ratio(n: number, k: number): string {
  return k === 0 || !Number.isFinite(n / k) ? "-" : (n / k).toFixed(2);
}

function row(label: string, n: string, k: string, r: string, target: string): void {
  console.log(
    `  ${label.padEnd(40)} ${n.padStart(12)} ${k.padStart(12)} ${r.padStart(7)}   ${target}`,
  );
}

function report(
  family: Family,
  figs: Partial<Record<ServerName, Figures>>,
  base: Partial<Record<ServerName, number>>,
  points: Partial<Record<ServerName, LoadPoint[]>>,
) {
  const N = figs.Nestor;
  const K = figs.Kea;
  const leases = (N ?? K)!.leases;
  console.log(`\nDHCPv${family}: ${leases} leases`);
  row("", "Nestor", "Kea 2.2", "ratio", "target (Nestor)");
  const f = (x: Figures | undefined, g: (x: Figures) => number, d = 0) =>
    x === undefined ? "-" : g(x).toFixed(d);
  const r = (g: (x: Figures) => number) => (N && K ? ratio(g(N), g(K)) : "-");
  const line = (label: string, g: (x: Figures) => number, d: number, target: string) =>
    row(label, f(N, g, d), f(K, g, d), r(g), target);
  line("start to first answer (s)", (x) => x.startS, 2, "< 3 s");
  line("RSS after load (MiB)", (x) => x.rssLoaded, 0, "< 300 MiB");
  const b = (n: ServerName) => base[n];
  const per = (n: ServerName) => (x: Figures) =>
    ((x.rssLoaded - (b(n) ?? NaN)) * 1024 * 1024) / x.leases;
  if (base.Nestor !== undefined || base.Kea !== undefined) {
    row(
      "RSS with no lease (MiB)",
      b("Nestor")?.toFixed(0) ?? "-",
      b("Kea")?.toFixed(0) ?? "-",
      base.Nestor && base.Kea ? ratio(base.Nestor, base.Kea) : "-",
      "",
    );
    row(
      "bytes per lease",
      N ? per("Nestor")(N).toFixed(0) : "-",
      K ? per("Kea")(K).toFixed(0) : "-",
      N && K ? ratio(per("Nestor")(N), per("Kea")(K)) : "-",
      "",
    );
    if (leases < 1_000_000) {
      const proj = (n: ServerName, x: Figures | undefined) =>
        x === undefined ? "-" : ((b(n) ?? NaN) + (per(n)(x) * 1e6) / 1024 / 1024).toFixed(0);
      row("  projected to 10^6 from it (MiB)", proj("Nestor", N), proj("Kea", K), "-", "");
    }
  }
  // The line through the figures at several lease counts: the cost of each further lease.
  const fits = (n: ServerName) => {
    const p = points[n] ?? [];
    return {
      rss: linearFit(p.map((q) => [q.leases, q.rss] as const)),
      start: linearFit(p.map((q) => [q.leases, q.startS] as const)),
    };
  };
  const fN = fits("Nestor");
  const fK = fits("Kea");
  if (fN.rss !== null || fK.rss !== null) {
    const counts = (points.Nestor ?? points.Kea ?? []).map((q) => q.leases).join(", ");
    console.log(`  the line through ${counts} leases:`);
    const perLease = (f: ReturnType<typeof fits>) =>
      f.rss === null ? "-" : ((f.rss.slope * 1024 * 1024) | 0).toString();
    row(
      "  bytes per further lease",
      perLease(fN),
      perLease(fK),
      fN.rss && fK.rss ? ratio(fN.rss.slope, fK.rss.slope) : "-",
      "",
    );
    const at = (f: { intercept: number; slope: number } | null, d: number) =>
      f === null ? "-" : (f.intercept + f.slope * 1e6).toFixed(d);
    row("  RSS at 10^6 on the line (MiB)", at(fN.rss, 0), at(fK.rss, 0), "-", "< 300 MiB");
    row("  start at 10^6 on the line (s)", at(fN.start, 2), at(fK.start, 2), "-", "< 3 s");
  }
  line("RSS after fuzz warm-up (MiB)", (x) => x.rssWarm, 0, "");
  line(`RSS growth over ${O.fuzz} fuzzed (MiB)`, (x) => x.rssFuzzed - x.rssWarm, 1, "< 10 MiB");
  if (O.fuzzSteps > 1) {
    // From the reading at the middle of the fuzz to the last one, as bench:targets notes it.
    const half = Math.floor(O.fuzzSteps / 2) - 1;
    line(
      "  of it over the second half (MiB)",
      (x) => x.rssSeries[x.rssSeries.length - 1]! - x.rssSeries[half]!,
      1,
      "",
    );
  }
  line("  packets the server counted", (x) => x.received, 0, "");
  if (N?.heapWarm != null) {
    row("  V8 heap after last collection (MB)", `${N.heapWarm} -> ${N.heapFuzzed}`, "-", "-", "");
    row("  full collections during the fuzz", String(N.fullGcs), "-", "-", "");
  }
  line(`${O.largeMb} MB control request: peak rise (MiB)`, (x) => x.largePeak, 0, "< 100 MiB");
  line(`  rise once answered (MiB)`, (x) => x.largeAfter, 0, "");
  line(`${O.clients} concurrent clients answered`, (x) => x.answered, 0, `all ${O.clients}`);
  line("  closed without answer / refused", (x) => x.closed * 1000 + x.refused, 0, "");
  for (const [n, x] of Object.entries(figs))
    console.log(`  ${n} answer to the large request: ${x.largeAnswer}`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("bench:memory needs root (network namespaces)");
  for (const c of ["ip", "kea-dhcp4", "kea-dhcp6"]) {
    if (!onPath(c))
      throw new Error(`${c} not found: install iproute2, kea-dhcp4-server, kea-dhcp6-server`);
  }
  if (!values["no-build"]) {
    buildDist(ROOT);
  }
  if (!existsSync(join(ROOT, "dist/cli/nestor-dhcp4.js")))
    throw new Error("dist/ missing: npm run build");
  bed.create();
  run("ip", ["-n", bed.serverNs, "addr", "add", `${SERVER6}/64`, "dev", bed.serverIface, "nodad"]);
  run("ip", ["-n", bed.clientNs, "addr", "add", `${CLIENT6}/64`, "dev", bed.clientIface, "nodad"]);
  console.log(
    `bench:memory on ${run("uname", ["-n"]).trim()} (${run("nproc", []).trim()} CPUs), ${new Date().toISOString()}, ` +
      `node ${process.version}, ${run("kea-dhcp4", ["-V"]).split("\n")[0]}`,
  );
  console.log(
    `  fuzz: ${O.warmup} warm-up then ${O.fuzz} packets at ${O.rate}/s; large request ${O.largeMb} MB; ${O.clients} clients`,
  );
  const summary: Record<string, Record<string, MemoryFigures>> = {};
  for (const family of O.families) {
    const file = join(dir, `leases${family}.csv`);
    const leases = await leaseFile(family, file, leaseCount(family));
    // Below 10^6 leases, smaller files too: the line through their figures is what the
    // projection to 10^6 follows (the first leases cost more than the next ones: the young
    // generation the load's garbage fills, tables made once).
    const smaller: { leases: number; file: string }[] = [];
    if (leases < 1_000_000 && O.points > 1) {
      for (let k = 1; k < O.points; k++) {
        const n = Math.round((leases * k) / O.points);
        const f = join(dir, `leases${family}-${n}.csv`);
        await leaseFile(family, f, n);
        smaller.push({ leases: n, file: f });
      }
    }
    const figs: Partial<Record<ServerName, Figures>> = {};
    const base: Partial<Record<ServerName, number>> = {};
    const points: Partial<Record<ServerName, LoadPoint[]>> = {};
    for (const name of O.servers) {
      base[name] = await baseline(name, family);
      const pts: LoadPoint[] = [];
      for (const x of smaller) {
        const p = await loaded(name, family, x.file, String(x.leases));
        pts.push({ leases: x.leases, ...p });
        console.log(
          `  ${name} v${family}: ${x.leases} leases: first answer ${p.startS.toFixed(2)} s, ` +
            `RSS ${p.rss.toFixed(0)} MiB`,
        );
      }
      const f = await measure(name, family, leases, file);
      figs[name] = f;
      if (pts.length > 0) points[name] = [...pts, { leases, startS: f.startS, rss: f.rssLoaded }];
    }
    report(family, figs, base, points);
    rmSync(file, { force: true });
    for (const x of smaller) rmSync(x.file, { force: true });
    summary[family] = {};
    for (const [name, f] of Object.entries(figs)) {
      const pts = points[name as ServerName];
      summary[family][name] = {
        ...f,
        rssEmpty: base[name as ServerName] ?? null,
        ...(pts === undefined ? {} : { points: pts }),
      };
    }
  }
  writeSummary(values.json, memorySummary(O, summary));
}

let failed = false;
const cleanup = () => {
  procs.killAllNow();
  bed.destroy();
  rmSync(dir, { recursive: true, force: true });
};
process.once("SIGINT", () => {
  cleanup();
  process.exit(130);
});
try {
  await main();
} catch (e) {
  failed = true;
  console.error(e instanceof Error ? e.message : String(e));
} finally {
  await procs.stopAll();
  cleanup();
}
process.exitCode = failed ? 1 : 0;
