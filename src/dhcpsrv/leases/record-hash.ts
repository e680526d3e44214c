/**
 * A hash index of a store's records by a key the store reads in its columns (an address's
 * bytes, a DUID's slice of the byte arena): open addressing in an Int32Array of record numbers,
 * linear probing, no object per entry. A lookup hashes the key it is given and asks the store
 * whether a record holds it (`RecordProbe`), so a lookup that finds nothing makes nothing.
 *
 * A unique index holds one record per key. A multi index (several leases of one client) holds
 * the first record of each key in its slot and chains the others after it through `next`, in the
 * order they were added; `prev` of the first record holds -2 - the last one (so adding at the end
 * and removing are O(1)), `prev` of the others the record before them.
 */
import { grown } from "./record-table.ts";

// Slots hold record + 1 (a new table is all EMPTY without being written).
const EMPTY = 0;
const DELETED = -1;

/** What the index asks of its store: a record's key's hash and whether two records share a key. */
export interface RecordKeys {
  hashOf(r: number): number;
  sameKey(a: number, b: number): boolean;
}

/** A lookup's key, held by the store: whether record `r` holds it. */
export interface RecordProbe {
  matches(r: number): boolean;
}

export class RecordHashIndex {
  /** Keys (unique) or chains (multi) held. */
  size = 0;
  /** Multi: the next record of the same key (-1: the last). */
  next: Int32Array;
  /** Multi: see the module's comment. */
  prev: Int32Array;
  private slots: Int32Array;
  private mask: number;
  /** Slots not EMPTY (tombstones included). */
  private filled = 0;
  private readonly keys: RecordKeys;
  private readonly multi: boolean;

  constructor(keys: RecordKeys, multi: boolean, records: number) {
    this.keys = keys;
    this.multi = multi;
    this.slots = new Int32Array(slotsFor(records));
    this.mask = this.slots.length - 1;
    this.next = new Int32Array(multi ? records : 0);
    this.prev = new Int32Array(multi ? records : 0);
  }

  /** The store's columns now hold `capacity` records. */
  growRecords(capacity: number): void {
    if (!this.multi) return;
    this.next = grown(this.next, capacity);
    this.prev = grown(this.prev, capacity);
  }

  /** The record holding the probe's key (multi: the first of its chain), or -1. */
  find(hash: number, probe: RecordProbe): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === EMPTY) return -1;
      if (s !== DELETED && probe.matches(s - 1)) return s - 1;
    }
  }

  /** Files record `r` (unique: its key must not be filed yet). */
  insert(r: number): void {
    if ((this.filled + 1) * 2 > this.slots.length) this.rehash();
    const keys = this.keys;
    const slots = this.slots;
    const mask = this.mask;
    let free = -1;
    for (let i = keys.hashOf(r) & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === EMPTY) {
        if (free < 0) {
          free = i;
          this.filled++;
        }
        break;
      }
      if (s === DELETED) {
        if (free < 0) free = i;
      } else if (this.multi && keys.sameKey(s - 1, r)) {
        const head = s - 1;
        const last = -2 - this.prev[head]!;
        this.next[last] = r;
        this.prev[r] = last;
        this.next[r] = -1;
        this.prev[head] = -2 - r;
        return;
      }
    }
    slots[free] = r + 1;
    this.size++;
    if (this.multi) {
      this.next[r] = -1;
      this.prev[r] = -2 - r;
    }
  }

  /** Takes record `r` (filed) out. */
  remove(r: number): void {
    if (this.multi) {
      const p = this.prev[r]!;
      const n = this.next[r]!;
      if (p >= 0) {
        // Not the first of its chain.
        this.next[p] = n;
        if (n >= 0) this.prev[n] = p;
        else this.prev[this.headOf(r)] = -2 - p;
        return;
      }
      if (n >= 0) {
        this.prev[n] = p; // the new first keeps the last
        this.replaceSlot(r, n + 1);
        return;
      }
    }
    this.replaceSlot(r, DELETED);
    this.size--;
  }

  /** Every record filed, in slot order (multi: each chain in its order). */
  *records(): IterableIterator<number> {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      if (s <= 0) continue;
      if (!this.multi) yield s - 1;
      else for (let r = s - 1; r >= 0; r = this.next[r]!) yield r;
    }
  }

  /** The first record of the chain `r` is in (multi): the one in the slot of `r`'s key. */
  private headOf(r: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = this.keys.hashOf(r) & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === EMPTY) throw new Error(`record ${r} is not in the index`);
      if (s !== DELETED && this.keys.sameKey(s - 1, r)) return s - 1;
    }
  }

  private replaceSlot(r: number, by: number): void {
    const slots = this.slots;
    const mask = this.mask;
    for (let i = this.keys.hashOf(r) & mask; ; i = (i + 1) & mask) {
      const s = slots[i]!;
      if (s === r + 1) {
        slots[i] = by;
        return;
      }
      if (s === EMPTY) throw new Error(`record ${r} is not in the index`);
    }
  }

  /** Room for `records` keys without a rehash (a load that knows about how many come). */
  reserve(records: number): void {
    if (slotsFor(records) > this.slots.length) this.rehash(slotsFor(records));
  }

  /** Twice the slots when the live keys need it, else as many without the tombstones. */
  private rehash(capacity = 0): void {
    const old = this.slots;
    let cap = Math.max(capacity, old.length);
    if ((this.size + 1) * 4 > cap) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    this.filled = 0;
    const keys = this.keys;
    for (let j = 0; j < old.length; j++) {
      const s = old[j]!;
      if (s <= 0) continue;
      for (let i = keys.hashOf(s - 1) & this.mask; ; i = (i + 1) & this.mask) {
        if (this.slots[i] === EMPTY) {
          this.slots[i] = s;
          this.filled++;
          break;
        }
      }
    }
  }
}

/** Slots for `records` keys: a power of two, at most half full. */
function slotsFor(records: number): number {
  let cap = 16;
  while (cap < records * 2) cap *= 2;
  return cap;
}
