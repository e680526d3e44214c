/**
 * DHCPv4 on a PostgreSQL lease database, as root: the highest perfdhcp rate with under 1 % of
 * exchanges lost, for Kea 2.2's kea-dhcp4 (single-threaded, its 2.2 default), one nestor-dhcp4,
 * and two nestor-dhcp4 on the same database and pool (each with its own perfdhcp at the rate
 * searched, their sum reported), printed as ratios in one run.
 *
 * PostgreSQL (Debian's) runs in a temporary directory with synchronous_commit and fsync on, the
 * schema made by Kea's kea-admin db-init pgsql; the table is emptied before each step. Two pairs
 * of network namespaces (prefix pga, pgb) are created and removed at the end, even on failure:
 *
 *   pga-cli [198.19.255.2/24] perfdhcp ---veth--- [198.19.255.1/24] server pga-srv \
 *                                                                                   PostgreSQL
 *   pgb-cli [198.19.255.2/24] perfdhcp ---veth--- [198.19.255.1/24] server pgb-srv /
 *
 * Method: each step a fresh server (or two) on an empty table, a 1 s warm-up at a low rate, then
 * perfdhcp for --seconds; the rate doubles from --start until a step loses 1 % or more, then a
 * bisection of --steps steps. The machine's busy CPU is printed with each result.
 *
 *   npm run bench:pgsql [-- --seconds 3 --start 100 --steps 4 --max-rate 8000 --no-build]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

import { PgKea } from "../test/helpers/pg-kea.ts";
import { TestBed } from "./lib/netns.ts";
import { parseReport, type PerfdhcpResult, lossOf } from "./lib/perfdhcp.ts";
import {
  entryNodeOptions,
  machineBusySeconds,
  Processes,
  sleep,
  type Started,
} from "./lib/processes.ts";
import { ROOT } from "./lib/server-bench.ts";

const { values: opts } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    start: { type: "string", default: "100" },
    steps: { type: "string", default: "4" },
    "max-rate": { type: "string", default: "8000" },
    "no-build": { type: "boolean", default: false },
  },
});
const SECONDS = Number(opts.seconds);
const START = Number(opts.start);
const STEPS = Number(opts.steps);
const MAX_RATE = Number(opts["max-rate"]);

type Who = "kea" | "nestor" | "nestor×2";

const procs = new Processes();
const beds = ["pga", "pgb"].map(
  (prefix) =>
    new TestBed({
      prefix,
      serverAddress: "198.19.255.1",
      clientAddress: "198.19.255.2",
      prefixLength: 24,
    }),
);
const dir = mkdtempSync(join(tmpdir(), "nestor-bench-pgsql-"));
/** The PostgreSQL server, once started (a holder: main() sets it, the clean-up reads it). */
const held: { pg: PgKea | null } = { pg: null };

function configFile(name: string, bed: TestBed, db: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: [bed.serverIface], "dhcp-socket-type": "udp" },
        "lease-database": db,
        "valid-lifetime": 4000,
        subnet4: [
          { id: 1, subnet: "198.18.0.0/15", pools: [{ pool: "198.18.0.1 - 198.19.254.254" }] },
        ],
        loggers: [{ name: "kea-dhcp4", severity: "WARN", output_options: [{ output: "stderr" }] }],
      },
    }),
  );
  return file;
}

async function waitOutput(p: Started, pattern: RegExp, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(p.output())) {
    if (Date.now() > deadline) throw new Error(`server did not start:\n${p.output()}`);
    await sleep(50);
  }
}

async function startServer(who: "kea" | "nestor", bed: TestBed, file: string): Promise<Started> {
  if (who === "kea") {
    const [cmd, args] = bed.exec(bed.serverNs, "env", [
      `KEA_PIDFILE_DIR=${dir}`,
      `KEA_LOCKFILE_DIR=${dir}`,
      "kea-dhcp4",
      "-c",
      file,
    ]);
    const p = procs.start(cmd, args);
    // WARN logs: the start message is not printed; the socket being open is enough.
    await sleep(1500);
    if (!(await Promise.race([p.exited.then(() => false), sleep(1).then(() => true)]))) {
      throw new Error(`kea-dhcp4 exited:\n${p.output()}`);
    }
    return p;
  }
  const entry = join(ROOT, "dist/cli/nestor-dhcp4.js");
  const [cmd, args] = bed.exec(bed.serverNs, process.execPath, [
    ...entryNodeOptions(entry),
    entry,
    "-c",
    file,
  ]);
  const p = procs.start(cmd, args);
  await waitOutput(p, /serving \d+ subnet/, 30_000);
  return p;
}

