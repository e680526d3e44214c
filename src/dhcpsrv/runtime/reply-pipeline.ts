/**
 * The run-time loop both servers share: a batch of datagrams in, every query processed, the
 * batch's lease changes written with one append, then every reply sent with one sendBatch. A
 * query whose callout is asynchronous finishes on its own later, with its own flush before its
 * reply: "a lease is on disk before the reply that grants it leaves" holds either way. A failed
 * lease write sends none of the replies that depended on it.
 */
import type { Logger } from "../../log/logger.ts";
import { BATCH_BUCKETS, Histogram, LATENCY_BUCKETS } from "../../stats/histogram.ts";
import { holdSampleClock, releaseSampleClock } from "../../stats/sample-clock.ts";
import type { IfaceManager } from "../iface/iface-manager.ts";
import type { OutgoingPacket, ReceivedPacket } from "../iface/packet-socket.ts";
import type { ReceivedDatagram } from "../processing/exchange-rules.ts";
import type { FlushResult, LostLeases } from "../leases/lease-store.ts";

/** A received datagram as the servers' processQuery takes it (one definition, exchange-rules). */
export type Query = ReceivedDatagram;

export interface PipelineOptions<R> {
  iface: IfaceManager;
  log: Logger;
  /** Message ID prefix, "DHCP4" or "DHCP6". */
  prefix: string;
  /** The lease store in use (it changes when lease-database is reconfigured). */
  leases: () => { readonly pendingWrites: number; flush(): FlushResult };
  outgoing: (reply: R) => OutgoingPacket;
  /**
   * Whether a reply grants one of these leases, which another server holds (a database store's
   * commit found them taken): such a reply is not sent.
   */
  grants?: (reply: R, lost: LostLeases) => boolean;
  /** Replies not sent because the lease write under them failed (counted by the server). */
  unsent?: (replies: number) => void;
  /** A reply not sent because another server committed its lease first (counted by the server). */
  taken?: () => void;
  /** Each reply that left (the sent statistics). */
  sent?: (reply: R) => void;
}

const NOTHING_LOST: LostLeases = new Set();

export class ReplyPipeline<R extends { address: string; type: number }> {
  private readonly options: PipelineOptions<R>;
  private readonly sendFailed: string;
  private readonly writeFailed: string;
  private readonly takenByPeer: string;
  private readonly pending = new Set<Promise<unknown>>();
  /** Each lease write (one per batch, one per asynchronous reply): how long, how many leases. */
  readonly writeLatency = new Histogram(LATENCY_BUCKETS);
  readonly writeBatch = new Histogram(BATCH_BUCKETS);
  /** Why the last lease write failed; null once one succeeds again (the /ready endpoint). */
  writeError: string | null = null;
  /** Replies not sent because the lease write (or database commit) under them failed. */
  unsentReplies = 0;
  /** Replies not sent because another server took their lease first (database stores). */
  lostReplies = 0;

  constructor(options: PipelineOptions<R>) {
    this.options = options;
    this.sendFailed = `${options.prefix}_SEND_FAILED`;
    this.writeFailed = `${options.prefix}_LEASE_WRITE_FAILED`;
    this.takenByPeer = `${options.prefix}_LEASE_TAKEN_BY_PEER`;
  }

  /**
   * One batch: process every query, one lease append, then every reply. The statistics updated
   * meanwhile are stamped with one clock read (src/stats/sample-clock.ts).
   */
  run(
    packets: readonly ReceivedPacket[],
    process: (q: Query) => R | null | Promise<R | null>,
  ): void {
    holdSampleClock();
    try {
      this.runBatch(packets, process);
    } finally {
      releaseSampleClock();
    }
  }

  private runBatch(
    packets: readonly ReceivedPacket[],
    process: (q: Query) => R | null | Promise<R | null>,
  ): void {
    const out: OutgoingPacket[] = [];
    const replies: R[] = [];
    for (const p of packets) {
      const r = process({
        data: p.data,
        srcAddr: p.srcAddr,
        srcPort: p.srcPort,
        dstAddr: p.dstAddr,
        iface: p.ifname,
        ifindex: p.ifindex,
        receivedAt: p.receivedAt,
        link: p.link,
      });
      if (r === null) continue;
      if (r instanceof Promise) {
        this.track(r.then((reply) => this.sendLater(reply)));
        continue;
      }
      out.push(this.options.outgoing(r));
      replies.push(r);
    }
    const flushed = this.flushed(out.length);
    if (flushed === true) this.sendAll(out, replies);
    else if (flushed !== false) {
      // A database commit: the replies leave once it returns, those of leases lost excepted.
      this.track(
        flushed.then((lost) => {
          if (lost === false || out.length === 0) return;
          if (lost.size === 0) this.sendAll(out, replies);
          else this.sendKept(out, replies, lost);
        }),
      );
    }
  }

