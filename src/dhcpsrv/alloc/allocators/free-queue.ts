/**
 * The free lease queue of one pool (Kea 2.4+'s "flq" allocator): the offsets of the pool's free
 * addresses or prefixes in a circular doubly linked list over typed arrays. Offering one, adding
 * one that became free and removing one that got leased are O(1) however full the pool is, and
 * nothing is allocated after construction.
 */

/** `prev` of an offset that is not in the queue. */
const OUT = -2;
const NONE = -1;

export class FreeQueue {
  readonly capacity: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private head = NONE;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity).fill(OUT);
  }

  get size(): number {
    return this.count;
  }

  has(offset: number): boolean {
    return this.prev[offset] !== OUT;
  }

  /** Puts a free offset at the back of the queue (nothing when it is already queued). */
  add(offset: number): void {
    if (offset < 0 || offset >= this.capacity || this.prev[offset] !== OUT) return;
    if (this.head === NONE) {
      this.head = offset;
      this.next[offset] = offset;
      this.prev[offset] = offset;
    } else {
      const tail = this.prev[this.head]!;
      this.next[tail] = offset;
      this.prev[offset] = tail;
      this.next[offset] = this.head;
      this.prev[this.head] = offset;
    }
    this.count++;
  }

  /** Takes an offset out of the queue (leased); nothing when it is not queued. */
  delete(offset: number): void {
    if (offset < 0 || offset >= this.capacity || this.prev[offset] === OUT) return;
    if (this.count === 1) {
      this.head = NONE;
    } else {
      const p = this.prev[offset]!;
      const n = this.next[offset]!;
      this.next[p] = n;
      this.prev[n] = p;
      if (this.head === offset) this.head = n;
    }
    this.prev[offset] = OUT;
    this.count--;
  }

  /**
   * Kea's offerFreeLease: the front of the queue, moved to the back (it stays free until a lease
   * takes it, and the next offer is another one); -1 when the queue is empty.
   */
  offer(): number {
    const h = this.head;
    if (h === NONE) return NONE;
    this.head = this.next[h]!;
    return h;
  }
}

/** The offsets 0..n-1 in a random order (Fisher-Yates), to fill a queue in no particular order. */
export function shuffledOffsets(n: number, random: () => number = Math.random): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}
