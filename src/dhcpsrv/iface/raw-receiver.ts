/**
 * Kea's "raw" DHCPv4 socket, receiving side: one AF_PACKET socket per served interface, a BPF
 * filter in the kernel keeping only unfragmented IPv4/UDP frames to the server port that came in
 * for this host, one recvmmsg() per readable event (native/src/packet_socket.cc). Each packet
 * carries the frame's Ethernet addresses (`ReceivedPacket.link`) besides what a UDP socket gives;
 * frames with a bad IP header, UDP length or checksum are dropped in the addon and counted.
 */
import { ipv4Text } from "./address-text.ts";
import { LINK_BYTES, META, type NativeBinding, type NativePacketSocket4 } from "./native.ts";
import type { ReceivedPacket } from "./packet-socket.ts";
import { Received } from "./received-packet.ts";

export interface RawReceiverOptions {
  ifindex: number;
  ifname: string;
  /** The server port the filter lets through. */
  port: number;
  /** Frames read per event-loop turn at most. Default 64. */
  batchSize?: number;
  /** Largest UDP payload kept; longer frames are dropped and counted. Default 4096. */
  slotSize?: number;
  recvBufferSize?: number | undefined;
  /** As OpenOptions.readWindowMs. */
  readWindowMs?: number | undefined;
}

export interface RawReceiverCounters {
  /** Frames the filter let through. */
  received: number;
  /** Dropped: an IP header or UDP length that does not hold together. */
  badHeader: number;
  /** Dropped: a wrong UDP checksum. */
  badChecksum: number;
  /** Dropped: longer than the slot. */
  truncated: number;
}

const DEFAULT_BATCH = 64;
const DEFAULT_SLOT = 4096;

function ignoreBatch(): void {}
function ignoreError(): void {}

export class RawReceiver4 {
  readonly ifindex: number;
  readonly ifname: string;
  private readonly meta: Int32Array;
  private readonly metaBytes: Uint8Array;
  private sock: NativePacketSocket4 | null;
  private handler: (packets: readonly ReceivedPacket[]) => void = ignoreBatch;
  private errorHandler: (error: Error) => void = ignoreError;

  /** Opens and starts reading; throws the system error (EPERM without CAP_NET_RAW). */
  constructor(binding: NativeBinding, options: RawReceiverOptions) {
    const batch = options.batchSize ?? DEFAULT_BATCH;
    this.ifindex = options.ifindex;
    this.ifname = options.ifname;
    this.meta = new Int32Array(batch * META.words);
    this.metaBytes = new Uint8Array(this.meta.buffer);
    const sock = new binding.PacketSocket4(
      options.ifindex,
      options.port,
      batch,
      options.slotSize ?? DEFAULT_SLOT,
    );
    try {
      if (options.recvBufferSize !== undefined) sock.setRecvBufferSize(options.recvBufferSize);
      if (options.readWindowMs !== undefined) sock.setReadWindow(options.readWindowMs);
      sock.start(this.onNative, this.meta);
    } catch (e) {
      sock.close();
      throw e;
    }
    this.sock = sock;
  }

  onBatch(handler: (packets: readonly ReceivedPacket[]) => void): void {
    this.handler = handler;
  }

  onError(handler: (error: Error) => void): void {
    this.errorHandler = handler;
  }

  counters(): RawReceiverCounters {
    if (this.sock === null) return { received: 0, badHeader: 0, badChecksum: 0, truncated: 0 };
    return this.sock.counters();
  }

  setReferenced(referenced: boolean): void {
    if (this.sock === null) return;
    if (referenced) this.sock.ref();
    else this.sock.unref();
  }

  close(): void {
    if (this.sock === null) return;
    this.sock.close();
    this.sock = null;
  }

  private readonly onNative = (count: number, data: Buffer | undefined, error?: Error): void => {
    if (error !== undefined || data === undefined) {
      this.errorHandler(error ?? new Error("receive failed"));
      return;
    }
    const meta = this.meta;
    const bytes = this.metaBytes;
    const now = Date.now();
    const packets: ReceivedPacket[] = new Array<ReceivedPacket>(count);
    for (let i = 0; i < count; i++) {
      const m = i * META.words;
      const offset = meta[m + META.offset];
      const end = offset + meta[m + META.length];
      const src = ipv4Text(bytes, (m + META.srcAddr) * 4, meta[m + META.srcAddr]);
      const dst = ipv4Text(bytes, (m + META.dstAddr) * 4, meta[m + META.dstAddr]);
      packets[i] = new Received(
        data.subarray(offset, end),
        src,
        meta[m + META.srcPort],
        dst,
        this.ifindex,
        this.ifname,
        now,
        data.subarray(end, end + LINK_BYTES),
      );
    }
    this.handler(packets);
  };
}
