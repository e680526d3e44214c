/**
 * Issue 19's targets, read from the summaries the benchmarks write with `--json`
 * (bench/lib/summaries.ts): one row per target and family with Nestor's figure, Kea's, the
 * ratio, the goal and whether it is met. Pure functions (bench/targets.ts runs the scripts);
 * test/unit/bench/targets-table.test.ts feeds them recorded summaries.
 *
 * A verdict is "met" or "not met" only when the run measured what the target names; "missing"
 * when a script did not give the figure (it failed or was not run), "n/a" when the run was
 * smaller than the target (fewer fuzzed packets, a smaller control request, fewer clients or
 * too few leases to project to 1,000,000), "info" for figures the issue asks to show without a
 * bound (the cost of fdatasync, the other allocators, the in-process hook dispatch).
 */
import {
  linearFit,
  type AllocSummary,
  type FailedStep,
  type HooksSummary,
  type LoadPoint,
  type MemoryFigures,
  type MemorySummary,
  type PairedFigure,
  type ServerSummary,
} from "./summaries.ts";

export interface Summaries {
  dhcp4?: ServerSummary | undefined;
  dhcp6?: ServerSummary | undefined;
  memory?: MemorySummary | undefined;
  alloc?: AllocSummary | undefined;
  hooks?: HooksSummary | undefined;
}

/**
 * "bed limit": the highest-rate target not met, where the issue asks to show that the bed, not
 * the server, was the limit: at the lowest rate that failed, in every round, the server used
 * less than BED_LIMIT_CPU of a CPU and its socket dropped no query.
 */
export type Verdict = "met" | "not met" | "bed limit" | "missing" | "n/a" | "info";

/** The server CPU under which a failing rate is the bed's limit, not the server's. */
export const BED_LIMIT_CPU = 0.9;

export interface TargetRow {
  target: string;
  nestor: number | null;
  kea: number | null;
  /** Nestor's figure over Kea's, or over Nestor's own without the feature (`ratioTo`). */
  ratio: number | null;
  ratioTo: "Kea" | "Nestor";
  /** Digits shown for the figures. */
  digits: number;
  goal: string;
  verdict: Verdict;
  note: string;
}

/** Leases the targets name; below PROJECT_FROM leases a run says nothing about them. */
export const TARGET_LEASES = 1_000_000;
export const PROJECT_FROM = 100_000;

function ratioOf(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || !Number.isFinite(a / b) || b === 0) return null;
  return a / b;
}

function verdict(figure: number | null, ok: (x: number) => boolean): Verdict {
  return figure === null ? "missing" : ok(figure) ? "met" : "not met";
}

function row(
  r: Omit<TargetRow, "ratio" | "ratioTo" | "digits" | "note"> &
    Partial<Pick<TargetRow, "ratio" | "ratioTo" | "digits" | "note">>,
): TargetRow {
  return {
    ratio: ratioOf(r.nestor, r.kea),
    ratioTo: "Kea",
    digits: 2,
    note: "",
    ...r,
  };
}

