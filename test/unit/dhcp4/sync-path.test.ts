/**
 * A query whose callouts are all synchronous (or that has none) is processed without a single
 * Promise: processQuery returns the reply itself. Counted with async_hooks, enabled only around
 * the calls; only a callout that goes asynchronous makes its query a Promise.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHook } from "node:async_hooks";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";
import type { Reply4 } from "../../../src/dhcp4/exchange.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import {
  SERVER_ADDR,
  T,
  config4,
  query4,
  received,
  server4,
  type Server4Bed,
} from "../../helpers/dhcp4.ts";

const HOOKS = ["pkt4_receive", "subnet4_select", "lease4_select", "leases4_committed", "pkt4_send"];

// A library with one callout on each hook of HOOKS; parameter "async" names the one hook whose
// callout awaits (none by default). Every call is counted in globalThis.nestorSyncCalls.
const LIBRARY = `
import { HOOKS_VERSION } from "nestor/hooks";
const g = globalThis;
export const version = () => HOOKS_VERSION;
export function load(handle) {
  const asyncHook = String(handle.getParameter("async") ?? "");
  for (const hook of ${JSON.stringify(HOOKS)}) {
    handle.registerCallout(
      hook,
      hook === asyncHook
        ? async () => {
            await new Promise((resolve) => setImmediate(resolve));
            g.nestorSyncCalls = (g.nestorSyncCalls ?? 0) + 1;
            return 0;
          }
        : () => {
            g.nestorSyncCalls = (g.nestorSyncCalls ?? 0) + 1;
            return 0;
          },
    );
  }
  return 0;
}
`;

const dir = mkdtempSync(path.join(tmpdir(), "nestor-sync-path-"));
const LIB = path.join(dir, "sync-callouts.mjs");
writeFileSync(LIB, LIBRARY);
after(() => rmSync(dir, { recursive: true, force: true }));

function lib(asyncHook = ""): JsonObject {
  return { library: LIB, parameters: { async: asyncHook } };
}

function calls(): number {
  const g = globalThis as { nestorSyncCalls?: number };
  const n = g.nestorSyncCalls ?? 0;
  g.nestorSyncCalls = 0;
  return n;
}

/** Runs `fn` with a counter of the Promises created meanwhile. */
function countPromises<R>(fn: () => R): { result: R; promises: number } {
  let promises = 0;
  const hook = createHook({
    init(_id, type) {
      if (type === "PROMISE") promises++;
    },
  });
  hook.enable();
  let result: R;
  try {
    result = fn();
  } finally {
    hook.disable();
  }
  return { result, promises };
}

type Processed = ReturnType<Server4Bed["srv"]["processQuery"]>;

const DISCOVER = () => received(query4(T.DHCPDISCOVER));
const REQUEST = () =>
  received(query4(T.DHCPREQUEST, { requested: "198.51.100.10", serverId: SERVER_ADDR }));

/** DISCOVER then REQUEST through processQuery; each call's result and Promise count. */
function dora(bed: Server4Bed): { offer: Processed; ack: Processed; promises: number } {
  const discover = DISCOVER();
  const request = REQUEST();
  const a = countPromises(() => bed.srv.processQuery(discover));
  const b = countPromises(() => bed.srv.processQuery(request));
  return { offer: a.result, ack: b.result, promises: a.promises + b.promises };
}

function typeOf(reply: Processed): number {
  assert.ok(!(reply instanceof Promise), "the reply is not a Promise");
  assert.ok(reply !== null, "there is a reply");
  return Pkt4.parse((reply as Reply4).data).getType();
}

test("the counter counts: an async function call creates Promises", () => {
  const { promises } = countPromises(async () => 1);
  assert.ok(promises > 0);
});

test("without hook libraries DISCOVER and REQUEST create no Promise", async () => {
  const bed = await server4(config4());
  const { offer, ack, promises } = dora(bed);
  assert.equal(typeOf(offer), T.DHCPOFFER);
  assert.equal(typeOf(ack), T.DHCPACK);
  assert.equal(promises, 0);
});

test("with synchronous callouts DISCOVER and REQUEST create no Promise", async () => {
  const bed = await server4(config4(), [lib()]);
  calls();
  const { offer, ack, promises } = dora(bed);
  assert.equal(typeOf(offer), T.DHCPOFFER);
  assert.equal(typeOf(ack), T.DHCPACK);
  assert.equal(promises, 0);
  // DISCOVER: pkt4_receive, subnet4_select, lease4_select, pkt4_send; REQUEST: the five.
  assert.equal(calls(), 9);
});

test("an asynchronous callout makes its query a Promise that resolves to the reply", async () => {
  const bed = await server4(config4(), [lib("lease4_select")]);
  calls();
  const discover = DISCOVER();
  const offer = countPromises(() => bed.srv.processQuery(discover));
  assert.ok(offer.result instanceof Promise);
  assert.ok(offer.promises > 0);
  assert.equal(Pkt4.parse((await offer.result)!.data).getType(), T.DHCPOFFER);
  const request = REQUEST();
  const ack = countPromises(() => bed.srv.processQuery(request));
  assert.ok(ack.result instanceof Promise);
  assert.equal(Pkt4.parse((await ack.result)!.data).getType(), T.DHCPACK);
  assert.equal(calls(), 9);
});
