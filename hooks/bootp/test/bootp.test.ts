/**
 * The bootp library in a DHCPv4 server (nestor/testing: the server's query processing, in
 * process, with an in-memory lease store): BOOTP requests built byte by byte go in, replies are
 * taken apart on the wire.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { DHCPMessageType as T, DHCPv6MessageType as M, type Pkt4 } from "nestor/dhcp";
import type { JsonObject } from "nestor/hooks";
import { TestServer4, TestServer6, query4 as kitQuery4, solicit } from "nestor/testing";
import { bootpRequest, ipBytes, option, optionCodes, parseWire, type WireReply } from "./wire.ts";
import type { Seen } from "./fixtures/record.ts";

const SERVER_ADDR = "198.51.100.1";
type Server4Bed = TestServer4;

/** A Dhcp4 body: one subnet 198.51.100.0/24 with a small pool; `extra` and `subnet` merged in. */
function config4(extra: object = {}, subnet: object = {}): JsonObject {
  return {
    "valid-lifetime": 4000,
    "renew-timer": 1000,
    "rebind-timer": 2000,
    subnet4: [
      {
        id: 1,
        subnet: "198.51.100.0/24",
        pools: [{ pool: "198.51.100.10 - 198.51.100.12" }],
        "option-data": [{ name: "routers", data: "198.51.100.1" }],
        ...subnet,
      },
    ],
    ...extra,
  } as JsonObject;
}

const query4 = (type: number, fields: Parameters<typeof kitQuery4>[1]): Pkt4 =>
  kitQuery4(type, { xid: 0x1234, ...fields });

