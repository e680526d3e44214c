/**
 * The lease work of a DHCPv6 query, IA by IA (one lease per IA): SOLICIT and REQUEST assign
 * (lease6_select), RENEW and REBIND extend (lease6_renew, lease6_rebind); RELEASE and DECLINE
 * are in release.ts. Each IA's hook points see it as `ex.ia`.
 */
import { extendedInfo6 } from "../../dhcpsrv/leases/extended-info.ts";
import { DHCPv6MessageType as M } from "../../dhcp/constants.ts";
import { StatusCode } from "../../dhcp/option6-status-code.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import { NextStep } from "../../hooks/next-step.ts";
import type { ClientContext6 } from "../../dhcpsrv/alloc/alloc-engine6.ts";
import { LeaseState, LeaseType6, type Lease6 } from "../../dhcpsrv/leases/lease6.ts";
import { INFINITY_LFT } from "../../dhcpsrv/leases/lease.ts";
import type { PointSpecs } from "../../dhcpsrv/processing/family.ts";
import { argumentAfter, callHook, each } from "../../dhcpsrv/processing/hook-point.ts";
import { DBG_DETAIL, DBG_DETAIL_DATA } from "../../dhcpsrv/processing/query-core.ts";
import type { Exchange6, IaWork } from "../exchange.ts";
import {
  addLease,
  addZeroed,
  leaseText,
  noLease,
  setIaStatus,
  zeroNotGranted,
  zeroUnheld,
} from "./ia-options.ts";
import { declineIA, releaseIA } from "./release.ts";

const { IA_PD } = LeaseType6;

/** Every IA_NA and IA_PD of the query in turn (none for a UseMulticast answer). */
export function processIAs(ex: Exchange6): void | Promise<void> {
  if (ex.useMulticast) return;
  // Kea discards a REBIND from a link it has no subnet for.
  if (ex.subnet === null && ex.query.getType() === M.DHCPV6_REBIND) {
    return ex.srv.core.drop(ex, "REBIND from a link without a subnet");
  }
  return each(ex, ex.ias, processIA);
}

function processIA(ex: Exchange6, w: IaWork): void | Promise<void> {
  ex.ia = w;
  w.ctx = context(ex, w);
  switch (ex.query.getType()) {
    case M.DHCPV6_SOLICIT:
    case M.DHCPV6_REQUEST:
      logIA(ex, w, "REQUEST");
      return assign(ex, w);
    case M.DHCPV6_RENEW:
    case M.DHCPV6_REBIND:
      logIA(ex, w, "EXTEND");
      return extendIA(ex, w);
    case M.DHCPV6_RELEASE:
      logIA(ex, w, "RELEASE");
      return releaseIA(ex, w);
    case M.DHCPV6_DECLINE:
      return declineIA(ex, w);
  }
}

/** Kea's DHCP6_PROCESS_IA_{NA,PD}_{REQUEST,EXTEND,RELEASE} (the IA, its first hint). */
function logIA(ex: Exchange6, w: IaWork, what: "REQUEST" | "EXTEND" | "RELEASE"): void {
  const log = ex.srv.core.leaseLog;
  if (!log.isEnabled("DEBUG", DBG_DETAIL)) return;
  const id = `DHCP6_PROCESS_IA_${w.type === IA_PD ? "PD" : "NA"}_${what}`;
  log.debug(DBG_DETAIL, id, ex, w.iaid, w.hints[0]?.address ?? "::");
}

/** The allocation engine's view of one IA; null without a subnet or a client DUID. */
function context(ex: Exchange6, w: IaWork): ClientContext6 | null {
  if (ex.subnet === null || ex.duid === null) return null;
  const classes = ex.srv.model.classes;
  return {
    subnet: ex.subnet,
    duid: ex.duid,
    iaid: w.iaid,
    type: w.type,
    hints: w.hints,
    fakeAllocation: ex.fake,
    host: ex.host,
    hosts: ex.hosts,
    hwaddr: ex.hwaddr,
    hwaddrSource: ex.hwaddrSource,
    // The FQDN answer's name; without option 39, the reservation's hostname as it is.
    hostname: ex.name !== null ? ex.name.hostname : (ex.host?.hostname ?? ""),
    now: ex.now,
    classes: ex.query.classes,
    classValid: classes?.validLifetime(ex.query),
    classPreferred: classes?.preferredLifetime(ex.query),
    extendedInfo: ex.subnet.storeExtendedInfo ? extendedInfo6(ex.query.relayInfo) : null,
  };
}

