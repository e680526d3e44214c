/**
 * Kea's parking lots, for libraries written in Kea's style: the server parks an object (a query)
 * with a function that resumes its processing; callouts that start asynchronous work reference
 * it and set status PARK; the last unpark runs the resume function. A library that drops the
 * object instead ends the query (the server's `dropped` function runs): in Kea the packet is then
 * simply never resumed; here the query is finished as dropped, so nothing stays waiting.
 *
 * Nestor's own way to do the same is simpler: a callout returns a Promise and the framework
 * awaits it before the next callout, while other requests go on (see docs/hooks). Parking is
 * kept for code ported from C++ and for hook points where the server offers it.
 */
import { InvalidOperation } from "../util/errors.ts";

/** A parked object's entry: its holders, and what its last unpark or a drop does. */
export interface ParkedEntry {
  refCount: number;
  resume(): void;
  dropped(): void;
}

type Parked = ParkedEntry;

const NOTHING = (): void => {};

export class ParkingLot {
  private readonly parked = new Map<object, Parked>();

  /** Parks obj: the last unpark calls resume, a drop (or clear) calls dropped. */
  park(obj: object, resume: () => void, dropped: () => void = NOTHING): void {
    this.parkEntry(obj, { refCount: 0, resume, dropped });
  }

  /** Parks obj with an entry the server made (its refCount starts at 0). */
  parkEntry(obj: object, entry: ParkedEntry): void {
    if (this.parked.has(obj)) throw new InvalidOperation("object is already parked");
    entry.refCount = 0;
    this.parked.set(obj, entry);
  }

  reference(obj: object): number {
    const p = this.find(obj);
    return ++p.refCount;
  }

  dereference(obj: object): number {
    const p = this.find(obj);
    return --p.refCount;
  }

  /** Decrements the count (or zeroes it when forced); at zero, forgets the object and resumes it. */
  unpark(obj: object, force = false): boolean {
    const p = this.parked.get(obj);
    if (p === undefined) return false;
    p.refCount = force ? 0 : p.refCount - 1;
    if (p.refCount <= 0) {
      this.parked.delete(obj);
      p.resume();
    }
    return true;
  }

  /** Forgets the object without resuming it; the server's `dropped` function runs. */
  drop(obj: object): boolean {
    const p = this.parked.get(obj);
    if (p === undefined) return false;
    this.parked.delete(obj);
    p.dropped();
    return true;
  }

  /**
   * Forgets the object and calls neither function: the server's own "not parked after all"
   * (no callout set PARK).
   */
  forget(obj: object): boolean {
    return this.parked.delete(obj);
  }

  isParked(obj: object): boolean {
    return this.parked.has(obj);
  }

  size(): number {
    return this.parked.size;
  }

  /** Forgets every object, as dropped (a retired library generation's lots). */
  clear(): void {
    const all = [...this.parked.values()];
    this.parked.clear();
    for (const p of all) p.dropped();
  }

  private find(obj: object): Parked {
    const p = this.parked.get(obj);
    if (p === undefined) throw new InvalidOperation("object is not parked");
    return p;
  }
}

/** What a callout gets: it may hold and release a parked object, never park one itself. */
export class ParkingLotHandle {
  private readonly lot: ParkingLot;

  constructor(lot: ParkingLot) {
    this.lot = lot;
  }

  reference(obj: object): number {
    return this.lot.reference(obj);
  }
  dereference(obj: object): number {
    return this.lot.dereference(obj);
  }
  unpark(obj: object): boolean {
    return this.lot.unpark(obj, false);
  }
  drop(obj: object): boolean {
    return this.lot.drop(obj);
  }
}
