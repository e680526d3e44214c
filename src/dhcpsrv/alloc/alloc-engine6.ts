/**
 * The DHCPv6 allocation engine: which address or delegated prefix one IA of a client gets, as
 * Kea's AllocEngine decides it, in the two steps of the v4 engine (alloc-engine4.ts) so the
 * server can call lease6_select / lease6_renew / lease6_rebind between them:
 *   1. `pick()` (SOLICIT, REQUEST) or `extend()` (RENEW, REBIND) chooses, touching nothing;
 *   2. `commit()` writes the chosen lease (never for a SOLICIT without rapid commit).
 *
 * One lease per IA. Order of preference for `pick()` (Kea's allocateLeases6):
 *   the client's reserved address or prefix (when nobody else holds it) > the IA's current lease
 *   (still in a pool of the subnet, or reserved for the client) > the client's hint (an address
 *   in a pool, or a prefix of a pd-pool with its delegated length) when free > the next free
 *   address or prefix of the iterative allocator.
 * A declined address is never handed out before its probation period ended and it was recovered.
 *
 * In a shared network, as Kea's allocateLeases6: the IA's leases are those it has in any subnet
 * of the network, kept when in a pool of any of its subnets the client's classes allow; a hint
 * or a reservation in another subnet of the network is honoured there; a new lease comes from
 * the subnet the allocator picked from last (Kea's preferred subnet), then from each next one
 * while they are exhausted. `ctx.subnet` moves to the subnet of the lease chosen.
 */
import type { JsonObject } from "../../hooks/types.ts";
import { withExtendedInfo } from "../leases/extended-info.ts";
import type { HWAddr } from "../../dhcp/hwaddr.ts";
import type { Host6, HostStore6 } from "../model/host6.ts";
import { Lease6, LeaseState, LeaseType6 } from "../leases/lease6.ts";
import type { LeaseStore6 } from "../leases/lease-store6.ts";
import { type PdPool6, type Pool6, type Subnet6, bigToIpv6, ipv6ToBig } from "../model/subnet6.ts";
import type { Triplet } from "../model/triplet.ts";
import { PoolAllocators6 } from "./allocators/pool-allocators6.ts";
import { reusablePreferred, reusableLifetime } from "./lease-reuse.ts";
import { aboveThreshold, type PoolUsage } from "./pool-usage.ts";
import { nextSubnet, recordPick } from "../model/shared-network.ts";

/** What a client put in an IA: an address (IA_NA) or a prefix (IA_PD), with its lifetimes. */
export interface Hint6 {
  /** Canonical text. */
  address: string;
  /** 128 for an address; for a prefix its length (0: the client asked for no length). */
  prefixLen: number;
  preferred: number;
  valid: number;
}

export interface ClientContext6 {
  subnet: Subnet6;
  duid: Buffer;
  iaid: number;
  /** LeaseType6.IA_NA or LeaseType6.IA_PD. */
  type: number;
  hints: readonly Hint6[];
  /** True for SOLICIT without rapid commit: choose, do not store. */
  fakeAllocation: boolean;
  host: Host6 | undefined;
  /** With a hosts database: the reservations to check addresses against for this query. */
  hosts?: { findAllByAddress(subnetId: number, address: string): readonly Host6[] } | null;
  hwaddr: HWAddr | null;
  /** How `hwaddr` was learnt (HWAddrSource: from the DUID, or from a relay option). */
  hwaddrSource: number;
  hostname: string;
  /** Now, in seconds since the epoch. */
  now: number;
  /** The query's client classes: guarded pools serve only their members. */
  classes: ReadonlySet<string>;
  /** Lifetimes of the first of the client's classes that sets each, else undefined. */
  classValid: Triplet | undefined;
  classPreferred: Triplet | undefined;
  /**
   * The `ISC` entry the lease's user context gets (src/dhcpsrv/leases/extended-info.ts): the
   * query's relays when the subnet stores extended info; null or absent = unchanged.
   */
  extendedInfo?: JsonObject | null;
}

export const PickKind6 = {
  /** The IA's current lease, kept and extended. */
  RENEW: "renew",
  /** A new lease (a free one, or an expired one taken over). */
  NEW: "new",
} as const;
export type PickKind6 = (typeof PickKind6)[keyof typeof PickKind6];

