/**
 * One named statistic with Kea's model: a current value plus the samples of its recent values,
 * newest first, each with the time it was recorded. Every set/add records a sample. Samples are
 * kept by count (default 20) or by age (seconds), one limit at a time as in Kea.
 *
 * Hot path: the servers hold Observation objects and call add(1); samples live in a ring of
 * preallocated arrays, so an update costs two array writes and a clock read (none while a
 * batch holds the sample clock: sample-clock.ts).
 */
import { sampleNow } from "./sample-clock.ts";

export const StatType = {
  INTEGER: "integer",
  BIG_INTEGER: "big-integer",
  FLOAT: "float",
  DURATION: "duration",
  STRING: "string",
} as const;
export type StatType = (typeof StatType)[keyof typeof StatType];

export type StatValue = number | bigint | string;

/** [value, "YYYY-MM-DD HH:MM:SS.ffffff"], as Kea's statistic-get shows a sample. */
export type Sample = [number | string, string];

const NEUTRAL: Record<StatType, StatValue> = {
  integer: 0,
  "big-integer": 0n,
  float: 0,
  duration: 0,
  string: "",
};

export class Observation {
  readonly name: string;
  readonly type: StatType;
  private values: StatValue[];
  private times: number[];
  /** Index of the newest sample in the ring. */
  private head: number;
  private count: number;
  private maxCount: number;
  /** Age limit in milliseconds; 0 = the count limit applies. */
  private maxAgeMs: number;
  /**
   * Set when the statistic was removed (statistic-remove) while the server still holds this
   * object: the next update brings it back from its neutral value, as Kea re-adds a removed
   * statistic when it next records it.
   */
  detached = false;
  private readonly revive: ((o: Observation) => void) | null;

  constructor(
    name: string,
    type: StatType,
    maxCount = 20,
    maxAgeMs = 0,
    revive: ((o: Observation) => void) | null = null,
    initial?: StatValue,
  ) {
    this.name = name;
    this.type = type;
    this.maxCount = Math.max(1, maxCount);
    this.maxAgeMs = maxAgeMs;
    this.revive = revive;
    this.values = new Array<StatValue>(this.maxCount);
    this.times = new Array<number>(this.maxCount).fill(0);
    this.head = -1;
    this.count = 0;
    this.record(
      initial === undefined
        ? NEUTRAL[type]
        : type === StatType.BIG_INTEGER
          ? BigInt(initial)
          : initial,
    );
  }

  /** The current value. */
  get value(): StatValue {
    return this.values[this.head]!;
  }

  add(delta: number | bigint): void {
    const v = this.detached ? this.reattach() : this.value;
    if (typeof v === "bigint") this.record(v + BigInt(delta));
    else if (typeof v === "number") this.record(v + Number(delta));
    else throw new TypeError(`statistic ${this.name} is a string; add() does not apply`);
  }

  set(value: StatValue): void {
    if (this.detached) this.reattach();
    this.record(this.type === StatType.BIG_INTEGER ? BigInt(value) : value);
  }

  /**
   * Back under its name with no sample: the update that revived it records the first one, as
   * Kea's statistic made anew holds only the value it was made with. Returns the neutral value.
   */
  private reattach(): StatValue {
    this.detached = false;
    this.head = -1;
    this.count = 0;
    this.revive?.(this);
    return NEUTRAL[this.type];
  }

  /** Back to the neutral value (0, 0.0, 0 duration, ""), with one sample. */
  reset(): void {
    this.head = -1;
    this.count = 0;
    this.record(NEUTRAL[this.type]);
  }

  setMaxSampleCount(n: number): void {
    this.resize(Math.max(1, n));
    this.maxAgeMs = 0;
  }

  setMaxSampleAge(seconds: number): void {
    this.maxAgeMs = Math.max(0, seconds) * 1000;
    // Age-limited series may grow; give the ring room (Kea keeps every sample within the age).
    if (this.maxCount < 1000) this.resize(1000);
  }

  getMaxSampleCount(): number {
    return this.maxCount;
  }

  getMaxSampleAgeSeconds(): number {
    return this.maxAgeMs / 1000;
  }

  /** Samples newest first, within the limits. */
  getSamples(now = Date.now()): Sample[] {
    const out: Sample[] = [];
    for (let i = 0; i < this.count; i++) {
      const at = (this.head - i + this.maxCount) % this.maxCount;
      const t = this.times[at]!;
      if (this.maxAgeMs > 0 && i > 0 && now - t > this.maxAgeMs) break;
      const v = this.values[at]!;
      out.push([typeof v === "bigint" ? Number(v) : v, formatTime(t)]);
    }
    return out;
  }

  private record(value: StatValue): void {
    this.head = (this.head + 1) % this.maxCount;
    this.values[this.head] = value;
    this.times[this.head] = sampleNow();
    if (this.count < this.maxCount) this.count++;
  }

  private resize(n: number): void {
    const samples: [StatValue, number][] = [];
    for (let i = Math.min(this.count, n) - 1; i >= 0; i--) {
      const at = (this.head - i + this.maxCount) % this.maxCount;
      samples.push([this.values[at]!, this.times[at]!]);
    }
    this.maxCount = n;
    this.values = new Array<StatValue>(n);
    this.times = new Array<number>(n).fill(0);
    this.head = -1;
    this.count = 0;
    for (const [v, t] of samples) {
      this.head++;
      this.values[this.head] = v;
      this.times[this.head] = t;
      this.count++;
    }
  }
}

/** Local time with microseconds, as Kea prints sample times. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`
  );
}
