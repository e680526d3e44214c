/** DHCPv6 identity associations (IA_NA, IA_TA, IA_PD) and the addresses and prefixes inside. */
import { BadValue } from "./errors.ts";
import { copyBytes } from "../util/bytes.ts";
import { ipv6ToString, readU32, tryParseIPv6, writeU32 } from "./ioaddress.ts";
import { OptionCustom } from "./option-custom.ts";
import type { OptionDefinition } from "./option-definition.ts";
import { getStdOptionDefs } from "./std-option-defs.ts";

function stdDef6(code: number): OptionDefinition {
  return getStdOptionDefs().get("dhcp6", code)!;
}

/** `v` when it is a uint32; BadValue otherwise. */
function checkedU32(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new BadValue(`${v} is not a valid uint32 value`);
  }
  return v;
}

/** `text` written at d[off..off+16]; BadValue when it is not an IPv6 address. */
function writeAddress(d: Buffer, off: number, text: string): void {
  if (!tryParseIPv6(text, d, off)) throw new BadValue(`'${text}' is not a valid IPv6 address`);
}

/** `len` when it is a prefix length; BadValue otherwise. */
function checkedPrefixLength(len: number): number {
  if (!Number.isInteger(len) || len < 0 || len > 128) {
    throw new BadValue(`prefix length ${len} is out of range 0..128`);
  }
  return len;
}

/**
 * Base for the fixed-layout v6 options: setters rewrite bytes in a private copy (the payload
 * may be a view into a received packet, or a Buffer getData() handed out); the create()
 * factories write their fresh payload once, with the setters' checks.
 */
abstract class FixedOption6 extends OptionCustom {
  constructor(def: OptionDefinition, data: Uint8Array) {
    super(def, 6, data);
  }

  protected u32At(off: number): number {
    return readU32(this.data, off);
  }

  protected setU32At(off: number, v: number): void {
    checkedU32(v);
    const d = copyBytes(this.data);
    writeU32(d, off, v);
    this.data = d;
  }

  protected setAddressAt(off: number, text: string): void {
    const d = copyBytes(this.data);
    writeAddress(d, off, text);
    this.data = d;
  }
}

/** IA_NA (3), IA_TA (4) and IA_PD (25): IAID, T1 and T2 (IA_TA has only the IAID). */
export class Option6IA extends FixedOption6 {
  /** A new IA_NA (3), IA_TA (4) or IA_PD (25). */
  static create(code: 3 | 4 | 25, iaid: number, t1 = 0, t2 = 0): Option6IA {
    const d = Buffer.alloc(code === 4 ? 4 : 12);
    writeU32(d, 0, checkedU32(iaid));
    if (code !== 4) {
      writeU32(d, 4, checkedU32(t1));
      writeU32(d, 8, checkedU32(t2));
    }
    return new Option6IA(stdDef6(code), d);
  }

  getIAID(): number {
    return this.u32At(0);
  }

  setIAID(v: number): void {
    this.setU32At(0, v);
  }

  getT1(): number {
    this.needTimers();
    return this.u32At(4);
  }

  setT1(v: number): void {
    this.needTimers();
    this.setU32At(4, v);
  }

  getT2(): number {
    this.needTimers();
    return this.u32At(8);
  }

  setT2(v: number): void {
    this.needTimers();
    this.setU32At(8, v);
  }

  private needTimers(): void {
    if (this.type === 4) throw new BadValue("IA_TA has no T1/T2");
  }

  override clone(): Option6IA {
    const c = new Option6IA(this.def, Buffer.from(this.data));
    this.copySubOptionsTo(c);
    return c;
  }
}

/** IAADDR (5): address, preferred and valid lifetimes. */
export class Option6IAAddr extends FixedOption6 {
  static create(address: string, preferred: number, valid: number): Option6IAAddr {
    const d = Buffer.alloc(24);
    writeAddress(d, 0, address);
    writeU32(d, 16, checkedU32(preferred));
    writeU32(d, 20, checkedU32(valid));
    return new Option6IAAddr(stdDef6(5), d);
  }

  getAddress(): string {
    return ipv6ToString(this.data, 0);
  }

  setAddress(addr: string): void {
    this.setAddressAt(0, addr);
  }

  getPreferred(): number {
    return this.u32At(16);
  }

  setPreferred(v: number): void {
    this.setU32At(16, v);
  }

  getValid(): number {
    return this.u32At(20);
  }

  setValid(v: number): void {
    this.setU32At(20, v);
  }

  override clone(): Option6IAAddr {
    const c = new Option6IAAddr(this.def, Buffer.from(this.data));
    this.copySubOptionsTo(c);
    return c;
  }
}

/** IAPREFIX (26): preferred and valid lifetimes, prefix length and prefix. */
export class Option6IAPrefix extends FixedOption6 {
  static create(prefix: string, length: number, preferred: number, valid: number): Option6IAPrefix {
    const d = Buffer.alloc(25);
    writeAddress(d, 9, prefix);
    d[8] = checkedPrefixLength(length);
    writeU32(d, 0, checkedU32(preferred));
    writeU32(d, 4, checkedU32(valid));
    return new Option6IAPrefix(stdDef6(26), d);
  }

  getPreferred(): number {
    return this.u32At(0);
  }

  setPreferred(v: number): void {
    this.setU32At(0, v);
  }

  getValid(): number {
    return this.u32At(4);
  }

  setValid(v: number): void {
    this.setU32At(4, v);
  }

  getLength(): number {
    return this.data[8]!;
  }

  setLength(len: number): void {
    checkedPrefixLength(len);
    const d = copyBytes(this.data);
    d[8] = len;
    this.data = d;
  }

  getAddress(): string {
    return ipv6ToString(this.data, 9);
  }

  setAddress(addr: string): void {
    this.setAddressAt(9, addr);
  }

  override clone(): Option6IAPrefix {
    const c = new Option6IAPrefix(this.def, Buffer.from(this.data));
    this.copySubOptionsTo(c);
    return c;
  }
}
