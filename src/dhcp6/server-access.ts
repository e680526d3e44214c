/**
 * What nestor-dhcp6 offers its hook libraries beyond the framework: the lease store it uses and
 * its subnets, as Kea's libraries reach them through `LeaseMgrFactory::instance()` and
 * `CfgMgr::instance().getCurrentCfg()`. A library gets it with `dhcp6Server(handle)` from
 * `nestor/dhcp6` (handle: its LibraryHandle, or `calloutHandle.getLibraryHandle()`).
 */
import type { LibraryHandle } from "../hooks/callout-handle.ts";
import { InvalidOperation } from "../util/errors.ts";
import type { LeaseStore6 } from "../dhcpsrv/leases/lease-store6.ts";
import type { Subnet6 } from "../dhcpsrv/model/subnet6.ts";

export class Dhcp6ServerAccess {
  readonly family = 6;
  private readonly currentLeases: () => LeaseStore6;
  private readonly currentSubnets: () => readonly Subnet6[];
  private readonly currentById: () => ReadonlyMap<number, Subnet6>;

  constructor(
    leases: () => LeaseStore6,
    subnets: () => readonly Subnet6[],
    byId: () => ReadonlyMap<number, Subnet6>,
  ) {
    this.currentLeases = leases;
    this.currentSubnets = subnets;
    this.currentById = byId;
  }

  /**
   * The lease store in use now (a new one when `lease-database` changes). Changes made through
   * it are the server's own: call its `flush()` before answering, and they are on disk.
   */
  get leases(): LeaseStore6 {
    return this.currentLeases();
  }

  /** The configured subnets by increasing id, as Kea's (shared networks' subnets included). */
  get subnets(): readonly Subnet6[] {
    return this.currentSubnets();
  }

  /** The configured subnet of this id, or undefined. */
  getSubnet(id: number): Subnet6 | undefined {
    return this.currentById().get(id);
  }

  /** The first configured subnet whose prefix holds the address (a 128-bit number), or undefined. */
  subnetFor(address: bigint): Subnet6 | undefined {
    for (const s of this.currentSubnets()) if (s.inRange(address)) return s;
    return undefined;
  }
}

/** nestor-dhcp6's access for the library of `handle`; throws InvalidOperation elsewhere. */
export function dhcp6Server(handle: LibraryHandle): Dhcp6ServerAccess {
  const server = handle.getServer();
  if (!(server instanceof Dhcp6ServerAccess)) {
    throw new InvalidOperation("this library needs nestor-dhcp6's lease store and subnets");
  }
  return server;
}
