/**
 * The options of one IA of the response: the addresses and prefixes granted, those the client may
 * no longer use (lifetimes 0), the IA's status code and its T1/T2.
 */
import { D6O } from "../../dhcp/constants.ts";
import { Option } from "../../dhcp/option.ts";
import { type Option6IA, Option6IAAddr, Option6IAPrefix } from "../../dhcp/option6-ia.ts";
import { Option6StatusCode, StatusCode } from "../../dhcp/option6-status-code.ts";
import type { Hint6 } from "../../dhcpsrv/alloc/alloc-engine6.ts";
import { LeaseType6, type Lease6 } from "../../dhcpsrv/leases/lease6.ts";
import { type Subnet6, bytesToBig } from "../../dhcpsrv/model/subnet6.ts";
import type { IaWork } from "../exchange.ts";

const { IA_PD } = LeaseType6;

/** The addresses and prefixes the client put in an IA, as hints to the allocation engine. */
export function hintsOf(ia: Option6IA): Hint6[] {
  const out: Hint6[] = [];
  for (const o of ia.getOptions()) {
    if (o instanceof Option6IAAddr) {
      out.push({
        address: o.getAddress(),
        prefixLen: 128,
        preferred: o.getPreferred(),
        valid: o.getValid(),
      });
    } else if (o instanceof Option6IAPrefix) {
      out.push({
        address: o.getAddress(),
        prefixLen: o.getLength(),
        preferred: o.getPreferred(),
        valid: o.getValid(),
      });
    }
  }
  return out;
}

function holds(leases: readonly Lease6[], address: string): boolean {
  for (const l of leases) if (l.address === address) return true;
  return false;
}

export function addLease(w: IaWork, lease: Lease6): void {
  w.rsp.addOption(
    lease.type === IA_PD
      ? Option6IAPrefix.create(
          lease.address,
          lease.prefixLen,
          lease.preferredLifetime,
          lease.validLifetime,
        )
      : Option6IAAddr.create(lease.address, lease.preferredLifetime, lease.validLifetime),
  );
}

/** An address or prefix the client may no longer use: lifetimes 0 (RFC 8415 18.3.4). */
export function addZeroed(w: IaWork, address: string, prefixLen: number): void {
  if (address === "::") return;
  w.rsp.addOption(
    w.type === IA_PD
      ? Option6IAPrefix.create(address, prefixLen === 128 ? 0 : prefixLen, 0, 0)
      : Option6IAAddr.create(address, 0, 0),
  );
}

/** The hints of the IA that are not the client's leases, with lifetimes 0. */
export function zeroUnheld(w: IaWork, own: readonly Lease6[]): void {
  for (const h of w.hints) if (!holds(own, h.address)) addZeroed(w, h.address, h.prefixLen);
}

/**
 * As Kea's extendIA_NA / extendIA_PD, after the leases granted: the client's leases removed (even
 * one whose address the IA was granted again, from its hint), then the hints of the IA that the
 * response does not grant, with lifetimes 0.
 */
export function zeroNotGranted(w: IaWork, removed: readonly Lease6[]): void {
  const listed = new Set<string>();
  for (const o of w.rsp.getOptions()) {
    if ((o instanceof Option6IAAddr || o instanceof Option6IAPrefix) && o.getValid() > 0) {
      listed.add(o.getAddress());
    }
  }
  const zeroed = new Set<string>();
  for (const l of removed) {
    if (!zeroed.has(l.address)) {
      addZeroed(w, l.address, l.prefixLen);
      zeroed.add(l.address);
      listed.add(l.address);
    }
  }
  for (const h of w.hints) {
    if (!listed.has(h.address)) {
      addZeroed(w, h.address, h.prefixLen);
      listed.add(h.address);
    }
  }
}

/**
 * The status of an IA that gets nothing: SOLICIT and REQUEST (Kea's assignIA_NA / assignIA_PD),
 * RENEW and REBIND (extendIA_NA / extendIA_PD) each with Kea's own text.
 */
