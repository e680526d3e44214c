/**
 * The DHCPv6 address model built from a configuration: subnets with their address pools and
 * prefix delegation pools, timers, lifetimes and options. Addresses are 128-bit numbers (bigint)
 * so that range checks and the iterative allocator never parse text on the packet path.
 */
import { ipv6ToString, tryParseIPv6 } from "../../dhcp/ioaddress.ts";
import { CfgOption } from "./cfg-option.ts";
import { ClientNameParams } from "../processing/client-name.ts";
import { DEFAULT_RESERVATION_MODES, type ReservationModes } from "./host.ts";
import { guardAllows, type ClassGuard, type RequiredClass } from "../classify/client-classes.ts";
import type { SharedNetwork } from "./shared-network.ts";
import { LeaseType6 } from "../leases/lease6.ts";
import type { Triplet } from "./triplet.ts";
import { NO_CACHING, type AllocatorKind, type LeaseCaching } from "./allocation.ts";

export type { Triplet };

const SCRATCH = new Uint8Array(16);
/** SCRATCH's bytes as two big-endian 64-bit words: a 128-bit number in two bigint reads. */
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);
const NONE: readonly RequiredClass[] = [];
const ALL_ONES = (1n << 128n) - 1n;

// The last conversion either way: one query converts the same address back and forth (the
// allocator's candidate to text, the text to its pool), and each is then done once per query.
// bigToIpv6 fills both: its text is canonical; ipv6ToBig's text may be any spelling.
let lastText = "";
let lastBig = -1n;
let lastCanonicalBig = -1n;
let lastCanonicalText = "";

/** The address as a number; -1n when `text` is not an IPv6 address. */
export function ipv6ToBig(text: string): bigint {
  if (text === lastText) return lastBig;
  const n = tryParseIPv6(text, SCRATCH) ? bytesToBig(SCRATCH, 0) : -1n;
  lastText = text;
  lastBig = n;
  return n;
}

/**
 * The 16 bytes at `off` as a number: copied into SCRATCH (when they are not there) and read as
 * two 64-bit words, four bigint operations in all (not twelve, word by 32-bit word).
 */
export function bytesToBig(b: Uint8Array, off: number): bigint {
  if (b !== SCRATCH || off !== 0) for (let i = 0; i < 16; i++) SCRATCH[i] = b[off + i]!;
  return (SCRATCH_VIEW.getBigUint64(0) << 64n) | SCRATCH_VIEW.getBigUint64(8);
}

/** A 128-bit number into SCRATCH's 16 bytes, as two 64-bit words. */
function toScratch(n: bigint): void {
  SCRATCH_VIEW.setBigUint64(0, n >> 64n);
  SCRATCH_VIEW.setBigUint64(8, BigInt.asUintN(64, n));
}

/** A 128-bit number as its 16 bytes, most significant first (a new array). */
export function bigToBytes16(n: bigint): Uint8Array {
  toScratch(n);
  return SCRATCH.slice();
}

/** RFC 5952 text of a 128-bit number. */
export function bigToIpv6(n: bigint): string {
  if (n === lastCanonicalBig) return lastCanonicalText;
  toScratch(n);
  const text = ipv6ToString(SCRATCH);
  lastText = lastCanonicalText = text;
  lastBig = lastCanonicalBig = n;
  return text;
}

/** The mask of a prefix length, as a number. */
export function prefixMask(len: number): bigint {
  return len === 0 ? 0n : ALL_ONES ^ ((1n << BigInt(128 - len)) - 1n);
}

/** An address pool (`pools`): a range of addresses for IA_NA. */
export class Pool6 {
  readonly type = LeaseType6.IA_NA;
  readonly start: bigint;
  readonly end: bigint;
  /** The pool's index in its subnet. */
  readonly id: number;
  /** `pool-id` (0 when not configured): the `pid` of `subnet[id].pool[pid].*`, as Kea 3. */
  readonly statsId: number;
  readonly options: CfgOption;
  /** Only packets in one of these classes get addresses from here; null = everyone. */
  readonly guard: ClassGuard;
  readonly requiredClasses: readonly RequiredClass[];
  /** The iterative allocator's position: the last address handed out from this pool. */
  cursor: bigint;

  constructor(
    start: bigint,
    end: bigint,
    id: number,
    options: CfgOption = CfgOption.EMPTY6,
    guard: ClassGuard = null,
    requiredClasses: readonly RequiredClass[] = NONE,
    statsId = 0,
  ) {
    this.start = start;
    this.end = end;
    this.id = id;
    this.statsId = statsId;
    this.options = options;
    this.guard = guard;
    this.requiredClasses = requiredClasses;
    this.cursor = end;
  }

  allows(classes: ReadonlySet<string>): boolean {
    return this.guard === null || guardAllows(this.guard, classes);
  }

  inRange(addr: bigint): boolean {
    return addr >= this.start && addr <= this.end;
  }

  get capacity(): bigint {
    return this.end - this.start + 1n;
  }

  toText(): string {
    return `${bigToIpv6(this.start)}-${bigToIpv6(this.end)}`;
  }
}

