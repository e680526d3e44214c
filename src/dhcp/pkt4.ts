/**
 * A DHCPv4 (or BOOTP) packet, in Kea's shape: `new Pkt4(bytes)` keeps the raw bytes and
 * `unpack()` parses them (a buffer4_receive callout may do that itself); `Pkt4.create(type,
 * xid)` starts a fresh packet; `pack()` builds the wire form.
 *
 * Header addresses are exposed as dotted-quad strings (ciaddr, yiaddr, siaddr, giaddr) and kept
 * internally as 32-bit numbers, so parsing allocates no strings; the *Int accessors give the
 * numbers directly.
 *
 * Parsing rules (each a decision; Kea's behaviour noted):
 * - fewer than 236 bytes, 237..239 bytes, or a wrong magic cookie: PacketParseError. Exactly
 *   236 bytes is a BOOTP packet without options (Kea accepts it too).
 * - PAD (0) is skipped; END (255) ends the options. After END only zero bytes may follow
 *   (clients pad to 300 bytes); any other byte is an error. Kea ignores what follows END; we
 *   refuse it, because those bytes would otherwise vanish silently on a round trip. Options
 *   without END are accepted. In overloaded sname/file fields, bytes after END are ignored.
 * - An option whose length runs past the end, or a sub-option past the end of its option:
 *   PacketParseError.
 * - RFC 3396: several instances of one code (in options, file, then sname) are joined into one
 *   option, in that order. pack() splits a payload above 255 bytes again.
 * - Option 52 (overload): options in file and/or sname are read and joined; the option 52 is
 *   then dropped and those fields cleared, so pack() emits the same options without overload.
 * - Option 53 must be exactly one byte.
 * - An option whose payload does not fit its definition is kept as a plain Option with the
 *   same bytes (Kea drops such packets or skips the option); nothing received is lost.
 * - pack() writes the options in list order, then END, so a parsed packet packs back byte for
 *   byte. Kea instead packs option 53 first and option 82 last; here addOption() keeps option
 *   82 at the end of the list (RFC 3046) and create()/setType() put option 53 first, which
 *   gives the same order for the packets a server builds. (Reordering in pack() would change
 *   received packets: dhcpcd sends option 50 before 53.)
 */
import { BadValue, PacketParseError } from "./errors.ts";
import { HWAddr } from "./hwaddr.ts";
import { ClientId } from "./duid.ts";
import { ipv4FromString, ipv4ToString, readU32, toHex, writeU32 } from "./ioaddress.ts";
import { Option, copyBytes, toBuffer } from "./option.ts";
import { canWait, createOption, enterWire, newWireScratch } from "./libdhcp.ts";
import type { OptionDefLookup } from "./option-definition.ts";
import { getStdOptionDefs } from "./std-option-defs.ts";
import { Pkt, checkUint, retrieve } from "./pkt.ts";
import {
  BOOTP_BROADCAST,
  BOOTREPLY,
  BOOTREQUEST,
  DHCP_OPTIONS_COOKIE,
  DHCPMessageType,
  DHCPV4_PKT_HDR_LEN,
  DHO,
  MAX_CHADDR_LEN,
  MAX_FILE_LEN,
  MAX_SNAME_LEN,
  dhcp4TypeName,
} from "./constants.ts";

const SNAME_OFF = 44;
const FILE_OFF = 108;
const COOKIE_OFF = 236;
const OPTIONS_OFF = 240;

// Scratch for the option scan: [code, start, length] per TLV. Parsing is synchronous, so one
// module-level table serves every packet without allocation.
let scan = new Int32Array(3 * 256);
let scanCount = 0;
const seen = new Uint8Array(256);

export class Pkt4 extends Pkt {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  secs: number;
  flags: number;
  private ciaddrN: number;
  private yiaddrN: number;
  private siaddrN: number;
  private giaddrN: number;
  // The chaddr, sname and file fields; null: still in `wireBuf` (a received packet's), where
  // pack() copies them from and a view is made only when something asks for the field.
  private chaddrB: Buffer | null;
  /** With chaddrB null: the hardware address setHWAddr gave (chaddr is it zero-padded), or null
   *  for the received bytes. */
  private hwBytes: Uint8Array | null;
  private snameB: Buffer | null;
  private fileB: Buffer | null;
  private hwaddrCache: HWAddr | null;
  /** Kea's local and remote hardware addresses: set explicitly, or read from `link` when
   *  undefined (built on first use). */
  private localHw: HWAddr | null | undefined;
  private remoteHw: HWAddr | null | undefined;