/** One query through the server: the reply's bytes, where it goes, and the parsed packet. */
async function exchange(b: TestServer4, data: Uint8Array | Pkt4, from?: string, to?: string) {
  const arrival = { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
  const r = await b.exchange(data, arrival);
  return r === null
    ? null
    : { reply: { data: r.wire, address: r.address, port: r.port }, pkt: r.pkt };
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const BOOTP = here("../index.ts");
const RECORD = here("./fixtures/record.ts");
const PACK_FIRST = here("./fixtures/pack-first.ts");
const UNPACK_FIRST = here("./fixtures/unpack-first.ts");
const INFINITY = 0xffffffff;
const DHCP_SPECIFIC = [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61];

function recorded(): Seen[] {
  const g = globalThis as Record<symbol, Seen[] | undefined>;
  return (g[Symbol.for("bootp-test.record")] ??= []);
}

async function bed(libraries: string[] = [BOOTP, RECORD], extra = {}, subnet = {}) {
  recorded().length = 0;
  return TestServer4.start({
    config: config4(
      { "option-data": [{ name: "domain-name-servers", data: "198.51.100.53" }], ...extra },
      subnet,
    ),
    libraries: libraries.map((library) => ({ library })),
  });
}

async function ask(b: Server4Bed, data: Buffer): Promise<{ raw: Buffer; wire: WireReply } | null> {
  const r = await exchange(b, data);
  return r === null ? null : { raw: r.reply.data, wire: parseWire(r.reply.data) };
}

function stat(b: Server4Bed, name: string): unknown {
  return b.statistic(name) ?? 0;
}

test("a BOOTP request gets a 300-octet BOOTREPLY with an address, no DHCP options, and an infinite lease", async () => {
  const b = await bed();
  const query = bootpRequest({ xid: 0x01020304, mac: "02:00:00:00:b0:01", secs: 3 });
  const r = await ask(b, query);
  assert.ok(r, "no reply");
  const w = r.wire;
  assert.equal(w.length, 300);
  assert.equal(w.op, 2);
  assert.equal(w.xid, 0x01020304);
  assert.equal(w.htype, 1);
  assert.equal(w.hlen, 6);
  assert.equal(w.chaddr, "02000000b001" + "00".repeat(10));
  assert.equal(w.yiaddr, "198.51.100.10");
  assert.equal(w.cookie, 0x63825363);
  for (const code of DHCP_SPECIFIC) {
    assert.equal(option(w, code), undefined, `option ${code} must not be in a BOOTP reply`);
  }
  // The vendor extensions a BOOTP client can use: mask, routers, name servers, in Kea's order.
  assert.deepEqual(optionCodes(w), [1, 3, 6]);
  assert.deepEqual([...option(w, 1)!], [255, 255, 255, 0]);
  assert.deepEqual([...option(w, 3)!], ipBytes("198.51.100.1"));
  assert.ok(w.padding.length > 0 && w.padding.every((x) => x === 0), "zero padding after END");
  assert.equal(r.raw[300 - w.padding.length - 1], 255, "END right before the padding");

  const lease = b.leases.getLease4("198.51.100.10");
  assert.ok(lease, "the lease is stored");
  assert.equal(lease.validLifetime, INFINITY);
  assert.equal(lease.hwaddr?.toText(false), "02:00:00:00:b0:01");
  assert.equal(lease.clientId, null);
  assert.equal(lease.isExpired(lease.cltt + 10 * 365 * 86400), false);

  // The server saw a DHCPREQUEST in class BOOTP, and answered in class BOOTP.
  const seen = recorded();
  assert.deepEqual(seen[0], { hook: "pkt4_receive", type: T.DHCPREQUEST, classes: ["BOOTP"] });
  assert.equal(seen[1]!.hook, "leases4_committed");
  assert.ok(seen[1]!.classes.includes("BOOTP"));
  // Counted as a REQUEST received; sent without a message type, so only in pkt4-sent (as Kea,
  // which counts sent packets by type after pkt4_send).
  assert.equal(stat(b, "pkt4-request-received"), 1);
  assert.equal(stat(b, "pkt4-sent"), 1);
  assert.equal(stat(b, "pkt4-ack-sent"), 0);
});

test("the same BOOTP client asking again keeps its address, still for ever", async () => {
  const b = await bed();
  const first = await ask(b, bootpRequest({ mac: "02:00:00:00:b0:02" }));
  const other = await ask(b, bootpRequest({ mac: "02:00:00:00:b0:03" }));
  const again = await ask(b, bootpRequest({ mac: "02:00:00:00:b0:02", xid: 7 }));
  assert.equal(first?.wire.yiaddr, "198.51.100.10");
  assert.equal(other?.wire.yiaddr, "198.51.100.11");
  assert.equal(again?.wire.yiaddr, "198.51.100.10");
  assert.equal(b.leases.getLease4("198.51.100.10")?.validLifetime, INFINITY);
});

test("a BOOTP client with a reservation by hardware address gets the reserved address and fields", async () => {
  const b = await bed(
    [BOOTP],
    {},
    {
      reservations: [
        {
          "hw-address": "02:00:00:00:b0:04",
          "ip-address": "198.51.100.40",
          "next-server": "198.51.100.2",
          "boot-file-name": "pxelinux.0",
        },
      ],
    },
  );
  const r = await ask(b, bootpRequest({ mac: "02:00:00:00:b0:04" }));
  assert.equal(r?.wire.yiaddr, "198.51.100.40");
  assert.equal(r?.wire.siaddr, "198.51.100.2");
  assert.equal(r?.wire.file, "pxelinux.0");
  assert.equal(r?.wire.length, 300);
  assert.equal(b.leases.getLease4("198.51.100.40")?.validLifetime, INFINITY);
});

test("a relayed BOOTP request is answered through the relay with giaddr and hops kept", async () => {
  const b = await bed();
  const r = await exchange(
    b,
    bootpRequest({ mac: "02:00:00:00:b0:05", giaddr: "198.51.100.254", hops: 1 }),
    "198.51.100.254",
    SERVER_ADDR,
  );
  assert.ok(r);
  assert.equal(r.reply.address, "198.51.100.254");
  assert.equal(r.reply.port, 67);
  const w = parseWire(r.reply.data);
  assert.equal(w.giaddr, "198.51.100.254");
  assert.equal(w.hops, 1);
  assert.equal(w.length, 300);
});

test("DHCP queries are left alone: DORA gets DHCP options and a finite lease", async () => {
  const b = await bed();
  const offer = await exchange(b, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:d0:01" }));
  assert.ok(offer);
  assert.equal(offer.pkt.getType(), T.DHCPOFFER);
  const ack = await exchange(
    b,
    query4(T.DHCPREQUEST, {
      mac: "02:00:00:00:d0:01",
      requested: offer.pkt.yiaddr,
      serverId: SERVER_ADDR,
    }),
  );
  assert.ok(ack);
  assert.equal(ack.pkt.getType(), T.DHCPACK);
  const w = parseWire(ack.reply.data);
  assert.ok(w.length < 300, `a DHCP reply is not padded (${w.length} octets)`);
  assert.equal(option(w, 53)?.[0], T.DHCPACK);
  assert.deepEqual([...option(w, 54)!], ipBytes(SERVER_ADDR));
  assert.equal(option(w, 51)?.readUInt32BE(0), 4000);
  assert.equal(b.leases.getLease4(ack.pkt.yiaddr)?.validLifetime, 4000);
  assert.ok(recorded().every((s) => !s.classes.includes("BOOTP")));
});

test("a DHCP-specific option sent by a BOOTP client does not come back", async () => {
  const b = await bed();
  const r = await ask(
    b,
    bootpRequest({
      mac: "02:00:00:00:b0:06",
      options: [
        [61, Buffer.from([1, 2, 0, 0, 0, 0xb0, 6])],
        [12, Buffer.from("bootp-host")],
      ],
    }),
  );
  assert.ok(r);
  assert.equal(option(r.wire, 61), undefined, "client identifier not echoed to a BOOTP client");
  assert.equal(r.wire.length, 300);
});

test("a library that packed the response first (SKIP on pkt4_send) makes bootp drop it, logged", async () => {
  const b = await bed([PACK_FIRST, BOOTP]);
  const r = await exchange(b, bootpRequest({ mac: "02:00:00:00:b0:07" }));
  assert.equal(r, null, "no reply");
  assert.ok(
    b.logLines.some((l) =>
      /HOOKS_CALLOUT_EXCEPTION.*pkt4_send.*the packet pack already handled/.test(l),
    ),
    b.logLines.join("\n"),
  );
  // DHCP replies are not bootp's business: packed by the other library, sent as they are.
  const offer = await exchange(b, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:d0:02" }));
  assert.equal(offer?.pkt.getType(), T.DHCPOFFER);
});

test("a library that parsed the query first (SKIP on buffer4_receive) does not stop the classification", async () => {
  const b = await bed([UNPACK_FIRST, BOOTP, RECORD]);
  const r = await ask(b, bootpRequest({ mac: "02:00:00:00:b0:08" }));
  assert.equal(r?.wire.length, 300);
  assert.deepEqual(recorded()[0]?.classes, ["BOOTP"]);
  const g = globalThis as Record<symbol, number | undefined>;
  assert.ok((g[Symbol.for("bootp-test.unpacked")] ?? 0) >= 1);
});

test("a malformed query is dropped by the library and counted as a parse failure", async () => {
  const b = await bed();
  const badCookie = bootpRequest();
  badCookie[236] = 0x64; // not the magic cookie
  assert.equal(await exchange(b, badCookie), null);
  const short = Buffer.alloc(100, 1);
  assert.equal(await exchange(b, short), null);
  // Option 53 must be one octet: refused, BOOTP or not.
  const badType = bootpRequest({ options: [[53, Buffer.from([3, 3])]] });
  assert.equal(await exchange(b, badType), null);
  assert.equal(stat(b, "pkt4-parse-failed"), 3);
  assert.equal(stat(b, "pkt4-receive-drop"), 3);
  assert.ok(
    b.logLines.some((l) => l.includes("BOOTP_PACKET_UNPACK_FAILED")),
    b.logLines.join("\n"),
  );
  // The server still answers the next one.
  assert.equal((await ask(b, bootpRequest()))?.wire.length, 300);
});

test("a BOOTP request with bytes after END or a truncated last option is read as Kea reads it", async () => {
  const b = await bed();
  // An uninitialised vendor area: END, then garbage.
  const garbage = bootpRequest({ mac: "02:00:00:00:b3:01", options: [[12, Buffer.from("h1")]] });
  garbage.fill(0x5a, 245);
  const r1 = await ask(b, garbage);
  assert.equal(r1?.wire.length, 300);
  assert.equal(r1?.wire.yiaddr, "198.51.100.10");
  // The last option runs past the end: the options before it are kept.
  const truncated = bootpRequest({
    mac: "02:00:00:00:b3:02",
    options: [
      [12, Buffer.from("h2")],
      [15, Buffer.from("x")],
    ],
  });
  truncated[245] = 250; // option 15's length
  const r2 = await ask(b, truncated);
  assert.equal(r2?.wire.yiaddr, "198.51.100.11");
  assert.equal(stat(b, "pkt4-parse-failed"), 0);
  assert.equal(
    b.logLines.filter((l) => l.includes("BOOTP_PACKET_OPTIONS_SKIPPED")).length,
    2,
    b.logLines.join("\n"),
  );
  assert.ok(recorded().every((s) => s.hook !== "pkt4_receive" || s.classes.includes("BOOTP")));
});

test("a DHCP query with bytes after END is still refused (Nestor's rule for DHCP)", async () => {
  const b = await bed();
  const q = query4(T.DHCPDISCOVER, { mac: "02:00:00:00:d3:01" });
  const padded = Buffer.alloc(300);
  q.pack().copy(padded);
  padded[299] = 0x5a;
  assert.equal(await exchange(b, padded), null);
  assert.equal(stat(b, "pkt4-parse-failed"), 1);
});

test("a BOOTREPLY without a message type is not a BOOTP query: the server drops it", async () => {
  const b = await bed();
  assert.equal(await exchange(b, bootpRequest({ op: 2 })), null);
  assert.equal(recorded().length, 0);
  assert.equal(stat(b, "pkt4-receive-drop"), 1);
});

test("an RFC 951 request (236 octets, no vendor extensions) is refused and counted, as Kea's library does", async () => {
  const b = await bed();
  assert.equal(await exchange(b, bootpRequest().subarray(0, 236)), null);
  assert.equal(stat(b, "pkt4-parse-failed"), 1);
  assert.equal(stat(b, "pkt4-receive-drop"), 1);
  assert.ok(b.logLines.some((l) => l.includes("without vendor information extensions")));
});

test("with the pool exhausted a BOOTP client gets a BOOTREPLY without an address (Kea's NAK, stripped)", async () => {
  const b = await bed();
  for (const n of [1, 2, 3]) await ask(b, bootpRequest({ mac: `02:00:00:00:b1:0${n}` }));
  const sent = await exchange(b, bootpRequest({ mac: "02:00:00:00:b1:09" }));
  assert.ok(sent);
  // Broadcast, as a NAK is, though its message type is gone.
  assert.equal(sent.reply.address, "255.255.255.255");
  const r = { wire: parseWire(sent.reply.data) };
  assert.equal(r.wire.op, 2);
  assert.equal(r.wire.yiaddr, "0.0.0.0");
  assert.equal(r.wire.length, 300);
  assert.deepEqual(optionCodes(r.wire), []);
  assert.equal(stat(b, "pkt4-sent"), 4);
  // Counted as an allocation failure, as Kea counts it.
  assert.equal(stat(b, "v4-allocation-fail"), 1);
  assert.equal(stat(b, "subnet[1].v4-allocation-fail-classes"), 1);
});

test("the library loads under Kea's file name and logs as Kea's does", async () => {
  const b = await TestServer4.start({
    config: config4(),
    libraries: [{ library: "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_bootp.so" }],
  });
  assert.ok(b.logLines.some((l) => l.includes("BOOTP_LOAD Bootp hooks library has been loaded")));
  assert.ok(b.logLines.some((l) => /nestor-dhcp4\.bootp-hooks/.test(l)));
  for (const hook of ["buffer4_receive", "pkt4_send"]) {
    assert.ok(
      b.logLines.some((l) => l.includes("HOOKS_STD_CALLOUT_REGISTERED") && l.includes(hook)),
    );
  }
  assert.equal((await ask(b, bootpRequest()))?.wire.length, 300);
  assert.ok(b.logLines.some((l) => l.includes("BOOTP_BOOTP_QUERY recognized a BOOTP query")));
  await b.close();
  assert.ok(b.logLines.some((l) => l.includes("BOOTP_UNLOAD")));
});

test("Kea's ARM example: BOOTP clients get the pool guarded by BOOTP, DHCP clients the other", async () => {
  const b = await bed(
    [BOOTP, RECORD],
    { "client-classes": [{ name: "DHCP", test: "not member('BOOTP')" }] },
    {
      pools: [
        { pool: "198.51.100.200 - 198.51.100.201", "client-class": "BOOTP" },
        { pool: "198.51.100.10 - 198.51.100.12", "client-class": "DHCP" },
      ],
    },
  );
  const first = await ask(b, bootpRequest({ mac: "02:00:00:00:b2:01" }));
  assert.equal(first?.wire.yiaddr, "198.51.100.200");
  assert.equal(recorded()[0]?.classes.includes("DHCP"), false);
  const offer = await exchange(b, query4(T.DHCPDISCOVER, { mac: "02:00:00:00:d2:01" }));
  assert.equal(offer?.pkt.yiaddr, "198.51.100.10");
  const second = await ask(b, bootpRequest({ mac: "02:00:00:00:b2:02" }));
  assert.equal(second?.wire.yiaddr, "198.51.100.201");
  // The BOOTP pool is full: the next BOOTP client gets no address, though the DHCP pool has some.
  const third = await ask(b, bootpRequest({ mac: "02:00:00:00:b2:03" }));
  assert.equal(third?.wire.yiaddr, "0.0.0.0");
  assert.equal(b.leases.getLease4("198.51.100.11"), null);
  // A DHCP client cannot have a BOOTP address.
  const nak = await exchange(
    b,
    query4(T.DHCPREQUEST, {
      mac: "02:00:00:00:d2:02",
      requested: "198.51.100.201",
      serverId: SERVER_ADDR,
    }),
  );
  assert.equal(nak?.pkt.getType(), T.DHCPNAK);
});

test("a query another library dropped is left alone: not parsed, not counted; a dropped response is not packed", async () => {
  const b = await bed([here("./fixtures/drop-first.ts"), BOOTP, RECORD]);
  const bad = bootpRequest({ xid: 0xd0d0d0d0, options: [[12, Buffer.from("host")]] });
  bad[241] = 200; // would be a parse failure, were it parsed
  assert.equal(await exchange(b, bad), null);
  assert.equal(stat(b, "pkt4-parse-failed"), 0);
  assert.ok(!b.logLines.some((l) => l.includes("BOOTP_PACKET_UNPACK_FAILED")));
  assert.equal(await exchange(b, bootpRequest({ xid: 0xd1d1d1d1 })), null);
  assert.ok(!b.logLines.some((l) => l.includes("BOOTP_PACKET_PACK ")), "bootp did not pack it");
  assert.equal(recorded().length, 2, "the second query was processed up to pkt4_send");
});

test("the reply's options are in Kea's order, by code, whatever order the server added them in", async () => {
  const b = await bed([BOOTP], {
    "option-data": [
      { name: "domain-name-servers", data: "198.51.100.53" },
      { name: "ntp-servers", data: "198.51.100.123" },
    ],
  });
  // Asked for: NTP servers (42), then the name servers (6); routers (3) come unasked.
  const r = await ask(b, bootpRequest({ options: [[55, Buffer.from([42, 6])]] }));
  assert.deepEqual(optionCodes(r!.wire), [1, 3, 6, 42]);
});

test("loaded by nestor-dhcp6 (a configuration mistake), the library does nothing", async () => {
  const b = await TestServer6.start({
    config: {
      subnet6: [
        { id: 1, subnet: "2001:db8:1::/64", pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::12" }] },
      ],
    },
    libraries: [{ library: BOOTP }],
  });
  assert.ok(b.logLines.some((l) => l.includes("BOOTP_LOAD")));
  assert.ok(
    !b.logLines.some((l) => l.includes("HOOKS_STD_CALLOUT_REGISTERED")),
    b.logLines.join("\n"),
  );
  const r = await b.query(solicit(), { iface: "eth0" });
  assert.equal(r?.getType(), M.DHCPV6_ADVERTISE);
});
