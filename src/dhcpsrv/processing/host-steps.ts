/**
 * The reservation steps of a query, written once for both families: the early global
 * reservation lookup (before the subnet is selected), the client's identifiers
 * (hostN_identifier), the hosts database's fetch and the lookup in the selected subnet and the
 * other subnets of its shared network. A family gives how it reads its client's identifiers and
 * which hook point computes a flex-id; nothing is allocated per packet without a hosts database.
 */
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import type { ClientClasses } from "../classify/client-classes.ts";
import { IdentifierType, type HostSource } from "../model/host.ts";
import { nextSubnet, type NetworkMember, type SharedNetwork } from "../model/shared-network.ts";
import {
  findSubnetHost,
  flexIdAfter,
  lookupGlobalHost,
  lookupHost,
  lookupSourceHost,
  queryIdentifiers,
  LayeredHosts,
  type HostLookup,
  type HostScopes,
  type IdentifierOf,
  type ReservationExchange,
  type ReservingSubnet,
} from "./exchange-rules.ts";
import type { FamilyRules } from "./family.ts";
import { callHook, type HookPoint } from "./hook-point.ts";
import type { CoreExchange, QueryCore } from "./query-core.ts";

/** A reservation as the steps read it: its scope (0 = global) and its classes. */
export interface StepHost {
  readonly subnetId: number;
  readonly classes: readonly string[];
}

/** A subnet as the steps read it: its reservation modes and its shared network. */
export interface HostSubnet<S extends HostSubnet<S>> extends ReservingSubnet, NetworkMember {
  readonly network: SharedNetwork<S> | null;
}

/** What the steps read of a family's configuration (Dhcp4Model, Dhcp6Model). */
export interface HostModel<H, A> extends HostScopes<H> {
  readonly hosts: HostLookup<H, A>;
  /** The hosts database, or null. */
  readonly hostSource: HostSource<HostLookup<H, A>> | null;
  readonly earlyGlobalReservationsLookup: boolean;
  readonly classes: ClientClasses | null;
  readonly hostReservationIdentifiers: readonly IdentifierType[];
}

/** What the steps read and write of a family's exchange (Exchange4, Exchange6). */
export interface HostExchange<E extends HostExchange<E, H, A, S>, H extends StepHost, A, S>
  extends CoreExchange, ReservationExchange<H> {
  readonly srv: {
    readonly model: HostModel<H, A>;
    readonly core: QueryCore<E>;
    readonly family: FamilyRules;
  };
  readonly subnet: S | null;
  /** With a hosts database: the reservations this query's lookups read. */
  hosts: LayeredHosts<H, A> | null;
  flexId: Buffer | null;
  /** The client's identifiers are known (hostN_identifier called when it must be). */
  identified: boolean;
  host: H | undefined;
}

/** What a family gives the steps. */
export interface HostFamily<E extends CoreExchange> {
  /** The bytes of one reservation identifier of the client, or null. */
  readonly idOf: IdentifierOf<E>;
  /** The family's hostN_identifier point in the exchange's server. */
  readonly identifierPoint: (ex: E) => HookPoint<E>;
}

/** A family's reservation steps, as the step list runs them. */
export interface HostSteps<E> {
  /**
   * Kea's early global reservation lookup (`early-global-reservations-lookup`), before the
   * subnet is selected: the client's identifiers (hostN_identifier), then its global
   * reservation (the configuration's, else the hosts database's: subnet id 0 in its hosts
   * table), whose classes and KNOWN the query joins now, so that they can guard the subnet and
   * its pools.
   */
  readonly earlyGlobalHost: (ex: E) => void | Promise<void>;
  /**
   * The client's reservations (lookupHost: the subnet's modes), once its identifiers are known
   * (Kea builds them, calling hostN_identifier, after the subnet is selected).
   */
  readonly findHost: (ex: E) => void | Promise<void>;
}

/** The reservation steps of a family, made once per family. */
export function hostSteps<
  E extends HostExchange<E, H, A, S>,
  H extends StepHost,
  A,
  S extends HostSubnet<S>,
