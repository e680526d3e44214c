/**
 * The machine-readable summaries the benchmarks write with `--json FILE`, read by
 * bench/targets.ts (`npm run bench:targets`), which runs them in sequence and prints one table of
 * issue 19's targets. Each summary says which script wrote it (`kind`) and when; a figure that was
 * not measured is absent (or null), never made up.
 */
import { writeFileSync } from "node:fs";

import type { Spread } from "./paired.ts";

/**
 * The ratio of two servers' CPU per exchange taken within each clean round (bench/lib/paired.ts),
 * in round order, with their median and spread.
 */
export interface PairedFigure extends Spread {
  ratios: number[];
}

/** Of bench:dhcp4 / bench:dhcp6 (bench/lib/server-bench.ts). Figures are medians over rounds. */
export interface ServerSummary {
  kind: "server";
  family: 4 | 6;
  date: string;
  /** The rate of the CPU figures (exchanges/s). */
  fixedRate: number;
  /** Highest rate with under 1 % loss (exchanges/s), by server ("Nestor", "Kea", variants). */
  maxRate: Record<string, number>;
  /** Server CPU seconds per 1,000 completed exchanges at `fixedRate`, by server. */
  cpuPer1000: Record<string, number>;
  /** Seconds of each CPU run, and the runs left out for drops (absent in older summaries). */
  cpuSeconds?: number;
  rejectedRuns?: number;
  /**
   * CPU per exchange of one server over another's in the same round, by "A/B" ("Nestor/Kea",
   * "Nestor+callouts/Nestor"...): the figure the targets are judged on when present.
   */
  paired?: Record<string, PairedFigure>;
  /**
   * By server, one per round of the rate search: what the server did at the lowest rate that
   * failed (absent in older summaries).
   */
  failedAt?: Record<string, FailedStep[]>;
}

/**
 * A failing step of the highest-rate search: the server's CPU (seconds per second of the run)
 * and the datagrams the kernel dropped at a full receive buffer, at the server's socket (queries
 * it never read) and at perfdhcp's (replies perfdhcp never read).
 */
export interface FailedStep {
  rate: number;
  serverCpu: number;
  serverDrops: number;
  clientDrops: number;
  loss: number;
}

/** One server's figures in bench:memory (MiB and seconds). */
export interface MemoryFigures {
  leases: number;
  startS: number;
  rssLoaded: number;
  /** RSS on an empty lease file; null when not measured. */
  rssEmpty: number | null;
  rssWarm: number;
  rssFuzzed: number;
  /** RSS after each part of the fuzz (bench:memory --fuzz-steps), the last one before the wait
   *  that precedes `rssFuzzed`; absent from summaries written before it was measured. */
  rssSeries?: number[];
  received: number;
  largePeak: number;
  largeAfter: number;
  answered: number;
  closed: number;
  refused: number;
  /**
   * Below 10^6 leases: the start time and RSS at smaller lease counts too (the last one the
   * measured count itself), from which the figures at 10^6 are projected by a fitted line.
   */
  points?: LoadPoint[];
  /** With bench:memory --gc-trace (Nestor only): V8's heap after its last collection before the
   *  RSS after warm-up and after the fuzz (MB), and the full collections in between. */
  heapWarm?: number | null;
  heapFuzzed?: number | null;
  fullGcs?: number | null;
}

/** A server started on a lease file of `leases` leases: time to its first answer, RSS then. */
export interface LoadPoint {
  leases: number;
  startS: number;
  rss: number;
}

/**
 * The least-squares line through points (x, y): y = intercept + slope * x. Null with fewer than
 * two distinct x.
 */
export function linearFit(
  points: readonly (readonly [number, number])[],
): { intercept: number; slope: number } | null {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) * (x - mx);
    sxy += (x - mx) * (y - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { intercept: my - slope * mx, slope };
}

/** Of bench:memory (bench/memory.ts). */
export interface MemorySummary {
  kind: "memory";
  date: string;
  fuzz: number;
  warmup: number;
  largeMb: number;
  clients: number;
  /** By family ("4", "6"), then by server ("Nestor", "Kea"). */
  families: Record<string, Record<string, MemoryFigures>>;
}

/** Of bench:alloc (bench/allocation.ts): median microseconds per allocation at each fill. */
export interface AllocSummary {
  kind: "alloc";
  date: string;
  /** Pool fill fractions, e.g. [0, 0.5, 0.9, 0.99]. */
  fills: number[];
  /** By allocator (iterative, random, flq): one figure per fill, in the order of `fills`. */
  us: Record<string, number[]>;
}

/** Of bench:hooks (bench/hooks-dispatch.ts): median nanoseconds per query, in process. */
export interface HooksSummary {
  kind: "hooks";
  date: string;
  /** By family ("4", "6"): the first message (DISCOVER / SOLICIT) and the REQUEST after it. */
  families: Record<string, { cases: { label: string; firstNs: number; requestNs: number }[] }>;
}

export type Summary = ServerSummary | MemorySummary | AllocSummary | HooksSummary;

/** Writes a summary where `--json` asked (nothing when it was not given). */
export function writeSummary(file: string | undefined, summary: Summary): void {
  if (file === undefined) return;
  writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
}

/** The median of the figures of each name (names without any figure are left out). */
export function medians(of: Record<string, readonly number[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, xs] of Object.entries(of)) {
    const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
    if (s.length === 0) continue;
    const m = s.length >> 1;
    out[name] = s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  }
  return out;
}

/** bench:dhcp4 / bench:dhcp6's summary from its rounds. */
export function serverSummary(
  family: 4 | 6,
  fixedRate: number,
  maxRate: Record<string, readonly number[]>,
  cpuPer1000: Record<string, readonly number[]>,
): ServerSummary {
  return {
    kind: "server",
    family,
    date: new Date().toISOString(),
    fixedRate,
    maxRate: medians(maxRate),
    cpuPer1000: medians(cpuPer1000),
  };
}

/** bench:memory's summary: its options and, by family and server, the figures measured. */
export function memorySummary(
  o: { fuzz: number; warmup: number; largeMb: number; clients: number },
  families: Record<string, Record<string, MemoryFigures & { largeAnswer?: string }>>,
): MemorySummary {
  const out: MemorySummary["families"] = {};
  for (const [family, servers] of Object.entries(families)) {
    out[family] = {};
    for (const [name, f] of Object.entries(servers)) {
      const figures: MemoryFigures & { largeAnswer?: string } = { ...f };
      delete figures.largeAnswer;
      out[family][name] = figures;
    }
  }
  const { fuzz, warmup, largeMb, clients } = o;
  return {
    kind: "memory",
    date: new Date().toISOString(),
    ...{ fuzz, warmup, largeMb, clients },
    families: out,
  };
}
