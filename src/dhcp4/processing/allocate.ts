/**
 * The lease of a DISCOVER or a REQUEST: the client's name, the allocation engine's choice,
 * lease4_select (a new lease) or lease4_renew (the client's lease extended), the name generated
 * from the address, the lease stored; or why there is none (drop, NAK, silence).
 */
import { DHCPMessageType, DHO } from "../../dhcp/constants.ts";
import { ipv4ToString } from "../../dhcp/ioaddress.ts";
import type { Pkt4 } from "../../dhcp/pkt4.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import { NextStep } from "../../hooks/next-step.ts";
import { PickKind, type ClientContext4 } from "../../dhcpsrv/alloc/alloc-engine4.ts";
import { extendedInfo4 } from "../../dhcpsrv/leases/extended-info.ts";
import { INFINITY_LFT, LeaseState } from "../../dhcpsrv/leases/lease4.ts";
import type { Subnet4 } from "../../dhcpsrv/model/subnet4.ts";
import {
  fqdnOption,
  hostnameOption4,
  setGenerated,
  type ClientName,
} from "../../dhcpsrv/processing/client-name.ts";
import type { PointSpecs } from "../../dhcpsrv/processing/family.ts";
import { callHook } from "../../dhcpsrv/processing/hook-point.ts";
import type { Exchange4 } from "../exchange.ts";
import { BOOTP_CLASS, makeResponse } from "./response.ts";

const { DHCPDISCOVER, DHCPREQUEST, DHCPNAK } = DHCPMessageType;

/** DISCOVER and REQUEST: choose the lease, let lease4_select / lease4_renew see it, store it. */
export function allocate(ex: Exchange4): void | Promise<void> {
  const type = ex.query.getType();
  if (type !== DHCPDISCOVER && type !== DHCPREQUEST) return;
  const srv = ex.srv;
  const subnet = ex.subnet;
  const q = ex.query;
  // INIT-REBOOT as Kea tells it: a REQUEST with a requested address and no server identifier
  // (a BOOTP request has neither).
  const initReboot =
    type === DHCPREQUEST &&
    q.getOption(DHO.DHCP_SERVER_IDENTIFIER) === undefined &&
    q.getOption(DHO.DHCP_REQUESTED_ADDRESS) !== undefined;
  // At INFO, as Kea: every INIT-REBOOT and the address it asks for.
  if (initReboot && srv.core.leaseLog.isEnabled("INFO")) {
    srv.core.leaseLog.info("DHCP4_INIT_REBOOT", ex, ipv4ToString(requestedAddress(q)));
  }
  if (subnet === null) {
    srv.core.log.debug(15, "DHCP4_SUBNET_SELECTION_FAILED", ex);
    // As Kea 2.2: a REQUEST from a link no subnet serves gets a NAK, authoritative or not, in
    // any client state; a DISCOVER gets nothing (its NAK is never sent).
    if (type === DHCPDISCOVER) {
      ex.dropped = true;
      return;
    }
    return nak(ex, "DHCP4_PACKET_NAK_0001", q.remoteAddr, q.getName());
  }
  ex.name = clientName(ex, subnet);
  const ctx = clientContext(ex, subnet, type === DHCPDISCOVER);
  ex.client = ctx;
  if (initReboot && !initRebootAccepted(ex, ctx)) return;
  const pick = srv.engine.pick(ctx);
  // In a shared network the lease may be in another of its subnets: the answer is from there.
  ex.subnet = ctx.subnet;
  if (pick === null) {
    // The pools were searched (a DISCOVER, or a REQUEST naming no address and with no
    // reservation, such as a BOOTP request) and are full: an allocation failure, as in Kea.
    const reserved = ex.host !== undefined && ex.host.ipv4 !== 0;
    const searched = type === DHCPDISCOVER || (ctx.requestedAddress === 0 && !reserved);
    if (searched) {
      srv.stats.allocationFailed(subnet.id);
      srv.core.leaseLog.warn("DHCP4_ALLOC_FAIL", ex, subnet.toText());
    }
    // As Kea: a DISCOVER with no address to offer gets nothing, and is not a dropped packet.
    if (type === DHCPDISCOVER) {
      ex.dropped = true;
      return;
    }
    return requestRefused(ex, ctx);
  }
  ex.pick = pick;
  // lease4_renew (the client's lease extended) or lease4_select (a new lease).
  const renew = pick.kind === PickKind.RENEW;
  return callHook(ex, renew ? srv.points.lease4_renew : srv.points.lease4_select);
}

