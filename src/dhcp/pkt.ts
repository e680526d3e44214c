/**
 * What DHCPv4 and DHCPv6 packets share (Kea's Pkt): raw input, packed output, the option list,
 * transport details and copy-on-retrieve of options for callouts.
 */
import { BadValue } from "./errors.ts";
import type { OptionDefLookup, OptionDefinition } from "./option-definition.ts";
import { Option, toBuffer } from "./option.ts";
import { makeOption } from "./libdhcp.ts";
import type { WireScratch } from "./libdhcp.ts";
import type { UniverseValue } from "./option.ts";

export abstract class Pkt {
  /**
   * Raw bytes as received (what unpack() parses); hooks in buffer*_receive may replace them.
   * Parsed options are views into these bytes, not copies: a socket layer that recycles its
   * receive buffers must hand over a copy.
   */
  data: Buffer;
  /** Transaction id: 32 bits in DHCPv4, 24 bits in DHCPv6. */
  transid: number;
  /** Local (server side) and remote addresses and ports, filled in by the socket layer. */
  localAddr: string;
  remoteAddr: string;
  localPort: number;
  remotePort: number;
  /** Interface the packet came in on or goes out of. */
  iface: string;
  ifindex: number;
  /** Receive time in milliseconds since the epoch, set by the socket layer (0 when unset). */
  timestamp: number;
  /** A DHCPv4 query read as a link-layer frame (Kea's "raw" socket type): the frame's Ethernet
   *  destination (bytes 0-5) and source (6-11) addresses; null otherwise. Pkt4 reads it as its
   *  local and remote hardware addresses. */
  link: Buffer | null;
  /** Definitions used by unpack(); the standard ones unless the server passes its own. */
  optionDefs: OptionDefLookup;
  /** Client classes the packet belongs to, in the order they were added. */
  readonly classes: Set<string>;
  /** Slot for the server's per-packet callout handle (created on first use by the server). */
  calloutHandle: unknown;
  /**
   * The options as objects, in wire order (for a received packet, once `wire` is null: before
   * that, the objects made so far are in `slots`).
   */
  protected options: Option[];
  /**
   * A received packet's options before they are made into objects: [code, start, length] per
   * option in wire order, the payload at wireBuf[start..start+length) (start -1 for an option the
   * parser made itself). Most of a query's options are only read, some never: an option becomes
   * an object when something asks for it by code (getOption, getOptions(code)), and the whole
   * list when anything lists, adds, removes or packs the options. Null once the list is made,
   * and for a packet built locally.
   */
  private wire: number[] | null;
  /**
   * By entry of `wire`: its object once made (by the parser, or on first use), before that the
   * definition the parser found for it (undefined: none, or a v4 deferred option, made plain).
   */
  private slots: (Option | OptionDefinition | undefined)[] | null;
  /** The bytes `wire` points into, the definitions to read them with and their universe, as at
   *  unpack(). */
  protected wireBuf: Buffer;
  private wireDefs: OptionDefLookup;
  private wireUniverse: UniverseValue;
  protected bufferOut: Buffer;
  protected copyRetrievedOptions: boolean;

  protected constructor(data: Uint8Array, transid: number, defs: OptionDefLookup) {
    this.data = toBuffer(data);
    this.transid = transid;
    this.localAddr = "";
    this.remoteAddr = "";
    this.localPort = 0;
    this.remotePort = 0;
    this.iface = "";
    this.ifindex = -1;
    this.timestamp = 0;
    this.link = null;
    this.optionDefs = defs;
    this.classes = new Set();
    this.calloutHandle = null;
    this.options = [];
    this.wire = null;
    this.slots = null;
    this.wireBuf = EMPTY_OUT;
    this.wireDefs = defs;
    this.wireUniverse = 4;
    this.bufferOut = EMPTY_OUT;
    this.copyRetrievedOptions = false;
  }

  /** Parses `data`, replacing the header fields and options. Throws PacketParseError. */
  abstract unpack(): void;

  /** Builds the wire form, stores it (see getBuffer) and returns it. */
  abstract pack(): Buffer;

  abstract toText(): string;

  /** The message type (option 53 in v4, 0 when absent; the msg-type octet in v6). */
  abstract getType(): number;

  // Kea-style accessors for the transport details.
  getLocalAddr(): string {
    return this.localAddr;
  }
  setLocalAddr(a: string): void {
    this.localAddr = a;
  }
  getRemoteAddr(): string {
    return this.remoteAddr;
  }
  setRemoteAddr(a: string): void {
    this.remoteAddr = a;
  }
  getLocalPort(): number {
    return this.localPort;
  }
  setLocalPort(p: number): void {
    this.localPort = p;
  }
  getRemotePort(): number {
    return this.remotePort;
  }
  setRemotePort(p: number): void {
    this.remotePort = p;
  }
  getIface(): string {
    return this.iface;
  }
  setIface(name: string): void {
    this.iface = name;
  }
  getIndex(): number {
    return this.ifindex;
  }
  setIndex(index: number): void {
    this.ifindex = index;
  }
  getTimestamp(): number {
    return this.timestamp;
  }

