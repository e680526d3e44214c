import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { IfaceManager } from "../../../../src/dhcpsrv/iface/iface-manager.ts";
import type {
  OutgoingPacket,
  ReceivedPacket,
  SendFailure,
} from "../../../../src/dhcpsrv/iface/packet-socket.ts";
import type { FlushResult, LostLeases } from "../../../../src/dhcpsrv/leases/lease-store.ts";
import { ReplyPipeline } from "../../../../src/dhcpsrv/runtime/reply-pipeline.ts";
import type { Logger } from "../../../../src/log/logger.ts";
import { StatsManager } from "../../../../src/stats/stats-manager.ts";

interface Reply {
  address: string;
  type: number;
  lease: string;
}

const ACK = 5;

/**
 * A pipeline over a socket that records what it sends (failing the sends to `failTo`) and a lease
 * store whose flush the test decides; `counted` and `taken` record what the server would count.
 */
function bed(flush: () => FlushResult, failTo = "") {
  const sent: string[] = [];
  const counted: string[] = [];
  const logged: string[] = [];
  let taken = 0;
  const iface = {
    sendBatch(out: OutgoingPacket[]) {
      const failures: SendFailure[] = [];
      out.forEach((o, index) => {
        if (o.dstAddr === failTo) failures.push({ index, error: new Error("unreachable") });
        else sent.push(o.dstAddr);
      });
      return failures.length === 0 ? null : failures;
    },
    send(o: OutgoingPacket) {
      sent.push(o.dstAddr);
    },
  } as unknown as IfaceManager;
  const log = {
    info: (id: string) => logged.push(id),
    warn: (id: string) => logged.push(id),
    error: (id: string) => logged.push(id),
  } as unknown as Logger;
  const pipeline = new ReplyPipeline<Reply>({
    iface,
    log,
    prefix: "DHCP4",
    leases: () => ({ pendingWrites: 1, flush }),
    outgoing: (r) => ({ data: new Uint8Array(1), dstAddr: r.address, dstPort: 68 }),
    grants: (r: Reply, lost: LostLeases) => lost.has(r.lease),
    sent: (r) => counted.push(r.address),
    taken: () => taken++,
  });
  const run = (replies: Reply[]) =>
    pipeline.run(
      replies.map((r) => ({ data: Buffer.from(r.address) }) as unknown as ReceivedPacket),
      (q) => replies.find((r) => r.address === q.data.toString())!,
    );
  return { pipeline, run, sent, counted, logged, taken: () => taken };
}

const a: Reply = { address: "198.51.100.1", type: ACK, lease: "203.0.113.1" };
const b: Reply = { address: "198.51.100.2", type: ACK, lease: "203.0.113.2" };

describe("ReplyPipeline: the replies that leave, and only those, are counted sent", () => {
  it("a lease write that throws sends none of the batch's replies and reports each", () => {
    const t = bed(() => {
      throw new Error("disk full");
    });
    t.run([a, b]);
    assert.deepEqual(t.sent, []);
    assert.deepEqual(t.counted, []);
    assert.deepEqual(t.logged, ["DHCP4_LEASE_WRITE_FAILED"]);
  });

  it("a database commit that fails sends and counts none of the batch's replies", async () => {
    const t = bed(() => Promise.reject(new Error("connection lost")));
    t.run([a, b]);
    await t.pipeline.drain();
    assert.deepEqual(t.sent, []);
    assert.deepEqual(t.counted, []);
  });

  it("a reply whose lease another server committed first is held back, logged and counted", async () => {
    const t = bed(() => Promise.resolve(new Set([b.lease])));
    t.run([a, b]);
    await t.pipeline.drain();
    assert.deepEqual(t.sent, [a.address]);
    assert.deepEqual(t.counted, [a.address]);
    assert.equal(t.taken(), 1);
    assert.deepEqual(t.logged, ["DHCP4_LEASE_TAKEN_BY_PEER"]);
  });

  it("a commit that succeeds sends and counts every reply", async () => {
    const t = bed(() => Promise.resolve(new Set<string>()));
    t.run([a, b]);
    await t.pipeline.drain();
    assert.deepEqual(t.sent, [a.address, b.address]);
    assert.deepEqual(t.counted, [a.address, b.address]);
  });

  it("a lease file write sends and counts every reply of the batch", () => {
    const t = bed(() => undefined);
    t.run([a, b]);
    assert.deepEqual(t.sent, [a.address, b.address]);
    assert.deepEqual(t.counted, [a.address, b.address]);
  });

  it("a reply whose send fails is logged and not counted; the others are", () => {
    const t = bed(() => undefined, a.address);
    t.run([a, b]);
    assert.deepEqual(t.sent, [b.address]);
    assert.deepEqual(t.counted, [b.address]);
    assert.deepEqual(t.logged, ["DHCP4_SEND_FAILED"]);
  });

  it("a reply that finishes after an asynchronous callout is counted when it is sent", async () => {
    const t = bed(() => undefined);
    t.pipeline.run([{ data: Buffer.from(a.address) } as unknown as ReceivedPacket], () =>
      Promise.resolve(a),
    );
    assert.deepEqual(t.counted, [], "not before it left");
    await t.pipeline.drain();
    assert.deepEqual(t.sent, [a.address]);
    assert.deepEqual(t.counted, [a.address]);
  });
});

