// DHCPv4-over-DHCPv6 (RFC 7341) end to end on loopback: nestor-dhcp6 and nestor-dhcp4 paired by
// dhcp4o6-port, a relay on ::1 sending DHCPV4-QUERY messages; the DHCPV4-RESPONSE comes back
// through the relay with the DHCPv4 server's OFFER and ACK, the lease on disk.
import { test } from "node:test";
import dgram from "node:dgram";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DHCPMessageType, DHO, D6O, DHCPv6MessageType } from "../../../src/dhcp/constants.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";
import { Pkt4o6 } from "../../../src/dhcp/pkt4o6.ts";
import { Pkt6, RelayInfo } from "../../../src/dhcp/pkt6.ts";
import { Dhcp4Server } from "../../../src/dhcp4/server.ts";
import { Dhcp6Server } from "../../../src/dhcp6/server.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { Relay6 } from "../../helpers/relay6.ts";
import { packIpc, unpackIpc } from "../../../src/dhcpsrv/iface/dhcp4o6-ipc.ts";
import { freePortPair } from "../../helpers/ipc-ports.ts";
import { startForRelay } from "../../helpers/relayed-start.ts";

const MAC = Buffer.from("0a0b0c0d0e0f", "hex");

const LIB4 = fileURLToPath(new URL("../../fixtures/dhcp4-hooks/set-status.ts", import.meta.url));
const LIB6 = fileURLToPath(new URL("../../fixtures/dhcp6-hooks/set-status.ts", import.meta.url));

function configs(
  dir: string,
  port: number,
  hooks: { v4?: object[]; v6?: object[] } = {},
): { v4: string; v6: string } {
  const v6 = join(dir, "kea-dhcp6.conf");
  writeFileSync(
    v6,
    JSON.stringify({
      Dhcp6: {
        "interfaces-config": { interfaces: ["lo"] },
        "data-directory": dir,
        "lease-database": { type: "memfile", name: join(dir, "leases6.csv"), "lfc-interval": 0 },
        "dhcp4o6-port": port,
        subnet6: [{ id: 1, subnet: "2001:db8:1::/64", "interface-id": "lo-test" }],
        "hooks-libraries": hooks.v6 ?? [],
        loggers: [
          { name: "kea-dhcp6", severity: process.env.DBG4O6 ? "DEBUG" : "WARN", debuglevel: 99 },
        ],
      },
    }),
  );
  const v4 = join(dir, "kea-dhcp4.conf");
  writeFileSync(
    v4,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: ["lo"], "dhcp-socket-type": "udp" },
        "lease-database": { type: "memfile", name: join(dir, "leases4.csv"), "lfc-interval": 0 },
        "dhcp4o6-port": port,
        "valid-lifetime": 4000,
        "hooks-libraries": hooks.v4 ?? [],
        subnet4: [
          // Not a 4o6 subnet: never selected for a forwarded query.
          { id: 1, subnet: "198.18.0.0/24", pools: [{ pool: "198.18.0.10 - 198.18.0.20" }] },
          {
            id: 2,
            subnet: "198.51.100.0/24",
            "4o6-interface-id": "lo-test",
            pools: [{ pool: "198.51.100.10 - 198.51.100.20" }],
            "option-data": [{ name: "routers", data: "198.51.100.1" }],
          },
        ],
        loggers: [
          { name: "kea-dhcp4", severity: process.env.DBG4O6 ? "DEBUG" : "WARN", debuglevel: 99 },
        ],
      },
    }),
  );
  return { v4, v6 };
}

let xid = 0x100;
function query(type: number, offer?: Pkt4): Pkt6 {
  const p4 = Pkt4.create(type, xid++);
  p4.setHWAddr(1, MAC);
  if (offer !== undefined) {
    // SELECTING: the offered address from the server that offered it.
    const requested = Buffer.from(offer.yiaddr.split(".").map(Number));
    p4.addOption(new Option(4, DHO.DHCP_REQUESTED_ADDRESS, requested));
    p4.addOption(offer.getOption(DHO.DHCP_SERVER_IDENTIFIER)!);
  }
  // The U flag (RFC 7341): the client would have sent the DHCPv4 message by unicast.
  const q = Pkt6.create(DHCPv6MessageType.DHCPV6_DHCPV4_QUERY, 0);
  q.addOption(new Option(6, 87, p4.pack()));
  return q;
}

