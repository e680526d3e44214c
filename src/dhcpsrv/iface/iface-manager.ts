/**
 * Opens the sockets for Kea's `interfaces-config`, knows which served interface each packet came
 * in on, and picks the socket a reply leaves through (Kea's IfaceMgr, UDP sockets).
 *
 * `interfaces` entries: `"eth0"` serves the interface; `"eth0/198.51.100.1"` serves it with that
 * address only (the reply source; unicast to its other addresses is dropped); `"*"` serves every
 * interface that is up, is not loopback and (v6) does multicast. Loopback is served only by name.
 *
 * Sockets, best first:
 * - native, one per interface: bound to 0.0.0.0:67 / [::]:547 with SO_BINDTODEVICE (needs root;
 *   what Kea does), joined to ff02::1:2 on its link for v6;
 * - native, one shared: the same without SO_BINDTODEVICE when the kernel refuses it; the arrival
 *   interface still comes from IP_PKTINFO / IPV6_PKTINFO and packets of unserved interfaces are
 *   dropped here;
 * - node:dgram, one shared, when the addon is unavailable: the arrival interface is the configured
 *   one when exactly one is served, unknown otherwise (warned at open).
 *
 * DHCPv4 with `dhcp-socket-type` "raw" (the default, as in Kea) and the addon: queries are read
 * from one AF_PACKET socket per served interface (raw-receiver.ts: a BPF filter for the server
 * port, batched reads), so each packet carries the frame's Ethernet addresses; the UDP sockets
 * keep the port (no ICMP port unreachable) but the kernel drops what comes to them, as Kea
 * ignores its UDP socket then. Replies with `OutgoingPacket.hwaddr` leave as link-layer frames
 * to that address through an AF_PACKET sender (batched with sendmmsg), without ARP. Without
 * CAP_NET_RAW the manager falls back to the UDP sockets with one warning: no link-layer
 * addresses, and replies to clients without an address are broadcast (`canSendToHwaddr` false),
 * as Kea does with "udp".
 */
import { defaultLogManager, defineMessages, type Logger } from "../../log/logger.ts";
import { ConfigError } from "../../util/errors.ts";
import { DgramPacketSocket } from "./dgram-socket.ts";
import { listInterfaces, type InterfaceAddress, type NetInterface } from "./interfaces.ts";
import {
  loadNative,
  type NativeBinding,
  type NativeRawSender4,
  type RawDatagram4,
} from "./native.ts";
import { NativePacketSocket } from "./native-socket.ts";
import { RawReceiver4, type RawReceiverCounters } from "./raw-receiver.ts";
import {
  isSystemError,
  type Family,
  type MulticastMembership,
  type OutgoingPacket,
  type PacketSocket,
  type ReceivedPacket,
  type SendFailure,
  type SocketKind,
} from "./packet-socket.ts";

defineMessages({
  DHCPSRV_IFACE_NATIVE_UNAVAILABLE:
    "native sockets unavailable (%1): using node:dgram, which cannot tell the arrival interface",
  DHCPSRV_IFACE_ARRIVAL_UNKNOWN:
    "node:dgram serves %1 interfaces: the arrival interface of a packet is unknown",
  DHCPSRV_IFACE_SHARED_SOCKET:
    "cannot bind a socket to a device (%1): one socket serves every interface, sorted by PKTINFO",
  DHCPSRV_IFACE_LISTEN: "listening on %1 (index %2) port %3 with %4 sockets",
  DHCPSRV_IFACE_DOWN: "interface %1 is down: listening on it anyway",
  DHCPSRV_IFACE_DROP_UNSERVED: "dropped a packet from %1 that arrived on unserved interface %2",
  DHCPSRV_IFACE_DROP_ADDRESS: "dropped a packet to %1 on %2, which serves only %3",
  DHCPSRV_IFACE_RECEIVE_ERROR: "receive error on socket for %1: %2",
  DHCPSRV_IFACE_NONE: "no interface configured: no socket opened",
  DHCPSRV_IFACE_NO_RAW:
    "no raw socket (%1): replies to clients without an address must be broadcast",
  DHCPSRV_IFACE_RAW_FALLBACK:
    "cannot open raw sockets (%1): receiving through UDP sockets instead, so queries' hardware " +
    "addresses are unknown, replies to clients without an address are broadcast and replies " +
    "to a renewing client's ciaddr need ARP",
  DHCPSRV_IFACE_RECV_BUFFER_CAPPED:
    "the kernel gave the server's sockets a receive buffer of %1 bytes of the %2 asked for " +
    "(net.core.rmem_max, without CAP_NET_ADMIN): a burst of queries may overflow it; raise " +
    "net.core.rmem_max to %2",
  DHCPSRV_IFACE_RAW_NO_ETHERNET:
    "interface %1 has no Ethernet address: raw sockets need one, receiving through UDP sockets",
});