function serverRows(f: 4 | 6, s: ServerSummary | undefined): TargetRow[] {
  const cpu = s?.cpuPer1000 ?? {};
  const max = s?.maxRate ?? {};
  const rate = s?.fixedRate ?? 4000;
  // The CPU ratios: the median of the ratios paired within each round when the run gave them
  // (bench/lib/paired.ts), else (an older summary) the ratio of the medians.
  const pairedOr = (key: string, a: number | undefined, b: number | undefined) => {
    const p = s?.paired?.[key];
    return p !== undefined && p.n > 0
      ? { ratio: p.median, note: pairedNote(p) }
      : { ratio: ratioOf(a, b), note: "" };
  };
  const cpuRatio = pairedOr("Nestor/Kea", cpu.Nestor, cpu.Kea);
  const maxRatio = ratioOf(max.Nestor, max.Kea);
  const limit = bedLimit(s?.failedAt?.Nestor);
  const callouts = pairedOr("Nestor+callouts/Nestor", cpu["Nestor+callouts"], cpu.Nestor);
  const shown = (x: number | undefined): Verdict => (x === undefined ? "missing" : "info");
  return [
    row({
      target: `v${f} server CPU s per 1,000 exchanges at ${rate}/s`,
      nestor: cpu.Nestor ?? null,
      kea: cpu.Kea ?? null,
      digits: 3,
      ratio: cpuRatio.ratio,
      goal: "ratio <= 0.5",
      verdict: verdict(cpuRatio.ratio, (x) => x <= 0.5),
      note: cpuRatio.note,
    }),
    row({
      target: `v${f} highest rate under 1 % loss (/s)`,
      nestor: max.Nestor ?? null,
      kea: max.Kea ?? null,
      digits: 0,
      goal: "ratio >= 1.5",
      verdict:
        maxRatio !== null && maxRatio < 1.5 && limit.bed
          ? "bed limit"
          : verdict(maxRatio, (x) => x >= 1.5),
      note: limit.note,
    }),
    row({
      target: `v${f} CPU with a sync callout on every hook point`,
      nestor: cpu["Nestor+callouts"] ?? null,
      kea: null,
      ratio: callouts.ratio,
      ratioTo: "Nestor",
      digits: 3,
      goal: "<= 1.05 x Nestor without",
      verdict: verdict(callouts.ratio, (x) => x <= 1.05),
      note: callouts.note,
    }),
    row({
      target: `v${f} CPU s per 1,000 with fdatasync`,
      nestor: cpu["Nestor+fdatasync"] ?? null,
      kea: cpu.Kea ?? null,
      digits: 3,
      goal: "cost shown",
      verdict: shown(cpu["Nestor+fdatasync"]),
      note:
        cpu["Nestor+fdatasync"] !== undefined && cpu.Nestor !== undefined
          ? `${(cpu["Nestor+fdatasync"] / cpu.Nestor).toFixed(2)} x Nestor without`
          : "",
    }),
    row({
      target: `v${f} highest rate with fdatasync (/s)`,
      nestor: max["Nestor+fdatasync"] ?? null,
      kea: max.Kea ?? null,
      digits: 0,
      goal: "cost shown",
      verdict: shown(max["Nestor+fdatasync"]),
    }),
  ];
}

/**
 * Whether the bed was the limit of Nestor's highest rate (see Verdict), and what the server did
 * at the lowest rate that failed: "failed at 21300/s with 0.52 CPU, rcvbuf drops 0 (server) /
 * 724 (perfdhcp)", per round.
 */
function bedLimit(failed: readonly FailedStep[] | undefined): { bed: boolean; note: string } {
  if (failed === undefined || failed.length === 0) return { bed: false, note: "" };
  const bed = failed.every((f) => f.serverCpu < BED_LIMIT_CPU && f.serverDrops === 0);
  const steps = failed
    .map(
      (f) =>
        `${f.rate}/s with ${f.serverCpu.toFixed(2)} CPU, drops ${f.serverDrops}/${f.clientDrops}`,
    )
    .join("; ");
  return { bed, note: `failed at ${steps} (rcvbuf drops server/perfdhcp)` };
}

/** "paired in 5 rounds: 0.98-1.04, IQR 1.00-1.03" */
function pairedNote(p: PairedFigure): string {
  return (
    `paired in ${p.n} round${p.n === 1 ? "" : "s"}: ${p.min.toFixed(2)}-${p.max.toFixed(2)}, ` +
    `IQR ${p.q1.toFixed(2)}-${p.q3.toFixed(2)}`
  );
}

/**
 * A figure at 1,000,000 leases: as measured; or, below that, projected by the line fitted
 * through the figures at the run's lease counts (`points`, bench:memory's smaller lease files),
 * or when there are none, linearly from `base` (the figure with no lease) through the measured
 * count, which charges all that grows with the first leases to every lease (an upper bound).
 */
function atMillion(
  x: MemoryFigures | undefined,
  figure: (x: MemoryFigures) => number | null,
  base: (x: MemoryFigures) => number,
  ofPoint: (p: LoadPoint) => number,
): number | null {
  if (x === undefined) return null;
  const v = figure(x);
  if (v === null || x.leases >= TARGET_LEASES) return v;
  if (x.leases < PROJECT_FROM) return null;
  const fit = lineOf(x, ofPoint);
  if (fit !== null) return fit.intercept + fit.slope * TARGET_LEASES;
  return base(x) + ((v - base(x)) * TARGET_LEASES) / x.leases;
}

/** The line through a run's points (null without two lease counts to fit it to). */
function lineOf(x: MemoryFigures | undefined, ofPoint: (p: LoadPoint) => number) {
  return linearFit((x?.points ?? []).map((p) => [p.leases, ofPoint(p)] as const));
}