/** A prefix delegation pool (`pd-pools`): prefixes of `delegatedLen` inside `prefix/prefixLen`. */
export class PdPool6 {
  readonly type = LeaseType6.IA_PD;
  readonly prefix: bigint;
  readonly prefixLen: number;
  readonly delegatedLen: number;
  /** The pool's index in its subnet's pd-pools. */
  readonly id: number;
  /** `pool-id` (0 when not configured): the `pid` of `subnet[id].pd-pool[pid].*`, as Kea 3. */
  readonly statsId: number;
  readonly options: CfgOption;
  readonly guard: ClassGuard;
  readonly requiredClasses: readonly RequiredClass[];
  /**
   * `excluded-prefix` / `excluded-prefix-len` (RFC 6603): the prefix each delegated prefix
   * carries as excluded (option 67) when the client asks; length 0 = none.
   */
  readonly excludedPrefix: bigint;
  readonly excludedLen: number;
  /** Distance between two delegated prefixes. */
  readonly step: bigint;
  readonly last: bigint;
  cursor: bigint;

  constructor(
    prefix: bigint,
    prefixLen: number,
    delegatedLen: number,
    id: number,
    options: CfgOption = CfgOption.EMPTY6,
    guard: ClassGuard = null,
    requiredClasses: readonly RequiredClass[] = NONE,
    excluded: { prefix: bigint; len: number } | null = null,
    statsId = 0,
  ) {
    this.statsId = statsId;
    this.guard = guard;
    this.requiredClasses = requiredClasses;
    this.excludedPrefix = excluded?.prefix ?? 0n;
    this.excludedLen = excluded?.len ?? 0;
    this.prefix = prefix & prefixMask(prefixLen);
    this.prefixLen = prefixLen;
    this.delegatedLen = delegatedLen;
    this.id = id;
    this.options = options;
    this.step = 1n << BigInt(128 - delegatedLen);
    this.last = this.prefix | (ALL_ONES ^ prefixMask(prefixLen));
    this.last = this.last & prefixMask(delegatedLen);
    this.cursor = this.last;
  }

  /** True when the delegated prefix `addr/len` lies inside this pool and has its length. */
  holds(addr: bigint, len: number): boolean {
    return (
      len === this.delegatedLen &&
      (addr & prefixMask(this.prefixLen)) === this.prefix &&
      (addr & prefixMask(len)) === addr
    );
  }

  allows(classes: ReadonlySet<string>): boolean {
    return this.guard === null || guardAllows(this.guard, classes);
  }

  /** True when the address is inside the pool's prefix. */
  inRange(addr: bigint): boolean {
    return (addr & prefixMask(this.prefixLen)) === this.prefix;
  }

  get capacity(): bigint {
    return 1n << BigInt(this.delegatedLen - this.prefixLen);
  }

  toText(): string {
    return `${bigToIpv6(this.prefix)}/${this.prefixLen} delegated /${this.delegatedLen}`;
  }
}

export interface Subnet6Params {
  id: number;
  prefix: bigint;
  prefixLen: number;
  pools: Pool6[];
  pdPools: PdPool6[];
  options?: CfgOption;
  interface?: string;
  /** The relay's interface-id option bytes (`interface-id`), or null. */
  interfaceId?: Buffer | null;
  /** Canonical text of the relay addresses (`relay.ip-addresses`). */
  relayAddresses?: string[];
  validLifetime: Triplet;
  preferredLifetime: Triplet;
  renewTimer?: number;
  rebindTimer?: number;
  calculateTeeTimes: boolean;
  t1Percent: number;
  t2Percent: number;
  rapidCommit: boolean;
  guard?: ClassGuard;
  requiredClasses?: readonly RequiredClass[];
  /** ddns-* and hostname-char-* as they apply to this subnet. */
  clientNames?: ClientNameParams;
  /** `allocator` (address pools) and `pd-allocator` (prefix pools); iterative when not given. */
  allocator?: AllocatorKind;
  pdAllocator?: AllocatorKind;
  /** `cache-threshold` and `cache-max-age` as they apply to this subnet. */
  caching?: LeaseCaching;
  /** `store-extended-info`: the query's relay information kept in its leases. */
  storeExtendedInfo?: boolean;
  /** `adaptive-lease-time-threshold` (Kea 3); 0 = none. */
  adaptiveThreshold?: number;
  /** reservations-global / -in-subnet / -out-of-pool as they apply to this subnet. */
  reservations?: ReservationModes;
}

