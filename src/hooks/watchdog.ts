/**
 * Bounds how long an asynchronous callout may take, without a timer per callout: pending
 * callouts sit in a set with their deadline, and one unref'd interval (running only while the
 * set is non-empty) rejects those past it. A per-callout setTimeout cost ~6 µs per async call;
 * this costs one Promise and a set insertion. Each watch has its own timeout (a library's
 * `timeout-ms`); the interval ticks every tenth of the shortest timeout pending, from 5 ms to 1 s.
 */
import type { CalloutResult } from "./types.ts";

interface Watch {
  deadline: number;
  reject: (err: unknown) => void;
  makeError: () => Error;
}

function tickOf(timeoutMs: number): number {
  return Math.max(5, Math.min(1000, Math.floor(timeoutMs / 10)));
}

export class CalloutWatchdog {
  private readonly pending = new Set<Watch>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private tickMs = 0;

  /**
   * Settles like `pending`, or rejects with makeError() once `timeoutMs` has passed (0 = never).
   */
  watch<T = CalloutResult>(
    pending: PromiseLike<T>,
    timeoutMs: number,
    makeError: () => Error,
  ): Promise<T> {
    if (timeoutMs <= 0) return Promise.resolve(pending);
    return new Promise<T>((resolve, reject) => {
      const w: Watch = { deadline: performance.now() + timeoutMs, reject, makeError };
      this.pending.add(w);
      this.start(tickOf(timeoutMs));
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

  private start(tickMs: number): void {
    if (this.timer !== null) {
      if (tickMs >= this.tickMs) return;
      clearInterval(this.timer);
    }
    this.tickMs = tickMs;
    this.timer = setInterval(sweep, tickMs, this);
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
