import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { IfaceManager } from "../../../../src/dhcpsrv/iface/iface-manager.ts";
import type {
  OutgoingPacket,
  ReceivedPacket,
} from "../../../../src/dhcpsrv/iface/packet-socket.ts";
import type { FlushResult, LostLeases } from "../../../../src/dhcpsrv/leases/lease-store.ts";
import { ReplyPipeline } from "../../../../src/dhcpsrv/runtime/reply-pipeline.ts";
import type { Logger } from "../../../../src/log/logger.ts";

interface Reply {
  address: string;
  type: number;
  lease: string;
}

const ACK = 5;

/**
 * A pipeline over a socket that records what it sends and a lease store whose flush the test
 * decides; `notSent` and `taken` record what the server would count.
 */
function bed(flush: () => FlushResult) {
  const sent: string[] = [];
  const notSent: string[] = [];
  const logged: string[] = [];
  let taken = 0;
  const iface = {
    sendBatch(out: OutgoingPacket[]) {
      for (const o of out) sent.push(o.dstAddr);
      return null;
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
    notSent: (r) => notSent.push(r.address),
    taken: () => taken++,
  });
  const run = (replies: Reply[]) =>
    pipeline.run(
      replies.map((r) => ({ data: Buffer.from(r.address) }) as unknown as ReceivedPacket),
      (q) => replies.find((r) => r.address === q.data.toString())!,
    );
  return { pipeline, run, sent, notSent, logged, taken: () => taken };
}

const a: Reply = { address: "198.51.100.1", type: ACK, lease: "203.0.113.1" };
const b: Reply = { address: "198.51.100.2", type: ACK, lease: "203.0.113.2" };

describe("ReplyPipeline: replies that do not leave are handed back for the sent statistics", () => {
  it("a lease write that throws sends none of the batch's replies and reports each", () => {
    const t = bed(() => {
      throw new Error("disk full");
    });
    t.run([a, b]);
    assert.deepEqual(t.sent, []);
    assert.deepEqual(t.notSent, [a.address, b.address]);
    assert.deepEqual(t.logged, ["DHCP4_LEASE_WRITE_FAILED"]);
  });

  it("a database commit that fails reports each reply once it has failed", async () => {
    const t = bed(() => Promise.reject(new Error("connection lost")));
    t.run([a, b]);
    await t.pipeline.drain();
    assert.deepEqual(t.sent, []);
    assert.deepEqual(t.notSent, [a.address, b.address]);
  });

  it("a reply whose lease another server committed first is held back, logged and counted", async () => {
    const t = bed(() => Promise.resolve(new Set([b.lease])));
    t.run([a, b]);
    await t.pipeline.drain();
    assert.deepEqual(t.sent, [a.address]);
    assert.deepEqual(t.notSent, [b.address]);
    assert.equal(t.taken(), 1);
    assert.deepEqual(t.logged, ["DHCP4_LEASE_TAKEN_BY_PEER"]);
  });

  it("a commit that succeeds sends every reply and reports none", async () => {
    const t = bed(() => Promise.resolve(new Set<string>()));
    t.run([a, b]);
    await t.pipeline.drain();
    assert.deepEqual(t.sent, [a.address, b.address]);
    assert.deepEqual(t.notSent, []);
  });
});