export function setupLeaseSelect(h: CalloutHandle, ex: Exchange4): void {
  const ctx = ex.client!;
  h.setArgument("query4", ex.query);
  h.setArgument("subnet4", ctx.subnet);
  h.setArgument("fake_allocation", ctx.fakeAllocation);
  h.setArgument("offer_lft", ctx.fakeAllocation ? offerLifetime(ex, ctx.subnet) : 0);
  h.setArgument("lease4", ex.pick!.lease);
}

/** lease4_select: SKIP = no lease at all. */
export function afterLeaseSelect(ex: Exchange4, status: number): void {
  if (status === NextStep.SKIP) return noLease(ex, "lease4_select callout set SKIP");
  generateName(ex);
  if (!ex.client!.fakeAllocation) commit(ex);
  else if (offerLifetime(ex, ex.client!.subnet) > 0) commitOffer(ex);
}

export function setupLeaseRenew(h: CalloutHandle, ex: Exchange4): void {
  const ctx = ex.client!;
  h.setArgument("query4", ex.query);
  h.setArgument("subnet4", ctx.subnet);
  h.setArgument("clientid", ctx.clientId);
  h.setArgument("hwaddr", ctx.hwaddr);
  h.setArgument("lease4", ex.pick!.lease);
}

/**
 * lease4_renew: SKIP = the store keeps the old values. A reusable lease (lease caching) is
 * answered with the lifetime left to it, the OFFER too, as Kea's assignLease; a name generated
 * now makes a REQUEST write the lease after all.
 */
export function afterLeaseRenew(ex: Exchange4, status: number): void {
  const fake = ex.client!.fakeAllocation;
  if (status === NextStep.SKIP) {
    if (!fake) keepOldLease(ex);
    return;
  }
  if (generateName(ex) && !fake) ex.pick!.reuse = 0;
  if (!fake) commit(ex);
  else reuse(ex);
}

function clientContext(ex: Exchange4, subnet: Subnet4, fake: boolean): ClientContext4 {
  const q = ex.query;
  const cid = subnet.matchClientId ? q.getClientId() : null;
  const hostname = ex.name === null ? "" : ex.name.hostname;
  return {
    subnet,
    hwaddr: q.hlen > 0 ? q.getHWAddr() : null,
    clientId: cid === null ? null : cid.clientId,
    requestedAddress: requestedAddress(q),
    fakeAllocation: fake,
    host: ex.host,
    hosts: ex.hosts,
    globalHost: ex.globalHost,
    requestedLifetime: uint32Value(q, DHO.DHCP_LEASE_TIME),
    hostname,
    now: ex.now,
    bootp: q.inClass(BOOTP_CLASS),
    classes: q.classes,
    classLifetime: ex.srv.model.classes?.validLifetime(q),
    extendedInfo: subnet.storeExtendedInfo
      ? extendedInfo4(q.getOption(DHO.DHCP_AGENT_OPTIONS))
      : null,
  };
}

/**
 * Kea's processClientName, before the allocation: option 81 when the client sent it, else
 * option 12; a reservation's hostname wins. null when the answer carries neither.
 */
function clientName(ex: Exchange4, subnet: Subnet4): ClientName | null {
  const reserved = ex.host === undefined ? "" : ex.host.hostname;
  const params = subnet.clientNames;
  if (ex.fqdn !== null) return fqdnOption(false, ex.fqdn, reserved, params);
  const hn = ex.query.getNonCopiedOption(DHO.HOST_NAME);
  if (hn === undefined && reserved === "" && !params.generatesUnasked) return null;
  return hostnameOption4(hn?.getData(), reserved, params);
}

