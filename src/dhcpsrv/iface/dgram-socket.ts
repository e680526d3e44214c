/**
 * PacketSocket on plain node:dgram, for unprivileged tests and for machines where the native
 * addon did not build. node:dgram tells neither the arrival interface nor the destination
 * address, and cannot choose the source address or bind to a device: the arrival interface is
 * the one the configuration names (`assumedIfindex`/`assumedIfname`, when exactly one interface
 * is served) and the destination is the bound address when it is not a wildcard. Messages
 * emitted in one poll phase are grouped into one batch delivered by setImmediate.
 */
import dgram from "node:dgram";

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

export interface DgramSocketOptions {
  /** The interface every packet is taken to come from (0 / "" when unknown). */
  assumedIfindex?: number;
  assumedIfname?: string;
}

function ignoreBatch(): void {}
function ignoreError(): void {}

export class DgramPacketSocket implements PacketSocket {
  readonly family: Family;
  readonly kind = "dgram" as const;
  readonly device: string | undefined = undefined;

  private readonly assumedIfindex: number;
  private readonly assumedIfname: string;
  private socket: dgram.Socket | null = null;
  private boundAddress = "";
  private pending: ReceivedPacket[] = [];
  private flushing: NodeJS.Immediate | null = null;
  private handler: BatchHandler = ignoreBatch;
  private errorHandler: ErrorHandler = ignoreError;
  private referenced = true;
  private recvBufferInForce: number | null = null;

  constructor(family: Family, options: DgramSocketOptions = {}) {
    this.family = family;
    this.assumedIfindex = options.assumedIfindex ?? 0;
    this.assumedIfname = options.assumedIfname ?? "";
  }

  open(options: OpenOptions): Promise<void> {
    if (this.socket !== null) return Promise.reject(new Error("socket already open"));
    if (options.device !== undefined) {
      const e = new Error(`node:dgram cannot bind to device ${options.device}`) as Error & {
        code: string;
      };
      e.code = "ENOTSUP";
      return Promise.reject(e);
    }
    const socket = dgram.createSocket({
      type: this.family === 4 ? "udp4" : "udp6",
      reuseAddr: options.reuseAddr ?? true,
      ipv6Only: this.family === 6,
    });
    return new Promise<void>((resolve, reject) => {
      const onBindError = (e: Error) => {
        socket.close();
        reject(e);
      };
      socket.once("error", onBindError);
      socket.bind({ address: options.address, port: options.port, exclusive: true }, () => {
        socket.off("error", onBindError);
        try {
          if (this.family === 4) socket.setBroadcast(options.broadcast ?? true);
          if (options.recvBufferSize !== undefined) {
            socket.setRecvBufferSize(options.recvBufferSize);
            this.recvBufferInForce = socket.getRecvBufferSize();
          }
          for (const m of options.memberships ?? []) {
            socket.addMembership(m.group, m.ifname === undefined ? undefined : `::%${m.ifname}`);
          }
        } catch (e) {
          socket.close();
          reject(e as Error);
          return;
        }
        socket.on("message", this.onMessage);
        socket.on("error", (e: Error) => this.errorHandler(e, this));
        if (!this.referenced) socket.unref();
        this.socket = socket;
        this.boundAddress = isWildcard(options.address) ? "" : options.address;
        resolve();
      });
    });
  }

  receiveBufferBytes(): number | null {
    return this.recvBufferInForce;
  }

  onBatch(handler: BatchHandler): void {
    this.handler = handler;
  }

  onError(handler: ErrorHandler): void {
    this.errorHandler = handler;
  }

  /** Errors (EACCES, ENETUNREACH...) arrive later through onError: node:dgram sends asynchronously. */
  send(packet: OutgoingPacket): void {
    const socket = this.open_();
    socket.send(packet.data, packet.dstPort, this.scoped(packet), this.onSent);
  }

  sendBatch(packets: readonly OutgoingPacket[]): SendFailure[] | null {
    for (const p of packets) this.send(p);
    return null;
  }

  localPort(): number {
    return this.open_().address().port;
  }

  setReferenced(referenced: boolean): void {
    this.referenced = referenced;
    if (this.socket === null) return;
    if (referenced) this.socket.ref();
    else this.socket.unref();
  }

  close(): void {
    if (this.flushing !== null) clearImmediate(this.flushing);
    this.flushing = null;
    this.pending = [];
    if (this.socket === null) return;
    this.socket.close();
    this.socket = null;
  }

  private open_(): dgram.Socket {
    if (this.socket === null) {
      const e = new Error("socket is closed") as Error & { code: string };
      e.code = "EBADF";
      throw e;
    }
    return this.socket;
  }

  /** A link-local IPv6 destination needs its zone, which node:dgram takes by name. */
  private scoped(packet: OutgoingPacket): string {
    if (this.family === 6 && packet.dstAddr.toLowerCase().startsWith("fe80:")) {
      if (!packet.dstAddr.includes("%") && this.assumedIfname !== "") {
        return `${packet.dstAddr}%${this.assumedIfname}`;
      }
    }
    return packet.dstAddr;
  }

  private readonly onSent = (error: Error | null): void => {
    if (error !== null) this.errorHandler(error, this);
  };

  private readonly onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    const percent = rinfo.address.indexOf("%");
    const src = percent < 0 ? rinfo.address : rinfo.address.slice(0, percent);
    this.pending.push(
      new Received(
        msg,
        src,
        rinfo.port,
        this.boundAddress,
        this.assumedIfindex,
        this.assumedIfname,
        Date.now(),
      ),
    );
    this.flushing ??= setImmediate(this.flush);
  };

  private readonly flush = (): void => {
    this.flushing = null;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.handler(batch, this);
  };
}

function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "";
}