function inner(r: Pkt6 | null): Pkt4 {
  assert.ok(r !== null, "a DHCPV4-RESPONSE came back");
  assert.equal(r.getType(), DHCPv6MessageType.DHCPV6_DHCPV4_RESPONSE);
  assert.equal(r.relayInfo.length, 1);
  assert.deepEqual(r.getRelayOption(D6O.INTERFACE_ID, 0)?.getData(), Buffer.from("lo-test"));
  const msg = r.getNonCopiedOption(87);
  assert.ok(msg !== undefined, "option 87 carries the DHCPv4 reply");
  return Pkt4.parse(msg.getData());
}

/** Both servers on the configurations of `configs`, a relay on ::1; all stopped after `body`. */
async function withPair(
  port: number,
  hooks: { v4?: object[]; v6?: object[] },
  body: (s: {
    server4: Dhcp4Server;
    server6: Dhcp6Server;
    relay: Relay6;
    dir: string;
  }) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "nestor-4o6-"));
  const { v4, v6 } = configs(dir, port, hooks);
  const relay = await Relay6.open();
  const logs6 = new LogManager("nestor-dhcp6");
  const server6 = await startForRelay(relay, () =>
    Dhcp6Server.start({ configFile: v6, serverPort: 0, logs: logs6 }),
  );
  const logs4 = new LogManager("nestor-dhcp4");
  let server4: Dhcp4Server | null = null;
  try {
    server4 = await Dhcp4Server.start({ configFile: v4, serverPort: 0, logs: logs4 });
    await body({ server4, server6, relay, dir });
  } finally {
    await server4?.stop();
    await server6.stop();
    relay.close();
  }
}

const ask = (relay: Relay6, server6: Dhcp6Server, q: Pkt6, ms = 5000) =>
  relay.ask(server6.port, q, "::", "lo-test", ms);

test("a relayed DHCPV4-QUERY gets the DHCPv4 server's OFFER, then ACK, through nestor-dhcp6", async () => {
  await withPair(await freePortPair(), {}, async ({ server4, server6, relay, dir }) => {
    const offer = inner(await ask(relay, server6, query(DHCPMessageType.DHCPDISCOVER)));
    assert.equal(offer.getType(), DHCPMessageType.DHCPOFFER);
    assert.match(offer.yiaddr, /^198\.51\.100\.(1\d|20)$/);
    assert.deepEqual(offer.getOption(DHO.ROUTERS)?.getData(), Buffer.from([198, 51, 100, 1]));
    assert.deepEqual(
      offer.getOption(DHO.DHCP_SERVER_IDENTIFIER)?.getData(),
      Buffer.from([127, 0, 0, 1]),
    );

    const ack = inner(await ask(relay, server6, query(DHCPMessageType.DHCPREQUEST, offer)));
    assert.equal(ack.getType(), DHCPMessageType.DHCPACK);
    assert.equal(ack.yiaddr, offer.yiaddr);
    // On disk before the ACK left.
    const rows = readFileSync(join(dir, "leases4.csv"), "utf8");
    assert.match(
      rows,
      new RegExp(`^${offer.yiaddr.replaceAll(".", "\\.")},0a:0b:0c:0d:0e:0f,.*,2,`, "m"),
    );

    const v6stat = (n: string) => server6.stats.get(n)?.value;
    const v4stat = (n: string) => server4.stats.get(n)?.value;
    assert.equal(v6stat("pkt6-dhcpv4-query-received"), 2);
    assert.equal(v6stat("pkt6-dhcpv4-response-sent"), 2);
    assert.equal(v6stat("pkt6-sent"), 2);
    assert.equal(v4stat("pkt4-discover-received"), 1);
    assert.equal(v4stat("pkt4-offer-sent"), 1);
    assert.equal(v4stat("pkt4-ack-sent"), 1);
    assert.equal(v4stat("subnet[2].assigned-addresses"), 1);
    // config-get: the keys as written.
    assert.equal(server4.configuration["dhcp4o6-port"], server6.configuration["dhcp4o6-port"]);
    assert.equal(server4.configuration.subnet4[1]!["4o6-interface-id"], "lo-test");
  });
});

test("with dhcp4o6-port 0 a DHCPV4-QUERY is counted and not answered", async () => {
  await withPair(0, {}, async ({ server4, server6, relay }) => {
    assert.equal(await ask(relay, server6, query(DHCPMessageType.DHCPDISCOVER), 500), null);
    assert.equal(server6.stats.get("pkt6-dhcpv4-query-received")?.value, 1);
    assert.equal(server6.stats.get("pkt6-dhcpv4-response-sent")?.value ?? 0, 0);
    assert.equal(server4.stats.get("pkt4-received")?.value ?? 0, 0);
  });
});

