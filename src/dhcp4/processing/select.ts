/**
 * Choosing for a DHCPv4 query: the DROP class, the subnet (Kea's selectSubnet4, then
 * subnet4_select), the client's reservation.
 */
import { DHCPMessageType, DHO, RAI } from "../../dhcp/constants.ts";
import { tryParseIPv4 } from "../../dhcp/ioaddress.ts";
import type { Pkt4 } from "../../dhcp/pkt4.ts";
import { Pkt4o6 } from "../../dhcp/pkt4o6.ts";
import { selectSubnet4o6 } from "../../dhcpsrv/model/cfg4o6.ts";
import { IdentifierType } from "../../dhcpsrv/model/host4.ts";
import type { Subnet4 } from "../../dhcpsrv/model/subnet4.ts";
import type { HostSource } from "../../dhcpsrv/model/host.ts";
import type { Host4, HostStore4 } from "../../dhcpsrv/model/host4.ts";
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
import { callHook } from "../../dhcpsrv/processing/hook-point.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import type { Exchange4, Srv4 } from "../exchange.ts";

const BROADCAST = "255.255.255.255";

/**
 * The subnet of the query, then subnet4_select; the DROP class drops the query first. As Kea:
 * only DISCOVER, REQUEST and INFORM select a subnet; RELEASE and DECLINE use the lease's.
 */
export function selectSubnet(ex: Exchange4): void | Promise<void> {
  if (dropClassed(ex, ex.srv.core)) return;
  const type = ex.query.getType();
  if (type === DHCPMessageType.DHCPRELEASE || type === DHCPMessageType.DHCPDECLINE) return;
  ex.subnet = findSubnet(ex.srv, ex.query);
  return callHook(ex, ex.srv.points.subnet4_select);
}

/**
 * Kea's selectSubnet4: by relay (giaddr), by ciaddr of a unicast query, by interface; a subnet
 * guarded by client classes is skipped for a query in none of them.
 */
export function findSubnet(srv: Srv4, q: Pkt4): Subnet4 | null {
  const subnets = srv.model.subnets;
  // DHCPv4-over-DHCPv6: by the DHCPv6 message's source, relay interface-id, interface.
  if (q instanceof Pkt4o6) {
    const sel = { remoteAddr: q.remoteAddr, interfaceId: q.relayInterfaceId(), iface: q.iface };
    return selectSubnet4o6(subnets, sel);
  }
  const cls = q.classes;
  const giaddr = q.giaddrInt;
  if (giaddr !== 0) {
    for (const s of subnets) if (s.relayAddresses.includes(giaddr) && s.allows(cls)) return s;
    for (const s of subnets) if (s.inRange(giaddr) && s.allows(cls)) return s;
    return null;
  }
  const ciaddr = q.ciaddrInt;
  if (ciaddr !== 0 && q.localAddr !== BROADCAST) {
    for (const s of subnets) if (s.inRange(ciaddr) && s.allows(cls)) return s;
  }
  for (const s of subnets) {
    if (s.interface !== "" && s.interface === q.iface && s.allows(cls)) return s;
  }
  for (const a of srv.ifaceAddresses(q.iface)) {
    const n = tryParseIPv4(a);
    for (const s of subnets) if (n >= 0 && s.inRange(n) && s.allows(cls)) return s;
  }
  return null;
}

/**
 * Kea's early global reservation lookup (`early-global-reservations-lookup`), before the subnet
 * is selected: the client's identifiers (host4_identifier), then its global reservation, whose
 * classes and KNOWN the query joins now, so that they can guard the subnet and its pools.
 */
export function earlyGlobalHost(ex: Exchange4): void | Promise<void> {
  if (!ex.srv.model.earlyGlobalReservationsLookup) return;
  const r = identify(ex);
  if (r !== undefined) return r.then(() => earlyGlobalHostFound(ex));
  earlyGlobalHostFound(ex);
}

function earlyGlobalHostFound(ex: Exchange4): void {
  if (ex.dropped) return;
  const { model, core } = ex.srv;
  const host = lookupGlobalHost(ex, model, identifierOf);
  if (host === undefined) return;
  ex.globalHost = host;
  core.classifyEarlyHost(ex, model.classes, host.classes);
}

/**
 * The client's reservations (lookupHost: the subnet's modes), once its identifiers are known
 * (Kea builds them, calling host4_identifier, after the subnet is selected).
 */
export function findHost(ex: Exchange4): void | Promise<void> {
  const r = identify(ex);
  if (r !== undefined) return r.then(() => findHostNow(ex));
  return findHostNow(ex);
}

/** With a hosts database, after what it holds for the query is fetched (the step's only wait). */
function findHostNow(ex: Exchange4): void | Promise<void> {
  if (ex.dropped) return;
  const source = ex.srv.model.hostSource;
  if (source !== null) return findSourceHost(ex, source);
  lookupHost(ex, ex.srv.model, ex.subnet, identifierOf);
  findNetworkHost(ex, ex.srv.model);
}

async function findSourceHost(ex: Exchange4, source: HostSource<HostStore4>): Promise<void> {
  const hosts = await lookupSourceHost(ex, ex.srv.model, source, ex.subnet, identifierOf);
  ex.hosts = hosts;
  findNetworkHost(ex, { ...ex.srv.model, hosts });
}

/**
 * Kea's findReservation in a shared network: without a reservation of its own in the selected
 * subnet, the client's reservation in the next subnets of the network its classes allow (each
 * as its reservations-in-subnet permits), before the global one.
 */
function findNetworkHost(ex: Exchange4, model: HostScopes<Host4>): void {
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
 * the host4_identifier callouts compute it (nothing is called without callouts).
 */
function identify(ex: Exchange4): void | Promise<void> {
  if (ex.identified) return;
  ex.identified = true;
  if (!ex.srv.model.hostReservationIdentifiers.includes(IdentifierType.FLEX_ID)) return;
  return callHook(ex, ex.srv.points.host4_identifier);
}

/** host4_identifier: the query, the identifier type ("flex-id") and an empty value to set. */
export function setHost4IdentifierArguments(h: CalloutHandle, ex: Exchange4): void {
  h.setArgument("query4", ex.query);
  h.setArgument("id_type", IdentifierType.FLEX_ID);
  h.setArgument("id_value", EMPTY);
}

/** host4_identifier's status: CONTINUE with a value set = the client's flex-id. */
export function afterHost4Identifier(ex: Exchange4, status: number): void {
  if (ex.handle === null || !ex.gen.calloutsPresent(ex.srv.points.host4_identifier.index)) return;
  ex.flexId = flexIdAfter(status, ex.handle.getArgument("id_value"));
}

const EMPTY = new Uint8Array(0);

/** The bytes of one reservation identifier in the query, or null. */
function identifierOf(ex: Exchange4, type: IdentifierType): Uint8Array | null {
  const q = ex.query;
  switch (type) {
    case IdentifierType.HW_ADDRESS:
      return q.hlen > 0 ? q.getHWAddr().hwaddr : null;
    case IdentifierType.CLIENT_ID:
      return q.getClientId()?.clientId ?? null;
    case IdentifierType.DUID:
      return q.getClientId()?.getDuid()?.duid ?? null;
    case IdentifierType.FLEX_ID:
      return ex.flexId;
    case IdentifierType.CIRCUIT_ID: {
      const rai = q.getOption(DHO.DHCP_AGENT_OPTIONS);
      return rai?.getOption(RAI.AGENT_CIRCUIT_ID)?.getData() ?? null;
    }
    default:
      return null;
  }
}
