/**
 * The packet-socket receiver of Kea's "raw" socket type (native PacketSocket4 through
 * RawReceiver4), on loopback: frames written by a plain AF_PACKET socket (python3's socket
 * module) reach it only when the kernel filter lets them (IPv4, UDP, not a fragment, the port);
 * the addon drops and counts a bad IP header, a bad UDP length and a bad UDP checksum; a good one
 * arrives with its addresses, ports, interface and the frame's Ethernet addresses. Needs root.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

import { RawReceiver4 } from "../../../../src/dhcpsrv/iface/raw-receiver.ts";
import type { ReceivedPacket } from "../../../../src/dhcpsrv/iface/packet-socket.ts";
import { requireNative } from "./helpers.ts";

const PORT = 40_000 + (process.pid % 20_000);
const LO_MAC = "000000000000";
const SRC_MAC = "02000000aabb";

function sum16(b: Buffer, start: number, end: number, sum = 0): number {
  for (let i = start; i < end; i += 2) sum += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

interface FrameSpec {
  payload: string;
  port?: number;
  fragment?: boolean;
  /** Damage after the checksums are computed. */
  badIpSum?: boolean;
  badUdpSum?: boolean;
  noUdpSum?: boolean;
  ipLength?: number;
  udpLength?: number;
}

/** An Ethernet/IPv4/UDP frame from 127.0.0.2:1068 to 127.0.0.1:port on lo. */
function frame(f: FrameSpec): string {
  const data = Buffer.from(f.payload);
  const ip = Buffer.alloc(20 + 8 + data.length);
  ip[0] = 0x45;
  ip.writeUInt16BE(f.ipLength ?? ip.length, 2);
  if (f.fragment === true) ip.writeUInt16BE(0x2000, 6); // more fragments
  ip[8] = 64;
  ip[9] = 17;
  Buffer.from([127, 0, 0, 2, 127, 0, 0, 1]).copy(ip, 12);
  ip.writeUInt16BE(fold(sum16(ip, 0, 20)), 10);
  const udpLen = 8 + data.length;
  ip.writeUInt16BE(1068, 20);
  ip.writeUInt16BE(f.port ?? PORT, 22);
  ip.writeUInt16BE(f.udpLength ?? udpLen, 24);
  data.copy(ip, 28);
  const pseudo = sum16(ip, 12, 20) + 17 + udpLen;
  let udpSum = fold(sum16(ip, 20, 20 + udpLen, pseudo));
  if (udpSum === 0) udpSum = 0xffff;
  if (f.noUdpSum === true) udpSum = 0;
  if (f.badUdpSum === true) udpSum ^= 0x0101;
  ip.writeUInt16BE(udpSum, 26);
  if (f.badIpSum === true) ip[10] ^= 0xff;
  return LO_MAC + SRC_MAC + "0800" + ip.toString("hex");
}

function inject(frames: string[]): void {
  const code =
    "import socket, sys\n" +
    "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\n" +
    "s.bind(('lo', 0))\n" +
    "for h in sys.argv[1:]:\n" +
    "    s.send(bytes.fromhex(h))\n";
  const r = spawnSync("python3", ["-c", code, ...frames], { encoding: "utf8", timeout: 10_000 });
  assert.equal(r.status, 0, `python3 could not write the frames: ${r.stderr}`);
}

test("the raw receiver keeps what the kernel filter lets through, drops and counts bad frames", async (t) => {
  if (process.getuid?.() !== 0) {
    assert.throws(
      () => new RawReceiver4(requireNative(), { ifindex: 1, ifname: "lo", port: PORT }),
      { code: "EPERM" },
    );
    return;
  }
  const receiver = new RawReceiver4(requireNative(), { ifindex: 1, ifname: "lo", port: PORT });
  t.after(() => receiver.close());
  const got: ReceivedPacket[] = [];
  receiver.onBatch((packets) => got.push(...packets));
  inject([
    frame({ payload: "good" }),
    frame({ payload: "other port", port: PORT + 1 }),
    frame({ payload: "fragment", fragment: true }),
    frame({ payload: "bad udp checksum", badUdpSum: true }),
    frame({ payload: "bad ip checksum", badIpSum: true }),
    frame({ payload: "ip length beyond the frame", ipLength: 200 }),
    frame({ payload: "udp length beyond the datagram", udpLength: 100 }),
    frame({ payload: "no udp checksum", noUdpSum: true }),
  ]);
  const deadline = Date.now() + 2000;
  while (got.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));

  assert.deepEqual(
    got.map((p) => p.data.toString()),
    ["good", "no udp checksum"],
  );
  const p = got[0]!;
  assert.equal(p.srcAddr, "127.0.0.2");
  assert.equal(p.srcPort, 1068);
  assert.equal(p.dstAddr, "127.0.0.1");
  assert.equal(p.ifindex, 1);
  assert.equal(p.ifname, "lo");
  assert.equal(p.link?.toString("hex"), LO_MAC + SRC_MAC, "destination then source");
  assert.deepEqual(receiver.counters(), {
    received: 6,
    badHeader: 3,
    badChecksum: 1,
    truncated: 0,
  });
});
