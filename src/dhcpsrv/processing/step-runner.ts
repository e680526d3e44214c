/**
 * Runs a query through a server's processing steps, in the order of its table: plain steps
 * (accept, select the subnet, allocate, build the response...) and hook points (`HookPoint`
 * descriptors, which the runner calls through `callHook`: asked whether callouts are present,
 * called, resumed only when a callout went asynchronous). Synchronous while every step is; only a
 * step that returns a Promise makes the rest of this query wait, and only this query. A step that
 * throws ends the query through `failed` (logged and counted, never the process); `finish`
 * always runs.
 */
import { callHook, type HookedExchange, type HookPoint } from "./hook-point.ts";

/** A plain step: works on the exchange; a Promise only when it had to wait. */
export type Step<E> = (ex: E) => void | Promise<void>;

export class StepRunner<E extends HookedExchange, R> {
  private readonly steps: readonly (Step<E> | HookPoint<E>)[];
  private readonly failed: (ex: E, err: unknown) => void;
  private readonly finish: (ex: E) => R | Promise<R>;

  constructor(
    steps: readonly (Step<E> | HookPoint<E>)[],
    failed: (ex: E, err: unknown) => void,
    finish: (ex: E) => R | Promise<R>,
  ) {
    this.steps = steps;
    this.failed = failed;
    this.finish = finish;
  }

  run(ex: E, from = 0): R | Promise<R> {
    const steps = this.steps;
    for (let i = from; i < steps.length && !ex.dropped; i++) {
      const step = steps[i]!;
      let r: void | Promise<void>;
      try {
        r = typeof step === "function" ? step(ex) : callHook(ex, step);
      } catch (err) {
        this.failed(ex, err);
        break;
      }
      if (r !== undefined) return this.resume(ex, r, i + 1);
    }
    return this.finish(ex);
  }

  private resume(ex: E, wait: Promise<void>, next: number): Promise<R> {
    return wait.then(
      () => this.run(ex, next),
      (err: unknown) => {
        this.failed(ex, err);
        return this.finish(ex);
      },
    );
  }
}