export const DHCP4_SERVER_PORT = 67;
export const DHCP6_SERVER_PORT = 547;
export const ALL_DHCP_RELAY_AGENTS_AND_SERVERS = "ff02::1:2";

/** Kea's `interfaces-config` (the keys this layer uses). */
export interface InterfacesConfig {
  interfaces?: readonly string[];
  "dhcp-socket-type"?: string;
}

export interface IfaceManagerOptions {
  family: Family;
  /** Server port (Kea's -p); 67 for v4 and 547 for v6 by default. 0 picks a free one (tests). */
  port?: number;
  /** "auto" (default): native when the addon loads, node:dgram otherwise. */
  backend?: "auto" | "native" | "dgram";
  /** "auto" (default): one socket per interface when SO_BINDTODEVICE is permitted. */
  bindToDevice?: "auto" | boolean;
  batchSize?: number;
  /** SO_RCVBUF per socket, so a burst outlasts a slow event-loop turn (a lease write, a GC).
   *  Default 4 MiB; 0 keeps the kernel's default. The native sockets set it with
   *  SO_RCVBUFFORCE when the process may (CAP_NET_ADMIN), past net.core.rmem_max; node:dgram's
   *  is capped there. */
  recvBufferSize?: number;
  /**
   * The native sockets' receive window in milliseconds (OpenOptions.readWindowMs). Default:
   * the environment's NESTOR_READ_WINDOW_MS, else DEFAULT_READ_WINDOW_MS; 0 turns it off.
   */
  readWindowMs?: number;
  logger?: Logger;
  /** The configuration file, for error messages. */
  file?: string;
  /** Where interfaces come from (tests); the machine's by default. */
  listInterfaces?: () => NetInterface[];
}

export interface ServedInterface {
  readonly name: string;
  readonly index: number;
  readonly mac: string;
  readonly loopback: boolean;
  /** This family's addresses of the interface. */
  readonly addresses: readonly InterfaceAddress[];
  /** The addresses named with `iface/address`; empty when the whole interface is served. */
  readonly only: readonly string[];
  /** The socket replies on this interface leave through. */
  readonly socket: PacketSocket;
}

export type IfaceBatchHandler = (packets: readonly ReceivedPacket[]) => void;

interface Selection {
  iface: NetInterface;
  only: string[];
}

const LOG_DEBUG_DETAIL = 50;
/** 4 MiB: perfdhcp's bursts at 16,000-24,000 v6 queries/s overflowed 1 MiB (2 MiB in force)
 *  while the server still had CPU to spare; the memory is the kernel's, used only while
 *  datagrams wait. */
export const DEFAULT_RECV_BUFFER = 4 << 20;
/** One millisecond: a steady load is read in batches; no client waits noticeably longer. */
export const DEFAULT_READ_WINDOW_MS = 1;

/** NESTOR_READ_WINDOW_MS when it is a whole number of milliseconds from 0 to 100. */
function readWindowFromEnv(): number | undefined {
  const text = process.env["NESTOR_READ_WINDOW_MS"];
  if (text === undefined || !/^\d{1,3}$/.test(text) || Number(text) > 100) return undefined;
  return Number(text);
}
const NO_MAC = "00:00:00:00:00:00";