function perfdhcp(bed: TestBed, rate: number, seconds: number, n: number): Started {
  const [cmd, args] = bed.exec(bed.clientNs, "perfdhcp", [
    "-4",
    "-l",
    bed.clientIface,
    "-r",
    String(rate),
    "-p",
    String(seconds),
    "-R",
    "4294967295",
    "-b",
    `mac=02:0${n}:00:00:00:00`,
    bed.serverAddress,
  ]);
  return procs.start(cmd, args);
}

async function finish(p: Started): Promise<PerfdhcpResult> {
  const code = await p.exited;
  return parseReport(p.output(), code, 4);
}

/** One step: fresh servers on an empty table, perfdhcp at `rate` on each; the worst loss. */
async function step(who: Who, rate: number, dbName: string): Promise<number> {
  held.pg!.psql("TRUNCATE lease4, lease4_stat", dbName);
  const db = {
    type: "postgresql",
    name: dbName,
    host: held.pg!.socketDir,
    user: "kea",
    password: "kea-secret",
  };
  const n = who === "nestor×2" ? 2 : 1;
  const servers: Started[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const kind = who === "kea" ? "kea" : "nestor";
      servers.push(await startServer(kind, beds[i]!, configFile(`${kind}-${i}`, beds[i]!, db)));
    }
    // Warm-up at a low rate, then the measured run.
    await Promise.all(beds.slice(0, n).map((b, i) => finish(perfdhcp(b, 50, 1, 5 + i))));
    const busy0 = machineBusySeconds();
    const t0 = Date.now();
    const results = await Promise.all(
      beds.slice(0, n).map((b, i) => finish(perfdhcp(b, rate, SECONDS, 1 + i))),
    );
    const busy = (machineBusySeconds() - busy0) / ((Date.now() - t0) / 1000);
    const loss = Math.max(...results.map(lossOf));
    process.stdout.write(
      `  ${who.padEnd(9)} ${String(rate).padStart(6)}/s${n > 1 ? " each" : "     "}: loss ${(loss * 100).toFixed(2)} % (machine busy ${busy.toFixed(2)} CPUs)\n`,
    );
    return loss;
  } finally {
    for (const s of servers) await procs.stop(s, 5000);
  }
}

/** Doubling then bisection: the highest rate with under 1 % loss (per server for nestor×2). */
async function search(who: Who, dbName: string): Promise<number> {
  let good = 0;
  let bad = 0;
  for (let r = START; r <= MAX_RATE; r *= 2) {
    if ((await step(who, r, dbName)) < 0.01) good = r;
    else {
      bad = r;
      break;
    }
  }
  if (bad === 0) return good;
  for (let i = 0; i < STEPS; i++) {
    const mid = Math.round((good + bad) / 2);
    if (mid === good || mid === bad) break;
    if ((await step(who, mid, dbName)) < 0.01) good = mid;
    else bad = mid;
  }
  return good;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("bench:pgsql needs root (network namespaces)");
  for (const cmd of ["perfdhcp", "kea-dhcp4"]) {
    if (spawnSync("sh", ["-c", `command -v ${cmd}`]).status !== 0) {
      throw new Error(`${cmd} not found: apt-get install -y kea-admin kea-dhcp4-server`);
    }
  }
  if (!opts["no-build"]) {
    const b = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
    if (b.status !== 0) throw new Error("npm run build failed");
  }
  const pg = await PgKea.start({ synchronousCommit: true, fsync: true });
  held.pg = pg;
  pg.createKeaDatabase("bench");
  for (const b of beds) b.create();
  process.stdout.write(
    `bench:pgsql: PostgreSQL synchronous_commit on, fsync on; ${SECONDS} s per step, loss < 1 %\n`,
  );
  const best: Record<Who, number> = { kea: 0, nestor: 0, "nestor×2": 0 };
  for (const who of ["kea", "nestor", "nestor×2"] as const) {
    const perServer = await search(who, "bench");
    best[who] = who === "nestor×2" ? perServer * 2 : perServer;
    process.stdout.write(`${who}: ${best[who]} exchanges/s\n`);
  }
  const ratio = (a: number, b: number) => (b === 0 ? "n/a" : (a / b).toFixed(2));
  process.stdout.write(
    `\nhighest rate under 1 % loss: Kea 2.2 ${best.kea}/s, one Nestor ${best.nestor}/s, two Nestors ${best["nestor×2"]}/s\n` +
      `one Nestor / Kea 2.2 = ${ratio(best.nestor, best.kea)}; two Nestors / one Nestor = ${ratio(best["nestor×2"], best.nestor)}\n`,
  );
}

try {
  await main();
} finally {
  await procs.stopAll();
  for (const b of beds) b.destroy();
  await held.pg?.stop();
  rmSync(dir, { recursive: true, force: true });
}