>(family: HostFamily<E>): HostSteps<E> {
  const { idOf, identifierPoint } = family;

  /** The client's identifiers, once per query: the flex-id computed by callouts if wanted. */
  function identify(ex: E): void | Promise<void> {
    if (ex.identified) return;
    ex.identified = true;
    if (!ex.srv.model.hostReservationIdentifiers.includes(IdentifierType.FLEX_ID)) return;
    return callHook(ex, identifierPoint(ex));
  }

  /** With a hosts database, its global reservations too (Kea's HostMgr asks it after CfgHosts). */
  function earlyGlobalHostNow(ex: E): void | Promise<void> {
    if (ex.dropped) return;
    const model = ex.srv.model;
    const source = model.hostSource;
    if (source !== null) return earlySourceHost(ex, source);
    earlyGlobalHostIn(ex, model);
  }

  async function earlySourceHost(ex: E, source: HostSource<HostLookup<H, A>>): Promise<void> {
    const model = ex.srv.model;
    const fetched = await source.fetch(
      queryIdentifiers(ex, model.hostReservationIdentifiers, idOf),
      undefined,
    );
    const hosts = new LayeredHosts(model.hosts, fetched);
    earlyGlobalHostIn(ex, { ...model, hosts, hasGlobalHosts: true });
  }

  function earlyGlobalHostIn(ex: E, scopes: HostScopes<H>): void {
    const host = lookupGlobalHost(ex, scopes, idOf);
    if (host === undefined) return;
    ex.globalHost = host;
    ex.srv.core.classifyEarlyHost(ex, ex.srv.model.classes, host.classes);
  }

  /** With a hosts database, after what it holds for the query is fetched (the only wait). */
  function findHostNow(ex: E): void | Promise<void> {
    if (ex.dropped) return;
    const source = ex.srv.model.hostSource;
    if (source !== null) return findSourceHost(ex, source);
    lookupHost(ex, ex.srv.model, ex.subnet, idOf);
    findNetworkHost(ex, ex.srv.model);
  }

  async function findSourceHost(ex: E, source: HostSource<HostLookup<H, A>>): Promise<void> {
    const hosts = await lookupSourceHost(ex, ex.srv.model, source, ex.subnet, idOf);
    ex.hosts = hosts;
    findNetworkHost(ex, { ...ex.srv.model, hosts });
  }

  /**
   * Kea's findReservation in a shared network: without a reservation of its own in the selected
   * subnet, the client's reservation in the next subnets of the network its classes allow (each
   * as its reservations-in-subnet permits), before the global one.
   */
  function findNetworkHost(ex: E, model: HostScopes<H>): void {
    const first = ex.subnet;
    if (first === null || first.network === null || model.hosts.size === 0) return;
    if (ex.host !== undefined && ex.host.subnetId !== 0) return;
    const cls = ex.query.classes;
    for (let s = nextSubnet(first, first, cls); s !== null; s = nextSubnet(first, s, cls)) {
      const h = findSubnetHost(ex, model, s, idOf);
      if (h !== undefined) {
        ex.host = h;
        return;
      }
    }
  }

  return {
    earlyGlobalHost(ex: E): void | Promise<void> {
      if (!ex.srv.model.earlyGlobalReservationsLookup) return;
      const r = identify(ex);
      if (r !== undefined) return r.then(() => earlyGlobalHostNow(ex));
      return earlyGlobalHostNow(ex);
    },
    findHost(ex: E): void | Promise<void> {
      const r = identify(ex);
      if (r !== undefined) return r.then(() => findHostNow(ex));
      return findHostNow(ex);
    },
  };
}

/** hostN_identifier: the query, the identifier type ("flex-id") and an empty value to set. */
export function setHostIdentifierArguments<E extends HostExchange<E, StepHost, unknown, unknown>>(
  h: CalloutHandle,
  ex: E,
): void {
  h.setArgument(ex.srv.family.args.query, ex.query);
  h.setArgument("id_type", IdentifierType.FLEX_ID);
  h.setArgument("id_value", EMPTY);
}

/** hostN_identifier's status: CONTINUE with a value set = the client's flex-id. */
export function afterHostIdentifier<E extends HostExchange<E, StepHost, unknown, unknown>>(
  ex: E,
  status: number,
  point: HookPoint<E>,
): void {
  if (ex.handle === null || !ex.gen.calloutsPresent(point.index)) return;
  // No callout used the arguments: id_value is still empty, so there is no flex-id.
  ex.flexId = ex.handle.argumentsDeferred
    ? null
    : flexIdAfter(status, ex.handle.getArgument("id_value"));
}

const EMPTY = new Uint8Array(0);
