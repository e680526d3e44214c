/**
 * Kea's PARK at the hook points where Kea parks (leases4_committed, lease4_offer, subnet4_select,
 * leases6_committed, subnet6_select), through a library written as Kea's guide describes it, and
 * parked-packet-limit: beyond it, a query that would be parked is dropped and counted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseConfigText } from "../../../src/dhcpsrv/config/index.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { SERVER_ADDR, T, config4, exchange, query4, server4 } from "../../helpers/dhcp4.ts";
import { M, config6, exchange6, query6, server6 } from "../../helpers/dhcp6.ts";

const PARKER = fileURLToPath(new URL("../../fixtures/hooks-park/parker.ts", import.meta.url));

interface Parked {
  hook: string;
  query: object;
  unpark: () => boolean;
  drop: () => boolean;
}

function parker(hook: string, query: string, keys: JsonObject = {}): JsonObject {
  return { library: PARKER, parameters: { hook, query }, ...keys };
}

/** What the library has parked since the last take. */
function takeParked(): Parked[] {
  const g = globalThis as { nestorParked?: Parked[] };
  const p = g.nestorParked ?? [];
  g.nestorParked = [];
  return p;
}

/** Lets pending promise jobs and timers run. */
const tick = () => new Promise((r) => setTimeout(r, 5));

const REQUEST = (n = 1) =>
  query4(T.DHCPREQUEST, {
    mac: `02:00:00:00:00:0${n}`,
    requested: `198.51.100.${9 + n}`,
    serverId: SERVER_ADDR,
  });

for (const [hook, type, expected] of [
  ["leases4_committed", T.DHCPREQUEST, T.DHCPACK],
  ["lease4_offer", T.DHCPDISCOVER, T.DHCPOFFER],
  ["subnet4_select", T.DHCPDISCOVER, T.DHCPOFFER],
] as const) {
  test(`${hook} PARK: the reply leaves only when the library unparks the query`, async () => {
    takeParked();
    const bed = await server4(config4(), [parker(hook, "query4")]);
    const data = type === T.DHCPREQUEST ? REQUEST() : query4(type);
    let reply: Awaited<ReturnType<typeof exchange>> | undefined;
    const pending = exchange(bed, data).then((r) => (reply = r));
    await tick();
    assert.equal(reply, undefined, "no reply while parked");
    const parked = takeParked();
    assert.equal(parked.length, 1);
    assert.equal(bed.hooks.parkedCount(), 1);
    assert.equal(parked[0]!.unpark(), true);
    await pending;
    assert.equal(reply!.pkt.getType(), expected);
    assert.equal(bed.hooks.parkedCount(), 0);
  });
}

test("leases4_committed PARK then drop: no reply; the query ends and nothing stays parked", async () => {
  takeParked();
  const bed = await server4(config4(), [parker("leases4_committed", "query4")]);
  const pending = exchange(bed, REQUEST());
  await tick();
  const [p] = takeParked();
  assert.equal(p!.drop(), true);
  assert.equal(await pending, null);
  assert.equal(bed.hooks.parkedCount(), 0);
  assert.equal(bed.stats.get("pkt4-ack-sent")!.value, 0);
});

test("parked-packet-limit: beyond it a query that would be parked is dropped and counted in pkt4-receive-drop", async () => {
  takeParked();
  const bed = await server4(config4(), [parker("leases4_committed", "query4")]);
  bed.hooks.setParkedPacketLimit(2);
  const drops = () => Number(bed.stats.get("pkt4-receive-drop")!.value);
  const before = drops();
  const pending = [1, 2, 3].map((i) => exchange(bed, REQUEST(i)));
  await tick();
  // The third found the lot full: dropped at once, never seen by the library.
  assert.equal(await pending[2], null);
  assert.equal(drops() - before, 1);
  assert.ok(
    bed.lines.some((l) =>
      /DHCP4_HOOK_PARKING_LOT_FULL .*limit 2 has been reached on hook leases4_committed/.test(l),
    ),
  );
  const parked = takeParked();
  assert.equal(parked.length, 2);
  for (const p of parked) p.unpark();
  const replies = await Promise.all(pending.slice(0, 2));
  assert.deepEqual(
    replies.map((r) => r?.pkt.getType()),
    [T.DHCPACK, T.DHCPACK],
  );
  // With room again, the client that was dropped retries and is parked as before.
  const next = exchange(bed, REQUEST(3));
  await tick();
  takeParked()[0]!.unpark();
  assert.equal((await next)!.pkt.getType(), T.DHCPACK);
  assert.equal(drops() - before, 1);
});

