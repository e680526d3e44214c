import assert from "node:assert/strict";
import { after, test } from "node:test";

import { NativePacketSocket } from "../../../../src/dhcpsrv/iface/native-socket.ts";
import type { PacketSocket } from "../../../../src/dhcpsrv/iface/packet-socket.ts";
import { collectFrom, payloads, requireNative, settle } from "./helpers.ts";

const opened: PacketSocket[] = [];
after(() => {
  for (const s of opened) s.close();
});

function socket(family: 4 | 6 = 4, batchSize = 64): NativePacketSocket {
  const s = new NativePacketSocket(family, requireNative(), { batchSize });
  opened.push(s);
  return s;
}

async function bound(family: 4 | 6 = 4, batchSize = 64): Promise<NativePacketSocket> {
  const s = socket(family, batchSize);
  await s.open({ address: family === 4 ? "0.0.0.0" : "::", port: 0 });
  return s;
}

test("a burst sent at once arrives as one batch, every packet with lo's index and its destination", async () => {
  const binding = requireNative();
  const server = await bound();
  const client = await bound();
  const n = 32;
  const got = collectFrom(server, n);
  const data = payloads(n);
  assert.equal(
    client.sendBatch(
      data.map((d) => ({ data: d, dstAddr: "127.0.0.1", dstPort: server.localPort() })),
    ),
    null,
  );
  const { batches, packets } = await got;
  assert.equal(batches.length, 1);
  assert.deepEqual(
    packets.map((p) => p.data.toString()),
    data.map((d) => d.toString()),
  );
  for (const p of packets) {
    assert.equal(p.ifindex, binding.nameToIndex("lo"));
    assert.equal(p.ifname, "lo");
    assert.equal(p.dstAddr, "127.0.0.1");
    assert.equal(p.srcAddr, "127.0.0.1");
    assert.equal(p.srcPort, client.localPort());
    assert.ok(Math.abs(p.receivedAt - Date.now()) < 5000);
  }
});

test("more datagrams than the batch bound arrive in several batches of at most the bound, none lost", async () => {
  const server = await bound(4, 8);
  const client = await bound();
  const got = collectFrom(server, 20);
  client.sendBatch(
    payloads(20).map((d) => ({ data: d, dstAddr: "127.0.0.1", dstPort: server.localPort() })),
  );
  const { batches, packets } = await got;
  assert.deepEqual(
    batches.map((b) => b.length),
    [8, 8, 4],
  );
  assert.equal(new Set(packets.map((p) => p.data.toString())).size, 20);
});

test("the destination address is the packet's, not the socket's: 127.0.0.2 on a wildcard socket", async () => {
  const server = await bound();
  const client = await bound();
  const got = collectFrom(server, 1);
  client.send({ data: Buffer.from("x"), dstAddr: "127.0.0.2", dstPort: server.localPort() });
  const [p] = (await got).packets;
  assert.equal(p.dstAddr, "127.0.0.2");
});

test("a packet's payload stays intact after later batches arrive", async () => {
  const server = await bound();
  const client = await bound();
  const first = collectFrom(server, 1);
  client.send({ data: Buffer.from("first"), dstAddr: "127.0.0.1", dstPort: server.localPort() });
  const [kept] = (await first).packets;
  const second = collectFrom(server, 1);
  client.send({ data: Buffer.from("second"), dstAddr: "127.0.0.1", dstPort: server.localPort() });
  await second;
  assert.equal(kept.data.toString(), "first");
});

test("send uses the chosen source address and interface", async () => {
  const binding = requireNative();
  const server = await bound();
  const client = await bound();
  const got = collectFrom(server, 2);
  const lo = binding.nameToIndex("lo");
  const port = server.localPort();
  client.send({
    data: Buffer.from("a"),
    dstAddr: "127.0.0.1",
    dstPort: port,
    srcAddr: "127.0.0.3",
  });
  client.sendBatch([
    {
      data: Buffer.from("b"),
      dstAddr: "127.0.0.1",
      dstPort: port,
      srcAddr: "127.0.0.4",
      ifindex: lo,
    },
  ]);
  const { packets } = await got;
  assert.deepEqual(packets.map((p) => [p.data.toString(), p.srcAddr]).sort(), [
    ["a", "127.0.0.3"],
    ["b", "127.0.0.4"],
  ]);
});

test("IPv6: the arrival interface and destination ::1 are reported", async () => {
  const binding = requireNative();
  const server = await bound(6);
  const client = await bound(6);
  const got = collectFrom(server, 3);
  client.sendBatch(
    payloads(3).map((d) => ({
      data: d,
      dstAddr: "::1",
      dstPort: server.localPort(),
      srcAddr: "::1",
    })),
  );
  const { packets } = await got;
  for (const p of packets) {
    assert.equal(p.ifindex, binding.nameToIndex("lo"));
    assert.equal(p.dstAddr, "::1");
    assert.equal(p.srcAddr, "::1");
  }
});

