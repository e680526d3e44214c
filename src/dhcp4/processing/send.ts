/**
 * The end of a DHCPv4 query before its reply leaves: lease4_offer (DISCOVER) or
 * leases4_committed (REQUEST, RELEASE, DECLINE), then pkt4_send (packing) and buffer4_send.
 */
import { DHCPMessageType } from "../../dhcp/constants.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import { dropOn, pktSendStatus } from "../../dhcpsrv/processing/exchange-rules.ts";
import { callHook } from "../../dhcpsrv/processing/hook-point.ts";
import type { Exchange4 } from "../exchange.ts";

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
  h.setArgument("offer_lifetime", 0);
  h.setArgument("old_lease", pick.previous);
  h.setArgument("host", ex.host ?? null);
}

// lease4_offer: DROP = the offer is not sent.
export function afterOffer(ex: Exchange4, status: number): void {
  dropOn(ex, ex.srv.core, ex.srv.points.lease4_offer, status, false);
}

export function setupCommitted(h: CalloutHandle, ex: Exchange4): void {
  h.setArgument("query4", ex.query);
  h.setArgument("response4", ex.response);
  h.setArgument("leases4", ex.leases);
  h.setArgument("deleted_leases4", ex.deleted);
}

// leases4_committed: DROP = the response is not sent.
export function afterCommitted(ex: Exchange4, status: number): void {
  dropOn(ex, ex.srv.core, ex.srv.points.leases4_committed, status, false);
}

/** Nothing to send (RELEASE, DECLINE, or no answer): the query ends here. */
export function nothingToSend(ex: Exchange4): void {
  if (ex.response === null) ex.dropped = true;
}

export function setupPkt4Send(h: CalloutHandle, ex: Exchange4): void {
  h.setArgument("query4", ex.query);
  h.setArgument("response4", ex.response!);
  h.setArgument("subnet4", ex.subnet);
}

// pkt4_send: SKIP = the callout packed the response itself; DROP = not sent.
export function afterPkt4Send(ex: Exchange4, status: number): void {
  pktSendStatus(ex, ex.srv.core, ex.srv.points.pkt4_send, status);
}

export function setupBuffer4Send(h: CalloutHandle, ex: Exchange4): void {
  h.setArgument("response4", ex.response!);
}

// buffer4_send: SKIP or DROP = the response is not sent.
export function afterBuffer4Send(ex: Exchange4, status: number): void {
  dropOn(ex, ex.srv.core, ex.srv.points.buffer4_send, status, true);
}
