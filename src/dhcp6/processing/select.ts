/**
 * Choosing what a DHCPv6 query is answered from: its subnet (Kea's selectSubnet6, then
 * subnet6_select), the client's reservation.
 */
import { D6O } from "../../dhcp/constants.ts";
import type { Pkt6 } from "../../dhcp/pkt6.ts";
import type { Dhcp6Model } from "../../dhcpsrv/model/cfg6.ts";
import { IdentifierType } from "../../dhcpsrv/model/host.ts";
import { type Subnet6, ipv6ToBig } from "../../dhcpsrv/model/subnet6.ts";
import type { HostSource } from "../../dhcpsrv/model/host.ts";
import type { Host6, HostStore6 } from "../../dhcpsrv/model/host6.ts";
import {
  dropClassed,
  findSubnetHost,
  flexIdAfter,
  lookupGlobalHost,
  lookupHost,
  lookupSourceHost,
} from "../../dhcpsrv/processing/exchange-rules.ts";
import type { HostScopes } from "../../dhcpsrv/processing/exchange-rules.ts";
import { nextSubnet } from "../../dhcpsrv/model/shared-network.ts";
import { afterSubnetSelect } from "../../dhcpsrv/processing/family.ts";
import { callHook, type HookPoint } from "../../dhcpsrv/processing/hook-point.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import type { Exchange6 } from "../exchange.ts";

/** The subnet of the query, then subnet6_select; the DROP class drops the query first. */
export function selectSubnet(ex: Exchange6): void | Promise<void> {
  if (dropClassed(ex, ex.srv.core)) return;
  ex.subnet = findSubnet(ex.srv.model, ex.query);
  return callHook(ex, ex.srv.points.subnet6_select);
}

/** subnet6_select's status (afterSubnetSelect), then whether a SOLICIT is rapidly committed. */
export function afterSubnet6Select(
  ex: Exchange6,
  status: number,
  point: HookPoint<Exchange6>,
): void {
  afterSubnetSelect(ex, status, point);
  if (ex.dropped) return;
  if (ex.subnet === null) ex.srv.core.log.debug(40, "DHCP6_SUBNET_SELECTION_FAILED", ex);
  else if (ex.rapidCommit === false && ex.fake) {
    // SOLICIT with Rapid Commit, and the subnet allows it: REPLY with committed leases.
    ex.rapidCommit =
      ex.subnet.rapidCommit && ex.query.getNonCopiedOption(D6O.RAPID_COMMIT) !== undefined;
    ex.fake = !ex.rapidCommit;
  }
}

/**
 * Kea's selectSubnet6: a relayed query by the interface-id of the relay closest to the client,
 * then by that relay's link address (relay.ip-addresses first, then the subnet's prefix); a
 * direct one by its global source address, then by the arrival interface. A subnet guarded by
 * client classes is skipped for a query in none of them.
 */
export function findSubnet(model: Dhcp6Model, q: Pkt6): Subnet6 | null {
  const subnets = model.subnets;
  const cls = q.classes;
  const n = q.relayInfo.length;
  if (n > 0) {
    const first = q.relayInfo[n - 1]!;
    const ifaceId = first.getOption(D6O.INTERFACE_ID)?.getData();
    if (ifaceId !== undefined) {
      for (const s of subnets) {
        if (s.interfaceId !== null && s.interfaceId.equals(ifaceId) && s.allows(cls)) return s;
      }
    }
    const link = first.linkAddr;
    if (link !== "::") {
      for (const s of subnets) if (s.relayAddresses.includes(link) && s.allows(cls)) return s;
      const a = ipv6ToBig(link);
      for (const s of subnets) if (s.inRange(a) && s.allows(cls)) return s;
    }
    return null;
  }
  const src = q.remoteAddr;
  if (src !== "" && !src.toLowerCase().startsWith("fe80")) {
    const a = ipv6ToBig(src);
    if (a > 0n) for (const s of subnets) if (s.inRange(a) && s.allows(cls)) return s;
  }
  for (const s of subnets) {
    if (s.interface !== "" && s.interface === q.iface && s.allows(cls)) return s;
  }
  return null;
}

