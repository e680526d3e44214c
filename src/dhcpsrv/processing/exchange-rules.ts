/**
 * Rules of message processing that read the same in DHCPv4 and DHCPv6, written once: the query
 * as received, the DROP class, the reservation lookup and the end of a query (the shared steps
 * and hook points themselves are in family.ts). Nothing here is allocated per packet.
 */
import type { Pkt } from "../../dhcp/pkt.ts";
import { NextStep } from "../../hooks/next-step.ts";
import type { IdentifierType, ReservationModes } from "../model/host.ts";
import type { ClientFqdn } from "./client-name.ts";
import type { CoreExchange, QueryCore } from "./query-core.ts";

/**
 * A received datagram with what the socket layer knows of it: what the servers' processQuery
 * takes (Received4, Received6) and the run-time pipeline hands them (its Query).
 */
export interface ReceivedDatagram {
  data: Buffer;
  srcAddr: string;
  srcPort: number;
  /** v6: ff02::1:2, a unicast address, or "" when the socket cannot tell. */
  dstAddr: string;
  iface: string;
  ifindex: number;
  /** Milliseconds since the epoch. */
  receivedAt: number;
  /** v4 through a raw socket: the frame's Ethernet destination and source addresses. */
  link?: Buffer | null;
}

/** A query not yet unpacked, given where and when it was received (on `localPort`). */
export function receivedQuery<P extends Pkt>(q: P, rx: ReceivedDatagram, localPort: number): P {
  q.remoteAddr = rx.srcAddr;
  q.remotePort = rx.srcPort;
  q.localAddr = rx.dstAddr;
  q.localPort = localPort;
  q.iface = rx.iface;
  q.ifindex = rx.ifindex;
  q.timestamp = rx.receivedAt;
  q.link = rx.link ?? null;
  return q;
}

/** What unpacking reads and writes of a family's exchange. */
export interface UnpackExchange extends CoreExchange {
  /** bufferN_receive SKIP: a callout parsed the packet, the server does not unpack it. */
  skipUnpack: boolean;
  /** The client's FQDN option as read when unpacking, or null. */
  fqdn: ClientFqdn | null;
}

/** The DROP class (from a class test or a pktN_receive callout) drops the query, as in Kea. */
export function dropClassed<E extends CoreExchange>(ex: E, core: QueryCore<E>): boolean {
  const q = ex.query;
  if (q.classes.size === 0 || !q.inClass("DROP")) return false;
  core.drop(ex, "the query is in the DROP class");
  return true;
}

/** What the reservation lookup reads of a family's configuration. */
export interface HostScopes<H> {
  readonly hosts: {
    readonly size: number;
    find(scope: number, type: IdentifierType, id: Uint8Array): H | undefined;
  };
  readonly hasGlobalHosts: boolean;
  readonly hostReservationIdentifiers: readonly IdentifierType[];
}

/** What the reservation lookup reads of the selected subnet. */
export interface ReservingSubnet {
  readonly id: number;
  readonly reservations: ReservationModes;
}

/** The bytes of one identifier of the client in the query, or null. */
export type IdentifierOf<E> = (ex: E, type: IdentifierType) => Uint8Array | null;

/** What the reservation lookup writes in a family's exchange. */
export interface ReservationExchange<H> {
  host: H | undefined;
  globalHost: H | undefined;
}

/**
 * The client's reservations, as Kea's findReservation: the global one when the subnet's
 * `reservations-global` is true (or there is no subnet), its own in the subnet when
 * `reservations-in-subnet` is true (each flag the subnet's, else the global one; a client class
 * guarding the subnet was checked when it was selected). `ex.host` is the reservation the
 * client is served from: the subnet's, else the global one; `ex.globalHost` the global one.
 * Identifiers are tried in `host-reservation-identifiers` order.
 */
export function lookupHost<E extends ReservationExchange<H>, H>(
  ex: E,
  model: HostScopes<H>,
  subnet: ReservingSubnet | null,
  idOf: IdentifierOf<E>,
): void {
  if (model.hosts.size === 0) return;
  const global =
    model.hasGlobalHosts && (subnet === null || subnet.reservations.global)
      ? (ex.globalHost ?? findHostIn(ex, model, 0, idOf))
      : undefined;
  const own =
    subnet !== null && subnet.reservations.inSubnet
      ? findHostIn(ex, model, subnet.id, idOf)
      : undefined;
  ex.globalHost = global;
  ex.host = own ?? global;
}

/** The client's global reservation (early-global-reservations-lookup), or undefined. */
export function lookupGlobalHost<E, H>(
  ex: E,
  model: HostScopes<H>,
  idOf: IdentifierOf<E>,
): H | undefined {
  return model.hasGlobalHosts ? findHostIn(ex, model, 0, idOf) : undefined;
}

/** The reservation of scope `scope` (a subnet id, 0 = global), identifiers tried in order. */
function findHostIn<E, H>(
  ex: E,
  model: HostScopes<H>,
  scope: number,
  idOf: IdentifierOf<E>,
): H | undefined {
  for (const type of model.hostReservationIdentifiers) {
    const id = idOf(ex, type);
    if (id === null) continue;
    const host = model.hosts.find(scope, type, id);
    if (host !== undefined) return host;
  }
  return undefined;
}

/**
 * The flex-id a hostN_identifier callout left (Kea: used when its status is CONTINUE and the
 * value is not empty), as bytes; null otherwise.
 */
export function flexIdAfter(status: number, value: unknown): Buffer | null {
  if (status !== NextStep.CONTINUE || value === null || value === undefined) return null;
  if (typeof value === "string") return value.length === 0 ? null : Buffer.from(value);
  if (value instanceof Uint8Array || Array.isArray(value)) {
    return value.length === 0 ? null : Buffer.from(value as Uint8Array);
  }
  return null;
}

/**
 * The end of a query (context_destroy): the reply `destination` makes of the response, unless
 * the query was dropped or has no response.
 */
export function endQuery<E extends CoreExchange, R>(
  ex: E,
  core: QueryCore<E>,
  destination: (ex: E, response: NonNullable<E["response"]>) => R | null,
): R | null | Promise<R | null> {
  const r = ex.response as E["response"];
  return core.finish(ex, ex.dropped || r === null ? null : destination(ex, r));
}
