/**
 * The socket interface the DHCP servers use. Packets come in batches: every datagram readable in
 * one event-loop turn (up to a bound) reaches the handler in one call, so the server can process
 * them together, write their leases with one append and send the replies with one sendBatch.
 *
 * Two implementations: `NativePacketSocket` (recvmmsg/sendmmsg, arrival interface and destination
 * address from IP_PKTINFO / IPV6_PKTINFO) and `DgramPacketSocket` (plain node:dgram, for
 * unprivileged tests or when the addon did not build; arrival interface taken from configuration).
 */

export type Family = 4 | 6;

export type SocketKind = "native" | "dgram";

/** One received datagram. */
export interface ReceivedPacket {
  /** The payload; a view into the batch's own buffer, which is never reused, so it may be kept. */
  readonly data: Buffer;
  /** The sender; an IPv6 link-local address comes without its zone, which is `ifindex`. */
  readonly srcAddr: string;
  readonly srcPort: number;
  /** The destination address of the IP header (255.255.255.255, ff02::1:2, a unicast address);
   *  "" when the socket cannot tell (node:dgram). */
  readonly dstAddr: string;
  /** Arrival interface index; 0 when unknown. */
  readonly ifindex: number;
  /** Arrival interface name; "" when unknown. */
  readonly ifname: string;
  /** Date.now() when the batch was read (one clock read per batch). */
  readonly receivedAt: number;
  /** IPv4 through a raw (packet) socket: the frame's Ethernet destination (bytes 0-5) and
   *  source (bytes 6-11) addresses; null when the packet came through a UDP socket. */
  readonly link: Buffer | null;
}

/** One datagram to send. */
export interface OutgoingPacket {
  data: Uint8Array;
  dstAddr: string;
  dstPort: number;
  /** Source address (must be local); chosen by the kernel when absent. */
  srcAddr?: string | undefined;
  /** Outgoing interface (also the scope of a link-local destination); by routing when absent. */
  ifindex?: number | undefined;
  /** IPv4, IfaceManager only: deliver to this link-layer address ("aa:bb:cc:dd:ee:ff") without
   *  ARP, as RFC 2131 4.1 unicasts to a client that has no address yet. Needs `ifindex` and a
   *  raw socket (`IfaceManager.canSendToHwaddr`); without one the datagram goes out as usual. */
  hwaddr?: string | undefined;
  /** Sent by this function instead of a socket (DHCPv4-over-DHCPv6: to the other server). */
  via?: ((data: Uint8Array) => void) | undefined;
}

/** A datagram of a batch that could not be sent; the others of the batch were. */
export interface SendFailure {
  index: number;
  error: Error;
}

export interface MulticastMembership {
  group: string;
  ifindex: number;
  /** Interface name, needed by node:dgram to name the membership's interface. */
  ifname?: string;
}

export interface OpenOptions {
  /** Local address to bind: "0.0.0.0" or "::" to receive broadcasts and multicast. */
  address: string;
  /** Local port; 0 picks a free one (tests). */
  port: number;
  /** SO_BINDTODEVICE: receive only from, and send only through, this interface (needs root). */
  device?: string | undefined;
  /** SO_BROADCAST, on by default (replies to 255.255.255.255). */
  broadcast?: boolean;
  /** SO_REUSEADDR, on by default (one socket per interface on the same port). */
  reuseAddr?: boolean;
  /** Multicast groups to join (ff02::1:2 on each served link for DHCPv6). */
  memberships?: readonly MulticastMembership[];
  /** SO_RCVBUF in bytes, to absorb bursts between two event-loop turns. */
  recvBufferSize?: number;
  /**
   * The receive window (native sockets only): after a readable event, read again this many
   * milliseconds later, and go on reading on that timer while datagrams keep coming, so that a
   * steady load is read, answered and written in batches. 0 or absent: every event read at once.
   */
  readWindowMs?: number;
}

export type BatchHandler = (packets: readonly ReceivedPacket[], socket: PacketSocket) => void;

export type ErrorHandler = (error: Error, socket: PacketSocket) => void;

export interface PacketSocket {
  readonly family: Family;
  readonly kind: SocketKind;
  /** The device the socket is bound to, if any. */
  readonly device: string | undefined;
  /** Binds and starts receiving. Rejects with an errno-named error (EADDRINUSE, EPERM...). */
  open(options: OpenOptions): Promise<void>;
  /** Sets the one handler of received batches (replacing any previous one). */
  onBatch(handler: BatchHandler): void;
  /** Receive errors and, for node:dgram, asynchronous send errors. */
  onError(handler: ErrorHandler): void;
  /** Sends one datagram. The native socket throws errno-named errors at once. */
  send(packet: OutgoingPacket): void;
  /** Sends datagrams together (sendmmsg); returns the failed ones, or null when all left. */
  sendBatch(packets: readonly OutgoingPacket[]): SendFailure[] | null;
  /** The bound port (useful after open with port 0). */
  localPort(): number;
  /** The receive buffer the kernel gave (twice what was asked, when net.core.rmem_max did not
   *  cap it), or null when the socket kept the kernel's default. */
  receiveBufferBytes(): number | null;
  /** Whether the socket keeps the process alive (as dgram's ref/unref). */
  setReferenced(referenced: boolean): void;
  /** Stops receiving and releases the port at once. Idempotent. */
  close(): void;
}

/** An error with Node's system-error shape (code, errno, syscall). */
export interface SystemError extends Error {
  code: string;
  errno?: number;
  syscall?: string;
}

export function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as Partial<SystemError>).code === "string";
}
