/**
 * A DHCPv6 packet (Kea's Pkt6). A relayed message arrives wrapped in RELAY-FORW (or RELAY-REPL)
 * layers; unpack() peels them into `relayInfo` and the packet itself is the innermost client
 * message. relayInfo[0] is the relay closest to the server (the outermost layer), as in Kea.
 * pack() rebuilds the layers around the message, putting each relay's relay-msg option back
 * where it was received (new relay info: after the relay's other options, as Kea does).
 *
 * Errors (PacketParseError): fewer than 4 bytes of message header, a relay header shorter than
 * 34 bytes, a relay without relay-msg, more than 32 relay layers (RFC 8415 HOP_COUNT_LIMIT),
 * an option or sub-option running past its end.
 */
import { BadValue, PacketParseError } from "./errors.ts";
import { DUID } from "./duid.ts";
import { ipv6FromString, ipv6ToString } from "./ioaddress.ts";
import { copyBytes } from "./option.ts";
import type { Option } from "./option.ts";
import { createOption, newWireScratch, unpackOptions } from "./libdhcp.ts";
import type { OptionDefLookup } from "./option-definition.ts";
import { getStdOptionDefs } from "./std-option-defs.ts";
import { Pkt, checkUint, retrieve } from "./pkt.ts";
import { D6O, DHCPv6MessageType, HOP_COUNT_LIMIT, dhcp6TypeName } from "./constants.ts";

/** Search orders of getAnyRelayOption (Kea's Pkt6::RelaySearchOrder). */
export const RelaySearchOrder = {
  /** From the relay closest to the client towards the server; first match. */
  RELAY_SEARCH_FROM_CLIENT: 1,
  /** From the relay closest to the server towards the client; first match. */
  RELAY_SEARCH_FROM_SERVER: 2,
  /** Only the relay closest to the client. */
  RELAY_GET_FIRST: 3,
  /** Only the relay closest to the server. */
  RELAY_GET_LAST: 4,
} as const;
export type RelaySearchOrderValue = (typeof RelaySearchOrder)[keyof typeof RelaySearchOrder];

/** One relay layer: its header and its own options (interface-id, remote-id, ...). */
export class RelayInfo {
  msgType: number;
  hopCount: number;
  /** Length of the relay-msg payload as received (0 for relay info built locally). */
  relayMsgLen: number;
  /** The relay's options other than relay-msg. */
  options: Option[];
  /** Index in `options` before which relay-msg goes; -1 means after all of them. */
  relayMsgIndex: number;
  // Addresses stay as 16 bytes (a view into the packet when parsed) until read as text.
  private linkBytes: Buffer;
  private peerBytes: Buffer;

  constructor(
    msgType: number = DHCPv6MessageType.DHCPV6_RELAY_FORW,
    hopCount = 0,
    linkAddr: string | Buffer = "::",
    peerAddr: string | Buffer = "::",
  ) {
    this.msgType = msgType;
    this.hopCount = hopCount;
    this.relayMsgLen = 0;
    this.options = [];
    this.relayMsgIndex = -1;
    this.linkBytes = typeof linkAddr === "string" ? ipv6FromString(linkAddr) : linkAddr;
    this.peerBytes = typeof peerAddr === "string" ? ipv6FromString(peerAddr) : peerAddr;
  }

  /** Link address as IPv6 text. */
  get linkAddr(): string {
    return ipv6ToString(this.linkBytes);
  }
  set linkAddr(a: string) {
    this.linkBytes = ipv6FromString(a);
  }

  /** Peer address as IPv6 text. */
  get peerAddr(): string {
    return ipv6ToString(this.peerBytes);
  }
  set peerAddr(a: string) {
    this.peerBytes = ipv6FromString(a);
  }

  /** The 16 address bytes (do not modify in place). */
  getLinkAddrBytes(): Buffer {
    return this.linkBytes;
  }

  getPeerAddrBytes(): Buffer {
    return this.peerBytes;
  }

