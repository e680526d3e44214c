/**
 * Active/active on one lease database: two servers that searched their pools from the same place
 * would offer the same free addresses at the same moments, and one of each pair of REQUESTs would
 * lose at commit. A server that knows another shares the database starts its iterative search at
 * a random place in each pool instead (the leases the others write reach it by notification, so
 * it skips them as its own); and when a commit loses leases to another server, their two searches
 * have met (the one behind skips the other's leases up to the same next free address), so the
 * pools of the lost leases start again elsewhere.
 *
 * What differs between DHCPv4 and DHCPv6 is only how a pool is listed, tested and moved: the
 * family gives that (src/dhcp4/server.ts, src/dhcp6/server.ts).
 */

/** How a family's pools are found, tested against a lost lease, and moved. */
export interface CursorSpreading<M, P, K> {
  /** Every pool of the model with an iterative search (addresses, and prefixes in v6). */
  pools(model: M): Iterable<P>;
  /** Whether the pool holds the lease of this key (as the store reports lost leases). */
  holds(pool: P, key: K): boolean;
  /** Moves the pool's search to a random place in it. */
  spread(pool: P): void;
}

/** The store's side: whether a peer was seen, and its two callbacks. */
export interface PeerAwareStore<K> {
  readonly peerSeen: boolean;
  onPeer: (() => void) | null;
  onConflict: ((keys: readonly K[]) => void) | null;
}

/** Spreads every pool's search, or (`lost` given) those of the pools holding the lost leases. */
export function spreadCursors<M, P, K>(
  how: CursorSpreading<M, P, K>,
  model: M,
  lost: readonly K[] | null = null,
): void {
  for (const pool of how.pools(model)) {
    if (lost === null || lost.some((k) => how.holds(pool, k))) how.spread(pool);
  }
}

/**
 * Wires a database store to the model in use (`current`, read at each event): every pool spread
 * when a peer is first seen (at once when already seen, on `initial`), those of lost leases after
 * a conflict.
 */
export function spreadWithPeers<M, P, K>(
  store: PeerAwareStore<K>,
  how: CursorSpreading<M, P, K>,
  current: () => M,
  initial: M,
): void {
  store.onPeer = () => spreadCursors(how, current());
  store.onConflict = (lost) => spreadCursors(how, current(), lost);
  if (store.peerSeen) spreadCursors(how, initial);
}