/** How a figure at 10^6 leases was had: "" (measured), or how it was projected. */
function projectionNote(x: MemoryFigures | undefined): string {
  if (x === undefined || x.leases >= TARGET_LEASES) return "";
  if (x.leases < PROJECT_FROM) return `${x.leases} leases: too few to project`;
  if (lineOf(x, (p) => p.rss) === null) return `projected from ${x.leases} leases`;
  const pts = x.points!;
  const counts = pts.map((p) => p.leases);
  return `projected by a line fitted at ${pts.length} lease counts (${Math.min(...counts)}-${Math.max(...counts)})`;
}

/**
 * Of the RSS read after each part of the fuzz: how much it moved over the second half (from the
 * reading at the middle of the fuzz to the last one). Near 0 while the whole growth is larger,
 * RSS levelled off: a working size reached, not growth with the packets.
 */
function secondHalfNote(x: MemoryFigures | undefined): string {
  const s = x?.rssSeries;
  if (s === undefined || s.length < 2) return "";
  const mid = s[Math.floor(s.length / 2) - 1]!;
  const d = s[s.length - 1]! - mid;
  return `; second half of the fuzz ${d >= 0 ? "+" : ""}${d.toFixed(1)} MiB`;
}

/** With bench:memory --gc-trace: what V8's heap did over the fuzz (used after collections). */
function heapNote(x: MemoryFigures | undefined): string {
  if (x?.heapWarm == null || x.heapFuzzed == null) return "";
  return `; V8 heap ${x.heapWarm} -> ${x.heapFuzzed} MB, ${x.fullGcs ?? "?"} full GC(s)`;
}

function memoryRows(f: 4 | 6, m: MemorySummary | undefined): TargetRow[] {
  const fam = m?.families[String(f)];
  const N = fam?.Nestor;
  const K = fam?.Kea;
  const leases = (N ?? K)?.leases ?? 0;
  const tooFew = leases > 0 && leases < PROJECT_FROM;
  const leaseNote = projectionNote(N ?? K);
  const fitted = lineOf(N ?? K, (p) => p.startS) !== null;
  const start = (x: MemoryFigures | undefined) =>
    atMillion(
      x,
      (y) => y.startS,
      () => 0,
      (p) => p.startS,
    );
  const rss = (x: MemoryFigures | undefined) =>
    atMillion(
      x,
      (y) => y.rssLoaded,
      (y) => y.rssEmpty ?? NaN,
      (p) => p.rss,
    );
  const bounded = (figure: number | null, enough: boolean, ok: (x: number) => boolean): Verdict =>
    figure === null ? (tooFew ? "n/a" : "missing") : enough ? verdict(figure, ok) : "n/a";
  const sized = (x: number | null) => (x === null || !Number.isFinite(x) ? null : x);
  // Without a summary the labels name the targets' own sizes.
  const fuzz = m?.fuzz ?? 1_000_000;
  const largeMb = m?.largeMb ?? 10;
  const clients = m?.clients ?? 200;
  const growth = (x: MemoryFigures | undefined) => (x ? x.rssFuzzed - x.rssWarm : null);
  const nStart = sized(start(N));
  const nRss = sized(rss(N));
  return [
    row({
      target: `v${f} start to first answer, 10^6 leases (s)`,
      nestor: nStart,
      kea: sized(start(K)),
      goal: "< 3 s",
      verdict: bounded(nStart, true, (x) => x < 3),
      // Without points, the start time is scaled whole, as if all of it grew with the leases.
      note: leaseNote === "" || fitted ? leaseNote : `${leaseNote} (all of the time scaled)`,
    }),
    row({
      target: `v${f} RSS with 10^6 leases (MiB)`,
      nestor: nRss,
      kea: sized(rss(K)),
      digits: 0,
      goal: "< 300 MiB",
      verdict: bounded(nRss, true, (x) => x < 300),
      note: leaseNote,
    }),
    row({
      target: `v${f} RSS growth over ${fuzz} fuzzed packets (MiB)`,
      nestor: growth(N),
      kea: growth(K),
      // A ratio to a growth under 1 MiB (Kea's is 0 to 0.1) says nothing.
      ratio: Math.abs(growth(K) ?? 0) >= 1 ? ratioOf(growth(N), growth(K)) : null,
      digits: 1,
      goal: "< 10 MiB over 10^6",
      verdict:
        growth(N) === null ? "missing" : fuzz >= 1e6 ? verdict(growth(N), (x) => x < 10) : "n/a",
      note: m === undefined ? "" : `after ${m.warmup} of warm-up${secondHalfNote(N)}${heapNote(N)}`,
    }),
    row({
      target: `v${f} RSS rise, ${largeMb} MB control request (MiB)`,
      nestor: N?.largePeak ?? null,
      kea: K?.largePeak ?? null,
      digits: 0,
      goal: "< 100 MiB for 10 MB",
      verdict:
        N === undefined ? "missing" : largeMb >= 10 ? verdict(N.largePeak, (x) => x < 100) : "n/a",
      note: "peak (VmHWM)",
    }),
    row({
      target: `v${f} of ${clients} concurrent control clients, answered`,
      nestor: N?.answered ?? null,
      kea: K?.answered ?? null,
      digits: 0,
      goal: "all 200",
      verdict:
        N === undefined
          ? "missing"
          : clients >= 200
            ? verdict(N.answered, (x) => x === clients)
            : "n/a",
    }),
  ];
}

