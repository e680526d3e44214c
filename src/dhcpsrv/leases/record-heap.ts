/**
 * The expiration index of a store kept as columns: a binary min-heap of
 * (expire, record, version), in typed arrays. A record's version (a column of its store) changes
 * whenever the record changes or is removed, which makes its older heap entries stale; stale
 * entries are dropped when they reach the top, and the heap is rebuilt from the live records when
 * they pile up.
 */
import { grown } from "./record-table.ts";

export class RecordExpiryHeap {
  /** Entries held, stale ones included. */
  length = 0;
  private exp = new Float64Array(16);
  private rec = new Int32Array(16);
  private ver = new Int32Array(16);

  /** Files record `r` at `version` under `expire` (seconds since the epoch). */
  push(expire: number, r: number, version: number): void {
    if (this.length === this.exp.length) this.reserve(this.length * 2);
    let i = this.length++;
    const { exp, rec, ver } = this;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (exp[parent]! <= expire) break;
      exp[i] = exp[parent]!;
      rec[i] = rec[parent]!;
      ver[i] = ver[parent]!;
      i = parent;
    }
    exp[i] = expire;
    rec[i] = r;
    ver[i] = version;
  }

  /**
   * The live records (their entry's version is `versions[r]`) filed under an expire time before
   * `now`, soonest first, at most `max` (0: no limit). They stay filed.
   */
  expired(now: number, max: number, versions: Int32Array): number[] {
    const found: number[] = [];
    const foundExp: number[] = [];
    while (this.length > 0 && this.exp[0]! < now && (max <= 0 || found.length < max)) {
      const expire = this.exp[0]!;
      const r = this.rec[0]!;
      const live = this.ver[0] === versions[r];
      this.pop();
      if (live) {
        found.push(r);
        foundExp.push(expire);
      }
    }
    for (let i = 0; i < found.length; i++) this.push(foundExp[i]!, found[i]!, versions[found[i]!]!);
    return found;
  }

  /**
   * Replaces the content with the records below `top` that `expireOf` files (null: not
   * filed), at their current versions: one heapify, O(n).
   */
  rebuild(top: number, expireOf: (r: number) => number | null, versions: Int32Array): void {
    this.length = 0;
    this.reserve(Math.max(16, top));
    const { exp, rec, ver } = this;
    let n = 0;
    for (let r = 0; r < top; r++) {
      const e = expireOf(r);
      if (e === null) continue;
      exp[n] = e;
      rec[n] = r;
      ver[n] = versions[r]!;
      n++;
    }
    this.length = n;
    for (let i = (n >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private reserve(capacity: number): void {
    if (capacity <= this.exp.length) return;
    this.exp = grown(this.exp, capacity);
    this.rec = grown(this.rec, capacity);
    this.ver = grown(this.ver, capacity);
  }

  private pop(): void {
    const last = --this.length;
    if (last > 0) {
      this.exp[0] = this.exp[last]!;
      this.rec[0] = this.rec[last]!;
      this.ver[0] = this.ver[last]!;
      this.down(0);
    }
  }

  private down(i: number): void {
    const { exp, rec, ver } = this;
    const n = this.length;
    const e = exp[i]!;
    const r = rec[i]!;
    const v = ver[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && exp[child + 1]! < exp[child]!) child++;
      if (exp[child]! >= e) break;
      exp[i] = exp[child]!;
      rec[i] = rec[child]!;
      ver[i] = ver[child]!;
      i = child;
    }
    exp[i] = e;
    rec[i] = r;
    ver[i] = v;
  }
}