export interface Pick6 {
  kind: PickKind6;
  /** The lease as it will be stored (a fresh object, never the store's own). */
  lease: Lease6;
  /** The store's lease at that address before (an expired lease being reused), or null. */
  previous: Lease6 | null;
  /** The IA's other leases in this subnet, released because the IA moves, possibly empty. */
  replaced: Lease6[];
}

/** Most candidates the iterative allocator tries in one pool before it gives up on it. */
const MAX_TRIES = 65536n;

export class AllocEngine6 {
  private readonly leases: LeaseStore6;
  private hosts: HostStore6;
  /** The random and free lease queue allocators' state, pool by pool. */
  readonly allocators: PoolAllocators6;
  /** The pools' lease counts (the server's statistics), for adaptive-lease-time-threshold. */
  private usage: PoolUsage | null = null;

  private readonly random: () => number;

  constructor(leases: LeaseStore6, hosts: HostStore6, random: () => number = Math.random) {
    this.leases = leases;
    this.hosts = hosts;
    this.random = random;
    this.allocators = new PoolAllocators6(leases, random);
  }

  /** The subnets of a configuration (at start and at each reconfiguration): allocators set up. */
  setSubnets(subnets: readonly Subnet6[]): void {
    this.allocators.setSubnets(subnets);
  }

  setHosts(hosts: HostStore6): void {
    this.hosts = hosts;
  }

  /** Where the pools' lease counts are read (the server's statistics). */
  setPoolUsage(usage: PoolUsage): void {
    this.usage = usage;
  }

  /** The IA's leases in the subnet and in the other subnets of its shared network. */
  iaLeases(ctx: ClientContext6): Lease6[] {
    const first = ctx.subnet;
    const own = this.leases.getLeases6ByDuidIaidSubnet(ctx.type, ctx.duid, ctx.iaid, first.id);
    const net = first.network;
    if (net === null) return own;
    const out = [...own];
    for (const s of net.subnets) {
      if (s === first) continue;
      out.push(...this.leases.getLeases6ByDuidIaidSubnet(ctx.type, ctx.duid, ctx.iaid, s.id));
    }
    return out;
  }

  /** Chooses the IA's lease; null when none can be given (pools exhausted). */
  pick(ctx: ClientContext6): Pick6 | null {
    if (!ctx.subnet.allows(ctx.classes)) {
      const next = nextSubnet(ctx.subnet, ctx.subnet, ctx.classes);
      if (next === null) return null;
      ctx.subnet = next;
    }
    const own = this.iaLeases(ctx);
    const reserved = this.reserved(ctx);
    for (const r of reserved) {
      if (this.usableBy(ctx, r.address)) {
        if (r.subnet !== undefined) ctx.subnet = r.subnet;
        return this.make(ctx, r.address, r.length, own);
      }
    }
    for (const lease of own) {
      if (this.mayKeep(ctx, lease)) {
        ctx.subnet = this.subnetOf(ctx, lease);
        return this.make(ctx, lease.address, lease.prefixLen, own);
      }
    }
    const selected = ctx.subnet;
    for (const h of ctx.hints) {
      const len = this.hintFits(ctx, h);
      if (len > 0 && this.usableBy(ctx, h.address)) return this.make(ctx, h.address, len, own);
      ctx.subnet = selected;
    }
    return this.nextFreeInNetwork(ctx, own);
  }

  /** The subnet of one of the IA's leases: the selected one or another of its network. */
  private subnetOf(ctx: ClientContext6, lease: Lease6): Subnet6 {
    const s = ctx.subnet;
    if (lease.subnetId === s.id || s.network === null) return s;
    return s.network.subnets.find((x) => x.id === lease.subnetId) ?? s;
  }

  /**
   * Kea's allocateUnreservedLeases6 over a shared network: from the subnet the allocator picked
   * from last among those with the selected subnet's class guard, each subnet in turn.
   */
  private nextFreeInNetwork(ctx: ClientContext6, own: Lease6[]): Pick6 | null {
    const net = ctx.subnet.network;
    if (net === null) return this.nextFree(ctx, own);
    const type = ctx.type === LeaseType6.IA_PD ? 1 : 0;
    const first = net.preferred(ctx.subnet, type);
    for (let s: Subnet6 | null = first; s !== null; s = nextSubnet(first, s, ctx.classes)) {
      ctx.subnet = s;
      const pools: readonly { allows(c: ReadonlySet<string>): boolean }[] =
        type === 1 ? s.pdPools : s.pools;
      if (!pools.some((p) => p.allows(ctx.classes))) continue;
      const pick = this.nextFree(ctx, own);
      recordPick(s, type);
      if (pick !== null) return pick;
    }
    return null;
  }