  getTransid(): number {
    return this.transid;
  }

  setTransid(transid: number): void {
    this.transid = transid;
  }

  /** The packed output (empty before pack()); hooks in buffer*_send may replace it. */
  getBuffer(): Buffer {
    return this.bufferOut;
  }

  setBuffer(buf: Uint8Array): void {
    this.bufferOut = toBuffer(buf);
  }

  /**
   * When on, getOption/getOptions (and the relay getters of Pkt6) return a deep copy of the
   * option and put the copy into the packet in place of the original, so a callout that
   * changes what it got can never change an option instance shared with the configuration.
   * The server turns it on around callouts; it is off by default.
   */
  setCopyRetrievedOptions(copy: boolean): void {
    this.copyRetrievedOptions = copy;
  }

  isCopyRetrievedOptions(): boolean {
    return this.copyRetrievedOptions;
  }

  /**
   * A received packet's options as bytes of `buf` (see `wire` and `slots`), to be read with
   * `defs`, from the parser's scratch: the packet keeps copies of the entries' exact size, and
   * the scratch is emptied.
   */
  protected setWireOptions(
    universe: UniverseValue,
    buf: Buffer,
    defs: OptionDefLookup,
    scratch: WireScratch,
  ): void {
    const n = scratch.count;
    this.options = [];
    this.wire = scratch.wire.slice(0, 3 * n);
    this.slots = scratch.slots.slice(0, n);
    for (let k = 0; k < n; k++) scratch.slots[k] = undefined;
    scratch.count = 0;
    this.wireBuf = buf;
    this.wireDefs = defs;
    this.wireUniverse = universe;
  }

  /** The option list, every option an object (made now for those still as bytes). */
  protected optionList(): Option[] {
    const wire = this.wire;
    if (wire !== null) {
      const n = this.slots!.length;
      const list = new Array<Option>(n);
      for (let i = 0; i < n; i++) list[i] = this.madeAt(i);
      this.options = list;
      this.wire = null;
      this.slots = null;
    }
    return this.options;
  }

  /** The object of `wire` entry i, made now if it was not. */
  private madeAt(i: number): Option {
    const slots = this.slots!;
    const s = slots[i];
    if (s instanceof Option) return s;
    // Made with the definition the parser found (none for a v4 deferred option: kept as bytes).
    const wire = this.wire!;
    const start = wire[3 * i + 1]!;
    const end = start + wire[3 * i + 2]!;
    const o = makeOption(
      this.wireUniverse,
      wire[3 * i]!,
      s,
      this.wireBuf,
      start,
      end,
      this.wireDefs,
      0,
    );
    slots[i] = o;
    return o;
  }

  /** Entry index of the first option with this code while it is still bytes, else -1. */
  private bytesEntry(code: number): number {
    const wire = this.wire;
    if (wire === null) return -1;
    const n = this.slots!.length;
    for (let k = 0; k < n; k++) {
      if (wire[3 * k] !== code) continue;
      return this.slots![k] instanceof Option ? -1 : k;
    }
    return -1;
  }

  /**
   * Where the payload of the first option with this code is in wireBuf while that option is
   * still bytes (its start); -1 when it is an object or absent.
   */
  protected wireStart(code: number): number {
    const i = this.bytesEntry(code);
    return i < 0 ? -1 : this.wire![3 * i + 1]!;
  }

  /**
   * The payload of the first option with this code: a view of the received bytes while it is
   * still bytes (no object made for it), else its object's getData(); undefined when absent.
   */
  protected payload(code: number): Buffer | undefined {
    const i = this.bytesEntry(code);
    if (i < 0) return this.find(code, false)?.getData();
    const start = this.wire![3 * i + 1]!;
    return this.wireBuf.subarray(start, start + this.wire![3 * i + 2]!);
  }

  /** The `wire` entries (the codes every third number, made options' included), in wire order;
   *  null once the option list is made. */
  protected wireCodes(): readonly number[] | null {
    return this.wire;
  }

  /** First option with this code, made from the bytes if need be; with `copy`, a deep copy put
   *  in its place (copy-on-retrieve). */
  private find(code: number, copy: boolean): Option | undefined {
    const wire = this.wire;
    if (wire === null) return retrieve(this.options, code, copy);
    const n = this.slots!.length;
    for (let k = 0; k < n; k++) {
      if (wire[3 * k] !== code) continue;
      const o = this.madeAt(k);
      if (!copy) return o;
      const c = o.clone();
      this.slots![k] = c;
      return c;
    }
    return undefined;
  }