// lease6_select (SOLICIT, REQUEST): SKIP = this lease is not assigned; other IAs go on.
function assign(ex: Exchange6, w: IaWork): void | Promise<void> {
  const ctx = w.ctx;
  const pick = ctx === null ? null : ex.srv.engine.pick(ctx);
  if (pick === null) {
    if (ctx === null) return noSubnet(w);
    ex.srv.stats.allocationFailed(ctx.subnet.id);
    ex.srv.core.leaseLog.debug(50, "DHCP6_LEASE_ALLOC_FAIL", ex, w.type, w.iaid);
    return noLease(w, extending(ex));
  }
  // A new lease from another subnet of the shared network: the answer is from there (as Kea's
  // context, moved by the allocation walk; a lease the client keeps leaves it where it was).
  if (pick.kind === "new") ex.subnet = ctx!.subnet;
  ex.pick = pick;
  return callHook(ex, ex.srv.points.lease6_select);
}

/** RENEW or REBIND (the IA is extended, a new lease only when it has none). */
function extending(ex: Exchange6): boolean {
  const t = ex.query.getType();
  return t === M.DHCPV6_RENEW || t === M.DHCPV6_REBIND;
}

export function setupSelect(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("query6", ex.query);
  h.setArgument("subnet6", ex.subnet);
  h.setArgument("fake_allocation", ex.fake);
  h.setArgument("lease6", ex.pick!.lease);
}

export function afterSelect(ex: Exchange6, status: number): void {
  const { engine, stats, core, points } = ex.srv;
  const w = ex.ia!;
  const pick = ex.pick!;
  ex.pick = null;
  if (status === NextStep.SKIP) return noLease(w, extending(ex));
  const lease = argumentAfter(ex, points.lease6_select, "lease6", pick.lease);
  pick.lease = lease;
  // A REQUEST for a lease the IA holds, nothing changed, within the lease caching limits: reused
  // as Kea's updateLeaseData does (remaining lifetimes, nothing written nor committed).
  const reused =
    ex.fake || pick.kind !== "renew" || pick.replaced.length > 0 ? null : reusedOwn(ex, w, lease);
  if (reused !== null) {
    addLease(w, reused);
    logReuse(ex, reused);
    return;
  }
  if (!ex.fake) {
    engine.commit(pick);
    ex.leases.push(lease);
    for (const old of pick.replaced) {
      ex.deleted.push(old);
      stats.leaseReleased(old);
    }
    if (pick.kind === "new") stats.leaseAssigned(lease, pick.previous);
  }
  addLease(w, lease);
  if (core.leaseLog.isEnabled("INFO")) {
    const pd = lease.type === IA_PD ? "PD_" : "";
    const id = ex.fake ? `DHCP6_${pd}LEASE_ADVERT` : `DHCP6_${pd}LEASE_ALLOC`;
    core.leaseLog.info(id, ex, leaseText(lease), lease.validLifetime);
    // Kea details the address leases only.
    if (pd === "" && core.leaseLog.isEnabled("DEBUG", DBG_DETAIL_DATA)) {
      core.leaseLog.debug(DBG_DETAIL_DATA, "DHCP6_LEASE_DATA", ex, w.iaid, leaseDetails(lease));
    }
  }
}

/**
 * RENEW, REBIND: every lease of the IA extended, hints that are not the client's zeroed. As
 * Kea's renewLeases6, a lease the client may no longer have (outside the pools its classes
 * allow and not reserved for it, or reserved for another client) is removed and sent with
 * lifetimes 0, and an IA left without a lease gets a new one.
 */
function extendIA(ex: Exchange6, w: IaWork): void | Promise<void> {
  const { engine, leases, stats } = ex.srv;
  const ctx = w.ctx;
  if (ctx === null) return noBinding(w);
  const own = engine.iaLeases(ctx);
  // As Kea 2.2's renewLeases6: a client without a lease in the IA gets a new one (its hints,
  // when free and in a pool, first); what it named and does not get has lifetimes 0.
  if (own.length === 0) {
    const done = assign(ex, w);
    if (done === undefined) return zeroNotGranted(w, own);
    return done.then(() => zeroNotGranted(w, own));
  }
  if (mayKeepAll(ex, ctx, own)) {
    // As Kea's extendIA_NA / extendIA_PD: the leases extended first, then the hints that are
    // not the client's, with lifetimes 0.
    const extended = each(ex, own, extendOne);
    if (extended === undefined) return zeroUnheld(w, own);
    return extended.then(() => zeroUnheld(w, own));
  }
  const kept: Lease6[] = [];
  const removed: Lease6[] = [];
  for (const l of own) {
    if (engine.mayKeep(ctx, l)) {
      kept.push(l);
      continue;
    }
    if (leases.deleteLease6(l)) {
      ex.deleted.push(l);
      stats.leaseReleased(l);
    }
    removed.push(l);
  }
  // As Kea: the leases granted first, then those the client no longer has, lifetimes 0.
  const done = kept.length > 0 ? each(ex, kept, extendOne) : assign(ex, w);
  if (done === undefined) return zeroNotGranted(w, removed);
  return done.then(() => zeroNotGranted(w, removed));
}

function mayKeepAll(ex: Exchange6, ctx: ClientContext6, own: readonly Lease6[]): boolean {
  for (const l of own) if (!ex.srv.engine.mayKeep(ctx, l)) return false;
  return true;
}

