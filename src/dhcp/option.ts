/**
 * The base option: a code, a payload and sub-options. Every option kind derives from it; an
 * option whose code has no definition stays a plain Option holding its bytes, so nothing a
 * client sends is lost and it packs back byte for byte.
 */
import { BadValue } from "./errors.ts";
import { readU32, toColonHex, toHex, writeU32 } from "./ioaddress.ts";

export const Universe = { V4: 4, V6: 6 } as const;
export type UniverseValue = (typeof Universe)[keyof typeof Universe];

export class Option {
  /** 4 for DHCPv4 (1-byte code and length), 6 for DHCPv6 (2-byte code and length). */
  readonly universe: UniverseValue;
  /** The option code. */
  type: number;
  /** Payload bytes other than the sub-options. */
  protected data: Buffer;
  /** Sub-options, in wire order. */
  protected options: Option[];
  /** Option space of the sub-options ("" when the option carries none by definition). */
  encapsulatedSpace: string;

  constructor(universe: UniverseValue, type: number, data?: Uint8Array) {
    const max = universe === 4 ? 255 : 65535;
    if (!Number.isInteger(type) || type < 0 || type > max) {
      throw new BadValue(`option code ${type} is out of range 0..${max}`);
    }
    this.universe = universe;
    this.type = type;
    this.data = data === undefined ? EMPTY : toBuffer(data);
    this.options = NO_OPTIONS;
    this.encapsulatedSpace = "";
  }

  getType(): number {
    return this.type;
  }

  getUniverse(): UniverseValue {
    return this.universe;
  }

  /** The payload without sub-options. Do not modify it in place; use setData. */
  getData(): Buffer {
    return this.data;
  }

  setData(data: Uint8Array): void {
    this.data = toBuffer(data);
  }

  /** The first byte of the payload (Kea's getUint8); BadValue when the payload is shorter. */
  getUint8(): number {
    this.needData(1);
    return this.data[0]!;
  }

  getUint16(): number {
    this.needData(2);
    return (this.data[0]! << 8) | this.data[1]!;
  }

  getUint32(): number {
    this.needData(4);
    return readU32(this.data, 0);
  }

  /** Replaces the payload with one byte (Kea's setUint8). */
  setUint8(v: number): void {
    this.setData(Buffer.from([v & 255]));
  }

  setUint16(v: number): void {
    this.setData(Buffer.from([(v >>> 8) & 255, v & 255]));
  }

  setUint32(v: number): void {
    const b = Buffer.allocUnsafe(4);
    writeU32(b, 0, v >>> 0);
    this.setData(b);
  }

  private needData(n: number): void {
    if (this.data.length < n) {
      throw new BadValue(`option ${this.type} has ${this.data.length} bytes of data, ${n} needed`);
    }
  }

  /** "0x0A0B..." of the wire form, with or without the header (Kea's toHexString). */
  toHexString(includeHeader = false): string {
    const b = this.pack();
    const from = includeHeader ? 0 : this.getHeaderLen();
    return from >= b.length ? "" : "0x" + toHex(b, from).toUpperCase();
  }

  /** 2 for DHCPv4, 4 for DHCPv6. */
  getHeaderLen(): number {
    return this.universe === 4 ? 2 : 4;
  }

  /** Length of the payload: data plus packed sub-options. */
  payloadLen(): number {
    let n = this.data.length;
    for (let i = 0; i < this.options.length; i++) n += this.options[i]!.len();
    return n;
  }

  /**
   * Length on the wire, header included. A DHCPv4 payload above 255 bytes is sent as several
   * instances of the option (RFC 3396), each with its own header.
   */
  len(): number {
    const p = this.payloadLen();
    if (this.universe === 6) return 4 + p;
    const chunks = p === 0 ? 1 : Math.ceil(p / 255);
    return p + 2 * chunks;
  }

  /** The option in wire form. */
  pack(): Buffer {
    const out = Buffer.allocUnsafe(this.len());
    this.packInto(out, 0);
    return out;
  }

