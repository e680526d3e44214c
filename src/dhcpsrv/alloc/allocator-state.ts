/**
 * The iterative allocator's position survives a reconfiguration. A new configuration builds new
 * pool objects; without this, allocation would restart at each pool's first address and hand
 * out again an address just offered to a client that has not sent its REQUEST yet (seen under
 * perfdhcp load during config-set: a few NAKs per reconfiguration).
 */
interface CursorPool<C> {
  cursor: C;
  toText(): string;
}

/** A subnet with pools, and (v4) a cursor of its own: the last address picked in it. */
interface CursorSubnet<C, P> {
  id: number;
  pools: readonly P[];
  cursor?: C;
}

/**
 * Copies each pool's cursor to the pool of the same subnet id and range in the new model, and
 * a subnet's own cursor to the subnet of the same id.
 */
export function carryCursors<C, P extends CursorPool<C>>(
  from: readonly CursorSubnet<C, P>[],
  to: readonly CursorSubnet<C, P>[],
): void {
  const old = new Map(from.map((s) => [s.id, s]));
  for (const subnet of to) {
    const before = old.get(subnet.id);
    if (before === undefined) continue;
    if (before.cursor !== undefined && subnet.cursor !== undefined) subnet.cursor = before.cursor;
    const byRange = new Map(before.pools.map((p) => [p.toText(), p]));
    for (const pool of subnet.pools) {
      const prev = byRange.get(pool.toText());
      if (prev !== undefined) pool.cursor = prev.cursor;
    }
  }
}
