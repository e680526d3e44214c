/**
 * A hook point's arguments are made when something first uses them (CalloutHandle
 * deferArguments): a callout that never looks at its arguments costs nothing for them, and one
 * that does sees exactly what it would have seen had they been set before the callouts, at every
 * point of both servers, whatever callouts ran before it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

import { D6O } from "../../../src/dhcp/constants.ts";
import { Option6IAAddr } from "../../../src/dhcp/option6-ia.ts";
import type { Pkt6 } from "../../../src/dhcp/pkt6.ts";
import { LeaseType6 } from "../../../src/dhcpsrv/leases/lease6.ts";
import { ArgumentTypeError, NoSuchArgument } from "../../../src/hooks/errors.ts";
import type { CalloutHandle } from "../../../src/hooks/callout-handle.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { config4, exchange, query4, SERVER_ADDR, server4, T } from "../../helpers/dhcp4.ts";
import { config6, exchange6, iasOf, M, query6, server6 } from "../../helpers/dhcp6.ts";
import { scratchDir, testBed } from "../../helpers/hooks.ts";
import { NextStep } from "../../../src/hooks/next-step.ts";

const HEADER = `import { HOOKS_VERSION } from "nestor/hooks";
export const version = () => HOOKS_VERSION;
`;

/** A library file in a fresh directory, as a `hooks-libraries` entry. */
function library(name: string, body: string): JsonObject {
  const path = join(scratchDir(), name);
  writeFileSync(path, HEADER + body);
  return { library: path };
}

interface Source {
  made: number;
  query: string;
  lease: { address: string };
}

function setup(h: CalloutHandle, s: Source): void {
  s.made++;
  h.setArgument("query4", s.query);
  h.setArgument("lease4", s.lease);
}

function deferred(): { h: CalloutHandle; s: Source } {
  const { manager } = testBed();
  const h = manager.createCalloutHandle();
  const s: Source = { made: 0, query: "the query", lease: { address: "198.51.100.10" } };
  h.prepare();
  h.deferArguments(setup, s);
  return { h, s };
}

test("deferred arguments are made by the first argument call, once, in the setup's order", () => {
  const { h, s } = deferred();
  assert.equal(s.made, 0);
  assert.equal(h.argumentsDeferred, true);
  assert.deepEqual(h.getArgumentNames(), ["query4", "lease4"]);
  assert.equal(s.made, 1);
  assert.equal(h.argumentsDeferred, false);
  assert.equal(h.getArgument("query4"), "the query");
  assert.equal(h.getArgument("lease4"), s.lease);
  assert.equal(s.made, 1);
});

test("each argument call makes deferred arguments first: get, set, delete, list", () => {
  const get = deferred();
  assert.throws(() => get.h.getArgument("nope"), NoSuchArgument);
  assert.equal(get.s.made, 1);

  // A new name comes after the point's own; replacing one keeps Kea's kind rule.
  const set = deferred();
  set.h.setArgument("mine", 1);
  assert.deepEqual(set.h.getArgumentNames(), ["query4", "lease4", "mine"]);
  assert.throws(() => set.h.setArgument("lease4", 7 as never), ArgumentTypeError);
  assert.equal(set.h.getArgument("lease4"), set.s.lease);

  const del = deferred();
  del.h.deleteArgument("query4");
  assert.deepEqual(del.h.getArgumentNames(), ["lease4"]);
  assert.equal(del.s.made, 1);
});

test("deleteAllArguments and the next point's prepare drop deferred arguments unmade", () => {
  const all = deferred();
  all.h.deleteAllArguments();
  assert.deepEqual(all.h.getArgumentNames(), []);
  assert.equal(all.s.made, 0);

  const next = deferred();
  next.h.prepare();
  assert.equal(next.h.argumentsDeferred, false);
  assert.deepEqual(next.h.getArgumentNames(), []);
  assert.equal(next.s.made, 0);
});

/** Every v4 packet hook point with a callout that never looks at its handle. */
const IDLE4 = [
  "buffer4_receive",
  "pkt4_receive",
  "subnet4_select",
  "lease4_select",
  "lease4_renew",
  "lease4_offer",
  "leases4_committed",
  "pkt4_send",
  "buffer4_send",
]
  .map((p) => `export function ${p}() { return 0; }`)
  .join("\n");

