/**
 * The DHCPv4 address model built from a configuration: subnets with their pools, timers and
 * options. Addresses are held as unsigned 32-bit numbers so that range checks and the allocator
 * never parse text on the packet path.
 */
import type { Cfg4o6 } from "./cfg4o6.ts";
import { ipv4ToString, tryParseIPv4 } from "../../dhcp/ioaddress.ts";
import { CfgOption } from "./cfg-option.ts";
import type { Triplet } from "./triplet.ts";
import { NO_CACHING, type AllocatorKind, type LeaseCaching } from "./allocation.ts";
import { ClientNameParams } from "../processing/client-name.ts";
import { DEFAULT_RESERVATION_MODES, type ReservationModes } from "./host.ts";
import { guardAllows, type ClassGuard, type RequiredClass } from "../classify/client-classes.ts";
import type { SharedNetwork } from "./shared-network.ts";

export class Pool4 {
  readonly start: number;
  readonly end: number;
  /** The pool's index in its subnet. */
  readonly id: number;
  /**
   * `pool-id` (0 when not configured): the `pid` of its statistics `subnet[id].pool[pid].*`, as
   * Kea 3 names them; pools sharing one add up under the same names.
   */
  readonly statsId: number;
  readonly options: CfgOption;
  /** Only packets in one of these classes get addresses from here; null = everyone. */
  readonly guard: ClassGuard;
  /** Classes evaluated for a client given an address from here (require-client-classes). */
  readonly requiredClasses: readonly RequiredClass[];
  /**
   * The iterative allocator's position: the last address picked from this pool, or `start - 1`
   * while the pool is fresh (nothing picked yet, or passed its end: it starts over at `start`).
   */
  cursor: number;

  constructor(
    start: number,
    end: number,
    id: number,
    options: CfgOption = CfgOption.EMPTY4,
    guard: ClassGuard = null,
    requiredClasses: readonly RequiredClass[] = NONE,
    statsId = 0,
  ) {
    this.start = start >>> 0;
    this.end = end >>> 0;
    this.id = id;
    this.statsId = statsId;
    this.options = options;
    this.guard = guard;
    this.requiredClasses = requiredClasses;
    this.cursor = this.start - 1;
  }

  /** Whether a client in these classes may get an address from this pool. */
  allows(classes: ReadonlySet<string>): boolean {
    return this.guard === null || guardAllows(this.guard, classes);
  }

  inRange(addr: number): boolean {
    return addr >= this.start && addr <= this.end;
  }

  get capacity(): number {
    return this.end - this.start + 1;
  }

  toText(): string {
    return `${ipv4ToString(this.start)}-${ipv4ToString(this.end)}`;
  }
}

export interface Subnet4Params {
  id: number;
  prefix: number;
  prefixLen: number;
  pools: Pool4[];
  options?: CfgOption;
  interface?: string;
  relayAddresses?: number[];
  validLifetime: Triplet;
  renewTimer?: number;
  rebindTimer?: number;
  calculateTeeTimes: boolean;
  t1Percent: number;
  t2Percent: number;
  matchClientId: boolean;
  authoritative: boolean;
  nextServer: number;
  serverHostname: string;
  bootFileName: string;
  /** Only packets in one of these classes select this subnet; null = everyone. */
  guard?: ClassGuard;
  requiredClasses?: readonly RequiredClass[];
  /** ddns-* and hostname-char-* as they apply to this subnet. */
  clientNames?: ClientNameParams;
  /** `allocator` as it applies to this subnet (iterative when not given). */
  allocator?: AllocatorKind;
  /** `cache-threshold` and `cache-max-age` as they apply to this subnet. */
  caching?: LeaseCaching;
  /** `store-extended-info`: the query's relay agent information kept in its lease. */
  storeExtendedInfo?: boolean;
  /** `adaptive-lease-time-threshold` (Kea 3); 0 = none. */
  adaptiveThreshold?: number;
  /** `offer-lifetime` (Kea 2.6): a DISCOVER's new lease is stored for this long; 0 = not. */
  offerLifetime?: number;
  /** reservations-global / -in-subnet / -out-of-pool as they apply to this subnet. */
  reservations?: ReservationModes;
  /** 4o6-interface, 4o6-interface-id, 4o6-subnet (DHCPv4-over-DHCPv6); null when none. */
  dhcp4o6?: Cfg4o6 | null;
}

const NONE: readonly RequiredClass[] = [];

