/**
 * Runs a query through a server's processing steps (receive, hook points, allocation, response,
 * send). Synchronous while every step is; only a step that returns a Promise (an asynchronous
 * callout) makes the rest of this query wait, and only this query. A step that throws ends the
 * query through `failed` (logged and counted, never the process); `finish` always runs.
 */
export type Step<E> = (ex: E) => void | Promise<void>;

export class StepRunner<E extends { dropped: boolean }, R> {
  private readonly steps: readonly Step<E>[];
  private readonly failed: (ex: E, err: unknown) => void;
  private readonly finish: (ex: E) => R | Promise<R>;

  constructor(
    steps: readonly Step<E>[],
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
      let r: void | Promise<void>;
      try {
        r = steps[i]!(ex);
      } catch (err) {
        this.failed(ex, err);
        break;
      }
      if (r !== undefined) {
        return r.then(
          () => this.run(ex, i + 1),
          (err: unknown) => {
            this.failed(ex, err);
            return this.finish(ex);
          },
        );
      }
    }
    return this.finish(ex);
  }
}