function ignore(): void {}

export class IfaceManager {
  readonly family: Family;
  /** Packets dropped because they came from an interface, or to an address, that is not served. */
  dropped = 0;
  private readonly options: IfaceManagerOptions;
  private readonly log: Logger;
  private served: ServedInterface[] = [];
  private byIndex = new Map<number, ServedInterface>();
  private sockets: PacketSocket[] = [];
  private handler: IfaceBatchHandler = ignore;
  private kindUsed: SocketKind | undefined;
  private perDevice = false;
  /** Some interface is served as `iface/address`: replies may need that source. */
  private restricted = false;
  private raw: NativeRawSender4 | null = null;
  private receivers: RawReceiver4[] = [];
  /** The port the sockets are bound to, read once at open (every raw frame names it). */
  private boundPort = 0;

  constructor(options: IfaceManagerOptions) {
    this.family = options.family;
    this.options = options;
    this.log = options.logger ?? defaultLogManager.getLogger("dhcpsrv");
  }

  get port(): number {
    if (this.boundPort !== 0) return this.boundPort;
    if (this.sockets.length > 0) return this.sockets[0].localPort();
    return this.options.port ?? (this.family === 4 ? DHCP4_SERVER_PORT : DHCP6_SERVER_PORT);
  }

  /** "native" or "dgram" once open. */
  get kind(): SocketKind | undefined {
    return this.kindUsed;
  }

  /** Whether `send` can deliver an IPv4 reply to a hardware address without ARP. */
  get canSendToHwaddr(): boolean {
    return this.raw !== null;
  }

  /** Whether queries are read as link-layer frames (Kea's "raw" socket type, v4). */
  get receivesRaw(): boolean {
    return this.receivers.length > 0;
  }

  /** Frames the raw sockets read and dropped, summed over the interfaces. */
  rawCounters(): RawReceiverCounters {
    const sum = { received: 0, badHeader: 0, badChecksum: 0, truncated: 0 };
    for (const r of this.receivers) {
      const c = r.counters();
      sum.received += c.received;
      sum.badHeader += c.badHeader;
      sum.badChecksum += c.badChecksum;
      sum.truncated += c.truncated;
    }
    return sum;
  }

  /** Whether each interface has its own socket (SO_BINDTODEVICE). */
  get socketPerInterface(): boolean {
    return this.perDevice;
  }

  interfaces(): readonly ServedInterface[] {
    return this.served;
  }

  getIface(ifindex: number): ServedInterface | undefined {
    return this.byIndex.get(ifindex);
  }

  onBatch(handler: IfaceBatchHandler): void {
    this.handler = handler;
  }

  /** Opens the sockets (closing any open ones first). Throws ConfigError for a bad entry. */
  async open(config: InterfacesConfig): Promise<void> {
    this.close();
    const selections = this.select(config.interfaces ?? []);
    if (selections.length === 0) {
      this.log.info("DHCPSRV_IFACE_NONE");
      return;
    }
    const native = this.nativeBinding();
    try {
      if (native === null) await this.openDgram(selections);
      else this.openNative(native, selections);
    } catch (e) {
      this.close();
      throw e;
    }
    this.boundPort = this.sockets.length > 0 ? this.sockets[0].localPort() : 0;
    if (native !== null && this.family === 4 && config["dhcp-socket-type"] !== "udp") {
      this.openRawReceivers(native);
    }
    this.restricted = this.served.some((s) => s.only.length > 0);
    for (const s of this.served) {
      const raw = this.receivers.some((r) => r.ifindex === s.index);
      this.log.info(
        "DHCPSRV_IFACE_LISTEN",
        s.name,
        s.index,
        this.port,
        raw ? "raw" : this.kindUsed,
      );
    }
  }