/**
 * Kea's postAllocateNameUpdate: an answer with an empty name gets one generated from the
 * address ("myhost-198-51-100-10", qualified), in the lease and in the option.
 */
function generateName(ex: Exchange4): boolean {
  const name = ex.name;
  const lease = ex.pick!.lease;
  if (name === null || lease.hostname !== "") return false;
  const generated = ex.subnet!.clientNames.generate(lease.address, name.code !== 12);
  lease.hostname = generated;
  setGenerated(name, generated);
  return true;
}

/** No lease (lease4_select SKIP): a DISCOVER gets nothing (not counted), a REQUEST a NAK. */
function noLease(ex: Exchange4, why: string): void {
  ex.pick = null;
  if (ex.query.getType() === DHCPDISCOVER)
    silence(ex, "DHCP4_PACKET_NAK_0003", ex.query.ciaddr, why);
  else nak(ex, "DHCP4_PACKET_NAK_0004", ex.query.ciaddr, why);
}

/** lease4_renew SKIP on REQUEST: acknowledge the lease as the store has it. */
function keepOldLease(ex: Exchange4): void {
  const stored = ex.srv.leases.getLease4(ex.pick!.lease.address);
  if (stored !== null) ex.pick!.lease = stored.clone();
}

/**
 * Kea 2.6's getOfferLft: the offer lifetime of the first of the query's classes that sets one
 * (0 included), else the subnet's.
 */
export function offerLifetime(ex: Exchange4, subnet: Subnet4): number {
  return ex.srv.model.classes?.offerLifetime(ex.query) ?? subnet.offerLifetime;
}

/**
 * Kea 2.6's `offer-lifetime`: a DISCOVER's new lease is stored (and counted as assigned) with
 * that valid lifetime, so that the address is not offered to anyone else meanwhile; the OFFER
 * still tells the client the lease time it will get. Its REQUEST then renews that lease; without
 * one the lease expires and is reclaimed. A client offered the lease it already holds keeps it
 * as it is.
 */
function commitOffer(ex: Exchange4): void {
  const pick = ex.pick!;
  if (pick.kind !== PickKind.NEW) return;
  const stored = pick.lease.clone();
  stored.validLifetime = offerLifetime(ex, ex.client!.subnet);
  const prev = pick.previous;
  // The client's other lease, if any, stays until its REQUEST moves it.
  ex.srv.engine.commit({ ...pick, lease: stored, replaced: null });
  if (prev !== null && prev.state !== LeaseState.EXPIRED_RECLAIMED) {
    ex.srv.stats.leaseReclaimed(prev, prev.state === LeaseState.DECLINED);
  }
  ex.srv.stats.leaseAssigned(stored, null, null);
}

function commit(ex: Exchange4): void {
  const pick = ex.pick!;
  const srv = ex.srv;
  // As Kea: a lease renewed within the caching limits (or that never expires) is reused, not
  // written again.
  if (reuse(ex)) return;
  const wasNew = pick.kind === PickKind.NEW;
  const prev = pick.previous;
  srv.engine.commit(pick);
  ex.leases.push(pick.lease);
  if (prev !== null) ex.deleted.push(prev);
  if (pick.replaced !== null) ex.deleted.push(pick.replaced);
  if (!wasNew) return;
  if (prev !== null && prev.state !== LeaseState.EXPIRED_RECLAIMED) {
    // An expired lease taken over is reclaimed first, as Kea's reuseExpiredLease4 does (a
    // declined one recovered).
    srv.stats.leaseReclaimed(prev, prev.state === LeaseState.DECLINED);
  }
  srv.stats.leaseAssigned(pick.lease, null, pick.replaced);
}

/**
 * Answers with the reused lease when the renewal reuses it (Kea's reuseable_valid_lft_, logged
 * as DHCP4_LEASE_REUSE); false when the lease is to be written.
 */
