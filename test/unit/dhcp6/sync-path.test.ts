/**
 * A DHCPv6 query whose callouts are all synchronous (or that has none) is processed without a
 * single Promise: processQuery returns the reply itself. Counted with async_hooks, enabled only
 * around the calls; only a callout that goes asynchronous makes its query a Promise.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Pkt6 } from "../../../src/dhcp/pkt6.ts";
import { countPromises, countedLibrary } from "../../helpers/sync-path.ts";
import type { Reply6 } from "../../../src/dhcp6/exchange.ts";
import { M, config6, query6, received6, server6, type Server6Bed } from "../../helpers/dhcp6.ts";

const { entry: lib, calls } = countedLibrary([
  "pkt6_receive",
  "subnet6_select",
  "lease6_select",
  "leases6_committed",
  "pkt6_send",
]);

type Processed = ReturnType<Server6Bed["srv"]["processQuery"]>;

/** SOLICIT then REQUEST through processQuery; each call's result and the Promises created. */
function solicitRequest(bed: Server6Bed): {
  advertise: Processed;
  reply: Processed;
  promises: number;
} {
  const solicit = received6(query6(M.DHCPV6_SOLICIT));
  const request = received6(query6(M.DHCPV6_REQUEST, { ias: [{ hints: ["2001:db8:1::10"] }] }));
  const a = countPromises(() => bed.srv.processQuery(solicit));
  const b = countPromises(() => bed.srv.processQuery(request));
  return { advertise: a.result, reply: b.result, promises: a.promises + b.promises };
}

function typeOf(processed: Processed): number {
  assert.ok(!(processed instanceof Promise), "the reply is not a Promise");
  assert.ok(processed !== null, "there is a reply");
  return Pkt6.parse((processed as Reply6).data).getType();
}

test("the counter counts: an async function call creates Promises", () => {
  const { promises } = countPromises(async () => 1);
  assert.ok(promises > 0);
});

test("without hook libraries SOLICIT and REQUEST create no Promise", async () => {
  const bed = await server6(config6());
  const { advertise, reply, promises } = solicitRequest(bed);
  assert.equal(typeOf(advertise), M.DHCPV6_ADVERTISE);
  assert.equal(typeOf(reply), M.DHCPV6_REPLY);
  assert.equal(promises, 0);
  assert.equal(bed.leases.size, 1);
});

test("with synchronous callouts on every point SOLICIT and REQUEST create no Promise", async () => {
  const bed = await server6(config6(), [lib()]);
  calls();
  const { advertise, reply, promises } = solicitRequest(bed);
  assert.equal(typeOf(advertise), M.DHCPV6_ADVERTISE);
  assert.equal(typeOf(reply), M.DHCPV6_REPLY);
  assert.equal(promises, 0);
  // SOLICIT: pkt6_receive, subnet6_select, lease6_select, pkt6_send; REQUEST: the five.
  assert.equal(calls(), 9);
});

test("an asynchronous callout makes its query a Promise that resolves to the reply", async () => {
  const bed = await server6(config6(), [lib("lease6_select")]);
  calls();
  const { advertise, reply, promises } = solicitRequest(bed);
  assert.ok(advertise instanceof Promise);
  assert.ok(reply instanceof Promise);
  assert.ok(promises > 0);
  assert.equal(Pkt6.parse((await advertise)!.data).getType(), M.DHCPV6_ADVERTISE);
  assert.equal(Pkt6.parse((await reply)!.data).getType(), M.DHCPV6_REPLY);
  assert.equal(calls(), 9);
  assert.equal(bed.leases.size, 1);
});