/** A pipeline whose sends all succeed and whose store has nothing to write. */
function quietPipeline(sent?: () => void): ReplyPipeline<Reply> {
  return new ReplyPipeline<Reply>({
    iface: { sendBatch: () => null } as unknown as IfaceManager,
    log: {} as Logger,
    prefix: "DHCP4",
    leases: () => ({ pendingWrites: 0, flush: () => undefined }),
    outgoing: (r) => ({ data: new Uint8Array(1), dstAddr: r.address, dstPort: 68 }),
    sent,
  });
}

describe("ReplyPipeline: the statistics of a batch are stamped with one clock read", () => {
  it("every sample recorded while a batch is processed and sent has the batch's time; updates after it read the clock", (t) => {
    let clock = Date.UTC(2026, 0, 1);
    let reads = 0;
    t.mock.method(Date, "now", () => {
      reads++;
      clock += 1000;
      return clock;
    });
    const stats = new StatsManager();
    const received = stats.observe("pkt4-received");
    const sentStat = stats.observe("pkt4-sent");
    const before = reads;
    const pipeline = quietPipeline(() => sentStat.add(1));
    const replies = [a, b, { ...a, address: "198.51.100.3" }];
    pipeline.run(
      replies.map((r) => ({ data: Buffer.from(r.address) }) as unknown as ReceivedPacket),
      (q) => {
        received.add(1);
        received.add(1);
        return replies.find((r) => r.address === q.data.toString())!;
      },
    );
    assert.equal(reads - before, 1, "one clock read for the batch's nine updates");
    assert.equal(received.getSamples()[0]![0], 6);
    assert.equal(sentStat.getSamples()[0]![0], 3);
    const batchTime = received.getSamples()[0]![1];
    for (const s of received.getSamples().slice(0, 6)) assert.equal(s[1], batchTime);
    for (const s of sentStat.getSamples().slice(0, 3)) assert.equal(s[1], batchTime);
    const r0 = reads;
    received.add(1);
    assert.equal(reads - r0, 1, "outside a batch each update reads the clock");
    assert.notEqual(received.getSamples()[0]![1], batchTime);
  });

  it("a batch whose processing throws leaves the clock released", (t) => {
    let reads = 0;
    t.mock.method(Date, "now", () => ++reads * 1000);
    const stats = new StatsManager();
    const o = stats.observe("pkt4-received");
    const pipeline = quietPipeline();
    assert.throws(() =>
      pipeline.run([{ data: Buffer.alloc(1) } as unknown as ReceivedPacket], () => {
        throw new Error("bug");
      }),
    );
    const r0 = reads;
    o.add(1);
    o.add(1);
    assert.equal(reads - r0, 2);
  });
});