  /** Writes the 34-byte relay header at `off`. */
  packHeader(out: Buffer, off: number): void {
    out[off] = this.msgType;
    out[off + 1] = this.hopCount;
    copyBytes(this.linkBytes, out, off + 2);
    copyBytes(this.peerBytes, out, off + 18);
  }

  getOption(code: number): Option | undefined {
    return retrieve(this.options, code, false);
  }

  toText(): string {
    let s =
      `msg-type=${this.msgType}(${dhcp6TypeName(this.msgType)}), hop-count=${this.hopCount},\n` +
      `link-address=${this.linkAddr}, peer-address=${this.peerAddr}, ` +
      `${this.options.length} option(s)`;
    for (const o of this.options) s += "\n" + o.toText(2);
    return s;
  }
}

const EMPTY = Buffer.alloc(0);
/** The relay layer sizes of a message without relays (packLevel reads none). */
const NO_SIZES: number[] = [];
// The parser's scratch for a packet's options (setWireOptions copies them): unpack() is
// synchronous, so one pair serves every packet.
const SCRATCH = newWireScratch();

export class Pkt6 extends Pkt {
  msgType: number;
  relayInfo: RelayInfo[];

  /** Wraps received bytes; call unpack() to parse them. */
  constructor(data: Uint8Array = EMPTY, defs: OptionDefLookup = getStdOptionDefs()) {
    super(data, 0, defs);
    this.msgType = DHCPv6MessageType.DHCPV6_NOTYPE;
    this.relayInfo = [];
  }

  /** A fresh packet of a message type. */
  static create(msgType: number, transid: number, defs?: OptionDefLookup): Pkt6 {
    const p = new Pkt6(EMPTY, defs);
    p.setType(msgType);
    p.setTransid(transid);
    return p;
  }

  /** new Pkt6(buf) + unpack(). */
  static parse(buf: Uint8Array, defs?: OptionDefLookup): Pkt6 {
    const p = new Pkt6(buf, defs);
    p.unpack();
    return p;
  }

