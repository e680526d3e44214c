import assert from "node:assert/strict";
import { after, test } from "node:test";

import {
  IfaceManager,
  type IfaceManagerOptions,
} from "../../../../src/dhcpsrv/iface/iface-manager.ts";
import type { NetInterface } from "../../../../src/dhcpsrv/iface/interfaces.ts";
import { NativePacketSocket } from "../../../../src/dhcpsrv/iface/native-socket.ts";
import type { PacketSocket } from "../../../../src/dhcpsrv/iface/packet-socket.ts";
import { LogManager } from "../../../../src/log/logger.ts";
import { ConfigError } from "../../../../src/util/errors.ts";
import { collect, requireNative, settle, rmemMax as rmemMaxNow } from "./helpers.ts";

const managers: IfaceManager[] = [];
const sockets: PacketSocket[] = [];
after(() => {
  for (const m of managers) m.close();
  for (const s of sockets) s.close();
});

function quietLogger(lines: string[] = []) {
  const logs = new LogManager("test");
  logs.configure([
    { name: "test", severity: "DEBUG", debuglevel: 99, outputs: [(l) => lines.push(l)] },
  ]);
  return logs.getLogger("dhcpsrv");
}

function manager(options: Partial<IfaceManagerOptions> = {}, lines: string[] = []): IfaceManager {
  const m = new IfaceManager({ family: 4, port: 0, logger: quietLogger(lines), ...options });
  managers.push(m);
  return m;
}

async function client(family: 4 | 6 = 4): Promise<NativePacketSocket> {
  const s = new NativePacketSocket(family, requireNative());
  sockets.push(s);
  await s.open({ address: family === 4 ? "0.0.0.0" : "::", port: 0 });
  return s;
}

/** A fake machine: lo as it is, plus interfaces that only exist on paper. */
function fakeInterfaces(): NetInterface[] {
  const lo = requireNative()
    .interfaces()
    .find((i) => i.name === "lo");
  assert.ok(lo !== undefined);
  return [
    { ...lo },
    {
      name: "paper0",
      index: 100_000,
      up: true,
      loopback: false,
      broadcast: true,
      multicast: true,
      mac: "02:00:00:00:00:01",
      addresses: [{ family: 4, address: "198.51.100.1", prefixlen: 24 }],
    },
    {
      name: "paper1",
      index: 100_001,
      up: false,
      loopback: false,
      broadcast: true,
      multicast: true,
      mac: "02:00:00:00:00:02",
      addresses: [],
    },
  ];
}

test("a packet on a served interface arrives with that interface's index and name", async () => {
  const m = manager();
  await m.open({ interfaces: ["lo"] });
  assert.equal(m.kind, "native");
  assert.deepEqual(
    m.interfaces().map((i) => i.name),
    ["lo"],
  );
  const got = collect((h) => m.onBatch(h), 3);
  const c = await client();
  c.sendBatch(
    [1, 2, 3].map((i) => ({ data: Buffer.from([i]), dstAddr: "127.0.0.1", dstPort: m.port })),
  );
  const { packets } = await got;
  for (const p of packets) {
    assert.equal(p.ifname, "lo");
    assert.equal(p.ifindex, requireNative().nameToIndex("lo"));
    assert.equal(p.dstAddr, "127.0.0.1");
  }
});

test("a reply leaves through the arrival interface's socket and reaches the client", async () => {
  const m = manager();
  await m.open({ interfaces: ["lo"] });
  const c = await client();
  const request = collect((h) => m.onBatch(h), 1);
  c.send({ data: Buffer.from("discover"), dstAddr: "127.0.0.1", dstPort: m.port });
  const [p] = (await request).packets;
  const reply = collect((h) => c.onBatch(h), 1);
  assert.equal(
    m.sendBatch([
      { data: Buffer.from("offer"), dstAddr: p.srcAddr, dstPort: p.srcPort, ifindex: p.ifindex },
    ]),
    null,
  );
  const [r] = (await reply).packets;
  assert.equal(r.data.toString(), "offer");
  assert.equal(r.srcPort, m.port);
});

