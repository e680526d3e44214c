/**
 * The DHCPv4 allocation engine: which address a client gets, as Kea's AllocEngine decides it.
 *
 * It works in two steps so that the server can call the lease4_select / lease4_renew hook points
 * (synchronously or not) between them, without the engine knowing about hooks:
 *   1. `pick()` chooses, touching nothing: the client's own lease renewed, its reservation, the
 *      address it asked for, or a free pool address (the subnet's allocator: iterative, random
 *      or free lease queue, allocators/pool-allocators4.ts);
 *   2. `commit()` writes the chosen lease to the store (never for DISCOVER: fake allocation).
 *
 * Order of preference (Kea's discoverLease4 / requestLease4):
 *  DISCOVER: reserved address (if not leased to another client) > the client's current lease >
 *            the requested address (option 50) when free and in a pool > the next free address.
 *  REQUEST:  the requested address (option 50, else ciaddr; the reserved one when it names
 *            none) must not be reserved for another client nor leased to one, must not differ
 *            from a free reserved address, and must be in a pool the client's classes allow
 *            unless reserved for it (else `unknownRequestedAddress`); the client's own lease
 *            there is renewed, else the address is taken if no running lease holds it; with no
 *            address at all, the client's lease is renewed, else the next free pool address is
 *            given (a BOOTP request). Otherwise null (the server NAKs, or stays silent).
 * A declined address is handed out again only once its probation period is over.
 * A renewal that changes nothing in the lease within the subnet's lease caching limits reuses it
 * (Kea's setLeaseReusable): `Pick4.reuse` is then its remaining lifetime, and nothing is written.
 *
 * In a shared network (Kea's walk over Subnet::getNextSubnet, subnet id order, going round from
 * the selected subnet, skipping subnets the client's classes may not use), `ctx.subnet` moves to
 * the subnet the lease is in: the client's lease is looked for in every subnet of the network,
 * and so are its reservation and the pool of the address it names; a new address comes from the
 * subnet the allocator picked from last (Kea's preferred subnet), then from each next one while
 * they are exhausted.
 */
import type { HWAddr } from "../../dhcp/hwaddr.ts";
import { ipv4FromString, ipv4ToString } from "../../dhcp/ioaddress.ts";
import type { JsonObject } from "../../hooks/types.ts";
import { withExtendedInfo } from "../leases/extended-info.ts";
import type { Host4, HostStore4 } from "../model/host4.ts";
import { INFINITY_LFT, Lease4, LeaseState } from "../leases/lease4.ts";
import type { LeaseStore4 } from "../leases/lease-store4.ts";
import type { Pool4, Subnet4 } from "../model/subnet4.ts";
import type { Triplet } from "../model/triplet.ts";
import { PoolAllocators4 } from "./allocators/pool-allocators4.ts";
import { reusableLifetime } from "./lease-reuse.ts";
import { aboveThreshold, type PoolUsage } from "./pool-usage.ts";
import { nextSubnet, recordPick } from "../model/shared-network.ts";

