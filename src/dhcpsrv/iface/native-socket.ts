/**
 * PacketSocket on the native addon: one recvmmsg() per readable event delivers up to `batchSize`
 * datagrams as one Buffer plus a shared Int32Array of offsets, lengths, ports, interface indexes
 * and raw addresses; this class turns them into ReceivedPacket objects (one allocation per packet,
 * the payload a view into the batch's buffer) and calls the handler once per batch.
 */
import { ipv4Text, ipv6Text } from "./address-text.ts";
import {
  META,
  META_FLAG_NO_PKTINFO,
  META_FLAG_TRUNCATED,
  type NativeBinding,
  type NativeUdpSocket,
} from "./native.ts";
import type {
  BatchHandler,
  ErrorHandler,
  Family,
  OpenOptions,
  OutgoingPacket,
  PacketSocket,
  ReceivedPacket,
  SendFailure,
} from "./packet-socket.ts";
import { Received } from "./received-packet.ts";

export interface NativeSocketOptions {
  /** Datagrams read per event-loop turn at most (recvmmsg vector length). Default 64. */
  batchSize?: number;
  /** Largest datagram kept whole; longer ones are counted in `truncated` and dropped. Default 4096
   *  (Kea's receive buffer size). */
  slotSize?: number;
}

const DEFAULT_BATCH = 64;
const DEFAULT_SLOT = 4096;

function ignoreBatch(): void {}
function ignoreError(): void {}

export class NativePacketSocket implements PacketSocket {
  readonly family: Family;
  readonly kind = "native" as const;
  device: string | undefined = undefined;
  /** Datagrams dropped because they were longer than the slot size. */
  truncated = 0;

  private readonly binding: NativeBinding;
  private readonly batchSize: number;
  private recvBufferInForce: number | null = null;
  private readonly slotSize: number;
  private readonly meta: Int32Array;
  private readonly metaBytes: Uint8Array;
  private readonly names = new Map<number, string>();
  private sock: NativeUdpSocket | null = null;
  private handler: BatchHandler = ignoreBatch;
  private errorHandler: ErrorHandler = ignoreError;
  private referenced = true;

  constructor(family: Family, binding: NativeBinding, options: NativeSocketOptions = {}) {
    this.family = family;
    this.binding = binding;
    this.batchSize = options.batchSize ?? DEFAULT_BATCH;
    this.slotSize = options.slotSize ?? DEFAULT_SLOT;
    this.meta = new Int32Array(this.batchSize * META.words);
    this.metaBytes = new Uint8Array(this.meta.buffer);
  }

  open(options: OpenOptions): Promise<void> {
    try {
      this.openSync(options);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  /** open() without the Promise: the native socket binds synchronously. */
  openSync(options: OpenOptions): void {
    if (this.sock !== null) throw new Error("socket already open");
    const sock = new this.binding.UdpSocket(this.family, this.batchSize, this.slotSize);
    try {
      sock.setReuseAddr(options.reuseAddr ?? true);
      if (this.family === 4) sock.setBroadcast(options.broadcast ?? true);
      if (options.recvBufferSize !== undefined) {
        this.recvBufferInForce = sock.setRecvBufferSize(options.recvBufferSize);
      }
      if (options.device !== undefined) sock.bindToDevice(options.device);
      sock.bind(options.address, options.port);
      for (const m of options.memberships ?? []) sock.joinGroup(m.group, m.ifindex);
      if (options.readWindowMs !== undefined) sock.setReadWindow(options.readWindowMs);
      sock.start(this.onNative, this.meta);
      if (!this.referenced) sock.unref();
    } catch (e) {
      sock.close();
      throw e;
    }
    this.sock = sock;
    this.device = options.device;
  }

  /** Keeps the port (no ICMP port unreachable) but stops receiving: the kernel drops every
   *  datagram for it (Kea's "raw" socket type reads queries from packet sockets instead). */
  discardInput(): void {
    const sock = this.open_();
    sock.discardInput();
    sock.stop();
  }

  onBatch(handler: BatchHandler): void {
    this.handler = handler;
  }

  onError(handler: ErrorHandler): void {
    this.errorHandler = handler;
  }

  send(packet: OutgoingPacket): void {
    this.open_().send(packet.data, packet.dstAddr, packet.dstPort, packet.srcAddr, packet.ifindex);
  }

  sendBatch(packets: readonly OutgoingPacket[]): SendFailure[] | null {
    return this.open_().sendBatch(packets);
  }

  receiveBufferBytes(): number | null {
    return this.recvBufferInForce;
  }

  localPort(): number {
    return this.open_().localAddress().port;
  }

  setReferenced(referenced: boolean): void {
    this.referenced = referenced;
    if (this.sock === null) return;
    if (referenced) this.sock.ref();
    else this.sock.unref();
  }

  close(): void {
    if (this.sock === null) return;
    this.sock.close();
    this.sock = null;
  }

  /** Interface name for an index, remembered; "" if the interface is gone. */
  ifname(ifindex: number): string {
    let name = this.names.get(ifindex);
    if (name === undefined) {
      try {
        name = this.binding.indexToName(ifindex);
      } catch {
        return "";
      }
      this.names.set(ifindex, name);
    }
    return name;
  }

  private open_(): NativeUdpSocket {
    if (this.sock === null) {
      const e = new Error("socket is closed") as Error & { code: string };
      e.code = "EBADF";
      throw e;
    }
    return this.sock;
  }

  private readonly onNative = (count: number, data: Buffer | undefined, error?: Error): void => {
    if (error !== undefined || data === undefined) {
      this.errorHandler(error ?? new Error("receive failed"), this);
      return;
    }
    const meta = this.meta;
    const bytes = this.metaBytes;
    const now = Date.now();
    const packets: ReceivedPacket[] = [];
    for (let i = 0; i < count; i++) {
      const m = i * META.words;
      const flags = meta[m + META.flags];
      if ((flags & META_FLAG_TRUNCATED) !== 0) {
        this.truncated++;
        continue;
      }
      const offset = meta[m + META.offset];
      const payload = data.subarray(offset, offset + meta[m + META.length]);
      const srcAt = (m + META.srcAddr) * 4;
      const dstAt = (m + META.dstAddr) * 4;
      const pktinfo = (flags & META_FLAG_NO_PKTINFO) === 0;
      let src: string;
      let dst = "";
      if (this.family === 4) {
        src = ipv4Text(bytes, srcAt, meta[m + META.srcAddr]);
        if (pktinfo) dst = ipv4Text(bytes, dstAt, meta[m + META.dstAddr]);
      } else {
        src = ipv6Text(bytes, srcAt);
        if (pktinfo) dst = ipv6Text(bytes, dstAt);
      }
      const ifindex = pktinfo ? meta[m + META.ifindex] : 0;
      const ifname = ifindex === 0 ? "" : this.ifname(ifindex);
      packets.push(new Received(payload, src, meta[m + META.srcPort], dst, ifindex, ifname, now));
    }
    if (packets.length > 0) this.handler(packets, this);
  };
}
