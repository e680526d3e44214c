/**
 * The hook points DHCPv4 and DHCPv6 both have (bufferN_receive, pktN_receive, subnetN_select,
 * leasesN_committed, pktN_send, bufferN_send) and the steps that read the same in both, written
 * once: a family differs only by data (`FamilyRules`, in its server context): the digit in its
 * hook and argument names ("query4", "subnet6collection"...), its client FQDN option, its vendor
 * class. Server-side handles take any argument name; hook authors keep their typed handles.
 * Descriptors are made once per server; nothing here is allocated per packet.
 */
import type { Pkt } from "../../dhcp/pkt.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import type { ClientClasses } from "../classify/client-classes.ts";
import type { ClientFqdn } from "./client-name.ts";
import { PacketParseError } from "../../dhcp/errors.ts";
import { NextStep } from "../../hooks/next-step.ts";
import type { UnpackExchange } from "./exchange-rules.ts";
import { hookPoint, type HookedExchange, type HookIndexes, type HookPoint } from "./hook-point.ts";
import type { QueryCore } from "./query-core.ts";

/** The digit of a family's hook and argument names. */
export type Family = "4" | "6";

/** The hook argument names that differ between the families only by their digit. */
export interface HookArgNames {
  /** "query4", "query6". */
  readonly query: string;
  readonly response: string;
  readonly subnet: string;
  /** "subnet4collection", "subnet6collection". */
  readonly subnets: string;
  readonly leases: string;
  /** "deleted_leases4", "deleted_leases6". */
  readonly deletedLeases: string;
}

function hookArgNames(n: Family): HookArgNames {
  return Object.freeze({
    query: `query${n}`,
    response: `response${n}`,
    subnet: `subnet${n}`,
    subnets: `subnet${n}collection`,
    leases: `leases${n}`,
    deletedLeases: `deleted_leases${n}`,
  });
}

/** Each family's argument names, one frozen table each. */
export const HOOK_ARGS: Readonly<Record<Family, HookArgNames>> = Object.freeze({
  "4": hookArgNames("4"),
  "6": hookArgNames("6"),
});

/** What the shared steps need to know of a family: data, one frozen object per family. */
export interface FamilyRules {
  readonly n: Family;
  readonly args: HookArgNames;
  /** The client FQDN option (81, 39) and its parser (null: malformed, the query is dropped). */
  readonly fqdnCode: number;
  readonly parseFqdn: (data: Buffer) => ClientFqdn | null;
  /** The text of a query's vendor class for VENDOR_CLASS_, or null. */
  readonly vendorClass: (q: Pkt) => string | null;
}

export function familyRules(
  n: Family,
  fqdnCode: number,
  parseFqdn: (data: Buffer) => ClientFqdn | null,
  vendorClass: (q: Pkt) => string | null,
): FamilyRules {
  return Object.freeze({ n, args: HOOK_ARGS[n], fqdnCode, parseFqdn, vendorClass });
}

/** What the shared steps read of a family's server context (Srv4, Srv6). */
export interface FamilyContext<E extends FamilyExchange<E>> {
  readonly model: {
    readonly subnets: readonly object[];
    /** The same subnets by id (a callout's subnet is checked against it: one lookup). */
    readonly subnetsById: ReadonlyMap<number, object>;
    readonly classes: ClientClasses | null;
  };
  readonly core: QueryCore<E>;
  readonly family: FamilyRules;
}

/** What the shared steps read and write of a family's exchange (Exchange4, Exchange6). */
export interface FamilyExchange<E extends FamilyExchange<E>> extends UnpackExchange {
  readonly srv: FamilyContext<E>;
  subnet: object | null;
  readonly leases: readonly object[];
  readonly deleted: readonly object[];
}

/** Unpacks the query unless a bufferN_receive callout did; a malformed one is dropped. */
export function unpack<E extends FamilyExchange<E>>(ex: E): void {
  const q = ex.query;
  const { core, family } = ex.srv;
  // pktN-received as Kea counts it: every datagram that bufferN_receive's callouts did not drop,
  // one that then fails to parse included.
  core.stats.countDatagram();
  if (ex.skipUnpack) return core.packetReceived(ex);
  try {
    q.unpack();
  } catch (err) {
    if (!(err instanceof PacketParseError)) throw err;
    core.dropMalformed(ex, err.message);
    return;
  }
  // Kea's Option4ClientFqdn and Option6ClientFqdn refuse an empty or truncated option, N and S
  // both set or a malformed name, and with it the packet: parseFqdn returns null for those.
  const fqdn = q.getNonCopiedOption(family.fqdnCode);
  if (fqdn !== undefined) {
    ex.fqdn = family.parseFqdn(fqdn.getData());
    if (ex.fqdn === null) {
      return core.dropMalformed(ex, `invalid Client FQDN option (${family.fqdnCode})`);
    }
  }
  core.packetReceived(ex);
}