  /** The replies of a batch but those granting a lease another server took (held back). */
  private sendKept(out: OutgoingPacket[], replies: R[], lost: LostLeases): void {
    const grants = this.options.grants;
    if (grants === undefined) return this.sendAll(out, replies);
    const keptOut: OutgoingPacket[] = [];
    const kept: R[] = [];
    for (let i = 0; i < out.length; i++) {
      if (grants(replies[i]!, lost)) this.heldBack(replies[i]!);
      else {
        keptOut.push(out[i]!);
        kept.push(replies[i]!);
      }
    }
    this.sendAll(keptOut, kept);
  }

  /** A reply whose lease another server committed first: not sent, logged and counted. */
  private heldBack(reply: R): void {
    this.lostReplies++;
    this.options.taken?.();
    this.options.log.info(this.takenByPeer, reply.address);
  }

  /** Sends `out` (made of `replies`, index for index); each one that left is counted sent. */
  private sendAll(out: OutgoingPacket[], replies: R[]): void {
    if (out.length === 0) return;
    if (hasVia(out)) {
      const rest: OutgoingPacket[] = [];
      const restReplies: R[] = [];
      for (let i = 0; i < out.length; i++) {
        const o = out[i]!;
        if (o.via === undefined) {
          rest.push(o);
          restReplies.push(replies[i]!);
        } else if (this.sendVia(o)) this.options.sent?.(replies[i]!);
      }
      if (rest.length === 0) return;
      out = rest;
      replies = restReplies;
    }
    const failures = this.options.iface.sendBatch(out);
    const sent = this.options.sent;
    if (failures === null) {
      if (sent !== undefined) for (let i = 0; i < replies.length; i++) sent(replies[i]!);
      return;
    }
    const failed = new Set<number>();
    for (const f of failures) {
      failed.add(f.index);
      this.options.log.warn(this.sendFailed, out[f.index]!.dstAddr, f.error.message);
    }
    if (sent !== undefined) {
      for (let i = 0; i < replies.length; i++) if (!failed.has(i)) sent(replies[i]!);
    }
  }

  /** Queries waiting on an asynchronous callout. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves when every asynchronous query has finished (before a shutdown). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /**
   * Writes the queued lease changes: true when written (memfile), false when the write failed,
   * or the Promise of a database commit (false when it failed, else the leases found taken).
   */
  private flushed(replies: number): boolean | Promise<LostLeases | false> {
    const leases = this.options.leases();
    const writes = leases.pendingWrites;
    if (writes === 0) return true;
    const start = performance.now();
    let result: FlushResult;
    try {
      result = leases.flush();
    } catch (e) {
      this.writeFailedFor(replies, e);
      return false;
    }
    if (result instanceof Promise) {
      return result.then(
        (lost) => {
          this.writeLatency.observe((performance.now() - start) / 1000);
          this.writeBatch.observe(writes);
          this.writeError = null;
          return lost ?? NOTHING_LOST;
        },
        (e: unknown) => {
          this.writeFailedFor(replies, e);
          return false as const;
        },
      );
    }
    this.writeLatency.observe((performance.now() - start) / 1000);
    this.writeBatch.observe(writes);
    this.writeError = null;
    return true;
  }

  private writeFailedFor(replies: number, e: unknown): void {
    const why = e instanceof Error ? e.message : String(e);
    this.writeError = why;
    this.unsentReplies += replies;
    if (replies > 0) this.options.unsent?.(replies);
    this.options.log.error(this.writeFailed, replies, why);
  }

  private sendLater(reply: R | null): void {
    if (reply === null) return;
    const flushed = this.flushed(1);
    if (flushed === true) this.sendOne(reply);
    else if (flushed !== false) {
      this.track(
        flushed.then((lost) => {
          if (lost === false) return;
          if (lost.size > 0 && this.options.grants?.(reply, lost) === true) {
            this.heldBack(reply);
            return;
          }
          this.sendOne(reply);
        }),
      );
    }
  }

  private sendOne(reply: R): void {
    try {
      const o = this.options.outgoing(reply);
      if (o.via !== undefined) {
        if (!this.sendVia(o)) return;
      } else this.options.iface.send(o);
    } catch (e) {
      this.options.log.warn(
        this.sendFailed,
        reply.address,
        e instanceof Error ? e.message : String(e),
      );
      return;
    }
    this.options.sent?.(reply);
  }

  /** A reply that leaves another way than the sockets (DHCPv4-over-DHCPv6); true once sent. */
  private sendVia(o: OutgoingPacket): boolean {
    try {
      o.via!(o.data);
      return true;
    } catch (e) {
      this.options.log.warn(this.sendFailed, o.dstAddr, e instanceof Error ? e.message : String(e));
      return false;
    }
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e: unknown) => this.options.log.error(this.sendFailed, "?", String(e)));
    this.pending.add(t);
    void t.finally(() => this.pending.delete(t));
  }
}

/** Whether a reply of the batch leaves another way than the sockets (a plain loop: hot path). */
function hasVia(out: readonly OutgoingPacket[]): boolean {
  for (let i = 0; i < out.length; i++) if (out[i]!.via !== undefined) return true;
  return false;
}
