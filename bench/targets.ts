/**
 * Issue 19's targets in one run on one bed: runs bench:dhcp4 and bench:dhcp6 (with
 * `--callouts all --fdatasync`), bench:memory, bench:alloc and bench:hooks one after the other,
 * each as a child process writing its figures with `--json` (bench/lib/summaries.ts), then prints
 * one table: every target, Nestor's figure, Kea 2.2's, the ratio, the goal and whether it is met
 * (bench/lib/targets-table.ts). Root, as the scripts it runs; a script that fails leaves its
 * figures "missing" and the others still run. Each script's own report is printed as it runs.
 *
 *   npm run bench:targets [-- --quick --pin --only dhcp4,dhcp6,memory,alloc,hooks --no-build
 *                             --seconds N --repeats N --cpu-seconds N --cpu-repeats N
 *                             --leases4 N --leases6 N --fuzz N --warmup N --large-mb N
 *                             --clients N --queries N --allocations N --rounds N --keep DIR]
 *
 * --quick: a short run that proves the chain (one round of each, small lease files, 2,000
 * fuzzed packets): its figures are no measurement, and the targets it cannot judge say "n/a".
 * --keep DIR: the summaries are written there (else a temporary directory, removed).
 * --pin: bench:dhcp4/6 run each server on CPU 1 and perfdhcp on CPU 0 (their --pin).
 * --prefix P (default tgt): the network namespaces are named P4-*, P6-* and Pm-*, apart from
 * those of a bench:dhcp4/6 or bench:memory run on their own.
 * Without --quick a run takes some 35 minutes on a 2-CPU machine (33 on 2026-12-07).
 *
 * The CPU rows (Nestor over Kea, and Nestor with a callout on every hook point over Nestor) are
 * judged on the median of the ratios paired within each clean round of bench:dhcp4/6 (their
 * `paired` figures: bench/lib/paired.ts), with bench:dhcp4/6's own defaults for the CPU rounds
 * unless --cpu-seconds / --cpu-repeats are given.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

import { buildDist, run } from "./lib/processes.ts";
import type { Summary } from "./lib/summaries.ts";
import { formatTargets, tally, targetRows, type Summaries } from "./lib/targets-table.ts";

const ROOT = resolve(fileURLToPath(new URL("..", import.meta.url)));
const SCRIPTS = ["dhcp4", "dhcp6", "memory", "alloc", "hooks"] as const;
type Script = (typeof SCRIPTS)[number];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean" },
    pin: { type: "boolean" },
    only: { type: "string" },
    "no-build": { type: "boolean" },
    keep: { type: "string" },
    prefix: { type: "string", default: "tgt" },
    seconds: { type: "string" },
    repeats: { type: "string" },
    "cpu-seconds": { type: "string" },
    "cpu-repeats": { type: "string" },
    leases4: { type: "string" },
    leases6: { type: "string" },
    fuzz: { type: "string" },
    warmup: { type: "string" },
    "large-mb": { type: "string" },
    clients: { type: "string" },
    queries: { type: "string" },
    allocations: { type: "string" },
    rounds: { type: "string" },
  },
});

/** What --quick sets unless given on the command line. */
const QUICK: Record<string, string> = {
  seconds: "1",
  repeats: "1",
  "cpu-seconds": "2",
  "cpu-repeats": "1",
  leases4: "1000",
  leases6: "1000",
  fuzz: "2000",
  warmup: "1000",
  "large-mb": "1",
  clients: "10",
  queries: "200",
  allocations: "50",
  rounds: "1",
};

function knob(name: string): string | undefined {
  const v = values[name as keyof typeof values];
  if (typeof v === "string") {
    if (!/^\d+$/.test(v)) throw new Error(`--${name} takes a whole number, not ${v}`);
    return v;
  }
  return values.quick === true ? QUICK[name] : undefined;
}

/** `--name value` for each knob given (or set by --quick). */
function pass(...names: string[]): string[] {
  return names.flatMap((n) => {
    const v = knob(n);
    return v === undefined ? [] : [`--${n}`, v];
  });
}

const prefix = values.prefix!;
if (!/^[a-z][a-z0-9]{0,8}$/.test(prefix)) throw new Error("--prefix: 1-9 [a-z0-9], a letter first");

