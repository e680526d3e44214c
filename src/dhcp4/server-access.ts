/**
 * What nestor-dhcp4 offers its hook libraries beyond the framework: the lease store it uses and
 * its subnets, as Kea's libraries reach them through `LeaseMgrFactory::instance()` and
 * `CfgMgr::instance().getCurrentCfg()`. A library gets it with `dhcp4Server(handle)` from
 * `nestor/dhcp4` (handle: its LibraryHandle, or `calloutHandle.getLibraryHandle()`).
 */
import type { LibraryHandle } from "../hooks/callout-handle.ts";
import { InvalidOperation } from "../util/errors.ts";
import type { LeaseStore4 } from "../dhcpsrv/leases/lease-store4.ts";
import type { Subnet4 } from "../dhcpsrv/model/subnet4.ts";

export class Dhcp4ServerAccess {
  readonly family = 4;
  private readonly currentLeases: () => LeaseStore4;
  private readonly currentSubnets: () => readonly Subnet4[];
  private readonly currentById: () => ReadonlyMap<number, Subnet4>;

  constructor(
    leases: () => LeaseStore4,
    subnets: () => readonly Subnet4[],
    byId: () => ReadonlyMap<number, Subnet4>,
  ) {
    this.currentLeases = leases;
    this.currentSubnets = subnets;
    this.currentById = byId;
  }

  /**
   * The lease store in use now (a new one when `lease-database` changes). Changes made through
   * it are the server's own: call its `flush()` before answering, and they are on disk.
   */
  get leases(): LeaseStore4 {
    return this.currentLeases();
  }

  /** The configured subnets by increasing id, as Kea's (shared networks' subnets included). */
  get subnets(): readonly Subnet4[] {
    return this.currentSubnets();
  }

  /** The configured subnet of this id, or undefined. */
  getSubnet(id: number): Subnet4 | undefined {
    return this.currentById().get(id);
  }

  /** The first configured subnet whose prefix holds the address (a 32-bit number), or undefined. */
  subnetFor(address: number): Subnet4 | undefined {
    for (const s of this.currentSubnets()) if (s.inRange(address)) return s;
    return undefined;
  }
}

/** nestor-dhcp4's access for the library of `handle`; throws InvalidOperation elsewhere. */
export function dhcp4Server(handle: LibraryHandle): Dhcp4ServerAccess {
  const server = handle.getServer();
  if (!(server instanceof Dhcp4ServerAccess)) {
    throw new InvalidOperation("this library needs nestor-dhcp4's lease store and subnets");
  }
  return server;
}
