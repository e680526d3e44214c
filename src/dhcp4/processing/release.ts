/**
 * RELEASE and DECLINE: the client's lease they name, lease4_release or lease4_decline, then the
 * lease removed or set aside for the decline probation period. Neither is answered.
 */
import { DHCPMessageType } from "../../dhcp/constants.ts";
import { ipv4ToString } from "../../dhcp/ioaddress.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import { NextStep } from "../../hooks/next-step.ts";
import { belongsToClient, type ClientContext4 } from "../../dhcpsrv/alloc/alloc-engine4.ts";
import { LeaseState, type Lease4 } from "../../dhcpsrv/leases/lease4.ts";
import type { PointSpecs } from "../../dhcpsrv/processing/family.ts";
import { callHook } from "../../dhcpsrv/processing/hook-point.ts";
import type { Exchange4 } from "../exchange.ts";
import { requestedAddress } from "./allocate.ts";

export function releaseOrDecline(ex: Exchange4): void | Promise<void> {
  const type = ex.query.getType();
  if (type === DHCPMessageType.DHCPRELEASE) return release(ex);
  if (type === DHCPMessageType.DHCPDECLINE) return decline(ex);
}

function release(ex: Exchange4): void | Promise<void> {
  const q = ex.query;
  const addr = q.ciaddr;
  const lease = ex.srv.leases.getLease4(addr);
  if (lease === null || !ownedBy(lease, ex)) {
    ex.srv.core.leaseLog.debug(40, "DHCP4_RELEASE_FAIL", ex, addr, "no lease of this client");
    ex.dropped = true;
    return;
  }
  ex.target = lease;
  return callHook(ex, ex.srv.points.lease4_release);
}

function decline(ex: Exchange4): void | Promise<void> {
  const addr = requestedAddress(ex.query);
  const lease = addr === 0 ? null : ex.srv.leases.getLease4(addr);
  if (lease === null || lease.state === LeaseState.DECLINED || !ownedBy(lease, ex)) {
    const text = ipv4ToString(addr);
    ex.srv.core.leaseLog.debug(40, "DHCP4_DECLINE_FAIL", ex, text, "no lease of this client");
    ex.dropped = true;
    return;
  }
  ex.target = lease;
  return callHook(ex, ex.srv.points.lease4_decline);
}

/** lease4_release and lease4_decline: the query and the client's lease. */
export function setupLeaseTarget(h: CalloutHandle, ex: Exchange4): void {
  h.setArgument("query4", ex.query);
  h.setArgument("lease4", ex.target!);
}

/** lease4_release: SKIP or DROP = the lease is kept (it expires normally). */
export function afterRelease(ex: Exchange4, status: number): void {
  if (status === NextStep.SKIP || status === NextStep.DROP) return;
  const lease = ex.target!;
  const srv = ex.srv;
  if (srv.leases.deleteLease4(lease)) {
    ex.deleted.push(lease);
    srv.stats.leaseReleased(lease);
    srv.core.leaseLog.info("DHCP4_RELEASE", ex, lease.address);
  }
}

/** lease4_decline: SKIP or DROP = the lease is not declined. */
export function afterDecline(ex: Exchange4, status: number): void {
  if (status === NextStep.SKIP || status === NextStep.DROP) return;
  const srv = ex.srv;
  const declined = ex.target!.clone();
  const period = srv.model.declineProbationPeriod;
  declined.decline(period, ex.now);
  srv.leases.updateLease4(declined);
  ex.leases.push(declined);
  srv.stats.leaseDeclined(declined);
  srv.core.leaseLog.info("DHCP4_DECLINE_LEASE", ex, declined.address, period);
}

/** Whether the lease is the client's (by client identifier when its subnet matches on it). */
function ownedBy(lease: Lease4, ex: Exchange4): boolean {
  const subnet = ex.srv.model.subnetsById.get(lease.subnetId);
  const matchCid = subnet?.matchClientId ?? true;
  const q = ex.query;
  const cid = matchCid ? q.getClientId() : null;
  return belongsToClient(lease, {
    hwaddr: q.hlen > 0 ? q.getHWAddr() : null,
    clientId: cid === null ? null : cid.clientId,
  } as ClientContext4);
}

/** The hook points of RELEASE and DECLINE: their arguments and what their status does. */
export const RELEASE_POINTS: PointSpecs<"lease4_release" | "lease4_decline", Exchange4> = {
  lease4_release: [setupLeaseTarget, afterRelease],
  lease4_decline: [setupLeaseTarget, afterDecline],
};
