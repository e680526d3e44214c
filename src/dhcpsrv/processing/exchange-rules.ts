/**
 * Rules of message processing that read the same in DHCPv4 and DHCPv6, written once: the query
 * as received, the DROP class, the reservation lookup and the end of a query (the shared steps
 * and hook points themselves are in family.ts). Nothing here is allocated per packet.
 */
import type { Pkt } from "../../dhcp/pkt.ts";
import { NextStep } from "../../hooks/next-step.ts";
import type {
  HostIdentifier,
  HostSource,
  IdentifierType,
  ReservationModes,
} from "../model/host.ts";
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

/** A store of reservations as the lookups read it (`A` a v4 number or v6 address text). */
export interface HostLookup<H, A> {
  readonly size: number;
  find(scope: number, type: IdentifierType, id: Uint8Array): H | undefined;
  findByAddress(subnetId: number, address: A): H | undefined;
  findAllByAddress(subnetId: number, address: A): readonly H[];
}

/**
 * The configuration's reservations with those a hosts database gave for one query: the
 * configuration's found first, as Kea's HostMgr asks CfgHosts before its alternate sources.
 */
export class LayeredHosts<H, A> implements HostLookup<H, A> {
  private readonly first: HostLookup<H, A>;
  private readonly second: HostLookup<H, A>;

  constructor(first: HostLookup<H, A>, second: HostLookup<H, A>) {
    this.first = first;
    this.second = second;
  }

  get size(): number {
    return this.first.size + this.second.size;
  }

  find(scope: number, type: IdentifierType, id: Uint8Array): H | undefined {
    return this.first.find(scope, type, id) ?? this.second.find(scope, type, id);
  }

  findByAddress(subnetId: number, address: A): H | undefined {
    return (
      this.first.findByAddress(subnetId, address) ?? this.second.findByAddress(subnetId, address)
    );
  }

  findAllByAddress(subnetId: number, address: A): readonly H[] {
    const first = this.first.findAllByAddress(subnetId, address);
    const second = this.second.findAllByAddress(subnetId, address);
    return second.length === 0 ? first : first.length === 0 ? second : [...first, ...second];
  }
}

/** The client's identifiers present in the query, in host-reservation-identifiers order. */
export function queryIdentifiers<E>(
  ex: E,
  types: readonly IdentifierType[],
  idOf: (ex: E, type: IdentifierType) => Uint8Array | null,
): HostIdentifier[] {
  const out: HostIdentifier[] = [];
  for (const type of types) {
    const id = idOf(ex, type);
    if (id !== null && id.length > 0) out.push({ type, id });
  }
  return out;
}

/**
 * The client's reservations when a hosts database is configured: what the database holds for the
 * query (its identifiers, the addresses reserved in its subnet) is fetched once, then the lookup
 * (lookupHost, the subnet's modes) reads the configuration's reservations and the fetched ones.
 * Returns the layered store, kept by the exchange for the allocation engine's address checks.
 */
export async function lookupSourceHost<E extends ReservationExchange<H>, H, A>(
  ex: E,
  model: HostScopes<H> & { readonly hosts: HostLookup<H, A> },
  source: HostSource<HostLookup<H, A>>,
  subnet: ReservingSubnet | null,
  idOf: IdentifierOf<E>,
): Promise<LayeredHosts<H, A>> {
  const ids = queryIdentifiers(ex, model.hostReservationIdentifiers, idOf);
  const fetched = await source.fetch(ids, subnet?.id);
  const hosts = new LayeredHosts(model.hosts, fetched);
  const scopes: HostScopes<H> = { ...model, hosts, hasGlobalHosts: true };
  lookupHost(ex, scopes, subnet, idOf);
  return hosts;
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

/**
 * The client's own reservation in `subnet` (none when its `reservations-in-subnet` is false), or
 * undefined: Kea's findReservation walking the other subnets of a shared network.
 */
export function findSubnetHost<E, H>(
  ex: E,
  model: HostScopes<H>,
  subnet: ReservingSubnet,
  idOf: IdentifierOf<E>,
): H | undefined {
  return subnet.reservations.inSubnet ? findHostIn(ex, model, subnet.id, idOf) : undefined;
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
