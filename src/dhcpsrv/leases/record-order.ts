/**
 * The address order of a store kept as columns: a list of sorted blocks, the addresses in order
 * as record numbers in Int32Array blocks (no array of a million references for the collector to
 * copy), compared by the store (`compare(a, b)` of two records; a store may give a record number
 * of its own, such as -1, to a key that is no record, for `page`).
 *
 * Adding or removing a record finds its block by binary search over the blocks' last records,
 * then its place in the block, and moves at most MAX_BLOCK numbers: O(log n + MAX_BLOCK). A page
 * after a key costs O(log n + limit).
 */

const MAX_BLOCK = 512;

export class RecordOrder {
  private blocks: Int32Array[] = [];
  private lens: number[] = [];
  private readonly compare: (a: number, b: number) => number;

  constructor(compare: (a: number, b: number) => number) {
    this.compare = compare;
  }

  /**
   * Replaces the contents with `sorted` (records already in order): blocks 7/8 full, room for
   * some inserts before a block splits.
   */
  rebuildSorted(sorted: Int32Array): void {
    this.blocks = [];
    this.lens = [];
    const fill = MAX_BLOCK - (MAX_BLOCK >> 3);
    for (let i = 0; i < sorted.length; i += fill) {
      const block = new Int32Array(MAX_BLOCK);
      const part = sorted.subarray(i, i + fill);
      block.set(part);
      this.blocks.push(block);
      this.lens.push(part.length);
    }
  }

  get size(): number {
    let n = 0;
    for (const len of this.lens) n += len;
    return n;
  }

  /** Adds a record whose key is not in the order yet. */
  insert(r: number): void {
    const { blocks, lens } = this;
    if (blocks.length === 0) {
      const block = new Int32Array(MAX_BLOCK);
      block[0] = r;
      blocks.push(block);
      lens.push(1);
      return;
    }
    let b = this.blockFor(r);
    if (b === blocks.length) b--; // after every key: the last block
    const block = blocks[b]!;
    const len = lens[b]!;
    const at = this.positionIn(block, len, r);
    block.copyWithin(at + 1, at, len);
    block[at] = r;
    lens[b] = len + 1;
    if (len + 1 === MAX_BLOCK) {
      const half = MAX_BLOCK >> 1;
      const upper = new Int32Array(MAX_BLOCK);
      upper.set(block.subarray(half));
      blocks.splice(b + 1, 0, upper);
      lens.splice(b + 1, 0, MAX_BLOCK - half);
      lens[b] = half;
    }
  }

  /** Removes the record of `r`'s key; false when there is none. */
  remove(r: number): boolean {
    const b = this.blockFor(r);
    const block = this.blocks[b];
    if (block === undefined) return false;
    const len = this.lens[b]!;
    const i = this.positionIn(block, len, r);
    if (i >= len || this.compare(block[i]!, r) !== 0) return false;
    block.copyWithin(i, i + 1, len);
    if (len === 1) {
      this.blocks.splice(b, 1);
      this.lens.splice(b, 1);
    } else {
      this.lens[b] = len - 1;
    }
    return true;
  }

  /** At most `limit` records whose key is above `after`'s (null: from the first), in order. */
  page(after: number | null, limit: number): number[] {
    const out: number[] = [];
    const { blocks, lens } = this;
    let b = 0;
    let i = 0;
    if (after !== null) {
      b = this.blockFor(after);
      if (b < blocks.length) {
        const block = blocks[b]!;
        i = this.positionIn(block, lens[b]!, after);
        if (i < lens[b]! && this.compare(block[i]!, after) === 0) i++;
      }
    }
    for (; b < blocks.length && out.length < limit; b++, i = 0) {
      const block = blocks[b]!;
      const len = lens[b]!;
      for (; i < len && out.length < limit; i++) out.push(block[i]!);
    }
    return out;
  }

  /** Every record, in order. */
  *values(): IterableIterator<number> {
    for (let b = 0; b < this.blocks.length; b++) {
      const block = this.blocks[b]!;
      const len = this.lens[b]!;
      for (let i = 0; i < len; i++) yield block[i]!;
    }
  }

  /** The first block whose last record's key is >= r's; blocks.length when above them all. */
  private blockFor(r: number): number {
    const { blocks, lens } = this;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(blocks[mid]![lens[mid]! - 1]!, r) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first position in `block` (of `len` records) whose key is >= r's. */
  private positionIn(block: Int32Array, len: number, r: number): number {
    let lo = 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(block[mid]!, r) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
