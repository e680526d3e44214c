/**
 * A clock a test moves by hand. While installed it is `Date.now()` for the whole process (lease
 * times, expiry, statistics' sample times all read it), so a test can age leases without
 * waiting: `clock.advance(3600)`. Timers (`setTimeout`) are not affected.
 */
export class ManualClock {
  private ms: number;
  private saved: (() => number) | null = null;

  /** Starts at `start` (a Date or milliseconds since the epoch), by default the real now. */
  constructor(start: Date | number = Date.now()) {
    this.ms = typeof start === "number" ? start : start.getTime();
  }

  /** Milliseconds since the epoch, as Date.now() returns them while installed. */
  now(): number {
    return this.ms;
  }

  /** Moves the clock forward by `seconds` (fractions allowed). */
  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError(`advance(${seconds}): seconds must be >= 0`);
    this.ms += Math.round(seconds * 1000);
  }

  /** Sets the clock to a moment (it may go backwards: a test of a clock step). */
  set(at: Date | number): void {
    this.ms = typeof at === "number" ? at : at.getTime();
  }

  /** Makes Date.now() read this clock until uninstall(). */
  install(): void {
    if (this.saved !== null) return;
    this.saved = Date.now;
    Date.now = () => this.ms;
  }

  uninstall(): void {
    if (this.saved === null) return;
    Date.now = this.saved;
    this.saved = null;
  }
}