test("a datagram longer than the slot is dropped and counted, the batch goes on", async () => {
  const server = new NativePacketSocket(4, requireNative(), { slotSize: 512 });
  opened.push(server);
  await server.open({ address: "127.0.0.1", port: 0 });
  const client = await bound();
  const got = collectFrom(server, 1);
  client.sendBatch([
    { data: Buffer.alloc(600), dstAddr: "127.0.0.1", dstPort: server.localPort() },
    { data: Buffer.from("ok"), dstAddr: "127.0.0.1", dstPort: server.localPort() },
  ]);
  const { packets } = await got;
  assert.equal(packets[0].data.toString(), "ok");
  assert.equal(server.truncated, 1);
});

test("bind errors are exceptions named by errno: EADDRINUSE, EADDRNOTAVAIL, ENODEV", async () => {
  const first = socket();
  await first.open({ address: "127.0.0.1", port: 0, reuseAddr: false });
  const port = first.localPort();
  await assert.rejects(socket().open({ address: "127.0.0.1", port, reuseAddr: false }), {
    code: "EADDRINUSE",
    syscall: "bind",
  });
  await assert.rejects(socket().open({ address: "192.0.2.1", port: 0 }), { code: "EADDRNOTAVAIL" });
  await assert.rejects(socket().open({ address: "0.0.0.0", port: 0, device: "nosuchdev0" }), {
    code: "ENODEV",
  });
});

test("send errors are exceptions named by errno; a bad address is a TypeError", async () => {
  const s = socket();
  await s.open({ address: "0.0.0.0", port: 0, broadcast: false });
  // Broadcast without SO_BROADCAST: the kernel says EACCES.
  assert.throws(() => s.send({ data: Buffer.from("x"), dstAddr: "255.255.255.255", dstPort: 9 }), {
    code: "EACCES",
    syscall: "sendmsg",
  });
  assert.throws(() => s.send({ data: Buffer.from("x"), dstAddr: "not-an-address", dstPort: 9 }), {
    name: "TypeError",
    code: "ERR_INVALID_ARG_VALUE",
  });
  assert.throws(() => s.send({ data: Buffer.from("x"), dstAddr: "127.0.0.1", dstPort: 70000 }), {
    code: "ERR_INVALID_ARG_VALUE",
  });
});

test("a batch with one failing datagram reports its index and errno and still sends the others", async () => {
  const server = await bound();
  const client = socket();
  await client.open({ address: "0.0.0.0", port: 0, broadcast: false });
  const got = collectFrom(server, 2);
  const port = server.localPort();
  const failures = client.sendBatch([
    { data: Buffer.from("a"), dstAddr: "127.0.0.1", dstPort: port },
    { data: Buffer.from("b"), dstAddr: "255.255.255.255", dstPort: port },
    { data: Buffer.from("c"), dstAddr: "127.0.0.1", dstPort: port },
  ]);
  assert.equal(failures?.length, 1);
  assert.equal(failures?.[0].index, 1);
  assert.equal((failures?.[0].error as Error & { code: string }).code, "EACCES");
  const { packets } = await got;
  assert.deepEqual(packets.map((p) => p.data.toString()).sort(), ["a", "c"]);
});

test("close releases the port at once and stops delivery; a closed socket refuses to send", async () => {
  const s = socket();
  await s.open({ address: "127.0.0.1", port: 0, reuseAddr: false });
  const port = s.localPort();
  let delivered = 0;
  s.onBatch(() => delivered++);
  s.close();
  s.close(); // idempotent
  const again = socket();
  await again.open({ address: "127.0.0.1", port, reuseAddr: false });
  const client = await bound();
  client.send({ data: Buffer.from("x"), dstAddr: "127.0.0.1", dstPort: port });
  await collectFrom(again, 1);
  assert.equal(delivered, 0);
  assert.throws(() => s.send({ data: Buffer.from("x"), dstAddr: "127.0.0.1", dstPort: port }), {
    code: "EBADF",
  });
  await settle(50);
});

test("interfaces() lists lo with its index, flags and addresses", () => {
  const binding = requireNative();
  const lo = binding.interfaces().find((i) => i.name === "lo");
  assert.ok(lo !== undefined);
  assert.equal(lo.index, binding.nameToIndex("lo"));
  assert.equal(binding.indexToName(lo.index), "lo");
  assert.equal(lo.loopback, true);
  assert.ok(
    lo.addresses.some((a) => a.family === 4 && a.address === "127.0.0.1" && a.prefixlen === 8),
  );
  assert.throws(() => binding.nameToIndex("nosuchdev0"), { code: "ENODEV" });
});