/**
 * Kea's classifyPacket, after unpacking and before pktN_receive: ALL, VENDOR_CLASS_<vendor
 * class> and the class tests that do not depend on KNOWN/UNKNOWN. Nothing without classes.
 */
export function classify<E extends FamilyExchange<E>>(ex: E): void {
  const classes = ex.srv.model.classes;
  if (classes === null) return;
  ex.srv.core.classify(ex, classes, ex.srv.family.vendorClass(ex.query));
}

/** After the reservation lookup: the host's classes, KNOWN or UNKNOWN, the dependent tests. */
export function classifyKnown<E extends FamilyExchange<E>>(ex: E): void {
  // The subnet is known here (subnetN_select ran): Kea's SUBNET_SELECTED and SUBNET_DATA.
  ex.srv.core.subnetSelected(ex, ex.subnet as { readonly id: number; toText?(): string } | null);
  ex.srv.core.classifyKnown(ex, ex.srv.model.classes);
}

/** How a hook point's arguments are set, for any family's exchange. */
type Setup = <E extends FamilyExchange<E>>(h: CalloutHandle, ex: E) => void;

/** Sets the query argument; returns the family's names of the others. */
function setQuery<E extends FamilyExchange<E>>(h: CalloutHandle, ex: E): HookArgNames {
  const args = ex.srv.family.args;
  h.setArgument(args.query, ex.query);
  return args;
}

/** Sets the query and the response arguments; returns the family's names of the others. */
function setQueryResponse<E extends FamilyExchange<E>>(h: CalloutHandle, ex: E): HookArgNames {
  const args = setQuery(h, ex);
  h.setArgument(args.response, ex.response);
  return args;
}

/** bufferN_receive and pktN_receive: the query. */
export const setQueryArgument: Setup = setQuery;

/** subnetN_select: the query, the subnet selected, the configuration's subnets. */
export const setSubnetSelectArguments: Setup = (h, ex) => {
  const args = setQuery(h, ex);
  h.setArgument(args.subnet, ex.subnet);
  h.setArgument(args.subnets, ex.srv.model.subnets);
};

/** leasesN_committed: the query, the response, the leases written and those removed. */
export const setCommittedArguments: Setup = (h, ex) => {
  const args = setQueryResponse(h, ex);
  h.setArgument(args.leases, ex.leases);
  h.setArgument(args.deletedLeases, ex.deleted);
};

/** pktN_send: the query, the response, the subnet. */
export const setSendArguments: Setup = (h, ex) => {
  h.setArgument(setQueryResponse(h, ex).subnet, ex.subnet);
};

/** bufferN_send: the response. */
export const setBufferSendArguments: Setup = (h, ex) => {
  h.setArgument(ex.srv.family.args.response, ex.response);
};

/** bufferN_receive: SKIP = the callout parsed the packet; DROP = drop it. */
export function afterBufferReceive<E extends FamilyExchange<E>>(
  ex: E,
  status: number,
  point: HookPoint<E>,
): void {
  if (status === NextStep.DROP) ex.srv.core.hookDrop(ex, point, status);
  else if (status === NextStep.SKIP) ex.skipUnpack = true;
}

/** pktN_receive, bufferN_send: SKIP or DROP = the query is dropped (not answered, not sent). */
export function dropOnSkipOrDrop<E extends FamilyExchange<E>>(
  ex: E,
  status: number,
  point: HookPoint<E>,
): void {
  if (status === NextStep.DROP || status === NextStep.SKIP) ex.srv.core.hookDrop(ex, point, status);
}

/** leasesN_committed, lease4_offer: DROP = the response is not sent. */
export function dropOnDrop<E extends FamilyExchange<E>>(
  ex: E,
  status: number,
  point: HookPoint<E>,
): void {
  if (status === NextStep.DROP) ex.srv.core.hookDrop(ex, point, status);
}