  /** Wraps received bytes; call unpack() to parse them. */
  constructor(data: Uint8Array = EMPTY, defs: OptionDefLookup = getStdOptionDefs()) {
    super(data, 0, defs);
    this.op = BOOTREQUEST;
    this.htype = 1;
    this.hlen = 0;
    this.hops = 0;
    this.secs = 0;
    this.flags = 0;
    this.ciaddrN = 0;
    this.yiaddrN = 0;
    this.siaddrN = 0;
    this.giaddrN = 0;
    this.chaddrB = ZERO_CHADDR;
    this.hwBytes = null;
    this.snameB = ZERO_SNAME;
    this.fileB = ZERO_FILE;
    this.hwaddrCache = null;
    this.localHw = undefined;
    this.remoteHw = undefined;
  }

  /** A fresh packet of a message type (option 53 added first), BOOTREPLY for server types. */
  static create(msgType: number, transid: number, defs?: OptionDefLookup): Pkt4 {
    const p = new Pkt4(EMPTY, defs);
    checkUint(transid, 32, "transaction id");
    p.transid = transid;
    p.op = isReplyType(msgType) ? BOOTREPLY : BOOTREQUEST;
    p.setType(msgType);
    return p;
  }

  /** new Pkt4(buf) + unpack(). */
  static parse(buf: Uint8Array, defs?: OptionDefLookup): Pkt4 {
    const p = new Pkt4(buf, defs);
    p.unpack();
    return p;
  }

  unpack(): void {
    const b = this.data;
    const n = b.length;
    if (n < DHCPV4_PKT_HDR_LEN) {
      throw new PacketParseError(n, `truncated BOOTP header: ${n} bytes, at least 236 needed`);
    }
    this.op = b[0]!;
    this.htype = b[1]!;
    this.hlen = b[2]!;
    this.hops = b[3]!;
    this.transid = readU32(b, 4);
    this.secs = (b[8]! << 8) | b[9]!;
    this.flags = (b[10]! << 8) | b[11]!;
    this.ciaddrN = readU32(b, 12);
    this.yiaddrN = readU32(b, 16);
    this.siaddrN = readU32(b, 20);
    this.giaddrN = readU32(b, 24);
    this.chaddrB = null;
    this.hwBytes = null;
    this.snameB = null;
    this.fileB = null;
    this.hwaddrCache = null;
    SCRATCH.count = 0;
    this.setWireOptions(4, b, this.optionDefs, SCRATCH);
    if (n === DHCPV4_PKT_HDR_LEN) return; // BOOTP without vendor extensions
    if (n < OPTIONS_OFF) {
      throw new PacketParseError(COOKIE_OFF, `truncated magic cookie: ${n - COOKIE_OFF} bytes`);
    }
    const cookie = readU32(b, COOKIE_OFF);
    if (cookie !== DHCP_OPTIONS_COOKIE) {
      throw new PacketParseError(
        COOKIE_OFF,
        `invalid magic cookie 0x${cookie.toString(16).padStart(8, "0")}`,
      );
    }
    scanCount = 0;
    SCRATCH.count = 0;
    scanOptions(b, OPTIONS_OFF, n, true, "end of buffer");
    const overload = this.findOverload(b);
    if (overload !== 0) {
      if (overload & 1)
        scanOptions(b, FILE_OFF, FILE_OFF + MAX_FILE_LEN, false, "end of file field");
      if (overload & 2) {
        scanOptions(b, SNAME_OFF, SNAME_OFF + MAX_SNAME_LEN, false, "end of sname field");
      }
      if (overload & 1) this.fileB = ZERO_FILE;
      if (overload & 2) this.snameB = ZERO_SNAME;
    }
    buildOptions(b, this.optionDefs, overload !== 0);
    this.setWireOptions(4, b, this.optionDefs, SCRATCH);
  }

  /** The value of a well-formed option 52 among the scanned options, else 0. */
  private findOverload(b: Buffer): number {
    for (let i = 0; i < scanCount; i++) {
      if (scan[3 * i] === DHO.DHCP_OPTION_OVERLOAD && scan[3 * i + 2] === 1) {
        const v = b[scan[3 * i + 1]!]!;
        return v >= 1 && v <= 3 ? v : 0;
      }
    }
    return 0;
  }

