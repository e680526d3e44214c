/**
 * The address pick inside a DHCPv4 subnet, by the subnet's `allocator`:
 *  - "iterative" (Kea 2.2's only allocator): the pools in order, from the last address picked;
 *  - "random": a random allowed pool, then the next offset of that pool's random permutation
 *    (each address once per cycle), as Kea 2.4's RandomAllocator;
 *  - "flq": a random allowed pool that still has free addresses, then the front of its free lease
 *    queue, as Kea 2.4's FreeLeaseQueueAllocator. The queues are filled when the configuration is
 *    installed (every address without a running lease) and kept up to date through the lease
 *    store's watcher: a lease added or renewed takes its address out, a lease deleted, released,
 *    reclaimed or expired puts it back. Picking costs the same in an empty pool and a full one.
 * The engine checks each candidate (a reservation of another client, a running lease) as for the
 * iterative allocator.
 */
import { ipv4FromString } from "../../../dhcp/ioaddress.ts";
import { LeaseState, type Lease4 } from "../../leases/lease4.ts";
import type { LeaseStore4 } from "../../leases/lease-store4.ts";
import type { Pool4, Subnet4 } from "../../model/subnet4.ts";
import { FreeQueue, shuffledOffsets } from "./free-queue.ts";
import { pickIterative4 } from "./iterative4.ts";
import { Permutation } from "./permutation.ts";

interface FlqPool {
  readonly pool: Pool4;
  readonly queue: FreeQueue;
}

export class PoolAllocators4 {
  private readonly leases: LeaseStore4;
  private readonly random: () => number;
  private readonly permutations = new Map<Pool4, Permutation>();
  private readonly queues = new Map<Pool4, FreeQueue>();
  /** The flq pools by first address, for the store's watcher. */
  private flqPools: FlqPool[] = [];
  /** Scratch of the allowed pools of one pick. */
  private readonly eligible: Pool4[] = [];

  constructor(leases: LeaseStore4, random: () => number = Math.random) {
    this.leases = leases;
    this.random = random;
  }

  /**
   * The subnets of the configuration in force: the random allocators' permutations start afresh
   * and the free lease queues are filled from the leases in the store (Kea's initAfterConfigure).
   */
  setSubnets(subnets: readonly Subnet4[], now: number = Math.floor(Date.now() / 1000)): void {
    this.permutations.clear();
    this.queues.clear();
    const flq: FlqPool[] = [];
    for (const subnet of subnets) {
      if (subnet.allocator === "random") {
        for (const pool of subnet.pools) {
          this.permutations.set(pool, new Permutation(BigInt(pool.capacity), this.random));
        }
      } else if (subnet.allocator === "flq") {
        for (const pool of subnet.pools) {
          const queue = this.fill(pool, now);
          this.queues.set(pool, queue);
          flq.push({ pool, queue });
        }
      }
    }
    this.flqPools = flq.sort((a, b) => a.pool.start - b.pool.start);
    if (this.leases.watch !== undefined) {
      this.leases.watch(flq.length === 0 ? null : (lease, present) => this.changed(lease, present));
    } else if (flq.length > 0) {
      throw new Error("the flq allocator needs a lease store that reports its changes");
    }
  }

  /** Candidates worth trying in the subnet for these classes: the allowed pools' sizes. */
  attempts(subnet: Subnet4, classes: ReadonlySet<string>): number {
    let n = 0;
    for (const pool of subnet.pools) if (pool.allows(classes)) n += pool.capacity;
    return n;
  }

  /** One candidate address of the subnet for a client in these classes; 0 when none. */
  pick(subnet: Subnet4, classes: ReadonlySet<string>): number {
    switch (subnet.allocator) {
      case "random":
        return this.pickRandom(subnet, classes);
      case "flq":
        return this.pickFree(subnet, classes);
      default:
        return pickIterative4(subnet, classes);
    }
  }

  /** The free addresses the queue of a pool holds (flq), or -1 when it has none. */
  freeCount(pool: Pool4): number {
    return this.queues.get(pool)?.size ?? -1;
  }

  private pickRandom(subnet: Subnet4, classes: ReadonlySet<string>): number {
    const eligible = this.eligible;
    eligible.length = 0;
    for (const pool of subnet.pools) {
      const perm = this.permutations.get(pool);
      if (perm !== undefined && pool.allows(classes) && !perm.exhausted) eligible.push(pool);
    }
    if (eligible.length === 0) {
      // Every allowed pool went through its whole permutation: a new cycle for each.
      for (const pool of subnet.pools) {
        const perm = this.permutations.get(pool);
        if (perm === undefined || !pool.allows(classes)) continue;
        perm.reset();
        eligible.push(pool);
      }
      if (eligible.length === 0) return 0;
    }
    const pool = eligible[Math.floor(this.random() * eligible.length)]!;
    eligible.length = 0;
    return pool.start + Number(this.permutations.get(pool)!.next());
  }

  private pickFree(subnet: Subnet4, classes: ReadonlySet<string>): number {
    const eligible = this.eligible;
    eligible.length = 0;
    for (const pool of subnet.pools) {
      const queue = this.queues.get(pool);
      if (queue !== undefined && queue.size > 0 && pool.allows(classes)) eligible.push(pool);
    }
    if (eligible.length === 0) return 0;
    const pool =
      eligible.length === 1 ? eligible[0]! : eligible[Math.floor(this.random() * eligible.length)]!;
    eligible.length = 0;
    return pool.start + this.queues.get(pool)!.offer();
  }

  /** A queue of every address of the pool no running lease holds, in random order. */
  private fill(pool: Pool4, now: number): FreeQueue {
    const queue = new FreeQueue(pool.capacity);
    const order = shuffledOffsets(pool.capacity, this.random);
    for (let i = 0; i < order.length; i++) {
      const offset = order[i]!;
      const lease = this.leases.getLease4(pool.start + offset);
      if (lease === null || !busy(lease, now)) queue.add(offset);
    }
    return queue;
  }

  /** The store's watcher: the address leaves or joins its pool's queue. */
  private changed(lease: Lease4, present: boolean): void {
    const addr = ipv4FromString(lease.address);
    const flq = this.flqPoolOf(addr);
    if (flq === undefined) return;
    const offset = addr - flq.pool.start;
    if (present && busy(lease, Math.floor(Date.now() / 1000))) flq.queue.delete(offset);
    else flq.queue.add(offset);
  }

  private flqPoolOf(addr: number): FlqPool | undefined {
    const list = this.flqPools;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const p = list[mid]!.pool;
      if (addr < p.start) hi = mid - 1;
      else if (addr > p.end) lo = mid + 1;
      else return list[mid];
    }
    return undefined;
  }
}

/** A lease that holds its address: not reclaimed and not expired (Kea's flq test). */
function busy(lease: Lease4, now: number): boolean {
  return lease.state !== LeaseState.EXPIRED_RECLAIMED && !lease.isExpired(now);
}