  /** Kea's "raw" socket type: a packet socket per interface reads the queries; the UDP sockets
   *  keep the port but receive nothing. Falls back to UDP, warned once, when it cannot. */
  private openRawReceivers(binding: NativeBinding): void {
    // Loopback has no link layer to speak of (and the kernel does not route frames written to
    // it): it stays on its UDP socket, as does an interface without an Ethernet address.
    const rawable: ServedInterface[] = [];
    for (const s of this.served) {
      if (s.loopback) continue;
      if (s.index === 0 || s.mac === "" || s.mac === NO_MAC) {
        this.log.warn("DHCPSRV_IFACE_RAW_NO_ETHERNET", s.name);
        continue;
      }
      rawable.push(s);
    }
    // One shared UDP socket serves every interface: raw for some only would read twice.
    if (rawable.length === 0 || (!this.perDevice && rawable.length !== this.served.length)) return;
    const port = this.port;
    try {
      if (this.raw === null) this.raw = new binding.RawSender4();
      for (const s of rawable) {
        const receiver = new RawReceiver4(binding, {
          ifindex: s.index,
          ifname: s.name,
          port,
          batchSize: this.options.batchSize,
          recvBufferSize: this.recvBufferSize(),
          readWindowMs: this.readWindowMs(),
        });
        receiver.onBatch(this.onSharedBatch);
        receiver.onError((error) =>
          this.log.error("DHCPSRV_IFACE_RECEIVE_ERROR", s.name, error.message),
        );
        this.receivers.push(receiver);
      }
    } catch (e) {
      for (const r of this.receivers) r.close();
      this.receivers = [];
      this.log.warn("DHCPSRV_IFACE_RAW_FALLBACK", (e as Error).message);
      return;
    }
    for (const s of rawable) {
      if (s.socket instanceof NativePacketSocket) s.socket.discardInput();
    }
  }

  /** The socket a packet for this interface leaves through. */
  socketFor(ifindex: number | undefined): PacketSocket {
    const served = ifindex === undefined ? undefined : this.byIndex.get(ifindex);
    if (served !== undefined) return served.socket;
    if (this.sockets.length === 0) throw new Error("no socket is open");
    return this.sockets[0];
  }

  /** Sends through the arrival interface's socket; the source defaults to an `iface/address`.
   *  With `hwaddr` (and a raw socket) the datagram goes straight to that link-layer address. */
  send(packet: OutgoingPacket): void {
    if (packet.hwaddr !== undefined && this.raw !== null && this.sendRaw(packet)) return;
    this.socketFor(packet.ifindex).send(this.withSource(packet));
  }

  /** False when the packet cannot go raw (no interface or source address): send it as usual. */
  private sendRaw(packet: OutgoingPacket): boolean {
    const datagram = this.rawDatagram(packet);
    if (datagram === null || this.raw === null) return false;
    this.raw.send(
      datagram.data,
      datagram.ifindex,
      datagram.hwaddr,
      datagram.srcAddr,
      datagram.dstAddr,
      datagram.srcPort,
      datagram.dstPort,
    );
    return true;
  }

  /** The frame for a packet with `hwaddr`, or null when it cannot go raw (unknown interface,
   *  no source address). */
  private rawDatagram(packet: OutgoingPacket): RawDatagram4 | null {
    const served = packet.ifindex === undefined ? undefined : this.byIndex.get(packet.ifindex);
    if (served === undefined || packet.hwaddr === undefined) return null;
    const source = packet.srcAddr ?? served.only[0] ?? served.addresses[0]?.address;
    if (source === undefined) return null;
    return {
      data: packet.data,
      ifindex: served.index,
      hwaddr: packet.hwaddr,
      srcAddr: source,
      dstAddr: packet.dstAddr,
      srcPort: this.port,
      dstPort: packet.dstPort,
    };
  }