const only = values.only === undefined ? [...SCRIPTS] : values.only.split(",");
for (const s of only) {
  if (!(SCRIPTS as readonly string[]).includes(s)) {
    throw new Error(`--only: ${s} is not one of ${SCRIPTS.join(", ")}`);
  }
}

/** The node arguments of each script, its --json file last. */
function command(script: Script, json: string): string[] {
  const server = [
    "--no-build",
    "--no-profile",
    "--callouts",
    "all",
    "--fdatasync",
    ...(values.pin === true ? ["--pin"] : []),
    ...pass("seconds", "repeats", "cpu-seconds", "cpu-repeats"),
    // A quick run's search starts low and stops early.
    ...(values.quick === true ? ["--start-rate", "1000", "--bisect-steps", "0"] : []),
  ];
  switch (script) {
    case "dhcp4":
      return [join(ROOT, "bench/dhcp4.ts"), ...server, "--prefix", `${prefix}4`, "--json", json];
    case "dhcp6":
      return [join(ROOT, "bench/dhcp6.ts"), ...server, "--prefix", `${prefix}6`, "--json", json];
    case "memory":
      return [
        join(ROOT, "bench/memory.ts"),
        "--no-build",
        "--gc-trace",
        ...pass("leases4", "leases6", "fuzz", "warmup", "large-mb", "clients"),
        "--prefix",
        `${prefix}m`,
        "--json",
        json,
      ];
    case "alloc":
      return [
        "--expose-gc",
        join(ROOT, "bench/allocation.ts"),
        ...pass("allocations", "rounds"),
        "--json",
        json,
      ];
    case "hooks":
      return [join(ROOT, "bench/hooks-dispatch.ts"), ...pass("queries"), "--json", json];
  }
}

function runScript(args: string[]): Promise<number> {
  return new Promise((resolveCode) => {
    const child = spawn(process.execPath, args, { stdio: "inherit", cwd: ROOT });
    child.once("close", (code, signal) => resolveCode(code ?? (signal === null ? 1 : 128)));
    child.once("error", () => resolveCode(127));
  });
}

function read(file: string): Summary | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, "utf8")) as Summary;
}

async function main(): Promise<number> {
  if (only.some((s) => s !== "alloc" && s !== "hooks") && process.getuid?.() !== 0) {
    throw new Error(
      "bench:targets needs root (bench:dhcp4/6 and bench:memory use network namespaces)",
    );
  }
  if (values["no-build"] !== true) {
    buildDist(ROOT);
  }
  const dir = values.keep ?? mkdtempSync(join(tmpdir(), "nestor-bench-targets-"));
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  const failed: string[] = [];
  const summaries: Summaries = {};
  try {
    for (const script of only as Script[]) {
      const json = join(dir, `${script}.json`);
      rmSync(json, { force: true });
      console.log(`\n=== bench:${script} (${((Date.now() - started) / 1000).toFixed(0)} s so far)`);
      const code = await runScript(command(script, json));
      if (code !== 0) failed.push(`bench:${script} exited with ${code}`);
      const s = read(json);
      if (s === undefined) continue;
      if (s.kind === "server") summaries[s.family === 4 ? "dhcp4" : "dhcp6"] = s;
      else summaries[s.kind] = s as never;
    }
  } finally {
    if (values.keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
  const rows = targetRows(summaries);
  console.log(
    `\nIssue 19's targets, ${new Date().toISOString()}, ${run("uname", ["-n"]).trim()} ` +
      `(${run("nproc", []).trim()} CPUs), Node ${process.version}` +
      `${values.quick === true ? ", --quick: a smoke run, not a measurement" : ""}`,
  );
  console.log(formatTargets(rows));
  console.log(tally(rows));
  const alloc = summaries.alloc;
  if (alloc !== undefined) {
    console.log(`\nallocation, median us per allocation by pool fill:`);
    console.log(
      `  ${"allocator".padEnd(10)}${alloc.fills.map((f) => `${(f * 100).toFixed(0)} %`.padStart(9)).join("")}`,
    );
    for (const [kind, xs] of Object.entries(alloc.us)) {
      console.log(`  ${kind.padEnd(10)}${xs.map((x) => x.toFixed(2).padStart(9)).join("")}`);
    }
  }
  for (const f of failed) console.log(`FAILED: ${f}`);
  console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return failed.length > 0 ? 1 : 0;
}

process.exitCode = await main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  return 1;
});
