/**
 * The queue of events not yet delivered, in memory and, when `queue-file` is set, on disk: the
 * events queued during one turn of the event loop are appended to the file as JSON lines in one
 * write at the end of that turn (no write per event on the packet path), and the file is rewritten
 * (to a temporary file, then renamed) without the delivered ones after each delivery, so that a
 * restart, or an endpoint down for hours, loses nothing up to `max-queue` events. Beyond that
 * the oldest are dropped and counted.
 */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { LeaseEvent } from "./events.ts";

export class EventQueue {
  private events: LeaseEvent[] = [];
  private readonly file: string | null;
  private readonly max: number;
  dropped = 0;
  /** The next event's sequence number. */
  nextSeq = 1;
  private pending: string[] = [];
  private flushScheduled = false;

  constructor(file: string | null, max: number) {
    this.file = file;
    this.max = max;
    if (file !== null && existsSync(file)) {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        try {
          this.events.push(JSON.parse(line) as LeaseEvent);
        } catch {
          // a line cut short by a crash while it was appended: the rest is good
        }
      }
      this.trim();
      const last = this.events.at(-1);
      if (last !== undefined) this.nextSeq = last.seq + 1;
    }
  }

  get size(): number {
    return this.events.length;
  }

  push(event: LeaseEvent): void {
    this.events.push(event);
    if (this.trim()) {
      this.pending = [];
      this.save();
      return;
    }
    if (this.file === null) return;
    this.pending.push(`${JSON.stringify(event)}\n`);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes the events queued since the last write (also at unload). */
  flush(): void {
    this.flushScheduled = false;
    if (this.file === null || this.pending.length === 0) return;
    const lines = this.pending.join("");
    this.pending = [];
    appendFileSync(this.file, lines);
  }

  /** The oldest `n` events, still queued. */
  peek(n: number): LeaseEvent[] {
    return this.events.slice(0, n);
  }

  /** Removes the events up to sequence number `seq` (delivered). */
  remove(seq: number): void {
    const before = this.events.length;
    this.events = this.events.filter((e) => e.seq > seq);
    if (this.events.length !== before) this.save();
  }

  private trim(): boolean {
    const over = this.events.length - this.max;
    if (over <= 0) return false;
    this.events.splice(0, over);
    this.dropped += over;
    return true;
  }

  private save(): void {
    if (this.file === null) return;
    this.pending = [];
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, this.events.map((e) => `${JSON.stringify(e)}\n`).join(""));
    renameSync(tmp, this.file);
  }
}