test("hook libraries see Pkt4o6 as query4 and response4, and the DHCPV4-RESPONSE in buffer6_send", async () => {
  const g = globalThis as {
    nestorSeen?: Record<string, unknown>[];
    nestorSeen6?: Record<string, unknown>[];
  };
  g.nestorSeen = [];
  g.nestorSeen6 = [];
  const hooks = {
    v4: [
      { library: LIB4, parameters: { hook: "pkt4_receive", status: 0 } },
      { library: LIB4, parameters: { hook: "pkt4_send", status: 0 } },
    ],
    v6: [{ library: LIB6, parameters: { hook: "buffer6_send", status: 0 } }],
  };
  await withPair(await freePortPair(), hooks, async ({ server6, relay }) => {
    const r = await ask(relay, server6, query(DHCPMessageType.DHCPDISCOVER));
    assert.equal(inner(r).getType(), DHCPMessageType.DHCPOFFER);
    const q = g.nestorSeen?.[0]?.["query4"];
    assert.ok(q instanceof Pkt4o6, "query4 is a Pkt4o6");
    assert.equal(q.isDhcp4o6(), true);
    assert.equal(q.getType(), DHCPMessageType.DHCPDISCOVER);
    assert.equal(q.getPkt6().getType(), DHCPv6MessageType.DHCPV6_DHCPV4_QUERY);
    assert.equal(q.getPkt6().relayInfo.length, 1);
    assert.equal(q.getPkt6().remoteAddr, "::1");
    // The response is a Pkt4o6 too; its DHCPv6 part is the DHCPV4-RESPONSE.
    const resp = g.nestorSeen?.[1]?.["response4"];
    assert.ok(resp instanceof Pkt4o6, "response4 is a Pkt4o6");
    assert.equal(resp.getType(), DHCPMessageType.DHCPOFFER);
    assert.equal(resp.getPkt6().getType(), DHCPv6MessageType.DHCPV6_DHCPV4_RESPONSE);
    assert.equal(resp.getPkt6().relayInfo[0]?.msgType, DHCPv6MessageType.DHCPV6_RELAY_REPL);
    const sent = (g.nestorSeen6 ?? []).map((s) => s["response6"] as Pkt6);
    assert.deepEqual(
      sent.map((p) => p.getType()),
      [DHCPv6MessageType.DHCPV6_DHCPV4_RESPONSE],
    );
    assert.equal(sent[0]!.remotePort, relay.port, "to the relay's source port (relay-source-port)");
  });
});

test("buffer6_send DROP: the DHCPV4-RESPONSE is not sent, nor counted", async () => {
  const hooks = { v6: [{ library: LIB6, parameters: { hook: "buffer6_send", status: 2 } }] };
  await withPair(await freePortPair(), hooks, async ({ server4, server6, relay }) => {
    assert.equal(await ask(relay, server6, query(DHCPMessageType.DHCPDISCOVER), 2000), null);
    assert.equal(server4.stats.get("pkt4-offer-sent")?.value, 1, "the DHCPv4 server answered");
    assert.equal(server6.stats.get("pkt6-dhcpv4-response-sent")?.value ?? 0, 0);
  });
});

test("a reload moves the IPC to a new dhcp4o6-port, and 0 turns it off", async () => {
  const first = await freePortPair();
  await withPair(first, {}, async ({ server4, server6, relay, dir }) => {
    const second = await freePortPair();
    configs(dir, second);
    await server6.reload();
    await server4.reload();
    const offer = inner(await ask(relay, server6, query(DHCPMessageType.DHCPDISCOVER)));
    assert.equal(offer.getType(), DHCPMessageType.DHCPOFFER);
    // The first ports are free again.
    const s = dgram.createSocket("udp6");
    await new Promise<void>((res, rej) => {
      s.once("error", rej);
      s.bind(first, "::1", () => res());
    });
    s.close();
    configs(dir, 0);
    await server6.reload();
    await server4.reload();
    assert.equal(server6.dhcp4o6.open || server4.dhcp4o6.open, false);
    assert.equal(await ask(relay, server6, query(DHCPMessageType.DHCPDISCOVER), 500), null);
  });
});

