// Runs fuzz cases in a worker thread watched by a timer, so that a parser that hangs is stopped
// and reported (with the case's hex) instead of hanging the run.
import { Worker } from "node:worker_threads";
import { allVectors, bytes, type WireVector } from "../fixtures/wire/vectors.ts";
import { caseSeed, mutate } from "./mutate.ts";

export const DEFAULT_SEED = 0x4e455354; // "NEST"

export interface FuzzCase {
  index: number;
  vector: WireVector;
  steps: string[];
  data: Buffer;
}

/** Case `index` of a run: vectors are taken in turn, each case has its own derived seed. */
export function fuzzCase(vectors: WireVector[], seed: number, index: number): FuzzCase {
  const vector = vectors[index % vectors.length]!;
  const { steps, data } = mutate(bytes(vector), vector.family, caseSeed(seed, index));
  return { index, vector, steps, data };
}

export interface Failure {
  index: number;
  vector: string;
  family: 4 | 6;
  steps: string[];
  hex: string;
  error: string;
}

export interface FuzzReport {
  seed: number;
  iterations: number;
  /** Cases actually run (fewer than iterations only when hangs cut the run short). */
  ran: number;
  parsed: number;
  rejected: number;
  failures: Failure[];
  /** Distinct PacketParseError reasons (numbers replaced by N), with counts. */
  reasons: Map<string, number>;
  ms: number;
}

export interface FuzzOptions {
  seed: number;
  iterations: number;
  /** A case that runs longer than this is reported as a hang. */
  hangMs?: number;
  /** Stop collecting after this many failures. */
  maxFailures?: number;
}

// Messages from the worker.
export type WorkerMessage =
  { type: "failure"; failure: Failure } | { type: "done"; reasons: [string, number][] };

export function describeFailure(seed: number, f: Failure): string {
  return [
    `seed ${seed} (0x${seed.toString(16)}) case ${f.index}: ${f.error}`,
    `  vector ${f.vector} (DHCPv${f.family}), mutations: ${f.steps.join(", ")}`,
    `  hex ${f.hex}`,
    `  replay: npm run fuzz:wire -- --seed ${seed} --case ${f.index}`,
  ].join("\n");
}

function runSlice(
  opts: Required<FuzzOptions>,
  from: number,
  report: FuzzReport,
  vectors: WireVector[],
): Promise<number> {
  // Written by the worker: [0] index of the case being run (-1 when not in a case), [1] parsed
  // and [2] rejected so far. They survive the worker being stopped for a hang.
  const progress = new Int32Array(new SharedArrayBuffer(12));
  progress[0] = -1;
  const worker = new Worker(new URL("./fuzz-worker.ts", import.meta.url), {
    workerData: { seed: opts.seed, from, to: opts.iterations, progress },
  });
  const settle = (): void => {
    report.parsed += Atomics.load(progress, 1);
    report.rejected += Atomics.load(progress, 2);
  };
  return new Promise((resolve, reject) => {
    let lastIndex = -2;
    let lastChange = Date.now();
    const timer = setInterval(() => {
      const current = Atomics.load(progress, 0);
      if (current !== lastIndex) {
        lastIndex = current;
        lastChange = Date.now();
        return;
      }
      if (current < 0 || Date.now() - lastChange < opts.hangMs) return;
      clearInterval(timer);
      const c = fuzzCase(vectors, opts.seed, current);
      report.failures.push({
        index: current,
        vector: c.vector.name,
        family: c.vector.family,
        steps: c.steps,
        hex: c.data.toString("hex"),
        error: `no result after ${opts.hangMs} ms (hang)`,
      });
      void worker.terminate().then(() => {
        settle();
        report.ran += current + 1 - from;
        resolve(current + 1);
      });
    }, 50);
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "failure") {
        if (report.failures.length < opts.maxFailures) report.failures.push(m.failure);
        return;
      }
      clearInterval(timer);
      settle();
      report.ran += opts.iterations - from;
      for (const [r, n] of m.reasons) report.reasons.set(r, (report.reasons.get(r) ?? 0) + n);
      resolve(opts.iterations);
    });
    worker.on("error", (e) => {
      clearInterval(timer);
      reject(e);
    });
  });
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const opts: Required<FuzzOptions> = { hangMs: 5000, maxFailures: 50, ...options };
  const vectors = allVectors();
  const report: FuzzReport = {
    seed: opts.seed,
    iterations: opts.iterations,
    ran: 0,
    parsed: 0,
    rejected: 0,
    failures: [],
    reasons: new Map(),
    ms: 0,
  };
  const start = performance.now();
  let next = 0;
  // After a hang the worker is gone: go on with a fresh one from the next case, a bounded
  // number of times.
  for (let slices = 0; next < opts.iterations && slices < 10; slices++) {
    next = await runSlice(opts, next, report, vectors);
  }
  report.ms = performance.now() - start;
  return report;
}