export function noLease(w: IaWork, extending: boolean): void {
  if (w.type === IA_PD) {
    const text = extending
      ? "Sorry, no prefixes could be assigned at this time."
      : "Sorry, no prefixes could be allocated.";
    setIaStatus(w, StatusCode.NoPrefixAvail, text);
  } else {
    const text = extending
      ? "Sorry, no addresses could be assigned at this time."
      : "Sorry, no address could be allocated.";
    setIaStatus(w, StatusCode.NoAddrsAvail, text);
  }
}

export function setIaStatus(w: IaWork, code: number, message: string): void {
  w.rsp.delOption(D6O.STATUS_CODE);
  w.rsp.addOption(Option6StatusCode.create(code, message));
}

/**
 * T1/T2 of an IA from the shortest preferred lifetime it carries (Kea's setTeeTimes): configured
 * timers, else calculated when calculate-tee-times is on; T1 only when below T2. Left alone when
 * the IA holds no lease or a callout already set them.
 */
export function setTeeTimes(ia: Option6IA, s: Subnet6): void {
  if (ia.getT1() !== 0 || ia.getT2() !== 0) return;
  let preferred = -1;
  for (const o of ia.getOptions()) {
    const p = o instanceof Option6IAAddr || o instanceof Option6IAPrefix ? o.getPreferred() : -1;
    if (p > 0 && (preferred < 0 || p < preferred)) preferred = p;
  }
  if (preferred <= 0) return;
  let t2 = 0;
  if (s.rebindTimer !== undefined) t2 = s.rebindTimer;
  else if (s.calculateTeeTimes) t2 = Math.round(preferred * s.t2Percent);
  let t1 = 0;
  if (s.renewTimer !== undefined) t1 = s.renewTimer;
  else if (s.calculateTeeTimes) t1 = Math.round(preferred * s.t1Percent);
  ia.setT2(t2);
  if (t1 < t2 || t2 === 0) ia.setT1(t1);
}

/**
 * Option 67, PD exclude (RFC 6603 section 4.2), for a prefix delegated with length
 * `delegatedLen`: the excluded prefix's length, then its bits after the delegated length (the
 * IPv6 subnet ID), left-aligned in whole bytes.
 */
export function pdExcludeOption(
  delegatedLen: number,
  excludedPrefix: bigint,
  excludedLen: number,
): Option {
  const bits = excludedLen - delegatedLen;
  const bytes = Math.ceil(bits / 8);
  const out = Buffer.alloc(1 + bytes);
  out[0] = excludedLen;
  let id = (excludedPrefix >> BigInt(128 - excludedLen)) & ((1n << BigInt(bits)) - 1n);
  id <<= BigInt(bytes * 8 - bits);
  for (let i = bytes; i >= 1; i--) {
    out[i] = Number(id & 0xffn);
    id >>= 8n;
  }
  return new Option(6, D6O.PD_EXCLUDE, out);
}

/**
 * Kea's PD exclude: when the client's ORO asks for option 67, every prefix delegated (lifetimes
 * above 0) from a pd-pool with an excluded prefix carries option 67.
 */
export function addPdExcludes(w: IaWork, s: Subnet6): void {
  for (const o of w.rsp.getOptions()) {
    if (!(o instanceof Option6IAPrefix) || o.getValid() === 0) continue;
    if (o.getOption(D6O.PD_EXCLUDE) !== undefined) continue;
    const pool = s.pdPoolFor(addressNumber(o), o.getLength());
    if (pool === undefined || pool.excludedLen === 0) continue;
    o.addOption(pdExcludeOption(o.getLength(), pool.excludedPrefix, pool.excludedLen));
  }
}

/** The address or prefix of an IAADDR or IAPREFIX as a number, read from its bytes (no text). */
export function addressNumber(o: Option6IAAddr | Option6IAPrefix): bigint {
  return bytesToBig(o.getData(), o instanceof Option6IAAddr ? 0 : 9);
}

export function leaseText(lease: Lease6): string {
  return lease.type === IA_PD ? `${lease.address}/${lease.prefixLen}` : lease.address;
}
