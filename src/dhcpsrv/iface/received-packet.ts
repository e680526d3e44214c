import type { ReceivedPacket } from "./packet-socket.ts";

/** The one shape of every received packet, whichever socket read it. */
export class Received implements ReceivedPacket {
  readonly data: Buffer;
  readonly srcAddr: string;
  readonly srcPort: number;
  readonly dstAddr: string;
  readonly ifindex: number;
  readonly ifname: string;
  readonly receivedAt: number;
  readonly link: Buffer | null;

  constructor(
    data: Buffer,
    srcAddr: string,
    srcPort: number,
    dstAddr: string,
    ifindex: number,
    ifname: string,
    receivedAt: number,
    link: Buffer | null = null,
  ) {
    this.data = data;
    this.srcAddr = srcAddr;
    this.srcPort = srcPort;
    this.dstAddr = dstAddr;
    this.ifindex = ifindex;
    this.ifname = ifname;
    this.receivedAt = receivedAt;
    this.link = link;
  }
}
