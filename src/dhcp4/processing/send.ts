/**
 * The end of a DHCPv4 query before its reply leaves: lease4_offer (DISCOVER) or
 * leases4_committed (REQUEST, RELEASE, DECLINE); then, when there is a response, pkt4_send
 * (packing) and buffer4_send (src/dhcpsrv/processing/family.ts).
 */
import { DHCPMessageType } from "../../dhcp/constants.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import { dropOnDrop, type PointSpecs } from "../../dhcpsrv/processing/family.ts";
import { callHook } from "../../dhcpsrv/processing/hook-point.ts";
import type { Exchange4 } from "../exchange.ts";
import { offerLifetime } from "./allocate.ts";

const { DHCPDISCOVER, DHCPREQUEST, DHCPRELEASE, DHCPDECLINE } = DHCPMessageType;

// lease4_offer (DISCOVER): DROP = the offer is not sent.
// leases4_committed (REQUEST, RELEASE, DECLINE): DROP = the response is not sent.
export function committed(ex: Exchange4): void | Promise<void> {
  const type = ex.query.getType();
  if (type === DHCPDISCOVER) {
    if (ex.response === null || ex.pick === null) return;
    return callHook(ex, ex.srv.points.lease4_offer);
  }
  if (type !== DHCPREQUEST && type !== DHCPRELEASE && type !== DHCPDECLINE) return;
  return callHook(ex, ex.srv.points.leases4_committed);
}

export function setupOffer(h: CalloutHandle, ex: Exchange4): void {
  const pick = ex.pick!;
  h.setArgument("query4", ex.query);
  h.setArgument("response4", ex.response!);
  h.setArgument("leases4", [pick.lease]);
  const subnet = ex.subnet;
  h.setArgument("offer_lifetime", subnet === null ? 0 : offerLifetime(ex, subnet));
  h.setArgument("old_lease", pick.previous);
  h.setArgument("host", ex.host ?? null);
}

/** Nothing to send (RELEASE, DECLINE, or no answer): the query ends here. */
export function nothingToSend(ex: Exchange4): void {
  if (ex.response === null) ex.dropped = true;
}

/** lease4_offer: its arguments; DROP = the offer is not sent. */
export const OFFER_POINTS: PointSpecs<"lease4_offer", Exchange4> = {
  lease4_offer: [setupOffer, dropOnDrop],
};
