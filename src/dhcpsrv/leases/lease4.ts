/**
 * Lease4: one IPv4 address lease, with the fields of Kea's `Lease4` (src/lib/dhcpsrv/lease.h).
 *
 * Hot path object: every field is assigned in the constructor, in the same order, so all leases
 * share one hidden class. The lease store keeps its own copies (it clones on add and update), so
 * a lease handed to the store can be changed by the caller afterwards without touching the store.
 */
import { HWAddr } from "../../dhcp/hwaddr.ts";
import { copyBytes } from "../../util/bytes.ts";
import type { JsonObject } from "../../hooks/types.ts";

import { INFINITY_LFT, LeaseState } from "./lease.ts";

export { INFINITY_LFT, LeaseState };

export interface Lease4Init {
  /** Dotted quad. */
  address: string;
  /** null for a declined lease (Kea keeps an empty HWAddr there). */
  hwaddr?: HWAddr | null;
  clientId?: Uint8Array | null;
  /** Seconds; 0 only in the deletion rows of a lease file. */
  validLifetime: number;
  /** Client last transmission time, seconds since the epoch. */
  cltt: number;
  subnetId: number;
  poolId?: number;
  fqdnFwd?: boolean;
  fqdnRev?: boolean;
  hostname?: string;
  state?: number;
  userContext?: JsonObject | null;
}

export class Lease4 {
  address: string;
  hwaddr: HWAddr | null;
  clientId: Buffer | null;
  validLifetime: number;
  cltt: number;
  subnetId: number;
  /** Kea 3 `pool_id`; not stored in a Kea 2.2 lease file, so it reads back as 0. */
  poolId: number;
  fqdnFwd: boolean;
  fqdnRev: boolean;
  /**
   * ASCII letters lower-cased, as Kea's Lease constructor does (DNS names are case-insensitive;
   * Kea lowers bytes in the C locale, so other letters keep their case).
   */
  hostname: string;
  state: number;
  /** A JSON map, or null. */
  userContext: JsonObject | null;

  constructor(init: Lease4Init) {
    this.address = init.address;
    this.hwaddr = init.hwaddr ?? null;
    this.clientId =
      init.clientId === undefined || init.clientId === null || init.clientId.length === 0
        ? null
        : copyBytes(init.clientId);
    this.validLifetime = init.validLifetime;
    this.cltt = init.cltt;
    this.subnetId = init.subnetId;
    this.poolId = init.poolId ?? 0;
    this.fqdnFwd = init.fqdnFwd ?? false;
    this.fqdnRev = init.fqdnRev ?? false;
    this.hostname = init.hostname === undefined ? "" : asciiLower(init.hostname);
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
   * A deep copy: the hardware address, client id and user context are not shared, so changing
   * the copy never changes the original.
   */
  clone(): Lease4 {
    const copy = new Lease4({
      address: this.address,
      hwaddr: this.hwaddr === null ? null : new HWAddr(this.hwaddr.hwaddr, this.hwaddr.htype),
      clientId: this.clientId,
      validLifetime: this.validLifetime,
      cltt: this.cltt,
      subnetId: this.subnetId,
      poolId: this.poolId,
      fqdnFwd: this.fqdnFwd,
      fqdnRev: this.fqdnRev,
      hostname: this.hostname,
      state: this.state,
      userContext: this.userContext === null ? null : structuredClone(this.userContext),
    });
    // As is: a name the server set after construction keeps its case, as in Kea.
    copy.hostname = this.hostname;
    return copy;
  }

  /**
   * Sets the lease aside after a DHCPDECLINE, as Kea's `Lease4::decline`: no client identity,
   * no name, DNS flags cleared, valid for the probation period from `now`; the user context stays.
   */
  decline(probationPeriod: number, now: number): void {
    this.hwaddr = null;
    this.clientId = null;
    this.hostname = "";
    this.fqdnFwd = false;
    this.fqdnRev = false;
    this.cltt = now;
    this.validLifetime = probationPeriod;
    this.state = LeaseState.DECLINED;
  }
}

const UPPER = /[A-Z]/;

/** ASCII letters lower-cased, other characters kept (Kea lowers bytes in the C locale). */
export function asciiLower(s: string): string {
  return UPPER.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}
