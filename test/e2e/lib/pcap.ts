/**
 * What crossed a link, as tcpdump saw it: the DHCPv4 messages of a classic pcap file (Ethernet,
 * IPv4, UDP), reduced to what the tests compare with the lease file. tcpdump runs in the
 * client's namespace, so this is what the clients received, independently of the server's own
 * account.
 */
import { readFileSync } from "node:fs";

import type { Proc, TestBed } from "./netns.ts";

export interface Dhcp4Seen {
  /** DHCP message type (option 53): 1 DISCOVER, 2 OFFER, 3 REQUEST, 5 ACK, 6 NAK... */
  type: number;
  xid: number;
  yiaddr: string;
  /** Client hardware address, colon hex. */
  chaddr: string;
}

const ETHERTYPE_IPV4 = 0x0800;
const LINKTYPE_ETHERNET = 1;

/** One frame of a pcap file: when it was captured (ms since the epoch) and its bytes. */
export interface PcapFrame {
  t: number;
  frame: Buffer;
}

/**
 * The frames of a classic pcap file written by tcpdump -w (either byte order, micro- or
 * nanosecond times); it must hold Ethernet frames.
 */
export function readPcapFrames(file: string): PcapFrame[] {
  const buf = readFileSync(file);
  if (buf.length < 24) return [];
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) {
    throw new Error(`${file} is not a pcap file`);
  }
  const u32 = (at: number) => (le ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const nano = u32(0) === 0xa1b23c4d;
  if (u32(20) !== LINKTYPE_ETHERNET) throw new Error(`${file}: link type ${u32(20)}, not Ethernet`);
  const frames: PcapFrame[] = [];
  let at = 24;
  while (at + 16 <= buf.length) {
    const t = u32(at) * 1000 + u32(at + 4) / (nano ? 1e6 : 1e3);
    const caplen = u32(at + 8);
    const frame = buf.subarray(at + 16, at + 16 + caplen);
    at += 16 + caplen;
    frames.push({ t, frame });
  }
  return frames;
}

/** Every DHCPv4 message in a pcap file written by tcpdump -w. */
export function readDhcp4Pcap(file: string): Dhcp4Seen[] {
  const seen: Dhcp4Seen[] = [];
  for (const { frame } of readPcapFrames(file)) {
    const msg = parseFrame(frame);
    if (msg !== null) seen.push(msg);
  }
  return seen;
}

function parseFrame(frame: Buffer): Dhcp4Seen | null {
  if (frame.length < 14 || frame.readUInt16BE(12) !== ETHERTYPE_IPV4) return null;
  const ip = frame.subarray(14);
  if (ip.length < 20 || ip[9] !== 17) return null;
  const udp = ip.subarray((ip[0]! & 0x0f) * 4);
  if (udp.length < 8) return null;
  const ports = [udp.readUInt16BE(0), udp.readUInt16BE(2)];
  if (!ports.every((p) => p === 67 || p === 68)) return null;
  const dhcp = udp.subarray(8);
  if (dhcp.length < 240 || dhcp.readUInt32BE(236) !== 0x63825363) return null;
  const hlen = Math.min(dhcp[2]!, 16);
  let type = 0;
  for (let i = 240; i < dhcp.length;) {
    const code = dhcp[i]!;
    if (code === 0) {
      i += 1;
      continue;
    }
    if (code === 255 || i + 1 >= dhcp.length) break;
    const len = dhcp[i + 1]!;
    if (code === 53 && len >= 1) type = dhcp[i + 2]!;
    i += 2 + len;
  }
  return {
    type,
    xid: dhcp.readUInt32BE(4),
    yiaddr: [...dhcp.subarray(16, 20)].join("."),
    chaddr: [...dhcp.subarray(28, 28 + hlen)].map((b) => b.toString(16).padStart(2, "0")).join(":"),
  };
}

/**
 * tcpdump writing the DHCP traffic of `ifname` to `file` (`filter`: DHCPv4's ports unless told
 * otherwise); waits until it listens.
 */
export async function startCapture(
  bed: TestBed,
  ns: string,
  ifname: string,
  file: string,
  filter = "udp port 67 or udp port 68",
): Promise<Proc> {
  // -U: write each packet as it comes; -Z root: keep the rights to write in the test's directory;
  // -B: a kernel buffer large enough for a few thousand packets a second.
  const proc = bed.spawn(`tcpdump ${ifname}`, ns, "tcpdump", [
    "-i",
    ifname,
    "-n",
    "-U",
    "-Z",
    "root",
    "-B",
    "8192",
    "-w",
    file,
    filter,
  ]);
  await proc.waitForOutput(/listening on/, 10_000);
  return proc;
}

/** Stops tcpdump (SIGINT, so it flushes) and checks that the kernel dropped nothing. */
export async function stopCapture(proc: Proc): Promise<void> {
  proc.signal("SIGINT");
  if (!(await proc.waitExit(5000))) await proc.stop();
  const dropped = proc.output.match(/(\d+) packets? dropped by kernel/);
  if (dropped !== null && dropped[1] !== "0") {
    throw new Error(`tcpdump lost packets, the capture is incomplete:\n${proc.output}`);
  }
}
