/**
 * The statistics of one server, under Kea's names (`pkt4-received`, `subnet[1].assigned-addresses`,
 * `subnet[1].pool[0].total-addresses`). Not a singleton: a server builds one and passes it on.
 * Code on the packet path keeps the Observation it updates instead of looking names up.
 */
import { Observation, StatType, type Sample, type StatValue } from "./observation.ts";

export class StatsManager {
  private readonly observations = new Map<string, Observation>();
  private defaultMaxCount = 20;
  private defaultMaxAgeMs = 0;
  /** A removed statistic that is updated again comes back under its name. */
  private readonly revive = (o: Observation): void => {
    if (!this.observations.has(o.name)) this.observations.set(o.name, o);
  };

  /** The named statistic, created with its neutral value when absent. */
  observe(name: string, type: StatType = StatType.INTEGER): Observation {
    let o = this.observations.get(name);
    if (o === undefined) {
      o = new Observation(name, type, this.defaultMaxCount, this.defaultMaxAgeMs, this.revive);
      this.observations.set(name, o);
    }
    return o;
  }

  get(name: string): Observation | undefined {
    return this.observations.get(name);
  }

  /** Sets the value; a statistic created by it starts with that one sample, as Kea's. */
  setValue(name: string, value: StatValue): void {
    const o = this.observations.get(name);
    if (o !== undefined) return o.set(value);
    const type =
      typeof value === "bigint"
        ? StatType.BIG_INTEGER
        : typeof value === "string"
          ? StatType.STRING
          : StatType.INTEGER;
    const made = new Observation(
      name,
      type,
      this.defaultMaxCount,
      this.defaultMaxAgeMs,
      this.revive,
      value,
    );
    this.observations.set(name, made);
  }

  addValue(name: string, delta: number | bigint): void {
    this.observe(name, typeof delta === "bigint" ? StatType.BIG_INTEGER : StatType.INTEGER).add(
      delta,
    );
  }

  /** False when the statistic does not exist. */
  reset(name: string): boolean {
    const o = this.observations.get(name);
    o?.reset();
    return o !== undefined;
  }

  resetAll(): void {
    for (const o of this.observations.values()) o.reset();
  }

  remove(name: string): boolean {
    const o = this.observations.get(name);
    if (o === undefined) return false;
    o.detached = true;
    return this.observations.delete(name);
  }

  removeAll(): void {
    for (const o of this.observations.values()) o.detached = true;
    this.observations.clear();
  }

  /** Removes every statistic whose name starts with the prefix (e.g. "subnet[3].") but those kept. */
  removeByPrefix(prefix: string, keep?: (name: string) => boolean): void {
    for (const name of [...this.observations.keys()]) {
      if (name.startsWith(prefix) && keep?.(name) !== true) this.remove(name);
    }
  }

  names(): string[] {
    return [...this.observations.keys()].sort();
  }

  size(): number {
    return this.observations.size;
  }

  /** `{ name: [[value, time], ...] }`, the arguments of statistic-get; {} when absent. */
  sampleMap(name: string): Record<string, Sample[]> {
    const o = this.observations.get(name);
    return o === undefined ? {} : { [name]: o.getSamples() };
  }

  /** Every statistic, names sorted, as statistic-get-all shows them. */
  allSamples(filter?: (name: string) => boolean): Record<string, Sample[]> {
    const out: Record<string, Sample[]> = {};
    for (const name of this.names()) {
      if (filter === undefined || filter(name))
        out[name] = this.observations.get(name)!.getSamples();
    }
    return out;
  }

  setMaxSampleCount(name: string, n: number): boolean {
    const o = this.observations.get(name);
    o?.setMaxSampleCount(n);
    return o !== undefined;
  }

  setMaxSampleAge(name: string, seconds: number): boolean {
    const o = this.observations.get(name);
    o?.setMaxSampleAge(seconds);
    return o !== undefined;
  }

  /** Applies to every existing statistic and to those created later. */
  setMaxSampleCountAll(n: number): void {
    this.defaultMaxCount = Math.max(1, n);
    this.defaultMaxAgeMs = 0;
    for (const o of this.observations.values()) o.setMaxSampleCount(n);
  }

  setMaxSampleAgeAll(seconds: number): void {
    this.defaultMaxAgeMs = seconds * 1000;
    for (const o of this.observations.values()) o.setMaxSampleAge(seconds);
  }
}

/** `subnet[<id>].<name>` */
export function subnetStatName(subnetId: number, name: string): string {
  return `subnet[${subnetId}].${name}`;
}

/** `subnet[<id>].pool[<poolId>].<name>` */
export function poolStatName(subnetId: number, poolId: number, name: string): string {
  return `subnet[${subnetId}].pool[${poolId}].${name}`;
}
