import assert from "node:assert/strict";
import dgram from "node:dgram";
import { after, test } from "node:test";

import { DgramPacketSocket } from "../../../../src/dhcpsrv/iface/dgram-socket.ts";
import type { PacketSocket } from "../../../../src/dhcpsrv/iface/packet-socket.ts";
import { collectFrom, payloads } from "./helpers.ts";

const opened: PacketSocket[] = [];
after(() => {
  for (const s of opened) s.close();
});

function socket(options: { assumedIfindex?: number; assumedIfname?: string } = {}) {
  const s = new DgramPacketSocket(4, options);
  opened.push(s);
  return s;
}

async function sendAll(port: number, data: Buffer[]): Promise<number> {
  const client = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => client.bind(0, "127.0.0.1", resolve));
  const sent = data.map(
    (d) =>
      new Promise<void>((resolve, reject) =>
        client.send(d, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
      ),
  );
  await Promise.all(sent);
  const clientPort = client.address().port;
  client.close();
  return clientPort;
}

test("node:dgram: messages of one poll phase come as one batch with the configured interface", async () => {
  const server = socket({ assumedIfindex: 7, assumedIfname: "eth7" });
  await server.open({ address: "0.0.0.0", port: 0 });
  const got = collectFrom(server, 16);
  const clientPort = await sendAll(server.localPort(), payloads(16));
  const { batches, packets } = await got;
  assert.ok(batches.length < 16, `16 packets in ${batches.length} batches`);
  for (const p of packets) {
    assert.equal(p.ifindex, 7);
    assert.equal(p.ifname, "eth7");
    assert.equal(p.dstAddr, ""); // node:dgram cannot tell
    assert.equal(p.srcAddr, "127.0.0.1");
    assert.equal(p.srcPort, clientPort);
  }
});

test("node:dgram: a bind error rejects with its errno name; close releases the port", async () => {
  const first = socket();
  await first.open({ address: "127.0.0.1", port: 0, reuseAddr: false });
  const port = first.localPort();
  await assert.rejects(socket().open({ address: "127.0.0.1", port, reuseAddr: false }), {
    code: "EADDRINUSE",
  });
  first.close();
  const again = socket();
  await again.open({ address: "127.0.0.1", port, reuseAddr: false });
  assert.equal(again.localPort(), port);
  await assert.rejects(socket().open({ address: "0.0.0.0", port: 0, device: "lo" }), {
    code: "ENOTSUP",
  });
});

test("node:dgram: send reaches the destination; a send error arrives through onError", async () => {
  const server = socket();
  await server.open({ address: "127.0.0.1", port: 0 });
  const client = socket();
  await client.open({ address: "0.0.0.0", port: 0, broadcast: false });
  const errors: Error[] = [];
  client.onError((e) => errors.push(e));
  const got = collectFrom(server, 1);
  client.sendBatch([
    { data: Buffer.from("hi"), dstAddr: "127.0.0.1", dstPort: server.localPort() },
  ]);
  assert.equal((await got).packets[0].data.toString(), "hi");
  client.send({ data: Buffer.from("x"), dstAddr: "255.255.255.255", dstPort: 9 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal((errors[0] as Error & { code?: string }).code, "EACCES");
});
