/**
 * The hot functions of a V8 .cpuprofile (what `node --cpu-prof` writes): self time per function
 * (samples whose top frame it is) and total time (samples with it anywhere on the stack), as
 * shares of the busy samples, i.e. excluding "(idle)".
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A span of CLOCK_MONOTONIC in microseconds (process.hrtime.bigint() / 1000 in any process). */
export interface TimeWindow {
  fromUs: number;
  toUs: number;
}

export interface HotFunction {
  name: string;
  /** Where it is, relative to `root` when under it. */
  where: string;
  self: number;
  total: number;
}

export interface ProfileSummary {
  busySamples: number;
  idleShare: number;
  functions: HotFunction[];
}

/** Only the samples taken inside `window` count when it is given (V8 stamps them monotonically). */
export function summariseProfile(file: string, root: string, window?: TimeWindow): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const hits = new Map<number, number>();
  const samples = profile.samples ?? [];
  if (samples.length > 0) {
    const deltas = profile.timeDeltas ?? [];
    let t = profile.startTime;
    for (let i = 0; i < samples.length; i++) {
      t += deltas[i] ?? 0;
      if (window !== undefined && (t < window.fromUs || t > window.toUs)) continue;
      hits.set(samples[i]!, (hits.get(samples[i]!) ?? 0) + 1);
    }
  } else {
    for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  }
  const keyOf = (f: CallFrame) => `${f.functionName}|${f.url}|${f.lineNumber}|${f.columnNumber}`;
  const fns = new Map<string, HotFunction>();
  let all = 0;
  let idle = 0;
  for (const [id, count] of hits) {
    const node = byId.get(id);
    if (node === undefined || count === 0) continue;
    all += count;
    if (node.callFrame.functionName === "(idle)") {
      idle += count;
      continue;
    }
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (f.functionName === "(root)") continue;
      const key = keyOf(f);
      let fn = fns.get(key);
      if (fn === undefined) {
        fn = { name: f.functionName || "(anonymous)", where: where(f, root), self: 0, total: 0 };
        fns.set(key, fn);
      }
      if (cur === id) fn.self += count;
      if (!seen.has(key)) fn.total += count;
      seen.add(key);
    }
  }
  const busy = all - idle;
  const functions = [...fns.values()].map((f) => ({
    ...f,
    self: busy === 0 ? 0 : f.self / busy,
    total: busy === 0 ? 0 : f.total / busy,
  }));
  return { busySamples: busy, idleShare: all === 0 ? 0 : idle / all, functions };
}

function where(f: CallFrame, root: string): string {
  if (f.url === "") return "";
  let url = f.url.replace(/^file:\/\//, "");
  if (url.startsWith(root)) url = url.slice(root.length).replace(/^\//, "");
  return `${url}:${f.lineNumber + 1}`;
}