  /**
   * The lease extended for RENEW/REBIND (new lifetimes, cltt now), or null when the lease may
   * not be kept in this subnet (out of its pools and not reserved for the client).
   */
  extend(ctx: ClientContext6, lease: Lease6): Lease6 | null {
    if (!this.mayKeep(ctx, lease)) return null;
    const copy = lease.clone();
    const home = this.subnetOf(ctx, lease);
    const at = home === ctx.subnet ? ctx : { ...ctx, subnet: home };
    const [preferred, valid] = this.adaptive(at, lease, this.lifetimes(at, lease.address, false));
    copy.preferredLifetime = preferred;
    copy.validLifetime = valid;
    copy.cltt = ctx.now;
    copy.userContext = withExtendedInfo(copy.userContext, ctx.extendedInfo ?? null);
    copy.hwaddr = ctx.hwaddr;
    copy.hwaddrSource = ctx.hwaddr === null ? 0 : ctx.hwaddrSource;
    // As Kea's extendLease6: this query's hardware address (none = none), this query's name
    // (none = none); no DNS update directions.
    copy.hostname = ctx.hostname;
    copy.fqdnFwd = false;
    copy.fqdnRev = false;
    return copy;
  }

  /**
   * Kea's extendLease6 lease caching: when the extension changes nothing significant in the
   * stored lease (lifetimes, name and DNS directions, hardware address, state), the lease is
   * reused (setLeaseReusable): a copy of `extended` with the lifetimes left to it, else null.
   */
  reused(ctx: ClientContext6, stored: Lease6, extended: Lease6): Lease6 | null {
    if (stored.state !== LeaseState.DEFAULT || stored.isExpired(ctx.now)) return null;
    if (
      stored.preferredLifetime !== extended.preferredLifetime ||
      stored.validLifetime !== extended.validLifetime ||
      stored.hostname !== extended.hostname ||
      stored.fqdnFwd !== extended.fqdnFwd ||
      stored.fqdnRev !== extended.fqdnRev ||
      !sameHw(stored, extended)
    ) {
      return null;
    }
    const valid = reusableLifetime(
      ctx.subnet.caching,
      ctx.now,
      stored.cltt,
      stored.validLifetime,
      extended.validLifetime,
    );
    if (valid === 0) return null;
    const preferred = reusablePreferred(stored.preferredLifetime, ctx.now - stored.cltt);
    if (preferred < 0) return null;
    const lease = extended.clone();
    lease.validLifetime = valid;
    lease.preferredLifetime = preferred;
    return lease;
  }

  /** Stores the pick and releases the IA's leases it replaces. Not for a fake allocation. */
  commit(pick: Pick6): void {
    const existing = this.leases.getLease6(pick.lease.type, pick.lease.address);
    if (existing === null) this.leases.addLease6(pick.lease);
    else this.leases.updateLease6(pick.lease);
    for (const old of pick.replaced) this.leases.deleteLease6(old);
  }

  /**
   * The client's reservations of this IA's type in this subnet, or in the subnet of its shared
   * network the reservation is in (`subnet`: where the lease then goes).
   */
  private reserved(
    ctx: ClientContext6,
  ): { address: string; length: number; subnet?: Subnet6 | undefined }[] {
    const h = ctx.host;
    if (h === undefined) return [];
    const s = ctx.subnet;
    const home =
      h.subnetId === 0 || h.subnetId === s.id || s.network === null
        ? undefined
        : s.network.subnets.find((x) => x.id === h.subnetId);
    const where = home ?? s;
    // As Kea's allocateReservedLeases6: with reservations-out-of-pool, a subnet reservation
    // inside a pool is not one (the client gets a pool address as any client); a global one is.
    const skipInPool = h.subnetId !== 0 && where.reservations.outOfPool;
    if (ctx.type === LeaseType6.IA_PD) {
      return h.prefixes
        .filter((p) => !(skipInPool && inPoolOf(where, ctx.type, p.address)))
        .map((p) => ({ address: p.address, length: p.length, subnet: home }));
    }
    return h.addresses
      .filter((a) => where.inRange(ipv6ToBig(a)) && !(skipInPool && inPoolOf(where, ctx.type, a)))
      .map((address) => ({ address, length: 128, subnet: home }));
  }