  /**
   * Builds the wire form: header, magic cookie, options, END, then zero padding up to
   * `minSize` bytes (300 for BOOTP clients). Stores it for getBuffer() and returns it.
   */
  pack(minSize = 0): Buffer {
    let optLen = 1; // END
    const opts = this.optionList();
    for (let i = 0; i < opts.length; i++) optLen += opts[i]!.len();
    const total = Math.max(OPTIONS_OFF + optLen, minSize);
    // Pooled and not zeroed (Buffer.alloc costs ~10x more); every byte is written below.
    const out = Buffer.allocUnsafe(total);
    out[0] = this.op;
    out[1] = this.htype;
    out[2] = this.hlen;
    out[3] = this.hops;
    writeU32(out, 4, this.transid);
    out[8] = this.secs >>> 8;
    out[9] = this.secs & 255;
    out[10] = this.flags >>> 8;
    out[11] = this.flags & 255;
    writeU32(out, 12, this.ciaddrN);
    writeU32(out, 16, this.yiaddrN);
    writeU32(out, 20, this.siaddrN);
    writeU32(out, 24, this.giaddrN);
    const raw = this.wireBuf;
    if (this.chaddrB !== null) this.chaddrB.copy(out, 28);
    else if (this.hwBytes !== null) {
      const end = copyBytes(this.hwBytes, out, 28);
      out.fill(0, end, 28 + MAX_CHADDR_LEN);
    } else raw.copy(out, 28, 28, 28 + MAX_CHADDR_LEN);
    if (this.snameB === null) raw.copy(out, SNAME_OFF, SNAME_OFF, SNAME_OFF + MAX_SNAME_LEN);
    else this.snameB.copy(out, SNAME_OFF);
    if (this.fileB === null) raw.copy(out, FILE_OFF, FILE_OFF, FILE_OFF + MAX_FILE_LEN);
    else this.fileB.copy(out, FILE_OFF);
    writeU32(out, COOKIE_OFF, DHCP_OPTIONS_COOKIE);
    let off = OPTIONS_OFF;
    for (let i = 0; i < opts.length; i++) off = opts[i]!.packInto(out, off);
    out[off] = DHO.END;
    if (off + 1 < total) out.fill(0, off + 1);
    this.bufferOut = out;
    return out;
  }

  /** Message type from option 53; DHCP_NOTYPE (0) when absent, as for BOOTP. */
  getType(): number {
    // Still bytes: one byte, as unpack() checked.
    const at = this.wireStart(DHO.DHCP_MESSAGE_TYPE);
    if (at >= 0) return this.wireBuf[at]!;
    const o = this.getNonCopiedOption(DHO.DHCP_MESSAGE_TYPE);
    if (o === undefined) return DHCPMessageType.DHCP_NOTYPE;
    const d = o.getData();
    return d.length > 0 ? d[0]! : DHCPMessageType.DHCP_NOTYPE;
  }

  /** Sets option 53 (added first if missing). */
  setType(type: number): void {
    checkUint(type, 8, "message type");
    const opts = this.optionList();
    const existing = retrieve(opts, DHO.DHCP_MESSAGE_TYPE, false);
    const def = getStdOptionDefs().get("dhcp4", DHO.DHCP_MESSAGE_TYPE)!;
    // One uint8 always fits the definition: no wire checks to run on it. The payload is shared
    // by every option 53 of this type (an option's payload is never written in place).
    const opt = def.instantiate((TYPE_PAYLOADS[type] ??= Buffer.from([type])));
    if (existing === undefined) opts.unshift(opt);
    else opts[opts.indexOf(existing)] = opt;
  }

  /**
   * The codes of the deferred options the packet holds (isDeferred), each once, in the order of
   * their first instance; null when there are none (the packet's option list read in place).
   */
  deferredCodes(): number[] | null {
    const wire = this.wireCodes();
    let codes: number[] | null = null;
    if (wire !== null) {
      for (let i = 0; i < wire.length; i += 3) codes = addDeferred(codes, wire[i]!);
    } else {
      const opts = this.options;
      for (let i = 0; i < opts.length; i++) codes = addDeferred(codes, opts[i]!.type);
    }
    return codes;
  }

  /** "DHCPDISCOVER", ... (Kea's getName()). */
  getName(): string {
    return dhcp4TypeName(this.getType());
  }

