/**
 * Vendor-specific information: v4 option 125 (RFC 3925) and v6 option 17 (RFC 8415). The
 * payload starts with an enterprise number; sub-options live in the space "vendor-<number>".
 * In DHCPv4 a one-byte data length follows the enterprise number.
 */
import { BadValue } from "./errors.ts";
import { readU32, writeU32 } from "./ioaddress.ts";
import type { Option } from "./option.ts";
import { OptionCustom } from "./option-custom.ts";
import { unpackSubOptions } from "./option-definition.ts";
import type { OptionDefLookup, OptionDefinition } from "./option-definition.ts";
import { getStdOptionDefs } from "./std-option-defs.ts";

/** Space of the sub-options of a vendor option with this enterprise number. */
export function vendorSpace(enterpriseId: number): string {
  return `vendor-${enterpriseId}`;
}

export class OptionVendor extends OptionCustom {
  constructor(def: OptionDefinition, data: Uint8Array) {
    super(def, def.universe, data);
    this.encapsulatedSpace = vendorSpace(this.getVendorId());
  }

  /** A new vendor option (v4 125 or v6 17) for an enterprise number, without sub-options. */
  static create(universe: 4 | 6, vendorId: number): OptionVendor {
    const def =
      universe === 4 ? getStdOptionDefs().get("dhcp4", 125)! : getStdOptionDefs().get("dhcp6", 17)!;
    const v = new OptionVendor(def, Buffer.alloc(4));
    v.setVendorId(vendorId);
    return v;
  }

  getVendorId(): number {
    return readU32(this.data, 0);
  }

  setVendorId(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      throw new BadValue(`enterprise number ${id} is out of range`);
    }
    const d = Buffer.allocUnsafe(4);
    writeU32(d, 0, id);
    this.data = d;
    this.encapsulatedSpace = vendorSpace(id);
  }

  override setData(data: Uint8Array): void {
    super.setData(data);
    this.encapsulatedSpace = vendorSpace(this.getVendorId());
  }

  override payloadLen(): number {
    return super.payloadLen() + (this.universe === 4 ? 1 : 0);
  }

  protected override packPayload(out: Buffer, off: number): number {
    if (this.universe === 6) return super.packPayload(out, off);
    const subLen = super.payloadLen() - 4;
    if (subLen > 255)
      throw new BadValue(`vendor ${this.getVendorId()} sub-options exceed 255 bytes`);
    off += this.data.copy(out, off);
    out[off++] = subLen;
    for (const o of this.options) off = o.packInto(out, off);
    return off;
  }

  override valueToText(): string {
    return String(this.getVendorId());
  }

  override clone(): OptionVendor {
    const c = new OptionVendor(this.def, Buffer.from(this.data));
    this.copySubOptionsTo(c);
    return c;
  }

  /** Parses one vendor option payload; null when it does not have the vendor layout. */
  static fromWire(
    def: OptionDefinition,
    buf: Buffer,
    start: number,
    end: number,
    defs: OptionDefLookup,
    depth: number,
  ): OptionVendor | null {
    if (def.universe === 4) {
      // Configuration gives just the enterprise number; sub-options come separately.
      if (end - start === 4) return new OptionVendor(def, buf.subarray(start, end));
      const out: Option[] = [];
      if (!OptionVendor.splitV4(def, buf, start, end, defs, depth, out) || out.length !== 1) {
        return null;
      }
      return out[0] as OptionVendor;
    }
    if (end - start < 4) return null;
    const opt = new OptionVendor(def, buf.subarray(start, start + 4));
    opt.adoptOptions(
      unpackSubOptions(6, opt.encapsulatedSpace, buf, start + 4, end, defs, depth + 1),
    );
    return opt;
  }

  /**
   * Splits a v4 option 125 payload into one OptionVendor per enterprise block. Returns false
   * (and adds nothing) when the blocks do not tile the payload exactly.
   */
  static splitV4(
    def: OptionDefinition,
    buf: Buffer,
    start: number,
    end: number,
    defs: OptionDefLookup,
    depth: number,
    out: Option[],
  ): boolean {
    let p = start;
    if (end - start < 5) return false;
    while (p < end) {
      if (end - p < 5 || p + 5 + buf[p + 4]! > end) return false;
      p += 5 + buf[p + 4]!;
    }
    for (p = start; p < end; p += 5 + buf[p + 4]!) {
      const opt = new OptionVendor(def, buf.subarray(p, p + 4));
      const subEnd = p + 5 + buf[p + 4]!;
      opt.adoptOptions(
        unpackSubOptions(4, opt.encapsulatedSpace, buf, p + 5, subEnd, defs, depth + 1),
      );
      out.push(opt);
    }
    return true;
  }
}