export interface ClientContext4 {
  subnet: Subnet4;
  hwaddr: HWAddr | null;
  /** The client identifier (option 61), or null (also null when match-client-id is false). */
  clientId: Buffer | null;
  /** Requested address (option 50 or ciaddr) as a number, 0 when none. */
  requestedAddress: number;
  /** True for DISCOVER: choose, do not store. */
  fakeAllocation: boolean;
  /** The client's reservation in this subnet (or global), if any. */
  host: Host4 | undefined;
  /**
   * The reservations to check addresses against when a hosts database is configured (the
   * configuration's and what the database gave for this query); the engine's own otherwise.
   */
  hosts?: { findAllByAddress(subnetId: number, addr: number): readonly Host4[] } | null;
  /** The client's global reservation when the subnet uses global reservations, if any. */
  globalHost?: Host4 | undefined;
  /** Requested valid lifetime (option 51), 0 when none. */
  requestedLifetime: number;
  hostname: string;
  /** Now, in seconds since the epoch. */
  now: number;
  /** The query's client classes: guarded pools serve only their members. */
  classes: ReadonlySet<string>;
  /** The valid lifetime of the first of the client's classes that sets one, else undefined. */
  classLifetime: Triplet | undefined;
  /**
   * Set by pick() for a REQUEST it refuses: the address named is in none of the pools the
   * client may use and not reserved for it (Kea's unknown_requested_addr_).
   */
  unknownRequestedAddress?: boolean;
  /**
   * The query is in the BOOTP class (the bootp hook library's BOOTP requests): its lease gets an
   * infinite valid lifetime, as Kea's AllocEngine::getValidLft gives it.
   */
  bootp?: boolean;
  /**
   * The `ISC` entry the lease's user context gets (src/dhcpsrv/leases/extended-info.ts): the
   * query's relay agent information when the subnet stores extended info; null or absent = the
   * user context stays as it is.
   */
  extendedInfo?: JsonObject | null;
}

export const PickKind = {
  /** The client's existing lease, extended (hook point lease4_renew). */
  RENEW: "renew",
  /** A new lease (hook point lease4_select). */
  NEW: "new",
} as const;
export type PickKind = (typeof PickKind)[keyof typeof PickKind];

export interface Pick4 {
  kind: PickKind;
  /** The lease as it will be stored (a fresh object, never the store's own). */
  lease: Lease4;
  /** The store's lease at that address before (an expired lease being reused), or null. */
  previous: Lease4 | null;
  /** The client's other lease, released because it moves to another address, or null. */
  replaced: Lease4 | null;
  pool: Pool4 | undefined;
  /**
   * For a renewal that reuses the stored lease (lease caching, or a lease that never expires):
   * the lifetime left to it, answered instead of a new one; 0 when the lease is written.
   */
  reuse: number;
}

export class AllocEngine4 {
  private readonly leases: LeaseStore4;
  private hosts: HostStore4;
  /** The address pick inside a subnet, by its allocator. */
  readonly allocators: PoolAllocators4;
  /** The pools' lease counts (the server's statistics), for adaptive-lease-time-threshold. */
  private usage: PoolUsage | null = null;

  constructor(leases: LeaseStore4, hosts: HostStore4, random?: () => number) {
    this.leases = leases;
    this.hosts = hosts;
    this.allocators = new PoolAllocators4(leases, random);
  }

  /** The subnets of a configuration (at start and at each reconfiguration): allocators set up. */
  setSubnets(subnets: readonly Subnet4[]): void {
    this.allocators.setSubnets(subnets);
  }

  /** The reservations of a new configuration. */
  setHosts(hosts: HostStore4): void {
    this.hosts = hosts;
  }

  /** Where the pools' lease counts are read (the server's statistics). */
  setPoolUsage(usage: PoolUsage): void {
    this.usage = usage;
  }

  /**
   * The client's lease in the subnet, or in a subnet of its shared network (`ctx.subnet` then
   * moves there): by client-id first in each subnet, then by hardware address in each.
   */
  findClientLease(ctx: ClientContext4): Lease4 | null {
    const first = ctx.subnet;
    const cls = ctx.classes;
    if (ctx.clientId !== null) {
      for (let s: Subnet4 | null = first; s !== null; s = nextSubnet(first, s, cls)) {
        if (!s.matchClientId) continue;
        const byId = this.leases.getLease4ByClientId(ctx.clientId, s.id);
        if (byId !== null) {
          ctx.subnet = s;
          return byId;
        }
      }
    }
    if (ctx.hwaddr === null) return null;
    for (let s: Subnet4 | null = first; s !== null; s = nextSubnet(first, s, cls)) {
      for (const lease of this.leases.getLeases4ByHwAddr(ctx.hwaddr, s.id)) {
        if (belongsToClient(lease, ctx)) {
          ctx.subnet = s;
          return lease;
        }
      }
    }
    return null;
  }