  unpack(): void {
    const b = this.data;
    const defs = this.optionDefs;
    let p = 0;
    let end = b.length;
    const relays: RelayInfo[] = [];
    for (;;) {
      if (end - p < 1) throw new PacketParseError(p, "empty message");
      const type = b[p]!;
      if (
        type !== DHCPv6MessageType.DHCPV6_RELAY_FORW &&
        type !== DHCPv6MessageType.DHCPV6_RELAY_REPL
      ) {
        if (end - p < 4) {
          throw new PacketParseError(p, `truncated message header: ${end - p} bytes, 4 needed`);
        }
        this.msgType = type;
        this.transid = (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!;
        SCRATCH.count = 0;
        unpackOptions(6, "dhcp6", b, p + 4, end, defs, 0, SCRATCH);
        this.setWireOptions(6, b, defs, SCRATCH);
        this.relayInfo = relays;
        return;
      }
      if (relays.length === HOP_COUNT_LIMIT) {
        throw new PacketParseError(p, `relay nesting deeper than ${HOP_COUNT_LIMIT} levels`);
      }
      if (end - p < 34) {
        throw new PacketParseError(p, `truncated relay header: ${end - p} bytes, 34 needed`);
      }
      const relay = new RelayInfo(
        type,
        b[p + 1]!,
        b.subarray(p + 2, p + 18),
        b.subarray(p + 18, p + 34),
      );
      let q = p + 34;
      let msgStart = -1;
      let msgEnd = -1;
      while (q < end) {
        if (end - q < 4)
          throw new PacketParseError(q, `truncated option header (${end - q} bytes left)`);
        const code = (b[q]! << 8) | b[q + 1]!;
        const len = (b[q + 2]! << 8) | b[q + 3]!;
        if (q + 4 + len > end) {
          throw new PacketParseError(q, `option ${code} length ${len} runs past end of buffer`);
        }
        if (code === D6O.RELAY_MSG && msgStart < 0) {
          msgStart = q + 4;
          msgEnd = q + 4 + len;
          relay.relayMsgIndex = relay.options.length;
        } else {
          createOption(6, "dhcp6", code, b, q + 4, q + 4 + len, defs, 0, relay.options);
        }
        q += 4 + len;
      }
      if (msgStart < 0) throw new PacketParseError(p, "relay message without relay-msg option");
      if (relay.relayMsgIndex === relay.options.length) relay.relayMsgIndex = -1;
      relay.relayMsgLen = msgEnd - msgStart;
      relays.push(relay);
      p = msgStart;
      end = msgEnd;
    }
  }

  /** Builds the wire form (with relay layers), stores it for getBuffer() and returns it. */
  pack(): Buffer {
    checkUint(this.transid, 24, "transaction id");
    const opts = this.optionList();
    let inner = 4;
    for (let i = 0; i < opts.length; i++) inner += opts[i]!.len();
    if (this.relayInfo.length === 0) {
      const out = Buffer.allocUnsafe(inner);
      this.packLevel(out, 0, 0, NO_SIZES);
      this.bufferOut = out;
      return out;
    }
    const sizes = new Array<number>(this.relayInfo.length + 1);
    sizes[this.relayInfo.length] = inner;
    for (let i = this.relayInfo.length - 1; i >= 0; i--) {
      let n = 34 + 4 + sizes[i + 1]!;
      const ro = this.relayInfo[i]!.options;
      for (let k = 0; k < ro.length; k++) n += ro[k]!.len();
      if (sizes[i + 1]! > 65535)
        throw new BadValue(`relayed message of ${sizes[i + 1]} bytes is too long`);
      sizes[i] = n;
    }
    const out = Buffer.allocUnsafe(sizes[0]!);
    this.packLevel(out, 0, 0, sizes);
    this.bufferOut = out;
    return out;
  }

  private packLevel(out: Buffer, level: number, off: number, sizes: number[]): number {
    if (level === this.relayInfo.length) {
      out[off] = this.msgType;
      out[off + 1] = (this.transid >>> 16) & 255;
      out[off + 2] = (this.transid >>> 8) & 255;
      out[off + 3] = this.transid & 255;
      off += 4;
      const opts = this.optionList();
      for (let i = 0; i < opts.length; i++) off = opts[i]!.packInto(out, off);
      return off;
    }
    const r = this.relayInfo[level]!;
    r.packHeader(out, off);
    off += 34;
    const at = r.relayMsgIndex < 0 ? r.options.length : Math.min(r.relayMsgIndex, r.options.length);
    for (let i = 0; i < at; i++) off = r.options[i]!.packInto(out, off);
    const len = sizes[level + 1]!;
    out[off] = 0;
    out[off + 1] = D6O.RELAY_MSG;
    out[off + 2] = len >>> 8;
    out[off + 3] = len & 255;
    off = this.packLevel(out, level + 1, off + 4, sizes);
    for (let i = at; i < r.options.length; i++) off = r.options[i]!.packInto(out, off);
    return off;
  }

  getType(): number {
    return this.msgType;
  }

  setType(t: number): void {
    checkUint(t, 8, "message type");
    this.msgType = t;
  }

  override setTransid(t: number): void {
    checkUint(t, 24, "transaction id");
    this.transid = t;
  }

  /** "SOLICIT", "RELAY_FORWARD", ... (Kea's getName()). */
  getName(): string {
    return dhcp6TypeName(this.msgType);
  }

  /** The client DUID from option 1, or null when absent or malformed. */
  getClientId(): DUID | null {
    const d = this.payload(D6O.CLIENTID);
    if (d === undefined) return null;
    return d.length >= 3 && d.length <= 130 ? new DUID(d) : null;
  }

  override addOption(opt: Option): void {
    if (opt.universe !== 6) throw new BadValue("cannot add a DHCPv4 option to a DHCPv6 packet");
    super.addOption(opt);
  }

  /** Adds a relay layer at the outside (closest to the server). */
  addRelayInfo(relay: RelayInfo): void {
    this.relayInfo.unshift(relay);
  }

  private relayAt(level: number): RelayInfo {
    const r = this.relayInfo[level];
    if (r === undefined) {
      throw new BadValue(`no relay level ${level}: the packet has ${this.relayInfo.length}`);
    }
    return r;
  }

  /** An option of the relay at `level` (0 = closest to the server). */
  getRelayOption(code: number, level: number): Option | undefined {
    return retrieve(this.relayAt(level).options, code, this.copyRetrievedOptions);
  }

  /** The relay option in the packet itself, never a copy. */
  getNonCopiedRelayOption(code: number, level: number): Option | undefined {
    return retrieve(this.relayAt(level).options, code, false);
  }

  /** An option from any relay, searched in the given order (Kea's getAnyRelayOption). */
  getAnyRelayOption(code: number, order: RelaySearchOrderValue): Option | undefined {
    return this.anyRelayOption(code, order, this.copyRetrievedOptions);
  }

  getNonCopiedAnyRelayOption(code: number, order: RelaySearchOrderValue): Option | undefined {
    return this.anyRelayOption(code, order, false);
  }

  private anyRelayOption(
    code: number,
    order: RelaySearchOrderValue,
    copy: boolean,
  ): Option | undefined {
    const n = this.relayInfo.length;
    if (n === 0) return undefined;
    switch (order) {
      case RelaySearchOrder.RELAY_SEARCH_FROM_CLIENT:
        for (let i = n - 1; i >= 0; i--) {
          const o = retrieve(this.relayInfo[i]!.options, code, copy);
          if (o !== undefined) return o;
        }
        return undefined;
      case RelaySearchOrder.RELAY_SEARCH_FROM_SERVER:
        for (let i = 0; i < n; i++) {
          const o = retrieve(this.relayInfo[i]!.options, code, copy);
          if (o !== undefined) return o;
        }
        return undefined;
      case RelaySearchOrder.RELAY_GET_FIRST:
        return retrieve(this.relayInfo[n - 1]!.options, code, copy);
      case RelaySearchOrder.RELAY_GET_LAST:
        return retrieve(this.relayInfo[0]!.options, code, copy);
      default:
        throw new BadValue(`unknown relay search order ${String(order)}`);
    }
  }

  getRelay6LinkAddress(level: number): string {
    return this.relayAt(level).linkAddr;
  }

  getRelay6PeerAddress(level: number): string {
    return this.relayAt(level).peerAddr;
  }

  /**
   * Copies the relay layers of a query into this response as RELAY-REPL, keeping hop count,
   * link and peer addresses, and the interface-id and relay-source-port options (as Kea).
   */
  copyRelayInfo(query: Pkt6): void {
    this.relayInfo = query.relayInfo.map((r) => {
      const c = new RelayInfo(
        DHCPv6MessageType.DHCPV6_RELAY_REPL,
        r.hopCount,
        r.getLinkAddrBytes(),
        r.getPeerAddrBytes(),
      );
      for (const o of r.options) {
        if (o.type === D6O.INTERFACE_ID || o.type === D6O.RELAY_SOURCE_PORT)
          c.options.push(o.clone());
      }
      return c;
    });
  }

  toText(): string {
    let s =
      `localAddr=[${this.localAddr}]:${this.localPort} ` +
      `remoteAddr=[${this.remoteAddr}]:${this.remotePort}\n` +
      `msgtype=${this.msgType}(${this.getName()}), transid=0x${this.transid.toString(16)}`;
    s += this.optionsToText();
    if (this.relayInfo.length > 0) {
      s += `\n${this.relayInfo.length} relay(s):`;
      for (const r of this.relayInfo) s += "\n" + r.toText();
    } else {
      s += "\nNo relays traversed.";
    }
    return s;
  }
}
