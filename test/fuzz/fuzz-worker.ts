// Worker side of harness.ts: runs cases [from, to) and reports failures as they happen.
import { parentPort, workerData } from "node:worker_threads";
import { allVectors } from "../fixtures/wire/vectors.ts";
import { check, type Verdict } from "./check.ts";
import { fuzzCase, type WorkerMessage } from "./harness.ts";

interface Job {
  seed: number;
  from: number;
  to: number;
  progress: Int32Array;
}

const { seed, from, to, progress } = workerData as Job;
const port = parentPort;
if (!port) throw new Error("fuzz-worker.ts runs as a worker thread only");

const vectors = allVectors();
let parsed = 0;
let rejected = 0;
const reasons = new Map<string, number>();
for (let index = from; index < to; index++) {
  Atomics.store(progress, 0, index);
  const c = fuzzCase(vectors, seed, index);
  let verdict: Verdict;
  try {
    verdict = check(c.data, c.vector.family);
  } catch (e) {
    verdict = { kind: "bug", error: `the check itself threw: ${String(e)}` };
  }
  if (verdict.kind === "parsed") {
    Atomics.store(progress, 1, ++parsed);
  } else if (verdict.kind === "rejected") {
    Atomics.store(progress, 2, ++rejected);
    const key = verdict.reason.replace(/0x[0-9a-f]+/g, "0xN").replace(/\b[0-9]+\b/g, "N");
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
  } else {
    const message: WorkerMessage = {
      type: "failure",
      failure: {
        index,
        vector: c.vector.name,
        family: c.vector.family,
        steps: c.steps,
        hex: c.data.toString("hex"),
        error: verdict.error,
      },
    };
    port.postMessage(message);
  }
}
Atomics.store(progress, 0, -1);
const done: WorkerMessage = { type: "done", reasons: [...reasons] };
port.postMessage(done);
