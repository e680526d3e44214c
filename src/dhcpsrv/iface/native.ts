/**
 * Loads the native socket addon (native/, built by node-gyp at install time). It sits at the same
 * depth from src/ and from dist/, so one relative path serves both. NESTOR_NATIVE_ADDON names
 * another build; NESTOR_NO_NATIVE=1 pretends it is missing (tests of the fallback).
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/** The addon's socket class, as native/src/udp_socket.cc defines it. */
export interface NativeUdpSocket {
  setReuseAddr(on: boolean): void;
  setBroadcast(on: boolean): void;
  bindToDevice(name: string): void;
  /** SO_RCVBUFFORCE when permitted (CAP_NET_ADMIN), else SO_RCVBUF (capped at
   *  net.core.rmem_max); returns the size in force, which the kernel doubles. */
  setRecvBufferSize(bytes: number): number;
  /** Keeps the port but drops every datagram in the kernel (queries come through raw sockets). */
  discardInput(): void;
  bind(address: string, port: number): void;
  localAddress(): { address: string; port: number };
  joinGroup(group: string, ifindex: number): void;
  /** Calls back once per readable event with the count, one Buffer of all payloads, and fills
   *  `meta` (META_WORDS Int32 per datagram); on a receive error count is 0 and error is set. */
  start(
    callback: (count: number, data: Buffer | undefined, error?: Error) => void,
    meta: Int32Array,
  ): void;
  stop(): void;
  /** The receive window in milliseconds (native/src/read_window.h); 0 turns it off. */
  setReadWindow(ms: number): void;
  ref(): void;
  unref(): void;
  send(
    data: Uint8Array,
    dstAddr: string,
    dstPort: number,
    srcAddr?: string,
    ifindex?: number,
  ): number;
  sendBatch(
    packets: readonly {
      data: Uint8Array;
      dstAddr: string;
      dstPort: number;
      srcAddr?: string | undefined;
      ifindex?: number | undefined;
    }[],
  ): { index: number; error: Error }[] | null;
  close(): void;
}

export interface NativeInterface {
  name: string;
  index: number;
  up: boolean;
  running: boolean;
  loopback: boolean;
  broadcast: boolean;
  multicast: boolean;
  mac: string;
  addresses: { family: 4 | 6; address: string; prefixlen: number }[];
}

/** IPv4/UDP through AF_PACKET to a link-layer address, without ARP (needs CAP_NET_RAW). */
export interface NativeRawSender4 {
  send(
    data: Uint8Array,
    ifindex: number,
    dstMac: string,
    srcAddr: string,
    dstAddr: string,
    srcPort: number,
    dstPort: number,
  ): number;
  /** One sendmmsg(); null when every datagram left, else the failed ones (the others left). */
  sendBatch(packets: readonly RawDatagram4[]): { index: number; error: Error }[] | null;
  close(): void;
}

/** One datagram for `NativeRawSender4.sendBatch`. */
export interface RawDatagram4 {
  data: Uint8Array;
  ifindex: number;
  hwaddr: string;
  srcAddr: string;
  dstAddr: string;
  srcPort: number;
  dstPort: number;
}

/** Receives one port's IPv4/UDP frames on one interface through AF_PACKET, filtered in the
 *  kernel by a BPF program (native/src/packet_socket.h). Needs CAP_NET_RAW. */
export interface NativePacketSocket4 {
  /** As NativeUdpSocket.setRecvBufferSize. */
  setRecvBufferSize(bytes: number): number;
  /** As NativeUdpSocket.start; each payload in `data` is followed by the frame's Ethernet
   *  destination and source addresses (LINK_BYTES). */
  start(
    callback: (count: number, data: Buffer | undefined, error?: Error) => void,
    meta: Int32Array,
  ): void;
  stop(): void;
  /** The receive window in milliseconds (native/src/read_window.h); 0 turns it off. */
  setReadWindow(ms: number): void;
  ref(): void;
  unref(): void;
  /** Frames read, and those dropped: bad IP/UDP header, bad UDP checksum, too long. */
  counters(): { received: number; badHeader: number; badChecksum: number; truncated: number };
  close(): void;
}

export interface NativeBinding {
  UdpSocket: new (family: 4 | 6, batch: number, slot: number) => NativeUdpSocket;
  RawSender4: new () => NativeRawSender4;
  PacketSocket4: new (
    ifindex: number,
    port: number,
    batch: number,
    slot: number,
  ) => NativePacketSocket4;
  interfaces(): NativeInterface[];
  nameToIndex(name: string): number;
  indexToName(index: number): string;
  META_WORDS: number;
}

/** Layout of one datagram's metadata (native/src/udp_socket.h). */
export const META = {
  words: 16,
  offset: 0,
  length: 1,
  srcPort: 2,
  ifindex: 3,
  flags: 4,
  scope: 5,
  /** PacketSocket4 only. */
  dstPort: 6,
  srcAddr: 8,
  dstAddr: 12,
} as const;

export const META_FLAG_TRUNCATED = 1;
export const META_FLAG_NO_PKTINFO = 2;
/** PacketSocket4: the payload is followed by LINK_BYTES of Ethernet addresses. */
export const META_FLAG_LINK_LAYER = 4;
export const LINK_BYTES = 12;

const DEFAULT_PATH = fileURLToPath(
  new URL("../../../native/build/Release/nestor_net.node", import.meta.url),
);

/** Where the addon is loaded from. */
export function nativeAddonPath(): string {
  return process.env.NESTOR_NATIVE_ADDON ?? DEFAULT_PATH;
}

let loaded: { binding: NativeBinding | null; reason: string } | undefined;

/** The addon, or null with the reason it could not be loaded. Loaded once per process. */
export function loadNative(): { binding: NativeBinding | null; reason: string } {
  if (loaded !== undefined) return loaded;
  if (process.env.NESTOR_NO_NATIVE === "1") {
    loaded = { binding: null, reason: "disabled by NESTOR_NO_NATIVE=1" };
  } else if (process.platform !== "linux") {
    loaded = { binding: null, reason: `not supported on ${process.platform}` };
  } else {
    const path = nativeAddonPath();
    try {
      const binding = createRequire(import.meta.url)(path) as NativeBinding;
      if (binding.META_WORDS !== META.words) throw new Error("addon metadata layout differs");
      loaded = { binding, reason: "" };
    } catch (e) {
      const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
      loaded = { binding: null, reason: `${path}: ${why}` };
    }
  }
  return loaded;
}
