/**
 * What the DHCPv4 and DHCPv6 statistics share: the packet counters (`pkt4-*` / `pkt6-*`) held as
 * Observation objects so the packet path never looks a name up, and the bookkeeping of which
 * subnets have statistics (those of a subnet gone from the configuration are removed).
 */
import type { Observation } from "./observation.ts";
import type { StatsManager } from "./stats-manager.ts";

export class PacketStats {
  readonly stats: StatsManager;
  readonly received: Observation;
  readonly unknownReceived: Observation;
  readonly sent: Observation;
  readonly parseFailed: Observation;
  readonly receiveDrop: Observation;
  private readonly receivedByType = new Map<number, Observation>();
  private readonly sentByType = new Map<number, Observation>();
  private subnetIds: number[] = [];

  /**
   * `prefix` is "pkt4" or "pkt6"; `received` and `sent` name the per-message-type counters;
   * `globals` are created at once so that statistic-get-all lists them from the start, as Kea.
   */
  constructor(
    stats: StatsManager,
    prefix: string,
    received: Record<number, string>,
    sent: Record<number, string>,
    globals: readonly string[],
  ) {
    this.stats = stats;
    this.received = stats.observe(`${prefix}-received`);
    this.unknownReceived = stats.observe(`${prefix}-unknown-received`);
    this.sent = stats.observe(`${prefix}-sent`);
    this.parseFailed = stats.observe(`${prefix}-parse-failed`);
    this.receiveDrop = stats.observe(`${prefix}-receive-drop`);
    for (const [t, name] of Object.entries(received)) {
      this.receivedByType.set(+t, stats.observe(name));
    }
    for (const [t, name] of Object.entries(sent)) this.sentByType.set(+t, stats.observe(name));
    for (const name of globals) stats.observe(name);
  }

  countReceived(type: number): void {
    this.received.add(1);
    (this.receivedByType.get(type) ?? this.unknownReceived).add(1);
  }

  countSent(type: number): void {
    this.sent.add(1);
    this.sentByType.get(type)?.add(1);
  }

  /** Removes the statistics of subnets no longer configured; remembers the ones that are. */
  protected keepSubnets(ids: readonly number[]): Set<number> {
    const keep = new Set(ids);
    for (const id of this.subnetIds) if (!keep.has(id)) this.stats.removeByPrefix(`subnet[${id}].`);
    this.subnetIds = [...keep];
    return keep;
  }
}
