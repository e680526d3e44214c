/**
 * What every callout costs, per library and hook point, for the server's metrics endpoint:
 * calls, errors (a throw, a rejection, a non-zero return), timeouts (an asynchronous callout
 * abandoned by the watchdog) and a latency histogram (sampled for fast synchronous callouts, see
 * CalloutCounters.latency). The counters are plain numbers in one
 * object per (library, hook), found once when a callout is registered: a call adds to them
 * without a lookup or an allocation, and a hook point without callouts costs nothing. They live
 * in the HooksManager, so they keep counting across library reloads (the exported series are
 * Prometheus counters and never go back).
 */
import { Histogram, LATENCY_BUCKETS } from "../stats/histogram.ts";

/**
 * A synchronous callout whose timed calls stay under this (the histogram's first bound, 10 µs)
 * is timed once in SAMPLE calls: a timed call reads the clock twice (`performance.now()`, some
 * 40 ns a read on a virtual machine), more than such a call's whole dispatch. One in 16 was a
 * quarter of what a callout on every hook point added to a DORA in process (bench:packet
 * --callouts all); one in 64 still times a thousand calls a second on a server at 4,000
 * exchanges/s with a callout on every point.
 */
const FAST_MS = 0.01;
const SAMPLE = 64;

/** One (library, hook point): counts since the server started. */
export class CalloutCounters {
  readonly library: string;
  readonly hook: string;
  /** Finished calls, every one. */
  calls = 0;
  /**
   * Timed calls by latency, in seconds: every call of a callout that went asynchronous or took
   * 10 µs or more at its last timed call (and the first call of each), one call in SAMPLE of a
   * synchronous callout that stays under that.
   */
  readonly latency = new Histogram(LATENCY_BUCKETS);
  errors = 0;
  timeouts = 0;
  /** Synchronous calls to go before the next timed one; 0: time the next call. */
  untimedLeft = 0;

  constructor(library: string, hook: string) {
    this.library = library;
    this.hook = hook;
  }

  /** One finished synchronous call that took `ms` milliseconds. */
  observe(ms: number): void {
    this.calls++;
    this.latency.observe(ms / 1000);
    this.untimedLeft = ms < FAST_MS ? SAMPLE - 1 : 0;
  }

  /** One finished asynchronous call (until it settled): the next calls are all timed. */
  observeAsync(ms: number): void {
    this.calls++;
    this.latency.observe(ms / 1000);
    this.untimedLeft = 0;
  }

  /** One finished synchronous call that was not timed. */
  untimed(): void {
    this.calls++;
    this.untimedLeft--;
  }
}

export class CalloutMetrics {
  private readonly byKey = new Map<string, CalloutCounters>();

  /** The counters of a library on a hook point, made on first use. */
  counters(library: string, hook: string): CalloutCounters {
    const key = `${library}\u0000${hook}`;
    let c = this.byKey.get(key);
    if (c === undefined) {
      c = new CalloutCounters(library, hook);
      this.byKey.set(key, c);
    }
    return c;
  }

  /** Every (library, hook) that has had a callout registered. */
  all(): IterableIterator<CalloutCounters> {
    return this.byKey.values();
  }
}