  /**
   * Adds an option at the end, but before option 82, which stays last (RFC 3046). As in Kea,
   * DHCPv4 options are unique: adding a code already present throws BadValue (delOption
   * first), except the vendor options 124 and 125, which take one instance per enterprise.
   */
  override addOption(opt: Option): void {
    if (opt.universe !== 4) throw new BadValue("cannot add a DHCPv6 option to a DHCPv4 packet");
    if (opt.type === 0 || opt.type === 255) {
      throw new BadValue(`option code ${opt.type} is PAD/END and cannot be added`);
    }
    const opts = this.optionList();
    if (opt.type !== DHO.VIVCO_SUBOPTIONS && opt.type !== DHO.VIVSO_SUBOPTIONS) {
      if (retrieve(opts, opt.type, false) !== undefined) {
        throw new BadValue(`option ${opt.type} is already present in this message`);
      }
    }
    if (opt.type !== DHO.DHCP_AGENT_OPTIONS) {
      for (let i = 0; i < opts.length; i++) {
        if (opts[i]!.type === DHO.DHCP_AGENT_OPTIONS) {
          opts.splice(i, 0, opt);
          return;
        }
      }
    }
    opts.push(opt);
  }

  // --- header addresses -------------------------------------------------------------------

  get ciaddr(): string {
    return ipv4ToString(this.ciaddrN);
  }
  set ciaddr(a: string) {
    this.ciaddrN = ipv4FromString(a);
  }
  get yiaddr(): string {
    return ipv4ToString(this.yiaddrN);
  }
  set yiaddr(a: string) {
    this.yiaddrN = ipv4FromString(a);
  }
  get siaddr(): string {
    return ipv4ToString(this.siaddrN);
  }
  set siaddr(a: string) {
    this.siaddrN = ipv4FromString(a);
  }
  get giaddr(): string {
    return ipv4ToString(this.giaddrN);
  }
  set giaddr(a: string) {
    this.giaddrN = ipv4FromString(a);
  }

  get ciaddrInt(): number {
    return this.ciaddrN;
  }
  set ciaddrInt(v: number) {
    checkUint(v, 32, "ciaddr");
    this.ciaddrN = v;
  }
  get yiaddrInt(): number {
    return this.yiaddrN;
  }
  set yiaddrInt(v: number) {
    checkUint(v, 32, "yiaddr");
    this.yiaddrN = v;
  }
  get siaddrInt(): number {
    return this.siaddrN;
  }
  set siaddrInt(v: number) {
    checkUint(v, 32, "siaddr");
    this.siaddrN = v;
  }
  get giaddrInt(): number {
    return this.giaddrN;
  }
  set giaddrInt(v: number) {
    checkUint(v, 32, "giaddr");
    this.giaddrN = v;
  }

  // Kea-style accessors.
  getCiaddr(): string {
    return this.ciaddr;
  }
  setCiaddr(a: string): void {
    this.ciaddr = a;
  }
  getYiaddr(): string {
    return this.yiaddr;
  }
  setYiaddr(a: string): void {
    this.yiaddr = a;
  }
  getSiaddr(): string {
    return this.siaddr;
  }
  setSiaddr(a: string): void {
    this.siaddr = a;
  }
  getGiaddr(): string {
    return this.giaddr;
  }
  setGiaddr(a: string): void {
    this.giaddr = a;
  }
  getOp(): number {
    return this.op;
  }
  setOp(op: number): void {
    checkUint(op, 8, "op");
    this.op = op;
  }
  getHops(): number {
    return this.hops;
  }
  setHops(h: number): void {
    checkUint(h, 8, "hops");
    this.hops = h;
  }
  getSecs(): number {
    return this.secs;
  }
  setSecs(s: number): void {
    checkUint(s, 16, "secs");
    this.secs = s;
  }
  getFlags(): number {
    return this.flags;
  }
  setFlags(f: number): void {
    checkUint(f, 16, "flags");
    this.flags = f;
  }

  /** The broadcast bit of the flags field (RFC 2131 section 2). */
  isBroadcast(): boolean {
    return (this.flags & BOOTP_BROADCAST) !== 0;
  }

  setBroadcast(on: boolean): void {
    this.flags = on ? this.flags | BOOTP_BROADCAST : this.flags & ~BOOTP_BROADCAST & 0xffff;
  }

