/**
 * The server's queries and the reuse of callout handles: two DISCOVERs from two clients, one
 * after the other, with a library that keeps per-packet context from pkt4_receive to pkt4_send.
 * The second query gets the first one's handle back (nothing of the first went asynchronous),
 * and still starts with an empty context: each pkt4_send sees the item its own pkt4_receive set.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Pkt4 } from "../../../src/dhcp/pkt4.ts";
import type { Reply4 } from "../../../src/dhcp4/exchange.ts";
import { T, config4, query4, received, server4 } from "../../helpers/dhcp4.ts";

const KEY = `nestorHandleReuse${process.pid}`;
const SOURCE = `import { HOOKS_VERSION } from "nestor/hooks";
const seen = (globalThis.${KEY} ??= { handles: [], lines: [] });
export const version = () => HOOKS_VERSION;
export function pkt4_receive(h) {
  seen.handles.push(h);
  const xid = h.getArgument("query4").getTransid();
  seen.lines.push("receive " + xid + " found " + (h.getOptionalContext("xid") ?? "(none)"));
  h.setContext("xid", xid);
  return 0;
}
export function pkt4_send(h) {
  const xid = h.getArgument("query4").getTransid();
  seen.lines.push("send " + xid + " context " + h.getContext("xid"));
  return 0;
}
`;

test("a query gets the previous query's handle back, with none of its context", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "nestor-handle-reuse-")), "context.mjs");
  writeFileSync(file, SOURCE);
  const bed = await server4(config4(), [{ library: file }], "INFO");
  const seen = () =>
    (globalThis as Record<string, unknown>)[KEY] as {
      handles: object[];
      lines: string[];
    };
  const replies = [
    { mac: "02:00:00:00:0a:01", xid: 0x101 },
    { mac: "02:00:00:00:0a:02", xid: 0x202 },
  ].map((o) => bed.srv.processQuery(received(query4(T.DHCPDISCOVER, o))));
  for (const reply of replies) {
    assert.ok(reply !== null && !(reply instanceof Promise), "a synchronous reply");
    assert.equal(Pkt4.parse((reply as Reply4).data).getType(), T.DHCPOFFER);
  }
  assert.deepEqual(seen().lines, [
    "receive 257 found (none)",
    "send 257 context 257",
    "receive 514 found (none)",
    "send 514 context 514",
  ]);
  assert.equal(seen().handles.length, 2);
  assert.equal(seen().handles[1], seen().handles[0], "the handle was reused");
  await bed.hooks.unloadLibraries();
});
