/**
 * The load both families' active/active tests put on two servers sharing one PostgreSQL lease
 * database (pgsql-active-active.test.ts, pgsql6-active-active.test.ts): each server under its
 * own perfdhcp (new clients of its own) for `seconds` at `rate`, side by side. Each server must
 * have received at least 95 % of its perfdhcp's REQUESTs and answered at least 95 % of those by
 * its own counters (what left: replies held back because the other server committed the lease
 * first, or of a failed commit, are not sent); perfdhcp must have sent at least 75 % of the rate
 * asked and completed at least 80 % of its exchanges (bounded more loosely: two perfdhcp, two
 * servers and PostgreSQL share two CPUs, and a starved perfdhcp counts replies it did not read in
 * time as drops).
 */
import assert from "node:assert/strict";

import { statistic, waitForControl } from "./control-client.ts";
import { startNestor } from "./nestor.ts";
import type { Proc, TestBed } from "./netns.ts";
import { exchangeStats, perfdhcpStats } from "./perfdhcp.ts";

/** One side of the pair: its server's namespace, configuration and control socket, its perfdhcp's. */
export interface ActiveSide {
  name: string;
  serverNs: string;
  perfNs: string;
  /** The link between them: `a` the server's interface, `b` perfdhcp's. */
  link: { a: string; b: string };
  file: string;
  socket: string;
}

export interface ActiveActiveLoad {
  family: 4 | 6;
  rate: number;
  seconds: number;
  /** The arguments of side `i`'s perfdhcp (its own clients) on its interface. */
  perfArgs(iface: string, i: number): string[];
  /** Waited for once both servers are up, before the load (a link-local address, say). */
  ready?(side: ActiveSide): Promise<void>;
  /** perfdhcp's first exchange (DISCOVER-OFFER, SOLICIT-ADVERTISE) and its last. */
  first: string;
  last: string;
  /** The server's counter of the replies to REQUESTs that left (pkt4-ack-sent, pkt6-reply-sent). */
  repliesSent: string;
}

/**
 * Starts a Nestor server on each side, runs both perfdhcp, checks each side's account; resolves
 * with the exchanges completed and the servers (still running).
 */
export async function activeActiveLoad(
  bed: TestBed,
  sides: readonly ActiveSide[],
  load: ActiveActiveLoad,
): Promise<{ completed: number; servers: Proc[] }> {
  const n = load.family;
  const servers: Proc[] = [];
  for (const s of sides) {
    const server = await startNestor(bed, s.serverNs, n, s.file);
    await waitForControl(s.socket, server, 30_000);
    servers.push(server);
  }
  for (const s of sides) await load.ready?.(s);
  const perfs = sides.map((s, i) =>
    bed.spawn(`perfdhcp-${s.name}`, s.perfNs, "perfdhcp", load.perfArgs(s.link.b, i)),
  );
  for (const p of perfs) {
    assert.ok(
      await p.waitExit((load.seconds + 60) * 1000),
      `perfdhcp did not finish:\n${p.output}`,
    );
  }
  let completedAll = 0;
  for (const [i, p] of perfs.entries()) {
    const side = sides[i]!;
    const stats = perfdhcpStats(p.output);
    const first = exchangeStats(stats, load.first, p.output);
    const request = exchangeStats(stats, load.last, p.output);
    const completed = request.received / first.sent;
    // The server's own account: REQUESTs in, replies out, replies held back because the other
    // server committed a lease first, replies of a failed commit.
    const received = await statistic(side.socket, `pkt${n}-request-received`);
    const sent = await statistic(side.socket, load.repliesSent);
    const taken = await statistic(side.socket, `pkt${n}-lease-taken-drop`);
    const failed = await statistic(side.socket, `pkt${n}-lease-write-drop`);
    process.stdout.write(
      `# server ${side.name}: ${first.sent} sent (${load.first}), ${request.received} completed (${load.last}) by perfdhcp (${(completed * 100).toFixed(1)} %); ` +
        `the server: ${received} REQUESTs, ${sent} replies sent, ${taken} taken by the other server, ${failed} in failed commits\n`,
    );
    const context = `${side.name}: ${p.output}\n${servers[i]!.output}`;
    assert.ok(first.sent >= load.rate * load.seconds * 0.75, context);
    assert.ok(received >= request.sent * 0.95, context);
    // pkt*-sent counts what left: replies held back or of a failed commit are not in it.
    assert.ok(sent >= received * 0.95, `${sent} replies sent for ${received} REQUESTs: ${context}`);
    assert.ok(completed >= 0.8, context);
    completedAll += request.received;
  }
  return { completed: completedAll, servers };
}
