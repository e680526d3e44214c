/**
 * The steps and endings that DHCPv4 and DHCPv6 processing share, with each family's message IDs:
 * a query dropped (for a reason, by a callout, because it does not parse, because a step
 * failed), client classification before and after the reservation lookup, and the end of a
 * query (context_destroy, the reply counted). A family's processing holds one QueryCore.
 */
import type { Pkt } from "../../dhcp/pkt.ts";
import { defineMessages, type LogManager, type Logger } from "../../log/logger.ts";
import type { PacketStats } from "../../stats/packet-stats.ts";
import type { ClientClasses } from "../classify/client-classes.ts";
import { statusName, type HookedExchange, type HookPoint } from "./hook-point.ts";

defineMessages({
  DHCP4_HOOK_PARKING_LOT_FULL:
    "The parked-packet-limit %1 has been reached on hook %2, dropping query: %3",
  DHCP6_HOOK_PARKING_LOT_FULL:
    "The parked-packet-limit %1 has been reached on hook %2, dropping query: %3",
});

/** What the shared steps read of a family's exchange. */
export interface CoreExchange extends HookedExchange {
  /** The reservation found for the client, if any: its classes join the query's. */
  readonly host: { readonly classes: readonly string[] } | undefined;
  /** Kea's packet label, built only when a log line is written. */
  toString(): string;
}

/** The message IDs a family logs the shared steps under. */
export interface CoreMessages {
  /** A query that does not parse (iface, source, destination, reason). */
  readonly malformed: string;
  readonly drop: string;
  readonly hookDrop: string;
  /** parked-packet-limit reached (limit, hook point, query). */
  readonly parkingFull: string;
  readonly failed: string;
  readonly classAssigned: string;
  readonly classError: string;
}

/** Kea's IDs for "DHCP4" or "DHCP6" (the parse failure has a name of its own in v6). */
export function coreMessages(prefix: "DHCP4" | "DHCP6"): CoreMessages {
  return {
    malformed: prefix === "DHCP4" ? "DHCP4_PACKET_DROP_0001" : "DHCP6_PACKET_DROP_PARSE_FAIL",
    drop: `${prefix}_PACKET_DROP_0002`,
    hookDrop: `${prefix}_HOOK_DROP`,
    parkingFull: `${prefix}_HOOK_PARKING_LOT_FULL`,
    failed: `${prefix}_PACKET_PROCESSING_FAILED`,
    classAssigned: `${prefix}_CLASS_ASSIGNED`,
    classError: `${prefix}_CLASS_EVAL_ERROR`,
  };
}

const NO_CLASSES: readonly string[] = [];

export class QueryCore<E extends CoreExchange> {
  readonly log: Logger;
  readonly badLog: Logger;
  readonly leaseLog: Logger;
  readonly stats: PacketStats;
  private readonly ids: CoreMessages;

  constructor(logs: LogManager, stats: PacketStats, ids: CoreMessages) {
    this.log = logs.getLogger("packets");
    this.badLog = logs.getLogger("bad-packets");
    this.leaseLog = logs.getLogger("leases");
    this.stats = stats;
    this.ids = ids;
  }

  /** Dropped for a reason this server gives (Kea's PACKET_DROP_0002 lines). */
  drop(ex: E, reason: string): void {
    ex.dropped = true;
    this.stats.receiveDrop.add(1);
    this.log.debug(15, this.ids.drop, ex, reason);
  }

  /** Dropped because a callout of `point` said so. */
  hookDrop(ex: E, point: HookPoint<E>, status: number): void {
    ex.dropped = true;
    this.log.debug(40, this.ids.hookDrop, ex, point.name, statusName(status));
  }

  /**
   * The query would have waited at `point` (parked, or awaiting a callout) while
   * parked-packet-limit queries already wait there: dropped and counted as a receive drop (Kea's
   * rule at its parking points).
   */
  parkingFull(ex: E, point: HookPoint<E>, limit: number): void {
    ex.dropped = true;
    this.stats.receiveDrop.add(1);
    this.log.debug(15, this.ids.parkingFull, limit, point.name, ex);
  }

  /** A query that does not parse: dropped, counted, logged. */
  dropMalformed(ex: E, reason: string): void {
    const q = ex.query;
    ex.dropped = true;
    this.stats.parseFailed.add(1);
    this.stats.receiveDrop.add(1);
    this.badLog.debug(15, this.ids.malformed, q.iface, q.remoteAddr, q.localAddr, reason);
  }

  /** A step threw: the query is dropped and counted, the server goes on. */
  failed(ex: E, err: unknown): void {
    ex.dropped = true;
    this.stats.receiveDrop.add(1);
    this.log.error(this.ids.failed, ex, err instanceof Error ? err.message : String(err));
  }

  /**
   * Kea's classifyPacket, after unpacking and before pktN_receive: ALL, VENDOR_CLASS_<vendor
   * class option> and the class tests that do not depend on KNOWN/UNKNOWN.
   */
  classify(ex: E, classes: ClientClasses | null, vendorClass: string | null): void {
    if (classes === null) return;
    classes.classify(ex.query, vendorClass);
    this.logClasses(ex);
  }

  /** After the reservation lookup: the host's classes, KNOWN or UNKNOWN, the dependent tests. */
  classifyKnown(ex: E, classes: ClientClasses | null): void {
    if (classes === null) return;
    const host = ex.host;
    classes.classifyKnown(ex.query, host !== undefined, host?.classes ?? NO_CLASSES);
    this.logClasses(ex);
  }

  /** A class test that fails on a packet (a conversion of a value of the wrong size) is logged. */
  reportClassErrors(classes: ClientClasses | null, label: (pkt: Pkt) => string): void {
    if (classes === null) return;
    classes.onError = (pkt, cls, err) =>
      this.log.error(
        this.ids.classError,
        label(pkt),
        cls,
        err instanceof Error ? err.message : String(err),
      );
  }

  /** Ends the request (context_destroy) and returns the reply `destination` made, if any. */
  finish<R>(ex: E, reply: R | null): R | null | Promise<R | null> {
    if (reply !== null) this.stats.countSent(ex.response!.getType());
    const done = ex.handle?.release();
    if (done !== undefined) return done.then(() => reply);
    return reply;
  }

  private logClasses(ex: E): void {
    if (!this.log.isEnabled("DEBUG", 40)) return;
    this.log.debug(40, this.ids.classAssigned, ex, ex.query.getClasses().join(", "));
  }
}