  private isReservedForClient(ctx: ClientContext6, address: string): boolean {
    const h = ctx.host;
    if (h === undefined) return false;
    return ctx.type === LeaseType6.IA_PD
      ? h.prefixes.some((p) => p.address === address)
      : h.addresses.includes(address);
  }

  /**
   * The lease may stay with the client: in a pool of the subnet its classes allow (Kea's
   * inAllowedPool), or reserved for it.
   */
  mayKeep(ctx: ClientContext6, lease: Lease6): boolean {
    if (lease.state === LeaseState.DECLINED) return false;
    const home = this.subnetOf(ctx, lease);
    const at = home === ctx.subnet ? ctx : { ...ctx, subnet: home };
    // As Kea's removeNonmatchingReservedLeases6: reservations-out-of-pool does not spare a lease
    // the client holds on an address reserved for another client (it is taken back).
    if (this.reservedForOther(at, lease.address, false)) return false;
    if (this.isReservedForClient(ctx, lease.address)) return true;
    const a = ipv6ToBig(lease.address);
    // Kea's inAllowedPool: a pool the classes allow in any subnet of the network they allow.
    const first = ctx.subnet;
    for (let s: Subnet6 | null = first; s !== null; s = nextSubnet(first, s, ctx.classes)) {
      const pool = ctx.type === LeaseType6.IA_PD ? s.pdPoolFor(a, lease.prefixLen) : s.poolFor(a);
      if (pool !== undefined && pool.allows(ctx.classes)) return true;
    }
    return false;
  }

  /** The length the hint can be given with (128 for an address), 0 when it does not fit a pool. */
  private hintFits(ctx: ClientContext6, h: Hint6): number {
    const a = ipv6ToBig(h.address);
    if (a <= 0n) return 0;
    // In a shared network, a hint in another of its subnets is honoured there.
    const first = ctx.subnet;
    for (let s: Subnet6 | null = first; s !== null; s = nextSubnet(first, s, ctx.classes)) {
      const len = hintFitsIn(s, ctx.type, ctx.classes, a, h.prefixLen);
      if (len > 0) {
        ctx.subnet = s;
        return len;
      }
    }
    return 0;
  }

  /**
   * Kea's reserved-for-another-client check: only the subnet's own reservations count, none with
   * `reservations-in-subnet` false, and a pool address is not checked with
   * `reservations-out-of-pool` true; an address reserved for several clients
   * (`ip-reservations-unique` false) is not another's when one of them is this client.
   * `outOfPool` false: the pool address is checked whatever the subnet's flag (a lease held).
   */
  private reservedForOther(ctx: ClientContext6, address: string, outOfPool = true): boolean {
    const modes = ctx.subnet.reservations;
    if (!modes.inSubnet) return false;
    const hosts = (ctx.hosts ?? this.hosts).findAllByAddress(ctx.subnet.id, address);
    if (hosts.length === 0) return false;
    if (outOfPool && modes.outOfPool && inPoolOf(ctx.subnet, ctx.type, address)) return false;
    return ctx.host === undefined || !hosts.includes(ctx.host);
  }

  /** Nobody else holds or has reserved the address. */
  private usableBy(ctx: ClientContext6, address: string): boolean {
    if (this.reservedForOther(ctx, address)) return false;
    const lease = this.leases.getLease6(ctx.type, address);
    if (lease === null) return true;
    if (lease.state === LeaseState.DECLINED) return false;
    if (lease.duid.equals(ctx.duid) && lease.iaid === ctx.iaid) return true;
    return lease.state === LeaseState.EXPIRED_RECLAIMED || lease.isExpired(ctx.now);
  }

