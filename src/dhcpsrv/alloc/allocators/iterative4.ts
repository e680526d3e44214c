/**
 * Kea's iterative allocator for DHCPv4 (Kea 2.2's only one, and the default of later versions).
 */
import type { Subnet4 } from "../../model/subnet4.ts";

/**
 * One pick: the pool holding the subnet's last pick goes on from its own last pick (the first
 * allowed pool when that pool is not allowed or there is none); at a pool's end the pool starts
 * afresh and the next allowed pools are tried in order, each from its own last pick; past the
 * last one, the first allowed pool's first address. 0 when no pool is allowed.
 */
export function pickIterative4(subnet: Subnet4, classes: ReadonlySet<string>): number {
  const pools = subnet.pools;
  let first = -1;
  let i = 0;
  for (; i < pools.length; i++) {
    const p = pools[i]!;
    if (!p.allows(classes)) continue;
    if (first < 0) first = i;
    if (p.inRange(subnet.cursor)) break;
  }
  if (first < 0) return 0;
  if (i === pools.length) i = first;
  for (;;) {
    const p = pools[i]!;
    if (p.cursor < p.end) {
      p.cursor = p.cursor < p.start ? p.start : p.cursor + 1;
      subnet.cursor = p.cursor;
      return p.cursor;
    }
    p.cursor = p.start - 1; // passed its end: fresh again
    for (i++; i < pools.length && !pools[i]!.allows(classes); i++);
    if (i === pools.length) break;
  }
  const p = pools[first]!;
  p.cursor = p.start;
  subnet.cursor = p.start;
  return p.start;
}
