/**
 * DHCPv4-over-DHCPv6 (RFC 7341) between the two servers, as Kea 2.2 does it: with
 * `dhcp4o6-port` P, the DHCPv6 server binds [::1]:P and sends to [::1]:P+1, the DHCPv4 server
 * binds [::1]:P+1 and sends to [::1]:P. Each datagram is a whole DHCPv6 message (relay layers
 * included) whose innermost message carries an ISC vendor option (17, enterprise 2495) with
 * three sub-options: the interface name (60000), the client's source address (60001) and port
 * (60002). A Kea server and a Nestor server can pair up.
 *
 * The DHCPv6 server forwards each DHCPV4-QUERY so (the interface, source address and port it
 * came from); the DHCPv4 server answers with a DHCPV4-RESPONSE naming the same three, which the
 * DHCPv6 server sends to that address.
 */
import dgram from "node:dgram";
import { D6O } from "../../dhcp/constants.ts";
import { ipv6FromString, ipv6ToString } from "../../dhcp/ioaddress.ts";
import { Option } from "../../dhcp/option.ts";
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import { D6O_DHCPV4_MSG, Pkt4o6 } from "../../dhcp/pkt4o6.ts";
import { Pkt6 } from "../../dhcp/pkt6.ts";
import { defineMessages, type Logger } from "../../log/logger.ts";
import { NestorError } from "../../util/errors.ts";
import { listInterfaces } from "./interfaces.ts";
import { loadNative } from "./native.ts";

/** ISC's enterprise number, the vendor of the sub-options below. */
export const ENTERPRISE_ID_ISC = 2495;
/** The interface the query came in on (a string). */
export const ISC_V6_4O6_INTERFACE = 60000;
/** The client's (or relay's) source address (an IPv6 address). */
export const ISC_V6_4O6_SRC_ADDRESS = 60001;
/** The client's (or relay's) source port (uint16). */
export const ISC_V6_4O6_SRC_PORT = 60002;

defineMessages({
  DHCPSRV_DHCP4O6_RECEIVED_BAD_PACKET: "received bad DHCPv4o6 packet: %1",
  DHCPSRV_DHCP4O6_SEND_FAIL: "failed to send a DHCPv4o6 message over the IPC: %1",
  DHCPSRV_DHCP4O6_OPEN: "DHCPv4-over-DHCPv6: listening on [::1]:%1, sending to [::1]:%2",
});

/** A message of the other server that cannot be used (the reason says why). */
export class Dhcp4o6Error extends NestorError {}

/** What the IPC sub-options say of a message: where its client is. */
export interface Dhcp4o6Envelope {
  iface: string;
  remoteAddr: string;
  remotePort: number;
}

/**
 * The datagram that carries `pkt` to the other server (Kea's Dhcp4o6IpcBase::send): the
 * packet's interface, remote address and port as sub-options of its ISC vendor option, added
 * to the one it has or appended as a new option 17.
 */
export function packIpc(pkt: Pkt6): Buffer {
  const subs = Buffer.concat([
    subOption(ISC_V6_4O6_INTERFACE, Buffer.from(pkt.iface, "utf8")),
    subOption(ISC_V6_4O6_SRC_ADDRESS, ipv6FromString(pkt.remoteAddr)),
    subOption(ISC_V6_4O6_SRC_PORT, u16(pkt.remotePort)),
  ]);
  const vendors = pkt.getNonCopiedOptions(D6O.VENDOR_OPTS);
  const isc = vendors.findIndex((o) => vendorId(o) === ENTERPRISE_ID_ISC);
  if (isc < 0) {
    pkt.addOption(new Option(6, D6O.VENDOR_OPTS, Buffer.concat([u32(ENTERPRISE_ID_ISC), subs])));
  } else {
    // Kea adds the sub-options to the client's own ISC vendor option.
    pkt.delAllOptions(D6O.VENDOR_OPTS);
    vendors.forEach((o, i) => {
      pkt.addOption(
        i === isc ? new Option(6, D6O.VENDOR_OPTS, Buffer.concat([payload(o), subs])) : o,
      );
    });
  }
  return pkt.pack();
}

