/**
 * How many queries wait at each hook point, across library generations: parked by a callout
 * (status PARK) or awaiting a callout's Promise. `parked-packet-limit` caps them per hook point,
 * as Kea caps its parking lots: a query that would wait beyond the limit is dropped instead
 * (and counted by the server). A plain array of counters indexed by hook index.
 */
export class QueryWaits {
  /** The configuration's `parked-packet-limit`; 0 = no limit (Kea). */
  limit = 0;
  private readonly counts: number[] = [];

  /** Queries waiting at the hook now. */
  count(index: number): number {
    return this.counts[index] ?? 0;
  }

  /** True when one more query may not wait at the hook. */
  full(index: number): boolean {
    return this.limit > 0 && (this.counts[index] ?? 0) >= this.limit;
  }

  enter(index: number): void {
    while (this.counts.length <= index) this.counts.push(0);
    this.counts[index]!++;
  }

  leave(index: number): void {
    this.counts[index]!--;
  }

  /** Queries waiting at any hook. */
  total(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }
}