export class Subnet4 {
  /** The shared network the subnet is in, null when it is in none. */
  network: SharedNetwork<Subnet4> | null = null;
  /**
   * When the allocator last picked here (a counter, see recordPick), by lease type: Kea's last
   * allocation time, by which a network's walk starts at its most recently used subnet.
   */
  readonly lastPick: number[] = [0, 0];
  /** The subnet's `client-class` as written: the subnets a network walk may start at share it. */
  guardKey = "";
  readonly id: number;
  readonly prefix: number;
  readonly prefixLen: number;
  readonly mask: number;
  readonly pools: Pool4[];
  readonly options: CfgOption;
  readonly interface: string;
  readonly relayAddresses: number[];
  readonly validLifetime: Triplet;
  readonly renewTimer: number | undefined;
  readonly rebindTimer: number | undefined;
  readonly calculateTeeTimes: boolean;
  readonly t1Percent: number;
  readonly t2Percent: number;
  readonly matchClientId: boolean;
  readonly authoritative: boolean;
  readonly nextServer: number;
  readonly serverHostname: string;
  readonly bootFileName: string;
  readonly guard: ClassGuard;
  readonly requiredClasses: readonly RequiredClass[];
  readonly clientNames: ClientNameParams;
  readonly allocator: AllocatorKind;
  readonly caching: LeaseCaching;
  readonly storeExtendedInfo: boolean;
  readonly adaptiveThreshold: number;
  readonly offerLifetime: number;
  /** Where its clients' reservations are looked for (reservationModes). */
  readonly reservations: ReservationModes;
  /** How a DHCPv4-over-DHCPv6 query selects the subnet; null: it does not. */
  readonly dhcp4o6: Cfg4o6 | null;
  /**
   * The iterative allocator's last address picked in the subnet (Kea's last allocated address):
   * the pool holding it is where the next pick goes on. At first the last address of the prefix.
   */
  cursor: number;

  constructor(p: Subnet4Params) {
    this.id = p.id;
    this.prefixLen = p.prefixLen;
    this.mask = p.prefixLen === 0 ? 0 : (0xffffffff << (32 - p.prefixLen)) >>> 0;
    this.prefix = (p.prefix & this.mask) >>> 0;
    this.cursor = (this.prefix | ~this.mask) >>> 0;
    this.pools = p.pools;
    this.options = p.options ?? CfgOption.EMPTY4;
    this.interface = p.interface ?? "";
    this.relayAddresses = p.relayAddresses ?? [];
    this.validLifetime = p.validLifetime;
    this.renewTimer = p.renewTimer;
    this.rebindTimer = p.rebindTimer;
    this.calculateTeeTimes = p.calculateTeeTimes;
    this.t1Percent = p.t1Percent;
    this.t2Percent = p.t2Percent;
    this.matchClientId = p.matchClientId;
    this.authoritative = p.authoritative;
    this.nextServer = p.nextServer;
    this.serverHostname = p.serverHostname;
    this.bootFileName = p.bootFileName;
    this.guard = p.guard ?? null;
    this.requiredClasses = p.requiredClasses ?? NONE;
    this.clientNames = p.clientNames ?? ClientNameParams.DEFAULT;
    this.allocator = p.allocator ?? "iterative";
    this.caching = p.caching ?? NO_CACHING;
    this.storeExtendedInfo = p.storeExtendedInfo ?? false;
    this.adaptiveThreshold = p.adaptiveThreshold ?? 0;
    this.offerLifetime = p.offerLifetime ?? 0;
    this.reservations = p.reservations ?? DEFAULT_RESERVATION_MODES;
    this.dhcp4o6 = p.dhcp4o6 ?? null;
  }

  /**
   * Whether a packet in these classes may select this subnet: its own guard and its shared
   * network's (Kea's Subnet4::clientSupported).
   */
  allows(classes: ReadonlySet<string>): boolean {
    return this.ownAllows(classes) && (this.network === null || this.network.allows(classes));
  }

  /** The subnet's own class guard passes. */
  ownAllows(classes: ReadonlySet<string>): boolean {
    return this.guard === null || guardAllows(this.guard, classes);
  }

  /** True when the address belongs to the subnet's prefix. */
  inRange(addr: number): boolean {
    return (addr & this.mask) >>> 0 === this.prefix;
  }

  /** The pool holding the address, or undefined. */
  poolFor(addr: number): Pool4 | undefined {
    for (const pool of this.pools) if (pool.inRange(addr)) return pool;
    return undefined;
  }

  /**
   * The pool holding the address (dotted quad), or undefined; `hint` is the index of the pool
   * that probably holds it (the lease's `poolId`), tried first.
   */
  poolOfAddress(address: string, hint = 0): Pool4 | undefined {
    const addr = tryParseIPv4(address);
    return addr < 0 ? undefined : this.poolOfNumber(addr, hint);
  }

  /** poolOfAddress for an address as an unsigned 32-bit number. */
  poolOfNumber(addr: number, hint = 0): Pool4 | undefined {
    const guess = this.pools[hint];
    if (guess !== undefined && guess.inRange(addr)) return guess;
    return this.poolFor(addr);
  }

  /** The pool holding the address if the client's classes allow it (Kea's inAllowedPool). */
  allowedPoolFor(addr: number, classes: ReadonlySet<string>): Pool4 | undefined {
    const pool = this.poolFor(addr);
    return pool !== undefined && pool.allows(classes) ? pool : undefined;
  }

  /** Number of addresses in all pools (the `total-addresses` statistic). */
  get totalAddresses(): number {
    let n = 0;
    for (const pool of this.pools) n += pool.capacity;
    return n;
  }

  toText(): string {
    return `${ipv4ToString(this.prefix)}/${this.prefixLen}`;
  }
}
