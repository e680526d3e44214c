/**
 * A shared network of the runtime model, the same for both families: its name, its subnets in
 * subnet id order (the order Kea walks them in), and the levels of its own that add to its
 * subnets' rather than being replaced by them: its options (between the subnet's and the
 * classes'), its class guard (a client must pass it and the subnet's) and its required classes
 * (evaluated before the subnet's). The keys its subnets inherit are folded into each subnet when
 * the model is built (src/dhcpsrv/config/shared-networks.ts).
 */
import { guardAllows, type ClassGuard, type RequiredClass } from "../classify/client-classes.ts";
import type { CfgOption } from "./cfg-option.ts";

/** What the walk needs of a subnet. */
export interface NetworkMember {
  readonly id: number;
  /** See recordPick, by lease type. */
  readonly lastPick: number[];
  /** The subnet's class guard as written. */
  readonly guardKey: string;
  /** The subnet's own class guard passes (the network's is checked by the network). */
  ownAllows(classes: ReadonlySet<string>): boolean;
}

export class SharedNetwork<S extends NetworkMember> {
  readonly name: string;
  readonly options: CfgOption;
  readonly guard: ClassGuard;
  readonly requiredClasses: readonly RequiredClass[];
  /** The subnets, by increasing subnet id. */
  readonly subnets: S[] = [];

  constructor(
    name: string,
    options: CfgOption,
    guard: ClassGuard,
    requiredClasses: readonly RequiredClass[],
  ) {
    this.name = name;
    this.options = options;
    this.guard = guard;
    this.requiredClasses = requiredClasses;
  }

  /** Adds a subnet, keeping the id order. */
  add(subnet: S): void {
    let i = this.subnets.length;
    while (i > 0 && this.subnets[i - 1]!.id > subnet.id) i--;
    this.subnets.splice(i, 0, subnet);
  }

  /** The network's own guard passes. */
  allows(classes: ReadonlySet<string>): boolean {
    return this.guard === null || guardAllows(this.guard, classes);
  }

  /**
   * Kea's getPreferredSubnet: of the subnets with the same class guard as `selected`, the one
   * the allocator picked from most recently for this lease type (`selected` if none is newer).
   */
  preferred(selected: S, type: number): S {
    let best = selected;
    for (const s of this.subnets) {
      if (s.guardKey === selected.guardKey && s.lastPick[type]! > best.lastPick[type]!) best = s;
    }
    return best;
  }

  /**
   * Kea's getNextSubnet: the subnet after `current` in id order, going round, skipping those a
   * client of these classes may not use; null once back at `first`.
   */
  next(first: S, current: S, classes: ReadonlySet<string>): S | null {
    const list = this.subnets;
    const n = list.length;
    let i = list.indexOf(current);
    if (i < 0) return null;
    for (let k = 0; k < n; k++) {
      i = (i + 1) % n;
      const s = list[i]!;
      if (s === first) return null;
      if (s.ownAllows(classes) && this.allows(classes)) return s;
    }
    return null;
  }
}

/**
 * The next subnet of a walk over `first`'s network (Kea's Subnet::getNextSubnet): null outside a
 * network or once the walk is back at `first`. A walk: `for (let s = first; s !== null; s =
 * nextSubnet(first, s, classes))`.
 */
export function nextSubnet<S extends NetworkMember & { network: SharedNetwork<S> | null }>(
  first: S,
  current: S,
  classes: ReadonlySet<string>,
): S | null {
  const net = first.network;
  return net === null ? null : net.next(first, current, classes);
}

let picks = 0;

/** Marks the subnet as the one the allocator picked from last, for this lease type. */
export function recordPick(subnet: { readonly lastPick: number[] }, type: number): void {
  subnet.lastPick[type] = ++picks;
}