test("with one shared socket, packets from an unserved interface are dropped and counted", async () => {
  const lines: string[] = [];
  const m = manager({ bindToDevice: false, listInterfaces: fakeInterfaces }, lines);
  await m.open({ interfaces: ["paper0"] });
  assert.equal(m.socketPerInterface, false);
  let delivered = 0;
  m.onBatch((packets) => (delivered += packets.length));
  const c = await client();
  c.send({ data: Buffer.from("x"), dstAddr: "127.0.0.1", dstPort: m.port });
  await settle();
  assert.equal(delivered, 0);
  assert.equal(m.dropped, 1);
  assert.ok(lines.some((l) => l.includes("DHCPSRV_IFACE_DROP_UNSERVED")));
});

test("iface/address serves only that address: unicast to another address of the interface is dropped", async () => {
  const m = manager();
  await m.open({ interfaces: ["lo/127.0.0.1"] });
  const got: string[] = [];
  m.onBatch((packets) => got.push(...packets.map((p) => p.dstAddr)));
  const c = await client();
  c.send({ data: Buffer.from("x"), dstAddr: "127.0.0.2", dstPort: m.port });
  c.send({ data: Buffer.from("y"), dstAddr: "127.0.0.1", dstPort: m.port });
  await settle();
  assert.deepEqual(got, ["127.0.0.1"]);
  assert.equal(m.dropped, 1);
});

test("iface/address is the source of replies sent without one", async () => {
  const m = manager();
  await m.open({ interfaces: ["lo/127.0.0.1"] });
  const c = await client();
  const reply = collect((h) => c.onBatch(h), 1);
  m.send({
    data: Buffer.from("ack"),
    dstAddr: "127.0.0.5",
    dstPort: c.localPort(),
    ifindex: requireNative().nameToIndex("lo"),
  });
  assert.equal((await reply).packets[0].srcAddr, "127.0.0.1");
});

test("interfaces-config errors name the entry: unknown interface, address not on it", async () => {
  const m = manager({ listInterfaces: fakeInterfaces, file: "kea-dhcp4.conf" });
  await assert.rejects(m.open({ interfaces: ["lo", "eth9"] }), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.path, "interfaces-config.interfaces[1]");
    assert.equal(e.file, "kea-dhcp4.conf");
    assert.match(e.reason, /interface 'eth9' does not exist/);
    return true;
  });
  await assert.rejects(m.open({ interfaces: ["paper0/203.0.113.1"] }), {
    path: "interfaces-config.interfaces[0]",
    reason: "interface 'paper0' has no IPv4 address 203.0.113.1",
  });
});

test("'*' serves every interface that is up except loopback", async () => {
  const lines: string[] = [];
  const m = manager({ bindToDevice: false, listInterfaces: fakeInterfaces }, lines);
  await m.open({ interfaces: ["*"] });
  assert.deepEqual(
    m.interfaces().map((i) => i.name),
    ["paper0"],
  );
  await m.open({ interfaces: ["*", "lo"] });
  assert.deepEqual(
    m
      .interfaces()
      .map((i) => i.name)
      .sort(),
    ["lo", "paper0"],
  );
});

test("no interface configured opens no socket", async () => {
  const m = manager();
  await m.open({ interfaces: [] });
  assert.equal(m.interfaces().length, 0);
  assert.throws(() => m.socketFor(1), /no socket/);
});

test("node:dgram fallback: the arrival interface is the only one configured", async () => {
  const lines: string[] = [];
  const m = manager({ backend: "dgram" }, lines);
  await m.open({ interfaces: ["lo"] });
  assert.equal(m.kind, "dgram");
  const got = collect((h) => m.onBatch(h), 1);
  const c = await client();
  c.send({ data: Buffer.from("x"), dstAddr: "127.0.0.1", dstPort: m.port });
  const [p] = (await got).packets;
  assert.equal(p.ifname, "lo");
  assert.equal(p.ifindex, requireNative().nameToIndex("lo"));
});

test("a receive buffer capped by net.core.rmem_max is reported with what to raise", async () => {
  // node:dgram sets SO_RCVBUF, which the kernel caps at rmem_max even for root: ask for more.
  const rmemMax = rmemMaxNow();
  const lines: string[] = [];
  const m = manager({ backend: "dgram", recvBufferSize: 2 * rmemMax }, lines);
  await m.open({ interfaces: ["lo"] });
  const warning = lines.find((l) => l.includes("DHCPSRV_IFACE_RECV_BUFFER_CAPPED")) ?? "";
  assert.ok(warning.includes("WARN"), lines.join("\n"));
  assert.ok(warning.includes(`${rmemMax} bytes of the ${2 * rmemMax} asked for`), warning);
  // The default, set where it fits, says nothing.
  const quiet: string[] = [];
  await manager({ backend: "dgram", recvBufferSize: rmemMax }, quiet).open({ interfaces: ["lo"] });
  assert.ok(!quiet.some((l) => l.includes("DHCPSRV_IFACE_RECV_BUFFER_CAPPED")), quiet.join("\n"));
});