  /** Sends a batch with one sendmmsg per socket; failures carry indexes into `packets`. */
  sendBatch(packets: readonly OutgoingPacket[]): SendFailure[] | null {
    if (packets.length === 0) return null;
    if (this.sockets.length === 1 && !this.restricted && !packets.some(hasHwaddr)) {
      return this.sockets[0].sendBatch(packets);
    }
    let failures: SendFailure[] | null = null;
    const groups = new Map<PacketSocket, { packets: OutgoingPacket[]; indexes: number[] }>();
    let frames: RawDatagram4[] | null = null;
    let frameIndexes: number[] | null = null;
    for (let i = 0; i < packets.length; i++) {
      if (packets[i].hwaddr !== undefined && this.raw !== null) {
        const frame = this.rawDatagram(packets[i]);
        if (frame !== null) {
          (frames ??= []).push(frame);
          (frameIndexes ??= []).push(i);
          continue;
        }
      }
      const socket = this.socketFor(packets[i].ifindex);
      let group = groups.get(socket);
      if (group === undefined) {
        group = { packets: [], indexes: [] };
        groups.set(socket, group);
      }
      group.packets.push(this.withSource(packets[i]));
      group.indexes.push(i);
    }
    if (frames !== null && frameIndexes !== null && this.raw !== null) {
      let failed: SendFailure[] | null;
      try {
        failed = this.raw.sendBatch(frames);
      } catch (e) {
        failed = frames.map((_, index) => ({ index, error: e as Error }));
      }
      for (const f of failed ?? []) {
        (failures ??= []).push({ index: frameIndexes[f.index], error: f.error });
      }
    }
    for (const [socket, group] of groups) {
      const failed = socket.sendBatch(group.packets);
      if (failed === null) continue;
      failures ??= [];
      for (const f of failed) failures.push({ index: group.indexes[f.index], error: f.error });
    }
    return failures;
  }

  setReferenced(referenced: boolean): void {
    for (const s of this.sockets) s.setReferenced(referenced);
    for (const r of this.receivers) r.setReferenced(referenced);
  }

  close(): void {
    this.boundPort = 0;
    for (const r of this.receivers) r.close();
    this.receivers = [];
    this.raw?.close();
    this.raw = null;
    for (const s of this.sockets) s.close();
    this.sockets = [];
    this.served = [];
    this.byIndex = new Map();
    this.kindUsed = undefined;
    this.perDevice = false;
    this.restricted = false;
  }

  private withSource(packet: OutgoingPacket): OutgoingPacket {
    if (packet.srcAddr !== undefined || packet.ifindex === undefined) return packet;
    const served = this.byIndex.get(packet.ifindex);
    if (served === undefined || served.only.length === 0) return packet;
    return { ...packet, srcAddr: served.only[0] };
  }

  private nativeBinding(): NativeBinding | null {
    const backend = this.options.backend ?? "auto";
    if (backend === "dgram") return null;
    const { binding, reason } = loadNative();
    if (binding === null) {
      if (backend === "native") throw new Error(`native sockets unavailable: ${reason}`);
      this.log.warn("DHCPSRV_IFACE_NATIVE_UNAVAILABLE", reason);
    }
    return binding;
  }

