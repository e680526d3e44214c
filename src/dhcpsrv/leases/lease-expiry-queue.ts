/**
 * The expiration index of a lease store: which leases expired first, without scanning them all.
 *
 * A binary min-heap of (expire, item, version) in three parallel arrays (no object per entry).
 * Changes never search the heap: a changed or removed item bumps its `version`, which makes its
 * old heap entries stale, and a changed item is pushed again. Stale entries are dropped when they
 * reach the top, and the heap is rebuilt from the live items when stale ones outnumber them.
 * So an update costs one push (O(log n)) and the reclamation query costs O(k log n) for k
 * expired leases, instead of a scan of every lease.
 */

/** What the queue needs of an item: a version that changes whenever the item changes. */
export interface Versioned {
  version: number;
}

export class LeaseExpiryQueue<T extends Versioned> {
  private exp: number[] = [];
  private items: T[] = [];
  private vers: number[] = [];

  /** Entries held, stale ones included. */
  get length(): number {
    return this.exp.length;
  }

  /** Files `item` (at its current version) under `expire` (seconds since the epoch). */
  push(expire: number, item: T): void {
    this.exp.push(expire);
    this.items.push(item);
    this.vers.push(item.version);
    this.up(this.exp.length - 1);
  }

  /**
   * The live items filed under an expire time before `now`, soonest first, at most `max` (0: no
   * limit). They stay in the queue: they are expired until their owner changes them.
   */
  expired(now: number, max: number): T[] {
    const found: T[] = [];
    const foundExp: number[] = [];
    while (this.exp.length > 0 && this.exp[0]! < now && (max <= 0 || found.length < max)) {
      const expire = this.exp[0]!;
      const item = this.items[0]!;
      const live = this.vers[0] === item.version;
      this.pop();
      if (live) {
        found.push(item);
        foundExp.push(expire);
      }
    }
    for (let i = 0; i < found.length; i++) this.push(foundExp[i]!, found[i]!);
    return found;
  }

  /** Replaces the content with the given items; `expireOf` returns null for items not filed. */
  rebuild(items: Iterable<T>, expireOf: (item: T) => number | null): void {
    this.exp = [];
    this.items = [];
    this.vers = [];
    for (const item of items) {
      const e = expireOf(item);
      if (e === null) continue;
      this.exp.push(e);
      this.items.push(item);
      this.vers.push(item.version);
    }
    for (let i = (this.exp.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private pop(): void {
    const last = this.exp.length - 1;
    this.move(last, 0);
    this.exp.length = last;
    this.items.length = last;
    this.vers.length = last;
    if (last > 0) this.down(0);
  }

  private move(from: number, to: number): void {
    this.exp[to] = this.exp[from]!;
    this.items[to] = this.items[from]!;
    this.vers[to] = this.vers[from]!;
  }

  private up(i: number): void {
    const e = this.exp[i]!;
    const item = this.items[i]!;
    const v = this.vers[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.exp[parent]! <= e) break;
      this.move(parent, i);
      i = parent;
    }
    this.exp[i] = e;
    this.items[i] = item;
    this.vers[i] = v;
  }

  private down(i: number): void {
    const n = this.exp.length;
    const e = this.exp[i]!;
    const item = this.items[i]!;
    const v = this.vers[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.exp[child + 1]! < this.exp[child]!) child++;
      if (this.exp[child]! >= e) break;
      this.move(child, i);
      i = child;
    }
    this.exp[i] = e;
    this.items[i] = item;
    this.vers[i] = v;
  }
}