const TWO_SUBNETS = config4({
  subnet4: [
    { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.12" }] },
    { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.12" }] },
  ],
});

test("v4: callouts that never read their arguments leave every answer as it is without them", async () => {
  const plain = await server4(TWO_SUBNETS);
  const idle = await server4(TWO_SUBNETS, [library("idle4.mjs", IDLE4)]);
  for (const bed of [plain, idle]) {
    const offer = (await exchange(bed, query4(T.DHCPDISCOVER)))!.pkt;
    assert.equal(offer.yiaddr, "198.51.100.10");
    const ack = await exchange(
      bed,
      query4(T.DHCPREQUEST, { requested: offer.yiaddr, serverId: SERVER_ADDR }),
    );
    assert.equal(ack!.pkt.getType(), T.DHCPACK);
    assert.equal(ack!.pkt.yiaddr, "198.51.100.10");
    assert.equal(bed.leases.getLease4("198.51.100.10")?.validLifetime, 4000);
  }
  const [a, b] = [plain, idle].map((bed) => bed.leases.getLease4("198.51.100.10")!);
  assert.equal(a.subnetId, b.subnetId);
  assert.equal(a.hwaddr?.toText(), b.hwaddr?.toText());
});

test("v4: after callouts that did not look, a callout that does sees and changes the arguments", async () => {
  // Library 1 ignores every argument; library 2 moves the client to the second subnet and
  // changes the lease's lifetime: both changes are what the client gets and what is stored.
  const reader = library(
    "reader4.mjs",
    `export function subnet4_select(h) {
  h.setArgument("subnet4", h.getArgument("subnet4collection")[1]);
  return 0;
}
export function lease4_select(h) {
  if (h.getArgument("query4").getType() === 3) h.getArgument("lease4").validLifetime = 1234;
  return 0;
}
export function leases4_committed(h) {
  globalThis.deferredCommitted = h.getArgument("leases4").map((l) => l.toText?.() ?? l.address);
  return 0;
}`,
  );
  const bed = await server4(TWO_SUBNETS, [library("idle4.mjs", IDLE4), reader]);
  const offer = (await exchange(bed, query4(T.DHCPDISCOVER)))!.pkt;
  assert.equal(offer.yiaddr, "203.0.113.10");
  const ack = (await exchange(
    bed,
    query4(T.DHCPREQUEST, { requested: offer.yiaddr, serverId: SERVER_ADDR }),
  ))!.pkt;
  assert.equal(ack.yiaddr, "203.0.113.10");
  assert.equal(bed.leases.getLease4("203.0.113.10")?.validLifetime, 1234);
  assert.equal(bed.leases.getLease4("203.0.113.10")?.subnetId, 2);
  const committed = (globalThis as { deferredCommitted?: unknown[] }).deferredCommitted;
  assert.equal(committed?.length, 1);
});

const IDLE6 = [
  "buffer6_receive",
  "pkt6_receive",
  "subnet6_select",
  "lease6_select",
  "lease6_renew",
  "leases6_committed",
  "pkt6_send",
  "buffer6_send",
]
  .map((p) => `export function ${p}() { return 0; }`)
  .join("\n");

function address6(pkt: Pkt6): string | undefined {
  const ia = iasOf(pkt)[0];
  const a = ia?.getOption(D6O.IAADDR);
  return a instanceof Option6IAAddr ? a.getAddress() : undefined;
}

test("v6: idle callouts change nothing; a later callout's replacement lease6 is the one granted", async () => {
  const plain = await server6(config6());
  const idle = await server6(config6(), [library("idle6.mjs", IDLE6)]);
  for (const bed of [plain, idle]) {
    const adv = (await exchange6(bed, query6(M.DHCPV6_SOLICIT)))!.pkt;
    assert.equal(address6(adv), "2001:db8:1::10");
    const request = query6(M.DHCPV6_REQUEST, { ias: [{ hints: ["2001:db8:1::10"] }] });
    const reply = (await exchange6(bed, request))!.pkt;
    assert.equal(address6(reply), "2001:db8:1::10");
    assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::10")?.validLifetime, 4000);
  }
  // lease6_select: the server takes back the lease6 argument (a callout may replace it).
  const replacing = library(
    "replace6.mjs",
    `export function lease6_select(h) {
  const lease = h.getArgument("lease6").clone();
  lease.validLifetime = 2345;
  h.setArgument("lease6", lease);
  return 0;
}`,
  );
  const bed = await server6(config6(), [library("idle6.mjs", IDLE6), replacing]);
  await exchange6(bed, query6(M.DHCPV6_SOLICIT));
  const request = query6(M.DHCPV6_REQUEST, { ias: [{ hints: ["2001:db8:1::10"] }] });
  const reply = (await exchange6(bed, request))!.pkt;
  assert.equal(address6(reply), "2001:db8:1::10");
  assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::10")?.validLifetime, 2345);
});

test("prepareDeferred: the previous point's arguments and status gone, the new ones made on first use", () => {
  const bed = testBed();
  const h = bed.manager.createCalloutHandle();
  h.setArgument("old", 1);
  h.setStatus(NextStep.SKIP);
  let made = 0;
  h.prepareDeferred(
    (handle: CalloutHandle, source: { v: string }) => {
      made++;
      handle.setArgument("query", source.v);
    },
    { v: "q1" },
  );
  assert.equal(h.getStatus(), NextStep.CONTINUE);
  assert.equal(h.argumentsDeferred, true);
  assert.equal(made, 0, "nothing made before a use");
  assert.deepEqual(h.getArgumentNames(), ["query"]);
  assert.equal(h.getArgument("query"), "q1");
  assert.throws(() => h.getArgument("old"), NoSuchArgument);
  assert.equal(made, 1);
  h.release();
});
