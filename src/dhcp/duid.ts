/** Client identifiers: DHCPv6 DUID (RFC 8415 section 11, RFC 6355) and DHCPv4 client-id. */
import { BadValue } from "./errors.ts";
import { copyBytes } from "../util/bytes.ts";
import { HWAddr } from "./hwaddr.ts";
import { decodeFormattedHex, readU32, toColonHex, toHex } from "./ioaddress.ts";

/** DUID types (the first two bytes of a DUID). */
export const DuidType = {
  DUID_UNKNOWN: 0,
  DUID_LLT: 1,
  DUID_EN: 2,
  DUID_LL: 3,
  DUID_UUID: 4,
} as const;
export type DuidTypeValue = (typeof DuidType)[keyof typeof DuidType];

/** Kea's limits: a DUID is at most 128 bytes plus its 2-byte type. */
export const MAX_DUID_LEN = 130;
export const MIN_DUID_LEN = 3;
/** RFC 2132: a client identifier has at least two bytes (type and one byte of data). */
export const MIN_CLIENT_ID_LEN = 2;
export const MAX_CLIENT_ID_LEN = 255;

/** Seconds from the Unix epoch to 2000-01-01, the epoch of DUID-LLT times. */
export const DUID_TIME_EPOCH = 946684800;

/** What a DUID says about itself, decoded from its type. */
export type DuidInfo =
  | { type: typeof DuidType.DUID_LLT; htype: number; time: number; linkLayer: Buffer }
  | { type: typeof DuidType.DUID_EN; enterpriseId: number; identifier: Buffer }
  | { type: typeof DuidType.DUID_LL; htype: number; linkLayer: Buffer }
  | { type: typeof DuidType.DUID_UUID; uuid: string }
  | { type: typeof DuidType.DUID_UNKNOWN };

export class DUID {
  readonly duid: Buffer;

  constructor(bytes: Uint8Array) {
    if (bytes.length < MIN_DUID_LEN || bytes.length > MAX_DUID_LEN) {
      throw new BadValue(
        `DUID of ${bytes.length} bytes is outside ${MIN_DUID_LEN}..${MAX_DUID_LEN} bytes`,
      );
    }
    this.duid = copyBytes(bytes);
  }

  static fromText(text: string): DUID {
    const bytes = decodeFormattedHex(text.trim());
    if (bytes === null) throw new BadValue(`'${text}' is not a valid DUID`);
    return new DUID(bytes);
  }

  /** The DUID type: LLT, EN, LL, UUID, or UNKNOWN for anything else or a malformed body. */
  getType(): DuidTypeValue {
    return this.describe().type;
  }

  /** Decodes the type-specific fields; a body too short for its type reads as UNKNOWN. */
  describe(): DuidInfo {
    const d = this.duid;
    const type = (d[0]! << 8) | d[1]!;
    switch (type) {
      case DuidType.DUID_LLT:
        if (d.length < 8) break;
        return { type, htype: (d[2]! << 8) | d[3]!, time: readU32(d, 4), linkLayer: d.subarray(8) };
      case DuidType.DUID_EN:
        if (d.length < 6) break;
        return { type, enterpriseId: readU32(d, 2), identifier: d.subarray(6) };
      case DuidType.DUID_LL:
        if (d.length < 4) break;
        return { type, htype: (d[2]! << 8) | d[3]!, linkLayer: d.subarray(4) };
      case DuidType.DUID_UUID:
        if (d.length !== 18) break;
        return { type, uuid: formatUuid(d, 2) };
    }
    return { type: DuidType.DUID_UNKNOWN };
  }

  /** The link-layer address of a DUID-LLT or DUID-LL, else null. */
  getHWAddr(): HWAddr | null {
    const info = this.describe();
    if (info.type === DuidType.DUID_LLT || info.type === DuidType.DUID_LL) {
      if (info.linkLayer.length === 0) return null;
      return new HWAddr(info.linkLayer, info.htype);
    }
    return null;
  }

  /** Colon hex, as Kea prints it: "00:01:00:01:...". */
  toText(): string {
    return toColonHex(this.duid);
  }

  toString(): string {
    return this.toText();
  }

  equals(other: DUID): boolean {
    return this.duid.equals(other.duid);
  }
}

export class ClientId {
  readonly clientId: Buffer;

  constructor(bytes: Uint8Array) {
    if (bytes.length < MIN_CLIENT_ID_LEN || bytes.length > MAX_CLIENT_ID_LEN) {
      throw new BadValue(
        `client identifier of ${bytes.length} bytes is outside ` +
          `${MIN_CLIENT_ID_LEN}..${MAX_CLIENT_ID_LEN} bytes`,
      );
    }
    this.clientId = Buffer.from(bytes);
  }

  static fromText(text: string): ClientId {
    const bytes = decodeFormattedHex(text.trim());
    if (bytes === null) throw new BadValue(`'${text}' is not a valid client identifier`);
    return new ClientId(bytes);
  }

  /** RFC 4361: type 255 means the rest is IAID (4 bytes) followed by a DUID. */
  getDuid(): DUID | null {
    const c = this.clientId;
    if (c[0] !== 255 || c.length < 5 + MIN_DUID_LEN) return null;
    return new DUID(c.subarray(5));
  }

  toText(): string {
    return toColonHex(this.clientId);
  }

  toString(): string {
    return this.toText();
  }

  equals(other: ClientId): boolean {
    return this.clientId.equals(other.clientId);
  }
}

function formatUuid(b: Uint8Array, off: number): string {
  const h = toHex(b, off, off + 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