test("terminating a worker whose socket is being flooded neither crashes nor hangs the process", async () => {
  const { Worker } = await import("node:worker_threads");
  const { nativeAddonPath } = await import("../../../../src/dhcpsrv/iface/native.ts");
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const addon = require(workerData);
     const s = new addon.UdpSocket(4, 64, 2048);
     s.bind("127.0.0.1", 0);
     s.start(() => { const end = Date.now() + 2; while (Date.now() < end); }, new Int32Array(64 * 16));
     parentPort.postMessage(s.localAddress().port);`,
    { eval: true, workerData: nativeAddonPath() },
  );
  const port = await new Promise<number>((resolve) => worker.once("message", resolve));
  const client = await bound();
  const burst = payloads(64).map((d) => ({ data: d, dstAddr: "127.0.0.1", dstPort: port }));
  const flood = setInterval(() => client.sendBatch(burst), 1);
  await settle(100);
  await worker.terminate();
  clearInterval(flood);
  await settle(50);
});

test("an exception thrown by the batch handler is an uncaught exception of its thread, not a crash", async () => {
  const { Worker } = await import("node:worker_threads");
  const { nativeAddonPath } = await import("../../../../src/dhcpsrv/iface/native.ts");
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const addon = require(workerData);
     const s = new addon.UdpSocket(4, 64, 2048);
     s.bind("127.0.0.1", 0);
     s.start(() => { throw new Error("handler failed"); }, new Int32Array(64 * 16));
     parentPort.postMessage(s.localAddress().port);`,
    { eval: true, workerData: nativeAddonPath() },
  );
  const port = await new Promise<number>((resolve) => worker.once("message", resolve));
  const failed = new Promise<Error>((resolve) => worker.once("error", resolve));
  const client = await bound();
  client.send({ data: Buffer.from("x"), dstAddr: "127.0.0.1", dstPort: port });
  assert.equal((await failed).message, "handler failed");
  await worker.terminate();
});

test("the addon refuses arguments it cannot use with TypeErrors, and never crashes on them", () => {
  const binding = requireNative();
  const Ctor = binding.UdpSocket as unknown as new (
    ...args: unknown[]
  ) => Record<string, (...a: unknown[]) => unknown>;
  for (const args of [[], [5, 64, 2048], [4, 0, 2048], [4, 64, 100], ["4", 64, 2048]]) {
    assert.throws(() => new Ctor(...args), { code: "ERR_INVALID_ARG_VALUE" }, JSON.stringify(args));
  }
  const s = new Ctor(4, 8, 2048);
  const garbage: unknown[][] = [
    [],
    [null],
    [undefined, "x"],
    [{}, 1, 2],
    [Buffer.from("x"), 1, 2, 3, 4],
  ];
  for (const method of [
    "bind",
    "bindToDevice",
    "joinGroup",
    "start",
    "send",
    "sendBatch",
    "setRecvBufferSize",
  ]) {
    for (const args of garbage) {
      assert.throws(() => s[method](...args), Error, `${method}(${args.map(String).join(", ")})`);
    }
  }
  assert.throws(
    () => s.sendBatch([{ data: new Uint16Array(2), dstAddr: "127.0.0.1", dstPort: 99999 }]),
    {
      code: "ERR_INVALID_ARG_VALUE",
    },
  );
  assert.throws(() => s.sendBatch([42]), { code: "ERR_INVALID_ARG_VALUE" });
  assert.throws(() => s.bindToDevice("x".repeat(40)), { code: "ERR_INVALID_ARG_VALUE" });
  s.close();
  for (const method of ["bind", "send", "sendBatch", "localAddress", "start"]) {
    assert.throws(() => s[method]("127.0.0.1", 0), { code: "EBADF" }, method);
  }
});

test("the raw IPv4 sender needs CAP_NET_RAW (EPERM without), checks its arguments, names kernel errors", () => {
  const RawSender4 = requireNative().RawSender4;
  if (process.getuid?.() !== 0) {
    assert.throws(() => new RawSender4(), { code: "EPERM", syscall: "socket" });
    return;
  }
  const raw = new RawSender4();
  const data = Buffer.from("offer");
  assert.throws(() => raw.send(data, 1, "not-a-mac", "127.0.0.1", "127.0.0.1", 67, 68), {
    code: "ERR_INVALID_ARG_VALUE",
  });
  assert.throws(() => raw.send(data, 1, "02:00:00:00:00:01", "::1", "127.0.0.1", 67, 68), {
    code: "ERR_INVALID_ARG_VALUE",
  });
  assert.throws(() => raw.send(data, 1, "02:00:00:00:00:01", "127.0.0.1", "127.0.0.1", 67, 70000), {
    code: "ERR_INVALID_ARG_VALUE",
  });
  assert.throws(
    () => raw.send(data, 987654, "02:00:00:00:00:01", "127.0.0.1", "127.0.0.1", 67, 68),
    {
      code: "ENXIO",
      syscall: "sendto",
    },
  );
  raw.close();
  assert.throws(() => raw.send(data, 1, "02:00:00:00:00:01", "127.0.0.1", "127.0.0.1", 67, 68), {
    code: "EBADF",
  });
});
