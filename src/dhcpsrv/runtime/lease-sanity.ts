/**
 * `sanity-checks.lease-checks`, applied to each lease as the lease file is loaded, as Kea 2.2
 * does: a lease is sane when the subnet its subnet-id names holds its address. Otherwise the
 * subnet that holds the address (if any) is the one the lease belongs to, and the mode says:
 *
 *   none     nothing is checked
 *   warn     the lease is kept as it is, with a warning (the default)
 *   fix      moved to the subnet holding its address; kept as it is (warning) when none does
 *   fix-del  moved as fix does; dropped when no subnet holds its address
 *   del      dropped
 *
 * A lease moved or dropped changes what is loaded, not the file (the next cleanup writes what
 * the server holds), as in Kea. Message IDs are Kea's.
 */
import { defineMessages, type Logger } from "../../log/logger.ts";
import { inPrefixBytes, prefixBytes } from "../model/pool-bytes6.ts";

defineMessages({
  DHCPSRV_LEASE_SANITY_FAIL: "the lease %1 with subnet-id %2 failed the subnet-id check (%3)",
  DHCPSRV_LEASE_SANITY_FIXED:
    "the lease %1 with subnet-id %2 failed the subnet-id check and was moved to subnet-id %3",
  DHCPSRV_LEASE_SANITY_FAIL_DISCARD:
    "the lease %1 with subnet-id %2 failed the subnet-id check (%3) and was dropped",
});

export type LeaseCheckMode = "none" | "warn" | "fix" | "fix-del" | "del";

/** What the check reads of a subnet: its id and whether it holds an address. */
export interface SanitySubnet<A> {
  readonly id: number;
  inRange(address: A): boolean;
}

/**
 * What the check reads and changes of a lease; a store kept as columns also gives the address's
 * bytes (`addressBytes` from `addressOffset`), for a `quick` check that makes no text.
 */
export interface SanityLease {
  readonly address: string;
  subnetId: number;
  readonly addressBytes?: Uint8Array;
  readonly addressOffset?: number;
  /** A v4 store kept as columns: the address as an unsigned 32-bit number. */
  readonly addressNumber?: number;
}

/**
 * The check of a loaded lease: false when it is to be dropped (its subnet-id may have been
 * changed); null when the mode checks nothing. `parse` turns a lease's address into what the
 * subnets' inRange takes; `quick`, when given, passes a sane lease without it (a million leases
 * load at start: no text and no number made for each).
 */
export function leaseSanityCheck<A>(
  mode: LeaseCheckMode,
  subnets: readonly SanitySubnet<A>[],
  parse: (address: string) => A,
  log: Logger,
  quick?: (lease: SanityLease) => boolean,
): ((lease: SanityLease) => boolean) | null {
  if (mode === "none") return null;
  const byId = new Map(subnets.map((s) => [s.id, s]));
  return (lease) => {
    // `quick`: true when the subnet of the lease's subnet-id surely holds its address.
    if (quick?.(lease) === true) return true;
    const address = parse(lease.address);
    if (byId.get(lease.subnetId)?.inRange(address) === true) return true;
    const holder = subnets.find((s) => s.inRange(address));
    const why =
      holder === undefined
        ? "no configured subnet holds its address"
        : `its address is in subnet-id ${holder.id}`;
    if (mode === "warn" || (mode === "fix" && holder === undefined)) {
      log.warn("DHCPSRV_LEASE_SANITY_FAIL", lease.address, lease.subnetId, why);
      return true;
    }
    if ((mode === "fix" || mode === "fix-del") && holder !== undefined) {
      log.info("DHCPSRV_LEASE_SANITY_FIXED", lease.address, lease.subnetId, holder.id);
      lease.subnetId = holder.id;
      return true;
    }
    log.info("DHCPSRV_LEASE_SANITY_FAIL_DISCARD", lease.address, lease.subnetId, why);
    return false;
  };
}

/**
 * The quick form of the v4 lease check: true when the lease's address as a number (given by a
 * store kept as columns) is in the subnet its subnet-id names. False sends the lease to the full
 * check.
 */
export function numberCheck4(
  subnets: readonly SanitySubnet<number>[],
): (lease: SanityLease) => boolean {
  const byId = new Map(subnets.map((s) => [s.id, s]));
  return (lease) => {
    const a = lease.addressNumber;
    return a !== undefined && byId.get(lease.subnetId)?.inRange(a) === true;
  };
}

/**
 * The quick form of the v6 lease check: true when the lease's address bytes (given by a store
 * kept as columns) are in the prefix of the subnet its subnet-id names, or of one of its prefix
 * pools. False sends the lease to the full check.
 */
export function prefixCheck6(subnets: readonly unknown[]): (lease: SanityLease) => boolean {
  type Prefixed = { prefix: bigint; prefixLen: number };
  const byId = new Map<number, Uint8Array[]>();
  for (const s of subnets as (Prefixed & { id: number; pdPools?: Prefixed[] })[]) {
    byId.set(
      s.id,
      [s, ...(s.pdPools ?? [])].map((p) => prefixBytes(p.prefix, p.prefixLen)),
    );
  }
  return (lease) => {
    const bytes = lease.addressBytes;
    const prefixes = byId.get(lease.subnetId);
    if (bytes === undefined || prefixes === undefined) return false;
    const at = lease.addressOffset ?? 0;
    for (const p of prefixes) if (inPrefixBytes(bytes, at, p)) return true;
    return false;
  };
}
