/** Hardware (link-layer) address: hardware type plus address bytes, as in Kea's HWAddr. */
import { BadValue } from "./errors.ts";
import { copyBytes } from "../util/bytes.ts";
import { decodeFormattedHex, toColonHex } from "./ioaddress.ts";

/** Hardware types used on the wire (IANA ARP parameters). */
export const HType = {
  UNDEFINED: 0,
  ETHER: 1,
  IEEE802: 6,
  FDDI: 8,
  INFINIBAND: 32,
} as const;

/** Longest hardware address Kea accepts (HWAddr::MAX_HWADDR_LEN). */
export const MAX_HWADDR_LEN = 20;

export class HWAddr {
  /** Hardware type (1 = Ethernet). */
  htype: number;
  /** Address bytes (6 for Ethernet). */
  hwaddr: Buffer;

  constructor(hwaddr: Uint8Array, htype: number = HType.ETHER) {
    if (hwaddr.length > MAX_HWADDR_LEN) {
      throw new BadValue(`hardware address of ${hwaddr.length} bytes exceeds ${MAX_HWADDR_LEN}`);
    }
    this.htype = htype;
    this.hwaddr = copyBytes(hwaddr);
  }

  /** Parses "00:11:22:33:44:55" (or any hex form Kea accepts). */
  static fromText(text: string, htype: number = HType.ETHER): HWAddr {
    const bytes = decodeFormattedHex(text.trim());
    if (bytes === null) throw new BadValue(`'${text}' is not a valid hardware address`);
    return new HWAddr(bytes, htype);
  }

  /** Kea's form "hwtype=1 00:11:22:33:44:55", or just the colon hex when `includeType` is false. */
  toText(includeType = true): string {
    const hex = toColonHex(this.hwaddr);
    return includeType ? `hwtype=${this.htype} ${hex}` : hex;
  }

  toString(): string {
    return this.toText(false);
  }

  equals(other: HWAddr): boolean {
    return this.htype === other.htype && this.hwaddr.equals(other.hwaddr);
  }
}
