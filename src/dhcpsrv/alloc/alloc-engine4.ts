/**
 * The DHCPv4 allocation engine: which address a client gets, as Kea's AllocEngine decides it.
 *
 * It works in two steps so that the server can call the lease4_select / lease4_renew hook points
 * (synchronously or not) between them, without the engine knowing about hooks:
 *   1. `pick()` chooses, touching nothing: the client's own lease renewed, its reservation, the
 *      address it asked for, or a free pool address (iterative allocator);
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
import type { Host4, HostStore4 } from "../model/host4.ts";
import { INFINITY_LFT, Lease4, LeaseState } from "../leases/lease4.ts";
import type { LeaseStore4 } from "../leases/lease-store4.ts";
import type { Pool4, Subnet4 } from "../model/subnet4.ts";
import type { Triplet } from "../model/triplet.ts";
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
}

export class AllocEngine4 {
  private readonly leases: LeaseStore4;
  private hosts: HostStore4;

  constructor(leases: LeaseStore4, hosts: HostStore4) {
    this.leases = leases;
    this.hosts = hosts;
  }

  /** The reservations of a new configuration. */
  setHosts(hosts: HostStore4): void {
    this.hosts = hosts;
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
    if (req !== 0) {
      const existing = this.leases.getLease4(req);
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
      const existing = this.leases.getLease4(req);
      if (existing !== null && !this.expired(existing, ctx.now)) return null;
      return this.make(ctx, req, own);
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
   * network (Kea's hasAddressReservation: `ctx.subnet` then moves there); 0 when none.
   */
  private reservedAddress(ctx: ClientContext4): number {
    const h = ctx.host;
    if (h === undefined || h.ipv4 === 0) return 0;
    if (ctx.subnet.inRange(h.ipv4)) return h.ipv4;
    const first = ctx.subnet;
    for (
      let s = nextSubnet(first, first, ctx.classes);
      s !== null;
      s = nextSubnet(first, s, ctx.classes)
    ) {
      if ((h.subnetId === s.id || h.subnetId === 0) && s.inRange(h.ipv4)) {
        ctx.subnet = s;
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
    const lease = this.leases.getLease4(addr);
    if (lease === null) return true;
    if (own !== null && lease === own) return true;
    return this.reusable(lease, ctx.now);
  }

  private reservedForOther(ctx: ClientContext4, addr: number): boolean {
    const h = this.hosts.findByAddress(ctx.subnet.id, addr);
    return h !== undefined && h !== ctx.host;
  }

  /**
   * An expired lease of another client can be taken over; a declined address once its
   * probation period is over (Kea's reuseExpiredLease4 reclaims it then).
   */
  private reusable(lease: Lease4, now: number): boolean {
    return this.expired(lease, now);
  }

  /**
   * Kea 2.2's iterative allocator: as many picks as the allowed pools hold addresses, the first
   * one this client may take; 0 when none.
   */
  private nextFree(ctx: ClientContext4, own: Lease4 | null): number {
    const subnet = ctx.subnet;
    let attempts = 0;
    for (const pool of subnet.pools) if (pool.allows(ctx.classes)) attempts += pool.capacity;
    for (let i = 0; i < attempts; i++) {
      const a = pickAddress(subnet, ctx.classes);
      if (this.usableBy(ctx, a, own)) return a;
    }
    return 0;
  }

  private make(ctx: ClientContext4, addr: number, own: Lease4 | null): Pick4 {
    const address = ipv4ToString(addr);
    const previous = this.leases.getLease4(addr);
    const renewing = own !== null && own.address === address;
    const lease = new Lease4({
      address,
      hwaddr: ctx.hwaddr,
      clientId: ctx.clientId,
      validLifetime: this.lifetime(ctx),
      cltt: ctx.now,
      subnetId: ctx.subnet.id,
      poolId: ctx.subnet.poolFor(addr)?.id ?? 0,
      fqdnFwd: false,
      fqdnRev: false,
      userContext: renewing ? own.userContext : null,
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
    };
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
   * Kea's setLeaseReusable for a lease that never expires: a client renewing its infinite lease
   * (a BOOTP client asking again) keeps the stored lease as it is, nothing written, its cltt
   * unchanged. Returns that lease, or null when the pick must be stored.
   */
  reusedLease(pick: Pick4): Lease4 | null {
    if (pick.kind !== PickKind.RENEW || pick.lease.validLifetime !== INFINITY_LFT) return null;
    const stored = this.leases.getLease4(pick.lease.address);
    if (stored === null || stored.validLifetime !== INFINITY_LFT) return null;
    return stored.state === LeaseState.DEFAULT ? stored.clone() : null;
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

/**
 * One pick of Kea 2.2's IterativeAllocator: the pool holding the subnet's last pick goes on from
 * its own last pick (the first allowed pool when that pool is not allowed or there is none); at
 * a pool's end the pool starts afresh and the next allowed pools are tried in order, each from
 * its own last pick; past the last one, the first allowed pool's first address. 0 when no pool
 * is allowed.
 */
function pickAddress(subnet: Subnet4, classes: ReadonlySet<string>): number {
  const pools = subnet.pools;
  let first = -1;
  let i = 0;
  for (; i < pools.length; i++) {
    const p = pools[i]!;
    if (!p.allows(classes)) continue;
    if (first < 0) first = i;
    if (p.inRange(subnet.cursor)) break;
  }
  if (first < 0) return 0;
  if (i === pools.length) i = first;
  for (;;) {
    const p = pools[i]!;
    if (p.cursor < p.end) {
      p.cursor = p.cursor < p.start ? p.start : p.cursor + 1;
      subnet.cursor = p.cursor;
      return p.cursor;
    }
    p.cursor = p.start - 1; // passed its end: fresh again
    for (i++; i < pools.length && !pools[i]!.allows(classes); i++);
    if (i === pools.length) break;
  }
  const p = pools[first]!;
  p.cursor = p.start;
  subnet.cursor = p.start;
  return p.start;
}