/**
 * Kea's early global reservation lookup (`early-global-reservations-lookup`), before the subnet
 * is selected: the client's identifiers (host6_identifier), then its global reservation, whose
 * classes and KNOWN the query joins now, so that they can guard the subnet and its pools.
 */
export function earlyGlobalHost(ex: Exchange6): void | Promise<void> {
  if (!ex.srv.model.earlyGlobalReservationsLookup) return;
  const r = identify(ex);
  if (r !== undefined) return r.then(() => earlyGlobalHostFound(ex));
  earlyGlobalHostFound(ex);
}

function earlyGlobalHostFound(ex: Exchange6): void {
  if (ex.dropped) return;
  const { model, core } = ex.srv;
  const host = lookupGlobalHost(ex, model, identifierOf);
  if (host === undefined) return;
  ex.globalHost = host;
  core.classifyEarlyHost(ex, model.classes, host.classes);
}

/**
 * The client's reservations (lookupHost: the subnet's modes), once its identifiers are known
 * (Kea builds them, calling host6_identifier, after the subnet is selected).
 */
export function findHost(ex: Exchange6): void | Promise<void> {
  const r = identify(ex);
  if (r !== undefined) return r.then(() => findHostNow(ex));
  return findHostNow(ex);
}

/** With a hosts database, after what it holds for the query is fetched (the step's only wait). */
function findHostNow(ex: Exchange6): void | Promise<void> {
  if (ex.dropped) return;
  const source = ex.srv.model.hostSource;
  if (source !== null) return findSourceHost(ex, source);
  lookupHost(ex, ex.srv.model, ex.subnet, identifierOf);
  findNetworkHost(ex, ex.srv.model);
}

async function findSourceHost(ex: Exchange6, source: HostSource<HostStore6>): Promise<void> {
  const hosts = await lookupSourceHost(ex, ex.srv.model, source, ex.subnet, identifierOf);
  ex.hosts = hosts;
  findNetworkHost(ex, { ...ex.srv.model, hosts });
}

/**
 * Kea's findReservation in a shared network: without a reservation of its own in the selected
 * subnet, the client's reservation in the next subnets of the network its classes allow (each
 * as its reservations-in-subnet permits), before the global one.
 */
function findNetworkHost(ex: Exchange6, model: HostScopes<Host6>): void {
  const first = ex.subnet;
  if (first === null || first.network === null || model.hosts.size === 0) return;
  if (ex.host !== undefined && ex.host.subnetId !== 0) return;
  const cls = ex.query.classes;
  for (let s = nextSubnet(first, first, cls); s !== null; s = nextSubnet(first, s, cls)) {
    const h = findSubnetHost(ex, model, s, identifierOf);
    if (h !== undefined) {
      ex.host = h;
      return;
    }
  }
}

/**
 * The identifiers of the client, once per query: with "flex-id" in host-reservation-identifiers,
 * the host6_identifier callouts compute it (nothing is called without callouts).
 */
function identify(ex: Exchange6): void | Promise<void> {
  if (ex.identified) return;
  ex.identified = true;
  if (!ex.srv.model.hostReservationIdentifiers.includes(IdentifierType.FLEX_ID)) return;
  return callHook(ex, ex.srv.points.host6_identifier);
}

/** host6_identifier: the query, the identifier type ("flex-id") and an empty value to set. */
export function setHost6IdentifierArguments(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("query6", ex.query);
  h.setArgument("id_type", IdentifierType.FLEX_ID);
  h.setArgument("id_value", EMPTY);
}

/** host6_identifier's status: CONTINUE with a value set = the client's flex-id. */
export function afterHost6Identifier(ex: Exchange6, status: number): void {
  if (ex.handle === null || !ex.gen.calloutsPresent(ex.srv.points.host6_identifier.index)) return;
  ex.flexId = flexIdAfter(status, ex.handle.getArgument("id_value"));
}

const EMPTY = new Uint8Array(0);

/** The bytes of one reservation identifier of the client (its DUID, its hardware address). */
function identifierOf(ex: Exchange6, type: IdentifierType): Uint8Array | null {
  if (type === IdentifierType.DUID) return ex.duid;
  if (type === IdentifierType.HW_ADDRESS) return ex.hwaddr?.hwaddr ?? null;
  if (type === IdentifierType.FLEX_ID) return ex.flexId;
  return null;
}
