/**
 * Choosing what a DHCPv6 query is answered from: its subnet (Kea's selectSubnet6, then
 * subnet6_select), the client's reservation.
 */
import { D6O } from "../../dhcp/constants.ts";
import type { Pkt6 } from "../../dhcp/pkt6.ts";
import type { Dhcp6Model } from "../../dhcpsrv/model/cfg6.ts";
import { IdentifierType } from "../../dhcpsrv/model/host.ts";
import { type Subnet6, ipv6ToBig } from "../../dhcpsrv/model/subnet6.ts";
import type { Host6 } from "../../dhcpsrv/model/host6.ts";
import { dropClassed } from "../../dhcpsrv/processing/exchange-rules.ts";
import { hostSteps } from "../../dhcpsrv/processing/host-steps.ts";
import { afterSubnetSelect } from "../../dhcpsrv/processing/family.ts";
import { callHook, type HookPoint } from "../../dhcpsrv/processing/hook-point.ts";
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

/** The reservation steps (src/dhcpsrv/processing/host-steps.ts) with v6's identifiers. */
export const { earlyGlobalHost, findHost } = hostSteps<Exchange6, Host6, string, Subnet6>({
  idOf: identifierOf,
  identifierPoint: (ex) => ex.srv.points.host6_identifier,
});

/** The bytes of one reservation identifier of the client (its DUID, its hardware address). */
function identifierOf(ex: Exchange6, type: IdentifierType): Uint8Array | null {
  if (type === IdentifierType.DUID) return ex.duid;
  if (type === IdentifierType.HW_ADDRESS) return ex.hwaddr?.hwaddr ?? null;
  if (type === IdentifierType.FLEX_ID) return ex.flexId;
  return null;
}
