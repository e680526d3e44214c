/**
 * A random permutation of a pool's offsets drawn one at a time (Kea's IPRangePermutation, used by
 * the "random" allocator): each offset comes out once per cycle, in random order, and the state
 * holds only the offsets swapped so far (a lazy Fisher-Yates shuffle), so a pool of any size
 * costs memory only for what was drawn.
 */
export class Permutation {
  readonly size: bigint;
  /** Offsets left to draw in this cycle. */
  private left: bigint;
  /** Swapped positions: position -> offset now at that position. */
  private readonly swapped = new Map<bigint, bigint>();
  private readonly random: () => number;

  constructor(size: bigint, random: () => number = Math.random) {
    this.size = size;
    this.left = size;
    this.random = random;
  }

  get exhausted(): boolean {
    return this.left === 0n;
  }

  /** The next offset of the cycle; -1n when the cycle is over (see reset). */
  next(): bigint {
    if (this.left === 0n) return -1n;
    const last = this.left - 1n;
    const j = randomBelow(this.left, this.random);
    const picked = this.swapped.get(j) ?? j;
    const moved = this.swapped.get(last) ?? last;
    if (j !== last) this.swapped.set(j, moved);
    this.swapped.delete(last);
    this.left = last;
    return picked;
  }

  /** Starts a new cycle: every offset can come out again. */
  reset(): void {
    this.left = this.size;
    this.swapped.clear();
  }
}

/** A uniform random number in [0, n), n >= 1. */
function randomBelow(n: bigint, random: () => number): bigint {
  if (n <= 0x20000000000000n) return BigInt(Math.floor(random() * Number(n)));
  // Wider than a double's integers: 32 random bits at a time, then a modulo (its bias is at
  // most 2^-32 relative, irrelevant for spreading addresses).
  let bits = 0n;
  let r = 0n;
  const width = BigInt(n.toString(2).length + 32);
  while (bits < width) {
    r = (r << 32n) | BigInt(Math.floor(random() * 0x100000000));
    bits += 32n;
  }
  return r % n;
}
