/**
 * A fixed-bucket histogram kept as plain numbers: observe() is a short scan and three additions,
 * no allocation, so it can sit on the packet path. The metrics endpoint turns it into a
 * Prometheus histogram (cumulative buckets, _sum, _count) when it is scraped.
 */
export class Histogram {
  /** Upper bounds of the buckets, ascending. */
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last one is past the highest bound. */
  readonly counts: Float64Array;
  count = 0;
  sum = 0;

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    this.count++;
    this.sum += value;
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
  }
}

/** Latency buckets in seconds, from 10 µs to 30 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
  0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Batch sizes: how many leases one write carried. */
export const BATCH_BUCKETS: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
