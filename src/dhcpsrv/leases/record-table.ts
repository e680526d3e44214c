/**
 * Record numbers for a store kept as columns (struct of arrays): each lease is a record number,
 * and each of its fields an entry of a typed array indexed by it. Few objects: nothing for the
 * garbage collector to walk or copy, and the memory is the columns.
 *
 * RecordAllocator hands out record numbers: from the free list of removed records first, else the
 * next unused one, doubling the capacity (and telling the owner, which grows its columns) when
 * all are used. `grown` copies a column into a larger one.
 */
import type { JsonObject } from "../../hooks/types.ts";
import type { Lease4Init } from "./lease4.ts";

export type Column = Int32Array | Uint32Array | Uint16Array | Uint8Array | Float64Array | Int8Array;

/** A copy of `col` with room for `capacity` records of `stride` entries each. */
export function grown<T extends Column>(col: T, capacity: number, stride = 1): T {
  const next = new (col.constructor as new (n: number) => T)(capacity * stride);
  next.set(col);
  return next;
}

export class RecordAllocator {
  /** Records the columns have room for. */
  capacity: number;
  /** Records ever handed out: every record number is below it. */
  top = 0;
  /** Records in use. */
  live = 0;
  /** 1 for a record in use. */
  used: Uint8Array;
  private free: Int32Array;
  private freeCount = 0;
  /** While false (a load), removed records are not handed out again until `reuse()`. */
  private reusing = true;
  private readonly onGrow: (capacity: number) => void;

  /** `onGrow(capacity)`: the owner grows its columns to `capacity` records. */
  constructor(capacity: number, onGrow: (capacity: number) => void) {
    this.capacity = Math.max(capacity, 16);
    this.used = new Uint8Array(this.capacity);
    this.free = new Int32Array(16);
    this.onGrow = onGrow;
  }

  alloc(): number {
    let r: number;
    if (this.reusing && this.freeCount > 0) {
      r = this.free[--this.freeCount]!;
    } else {
      if (this.top === this.capacity) this.grow(this.capacity * 2);
      r = this.top++;
    }
    this.used[r] = 1;
    this.live++;
    return r;
  }

  release(r: number): void {
    this.used[r] = 0;
    this.live--;
    if (this.freeCount === this.free.length) this.free = grown(this.free, this.free.length * 2);
    this.free[this.freeCount++] = r;
  }

  /**
   * Until `reuse()`, new records come after every record handed out, so record order is the
   * order in which records were first added (as a Map's insertion order, which a load replays).
   */
  holdFreed(): void {
    this.reusing = false;
  }

  reuse(): void {
    this.reusing = true;
  }

  /** Room for `capacity` records without growing again (a load that knows about how many). */
  reserve(capacity: number): void {
    if (capacity > this.capacity) this.grow(capacity);
  }

  private grow(capacity: number): void {
    this.capacity = capacity;
    this.used = grown(this.used, capacity);
    this.onGrow(capacity);
  }
}

/** 32-bit FNV-1a of `len` bytes of `b` from `off`. */
export function hashBytes(b: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < len; i++) h = Math.imul(h ^ b[off + i]!, 0x01000193);
  return h >>> 0;
}

/** Compares `len` bytes of `a` at `ao` with those of `b` at `bo` (-1, 0, 1). */
export function compareBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, len: number) {
  for (let i = 0; i < len; i++) {
    const d = a[ao + i]! - b[bo + i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/**
 * `records` sorted by the `width` bytes each has in `keys` at record * `width` (big-endian
 * order, or little-endian: a number column's bytes), stable: a least-significant-byte-first radix sort, O(width * n), with the passes over
 * a byte every record shares skipped.
 */
export function radixSortRecords(
  records: Int32Array,
  keys: Uint8Array,
  width: number,
  littleEndian = false,
): Int32Array {
  const n = records.length;
  let src: Int32Array = records;
  let dst: Int32Array = new Int32Array(n);
  const counts = new Int32Array(256);
  for (let pass = 0; pass < width; pass++) {
    const byte = littleEndian ? pass : width - 1 - pass;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[keys[src[i]! * width + byte]!]!++;
    if (n === 0 || counts[keys[src[0]! * width + byte]!] === n) continue;
    let sum = 0;
    for (let v = 0; v < 256; v++) {
      const c = counts[v]!;
      counts[v] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const r = src[i]!;
      dst[counts[keys[r * width + byte]!]!++] = r;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}

const BIG = 255;

/**
 * A column of unsigned numbers nearly always below 255 (a lease's state, pool id, hardware
 * address source): one byte per record, the rare larger values in a map of their records.
 */
export class SmallColumn {
  private bytes: Uint8Array;
  private readonly big = new Map<number, number>();

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  grow(capacity: number): void {
    this.bytes = grown(this.bytes, capacity);
  }

  get(r: number): number {
    const b = this.bytes[r]!;
    return b === BIG ? this.big.get(r)! : b;
  }

  set(r: number, v: number): void {
    if (this.bytes[r] === BIG) this.big.delete(r);
    if (v < BIG) {
      this.bytes[r] = v;
    } else {
      this.bytes[r] = BIG;
      this.big.set(r, v);
    }
  }
}

/** The columns both memfile stores keep under the same names (read by `takeCommon`). */
export interface CommonColumns {
  readonly valid: Uint32Array;
  readonly cltt: Float64Array;
  readonly subnet: Uint32Array;
  readonly pool: SmallColumn;
  readonly state: SmallColumn;
  readonly contexts: ReadonlyMap<number, JsonObject>;
}

/** What both families' lease constructors take from those columns (the same in Lease6Init). */
export type CommonInit = Pick<
  Lease4Init,
  "validLifetime" | "cltt" | "subnetId" | "poolId" | "fqdnFwd" | "fqdnRev" | "state" | "userContext"
>;

/** Record r's common values into a lease's init (its user context the record's own). */
export function takeCommon(
  init: CommonInit,
  c: CommonColumns,
  r: number,
  fwd: boolean,
  rev: boolean,
): void {
  init.validLifetime = c.valid[r]!;
  init.cltt = c.cltt[r]!;
  init.subnetId = c.subnet[r]!;
  init.poolId = c.pool.get(r);
  init.fqdnFwd = fwd;
  init.fqdnRev = rev;
  init.state = c.state.get(r);
  init.userContext = c.contexts.get(r) ?? null;
}
