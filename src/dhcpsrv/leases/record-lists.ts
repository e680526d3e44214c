/**
 * The per-subnet order of a store kept as columns, and its name index.
 *
 * SubnetLists: each subnet's records as a doubly linked list through two columns (`next`,
 * `prev`), in Kea's memfile order (subnet-order.ts): records are added at the end, a record
 * changed in place keeps its position, a record moved to another subnet goes after that subnet's
 * records, except that the last record of a subnet moved to the next subnet holding records
 * becomes that subnet's first.
 *
 * NameIndex: the records of each name (hostnames: most leases have none, so a Map of the few).
 */
import { grown } from "./record-table.ts";

interface List {
  head: number;
  tail: number;
  size: number;
}

export class SubnetLists {
  private next: Int32Array;
  private prev: Int32Array;
  private readonly lists = new Map<number, List>();

  constructor(capacity: number) {
    this.next = new Int32Array(capacity);
    this.prev = new Int32Array(capacity);
  }

  growRecords(capacity: number): void {
    this.next = grown(this.next, capacity);
    this.prev = grown(this.prev, capacity);
  }

  /** Adds record `r` at the end of subnet `id`'s records. */
  add(id: number, r: number): void {
    let list = this.lists.get(id);
    if (list === undefined) this.lists.set(id, (list = { head: -1, tail: -1, size: 0 }));
    this.next[r] = -1;
    this.prev[r] = list.tail;
    if (list.tail >= 0) this.next[list.tail] = r;
    else list.head = r;
    list.tail = r;
    list.size++;
  }

  remove(id: number, r: number): void {
    const list = this.lists.get(id);
    if (list === undefined) return;
    const p = this.prev[r]!;
    const n = this.next[r]!;
    if (p >= 0) this.next[p] = n;
    else list.head = n;
    if (n >= 0) this.prev[n] = p;
    else list.tail = p;
    list.size--;
  }

  /** Moves record `r` from subnet `from` to subnet `to`, as Kea's ordered index does. */
  move(r: number, from: number, to: number): void {
    const lastOfFrom = this.lists.get(from)?.tail === r;
    this.remove(from, r);
    let following = Infinity;
    if (to > from && lastOfFrom) {
      for (const [id, list] of this.lists) {
        if (id > from && id < following && list.size > 0) following = id;
      }
    }
    const list = this.lists.get(to);
    if (to !== following || list === undefined) {
      this.add(to, r);
      return;
    }
    this.prev[r] = -1;
    this.next[r] = list.head;
    this.prev[list.head] = r;
    list.head = r;
    list.size++;
  }

  /** Subnet `id`'s records in order; a record removed while the caller holds it is fine. */
  *records(id: number): IterableIterator<number> {
    const list = this.lists.get(id);
    if (list === undefined) return;
    for (let r = list.head; r >= 0;) {
      const n = this.next[r]!;
      yield r;
      r = n;
    }
  }

  /** `records(id)` without an iterator: calls `visit` with each record in turn. */
  each(id: number, visit: (r: number) => void): void {
    const list = this.lists.get(id);
    if (list === undefined) return;
    for (let r = list.head; r >= 0;) {
      const n = this.next[r]!;
      visit(r);
      r = n;
    }
  }

  size(id: number): number {
    return this.lists.get(id)?.size ?? 0;
  }
}

/** A name's records: one, or an array of them in the order they were filed. */
export class NameIndex {
  private readonly map = new Map<string, number | number[]>();

  add(name: string, r: number): void {
    if (name === "") return;
    const cur = this.map.get(name);
    if (cur === undefined) this.map.set(name, r);
    else if (typeof cur === "number") this.map.set(name, [cur, r]);
    else cur.push(r);
  }

  remove(name: string, r: number): void {
    if (name === "") return;
    const cur = this.map.get(name);
    if (cur === r) {
      this.map.delete(name);
    } else if (Array.isArray(cur)) {
      const i = cur.indexOf(r);
      if (i >= 0) cur.splice(i, 1);
      if (cur.length === 1) this.map.set(name, cur[0]!);
    }
  }

  records(name: string): readonly number[] {
    const cur = this.map.get(name);
    return cur === undefined ? [] : typeof cur === "number" ? [cur] : cur;
  }
}