  /** Resolves the `interfaces` entries against the machine's interfaces. */
  private select(entries: readonly string[]): Selection[] {
    const path = (i: number) => `interfaces-config.interfaces[${i}]`;
    const system = (this.options.listInterfaces ?? (() => listInterfaces(loadNative().binding)))();
    const byName = new Map(system.map((i) => [i.name, i]));
    const chosen = new Map<string, Selection>();
    const add = (iface: NetInterface) => {
      let s = chosen.get(iface.name);
      if (s === undefined) {
        s = { iface, only: [] };
        chosen.set(iface.name, s);
      }
      return s;
    };
    entries.forEach((entry, i) => {
      if (typeof entry !== "string" || entry === "") {
        throw new ConfigError(
          "interface name must be a non-empty string",
          path(i),
          this.options.file,
        );
      }
      if (entry === "*") {
        for (const iface of system) {
          if (iface.up && !iface.loopback && (this.family === 4 || iface.multicast)) add(iface);
        }
        return;
      }
      const slash = entry.indexOf("/");
      const name = slash < 0 ? entry : entry.slice(0, slash);
      const iface = byName.get(name);
      if (iface === undefined) {
        throw new ConfigError(`interface '${name}' does not exist`, path(i), this.options.file);
      }
      const s = add(iface);
      if (slash < 0) return;
      const address = entry.slice(slash + 1);
      if (!iface.addresses.some((a) => a.family === this.family && a.address === address)) {
        throw new ConfigError(
          `interface '${name}' has no IPv${this.family} address ${address}`,
          path(i),
          this.options.file,
        );
      }
      if (!s.only.includes(address)) s.only.push(address);
    });
    for (const s of chosen.values()) {
      if (!s.iface.up) this.log.warn("DHCPSRV_IFACE_DOWN", s.iface.name);
    }
    return [...chosen.values()];
  }

  private readWindowMs(): number {
    return this.options.readWindowMs ?? readWindowFromEnv() ?? DEFAULT_READ_WINDOW_MS;
  }

  /** Warns when net.core.rmem_max capped the receive buffer (the kernel gives twice what it
   *  is asked for when it does not). */
  private checkRecvBuffer(socket: PacketSocket): void {
    const asked = this.recvBufferSize();
    const got = socket.receiveBufferBytes();
    if (asked === undefined || got === null || got >= 2 * asked) return;
    this.log.warn("DHCPSRV_IFACE_RECV_BUFFER_CAPPED", got / 2, asked);
  }

  private recvBufferSize(): number | undefined {
    const size = this.options.recvBufferSize ?? DEFAULT_RECV_BUFFER;
    return size > 0 ? size : undefined;
  }

  private wildcard(): string {
    return this.family === 4 ? "0.0.0.0" : "::";
  }

  private membership(iface: NetInterface): MulticastMembership[] {
    if (this.family === 4) return [];
    return [{ group: ALL_DHCP_RELAY_AGENTS_AND_SERVERS, ifindex: iface.index, ifname: iface.name }];
  }

  private openNative(binding: NativeBinding, selections: Selection[]): void {
    const port = this.options.port ?? (this.family === 4 ? DHCP4_SERVER_PORT : DHCP6_SERVER_PORT);
    const make = () =>
      new NativePacketSocket(this.family, binding, { batchSize: this.options.batchSize });
    const bindToDevice = this.options.bindToDevice ?? "auto";
    if (this.family === 4) this.raw = this.openRaw(binding);
    if (bindToDevice !== false) {
      const sockets: NativePacketSocket[] = [];
      try {
        let boundPort = port;
        for (const s of selections) {
          const socket = make();
          socket.openSync({
            address: this.wildcard(),
            port: boundPort,
            device: s.iface.name,
            memberships: this.membership(s.iface),
            recvBufferSize: this.recvBufferSize(),
            readWindowMs: this.readWindowMs(),
          });
          sockets.push(socket);
          // With port 0 (tests) every interface's socket shares the first one's port.
          if (boundPort === 0) boundPort = socket.localPort();
          this.adopt(s, socket);
        }
        if (sockets.length > 0) this.checkRecvBuffer(sockets[0]);
        this.perDevice = true;
        this.kindUsed = "native";
        return;
      } catch (e) {
        for (const s of sockets) s.close();
        this.resetServed();
        const refused = isSystemError(e) && e.code === "EPERM" && bindToDevice === "auto";
        if (!refused) throw e;
        this.log.warn("DHCPSRV_IFACE_SHARED_SOCKET", e.message);
      }
    }
    const socket = make();
    socket.openSync({
      address: this.wildcard(),
      port,
      memberships: selections.flatMap((s) => this.membership(s.iface)),
      recvBufferSize: this.recvBufferSize(),
      readWindowMs: this.readWindowMs(),
    });
    this.checkRecvBuffer(socket);
    for (const s of selections) this.adopt(s, socket, false);
    this.sockets = [socket];
    socket.onBatch(this.onSharedBatch);
    socket.onError(this.onError);
    this.kindUsed = "native";
  }

