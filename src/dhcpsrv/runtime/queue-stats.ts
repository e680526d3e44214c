/**
 * Kea's `packet-queue-statistics` (status-get, with multi-threading enabled): the average number
 * of datagrams waiting in the receive queue, over the last 10, 100 and 1000 datagrams. Nestor's
 * queue is the batch a socket read returns: the i-th datagram of a batch had i waiting before
 * it. A ring of the last 1000 values and three running sums: two writes per datagram, nothing
 * allocated.
 */
const WINDOWS = [10, 100, 1000] as const;
const SIZE = 1000;

export class QueueStats {
  private readonly ring = new Uint32Array(SIZE);
  private readonly sums = [0, 0, 0];
  private count = 0;
  private head = 0;

  /** A batch of `n` datagrams, taken one after the other. */
  recordBatch(n: number): void {
    for (let i = 0; i < n; i++) this.record(i);
  }

  private record(waiting: number): void {
    for (let w = 0; w < WINDOWS.length; w++) {
      const size = WINDOWS[w]!;
      this.sums[w]! += waiting;
      if (this.count >= size) this.sums[w]! -= this.ring[(this.head - size + SIZE) % SIZE]!;
    }
    this.ring[this.head] = waiting;
    this.head = (this.head + 1) % SIZE;
    if (this.count < SIZE) this.count++;
  }

  /** The three averages (0 when nothing was received), as Kea's list of numbers. */
  averages(): number[] {
    return WINDOWS.map((size, w) => {
      const n = Math.min(size, this.count);
      return n === 0 ? 0 : this.sums[w]! / n;
    });
  }
}
