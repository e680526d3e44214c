/**
 * RELEASE and DECLINE: the client's lease they name, lease4_release or lease4_decline, then the
 * lease removed or set aside for the decline probation period. Neither is answered.
 */
import { DHCPMessageType, DHO } from "../../dhcp/constants.ts";
import { ipv4ToString } from "../../dhcp/ioaddress.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import { NextStep } from "../../hooks/next-step.ts";
import { belongsToClient, type ClientContext4 } from "../../dhcpsrv/alloc/alloc-engine4.ts";
import type { Lease4 } from "../../dhcpsrv/leases/lease4.ts";
import type { PointSpecs } from "../../dhcpsrv/processing/family.ts";
import { callHook } from "../../dhcpsrv/processing/hook-point.ts";
import type { Exchange4 } from "../exchange.ts";

export function releaseOrDecline(ex: Exchange4): void | Promise<void> {
  const type = ex.query.getType();
  if (type === DHCPMessageType.DHCPRELEASE) return release(ex);
  if (type === DHCPMessageType.DHCPDECLINE) return decline(ex);
}

/**
 * Kea's processRelease: the lease of ciaddr, if it is the client's (by the client identifier the
 * RELEASE carries, else its chaddr), goes to lease4_release; anything else is ignored.
 */
function release(ex: Exchange4): void | Promise<void> {
  const q = ex.query;
  const addr = q.ciaddr;
  const lease = ex.srv.leases.getLease4(addr);
  if (lease === null) {
    ex.dropped = true;
    ex.srv.core.leaseLog.debug(40, "DHCP4_RELEASE_FAIL_NO_LEASE", ex, addr);
    return;
  }
  if (!ownedBy(lease, ex)) {
    ex.dropped = true;
    ex.srv.core.leaseLog.debug(40, "DHCP4_RELEASE_FAIL_WRONG_CLIENT", ex, addr);
    return;
  }
  ex.target = lease;
  return callHook(ex, ex.srv.points.lease4_release);
}

/**
 * Kea's processDecline: the address must be named in option 50 (a DECLINE without it is dropped
 * and counted in pkt4-receive-drop); a lease of it must exist (else DHCP4_DECLINE_LEASE_NOT_FOUND)
 * and be the client's (else DHCP4_DECLINE_LEASE_MISMATCH; a declined lease is nobody's), and then
 * goes to lease4_decline.
 */
function decline(ex: Exchange4): void | Promise<void> {
  const q = ex.query;
  const core = ex.srv.core;
  // (An option 50 of another size than 4 made the packet malformed: see accept.ts.)
  const data = q.getOption(DHO.DHCP_REQUESTED_ADDRESS)?.getData();
  if (data === undefined) {
    ex.dropped = true;
    core.stats.receiveDrop.add(1);
    core.badLog.debug(15, "DHCP4_PACKET_DROP_0007", ex, "DECLINE without option 50");
    return;
  }
  const addr = ipv4ToString(data.readUInt32BE(0));
  const lease = ex.srv.leases.getLease4(addr);
  if (lease === null) {
    ex.dropped = true;
    core.leaseLog.warn("DHCP4_DECLINE_LEASE_NOT_FOUND", addr, ex);
    return;
  }
  if (!ownedBy(lease, ex)) {
    ex.dropped = true;
    const cid = q.getClientId();
    core.leaseLog.warn(
      "DHCP4_DECLINE_LEASE_MISMATCH",
      addr,
      ex,
      q.hlen > 0 ? q.getHWAddr().toText(false) : "(none)",
      lease.hwaddr === null ? "(none)" : lease.hwaddr.toText(false),
      cid === null ? "(none)" : cid.toText(),
      lease.clientId === null ? "(none)" : hexColons(lease.clientId),
    );
    return;
  }
  ex.target = lease;
  return callHook(ex, ex.srv.points.lease4_decline);
}

function hexColons(b: Uint8Array): string {
  return Buffer.from(b)
    .toString("hex")
    .replace(/(..)(?!$)/g, "$1:");
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

/**
 * Whether the lease is the client's: by the client identifier the query carries, whatever the
 * subnet's match-client-id (as Kea: no subnet is selected for RELEASE and DECLINE), else by
 * chaddr.
 */
function ownedBy(lease: Lease4, ex: Exchange4): boolean {
  const q = ex.query;
  const cid = q.getClientId();
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
