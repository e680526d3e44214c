// Fuzzes Pkt4/Pkt6 parsing with seeded mutations of the captured wire vectors.
//
//   npm run fuzz:wire -- [--iterations N] [--seed S] [--case I] [--hang-ms MS]
//
// Every mutated packet must either parse (and then pack without throwing) or be rejected with
// PacketParseError. Exit status 1 when any case broke that rule; each failure is printed with the
// seed, the case number, the mutations and the packet's hex, and `--seed S --case I` replays it.
import { parseArgs } from "node:util";
import { allVectors } from "../fixtures/wire/vectors.ts";
import { check } from "./check.ts";
import { DEFAULT_SEED, describeFailure, fuzzCase, runFuzz } from "./harness.ts";

function intArg(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} wants a whole number`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      iterations: { type: "string" },
      seed: { type: "string" },
      case: { type: "string" },
      "hang-ms": { type: "string" },
    },
  });
  const seed = intArg("seed", values.seed, DEFAULT_SEED) >>> 0;
  if (values.case !== undefined) {
    const c = fuzzCase(allVectors(), seed, intArg("case", values.case, 0));
    console.log(`seed ${seed} case ${c.index}: vector ${c.vector.name}`);
    console.log(`mutations: ${c.steps.join(", ")}`);
    console.log(`hex ${c.data.toString("hex")}`);
    const verdict = check(c.data, c.vector.family);
    console.log(JSON.stringify(verdict));
    return verdict.kind === "bug" ? 1 : 0;
  }
  const iterations = intArg("iterations", values.iterations, 100_000);
  const hangMs = intArg("hang-ms", values["hang-ms"], 5000);
  console.log(`fuzzing ${iterations} cases, seed ${seed} (0x${seed.toString(16)})`);
  const r = await runFuzz({ seed, iterations, hangMs });
  const rate = Math.round(r.ran / (r.ms / 1000));
  if (r.ran < iterations) console.log(`only ${r.ran} of ${iterations} cases ran (hangs)`);
  console.log(
    `${r.parsed} parsed, ${r.rejected} rejected with PacketParseError, ` +
      `${r.failures.length} failures, in ${(r.ms / 1000).toFixed(1)} s (${rate} cases/s)`,
  );
  const reasons = [...r.reasons].sort((a, b) => b[1] - a[1]);
  console.log("PacketParseError reasons:");
  for (const [reason, n] of reasons) console.log(`  ${String(n).padStart(8)}  ${reason}`);
  for (const f of r.failures) console.log(describeFailure(seed, f));
  return r.failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();