test("the reply leaves as packed: pkt4_send's edits are in it, buffer4_send's are not (Kea)", async () => {
  const hooks = {
    v4: [
      { library: LIB4, parameters: { hook: "pkt4_send", status: 0, action: "edit-routers" } },
      { library: LIB4, parameters: { hook: "buffer4_send", status: 0, action: "zero-yiaddr" } },
    ],
  };
  const g = globalThis as { nestorTrace?: string[] };
  g.nestorTrace = [];
  await withPair(await freePortPair(), hooks, async ({ server6, relay }) => {
    const offer = inner(await ask(relay, server6, query(DHCPMessageType.DHCPDISCOVER)));
    assert.deepEqual(g.nestorTrace, [
      "pkt4_send query4,response4,subnet4",
      "buffer4_send response4",
    ]);
    assert.deepEqual(offer.getOption(DHO.ROUTERS)?.getData(), Buffer.from([203, 0, 113, 1]));
    assert.match(offer.yiaddr, /^198\.51\.100\./);
  });
});

test("the IPC hears only its peer's port; a malformed message is dropped and counted", async () => {
  const port = await freePortPair();
  const dir = mkdtempSync(join(tmpdir(), "nestor-4o6-"));
  const { v4, v6 } = configs(dir, port);
  const bound = async (p: number) => {
    const sock = dgram.createSocket("udp6");
    await new Promise<void>((res) => sock.bind(p, "::1", () => res()));
    return sock;
  };
  const counted = async (get: () => unknown, n: number) => {
    for (let i = 0; i < 200 && get() !== n; i++) await new Promise((r) => setTimeout(r, 10));
    return get();
  };
  // nestor-dhcp4 alone, its peer played here from [::1]:port.
  const server4 = await Dhcp4Server.start({
    configFile: v4,
    serverPort: 0,
    logs: new LogManager("nestor-dhcp4"),
  });
  const peer6 = await bound(port);
  const stranger = await bound(0);
  try {
    const bare = Pkt6.create(DHCPv6MessageType.DHCPV6_DHCPV4_QUERY, 1).pack();
    await new Promise((res) => stranger.send(bare, port + 1, "::1", res));
    await new Promise((res) => peer6.send(bare, port + 1, "::1", res));
    const stat4 = () => server4.stats.get("pkt4-dhcp4o6-malformed")?.value;
    assert.equal(await counted(stat4, 1), 1, "the peer's message counted, not the stranger's");
    // A well-formed forwarded query, built here: the DHCPV4-RESPONSE comes back to the peer.
    const q = query(DHCPMessageType.DHCPDISCOVER);
    const relay = new RelayInfo(DHCPv6MessageType.DHCPV6_RELAY_FORW, 0, "2001:db8:1::1", "fe80::2");
    relay.options.push(new Option(6, D6O.INTERFACE_ID, Buffer.from("lo-test")));
    q.addRelayInfo(relay);
    q.iface = "lo";
    q.remoteAddr = "2001:db8:1::99";
    q.remotePort = 547;
    const answered = new Promise<Buffer | null>((res) => {
      const timer = setTimeout(() => res(null), 5000);
      peer6.once("message", (m: Buffer) => {
        clearTimeout(timer);
        res(m);
      });
    });
    peer6.send(packIpc(q), port + 1, "::1");
    const got = await answered;
    assert.ok(got !== null, "a DHCPV4-RESPONSE came back to the peer");
    const r = unpackIpc(got, () => 1);
    assert.equal(r.getType(), DHCPv6MessageType.DHCPV6_DHCPV4_RESPONSE);
    assert.equal(r.remoteAddr, "2001:db8:1::99");
    assert.equal(r.remotePort, 547);
    assert.equal(r.relayInfo[0]?.msgType, DHCPv6MessageType.DHCPV6_RELAY_REPL);
    // Read after both garbage datagrams: the stranger's was never heard.
    assert.equal(stat4(), 1);
    assert.equal(
      Pkt4.parse(r.getNonCopiedOption(87)!.getData()).getType(),
      DHCPMessageType.DHCPOFFER,
    );
  } finally {
    peer6.close();
    stranger.close();
    await server4.stop();
  }
  // nestor-dhcp6 alone, its peer played here from [::1]:port + 1.
  const server6 = await Dhcp6Server.start({
    configFile: v6,
    serverPort: 0,
    logs: new LogManager("nestor-dhcp6"),
  });
  const peer4 = await bound(port + 1);
  try {
    await new Promise((res) => peer4.send(Buffer.from([21, 0]), port, "::1", res));
    const stat6 = () => server6.stats.get("pkt6-dhcp4o6-malformed")?.value;
    assert.equal(await counted(stat6, 1), 1);
  } finally {
    peer4.close();
    await server6.stop();
  }
});