export class Subnet6 {
  /** The shared network the subnet is in, null when it is in none. */
  network: SharedNetwork<Subnet6> | null = null;
  /**
   * When the allocator last picked here (a counter, see recordPick), by lease type: Kea's last
   * allocation time, by which a network's walk starts at its most recently used subnet.
   */
  readonly lastPick: number[] = [0, 0];
  /** The subnet's `client-class` as written: the subnets a network walk may start at share it. */
  guardKey = "";
  readonly id: number;
  readonly prefix: bigint;
  readonly prefixLen: number;
  readonly mask: bigint;
  readonly pools: Pool6[];
  readonly pdPools: PdPool6[];
  readonly options: CfgOption;
  readonly interface: string;
  readonly interfaceId: Buffer | null;
  readonly relayAddresses: string[];
  readonly validLifetime: Triplet;
  readonly preferredLifetime: Triplet;
  readonly renewTimer: number | undefined;
  readonly rebindTimer: number | undefined;
  readonly calculateTeeTimes: boolean;
  readonly t1Percent: number;
  readonly t2Percent: number;
  readonly rapidCommit: boolean;
  readonly guard: ClassGuard;
  readonly requiredClasses: readonly RequiredClass[];
  readonly clientNames: ClientNameParams;
  readonly allocator: AllocatorKind;
  readonly pdAllocator: AllocatorKind;
  readonly caching: LeaseCaching;
  readonly storeExtendedInfo: boolean;
  readonly adaptiveThreshold: number;
  /** Where its clients' reservations are looked for (reservationModes). */
  readonly reservations: ReservationModes;
  /** Some pd-pool has an excluded prefix (option 67). */
  readonly hasPdExclude: boolean;

  constructor(p: Subnet6Params) {
    this.id = p.id;
    this.prefixLen = p.prefixLen;
    this.mask = prefixMask(p.prefixLen);
    this.prefix = p.prefix & this.mask;
    this.pools = p.pools;
    this.pdPools = p.pdPools;
    this.hasPdExclude = p.pdPools.some((pool) => pool.excludedLen > 0);
    this.options = p.options ?? CfgOption.EMPTY6;
    this.interface = p.interface ?? "";
    this.interfaceId = p.interfaceId ?? null;
    this.relayAddresses = p.relayAddresses ?? [];
    this.validLifetime = p.validLifetime;
    this.preferredLifetime = p.preferredLifetime;
    this.renewTimer = p.renewTimer;
    this.rebindTimer = p.rebindTimer;
    this.calculateTeeTimes = p.calculateTeeTimes;
    this.t1Percent = p.t1Percent;
    this.t2Percent = p.t2Percent;
    this.rapidCommit = p.rapidCommit;
    this.guard = p.guard ?? null;
    this.requiredClasses = p.requiredClasses ?? NONE;
    this.clientNames = p.clientNames ?? ClientNameParams.DEFAULT;
    this.allocator = p.allocator ?? "iterative";
    this.pdAllocator = p.pdAllocator ?? "iterative";
    this.caching = p.caching ?? NO_CACHING;
    this.storeExtendedInfo = p.storeExtendedInfo ?? false;
    this.adaptiveThreshold = p.adaptiveThreshold ?? 0;
    this.reservations = p.reservations ?? DEFAULT_RESERVATION_MODES;
  }

  /**
   * Whether a packet in these classes may select this subnet: its own guard and its shared
   * network's (Kea's Subnet6::clientSupported).
   */
  allows(classes: ReadonlySet<string>): boolean {
    return this.ownAllows(classes) && (this.network === null || this.network.allows(classes));
  }

  /** The subnet's own class guard passes. */
  ownAllows(classes: ReadonlySet<string>): boolean {
    return this.guard === null || guardAllows(this.guard, classes);
  }

  /** True when the address belongs to the subnet's prefix. */
  inRange(addr: bigint): boolean {
    return (addr & this.mask) === this.prefix;
  }

  /** The address pool holding the address, or undefined. */
  poolFor(addr: bigint): Pool6 | undefined {
    for (const pool of this.pools) if (pool.inRange(addr)) return pool;
    return undefined;
  }

  /** The prefix delegation pool holding the delegated prefix `addr/len`, or undefined. */
  pdPoolFor(addr: bigint, len: number): PdPool6 | undefined {
    for (const pool of this.pdPools) if (pool.holds(addr, len)) return pool;
    return undefined;
  }

  /**
   * The pool holding a lease's address (IA_NA) or delegated prefix (IA_PD), or undefined; `hint`
   * is the index of the pool that probably holds it (the lease's `poolId`), tried first.
   */
  poolOfLease(
    type: number,
    address: string,
    prefixLen: number,
    hint = 0,
  ): Pool6 | PdPool6 | undefined {
    const addr = ipv6ToBig(address);
    if (addr < 0n) return undefined;
    if (type === LeaseType6.IA_PD) {
      const guess = this.pdPools[hint];
      if (guess !== undefined && guess.holds(addr, prefixLen)) return guess;
      return this.pdPoolFor(addr, prefixLen);
    }
    const guess = this.pools[hint];
    if (guess !== undefined && guess.inRange(addr)) return guess;
    return this.poolFor(addr);
  }

  /** Number of addresses in all address pools (the `total-nas` statistic). */
  get totalNas(): bigint {
    let n = 0n;
    for (const pool of this.pools) n += pool.capacity;
    return n;
  }

  /** Number of prefixes in all prefix delegation pools (the `total-pds` statistic). */
  get totalPds(): bigint {
    let n = 0n;
    for (const pool of this.pdPools) n += pool.capacity;
    return n;
  }

  toText(): string {
    return `${bigToIpv6(this.prefix)}/${this.prefixLen}`;
  }
}