function allocRows(a: AllocSummary | undefined): TargetRow[] {
  const last = a === undefined ? -1 : a.fills.length - 1;
  const full = a === undefined ? "99" : String(Math.round(a.fills[last]! * 100));
  const kinds = a === undefined ? ["flq"] : Object.keys(a.us);
  return kinds.map((kind) => {
    const xs = a?.us[kind];
    const r = xs === undefined ? null : ratioOf(xs[last], xs[0]);
    return row({
      target: `allocation, ${kind}: ${full} % full / empty pool`,
      nestor: r,
      kea: null,
      ratio: null,
      goal: kind === "flq" ? "flat: <= 1.5" : "shown",
      verdict: kind === "flq" ? verdict(r, (x) => x <= 1.5) : r === null ? "missing" : "info",
      note: xs === undefined ? "" : `${xs[0]!.toFixed(2)} -> ${xs[last]!.toFixed(2)} us`,
    });
  });
}

function hooksRows(h: HooksSummary | undefined): TargetRow[] {
  return (["4", "6"] as const).map((f) => {
    const cases = h?.families[f]?.cases ?? [];
    const none = cases.find((c) => c.label.startsWith("(a)"));
    const all = cases.find((c) => c.label.startsWith("(b)"));
    const r = ratioOf(all?.firstNs, none?.firstNs);
    return row({
      target: `v${f} in process: sync callout on every point (ns)`,
      nestor: all?.firstNs ?? null,
      kea: null,
      ratio: r,
      ratioTo: "Nestor",
      digits: 0,
      goal: "(real path above)",
      verdict: r === null ? "missing" : "info",
      note: none === undefined ? "" : `${none.firstNs.toFixed(0)} ns without`,
    });
  });
}

/** Every target of issue 19, in the order, from whatever summaries there are. */
export function targetRows(s: Summaries): TargetRow[] {
  return [
    ...serverRows(4, s.dhcp4),
    ...serverRows(6, s.dhcp6),
    ...memoryRows(4, s.memory),
    ...memoryRows(6, s.memory),
    ...allocRows(s.alloc),
    ...hooksRows(s.hooks),
  ];
}

/** The rows as a fixed-width text table. */
export function formatTargets(rows: readonly TargetRow[]): string {
  const fig = (x: number | null, d: number) => (x === null ? "-" : x.toFixed(d));
  const cells = rows.map((r) => [
    r.target,
    fig(r.nestor, r.digits),
    fig(r.kea, r.digits),
    r.ratio === null ? "-" : `${r.ratio.toFixed(2)}${r.ratioTo === "Nestor" ? " of N." : ""}`,
    r.goal,
    r.verdict,
    r.note,
  ]);
  const head = ["target", "Nestor", "Kea 2.2", "ratio", "goal", "verdict", "note"];
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => (i >= 1 && i <= 3 ? x.padStart(width[i]!) : x.padEnd(width[i]!)))
      .join("  ")
      .trimEnd();
  return [line(head), ...cells.map(line)].join("\n");
}

/** "n of m targets met", over the rows with a bound (met or not met). */
export function tally(rows: readonly TargetRow[]): string {
  const judged = rows.filter(
    (r) => r.verdict === "met" || r.verdict === "not met" || r.verdict === "bed limit",
  );
  const met = judged.filter((r) => r.verdict === "met").length;
  const bed = judged.filter((r) => r.verdict === "bed limit").length;
  const missing = rows.filter((r) => r.verdict === "missing").length;
  return (
    `${met} of ${judged.length} targets met` +
    (bed > 0
      ? `; ${bed} not met at the bed's limit (the server under ${BED_LIMIT_CPU} CPU, its socket dropping nothing, where the rate failed)`
      : "") +
    (missing > 0 ? `; ${missing} figure(s) missing` : "")
  );
}
