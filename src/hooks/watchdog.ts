/**
 * Bounds how long an asynchronous callout may take, without a timer per callout: pending
 * callouts sit in a set with their deadline, and one unref'd interval (running only while the
 * set is non-empty) rejects those past it. A per-callout setTimeout cost ~6 µs per async call;
 * this costs one Promise and a set insertion.
 */
import type { CalloutResult } from "./types.ts";

interface Watch {
  deadline: number;
  reject: (err: unknown) => void;
  makeError: () => Error;
}

export class CalloutWatchdog {
  private readonly timeoutMs: number;
  private readonly tickMs: number;
  private readonly pending = new Set<Watch>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.tickMs = Math.max(5, Math.min(1000, Math.floor(timeoutMs / 10)));
  }

  /** Settles like `pending`, or rejects with makeError() once the timeout has passed. */
  watch(pending: PromiseLike<CalloutResult>, makeError: () => Error): Promise<CalloutResult> {
    if (this.timeoutMs <= 0) return Promise.resolve(pending);
    return new Promise<CalloutResult>((resolve, reject) => {
      const w: Watch = { deadline: performance.now() + this.timeoutMs, reject, makeError };
      this.pending.add(w);
      this.start();
      pending.then(
        (v) => {
          this.pending.delete(w);
          resolve(v);
        },
        (e: unknown) => {
          this.pending.delete(w);
          reject(e);
        },
      );
    });
  }

  private start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(sweep, this.tickMs, this);
    this.timer.unref();
  }

  /** Rejects the expired watches; stops the interval when nothing is pending. */
  sweep(): void {
    const now = performance.now();
    for (const w of this.pending) {
      if (w.deadline <= now) {
        this.pending.delete(w);
        w.reject(w.makeError());
      }
    }
    if (this.pending.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}

function sweep(dog: CalloutWatchdog): void {
  dog.sweep();
}