  private findAll(code: number | undefined, copy: boolean): Option[] {
    const wire = this.wire;
    if (wire === null || code === undefined) return retrieveAll(this.optionList(), code, copy);
    let count = 0;
    const n = this.slots!.length;
    for (let k = 0; k < n; k++) if (wire[3 * k] === code) count++;
    const out = new Array<Option>(count);
    for (let k = 0, j = 0; j < count; k++) {
      if (wire[3 * k] !== code) continue;
      let o = this.madeAt(k);
      if (copy) {
        o = o.clone();
        this.slots![k] = o;
      }
      out[j++] = o;
    }
    return out;
  }

  /** First option with this code, or undefined. */
  getOption(code: number): Option | undefined {
    return this.find(code, this.copyRetrievedOptions);
  }

  /** All options (or all with one code), in wire order. Copies them when copying is on. */
  getOptions(code?: number): Option[] {
    return this.findAll(code, this.copyRetrievedOptions);
  }

  /** The option in the packet itself, never a copy (for the server's own reads). */
  getNonCopiedOption(code: number): Option | undefined {
    return this.find(code, false);
  }

  /**
   * The payload of the first option with this code, never a copy, for the server's own reads: a
   * view of the received bytes while the option is still bytes (no object is made for it), else
   * its object's getData(); undefined when absent. Do not modify it in place.
   */
  getNonCopiedOptionData(code: number): Buffer | undefined {
    return this.payload(code);
  }

  getNonCopiedOptions(code?: number): Option[] {
    return this.findAll(code, false);
  }

  /** Adds an option at the end; DHCPv4 packs options in the order they were added. */
  addOption(opt: Option): void {
    this.optionList().push(opt);
  }

  /** Removes the first option with this code; returns whether one was removed. */
  delOption(code: number): boolean {
    const opts = this.optionList();
    for (let i = 0; i < opts.length; i++) {
      if (opts[i]!.type === code) {
        opts.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Removes every option with this code; returns how many were removed. */
  delAllOptions(code: number): number {
    const opts = this.optionList();
    const before = opts.length;
    this.options = opts.filter((o) => o.type !== code);
    return before - this.options.length;
  }

  addClass(name: string): void {
    this.classes.add(name);
  }

  inClass(name: string): boolean {
    return this.classes.has(name);
  }

  getClasses(): string[] {
    return [...this.classes];
  }

  /** Sets the receive time to now. */
  updateTimestamp(): void {
    this.timestamp = Date.now();
  }

  toString(): string {
    return this.toText();
  }

  protected optionsToText(): string {
    const opts = this.optionList();
    if (opts.length === 0) return "";
    return "\noptions:\n" + opts.map((o) => o.toText(2)).join("\n");
  }
}

const EMPTY_OUT = Buffer.alloc(0);

/** Finds an option; with `copy`, swaps a deep copy into the list and returns it. */
export function retrieve(list: Option[], code: number, copy: boolean): Option | undefined {
  for (let i = 0; i < list.length; i++) {
    const o = list[i]!;
    if (o.type !== code) continue;
    if (!copy) return o;
    const c = o.clone();
    list[i] = c;
    return c;
  }
  return undefined;
}

export function retrieveAll(list: Option[], code: number | undefined, copy: boolean): Option[] {
  const out: Option[] = [];
  for (let i = 0; i < list.length; i++) {
    const o = list[i]!;
    if (code !== undefined && o.type !== code) continue;
    if (copy) {
      const c = o.clone();
      list[i] = c;
      out.push(c);
    } else {
      out.push(o);
    }
  }
  return out;
}

/**
 * Turns copy-on-retrieve on for a packet while a block runs and restores the previous
 * setting afterwards (Kea's ScopedEnableOptionsCopy), also when the block throws.
 */
export function withOptionsCopy<T>(pkts: readonly (Pkt | null | undefined)[], fn: () => T): T {
  const scope = new ScopedEnableOptionsCopy(pkts);
  try {
    return fn();
  } finally {
    scope.restore();
  }
}

/** Explicit-scope form: construct to enable copying, call restore() when the callouts end. */
export class ScopedEnableOptionsCopy {
  private readonly pkts: readonly (Pkt | null | undefined)[];
  private readonly previous: boolean[];

  constructor(pkts: readonly (Pkt | null | undefined)[]) {
    this.pkts = pkts;
    this.previous = pkts.map((p) => p?.isCopyRetrievedOptions() ?? false);
    for (const p of pkts) p?.setCopyRetrievedOptions(true);
  }

  restore(): void {
    this.pkts.forEach((p, i) => p?.setCopyRetrievedOptions(this.previous[i]!));
  }
}

export function checkUint(v: number, bits: 8 | 16 | 24 | 32, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 2 ** bits - 1) {
    throw new BadValue(`${what} ${v} is out of range 0..${2 ** bits - 1}`);
  }
}
