/**
 * The run-time loop both servers share: a batch of datagrams in, every query processed, the
 * batch's lease changes written with one append, then every reply sent with one sendBatch. A
 * query whose callout is asynchronous finishes on its own later, with its own flush before its
 * reply: "a lease is on disk before the reply that grants it leaves" holds either way. A failed
 * lease write sends none of the replies that depended on it.
 */
import type { Logger } from "../../log/logger.ts";
import { BATCH_BUCKETS, Histogram, LATENCY_BUCKETS } from "../../stats/histogram.ts";
import type { IfaceManager } from "../iface/iface-manager.ts";
import type { OutgoingPacket, ReceivedPacket } from "../iface/packet-socket.ts";
import type { ReceivedDatagram } from "../processing/exchange-rules.ts";

/** A received datagram as the servers' processQuery takes it (one definition, exchange-rules). */
export type Query = ReceivedDatagram;

export interface PipelineOptions<R> {
  iface: IfaceManager;
  log: Logger;
  /** Message ID prefix, "DHCP4" or "DHCP6". */
  prefix: string;
  /** The lease store in use (it changes when lease-database is reconfigured). */
  leases: () => { readonly pendingWrites: number; flush(): void };
  outgoing: (reply: R) => OutgoingPacket;
}

export class ReplyPipeline<R extends { address: string }> {
  private readonly options: PipelineOptions<R>;
  private readonly sendFailed: string;
  private readonly writeFailed: string;
  private readonly pending = new Set<Promise<unknown>>();
  /** Each lease write (one per batch, one per asynchronous reply): how long, how many leases. */
  readonly writeLatency = new Histogram(LATENCY_BUCKETS);
  readonly writeBatch = new Histogram(BATCH_BUCKETS);
  /** Why the last lease write failed; null once one succeeds again (the /ready endpoint). */
  writeError: string | null = null;

  constructor(options: PipelineOptions<R>) {
    this.options = options;
    this.sendFailed = `${options.prefix}_SEND_FAILED`;
    this.writeFailed = `${options.prefix}_LEASE_WRITE_FAILED`;
  }

  /** One batch: process every query, one lease append, then every reply. */
  run(
    packets: readonly ReceivedPacket[],
    process: (q: Query) => R | null | Promise<R | null>,
  ): void {
    const out: OutgoingPacket[] = [];
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
    }
    if (!this.flushed(out.length) || out.length === 0) return;
    const failures = this.options.iface.sendBatch(out);
    if (failures !== null) {
      for (const f of failures) {
        this.options.log.warn(this.sendFailed, out[f.index]!.dstAddr, f.error.message);
      }
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

  private flushed(replies: number): boolean {
    const leases = this.options.leases();
    const writes = leases.pendingWrites;
    if (writes === 0) return true;
    const start = performance.now();
    try {
      leases.flush();
      this.writeLatency.observe((performance.now() - start) / 1000);
      this.writeBatch.observe(writes);
      this.writeError = null;
      return true;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.writeError = why;
      this.options.log.error(this.writeFailed, replies, why);
      return false;
    }
  }

  private sendLater(reply: R | null): void {
    if (reply === null || !this.flushed(1)) return;
    try {
      this.options.iface.send(this.options.outgoing(reply));
    } catch (e) {
      this.options.log.warn(
        this.sendFailed,
        reply.address,
        e instanceof Error ? e.message : String(e),
      );
    }
  }

  private track(p: Promise<unknown>): void {
    const t = p.catch((e: unknown) => this.options.log.error(this.sendFailed, "?", String(e)));
    this.pending.add(t);
    void t.finally(() => this.pending.delete(t));
  }
}