  /**
   * Chooses the lease for the client; null when none can be given (NAK or exhausted).
   * `ctx.subnet` is then the subnet of the lease (it moves within a shared network).
   */
  pick(ctx: ClientContext4): Pick4 | null {
    if (!ctx.subnet.allows(ctx.classes)) {
      // Kea's allocateLease4: a subnet the classes exclude gives way to the next one allowed.
      const next = nextSubnet(ctx.subnet, ctx.subnet, ctx.classes);
      if (next === null) return null;
      ctx.subnet = next;
    }
    const own = this.findClientLease(ctx);
    return ctx.fakeAllocation ? this.pickForDiscover(ctx, own) : this.pickForRequest(ctx, own);
  }

  private pickForDiscover(ctx: ClientContext4, own: Lease4 | null): Pick4 | null {
    const reserved = this.reservedAddress(ctx);
    if (reserved !== 0 && this.usableBy(ctx, reserved, own)) {
      return this.make(ctx, reserved, own);
    }
    if (own !== null && this.keepable(ctx, own)) {
      return this.make(ctx, addrOf(own), own);
    }
    const req = ctx.requestedAddress;
    if (req !== 0 && this.inAllowedPool(ctx, req) && this.usableBy(ctx, req, own)) {
      return this.make(ctx, req, own);
    }
    const free = this.nextFreeInNetwork(ctx, own);
    return free === 0 ? null : this.make(ctx, free, own);
  }

  /**
   * Kea's requestLease4: the checks on the address the client names (or its reserved one when it
   * names none), then its own lease renewed, else that address taken, else (no address at all)
   * the next free pool address. Null when refused; `ctx.unknownRequestedAddress` then tells that
   * the address is in none of the pools the client may use.
   */
  private pickForRequest(ctx: ClientContext4, own: Lease4 | null): Pick4 | null {
    const reserved = this.reservedAddress(ctx);
    let req = ctx.requestedAddress;
    ctx.unknownRequestedAddress = false;
    if (req !== 0) {
      if (this.reservedForOther(ctx, req)) return null;
    } else if (reserved !== 0) {
      req = reserved;
    }
    // The store's lease of the requested address, looked up once (nothing changes it until the
    // pick is made).
    let existing: Lease4 | null = null;
    if (req !== 0) {
      existing = this.leases.getLease4(req);
      if (
        existing !== null &&
        !this.expired(existing, ctx.now) &&
        !belongsToClient(existing, ctx)
      ) {
        return null;
      }
      if (reserved !== 0 && reserved !== req) {
        // Offered another address because the reserved one was taken: refused once it is free.
        const r = this.leases.getLease4(reserved);
        if (r === null || this.expired(r, ctx.now)) return null;
      }
      if (reserved !== req && !this.inAllowedPool(ctx, req)) {
        ctx.unknownRequestedAddress = true;
        return null;
      }
    }
    if (own !== null) {
      const a = addrOf(own);
      if (
        (a === req || req === 0) &&
        ((reserved !== 0 && reserved === req) || this.inAllowedPool(ctx, a))
      ) {
        return this.make(ctx, a, own);
      }
    }
    if (req !== 0) {
      // The address is taken unless a lease of it is still running (Kea's allocateOrReuseLease4).
      if (existing !== null && !this.expired(existing, ctx.now)) return null;
      return this.make(ctx, req, own, existing);
    }
    const free = this.nextFreeInNetwork(ctx, own);
    return free === 0 ? null : this.make(ctx, free, own);
  }

