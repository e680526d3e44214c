/**
 * A DHCPv6 subnet's pools matched on an address's 16 bytes, as a lease store kept as columns
 * holds them: no text, no BigInt per address. Built once per configuration from the pools'
 * BigInt bounds; `Subnet6.poolOfLease` is the same rule on text.
 */
import { LeaseType6 } from "../leases/lease6.ts";
import { bigToBytes16, type Subnet6 } from "./subnet6.ts";

/**
 * A prefix as 17 bytes: its 16 bytes with the bits past its length zeroed, then its length (what
 * `inPrefixBytes` compares against).
 */
export function prefixBytes(prefix: bigint, len: number): Uint8Array {
  const out = new Uint8Array(17);
  out.set(bigToBytes16(prefix));
  const whole = len >> 3;
  if (whole < 16) out[whole]! &= (0xff << (8 - (len & 7))) & 0xff;
  out.fill(0, whole + 1, 16);
  out[16] = len;
  return out;
}

/** Whether the 16 bytes of `b` at `at` are in `p` (made by `prefixBytes`). */
export function inPrefixBytes(b: Uint8Array, at: number, p: Uint8Array): boolean {
  const len = p[16]!;
  const whole = len >> 3;
  for (let i = 0; i < whole; i++) if (b[at + i] !== p[i]) return false;
  const rest = len & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (b[at + whole]! & mask) === p[whole];
}

/** Whether every bit of the 16 bytes of `b` at `at` past the first `len` is 0. */
function zeroPast(b: Uint8Array, at: number, len: number): boolean {
  const whole = len >> 3;
  const rest = len & 7;
  if (rest !== 0 && (b[at + whole]! & (0xff >> rest)) !== 0) return false;
  for (let i = whole + (rest === 0 ? 0 : 1); i < 16; i++) if (b[at + i] !== 0) return false;
  return true;
}

/** -1, 0 or 1 as the 16 bytes of `a` at `ao` are below, equal to or above those of `b`. */
function compare16(a: Uint8Array, ao: number, b: Uint8Array): number {
  for (let i = 0; i < 16; i++) {
    const d = a[ao + i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * Where a lease of a subnet goes among its pools, on bytes: the index of its pool in the
 * subnet's address pools followed by its pd-pools (as the statistics number them), -1 when none
 * holds it. The pool of index `hint` (the lease's pool id) is tried first, then each in order,
 * as `Subnet6.poolOfLease`.
 */
export type PoolOfBytes6 = (
  type: number,
  b: Uint8Array,
  at: number,
  prefixLen: number,
  hint: number,
) => number;

export function poolOfBytes6(subnet: Subnet6): PoolOfBytes6 {
  const starts = subnet.pools.map((p) => bigToBytes16(p.start));
  const ends = subnet.pools.map((p) => bigToBytes16(p.end));
  const prefixes = subnet.pdPools.map((p) => prefixBytes(p.prefix, p.prefixLen));
  const delegated = subnet.pdPools.map((p) => p.delegatedLen);
  const nas = starts.length;
  const inPool = (i: number, b: Uint8Array, at: number) =>
    compare16(b, at, starts[i]!) >= 0 && compare16(b, at, ends[i]!) <= 0;
  const inPdPool = (i: number, b: Uint8Array, at: number, len: number) =>
    len === delegated[i] && inPrefixBytes(b, at, prefixes[i]!) && zeroPast(b, at, len);
  return (type, b, at, prefixLen, hint) => {
    if (type === LeaseType6.IA_PD) {
      if (hint < prefixes.length && inPdPool(hint, b, at, prefixLen)) return nas + hint;
      for (let i = 0; i < prefixes.length; i++) if (inPdPool(i, b, at, prefixLen)) return nas + i;
      return -1;
    }
    if (hint < nas && inPool(hint, b, at)) return hint;
    for (let i = 0; i < nas; i++) if (inPool(i, b, at)) return i;
    return -1;
  };
}
