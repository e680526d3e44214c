/**
 * The leases of each subnet, in Kea's memfile order: the order in which `leaseN-get-all` with
 * `subnets` lists them. Kea files leases in a subnet index that sorts by subnet id alone and keeps
 * equal ids in the order they came (a Boost ordered non-unique index). A lease changed in place
 * keeps its position; a lease moved to another subnet stays where it is when the new id still
 * sorts between its neighbours, else goes after that subnet's leases. So the last lease of a
 * subnet moved to the next subnet that has leases becomes that subnet's first.
 */
export type SubnetSets<E> = Map<number, Set<E>>;

export function addToSubnet<E>(index: SubnetSets<E>, subnetId: number, e: E): void {
  let set = index.get(subnetId);
  if (set === undefined) index.set(subnetId, (set = new Set()));
  set.add(e);
}

/** Moves `e` from subnet `from` to subnet `to` (a rare change: it may walk the subnets). */
export function moveToSubnet<E>(index: SubnetSets<E>, e: E, from: number, to: number): void {
  const fromSet = index.get(from);
  let lastOfFrom = false;
  if (fromSet !== undefined) {
    let last: E | undefined;
    for (const x of fromSet) last = x;
    lastOfFrom = last === e;
    fromSet.delete(e);
  }
  let next = Infinity;
  if (to > from && lastOfFrom) {
    for (const [id, set] of index) if (id > from && id < next && set.size > 0) next = id;
  }
  const toSet = index.get(to);
  if (to === next && toSet !== undefined) {
    index.set(to, new Set([e, ...toSet]));
  } else {
    addToSubnet(index, to, e);
  }
}