  /**
   * Kea's inAllowedPool: the address is in a pool the client's classes allow, in the subnet or
   * in another subnet of its shared network (`ctx.subnet` then moves there).
   */
  private inAllowedPool(ctx: ClientContext4, addr: number): boolean {
    const first = ctx.subnet;
    for (let s: Subnet4 | null = first; s !== null; s = nextSubnet(first, s, ctx.classes)) {
      if (s.allowedPoolFor(addr, ctx.classes) !== undefined) {
        ctx.subnet = s;
        return true;
      }
    }
    return false;
  }

  /**
   * Kea's allocateUnreservedLease4 over a shared network: from the subnet the allocator picked
   * from last among those with the selected subnet's class guard, each subnet in turn until one
   * has a free address (`ctx.subnet` is left at the last subnet tried).
   */
  private nextFreeInNetwork(ctx: ClientContext4, own: Lease4 | null): number {
    const net = ctx.subnet.network;
    if (net === null) return this.nextFree(ctx, own);
    const first = net.preferred(ctx.subnet, 0);
    for (let s: Subnet4 | null = first; s !== null; s = nextSubnet(first, s, ctx.classes)) {
      ctx.subnet = s;
      if (!s.pools.some((p) => p.allows(ctx.classes))) continue;
      const a = this.nextFree(ctx, own);
      recordPick(s, 0);
      if (a !== 0) return a;
    }
    return 0;
  }

  /** Kea's Lease::expired(): past its lifetime (a reclaimed lease is). */
  private expired(lease: Lease4, now: number): boolean {
    return lease.state === LeaseState.EXPIRED_RECLAIMED || lease.isExpired(now);
  }

  /**
   * The address reserved for this client in this subnet, or in another subnet of its shared
   * network (Kea's hasAddressReservation: `ctx.subnet` then moves there); 0 when none: the
   * global reservation's address first (when the subnet uses global reservations and holds it),
   * then the client's reservation's; with `reservations-out-of-pool` a subnet reservation inside
   * a pool is not taken as one (the address is handed out as any pool address).
   */
  private reservedAddress(ctx: ClientContext4): number {
    const g = ctx.globalHost;
    const s = ctx.subnet;
    if (g !== undefined && g.ipv4 !== 0 && s.reservations.global && s.inRange(g.ipv4)) {
      return g.ipv4;
    }
    const h = ctx.host;
    if (h === undefined || h.ipv4 === 0) return 0;
    if (s.inRange(h.ipv4)) {
      if (h.subnetId === s.id && s.reservations.outOfPool && s.poolFor(h.ipv4) !== undefined) {
        return 0;
      }
      return h.ipv4;
    }
    const first = ctx.subnet;
    for (
      let n = nextSubnet(first, first, ctx.classes);
      n !== null;
      n = nextSubnet(first, n, ctx.classes)
    ) {
      if ((h.subnetId === n.id || h.subnetId === 0) && n.inRange(h.ipv4)) {
        ctx.subnet = n;
        return h.ipv4;
      }
    }
    return 0;
  }

  /**
   * The client may keep its current lease: still in the subnet, not reserved for someone else,
   * in a pool its classes allow (Kea's inAllowedPool) or reserved for it.
   */
  private keepable(ctx: ClientContext4, own: Lease4): boolean {
    const a = addrOf(own);
    if (!ctx.subnet.inRange(a) || own.state === LeaseState.DECLINED) return false;
    if (this.reservedForOther(ctx, a)) return false;
    return this.inAllowedPool(ctx, a) || this.reservedAddress(ctx) === a;
  }

  /**
   * The address is not reserved for another client and no running lease holds it but the
   * client's own in this subnet (Kea's allocateOrReuseLease4: the client's lease in another
   * subnet is not taken over).
   */
  private usableBy(ctx: ClientContext4, addr: number, own: Lease4 | null): boolean {
    if (this.reservedForOther(ctx, addr)) return false;
    // The client's own running lease (a store lookup makes a fresh lease: compare addresses).
    if (own !== null && addrOf(own) === addr && own.state !== LeaseState.DECLINED) return true;
    const lease = this.leases.getLease4(addr);
    return lease === null || this.reusable(lease, ctx.now);
  }

