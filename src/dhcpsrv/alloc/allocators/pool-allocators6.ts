/**
 * The address or prefix pick inside one DHCPv6 pool, by the subnet's `allocator` (address pools)
 * or `pd-allocator` (prefix pools), for the allocators other than the iterative one (whose cursor
 * lives on the pool, alloc-engine6.ts):
 *  - "random": the next offset of the pool's random permutation (each address or prefix once
 *    per cycle, then a new cycle), as Kea 2.4's RandomAllocator;
 *  - "flq": the front of the pool's free lease queue, as Kea 2.4's FreeLeaseQueueAllocator: filled
 *    when the configuration is installed, kept up to date through the lease store's watcher.
 * The engine tries the pools in a random order for these allocators (for prefixes, the pools of
 * the length the client asked for first), each with its own allocator.
 */
import { LeaseState, LeaseType6, type Lease6 } from "../../leases/lease6.ts";
import type { LeaseStore6 } from "../../leases/lease-store6.ts";
import {
  type PdPool6,
  type Pool6,
  type Subnet6,
  bigToIpv6,
  ipv6ToBig,
} from "../../model/subnet6.ts";
import { FreeQueue, shuffledOffsets } from "./free-queue.ts";
import { Permutation } from "./permutation.ts";

type AnyPool6 = Pool6 | PdPool6;

interface FlqPool {
  readonly first: bigint;
  readonly last: bigint;
  readonly step: bigint;
  readonly queue: FreeQueue;
}

/** A pool's first and last address (or prefix) and the distance between two of its leases. */
export function poolSpan(pool: AnyPool6): { first: bigint; last: bigint; step: bigint } {
  if (pool.type === LeaseType6.IA_PD) {
    const p = pool as PdPool6;
    return { first: p.prefix, last: p.last, step: p.step };
  }
  const p = pool as Pool6;
  return { first: p.start, last: p.end, step: 1n };
}

export class PoolAllocators6 {
  private readonly leases: LeaseStore6;
  private readonly random: () => number;
  private readonly permutations = new Map<AnyPool6, Permutation>();
  private readonly queues = new Map<AnyPool6, FlqPool>();
  /** The flq pools of each lease type, by first address, for the store's watcher. */
  private flqByType: [FlqPool[], FlqPool[]] = [[], []];

  constructor(leases: LeaseStore6, random: () => number = Math.random) {
    this.leases = leases;
    this.random = random;
  }

  /** The subnets of the configuration in force: permutations afresh, queues filled. */
  setSubnets(subnets: readonly Subnet6[], now: number = Math.floor(Date.now() / 1000)): void {
    this.permutations.clear();
    this.queues.clear();
    const na: FlqPool[] = [];
    const pd: FlqPool[] = [];
    for (const subnet of subnets) {
      this.setUp(subnet.pools, subnet.allocator, now, na);
      this.setUp(subnet.pdPools, subnet.pdAllocator, now, pd);
    }
    const byFirst = (a: FlqPool, b: FlqPool): number => (a.first < b.first ? -1 : 1);
    this.flqByType = [na.sort(byFirst), pd.sort(byFirst)];
    const any = na.length + pd.length > 0;
    if (this.leases.watch !== undefined) {
      this.leases.watch(any ? (lease, present) => this.changed(lease, present) : null);
    } else if (any) {
      throw new Error("the flq allocator needs a lease store that reports its changes");
    }
  }

  /** Whether the pool is served by the random or flq allocator (else: iterative). */
  handles(pool: AnyPool6): boolean {
    return this.permutations.has(pool) || this.queues.has(pool);
  }

  /** One candidate of the pool (canonical text); null when the allocator has none left. */
  pick(pool: AnyPool6): string | null {
    const flq = this.queues.get(pool);
    if (flq !== undefined) {
      const offset = flq.queue.offer();
      return offset < 0 ? null : bigToIpv6(flq.first + BigInt(offset) * flq.step);
    }
    const perm = this.permutations.get(pool);
    if (perm === undefined) return null;
    if (perm.exhausted) perm.reset();
    const { first, step } = poolSpan(pool);
    return bigToIpv6(first + perm.next() * step);
  }

  /** The free addresses or prefixes the queue of a pool holds (flq), or -1 when it has none. */
  freeCount(pool: AnyPool6): number {
    return this.queues.get(pool)?.queue.size ?? -1;
  }

  private setUp(pools: readonly AnyPool6[], kind: string, now: number, flq: FlqPool[]): void {
    for (const pool of pools) {
      if (kind === "random") {
        this.permutations.set(pool, new Permutation(pool.capacity, this.random));
      } else if (kind === "flq") {
        const entry = this.fill(pool, now);
        this.queues.set(pool, entry);
        flq.push(entry);
      }
    }
  }

  /** A queue of every address or prefix of the pool no running lease holds, in random order. */
  private fill(pool: AnyPool6, now: number): FlqPool {
    const { first, last, step } = poolSpan(pool);
    const capacity = Number(pool.capacity);
    const queue = new FreeQueue(capacity);
    const order = shuffledOffsets(capacity, this.random);
    for (let i = 0; i < order.length; i++) {
      const offset = order[i]!;
      const lease = this.leases.getLease6(pool.type, bigToIpv6(first + BigInt(offset) * step));
      if (lease === null || !busy(lease, now)) queue.add(offset);
    }
    return { first, last, step, queue };
  }

  private changed(lease: Lease6, present: boolean): void {
    const list = this.flqByType[lease.type === LeaseType6.IA_PD ? 1 : 0];
    if (list.length === 0) return;
    const addr = ipv6ToBig(lease.address);
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = list[mid]!;
      if (addr < p.first) hi = mid - 1;
      else if (addr > p.last) lo = mid + 1;
      else {
        const offset = Number((addr - p.first) / p.step);
        if (present && busy(lease, Math.floor(Date.now() / 1000))) p.queue.delete(offset);
        else p.queue.add(offset);
        return;
      }
    }
  }
}

/** A lease that holds its address: not reclaimed and not expired (Kea's flq test). */
function busy(lease: Lease6, now: number): boolean {
  return lease.state !== LeaseState.EXPIRED_RECLAIMED && !lease.isExpired(now);
}