  private nextFree(ctx: ClientContext6, own: Lease6[]): Pick6 | null {
    if (ctx.type === LeaseType6.IA_PD) {
      const hinted = ctx.hints.find((h) => h.prefixLen > 0 && h.prefixLen < 128)?.prefixLen;
      const pools = ctx.subnet.pdPools;
      // A pool of the length the client asked for first, as Kea does.
      const ordered =
        hinted === undefined
          ? pools
          : [
              ...pools.filter((p) => p.delegatedLen === hinted),
              ...pools.filter((p) => p.delegatedLen !== hinted),
            ];
      const sameLen =
        hinted === undefined
          ? ordered.length
          : pools.filter((p) => p.delegatedLen === hinted).length;
      const tried =
        ctx.subnet.pdAllocator === "iterative"
          ? ordered
          : [...this.shuffled(ordered.slice(0, sameLen)), ...this.shuffled(ordered.slice(sameLen))];
      for (const pool of tried) {
        if (!pool.allows(ctx.classes)) continue;
        const a = this.scan(ctx, pool);
        if (a !== null) return this.make(ctx, a, pool.delegatedLen, own);
      }
      return null;
    }
    const pools = ctx.subnet.pools;
    const tried = ctx.subnet.allocator === "iterative" ? pools : this.shuffled(pools);
    for (const pool of tried) {
      if (!pool.allows(ctx.classes)) continue;
      const a = this.scan(ctx, pool);
      if (a !== null) return this.make(ctx, a, 128, own);
    }
    return null;
  }

  /**
   * The random and flq allocators try the pools in a random order (Kea's pick a random pool
   * among the available ones); a single pool as it is.
   */
  private shuffled<P>(pools: readonly P[]): readonly P[] {
    if (pools.length < 2) return pools;
    const a = [...pools];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }

  /**
   * The next usable candidate of one pool: the pool's random or free lease queue allocator, else
   * the iterative one (after the cursor).
   */
  private scan(ctx: ClientContext6, pool: Pool6 | PdPool6): string | null {
    const allocators = this.allocators;
    if (allocators.handles(pool)) {
      const tries = pool.capacity < MAX_TRIES ? Number(pool.capacity) : Number(MAX_TRIES);
      for (let i = 0; i < tries; i++) {
        const text = allocators.pick(pool);
        if (text === null) return null;
        if (this.usableBy(ctx, text)) return text;
      }
      return null;
    }
    const isPd = pool.type === LeaseType6.IA_PD;
    const first = isPd ? (pool as PdPool6).prefix : (pool as Pool6).start;
    const last = isPd ? (pool as PdPool6).last : (pool as Pool6).end;
    const step = isPd ? (pool as PdPool6).step : 1n;
    const tries = pool.capacity < MAX_TRIES ? pool.capacity : MAX_TRIES;
    let a = pool.cursor;
    for (let i = 0n; i < tries; i++) {
      a = a >= last ? first : a + step;
      const text = bigToIpv6(a);
      if (this.usableBy(ctx, text)) {
        pool.cursor = a;
        return text;
      }
    }
    return null;
  }

  private make(ctx: ClientContext6, address: string, prefixLen: number, own: Lease6[]): Pick6 {
    let mine: Lease6 | undefined;
    const replaced: Lease6[] = [];
    for (const l of own) {
      if (l.address === address) mine = l;
      else replaced.push(l);
    }
    const previous = mine === undefined ? this.leases.getLease6(ctx.type, address) : null;
    const a = ipv6ToBig(address);
    const pool =
      ctx.type === LeaseType6.IA_PD ? ctx.subnet.pdPoolFor(a, prefixLen) : ctx.subnet.poolFor(a);
    const [preferred, valid] = this.adaptive(
      ctx,
      mine ?? { address, prefixLen: ctx.type === LeaseType6.IA_PD ? prefixLen : 128 },
      this.lifetimes(ctx, address, mine === undefined),
    );
    const lease = new Lease6({
      address,
      type: ctx.type,
      prefixLen: ctx.type === LeaseType6.IA_PD ? prefixLen : 128,
      duid: ctx.duid,
      iaid: ctx.iaid,
      preferredLifetime: preferred,
      validLifetime: valid,
      cltt: ctx.now,
      subnetId: ctx.subnet.id,
      poolId: pool?.id ?? 0,
      fqdnFwd: false,
      fqdnRev: false,
      hwaddr: ctx.hwaddr,
      hwaddrSource: ctx.hwaddr === null ? 0 : ctx.hwaddrSource,
      // As Kea 2.2: a new lease gets the query's relay information; the IA's own lease kept by
      // a SOLICIT or a REQUEST keeps its user context (only extend() updates it).
      userContext:
        mine !== undefined ? mine.userContext : withExtendedInfo(null, ctx.extendedInfo ?? null),
    });
    // This query's name (none = none), as it is: Kea sets it after construction, so it keeps
    // its case (the constructor lower-cases, as Kea's does for leases it reads).
    lease.hostname = ctx.hostname;
    return {
      kind: mine !== undefined ? PickKind6.RENEW : PickKind6.NEW,
      lease,
      previous,
      replaced,
    };
  }