test("a parked query never unparked ends by its library's on-timeout: continue sends the reply", async () => {
  takeParked();
  const bed = await server4(config4(), [
    parker("leases4_committed", "query4", { "timeout-ms": 30, "on-timeout": "continue" }),
  ]);
  const r = await exchange(bed, REQUEST());
  assert.equal(r!.pkt.getType(), T.DHCPACK);
  assert.ok(
    bed.lines.some((l) =>
      /ERROR .*HOOKS_PARK_TIMEOUT query \[hwtype=1 02:00:00:00:00:01\], cid=\[no info\], tid=0x1234 parked on hook leases4_committed by library .*parker\.ts was not unparked within 30 ms \(query continues\)/.test(
        l,
      ),
    ),
  );
  const dropping = await server4(config4(), [
    parker("leases4_committed", "query4", { "timeout-ms": 30 }),
  ]);
  assert.equal(await exchange(dropping, REQUEST()), null);
  assert.ok(dropping.lines.some((l) => /HOOKS_PARK_TIMEOUT .*\(query dropped\)/.test(l)));
});

test("a throwing callout at a hook point is logged with the query's label and handled by on-error", async () => {
  const thrower = fileURLToPath(new URL("../../fixtures/hooks-park/thrower.ts", import.meta.url));
  const lib = (keys: JsonObject, hook = "pkt4_receive") => ({
    library: thrower,
    parameters: { hook },
    ...keys,
  });
  const dropping = await server4(config4(), [lib({})]);
  assert.equal(await exchange(dropping, query4(T.DHCPDISCOVER)), null);
  assert.ok(
    dropping.lines.some((l) =>
      /HOOKS_CALLOUT_EXCEPTION callout .* on hook pkt4_receive of library .*thrower\.ts threw: policy backend down \(query \[hwtype=1 02:00:00:00:00:01\], cid=\[no info\], tid=0x1234: query dropped\)/.test(
        l,
      ),
    ),
  );
  const open = await server4(config4(), [lib({ "on-error": "continue" })]);
  assert.equal((await exchange(open, query4(T.DHCPDISCOVER)))!.pkt.getType(), T.DHCPOFFER);
  assert.ok(
    open.lines.some((l) => /HOOKS_CALLOUT_EXCEPTION .*\(query .*: query continues\)/.test(l)),
  );
  // skip at subnet4_select: SKIP there means no subnet, so no offer.
  const skipping = await server4(config4(), [lib({ "on-error": "skip" }, "subnet4_select")]);
  assert.equal(await exchange(skipping, query4(T.DHCPDISCOVER)), null);
  assert.ok(
    skipping.lines.some((l) => /HOOKS_CALLOUT_EXCEPTION .*\(query .*: status SKIP\)/.test(l)),
  );
});

for (const [hook, type, expected] of [
  ["leases6_committed", M.DHCPV6_REQUEST, M.DHCPV6_REPLY],
  ["subnet6_select", M.DHCPV6_SOLICIT, M.DHCPV6_ADVERTISE],
] as const) {
  test(`${hook} PARK: the reply leaves only when the library unparks the query`, async () => {
    takeParked();
    const bed = await server6(config6(), [parker(hook, "query6")]);
    let done = false;
    const pending = exchange6(bed, query6(type)).then((r) => {
      done = true;
      return r;
    });
    await tick();
    assert.equal(done, false);
    const [p] = takeParked();
    assert.equal(p!.hook, hook);
    p!.unpark();
    assert.equal((await pending)!.pkt.getType(), expected);
  });
}

test("leases6_committed: parked-packet-limit drops the query over the limit and counts pkt6-receive-drop", async () => {
  takeParked();
  const bed = await server6(config6(), [parker("leases6_committed", "query6")]);
  bed.hooks.setParkedPacketLimit(1);
  const first = exchange6(bed, query6(M.DHCPV6_REQUEST, { xid: 1 }));
  await tick();
  assert.equal(await exchange6(bed, query6(M.DHCPV6_REQUEST, { xid: 2 })), null);
  assert.equal(bed.stats.get("pkt6-receive-drop")!.value, 1);
  takeParked()[0]!.unpark();
  assert.equal((await first)!.pkt.getType(), M.DHCPV6_REPLY);
});

test("a configuration file with a bad on-error, on-timeout or timeout-ms is refused with file, key and reason", () => {
  for (const [key, value] of [
    ["on-error", "retry"],
    ["on-timeout", 3],
    ["timeout-ms", -5],
  ] as const) {
    const text = config4({ "hooks-libraries": [{ library: PARKER, [key]: value }] });
    assert.throws(
      () => parseConfigText(text, 4, "kea-dhcp4.conf"),
      (e: unknown) =>
        e instanceof Error &&
        e.message.includes("kea-dhcp4.conf") &&
        e.message.includes(`Dhcp4.hooks-libraries[0].${key}`),
    );
  }
  const good = config4({
    "hooks-libraries": [
      { library: PARKER, "timeout-ms": 0, "on-error": "continue", "on-timeout": "skip" },
    ],
  });
  const { config } = parseConfigText(good, 4, "kea-dhcp4.conf");
  assert.equal(config["hooks-libraries"][0]!["on-error"], "continue");
});
