/**
 * The messages about leases the client already has: RELEASE (lease6_release) and DECLINE
 * (lease6_decline), address by address of each IA, and CONFIRM.
 */
import { DHCPv6MessageType as M, D6O } from "../../dhcp/constants.ts";
import { Option6IAAddr } from "../../dhcp/option6-ia.ts";
import { Option6StatusCode, StatusCode } from "../../dhcp/option6-status-code.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import { NextStep } from "../../hooks/next-step.ts";
import type { Hint6 } from "../../dhcpsrv/alloc/alloc-engine6.ts";
import { LeaseState, LeaseType6, type Lease6 } from "../../dhcpsrv/leases/lease6.ts";
import { ipv6ToBig } from "../../dhcpsrv/model/subnet6.ts";
import type { PointSpecs } from "../../dhcpsrv/processing/family.ts";
import { argumentAfter, callHook, each } from "../../dhcpsrv/processing/hook-point.ts";
import type { Exchange6, IaWork } from "../exchange.ts";
import { leaseText, setIaStatus } from "./ia-options.ts";

/**
 * The client's own lease at a hinted address of the IA, or why it is not (Kea's texts): no such
 * lease, another client's, or the client's in another IA.
 */
function ownLease(ex: Exchange6, w: IaWork, h: Hint6, verb: string): Lease6 | string {
  const lease = ex.srv.leases.getLease6(w.type, h.address);
  if (lease === null || ex.duid === null) return "";
  if (!lease.duid.equals(ex.duid))
    return `This address does not belong to you, you can't ${verb} it`;
  if (lease.iaid !== w.iaid) return "This is your address, but you used wrong IAID";
  return lease;
}

/** RELEASE of one IA: its first address or prefix only, as Kea's releaseIA_NA / releaseIA_PD. */
export function releaseIA(ex: Exchange6, w: IaWork): void | Promise<void> {
  const first = w.hints[0];
  if (first === undefined) {
    ex.generalStatus = StatusCode.NoBinding;
    const text =
      w.type === LeaseType6.IA_PD
        ? "You did not include a prefix in your RELEASE"
        : "You did not include an address in your RELEASE";
    setIaStatus(w, StatusCode.NoBinding, text);
    return;
  }
  return releaseOne(ex, first);
}

/** DECLINE of one IA_NA: each of its addresses. */
export function declineIA(ex: Exchange6, w: IaWork): void | Promise<void> {
  if (w.hints.length === 0) {
    setIaStatus(w, StatusCode.NoBinding, "No addresses sent in IA_NA");
    return;
  }
  return each(ex, w.hints, declineOne);
}

/** The arguments of lease6_release and lease6_decline. */
export function setupLease(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("query6", ex.query);
  h.setArgument("lease6", ex.ia!.lease!);
}

// lease6_release: SKIP (or DROP) = the lease is kept until it expires; the reply is the same.
export function releaseOne(ex: Exchange6, h: Hint6): void | Promise<void> {
  const w = ex.ia!;
  const lease = ownLease(ex, w, h, "release");
  if (typeof lease === "string") {
    ex.generalStatus = StatusCode.NoBinding;
    const text = lease === "" ? "Sorry, no known leases for this duid/iaid, can't release." : lease;
    setIaStatus(w, StatusCode.NoBinding, text);
    return;
  }
  w.lease = lease;
  return callHook(ex, ex.srv.points.lease6_release);
}

export function afterRelease(ex: Exchange6, status: number): void {
  const { leases, stats, core } = ex.srv;
  const w = ex.ia!;
  const lease = w.lease!;
  if (status !== NextStep.SKIP && status !== NextStep.DROP && leases.deleteLease6(lease)) {
    ex.deleted.push(lease);
    stats.leaseReleased(lease);
    core.leaseLog.info("DHCP6_RELEASE", ex, leaseText(lease));
  }
  setIaStatus(w, StatusCode.Success, "Lease released. Thank you, please come again.");
}

// lease6_decline: SKIP = reply as if declined, the database keeps the lease; DROP = no decline,
// no reply.
export function declineOne(ex: Exchange6, h: Hint6): void | Promise<void> {
  const w = ex.ia!;
  // As Kea's declineLease: a lease that is expired or not in use (declined, reclaimed) is
  // unknown, whoever had it.
  const stored = ex.srv.leases.getLease6(w.type, h.address);
  if (stored === null || stored.state !== LeaseState.DEFAULT || stored.isExpired(ex.now)) {
    setIaStatus(w, StatusCode.NoBinding, "Server does not know about such an address.");
    return;
  }
  const lease = ownLease(ex, w, h, "decline");
  if (typeof lease === "string") {
    setIaStatus(w, StatusCode.NoBinding, lease);
    return;
  }
  w.lease = lease;
  return callHook(ex, ex.srv.points.lease6_decline);
}

export function afterDecline(ex: Exchange6, status: number): void {
  const { model, leases, stats, core, points } = ex.srv;
  const w = ex.ia!;
  if (status === NextStep.DROP) return core.hookDrop(ex, points.lease6_decline, status);
  if (status !== NextStep.SKIP) {
    const declined = argumentAfter(ex, points.lease6_decline, "lease6", w.lease!).clone();
    const period = model.declineProbationPeriod;
    declined.decline(period, ex.now);
    leases.updateLease6(declined);
    ex.leases.push(declined); // Kea 2.2: the declined lease is among the leases written
    stats.leaseDeclined(declined);
    core.leaseLog.info("DHCP6_DECLINE_LEASE", ex, declined.address, period);
  }
  setIaStatus(w, StatusCode.Success, "Lease declined. Hopefully the next one will be better.");
}

/**
 * CONFIRM (RFC 8415 18.3.3): Success when every address is on the link, else NotOnLink naming
 * the first that is not, or saying that the link has no subnet (Kea's processConfirm and its
 * texts); no reply when the IA_NAs hold no address.
 */
export function confirm(ex: Exchange6): void {
  const q = ex.query;
  if (q.getType() !== M.DHCPV6_CONFIRM || ex.useMulticast) return;
  const addrs: string[] = [];
  for (const ia of q.getNonCopiedOptions(D6O.IA_NA)) {
    for (const a of ia.getOptions(D6O.IAADDR)) {
      if (a instanceof Option6IAAddr) addrs.push(a.getAddress());
    }
  }
  if (addrs.length === 0) return ex.srv.core.drop(ex, "CONFIRM without addresses");
  const s = ex.subnet;
  if (s === null) {
    ex.response!.addOption(Option6StatusCode.create(StatusCode.NotOnLink, "No subnet selected"));
    return;
  }
  for (const a of addrs) {
    if (!s.inRange(ipv6ToBig(a))) {
      ex.response!.addOption(
        Option6StatusCode.create(StatusCode.NotOnLink, `Address ${a} is not on link.`),
      );
      return;
    }
  }
  ex.response!.addOption(Option6StatusCode.create(StatusCode.Success, "All addresses are on-link"));
}

/** The hook points of RELEASE and DECLINE: their arguments and what their status does. */
export const RELEASE_POINTS: PointSpecs<"lease6_release" | "lease6_decline", Exchange6> = {
  lease6_release: [setupLease, afterRelease],
  lease6_decline: [setupLease, afterDecline],
};
