/**
 * The address order of a lease store: its entries sorted by a key, for the page queries
 * (`lease4-get-page`, `lease6-get-page`: the leases after an address, in address order) without
 * sorting or scanning the whole store.
 *
 * A list of sorted blocks of at most MAX_BLOCK entries. Adding or removing an entry finds its
 * block by binary search over the blocks' last keys, then its place in the block by binary
 * search, and moves at most MAX_BLOCK references: O(log n + MAX_BLOCK), whatever the size of the
 * store. A page after a key costs O(log n + limit). A renewal, which keeps the address, never
 * touches it.
 */

const MAX_BLOCK = 512;

export class SortedIndex<K, E> {
  private blocks: E[][] = [];
  private readonly keyOf: (e: E) => K;
  private readonly compare: (a: K, b: K) => number;

  constructor(keyOf: (e: E) => K, compare: (a: K, b: K) => number) {
    this.keyOf = keyOf;
    this.compare = compare;
  }

  /** Replaces the contents with `entries` (in any order): one sort, for a store's loading. */
  rebuild(entries: Iterable<E>): void {
    const all = Array.from(entries);
    const { keyOf, compare } = this;
    all.sort((a, b) => compare(keyOf(a), keyOf(b)));
    this.blocks = [];
    const half = MAX_BLOCK >> 1;
    for (let i = 0; i < all.length; i += half) this.blocks.push(all.slice(i, i + half));
  }

  /** Adds an entry whose key is not in the index yet. */
  insert(e: E): void {
    const key = this.keyOf(e);
    const blocks = this.blocks;
    if (blocks.length === 0) {
      blocks.push([e]);
      return;
    }
    let b = this.blockFor(key);
    if (b === blocks.length) b--; // after every key: the last block
    const block = blocks[b]!;
    block.splice(this.positionIn(block, key), 0, e);
    if (block.length > MAX_BLOCK) blocks.splice(b + 1, 0, block.splice(block.length >> 1));
  }

  /** Removes the entry of `e`'s key; false when there is none. */
  remove(e: E): boolean {
    const key = this.keyOf(e);
    const b = this.blockFor(key);
    const block = this.blocks[b];
    if (block === undefined) return false;
    const i = this.positionIn(block, key);
    if (i >= block.length || this.compare(this.keyOf(block[i]!), key) !== 0) return false;
    block.splice(i, 1);
    if (block.length === 0) this.blocks.splice(b, 1);
    return true;
  }

  /** At most `limit` entries whose key is above `after` (null: from the first), in order. */
  page(after: K | null, limit: number): E[] {
    const out: E[] = [];
    const blocks = this.blocks;
    let b = 0;
    let i = 0;
    if (after !== null) {
      b = this.blockFor(after);
      if (b < blocks.length) {
        const block = blocks[b]!;
        i = this.positionIn(block, after);
        if (i < block.length && this.compare(this.keyOf(block[i]!), after) === 0) i++;
      }
    }
    for (; b < blocks.length && out.length < limit; b++, i = 0) {
      const block = blocks[b]!;
      for (; i < block.length && out.length < limit; i++) out.push(block[i]!);
    }
    return out;
  }

  /** Every entry, in key order. */
  *values(): IterableIterator<E> {
    for (const block of this.blocks) yield* block;
  }

  get size(): number {
    let n = 0;
    for (const block of this.blocks) n += block.length;
    return n;
  }

  /** The first block whose last key is >= key; blocks.length when key is above them all. */
  private blockFor(key: K): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = blocks[mid]!;
      if (this.compare(this.keyOf(block[block.length - 1]!), key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first position in `block` whose key is >= key. */
  private positionIn(block: readonly E[], key: K): number {
    let lo = 0;
    let hi = block.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.keyOf(block[mid]!), key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
