/**
 * Cost of one hook point as a server pays it, per packet: ask whether callouts are present and,
 * only if so, set the argument, call the callouts and read the status. Measured with 0, 1 and 3
 * synchronous callouts (real libraries loaded from disk) and with 1 asynchronous callout.
 *
 *   npm run bench:hooks [-- --calls N]
 *
 * A script, not a test: it prints nanoseconds per hook call (median of several rounds).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  HooksManager,
  LogManager,
  NextStep,
  ServerHooks,
  parseHooksLibraries,
} from "../src/hooks/index.ts";
import type { CalloutHandle } from "../src/hooks/index.ts";

const callsArg = process.argv.indexOf("--calls");
const CALLS = callsArg > 0 ? Number(process.argv[callsArg + 1]) : 2_000_000;
const ROUNDS = 7;

const dir = mkdtempSync(join(tmpdir(), "nestor-bench-"));
const SYNC_LIB = `import { HOOKS_VERSION, NextStep } from "nestor/hooks";
export const version = () => HOOKS_VERSION;
export function pkt4_receive(handle) {
  const q = handle.getArgument("query4");
  if (q.xid === -1) handle.setStatus(NextStep.DROP);
  return 0;
}`;
const ASYNC_LIB = `import { HOOKS_VERSION } from "nestor/hooks";
export const version = () => HOOKS_VERSION;
export async function pkt4_receive(handle) { handle.getArgument("query4"); return 0; }`;
writeFileSync(join(dir, "sync.mjs"), SYNC_LIB);
writeFileSync(join(dir, "async.mjs"), ASYNC_LIB);

async function bed(libraries: string[]) {
  const logs = new LogManager("bench");
  logs.configure([{ name: "bench", severity: "WARN", outputs: ["stderr"] }]);
  const serverHooks = new ServerHooks();
  const index = serverHooks.registerHook("pkt4_receive");
  const manager = new HooksManager({
    serverHooks,
    logManager: logs,
  });
  await manager.loadLibraries(
    parseHooksLibraries(libraries.map((l) => ({ library: join(dir, l) }))),
  );
  return { manager, index };
}

/** The server's per-packet pattern for one hook point; returns the status. */
function hookPoint(
  manager: HooksManager,
  index: number,
  packet: { xid: number; handle: CalloutHandle | null },
): number {
  const gen = manager.callouts;
  if (!gen.calloutsPresent(index)) return NextStep.CONTINUE;
  const handle = (packet.handle ??= gen.createCalloutHandle());
  handle.prepare().setArgument("query4", packet);
  gen.callCallouts(index, handle);
  return handle.getStatus();
}

async function measureSync(label: string, libraries: string[]) {
  const { manager, index } = await bed(libraries);
  const packet = { xid: 1, handle: null as CalloutHandle | null };
  const results: number[] = [];
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) sink += hookPoint(manager, index, packet);
    results.push(Number(process.hrtime.bigint() - start) / CALLS);
  }
  report(label, results, sink);
  await packet.handle?.release();
  await manager.unloadLibraries();
}

async function measureAsync(label: string) {
  const { manager, index } = await bed(["async.mjs"]);
  const calls = Math.max(1, Math.floor(CALLS / 20));
  const packet = { xid: 1, handle: null as CalloutHandle | null };
  const results: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      const gen = manager.callouts;
      const handle = (packet.handle ??= gen.createCalloutHandle());
      handle.prepare().setArgument("query4", packet);
      const p = gen.callCallouts(index, handle);
      if (p !== undefined) await p;
    }
    results.push(Number(process.hrtime.bigint() - start) / calls);
  }
  report(label, results, 0);
  await packet.handle?.release();
  await manager.unloadLibraries();
}

function report(label: string, results: number[], sink: number) {
  results.sort((a, b) => a - b);
  const median = results[Math.floor(results.length / 2)]!;
  console.log(
    `${label.padEnd(34)} ${median.toFixed(1).padStart(8)} ns/call  (best ${results[0]!.toFixed(1)})${sink < 0 ? "" : ""}`,
  );
}

console.log(`hook dispatch, ${CALLS} calls x ${ROUNDS} rounds, Node ${process.version}`);
await measureSync("no callout registered", []);
await measureSync("1 synchronous callout", ["sync.mjs"]);
await measureSync("3 synchronous callouts (3 libs)", ["sync.mjs", "sync.mjs", "sync.mjs"]);
await measureAsync("1 asynchronous callout (awaited)");