  /** True for a DHCPv4 query that came inside a DHCPv6 message (Kea's isDhcp4o6(), Pkt4o6). */
  isDhcp4o6(): boolean {
    return false;
  }

  /** Relayed when giaddr is set and not broadcast (Kea's isRelayed()). */
  isRelayed(): boolean {
    return this.giaddrN !== 0 && this.giaddrN !== 0xffffffff;
  }

  // --- chaddr, sname, file ----------------------------------------------------------------

  /** The 16-byte chaddr field as sent. */
  getChaddr(): Buffer {
    if (this.chaddrB === null) {
      if (this.hwBytes === null) this.chaddrB = this.wireBuf.subarray(28, 28 + MAX_CHADDR_LEN);
      else {
        this.chaddrB = Buffer.alloc(MAX_CHADDR_LEN);
        this.chaddrB.set(this.hwBytes);
      }
    }
    return this.chaddrB;
  }

  /** The client hardware address: htype and the first hlen bytes of chaddr (at most 16). */
  getHWAddr(): HWAddr {
    if (this.hwaddrCache === null) {
      const len = Math.min(this.hlen, MAX_CHADDR_LEN);
      const bytes =
        this.chaddrB !== null
          ? this.chaddrB.subarray(0, len)
          : this.hwBytes !== null
            ? this.hwBytes.subarray(0, len)
            : this.wireBuf.subarray(28, 28 + len);
      this.hwaddrCache = new HWAddr(bytes, this.htype);
    }
    return this.hwaddrCache;
  }

  /**
   * The server side's hardware address of the frame (Kea's getLocalHWAddr): for a query read
   * through a raw socket, the Ethernet destination (the interface's, or ff:ff:ff:ff:ff:ff); null
   * when the packet came through a UDP socket.
   */
  getLocalHWAddr(): HWAddr | null {
    if (this.localHw === undefined) {
      this.localHw = this.link === null ? null : new HWAddr(this.link.subarray(0, 6));
    }
    return this.localHw;
  }

  setLocalHWAddr(hw: HWAddr | null): void {
    this.localHw = hw;
  }

  /**
   * The other side's hardware address of the frame (Kea's getRemoteHWAddr): for a query read
   * through a raw socket, the Ethernet source (the client's, or the relay's); null otherwise. A
   * response sent through a raw socket goes to its remote hardware address.
   */
  getRemoteHWAddr(): HWAddr | null {
    if (this.remoteHw === undefined) {
      this.remoteHw = this.link === null ? null : new HWAddr(this.link.subarray(6, 12));
    }
    return this.remoteHw;
  }

  setRemoteHWAddr(hw: HWAddr | null): void {
    this.remoteHw = hw;
  }

  /** Sets htype, hlen and chaddr (zero-padded to 16 bytes). The packet keeps the HWAddr's bytes
   *  (do not change them in place afterwards, as for an option's payload). */
  setHWAddr(hw: HWAddr): void;
  setHWAddr(htype: number, mac: Uint8Array): void;
  setHWAddr(a: HWAddr | number, mac?: Uint8Array): void {
    const htype = typeof a === "number" ? a : a.htype;
    const bytes = typeof a === "number" ? mac! : a.hwaddr;
    if (bytes.length > MAX_CHADDR_LEN) {
      throw new BadValue(`hardware address of ${bytes.length} bytes exceeds 16`);
    }
    checkUint(htype, 8, "htype");
    this.htype = htype;
    this.hlen = bytes.length;
    // An HWAddr's bytes are its own (its constructor copies them): read when the packet packs,
    // as an option's payload is. Bytes given apart are copied.
    this.hwBytes = typeof a === "number" ? Buffer.from(bytes) : bytes;
    this.chaddrB = null;
    this.hwaddrCache = null;
  }

  /** Server host name field: text up to the first NUL. */
  get sname(): string {
    return fieldText(this.getSname());
  }
  set sname(s: string) {
    this.snameB = fieldBytes(toBuffer(Buffer.from(s, "latin1")), MAX_SNAME_LEN, "sname");
  }

  /** Boot file name field: text up to the first NUL. */
  get file(): string {
    return fieldText(this.getFile());
  }
  set file(s: string) {
    this.fileB = fieldBytes(toBuffer(Buffer.from(s, "latin1")), MAX_FILE_LEN, "file");
  }

