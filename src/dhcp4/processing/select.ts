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
import type { Host4 } from "../../dhcpsrv/model/host4.ts";
import { dropClassed } from "../../dhcpsrv/processing/exchange-rules.ts";
import { hostSteps } from "../../dhcpsrv/processing/host-steps.ts";
import { callHook } from "../../dhcpsrv/processing/hook-point.ts";
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

/** The reservation steps (src/dhcpsrv/processing/host-steps.ts) with v4's identifiers. */
export const { earlyGlobalHost, findHost } = hostSteps<Exchange4, Host4, number, Subnet4>({
  idOf: identifierOf,
  identifierPoint: (ex) => ex.srv.points.host4_identifier,
});

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
