/**
 * Lease6: one IPv6 address or delegated prefix lease, with the fields of Kea's `Lease6`
 * (src/lib/dhcpsrv/lease.h).
 *
 * Hot path object, as Lease4: every field is assigned in the constructor, in the same order.
 * The lease store keeps its own copies (it clones on add and update).
 *
 * The DUID is kept as bytes, not as a `DUID` (src/dhcp/duid.ts): a declined lease holds Kea's
 * "empty DUID", the single byte 00, which is shorter than any DUID a client may send.
 */
import { HWAddr } from "../../dhcp/hwaddr.ts";
import { copyBytes } from "../../util/bytes.ts";
import type { JsonObject } from "../../hooks/types.ts";
import { INFINITY_LFT, LeaseState } from "./lease.ts";

export { INFINITY_LFT, LeaseState };

/** Lease types, with Kea's numbers (the `lease_type` column of the lease file). */
export const LeaseType6 = {
  IA_NA: 0,
  /** Deprecated by RFC 8415; Kea still stores it. */
  IA_TA: 1,
  IA_PD: 2,
} as const;
export type LeaseType6Value = (typeof LeaseType6)[keyof typeof LeaseType6];

/** Kea's names of the lease types, as its commands print them (`"type": "IA_NA"`). */
export const LEASE_TYPE6_NAMES: readonly string[] = ["IA_NA", "IA_TA", "IA_PD"];

/** Where the hardware address of a v6 lease came from (Kea's `HWAddr::HWADDR_SOURCE_*` bits). */
export const HWAddrSource = {
  UNKNOWN: 0,
  RAW: 0x1,
  DUID: 0x2,
  IPV6_LINK_LOCAL: 0x4,
  CLIENT_ADDR_RELAY_OPTION: 0x8,
  REMOTE_ID: 0x10,
  SUBSCRIBER_ID: 0x20,
  DOCSIS_CMTS: 0x40,
  DOCSIS_MODEM: 0x80,
} as const;

/** Kea's `DUID::EMPTY()`: the DUID of a declined lease. */
export const EMPTY_DUID: Buffer = Buffer.from([0]);

export interface Lease6Init {
  /** RFC 5952 text (the store makes it canonical); for a prefix, the prefix's first address. */
  address: string;
  /** Default IA_NA. */
  type?: number;
  /** 128 for addresses (the default), the delegated length for prefixes. */
  prefixLen?: number;
  /** Client DUID bytes; EMPTY_DUID for a declined lease. */
  duid: Uint8Array;
  iaid: number;
  preferredLifetime: number;
  /** Seconds; 0 only in the deletion rows of a lease file. */
  validLifetime: number;
  /** Client last transmission time, seconds since the epoch. */
  cltt: number;
  subnetId: number;
  poolId?: number;
  fqdnFwd?: boolean;
  fqdnRev?: boolean;
  /** ASCII letters are lower-cased, as Kea's Lease constructor does. */
  hostname?: string;
  hwaddr?: HWAddr | null;
  /** An HWAddrSource bit; only meaningful with a hardware address. */
  hwaddrSource?: number;
  state?: number;
  userContext?: JsonObject | null;
}

export class Lease6 {
  address: string;
  type: number;
  prefixLen: number;
  duid: Buffer;
  iaid: number;
  preferredLifetime: number;
  validLifetime: number;
  cltt: number;
  subnetId: number;
  /** Kea 3 `pool_id`; not stored in a Kea 2.2 lease file, so it reads back as 0. */
  poolId: number;
  fqdnFwd: boolean;
  fqdnRev: boolean;
  hostname: string;
  /** The client's hardware address when the server learnt it, else null. */
  hwaddr: HWAddr | null;
  /** How the hardware address was learnt (the `hwaddr_source` column). */
  hwaddrSource: number;
  state: number;
  /** A JSON map, or null. */
  userContext: JsonObject | null;

  constructor(init: Lease6Init) {
    this.address = init.address;
    this.type = init.type ?? LeaseType6.IA_NA;
    this.prefixLen = init.prefixLen ?? 128;
    this.duid = copyBytes(init.duid);
    this.iaid = init.iaid;
    this.preferredLifetime = init.preferredLifetime;
    this.validLifetime = init.validLifetime;
    this.cltt = init.cltt;
    this.subnetId = init.subnetId;
    this.poolId = init.poolId ?? 0;
    this.fqdnFwd = init.fqdnFwd ?? false;
    this.fqdnRev = init.fqdnRev ?? false;
    this.hostname = init.hostname === undefined ? "" : asciiLower(init.hostname);
    this.hwaddr = init.hwaddr ?? null;
    this.hwaddrSource = init.hwaddrSource ?? HWAddrSource.UNKNOWN;
    this.state = init.state ?? LeaseState.DEFAULT;
    this.userContext = init.userContext ?? null;
  }

  /** Expiration time in seconds since the epoch: `cltt + validLifetime` (the `expire` column). */
  get expire(): number {
    return this.cltt + this.validLifetime;
  }

  /** True when the lease has expired at `now` (seconds); an infinite lease never expires. */
  isExpired(now: number): boolean {
    return this.validLifetime !== INFINITY_LFT && this.cltt + this.validLifetime < now;
  }

  /**
   * A deep copy sharing nothing with the original. The hostname is copied as it is: a lease read
   * from a file keeps the case of its hostname there, as in Kea.
   */
  clone(): Lease6 {
    const copy = new Lease6({
      address: this.address,
      type: this.type,
      prefixLen: this.prefixLen,
      duid: this.duid,
      iaid: this.iaid,
      preferredLifetime: this.preferredLifetime,
      validLifetime: this.validLifetime,
      cltt: this.cltt,
      subnetId: this.subnetId,
      poolId: this.poolId,
      fqdnFwd: this.fqdnFwd,
      fqdnRev: this.fqdnRev,
      hwaddr: this.hwaddr === null ? null : new HWAddr(this.hwaddr.hwaddr, this.hwaddr.htype),
      hwaddrSource: this.hwaddrSource,
      state: this.state,
      userContext: this.userContext === null ? null : structuredClone(this.userContext),
    });
    copy.hostname = this.hostname;
    return copy;
  }

  /**
   * Sets the lease aside after a DECLINE, as Kea's `Lease6::decline`: the empty DUID, no hardware
   * address, no name, DNS flags cleared, preferred lifetime 0, valid for the probation period
   * from `now`. The IAID and the user context stay.
   */
  decline(probationPeriod: number, now: number): void {
    this.hwaddr = null;
    this.hwaddrSource = HWAddrSource.UNKNOWN;
    this.duid = Buffer.from(EMPTY_DUID);
    this.preferredLifetime = 0;
    this.validLifetime = probationPeriod;
    this.cltt = now;
    this.hostname = "";
    this.fqdnFwd = false;
    this.fqdnRev = false;
    this.state = LeaseState.DECLINED;
  }

  /** True when the DUID is Kea's empty DUID (a declined lease). */
  hasEmptyDuid(): boolean {
    return this.duid.length === 1 && this.duid[0] === 0;
  }
}

const UPPER = /[A-Z]/;

function asciiLower(s: string): string {
  return UPPER.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}