/** An IA of a SOLICIT or REQUEST from a link without a subnet (Kea's assignIA_NA / _PD). */
function noSubnet(w: IaWork): void {
  if (w.type === IA_PD) setIaStatus(w, StatusCode.NoPrefixAvail, "Sorry, no subnet available.");
  else setIaStatus(w, StatusCode.NoAddrsAvail, "Server could not select subnet for this client");
}

/** An IA of a RENEW from a link without a subnet (Kea's extendIA_NA / extendIA_PD). */
function noBinding(w: IaWork): void {
  const text =
    w.type === IA_PD
      ? "Sorry, no known PD leases for this duid/iaid."
      : "Sorry, no known leases for this duid/iaid.";
  setIaStatus(w, StatusCode.NoBinding, text);
}

// lease6_renew / lease6_rebind: SKIP = the lease is not renewed (the IA keeps its old values).
function extendOne(ex: Exchange6, lease: Lease6): void | Promise<void> {
  const w = ex.ia!;
  const extended = ex.srv.engine.extend(w.ctx!, lease);
  if (extended === null) {
    addZeroed(w, lease.address, lease.prefixLen);
    return;
  }
  // A lease renewed in another subnet of the shared network: the answer is from there.
  const s = ex.subnet;
  if (s !== null && lease.subnetId !== s.id && s.network !== null) {
    const home = ex.srv.model.subnetsById.get(lease.subnetId);
    if (home !== undefined && home.network === s.network) ex.subnet = home;
  }
  w.lease = lease;
  w.extended = extended;
  const points = ex.srv.points;
  const renew = ex.query.getType() === M.DHCPV6_RENEW;
  return callHook(ex, renew ? points.lease6_renew : points.lease6_rebind);
}

export function setupExtend(h: CalloutHandle, ex: Exchange6): void {
  const w = ex.ia!;
  h.setArgument("query6", ex.query);
  h.setArgument("lease6", w.extended!);
  h.setArgument(w.type === IA_PD ? "ia_pd" : "ia_na", w.rsp);
}

export function afterExtend(ex: Exchange6, status: number): void {
  const { leases, stats, core, points } = ex.srv;
  const w = ex.ia!;
  const old = w.lease!;
  if (status === NextStep.SKIP) {
    addLease(w, old);
    return;
  }
  const point = ex.query.getType() === M.DHCPV6_RENEW ? points.lease6_renew : points.lease6_rebind;
  const lease = argumentAfter(ex, point, "lease6", w.extended!);
  // Lease caching: reused, not written, and not among the leases committed (as Kea).
  const reused = ex.srv.engine.reused(w.ctx!, old, lease);
  if (reused !== null) {
    addLease(w, reused);
    logReuse(ex, reused);
    return;
  }
  leases.updateLease6(lease);
  ex.leases.push(lease);
  if (old.state === LeaseState.EXPIRED_RECLAIMED) stats.leaseAssigned(lease, null);
  addLease(w, lease);
  if (core.leaseLog.isEnabled("INFO")) {
    const id = lease.type === IA_PD ? "DHCP6_PD_LEASE_RENEW" : "DHCP6_LEASE_RENEW";
    core.leaseLog.info(id, ex, leaseText(lease), lease.validLifetime);
  }
}

/** The IA's stored lease at the pick's address reused (lease caching), or null. */
function reusedOwn(ex: Exchange6, w: IaWork, lease: Lease6): Lease6 | null {
  const stored = ex.srv.leases.getLease6(lease.type, lease.address);
  return stored === null ? null : ex.srv.engine.reused(w.ctx!, stored, lease);
}

/** Kea's DHCP6_LEASE_REUSE / DHCP6_PD_LEASE_REUSE, at INFO. */
function logReuse(ex: Exchange6, reused: Lease6): void {
  const log = ex.srv.core.leaseLog;
  if (!log.isEnabled("INFO")) return;
  const id = reused.type === IA_PD ? "DHCP6_PD_LEASE_REUSE" : "DHCP6_LEASE_REUSE";
  const lft = reused.validLifetime === INFINITY_LFT ? "infinity" : reused.validLifetime;
  log.info(id, ex, leaseText(reused), lft);
}

/** The hook points of allocation and extension: their arguments and what their status does. */
export const IA_POINTS: PointSpecs<"lease6_select" | "lease6_renew" | "lease6_rebind", Exchange6> =
  {
    lease6_select: [setupSelect, afterSelect],
    lease6_renew: [setupExtend, afterExtend],
    lease6_rebind: [setupExtend, afterExtend],
  };

/** A lease in full, for DHCP6_LEASE_DATA. */
function leaseDetails(l: Lease6): string {
  return (
    `${leaseText(l)} preferred ${l.preferredLifetime} valid ${l.validLifetime} ` +
    `cltt ${l.cltt} subnet-id ${l.subnetId} state ${l.state}`
  );
}