  /**
   * Kea's addressReserved: only the subnet's own reservations count, none with
   * `reservations-in-subnet` false, and a pool address is not checked with
   * `reservations-out-of-pool` true; an address reserved for several clients
   * (`ip-reservations-unique` false) is not another's when one of them is this client.
   */
  private reservedForOther(ctx: ClientContext4, addr: number): boolean {
    const modes = ctx.subnet.reservations;
    if (!modes.inSubnet) return false;
    const hosts = (ctx.hosts ?? this.hosts).findAllByAddress(ctx.subnet.id, addr);
    if (hosts.length === 0) return false;
    if (modes.outOfPool && ctx.subnet.poolFor(addr) !== undefined) return false;
    return ctx.host === undefined || !hosts.includes(ctx.host);
  }

  /**
   * An expired lease of another client can be taken over; a declined address once its
   * probation period is over (Kea's reuseExpiredLease4 reclaims it then).
   */
  private reusable(lease: Lease4, now: number): boolean {
    return this.expired(lease, now);
  }

  /**
   * Kea's allocateUnreservedLease4: as many picks of the subnet's allocator as the allowed pools
   * hold addresses, the first one this client may take; 0 when none (or the allocator has no
   * candidate left).
   */
  private nextFree(ctx: ClientContext4, own: Lease4 | null): number {
    const subnet = ctx.subnet;
    const allocators = this.allocators;
    const attempts = allocators.attempts(subnet, ctx.classes);
    for (let i = 0; i < attempts; i++) {
      const a = allocators.pick(subnet, ctx.classes);
      if (a === 0) return 0;
      if (this.usableBy(ctx, a, own)) return a;
    }
    return 0;
  }

  /** `previous`: the store's lease of `addr` when the caller has just looked it up. */
  private make(
    ctx: ClientContext4,
    addr: number,
    own: Lease4 | null,
    previous: Lease4 | null = this.leases.getLease4(addr),
  ): Pick4 {
    const address = ipv4ToString(addr);
    const renewing = own !== null && own.address === address;
    const lease = new Lease4({
      address,
      hwaddr: ctx.hwaddr,
      clientId: ctx.clientId,
      validLifetime: this.adaptive(ctx, addr, renewing ? own : null, this.lifetime(ctx)),
      cltt: ctx.now,
      subnetId: ctx.subnet.id,
      poolId: ctx.subnet.poolFor(addr)?.id ?? 0,
      fqdnFwd: false,
      fqdnRev: false,
      userContext: withExtendedInfo(renewing ? own.userContext : null, ctx.extendedInfo ?? null),
    });
    // As Kea's updateLease4Information: the name of this query (none = none), as it is (Kea
    // sets it after construction, so it keeps its case), and no DNS update directions (DNS
    // updates are off).
    lease.hostname = ctx.hostname;
    return {
      kind: renewing ? PickKind.RENEW : PickKind.NEW,
      lease,
      previous: renewing ? null : previous,
      replaced: own !== null && !renewing ? own : null,
      pool: ctx.subnet.poolFor(addr),
      reuse: renewing ? this.reuseOf(ctx, own, lease) : 0,
    };
  }

  /**
   * Kea's renewLease4: when updateLease4Information changes nothing significant (subnet,
   * hardware address, client identifier, valid lifetime, name and DNS directions), the lease
   * may be reused (setLeaseReusable): the lifetime left to it, else 0.
   */
  private reuseOf(ctx: ClientContext4, stored: Lease4, lease: Lease4): number {
    if (stored.state !== LeaseState.DEFAULT) return 0;
    if (
      stored.subnetId !== lease.subnetId ||
      !sameHw(stored, lease) ||
      !sameBytes(stored.clientId, lease.clientId) ||
      stored.validLifetime !== lease.validLifetime ||
      stored.fqdnFwd !== lease.fqdnFwd ||
      stored.fqdnRev !== lease.fqdnRev ||
      stored.hostname !== lease.hostname
    ) {
      return 0;
    }
    return reusableLifetime(
      ctx.subnet.caching,
      ctx.now,
      stored.cltt,
      stored.validLifetime,
      lease.validLifetime,
    );
  }

