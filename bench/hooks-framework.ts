/**
 * What the hooks framework alone costs a request, without a server around it: one callout
 * handle from the manager, then for each of 7 hook points the arguments cleared and three set
 * (as the server sets up a point) and one synchronous callout that reads one of them, then the
 * handle released. The server's own work at a hook point (building its arguments, acting on the
 * status) is not in it: bench/hooks-dispatch.ts measures that through processQuery.
 *
 *   node bench/hooks-framework.ts [--requests N] [--rounds N]
 *
 * A script, not a test: it prints the CPU nanoseconds (user + system, the process's) per request
 * of each round after a warm-up round, their median and range.
 */
import { parseArgs } from "node:util";

import type { CalloutHandle } from "../src/hooks/callout-handle.ts";
import { HooksManager } from "../src/hooks/hooks-manager.ts";
import { ServerHooks } from "../src/hooks/server-hooks.ts";
import { LogManager } from "../src/log/logger.ts";

const { values: args } = parseArgs({
  options: {
    requests: { type: "string", default: "200000" },
    rounds: { type: "string", default: "7" },
  },
});
const REQUESTS = Number(args.requests);
const ROUNDS = Number(args.rounds);
if (!Number.isInteger(REQUESTS) || REQUESTS < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error("--requests and --rounds must be positive integers");
  process.exit(2);
}

const POINTS = 7;
const serverHooks = new ServerHooks();
const names = Array.from({ length: POINTS }, (_, i) => `point${i}`);
const indexes = names.map((n) => serverHooks.registerHook(n));
const logManager = new LogManager("bench");
logManager.configure([{ name: "bench", severity: "INFO", outputs: [() => {}] }]);
const manager = new HooksManager({ serverHooks, logManager });
const library = manager.preCalloutsLibraryHandle();
for (const name of names) {
  library.registerCallout(name, (h: CalloutHandle) => (h.getArgument("query4") === null ? 1 : 0));
}
const gen = manager.callouts;
const query = { xid: 1 };
const response = { xid: 1 };

function request(): void {
  const h = gen.createCalloutHandle();
  for (const index of indexes) {
    h.prepare();
    h.setArgument("query4", query);
    h.setArgument("response4", response);
    h.setArgument("subnet4", null);
    if (gen.callCallouts(index, h) !== undefined) throw new Error("a callout went asynchronous");
  }
  if (h.release() !== undefined) throw new Error("the release went asynchronous");
}

const perRequest: number[] = [];
for (let round = 0; round <= ROUNDS; round++) {
  const start = process.cpuUsage();
  for (let i = 0; i < REQUESTS; i++) request();
  const used = process.cpuUsage(start);
  if (round > 0) perRequest.push(((used.user + used.system) * 1000) / REQUESTS);
}
const sorted = [...perRequest].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)]!;
console.log(
  `hooks framework, ${POINTS} hook points x 1 synchronous callout per request, ${REQUESTS} requests x ${ROUNDS} rounds (+1 warm-up), Node ${process.version}`,
);
console.log(
  `CPU ns per request: median ${median.toFixed(0)} (${sorted[0]!.toFixed(0)} - ${sorted.at(-1)!.toFixed(0)}); rounds ${perRequest.map((x) => x.toFixed(0)).join(", ")}`,
);
