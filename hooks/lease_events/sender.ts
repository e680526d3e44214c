/**
 * Delivers the queue to the endpoint: `POST url` with `{"events": [...]}` (up to `batch` events,
 * oldest first, JSON), any 2xx status taking them off the queue. A failure (connection refused,
 * timeout, another status) is retried after `retry-ms`, doubling up to `max-retry-ms`, for as
 * long as it takes; one delivery at a time, so the endpoint sees events in order.
 */
import type { Logger } from "nestor/hooks";
import type { LeaseEvent } from "./events.ts";
import type { EventQueue } from "./queue.ts";
import type { Settings } from "./params.ts";

export class Sender {
  private readonly settings: Settings;
  private readonly queue: EventQueue;
  private readonly log: Logger;
  private busy = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private backoff: number;
  private stopped = false;
  private waiters: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  delivered = 0;
  failures = 0;
  lastError = "";

  constructor(settings: Settings, queue: EventQueue, log: Logger) {
    this.settings = settings;
    this.queue = queue;
    this.log = log;
    this.backoff = settings.retryMs;
  }

  /** Starts a delivery now unless one is running or waiting for its retry. */
  kick(): void {
    if (this.busy || this.timer !== null || this.stopped || this.queue.size === 0) return;
    void this.deliver();
  }

  /** Resolves once the event `seq` is delivered (sync mode). */
  whenDelivered(seq: number): Promise<void> {
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.waiters) w.reject(new Error("lease_events unloaded before delivery"));
    this.waiters = [];
  }

  private async deliver(): Promise<void> {
    this.busy = true;
    const batch: LeaseEvent[] = this.queue.peek(this.settings.batch);
    try {
      const res = await fetch(this.settings.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...this.settings.headers },
        body: JSON.stringify({ events: batch }),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status > 299) throw new Error(`HTTP status ${res.status}`);
      const last = batch.at(-1)!.seq;
      this.queue.remove(last);
      this.delivered += batch.length;
      this.backoff = this.settings.retryMs;
      if (this.lastError !== "") this.log.info("LEASE_EVENTS_RECOVERED", this.settings.url);
      this.lastError = "";
      this.settle(last);
      this.busy = false;
      this.kick();
    } catch (e) {
      this.failures++;
      const why = e instanceof Error ? e.message : String(e);
      if (this.lastError === "") {
        this.log.warn("LEASE_EVENTS_POST_FAILED", this.settings.url, why, this.queue.size);
      }
      this.lastError = why;
      this.busy = false;
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.kick();
      }, this.backoff);
      this.timer.unref();
      this.backoff = Math.min(this.backoff * 2, this.settings.maxRetryMs);
    }
  }

  private settle(upTo: number): void {
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.seq <= upTo) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }
}