  /**
   * Kea 3's adaptive-lease-time-threshold: when more than that share of the pool (or pd-pool)
   * holding the lease is in leases (its assigned-nas / assigned-pds statistic: a constant cost,
   * not a walk of the subnet's leases), a new lease gets the minimum lifetimes, and a lease
   * renewed the minimum or what it still had to run, whichever is longer. `lifetimes`
   * ([preferred, valid]) otherwise.
   */
  private adaptive(
    ctx: ClientContext6,
    lease: Lease6 | { address: string; prefixLen: number },
    lifetimes: [number, number],
  ): [number, number] {
    const threshold = ctx.subnet.adaptiveThreshold;
    if (threshold <= 0) return lifetimes;
    const a = ipv6ToBig(lease.address);
    const pd = ctx.type === LeaseType6.IA_PD;
    const pool = pd ? ctx.subnet.pdPoolFor(a, lease.prefixLen) : ctx.subnet.poolFor(a);
    if (pool === undefined) return lifetimes;
    // The statistics number the pd-pools after the address pools.
    const index = pd ? ctx.subnet.pools.length + pool.id : pool.id;
    if (!aboveThreshold(this.usage?.poolUse(ctx.subnet.id, index), threshold)) return lifetimes;
    const own = lease instanceof Lease6 && !lease.isExpired(ctx.now) ? lease : null;
    const remaining = own === null ? 0 : own.expire - ctx.now;
    const s = ctx.subnet;
    const valid = Math.min(lifetimes[1], Math.max(s.validLifetime.min, remaining));
    const preferred = Math.min(lifetimes[0], Math.max(s.preferredLifetime.min, remaining), valid);
    return [preferred, valid];
  }

  /**
   * The hinted lifetimes within [min, max], else the defaults; preferred <= valid. For a new
   * lease, of the client's class when one sets them (Kea's getLifetimes6), else of the subnet;
   * a lease the client already has keeps the subnet's, as Kea 2.2 extends and updates leases.
   */
  private lifetimes(ctx: ClientContext6, address: string, isNew: boolean): [number, number] {
    const s = ctx.subnet;
    let h = ctx.hints[0];
    for (const x of ctx.hints) if (x.address === address) h = x;
    const valid = clamp(h?.valid ?? 0, (isNew ? ctx.classValid : undefined) ?? s.validLifetime);
    const preferred = clamp(
      h?.preferred ?? 0,
      (isNew ? ctx.classPreferred : undefined) ?? s.preferredLifetime,
    );
    return [Math.min(preferred, valid), valid];
  }
}

/** The address (prefix) is in one of the subnet's pools of lease type `type`. */
function inPoolOf(s: Subnet6, type: number, address: string): boolean {
  const a = ipv6ToBig(address);
  if (type !== LeaseType6.IA_PD) return s.poolFor(a) !== undefined;
  return s.pdPools.some((p) => p.holds(a, p.delegatedLen));
}

/** The length the hint can be given with in this subnet (128 for an address), else 0. */
function hintFitsIn(
  s: Subnet6,
  type: number,
  classes: ReadonlySet<string>,
  a: bigint,
  prefixLen: number,
): number {
  if (type !== LeaseType6.IA_PD) return s.poolFor(a)?.allows(classes) === true ? 128 : 0;
  for (const pool of s.pdPools) {
    if (!pool.allows(classes)) continue;
    if (pool.holds(a, prefixLen !== 0 ? prefixLen : pool.delegatedLen)) return pool.delegatedLen;
  }
  return 0;
}

function clamp(requested: number, t: Triplet): number {
  if (requested === 0) return t.default;
  return Math.min(Math.max(requested, t.min), t.max);
}

function sameHw(a: Lease6, b: Lease6): boolean {
  if (a.hwaddr === null || b.hwaddr === null) return a.hwaddr === b.hwaddr;
  return a.hwaddr.equals(b.hwaddr);
}