test("node:dgram fallback with two interfaces warns that the arrival interface is unknown", async () => {
  const lines: string[] = [];
  const m = manager({ backend: "dgram", listInterfaces: fakeInterfaces }, lines);
  await m.open({ interfaces: ["lo", "paper0"] });
  assert.ok(lines.some((l) => l.includes("WARN") && l.includes("DHCPSRV_IFACE_ARRIVAL_UNKNOWN")));
  const got = collect((h) => m.onBatch(h), 1);
  const c = await client();
  c.send({ data: Buffer.from("x"), dstAddr: "127.0.0.1", dstPort: m.port });
  const [p] = (await got).packets;
  assert.equal(p.ifindex, 0);
  assert.equal(p.ifname, "");
});

test("IPv6: a packet to ::1 arrives with lo's index", async () => {
  const m = manager({ family: 6 });
  // lo has no multicast: serve it through a shared socket without the ff02::1:2 membership.
  await m.open({ interfaces: ["lo"] }).catch(async (e: unknown) => {
    assert.fail(`open failed: ${String(e)}`);
  });
  const got = collect((h) => m.onBatch(h), 1);
  const c = await client(6);
  c.send({ data: Buffer.from("solicit"), dstAddr: "::1", dstPort: m.port });
  const [p] = (await got).packets;
  assert.equal(p.ifname, "lo");
  assert.equal(p.dstAddr, "::1");
});

test("close releases the server port", async () => {
  const m = manager();
  await m.open({ interfaces: ["lo"] });
  const port = m.port;
  m.close();
  const again = manager({ port });
  await again.open({ interfaces: ["lo"] });
  assert.equal(again.port, port);
});

test("without the addon the manager warns why and falls back to node:dgram", async () => {
  const { spawnSync } = await import("node:child_process");
  const manager = new URL("../../../../src/dhcpsrv/iface/iface-manager.ts", import.meta.url).href;
  const script = `
    import { IfaceManager } from ${JSON.stringify(manager)};
    const m = new IfaceManager({ family: 4, port: 0 });
    await m.open({ interfaces: ["lo"] });
    console.log("kind=" + m.kind);
    m.close();`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, NESTOR_NO_NATIVE: "1" },
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /WARN .*DHCPSRV_IFACE_NATIVE_UNAVAILABLE native sockets unavailable \(disabled/,
  );
  assert.match(r.stdout, /kind=dgram/);
});

test("as root the v4 manager can send to a hardware address; a packet without an interface goes out as usual", async () => {
  const m = manager();
  await m.open({ interfaces: ["lo"] });
  assert.equal(m.canSendToHwaddr, process.getuid?.() === 0);
  const c = await client();
  const got = collect((h) => c.onBatch(h), 1);
  m.send({
    data: Buffer.from("ack"),
    dstAddr: "127.0.0.1",
    dstPort: c.localPort(),
    hwaddr: "02:00:00:00:00:01",
  });
  assert.equal((await got).packets[0].data.toString(), "ack");
});

test("without the addon, interfaces come from /sys/class/net with their real index and flags", async () => {
  const { listInterfaces } = await import("../../../../src/dhcpsrv/iface/interfaces.ts");
  const binding = requireNative();
  const viaSys = listInterfaces(null);
  const viaAddon = listInterfaces(binding);
  for (const name of ["lo"]) {
    const a = viaSys.find((i) => i.name === name);
    const b = viaAddon.find((i) => i.name === name);
    assert.ok(a !== undefined && b !== undefined);
    assert.deepEqual(
      { index: a.index, up: a.up, loopback: a.loopback, multicast: a.multicast },
      { index: b.index, up: b.up, loopback: b.loopback, multicast: b.multicast },
    );
    assert.ok(
      a.addresses.some((x) => x.family === 4 && x.address === "127.0.0.1" && x.prefixlen === 8),
    );
  }
  assert.deepEqual(viaSys.map((i) => i.name).sort(), viaAddon.map((i) => i.name).sort());
});