/**
 * A datagram of the other server (Kea's Dhcp4o6IpcBase::receive): the DHCPv6 message with its
 * interface (which must exist here: `ifindex` gives its index, or null), remote address and
 * port set from the ISC sub-options, which are removed (and the vendor option with them when
 * nothing else is left in it). Dhcp4o6Error says what is missing.
 */
export function unpackIpc(
  data: Buffer,
  ifindex: (name: string) => number | null,
  defs?: OptionDefLookup,
): Pkt6 {
  let pkt: Pkt6;
  try {
    pkt = Pkt6.parse(data, defs);
  } catch (e) {
    throw new Dhcp4o6Error(`malformed packet (${(e as Error).message})`);
  }
  const vendors = pkt.getNonCopiedOptions(D6O.VENDOR_OPTS);
  const isc = vendors.findIndex((o) => vendorId(o) === ENTERPRISE_ID_ISC);
  if (isc < 0) throw new Dhcp4o6Error("malformed packet (no ISC vendor option)");
  const subs = readSubOptions(payload(vendors[isc]!).subarray(4));
  const name = subs.get(ISC_V6_4O6_INTERFACE);
  if (name === undefined || name.length === 0) {
    throw new Dhcp4o6Error("malformed packet (interface suboption missing or has incorrect type)");
  }
  const iface = name.toString("utf8");
  const index = ifindex(iface);
  if (index === null) throw new Dhcp4o6Error(`malformed packet (unknown interface ${iface})`);
  const addr = subs.get(ISC_V6_4O6_SRC_ADDRESS);
  if (addr?.length !== 16) {
    throw new Dhcp4o6Error(
      "malformed packet (source address suboption missing or has incorrect type)",
    );
  }
  const port = subs.get(ISC_V6_4O6_SRC_PORT);
  if (port?.length !== 2) {
    throw new Dhcp4o6Error(
      "malformed packet (source port suboption missing or has incorrect type)",
    );
  }
  pkt.iface = iface;
  pkt.ifindex = index;
  pkt.remoteAddr = ipv6ToString(addr);
  pkt.remotePort = port.readUInt16BE(0);
  // The other sub-options (a client's own) stay; an ISC vendor option left empty goes.
  const rest = withoutIpcSubOptions(payload(vendors[isc]!));
  pkt.delAllOptions(D6O.VENDOR_OPTS);
  vendors.forEach((o, i) => {
    if (i !== isc) pkt.addOption(o);
    else if (rest.length > 4) pkt.addOption(new Option(6, D6O.VENDOR_OPTS, rest));
  });
  return pkt;
}

/**
 * The DHCPv4 server's query from a message of the DHCPv6 server (Kea's Dhcp4to6Ipc::handler):
 * the DHCPv4 message of its one option 87, with the DHCPv6 message attached. Dhcp4o6Error
 * when the message has none or several.
 */
export function query4o6(
  data: Buffer,
  ifindex: (name: string) => number | null,
  defs?: OptionDefLookup,
): Pkt4o6 {
  const pkt6 = unpackIpc(data, ifindex);
  const msgs = pkt6.getNonCopiedOptions(D6O_DHCPV4_MSG);
  if (msgs.length === 0) throw new Dhcp4o6Error("DHCPv4 message option not present");
  if (msgs.length > 1) throw new Dhcp4o6Error("more than one DHCPv4 message option");
  return new Pkt4o6(msgs[0]!.getData(), pkt6, defs);
}

/** The enterprise number of a vendor option, or -1 when it is too short to have one. */
function vendorId(o: Option): number {
  const p = payload(o);
  return p.length >= 4 ? p.readUInt32BE(0) : -1;
}

/** An option's payload as on the wire (its data and sub-options). */
function payload(o: Option): Buffer {
  return o.pack().subarray(4);
}

function subOption(code: number, data: Buffer): Buffer {
  return Buffer.concat([u16(code), u16(data.length), data]);
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v, 0);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v, 0);
  return b;
}

