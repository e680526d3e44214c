/**
 * The bytes of a store's identifiers (DUIDs, hardware addresses, client ids) in one growable
 * array: each record keeps an offset and a length (`ByteRefs`), no Buffer per lease. A removed
 * or replaced identifier leaves its bytes behind as garbage; once garbage is more than half of
 * the arena, `compact` copies the live slices into a new arena and moves the records' offsets.
 */
import type { RecordKeys, RecordProbe } from "./record-hash.ts";
import { type Column, grown, hashBytes } from "./record-table.ts";

/** `len` of a record that holds no identifier (null, not empty). */
export const NONE = 0xffff;

/**
 * One identifier column of a store: its records' offsets and lengths (NONE: no identifier; a
 * new record holds an empty one until it is set).
 */
export class ByteRefs {
  off: Int32Array;
  len: Uint16Array;

  constructor(capacity: number) {
    this.off = new Int32Array(capacity);
    this.len = new Uint16Array(capacity);
  }

  grow(capacity: number): void {
    this.off = grown(this.off, capacity);
    this.len = grown(this.len, capacity);
  }

  /** How many bytes record r holds (0 for none). */
  bytesOf(r: number): number {
    const len = this.len[r]!;
    return len === NONE ? 0 : len;
  }
}

const MIN_COMPACT = 1 << 16;

export class ByteArena {
  bytes: Uint8Array;
  used = 0;
  private garbage = 0;

  constructor(capacity = 1 << 12) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Stores `len` bytes of `src` from `start`; returns their offset. */
  add(src: Uint8Array, start: number, len: number): number {
    const at = this.used;
    if (at + len > this.bytes.length) {
      let cap = this.bytes.length * 2;
      while (cap < at + len) cap *= 2;
      this.bytes = grown(this.bytes, cap);
    }
    const b = this.bytes;
    for (let i = 0; i < len; i++) b[at + i] = src[start + i]!;
    this.used = at + len;
    return at;
  }

  /** True when the `len` bytes at `off` are those of `src` from `start` (`srcLen` of them). */
  equals(off: number, len: number, src: Uint8Array, start: number, srcLen: number): boolean {
    if (len !== srcLen) return false;
    const b = this.bytes;
    for (let i = 0; i < len; i++) if (b[off + i] !== src[start + i]) return false;
    return true;
  }

  /** Record `r` of `refs` takes `len` bytes of `src` (null: `len` < 0); its old ones are garbage. */
  set(refs: ByteRefs, r: number, src: Uint8Array, start: number, len: number): void {
    const old = refs.len[r]!;
    if (len < 0) {
      this.clear(refs, r);
      return;
    }
    if (old !== NONE) {
      if (this.equals(refs.off[r]!, old, src, start, len)) return;
      this.garbage += old;
    }
    refs.off[r] = this.add(src, start, len);
    refs.len[r] = len;
  }

  /** Record `r` of `refs` no longer holds bytes. */
  clear(refs: ByteRefs, r: number): void {
    const old = refs.len[r]!;
    if (old !== NONE) this.garbage += old;
    refs.off[r] = 0;
    refs.len[r] = NONE;
  }

  /**
   * The bytes record `r` of `refs` holds, null for none, in a scratch array of exactly their
   * length that the next call overwrites: for a constructor that copies them (Lease4, Lease6 and
   * HWAddr each copy once), so that making a lease from a record makes one array per identifier.
   */
  scratch(refs: ByteRefs, r: number): Uint8Array | null {
    const len = refs.len[r]!;
    if (len === NONE) return null;
    const view = this.scratchOf(len);
    const b = this.bytes;
    const off = refs.off[r]!;
    for (let i = 0; i < len; i++) view[i] = b[off + i]!;
    return view;
  }

  /** One view per length of one scratch buffer, made on first use. */
  private readonly views: Uint8Array[] = [];
  private scratchBuffer = new Uint8Array(256);

  private scratchOf(len: number): Uint8Array {
    if (len > this.scratchBuffer.length) {
      this.scratchBuffer = new Uint8Array(Math.max(len, 2 * this.scratchBuffer.length));
      this.views.length = 0;
    }
    return (this.views[len] ??= this.scratchBuffer.subarray(0, len));
  }

  /**
   * When garbage is more than half the arena: a new arena with the live slices of every record
   * below `top` whose `used` entry is set, in every column of `all`.
   */
  compactIfWasteful(all: readonly ByteRefs[], used: Column, top: number): void {
    if (this.used < MIN_COMPACT || this.garbage * 2 < this.used) return;
    const old = this.bytes;
    const next = new Uint8Array(Math.max(1 << 12, (this.used - this.garbage) * 2));
    let at = 0;
    for (const refs of all) {
      for (let r = 0; r < top; r++) {
        const len = refs.len[r]!;
        if (used[r] === 0 || len === NONE) continue;
        const off = refs.off[r]!;
        next.set(old.subarray(off, off + len), at);
        refs.off[r] = at;
        at += len;
      }
    }
    this.bytes = next;
    this.used = at;
    this.garbage = 0;
  }
}

/** A hash index's view of one identifier column: records keyed by their bytes. */
export function arenaKeys(arena: ByteArena, refs: ByteRefs): RecordKeys {
  return {
    hashOf: (r) => hashBytes(arena.bytes, refs.off[r]!, refs.len[r]!),
    sameKey: (a, b) =>
      arena.equals(refs.off[a]!, refs.len[a]!, arena.bytes, refs.off[b]!, refs.len[b]!),
  };
}

/** A lookup by identifier: whether record r's bytes in `refs` are the `len` bytes of `key`. */
export class ArenaProbe implements RecordProbe {
  key: Uint8Array = new Uint8Array(0);
  len = 0;
  private readonly arena: ByteArena;
  private readonly refs: ByteRefs;

  constructor(arena: ByteArena, refs: ByteRefs) {
    this.arena = arena;
    this.refs = refs;
  }

  /** Sets the key; returns its hash. */
  set(key: Uint8Array): number {
    this.key = key;
    this.len = key.length;
    return hashBytes(key, 0, key.length);
  }

  matches(r: number): boolean {
    return this.arena.equals(this.refs.off[r]!, this.refs.len[r]!, this.key, 0, this.len);
  }
}