  getSname(): Buffer {
    return (this.snameB ??= this.wireBuf.subarray(SNAME_OFF, SNAME_OFF + MAX_SNAME_LEN));
  }
  setSname(b: Uint8Array): void {
    this.snameB = fieldBytes(toBuffer(b), MAX_SNAME_LEN, "sname");
  }
  getFile(): Buffer {
    return (this.fileB ??= this.wireBuf.subarray(FILE_OFF, FILE_OFF + MAX_FILE_LEN));
  }
  setFile(b: Uint8Array): void {
    this.fileB = fieldBytes(toBuffer(b), MAX_FILE_LEN, "file");
  }

  /** Client identifier from option 61, or null when absent or shorter than 2 bytes. */
  getClientId(): ClientId | null {
    const d = this.payload(DHO.DHCP_CLIENT_IDENTIFIER);
    if (d === undefined) return null;
    return d.length >= 2 && d.length <= 255 ? new ClientId(d) : null;
  }

  /** Kea's getLabel(): "[hwtype=1 00:11:..], cid=[01:..], tid=0x1234". */
  getLabel(): string {
    const cid = this.getClientId();
    return (
      `[${this.hlen > 0 ? this.getHWAddr().toText() : "no hwaddr info"}], ` +
      `cid=[${cid === null ? "no info" : cid.toText()}], tid=0x${this.transid.toString(16)}`
    );
  }

  toText(): string {
    return (
      `local_address=${this.localAddr}:${this.localPort}, ` +
      `remote_address=${this.remoteAddr}:${this.remotePort}, ` +
      `msg_type=${this.getName()} (${this.getType()}), ` +
      `trans_id=0x${this.transid.toString(16)}, op=${this.op}, htype=${this.htype}, ` +
      `hlen=${this.hlen}, hops=${this.hops}, secs=${this.secs}, flags=0x${this.flags.toString(16)}, ` +
      `ciaddr=${this.ciaddr}, yiaddr=${this.yiaddr}, siaddr=${this.siaddr}, ` +
      `giaddr=${this.giaddr}, chaddr=${toHex(this.getChaddr(), 0, Math.min(this.hlen, 16))}` +
      this.optionsToText()
    );
  }
}

const EMPTY = Buffer.alloc(0);
const ZERO_CHADDR = Buffer.alloc(MAX_CHADDR_LEN);
const ZERO_SNAME = Buffer.alloc(MAX_SNAME_LEN);
const ZERO_FILE = Buffer.alloc(MAX_FILE_LEN);
/** The payload of option 53 by message type, made on first use. */
const TYPE_PAYLOADS: (Buffer | undefined)[] = new Array<Buffer | undefined>(256);

/** A packet without options. */
// The parser's scratch for a packet's options (setWireOptions copies them): unpack() is
// synchronous, so one pair serves every packet.
const SCRATCH = newWireScratch();

/** `codes` with `code` added when it is deferred (isDeferred) and not there yet. */
function addDeferred(codes: number[] | null, code: number): number[] | null {
  if (!isDeferred(code)) return codes;
  if (codes === null) return [code];
  if (!codes.includes(code)) codes.push(code);
  return codes;
}

function isReplyType(t: number): boolean {
  return (
    t === DHCPMessageType.DHCPOFFER ||
    t === DHCPMessageType.DHCPACK ||
    t === DHCPMessageType.DHCPNAK ||
    (t >= DHCPMessageType.DHCPLEASEUNASSIGNED && t <= DHCPMessageType.DHCPLEASEQUERYDONE)
  );
}

function fieldText(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.toString("latin1", 0, nul < 0 ? b.length : nul);
}

function fieldBytes(b: Buffer, size: number, name: string): Buffer {
  if (b.length > size) throw new BadValue(`${name} of ${b.length} bytes exceeds ${size}`);
  const out = Buffer.alloc(size);
  b.copy(out);
  return out;
}

