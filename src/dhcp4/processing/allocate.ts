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
  if (subnet === null) {
    srv.core.log.debug(15, "DHCP4_SUBNET_SELECTION_FAILED", ex);
    if (type === DHCPDISCOVER || !srv.model.config.authoritative)
      return srv.core.drop(ex, "no subnet for the client");
    return nak(ex, "no subnet for the client and the server is authoritative");
  }
  ex.name = clientName(ex, subnet);
  const ctx = clientContext(ex, subnet, type === DHCPDISCOVER);
  ex.client = ctx;
  const pick = srv.engine.pick(ctx);
  if (pick === null) {
    // The pools were searched (a DISCOVER, or a REQUEST naming no address and with no
    // reservation, such as a BOOTP request) and are full: an allocation failure, as in Kea.
    const reserved = ex.host !== undefined && ex.host.ipv4 !== 0;
    const searched = type === DHCPDISCOVER || (ctx.requestedAddress === 0 && !reserved);
    if (searched) {
      srv.stats.allocationFailed(subnet.id);
      srv.core.leaseLog.warn("DHCP4_ALLOC_FAIL", ex, subnet.toText());
    }
    if (type === DHCPDISCOVER) return srv.core.drop(ex, "no address available");
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
  h.setArgument("offer_lft", 0);
  h.setArgument("lease4", ex.pick!.lease);
}

/** lease4_select: SKIP = no lease at all. */
export function afterLeaseSelect(ex: Exchange4, status: number): void {
  if (status === NextStep.SKIP) return noLease(ex, "lease4_select callout set SKIP");
  generateName(ex);
  if (!ex.client!.fakeAllocation) commit(ex);
}

export function setupLeaseRenew(h: CalloutHandle, ex: Exchange4): void {
  const ctx = ex.client!;
  h.setArgument("query4", ex.query);
  h.setArgument("subnet4", ctx.subnet);
  h.setArgument("clientid", ctx.clientId);
  h.setArgument("hwaddr", ctx.hwaddr);
  h.setArgument("lease4", ex.pick!.lease);
}

/** lease4_renew: SKIP = the store keeps the old values. */
export function afterLeaseRenew(ex: Exchange4, status: number): void {
  const fake = ex.client!.fakeAllocation;
  if (status === NextStep.SKIP) {
    if (!fake) keepOldLease(ex);
    return;
  }
  generateName(ex);
  if (!fake) commit(ex);
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
    requestedLifetime: uint32Value(q, DHO.DHCP_LEASE_TIME),
    hostname,
    now: ex.now,
    bootp: q.inClass(BOOTP_CLASS),
    classes: q.classes,
    classLifetime: ex.srv.model.classes?.validLifetime(q),
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
function generateName(ex: Exchange4): void {
  const name = ex.name;
  const lease = ex.pick!.lease;
  if (name === null || lease.hostname !== "") return;
  const generated = ex.subnet!.clientNames.generate(lease.address, name.code !== 12);
  lease.hostname = generated;
  setGenerated(name, generated);
}

function noLease(ex: Exchange4, why: string): void {
  ex.pick = null;
  if (ex.query.getType() === DHCPDISCOVER) ex.srv.core.drop(ex, why);
  else nak(ex, why);
}

/** lease4_renew SKIP on REQUEST: acknowledge the lease as the store has it. */
function keepOldLease(ex: Exchange4): void {
  const stored = ex.srv.leases.getLease4(ex.pick!.lease.address);
  if (stored !== null) ex.pick!.lease = stored.clone();
}

function commit(ex: Exchange4): void {
  const pick = ex.pick!;
  const srv = ex.srv;
  // As Kea: an infinite lease renewed is reused as stored, not written again.
  const reused = srv.engine.reusedLease(pick);
  if (reused !== null) {
    pick.lease = reused;
    srv.core.leaseLog.debug(40, "DHCP4_LEASE_REUSE", ex, reused.address);
    return;
  }
  const wasNew = pick.kind === PickKind.NEW;
  const prev = pick.previous;
  srv.engine.commit(pick);
  ex.leases.push(pick.lease);
  if (prev !== null) ex.deleted.push(prev);
  if (pick.replaced !== null) ex.deleted.push(pick.replaced);
  if (wasNew) srv.stats.leaseAssigned(pick.lease, prev, pick.replaced);
}

/** REQUEST that cannot be granted: NAK, or silence for an unknown INIT-REBOOT client. */
function requestRefused(ex: Exchange4, ctx: ClientContext4): void {
  const q = ex.query;
  // INIT-REBOOT as Kea tells it: no server identifier and a requested address option (a BOOTP
  // request has neither, and is NAKed like any REQUEST that cannot be granted).
  const initReboot =
    q.getOption(DHO.DHCP_SERVER_IDENTIFIER) === undefined &&
    q.getOption(DHO.DHCP_REQUESTED_ADDRESS) !== undefined;
  if (initReboot && !ctx.subnet.authoritative && ex.srv.engine.findClientLease(ctx) === null) {
    return ex.srv.core.drop(ex, "INIT-REBOOT client unknown to this non-authoritative server");
  }
  nak(ex, `address ${ipv4ToString(ctx.requestedAddress)} cannot be given to this client`);
}

function nak(ex: Exchange4, why: string): void {
  ex.pick = null;
  ex.response = makeResponse(ex, DHCPNAK);
  ex.srv.core.log.debug(40, "DHCP4_NAK", ex, why);
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