function reuse(ex: Exchange4): boolean {
  const pick = ex.pick!;
  const reused = ex.srv.engine.reusedLease(pick);
  if (reused === null) return false;
  reused.hostname = pick.lease.hostname;
  pick.lease = reused;
  const log = ex.srv.core.leaseLog;
  if (log.isEnabled("INFO")) {
    const lft = reused.validLifetime === INFINITY_LFT ? "infinity" : reused.validLifetime;
    log.info("DHCP4_LEASE_REUSE", ex, reused.address, lft);
  }
  return true;
}

/**
 * Kea's INIT-REBOOT checks, before the allocation: a client this server has no lease for gets
 * silence, or a NAK when the subnet is authoritative; a known client asking for another address
 * than its lease's gets a NAK. True when the allocation goes on.
 */
function initRebootAccepted(ex: Exchange4, ctx: ClientContext4): boolean {
  const asked = ctx.requestedAddress;
  const lease = ex.srv.engine.findClientLease(ctx);
  if (lease === null && !ctx.subnet.authoritative) {
    silence(ex, "DHCP4_NO_LEASE_INIT_REBOOT", ipv4ToString(asked));
    return false;
  }
  if (lease === null || lease.address !== ipv4ToString(asked)) {
    nak(ex, "DHCP4_PACKET_NAK_0002", ipv4ToString(asked));
    return false;
  }
  return true;
}

/**
 * A REQUEST that cannot be granted: a NAK, or silence when the address named is in no pool of
 * the subnet at all, whatever the classes (Kea: the server does not know that address).
 */
function requestRefused(ex: Exchange4, ctx: ClientContext4): void {
  const q = ex.query;
  const asked = ipv4ToString(ctx.requestedAddress);
  if (ctx.unknownRequestedAddress === true && !inAnyPool(ctx.subnet, ctx.requestedAddress)) {
    return silence(ex, "DHCP4_UNKNOWN_ADDRESS_REQUESTED", q.ciaddr, asked);
  }
  nak(ex, "DHCP4_PACKET_NAK_0004", q.ciaddr, ctx.requestedAddress === 0 ? "(no address)" : asked);
}

/** The address is in a pool of the subnet or of another subnet of its shared network. */
function inAnyPool(subnet: Subnet4, addr: number): boolean {
  const subnets = subnet.network?.subnets ?? [subnet];
  return subnets.some((s) => s.poolFor(addr) !== undefined);
}

/** Kea's NAK: logged on the bad-packets logger under the message ID of its reason. */
function nak(ex: Exchange4, id: string, ...args: unknown[]): void {
  ex.pick = null;
  ex.response = makeResponse(ex, DHCPNAK);
  ex.srv.core.badLog.debug(40, id, ex, ...args);
}

/**
 * No answer, as Kea's assignLease deletes the response: not a dropped packet (no
 * pkt4-receive-drop), logged on the bad-packets logger.
 */
function silence(ex: Exchange4, id: string, ...args: unknown[]): void {
  ex.pick = null;
  ex.dropped = true;
  ex.srv.core.badLog.debug(40, id, ex, ...args);
}

/** Option 50, else ciaddr; 0 when neither. */
export function requestedAddress(q: Pkt4): number {
  const o = q.getOption(DHO.DHCP_REQUESTED_ADDRESS);
  if (o !== undefined) {
    const d = o.getData();
    if (d.length === 4) return d.readUInt32BE(0);
  }
  return q.ciaddrInt;
}

/** A 4-byte option of the query as a number; 0 when absent or of another size. */
function uint32Value(q: Pkt4, code: number): number {
  const d = q.getOption(code)?.getData();
  return d !== undefined && d.length === 4 ? d.readUInt32BE(0) : 0;
}

/** The hook points of allocation: their arguments and what their status does. */
export const ALLOCATE_POINTS: PointSpecs<"lease4_select" | "lease4_renew", Exchange4> = {
  lease4_select: [setupLeaseSelect, afterLeaseSelect],
  lease4_renew: [setupLeaseRenew, afterLeaseRenew],
};
