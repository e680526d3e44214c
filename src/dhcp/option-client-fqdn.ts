/**
 * Client FQDN: DHCPv4 option 81 (RFC 4702: flags, two RCODE bytes, name) and DHCPv6 option 39
 * (RFC 4704: flags, name). The name may be partial (no root label, "myhost") or full
 * ("myhost.example.com."); in DHCPv4 with the E flag clear it is plain ASCII.
 */
import { BadValue } from "./errors.ts";
import { OptionCustom } from "./option-custom.ts";

/** Flag bits (S, O, E, N in DHCPv4; S, O, N in DHCPv6). */
export const FqdnFlag = {
  S: 0x01,
  O: 0x02,
  /** DHCPv4 only: the name is in wire (RFC 1035) format. */
  E: 0x04,
  /** 0x08 in DHCPv4, 0x04 in DHCPv6: use flagN(). */
  N4: 0x08,
  N6: 0x04,
} as const;

export class OptionClientFqdn extends OptionCustom {
  getFlags(): number {
    return this.data[0]!;
  }

  /** Sets the whole flags byte; the name keeps its text (re-encoded if E changes). */
  setFlags(flags: number): void {
    if (!Number.isInteger(flags) || flags < 0 || flags > 255) {
      throw new BadValue(`flags ${flags} are out of range 0..255`);
    }
    const values = this.getValues();
    values[0] = flags;
    this.setValues(values);
  }

  getFlag(mask: number): boolean {
    return (this.getFlags() & mask) !== 0;
  }

  setFlag(mask: number, on: boolean): void {
    this.setFlags(on ? this.getFlags() | mask : this.getFlags() & ~mask & 0xff);
  }

  /** The N flag of this universe. */
  flagN(): number {
    return this.universe === 4 ? FqdnFlag.N4 : FqdnFlag.N6;
  }

  private nameIndex(): number {
    return this.universe === 4 ? 3 : 1;
  }

  /** "myhost.example.com." when full, "myhost" when partial; "" when absent. */
  getDomainName(): string {
    return this.getDataFieldsNum() > this.nameIndex() ? this.readString(this.nameIndex()) : "";
  }

  /** A name ending in "." is full, otherwise partial (sent without the root label). */
  setDomainName(name: string): void {
    const values = this.getValues();
    values[this.nameIndex()] = name;
    this.setValues(values);
  }

  getDomainNameType(): "full" | "partial" {
    return this.getDomainName().endsWith(".") ? "full" : "partial";
  }

  override clone(): OptionClientFqdn {
    const c = new OptionClientFqdn(this.def, this.universe, Buffer.from(this.data));
    this.copySubOptionsTo(c);
    return c;
  }
}
