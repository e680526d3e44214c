/**
 * Rules of message processing that read the same in DHCPv4 and DHCPv6, written once: the query
 * as received, unpacking (and what makes a query malformed), what the status of the hook points
 * both families have does (bufferN_receive, pktN_receive, subnetN_select, leasesN_committed,
 * pktN_send, bufferN_send), the DROP class, the reservation lookup and the end of a query. A
 * family's steps and hook descriptors call them with their own exchange, QueryCore and
 * descriptor: nothing here is allocated per packet.
 */
import { PacketParseError } from "../../dhcp/errors.ts";
import type { Pkt } from "../../dhcp/pkt.ts";
import { NextStep } from "../../hooks/next-step.ts";
import type { IdentifierType } from "../model/host.ts";
import type { ClientFqdn } from "./client-name.ts";
import type { HookPoint } from "./hook-point.ts";
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
  return q;
}

/** What unpacking reads and writes of a family's exchange. */
export interface UnpackExchange extends CoreExchange {
  /** bufferN_receive SKIP: a callout parsed the packet, the server does not unpack it. */
  skipUnpack: boolean;
  /** The client's FQDN option as read when unpacking, or null. */
  fqdn: ClientFqdn | null;
}

/**
 * Unpacks the query unless a bufferN_receive callout did. Kea's Option4ClientFqdn and
 * Option6ClientFqdn refuse an empty or truncated option, N and S both set or a malformed name,
 * and with it the packet: `parseFqdn` returns null for those.
 */
export function unpackQuery<E extends UnpackExchange>(
  ex: E,
  core: QueryCore<E>,
  fqdnCode: number,
  parseFqdn: (data: Buffer) => ClientFqdn | null,
): void {
  const q = ex.query;
  if (ex.skipUnpack) return;
  try {
    q.unpack();
  } catch (err) {
    if (!(err instanceof PacketParseError)) throw err;
    core.dropMalformed(ex, err.message);
    return;
  }
  const fqdn = q.getNonCopiedOption(fqdnCode);
  if (fqdn === undefined) return;
  ex.fqdn = parseFqdn(fqdn.getData());
  if (ex.fqdn === null) core.dropMalformed(ex, `invalid Client FQDN option (${fqdnCode})`);
}

/** bufferN_receive: SKIP = the callout parsed the packet; DROP = drop it. */
export function bufferReceiveStatus<E extends UnpackExchange>(
  ex: E,
  core: QueryCore<E>,
  point: HookPoint<E>,
  status: number,
): void {
  if (status === NextStep.DROP) core.hookDrop(ex, point, status);
  else if (status === NextStep.SKIP) ex.skipUnpack = true;
}

/**
 * leasesN_committed, lease4_offer: DROP = the query is dropped; with `skipDrops` (pktN_receive,
 * bufferN_send) SKIP too. Any other status goes on.
 */
export function dropOn<E extends CoreExchange>(
  ex: E,
  core: QueryCore<E>,
  point: HookPoint<E>,
  status: number,
  skipDrops: boolean,
): void {
  if (status === NextStep.DROP || (skipDrops && status === NextStep.SKIP)) {
    core.hookDrop(ex, point, status);
  }
}

/** pktN_send: SKIP = the callout packed the response itself; DROP = not sent. */
export function pktSendStatus<E extends CoreExchange>(
  ex: E,
  core: QueryCore<E>,
  point: HookPoint<E>,
  status: number,
): void {
  if (status === NextStep.DROP) return core.hookDrop(ex, point, status);
  if (status !== NextStep.SKIP) ex.response!.pack();
}

/**
 * subnetN_select: SKIP = no subnet; DROP = drop the packet; else the subnet a callout left in
 * argument `name` when it is one of the configuration's (or none), else the one selected.
 */
export function subnetSelectStatus<S, E extends CoreExchange & { subnet: S | null }>(
  ex: E,
  core: QueryCore<E>,
  point: HookPoint<E>,
  status: number,
  name: string,
  subnets: readonly S[],
): void {
  if (status === NextStep.DROP) return core.hookDrop(ex, point, status);
  if (status === NextStep.SKIP) {
    ex.subnet = null;
    return;
  }
  if (ex.handle === null || !ex.gen.calloutsPresent(point.index)) return;
  const chosen = ex.handle.getArgument(name as never) as S | null;
  if (chosen === null || subnets.includes(chosen)) ex.subnet = chosen;
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
  readonly reservationsGlobal: boolean;
  readonly reservationsInSubnet: boolean;
  readonly hostReservationIdentifiers: readonly IdentifierType[];
}

/**
 * The client's reservation: in its subnet (reservations-in-subnet), then among the global ones
 * (reservations-global, or no subnet), identifiers tried in host-reservation-identifiers order;
 * `idOf` gives the bytes of one identifier in the query, or null.
 */
export function lookupHost<E, H>(
  ex: E,
  model: HostScopes<H>,
  subnetId: number | undefined,
  idOf: (ex: E, type: IdentifierType) => Uint8Array | null,
): H | undefined {
  if (model.hosts.size === 0) return undefined;
  const scopes: number[] = [];
  if (subnetId !== undefined && model.reservationsInSubnet) scopes.push(subnetId);
  if (model.hasGlobalHosts && (model.reservationsGlobal || subnetId === undefined)) scopes.push(0);
  for (const scope of scopes) {
    for (const type of model.hostReservationIdentifiers) {
      const id = idOf(ex, type);
      if (id === null) continue;
      const host = model.hosts.find(scope, type, id);
      if (host !== undefined) return host;
    }
  }
  return undefined;
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
