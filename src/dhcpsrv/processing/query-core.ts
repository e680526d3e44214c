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

/** Kea's debug levels of the packet path (DBG_DHCPn_BASIC ... DETAIL_DATA). */
export const DBG_BASIC = 40;
export const DBG_BASIC_DATA = 45;
export const DBG_DETAIL = 50;
export const DBG_DETAIL_DATA = 55;

for (const [p, open, close] of [
  ["DHCP4", "", ""],
  ["DHCP6", "[", "]"],
] as const) {
  defineMessages({
    [`${p}_BUFFER_RECEIVED`]: `received a datagram from ${open}%1${close}:%2 to ${open}%3${close}:%4 on interface %5`,
    [`${p}_PACKET_RECEIVED`]: `%1: %2 (type %3) received from ${open}%4${close} to ${open}%5${close} on interface %6`,
    [`${p}_QUERY_DATA`]: "%1: the query in full:%2",
    [`${p}_SUBNET_SELECTED`]: "%1: subnet id %2 selected for the client",
    [`${p}_SUBNET_DATA`]: "%1: the subnet selected: %2",
    [`${p}_PACKET_SEND`]: `%1: sending %2 (type %3) from ${open}%4${close}:%5 to ${open}%6${close}:%7 on interface %8`,
    [`${p}_RESPONSE_DATA`]: "%1: the response %2 (type %3) in full:%4",
  });
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
  readonly bufferReceived: string;
  readonly packetReceived: string;
  readonly queryData: string;
  readonly subnetSelected: string;
  readonly subnetData: string;
  readonly packetSend: string;
  readonly responseData: string;
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
    bufferReceived: `${prefix}_BUFFER_RECEIVED`,
    packetReceived: `${prefix}_PACKET_RECEIVED`,
    queryData: `${prefix}_QUERY_DATA`,
    subnetSelected: `${prefix}_SUBNET_SELECTED`,
    subnetData: `${prefix}_SUBNET_DATA`,
    packetSend: `${prefix}_PACKET_SEND`,
    responseData: `${prefix}_RESPONSE_DATA`,
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
    if (this.badLog.isEnabled("DEBUG", DBG_DETAIL)) {
      this.badLog.debug(DBG_DETAIL, this.ids.malformed, q.remoteAddr, q.localAddr, q.iface, reason);
    }
  }

  /**
   * A datagram in, before anything reads it (Kea's BUFFER_RECEIVED): where from, where to.
   * Nothing is built unless the line is written.
   */
  bufferReceived(
    remoteAddr: string,
    remotePort: number,
    localAddr: string,
    localPort: number,
    iface: string,
  ): void {
    if (!this.log.isEnabled("DEBUG", DBG_BASIC)) return;
    const id = this.ids.bufferReceived;
    this.log.debug(DBG_BASIC, id, remoteAddr, remotePort, localAddr, localPort, iface);
  }

  /** The query unpacked (Kea's PACKET_RECEIVED, then QUERY_DATA with the whole packet). */
  packetReceived(ex: E): void {
    if (!this.log.isEnabled("DEBUG", DBG_BASIC_DATA)) return;
    const q = ex.query;
    const type = q.getType();
    const id = this.ids.packetReceived;
    this.log.debug(DBG_BASIC_DATA, id, ex, nameOf(q), type, q.remoteAddr, q.localAddr, q.iface);
    if (this.log.isEnabled("DEBUG", DBG_DETAIL_DATA)) {
      this.log.debug(DBG_DETAIL_DATA, this.ids.queryData, ex, `\n${q.toText()}`);
    }
  }

  /** The subnet the query was given (Kea's SUBNET_SELECTED, then SUBNET_DATA). */
  subnetSelected(ex: E, subnet: { readonly id: number; toText?(): string } | null): void {
    if (subnet === null || !this.log.isEnabled("DEBUG", DBG_BASIC_DATA)) return;
    this.log.debug(DBG_BASIC_DATA, this.ids.subnetSelected, ex, subnet.id);
    if (this.log.isEnabled("DEBUG", DBG_DETAIL_DATA)) {
      const text = subnet.toText?.() ?? String(subnet.id);
      this.log.debug(DBG_DETAIL_DATA, this.ids.subnetData, ex, text);
    }
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

  /** early-global-reservations-lookup found `hostClasses`' reservation: KNOWN before the subnet. */
  classifyEarlyHost(ex: E, classes: ClientClasses | null, hostClasses: readonly string[]): void {
    if (classes === null) {
      ex.query.addClass("KNOWN");
      return;
    }
    classes.classifyEarlyHost(ex.query, hostClasses);
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
    if (reply !== null && this.log.isEnabled("DEBUG", DBG_BASIC)) this.logSend(ex, ex.response!);
    const done = ex.handle?.release();
    if (done !== undefined) return done.then(() => reply);
    return reply;
  }

  /** Kea's PACKET_SEND (where the reply goes) and RESPONSE_DATA (the whole reply). */
  private logSend(ex: E, r: Pkt): void {
    const q = ex.query;
    const from = r.localAddr === "" ? "*" : r.localAddr;
    const id = this.ids.packetSend;
    const type = r.getType();
    const name = nameOf(r);
    this.log.debug(
      DBG_BASIC,
      id,
      ex,
      name,
      type,
      from,
      q.localPort,
      r.remoteAddr,
      r.remotePort,
      q.iface,
    );
    if (this.log.isEnabled("DEBUG", DBG_DETAIL_DATA)) {
      this.log.debug(DBG_DETAIL_DATA, this.ids.responseData, ex, name, type, `\n${r.toText()}`);
    }
  }

  private logClasses(ex: E): void {
    if (!this.log.isEnabled("DEBUG", 40)) return;
    this.log.debug(40, this.ids.classAssigned, ex, ex.query.getClasses().join(", "));
  }
}

/** Kea's name of a packet's message type ("DHCPDISCOVER", "SOLICIT"), both families' Pkt. */
function nameOf(p: Pkt): string {
  return (p as Pkt & { getName(): string }).getName();
}