/** pktN_send: SKIP = the callout packed the response itself; DROP = not sent. */
export function afterPktSend<E extends FamilyExchange<E>>(
  ex: E,
  status: number,
  point: HookPoint<E>,
): void {
  if (status === NextStep.DROP) return ex.srv.core.hookDrop(ex, point, status);
  if (status !== NextStep.SKIP) ex.response!.pack();
}

/**
 * subnetN_select: SKIP = no subnet; DROP = drop the packet; else the subnet a callout left in
 * its argument when it is one of the configuration's (or none), else the one selected. A subnet
 * of the configuration is the one its id names there (one lookup, not a search of the list); any
 * other object (a copy, a subnet of an earlier configuration) is ignored: the server holds no
 * pools, leases or statistics for it.
 */
export function afterSubnetSelect<E extends FamilyExchange<E>>(
  ex: E,
  status: number,
  point: HookPoint<E>,
): void {
  const { core, family, model } = ex.srv;
  if (status === NextStep.DROP) return core.hookDrop(ex, point, status);
  if (status === NextStep.SKIP) {
    ex.subnet = null;
    return;
  }
  // No callout used the arguments: the subnet selected stands.
  if (ex.handle === null || ex.handle.argumentsDeferred || !ex.gen.calloutsPresent(point.index)) {
    return;
  }
  const chosen = ex.handle.getArgument(family.args.subnet as never) as { id?: unknown } | null;
  if (chosen === null) ex.subnet = null;
  else if (typeof chosen.id === "number" && model.subnetsById.get(chosen.id) === chosen) {
    ex.subnet = chosen;
  }
}

/** parked-packet-limit reached at a hook point: the query is dropped and counted (Kea). */
function parkingFull<E extends FamilyExchange<E>>(ex: E, point: HookPoint<E>): void {
  ex.srv.core.parkingFull(ex, point, ex.gen.waits.limit);
}

/** How a hook point's arguments are set and what its status does, before it has an index. */
export type PointSpec<E extends HookedExchange> = readonly [
  setup: (h: CalloutHandle, ex: E) => void,
  after: (ex: E, status: number, point: HookPoint<E>) => void,
];

/** The specs of some of a server's hook points, by name. */
export type PointSpecs<N extends string, E extends HookedExchange> = Readonly<
  Record<N, PointSpec<E>>
>;

/** The names of the hook points both families have, with the family's digit. */
export type SharedHookName<N extends Family> =
  | `buffer${N}_receive`
  | `pkt${N}_receive`
  | `subnet${N}_select`
  | `leases${N}_committed`
  | `pkt${N}_send`
  | `buffer${N}_send`;

/**
 * The hook points both families have; `subnetSelected` is what subnetN_select's status does
 * (afterSubnetSelect, and what a family adds to it).
 */
export function sharedSpecs<N extends Family, E extends FamilyExchange<E>>(
  n: N,
  subnetSelected: (ex: E, status: number, point: HookPoint<E>) => void,
): PointSpecs<SharedHookName<N>, E> {
  const specs: Record<string, PointSpec<E>> = {
    [`buffer${n}_receive`]: [setQueryArgument, afterBufferReceive],
    [`pkt${n}_receive`]: [setQueryArgument, dropOnSkipOrDrop],
    [`subnet${n}_select`]: [setSubnetSelectArguments, subnetSelected],
    [`leases${n}_committed`]: [setCommittedArguments, dropOnDrop],
    [`pkt${n}_send`]: [setSendArguments, afterPktSend],
    [`buffer${n}_send`]: [setBufferSendArguments, dropOnSkipOrDrop],
  };
  return specs as PointSpecs<SharedHookName<N>, E>;
}

/** A server's hook point descriptors, made once: each point's index in `H`, and its spec. */
export function hookPoints<N extends string, E extends FamilyExchange<E>>(
  H: HookIndexes<N>,
  specs: PointSpecs<N, E>,
): Readonly<Record<N, HookPoint<E>>> {
  const points = {} as Record<N, HookPoint<E>>;
  for (const name of Object.keys(specs) as N[]) {
    const [setup, after] = specs[name];
    points[name] = hookPoint(name, H[name], setup, after, parkingFull);
  }
  return points;
}