/** The sub-options of a vendor option (after its enterprise number): the first of each code. */
function readSubOptions(b: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let off = 0; off + 4 <= b.length;) {
    const code = b.readUInt16BE(off);
    const len = b.readUInt16BE(off + 2);
    if (off + 4 + len > b.length) break;
    if (!out.has(code)) out.set(code, b.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

/** A vendor option's payload without the three IPC sub-options. */
function withoutIpcSubOptions(p: Buffer): Buffer {
  const kept: Buffer[] = [p.subarray(0, 4)];
  for (let off = 4; off + 4 <= p.length;) {
    const code = p.readUInt16BE(off);
    const len = p.readUInt16BE(off + 2);
    const end = Math.min(p.length, off + 4 + len);
    if (code < ISC_V6_4O6_INTERFACE || code > ISC_V6_4O6_SRC_PORT) kept.push(p.subarray(off, end));
    off = end;
  }
  return Buffer.concat(kept);
}

let ifindexes = new Map<string, number>();

/**
 * The index of a network interface of this machine by name, or null when there is none (the
 * list is read again when a name is not in it).
 */
export function systemIfindex(name: string): number | null {
  let index = ifindexes.get(name);
  if (index === undefined) {
    ifindexes = new Map(listInterfaces(loadNative().binding).map((i) => [i.name, i.index]));
    index = ifindexes.get(name);
  }
  return index ?? null;
}

/** Which server an endpoint belongs to: the DHCPv6 server binds the port, the v4 one the next. */
export type Dhcp4o6Side = 4 | 6;

/** The ports of a side: where it listens, where it sends. */
export function ipcPorts(port: number, side: Dhcp4o6Side): { local: number; remote: number } {
  return side === 6 ? { local: port, remote: port + 1 } : { local: port + 1, remote: port };
}

/**
 * One server's end of the IPC: a UDP socket on [::1] bound and connected as Kea's. Each
 * datagram received goes to `onMessage`; `send` throws when the IPC is off.
 */
export class Dhcp4o6Ipc {
  private socket: dgram.Socket | null = null;
  private port = 0;
  private readonly side: Dhcp4o6Side;
  private readonly log: Logger;
  private readonly onMessage: (data: Buffer) => void;

  constructor(side: Dhcp4o6Side, log: Logger, onMessage: (data: Buffer) => void) {
    this.side = side;
    this.log = log;
    this.onMessage = onMessage;
  }

  /** Whether the IPC is on. */
  get open(): boolean {
    return this.socket !== null;
  }

  /** Opens (or keeps, or closes for 0) the socket of `dhcp4o6-port`; rejects when it cannot. */
  async configure(port: number): Promise<void> {
    if (port === this.port && (port === 0 || this.socket !== null)) return;
    this.close();
    if (port === 0) return;
    const { local, remote } = ipcPorts(port, this.side);
    const socket = dgram.createSocket({ type: "udp6", ipv6Only: true });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: "::1", port: local, exclusive: true }, () => {
        socket.connect(remote, "::1", () => {
          socket.off("error", reject);
          resolve();
        });
      });
    }).catch((e: unknown) => {
      socket.close();
      throw new Dhcp4o6Error(
        `failed to open the DHCP4o6 socket on [::1]:${local}: ${(e as Error).message}`,
      );
    });
    // The other server not listening yet shows as errors of the sends: logged, not fatal.
    socket.on("error", (e) => this.log.warn("DHCPSRV_DHCP4O6_SEND_FAIL", e.message));
    socket.on("message", (data) => this.onMessage(data));
    this.socket = socket;
    this.port = port;
    this.log.info("DHCPSRV_DHCP4O6_OPEN", local, remote);
  }

  /** Sends one message to the other server; throws when the IPC is off. */
  send(data: Uint8Array): void {
    const socket = this.socket;
    if (socket === null) {
      throw new Dhcp4o6Error("unable to send DHCP4o6 message because IPC socket is closed");
    }
    socket.send(data, (e) => {
      if (e) this.log.warn("DHCPSRV_DHCP4O6_SEND_FAIL", e.message);
    });
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
    this.port = 0;
  }
}
