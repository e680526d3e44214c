/**
 * What the DHCPv4 and DHCPv6 statistics share: the packet counters (`pkt4-*` / `pkt6-*`) held as
 * Observation objects so the packet path never looks a name up, and the bookkeeping of which
 * subnets have statistics (removed and made afresh when a configuration is installed, as Kea).
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
  /** Per message type: the Observation once it exists, else its name (created on first use). */
  private readonly receivedByType = new Map<number, Observation | string>();
  private readonly sentByType = new Map<number, Observation | string>();
  private subnetIds: number[] = [];

  /**
   * `prefix` is "pkt4" or "pkt6"; `received` and `sent` name the per-message-type counters;
   * `globals` are created at once so that statistic-get-all lists them from the start, as Kea.
   * The per-type counters named in `late` are created when first counted (Kea 2.2 does not list
   * pkt6-confirm-received before a CONFIRM came).
   */
  constructor(
    stats: StatsManager,
    prefix: string,
    received: Record<number, string>,
    sent: Record<number, string>,
    globals: readonly string[],
    late: readonly string[] = [],
  ) {
    this.stats = stats;
    this.received = stats.observe(`${prefix}-received`);
    this.unknownReceived = stats.observe(`${prefix}-unknown-received`);
    this.sent = stats.observe(`${prefix}-sent`);
    this.parseFailed = stats.observe(`${prefix}-parse-failed`);
    this.receiveDrop = stats.observe(`${prefix}-receive-drop`);
    const made = (name: string) => (late.includes(name) ? name : stats.observe(name));
    for (const [t, name] of Object.entries(received)) this.receivedByType.set(+t, made(name));
    for (const [t, name] of Object.entries(sent)) this.sentByType.set(+t, made(name));
    for (const name of globals) stats.observe(name);
  }

  /** The counter of a message type, created on its first use when it is a late one. */
  private byType(map: Map<number, Observation | string>, type: number): Observation | undefined {
    const o = map.get(type);
    if (typeof o !== "string") return o;
    const made = this.stats.observe(o);
    map.set(type, made);
    return made;
  }

  /**
   * A datagram received, before anything reads it: `pktN-received` counts every one, those that
   * fail to parse included (the ARM: "valid, bogus, corrupted, rejected").
   */
  countDatagram(): void {
    this.received.add(1);
  }

  /** A query of this message type, once unpacked (`pktN-<type>-received`, else -unknown-). */
  countReceived(type: number): void {
    (this.byType(this.receivedByType, type) ?? this.unknownReceived).add(1);
  }

  /** A reply of this message type left (`pktN-sent`, `pktN-<type>-sent`). */
  countSent(type: number): void {
    this.sent.add(1);
    this.byType(this.sentByType, type)?.add(1);
  }

  /**
   * A configuration installed: as Kea, the statistics of every subnet of the previous one are
   * removed (the caller creates those of the new one afresh, with one sample each), but for the
   * `kept` names (Kea 2.2 leaves subnet[id].v4-reservation-conflicts, even of a subnet gone);
   * the new subnets are remembered.
   */
  protected replaceSubnets(ids: readonly number[], kept: readonly string[] = []): Set<number> {
    for (const id of this.subnetIds) {
      const prefix = `subnet[${id}].`;
      this.stats.removeByPrefix(prefix, (name) => kept.includes(name.slice(prefix.length)));
    }
    const keep = new Set(ids);
    this.subnetIds = [...keep];
    return keep;
  }
}
