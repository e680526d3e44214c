/**
 * What every callout costs, per library and hook point, for the server's metrics endpoint:
 * calls, errors (a throw, a rejection, a non-zero return), timeouts (an asynchronous callout
 * abandoned by the watchdog) and a latency histogram. The counters are plain numbers in one
 * object per (library, hook), found once when a callout is registered: a call adds to them
 * without a lookup or an allocation, and a hook point without callouts costs nothing. They live
 * in the HooksManager, so they keep counting across library reloads (the exported series are
 * Prometheus counters and never go back).
 */
import { Histogram, LATENCY_BUCKETS } from "../stats/histogram.ts";

/** One (library, hook point): counts since the server started. */
export class CalloutCounters {
  readonly library: string;
  readonly hook: string;
  /** Finished calls by latency, in seconds (its count is the number of calls). */
  readonly latency = new Histogram(LATENCY_BUCKETS);
  errors = 0;
  timeouts = 0;

  constructor(library: string, hook: string) {
    this.library = library;
    this.hook = hook;
  }

  /** One finished call that took `ms` milliseconds. */
  observe(ms: number): void {
    this.latency.observe(ms / 1000);
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
