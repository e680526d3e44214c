/**
 * A query whose callouts are all synchronous (or that has none) is processed without a single
 * Promise: processQuery returns the reply itself. Counted with async_hooks, enabled only around
 * the calls; only a callout that goes asynchronous makes its query a Promise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";
import { countPromises, countedLibrary } from "../../helpers/sync-path.ts";
import type { Reply4 } from "../../../src/dhcp4/exchange.ts";
import {
  SERVER_ADDR,
  T,
  config4,
  query4,
  received,
  server4,
  type Server4Bed,
} from "../../helpers/dhcp4.ts";

const { entry: lib, calls } = countedLibrary([
  "pkt4_receive",
  "subnet4_select",
  "lease4_select",
  "leases4_committed",
  "pkt4_send",
]);

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