  private openRaw(binding: NativeBinding): NativeRawSender4 | null {
    try {
      return new binding.RawSender4();
    } catch (e) {
      this.log.info("DHCPSRV_IFACE_NO_RAW", (e as Error).message);
      return null;
    }
  }

  private async openDgram(selections: Selection[]): Promise<void> {
    const port = this.options.port ?? (this.family === 4 ? DHCP4_SERVER_PORT : DHCP6_SERVER_PORT);
    const single = selections.length === 1 ? selections[0].iface : undefined;
    if (single === undefined) this.log.warn("DHCPSRV_IFACE_ARRIVAL_UNKNOWN", selections.length);
    const socket = new DgramPacketSocket(this.family, {
      assumedIfindex: single?.index ?? 0,
      assumedIfname: single?.name ?? "",
    });
    await socket.open({
      address: this.wildcard(),
      port,
      memberships: selections.flatMap((s) => this.membership(s.iface)),
      recvBufferSize: this.recvBufferSize(),
      readWindowMs: this.readWindowMs(),
    });
    this.checkRecvBuffer(socket);
    for (const s of selections) this.adopt(s, socket, false);
    this.sockets = [socket];
    socket.onBatch(this.onSharedBatch);
    socket.onError(this.onError);
    this.kindUsed = "dgram";
  }

  private adopt(s: Selection, socket: PacketSocket, own = true): void {
    const served: ServedInterface = {
      name: s.iface.name,
      index: s.iface.index,
      mac: s.iface.mac,
      loopback: s.iface.loopback,
      addresses: s.iface.addresses.filter((a) => a.family === this.family),
      only: s.only,
      socket,
    };
    this.served.push(served);
    if (served.index !== 0) this.byIndex.set(served.index, served);
    if (own) {
      this.sockets.push(socket);
      socket.onBatch(this.onSharedBatch);
      socket.onError(this.onError);
    }
  }

  private resetServed(): void {
    this.sockets = [];
    this.served = [];
    this.byIndex = new Map();
  }

  /** Passes the batch on as it is unless a packet must be dropped (no copy in the common case). */
  private readonly onSharedBatch = (packets: readonly ReceivedPacket[]): void => {
    let i = 0;
    while (i < packets.length && this.accepts(packets[i])) i++;
    if (i === packets.length) {
      this.handler(packets);
      return;
    }
    const kept = packets.slice(0, i);
    for (i++; i < packets.length; i++) if (this.accepts(packets[i])) kept.push(packets[i]);
    if (kept.length > 0) this.handler(kept);
  };

  private accepts(p: ReceivedPacket): boolean {
    if (p.ifindex === 0) return true; // node:dgram with several interfaces: cannot tell
    const served = this.byIndex.get(p.ifindex);
    if (served === undefined) {
      this.dropped++;
      this.log.debug(LOG_DEBUG_DETAIL, "DHCPSRV_IFACE_DROP_UNSERVED", p.srcAddr, p.ifname);
      return false;
    }
    if (served.only.length === 0 || this.family !== 4) return true;
    if (p.dstAddr === "" || p.dstAddr === "255.255.255.255" || served.only.includes(p.dstAddr)) {
      return true;
    }
    this.dropped++;
    this.log.debug(
      LOG_DEBUG_DETAIL,
      "DHCPSRV_IFACE_DROP_ADDRESS",
      p.dstAddr,
      served.name,
      served.only.join(","),
    );
    return false;
  }

  private readonly onError = (error: Error, socket: PacketSocket): void => {
    this.log.error("DHCPSRV_IFACE_RECEIVE_ERROR", socket.device ?? "all interfaces", error.message);
  };
}

function hasHwaddr(p: OutgoingPacket): boolean {
  return p.hwaddr !== undefined;
}