  /** Writes the option at `off`; returns the offset after it. */
  packInto(out: Buffer, off: number): number {
    const p = this.payloadLen();
    if (this.universe === 6) {
      if (p > 65535) throw new BadValue(`option ${this.type} payload of ${p} bytes exceeds 65535`);
      out[off] = this.type >>> 8;
      out[off + 1] = this.type & 255;
      out[off + 2] = p >>> 8;
      out[off + 3] = p & 255;
      return this.packPayload(out, off + 4);
    }
    if (p <= 255) {
      out[off] = this.type;
      out[off + 1] = p;
      return this.packPayload(out, off + 2);
    }
    // RFC 3396: split into consecutive instances of at most 255 bytes each.
    const payload = Buffer.allocUnsafe(p);
    this.packPayload(payload, 0);
    for (let i = 0; i < p; i += 255) {
      const n = Math.min(255, p - i);
      out[off] = this.type;
      out[off + 1] = n;
      payload.copy(out, off + 2, i, i + n);
      off += 2 + n;
    }
    return off;
  }

  /** Writes data then sub-options; returns the offset after them. */
  protected packPayload(out: Buffer, off: number): number {
    off = copyBytes(this.data, out, off);
    for (let i = 0; i < this.options.length; i++) off = this.options[i]!.packInto(out, off);
    return off;
  }

  /** First sub-option with this code, or undefined. */
  getOption(code: number): Option | undefined {
    const opts = this.options;
    for (let i = 0; i < opts.length; i++) if (opts[i]!.type === code) return opts[i];
    return undefined;
  }

  /** All sub-options (the live list, read-only: use addOption/delOption to change it), or those
   *  of one code. */
  getOptions(code?: number): Option[] {
    if (code === undefined) return this.options;
    return this.options.filter((o) => o.type === code);
  }

  addOption(opt: Option): void {
    if (opt.universe !== this.universe) {
      throw new BadValue(`cannot add a DHCPv${opt.universe} option to a DHCPv${this.universe} one`);
    }
    if (this.options === NO_OPTIONS) this.options = [opt];
    else this.options.push(opt);
  }

  /** Removes the first sub-option with this code; returns whether one was removed. */
  delOption(code: number): boolean {
    const opts = this.options;
    for (let i = 0; i < opts.length; i++) {
      if (opts[i]!.type === code) {
        opts.splice(i, 1);
        return true;
      }
    }
    return false;
  }

  /** Installs a parsed list of sub-options (used by the parsers). */
  adoptOptions(list: Option[]): void {
    this.options = list;
  }

  /** Replaces the sub-option at `index` (used by copy-on-retrieve). */
  replaceOptionAt(index: number, opt: Option): void {
    this.options[index] = opt;
  }

  /** A deep copy: its own payload bytes and its own copies of every sub-option. */
  clone(): Option {
    const c = new Option(this.universe, this.type, Buffer.from(this.data));
    this.copySubOptionsTo(c);
    return c;
  }

  protected copySubOptionsTo(target: Option): void {
    target.encapsulatedSpace = this.encapsulatedSpace;
    target.options = this.options.length === 0 ? NO_OPTIONS : this.options.map((o) => o.clone());
  }

  /** The payload as text: colon hex for a plain option, values for defined kinds. */
  valueToText(): string {
    return toColonHex(this.data);
  }

  /** One line per option in Kea's style: "type=053, len=001: 01", sub-options indented below. */
  toText(indent = 0): string {
    const w = this.universe === 4 ? 3 : 5;
    const pad = " ".repeat(indent);
    let s =
      `${pad}type=${String(this.type).padStart(w, "0")}, ` +
      `len=${String(this.payloadLen()).padStart(w, "0")}: ${this.valueToText()}`;
    if (this.options.length > 0) {
      s += ",\noptions:";
      for (const o of this.options) s += "\n" + o.toText(indent + 2);
    }
    return s;
  }

  toString(): string {
    return this.toText();
  }

  /** Same universe, code and wire bytes. */
  equals(other: Option): boolean {
    return (
      this.universe === other.universe &&
      this.type === other.type &&
      this.pack().equals(other.pack())
    );
  }
}

export const EMPTY = Buffer.alloc(0);

/**
 * The sub-option list of every option without sub-options, until one is added (most options
 * have none: one list for all of them instead of one each). Frozen: getOptions() hands it out,
 * and the list is changed through addOption/delOption only.
 */
const NO_OPTIONS = Object.freeze([]) as unknown as Option[];

/** Copies src into out at off; returns the offset after it. A loop beats a native call for
 * the few bytes most options carry. */
export function copyBytes(src: Uint8Array, out: Uint8Array, off: number): number {
  const n = src.length;
  if (n > 32) {
    out.set(src, off);
    return off + n;
  }
  for (let i = 0; i < n; i++) out[off + i] = src[i]!;
  return off + n;
}

export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