  /**
   * Kea 3's adaptive-lease-time-threshold: when more than that share of the pool's addresses is
   * held by leases (its assigned-addresses statistic: a constant cost, not a walk of its
   * leases), a new lease gets the minimum valid lifetime, and a renewed one the minimum or what
   * it still had to run, whichever is longer. `valid` otherwise (and always for an infinite
   * lifetime, BOOTP's).
   */
  private adaptive(ctx: ClientContext4, addr: number, own: Lease4 | null, valid: number): number {
    const threshold = ctx.subnet.adaptiveThreshold;
    if (threshold <= 0 || valid === INFINITY_LFT) return valid;
    const pool = ctx.subnet.poolFor(addr);
    if (pool === undefined) return valid;
    if (!aboveThreshold(this.usage?.poolUse(ctx.subnet.id, pool.id), threshold)) return valid;
    const min = (ctx.classLifetime ?? ctx.subnet.validLifetime).min;
    const remaining = own === null || own.isExpired(ctx.now) ? 0 : own.expire - ctx.now;
    return Math.min(valid, Math.max(min, remaining));
  }

  /** Infinite for BOOTP; else the client's requested lifetime within [min, max], else the default. */
  private lifetime(ctx: ClientContext4): number {
    if (ctx.bootp === true) return INFINITY_LFT;
    // The first of the client's classes that sets a lifetime, else the subnet (Kea's getValidLft).
    const t = ctx.classLifetime ?? ctx.subnet.validLifetime;
    const r = ctx.requestedLifetime;
    if (r === 0) return t.default;
    return Math.min(Math.max(r, t.min), t.max);
  }

  /**
   * The lease a reusing renewal answers with (Kea's reuseable_valid_lft_), or null when the pick
   * must be stored: a lease that never expires (a BOOTP client asking again) as stored, its
   * cltt unchanged; a cached one (lease caching) renewed now with the lifetime left to it.
   */
  reusedLease(pick: Pick4): Lease4 | null {
    if (pick.kind !== PickKind.RENEW || pick.reuse === 0) return null;
    if (pick.reuse === INFINITY_LFT) {
      const stored = this.leases.getLease4(pick.lease.address);
      return stored === null ? null : stored.clone();
    }
    const lease = pick.lease.clone();
    lease.validLifetime = pick.reuse;
    return lease;
  }

  /**
   * Stores the pick (a new lease, a renewed one, or an expired one taken over) and releases the
   * client's previous lease when it moved. Not for DISCOVER.
   */
  commit(pick: Pick4): void {
    const existing = this.leases.getLease4(pick.lease.address);
    if (existing === null) this.leases.addLease4(pick.lease);
    else this.leases.updateLease4(pick.lease);
    if (pick.replaced !== null) this.leases.deleteLease4(pick.replaced);
  }
}

/**
 * Kea's Lease4::belongsToClient: with a client identifier on both sides they must match;
 * otherwise the hardware addresses must.
 */
export function belongsToClient(lease: Lease4, ctx: ClientContext4): boolean {
  if (lease.clientId !== null && ctx.clientId !== null) return lease.clientId.equals(ctx.clientId);
  return lease.hwaddr !== null && ctx.hwaddr !== null && lease.hwaddr.equals(ctx.hwaddr);
}

function addrOf(lease: Lease4): number {
  return ipv4FromString(lease.address);
}

function sameHw(a: Lease4, b: Lease4): boolean {
  if (a.hwaddr === null || b.hwaddr === null) return a.hwaddr === b.hwaddr;
  return a.hwaddr.equals(b.hwaddr);
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}