/** Records the TLVs of buf[start..end) into the scan table. */
function scanOptions(b: Buffer, start: number, end: number, strict: boolean, where: string): void {
  let p = start;
  while (p < end) {
    const code = b[p]!;
    if (code === DHO.PAD) {
      p++;
      continue;
    }
    if (code === DHO.END) {
      if (strict) {
        for (let q = p + 1; q < end; q++) {
          if (b[q] !== 0) {
            throw new PacketParseError(q, `garbage after END option: byte 0x${b[q]!.toString(16)}`);
          }
        }
      }
      return;
    }
    if (p + 1 >= end) throw new PacketParseError(p, `option ${code} has no length byte`);
    const len = b[p + 1]!;
    if (p + 2 + len > end) {
      throw new PacketParseError(p, `option ${code} length ${len} runs past ${where}`);
    }
    if (3 * scanCount + 3 > scan.length) {
      const bigger = new Int32Array(scan.length * 2);
      bigger.set(scan);
      scan = bigger;
    }
    scan[3 * scanCount] = code;
    scan[3 * scanCount + 1] = p + 2;
    scan[3 * scanCount + 2] = len;
    scanCount++;
    p += 2 + len;
  }
}

/**
 * The options Kea unpacks only after classification (deferred: option 43 and the private codes
 * 224-254, whose layout may depend on the client's class): kept as bytes here; the DHCPv4
 * server reads them with their definitions after the first classification
 * (src/dhcp4/processing/deferred-unpack.ts).
 */
export function isDeferred(code: number): boolean {
  return code === DHO.VENDOR_ENCAPSULATED_OPTIONS || (code >= 224 && code <= 254);
}

/**
 * Turns the scan table into option entries in SCRATCH ([code, start, length] each; see Pkt's
 * `wire`), joining repeated codes (RFC 3396). Options that may stay bytes (deferred ones, and
 * those canWait allows) are only entered, with their definition as slot (none for deferred
 * ones); the parser makes the others, and joined ones, now: their object as slot, start -1.
 */
function buildOptions(b: Buffer, defs: OptionDefLookup, dropOverload: boolean): void {
  let dup = false;
  for (let i = 0; i < scanCount; i++) {
    const c = scan[3 * i]!;
    if (seen[c]! > 0) dup = true;
    if (seen[c]! < 255) seen[c]!++;
  }
  try {
    for (let i = 0; i < scanCount; i++) {
      const code = scan[3 * i]!;
      const start = scan[3 * i + 1]!;
      const len = scan[3 * i + 2]!;
      if (dropOverload && code === DHO.DHCP_OPTION_OVERLOAD) continue;
      if (code === DHO.DHCP_MESSAGE_TYPE && (len !== 1 || (dup && seen[code]! > 1))) {
        throw new PacketParseError(start - 2, `option 53 (message type) must be one byte`);
      }
      if (!dup || seen[code] === 1) {
        const def = isDeferred(code) ? undefined : defs.get("dhcp4", code, 4);
        if (def === undefined || canWait(def)) {
          enterWire(SCRATCH, code, start, len, def);
        } else {
          enterMade(createOptions(b, start, start + len, code, defs), len);
        }
      } else if (seen[code] !== 0) {
        const joined = joinInstances(b, code, i);
        let out: Option[];
        try {
          out = isDeferred(code)
            ? [new Option(4, code, joined)]
            : createOptions(joined, 0, joined.length, code, defs);
        } catch (e) {
          // Offsets inside the joined copy mean nothing to the sender: point at the first part.
          if (!(e instanceof PacketParseError)) throw e;
          throw new PacketParseError(start - 2, `in option ${code} joined from parts: ${e.reason}`);
        }
        enterMade(out, joined.length);
        seen[code] = 0; // later instances were consumed by the join
      }
    }
  } finally {
    for (let i = 0; i < scanCount; i++) seen[scan[3 * i]!] = 0;
  }
}

/** The option(s) of one TLV (several for an option 125 with several enterprises). */
function createOptions(b: Buffer, start: number, end: number, code: number, defs: OptionDefLookup) {
  const out: Option[] = [];
  createOption(4, "dhcp4", code, b, start, end, defs, 0, out);
  return out;
}

/** Enters options the parser made (see buildOptions). */
function enterMade(list: Option[], len: number): void {
  for (const o of list) {
    enterWire(SCRATCH, o.type, -1, len, o);
  }
}

function joinInstances(b: Buffer, code: number, from: number): Buffer {
  let total = 0;
  for (let i = from; i < scanCount; i++) if (scan[3 * i] === code) total += scan[3 * i + 2]!;
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = from; i < scanCount; i++) {
    if (scan[3 * i] !== code) continue;
    off += b.copy(out, off, scan[3 * i + 1]!, scan[3 * i + 1]! + scan[3 * i + 2]!);
  }
  return out;
}
