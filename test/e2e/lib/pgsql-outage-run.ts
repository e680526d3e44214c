/**
 * The PostgreSQL outage both families' tests run (pgsql-outage.test.ts, pgsql6-outage.test.ts):
 * perfdhcp (new clients) against a server on PostgreSQL, PostgreSQL stopped (immediate shutdown:
 * connections cut) 3 s in for 4 s and started again. The server must log Kea's
 * DHCPx_DB_RECONNECT_* messages for the lost and recovered connection, the outage must cost some
 * exchanges and no more than those, the queries of the outage must be dropped and counted
 * (pktx-service-disabled or pktx-lease-write-drop), and a second perfdhcp run, started after,
 * must complete (>= 95 %): the service resumed by itself.
 */
import assert from "node:assert/strict";

import type { PgKea } from "../../helpers/pg-kea.ts";
import { statistic } from "./control-client.ts";
import type { Proc } from "./netns.ts";
import { exchangeStats, perfdhcpStats } from "./perfdhcp.ts";

export interface OutageFamily {
  family: 4 | 6;
  /** A perfdhcp run of `seconds`; run 0 and run 1 have clients of their own. */
  perfRun(name: string, seconds: number, run: 0 | 1): Proc;
  /** The first exchange (its sends) and the last (its replies) in perfdhcp's statistics. */
  first: string;
  last: string;
}

/** Runs the outage; resolves with the exchanges completed by both runs (replies received). */
export async function outageUnderLoad(
  pg: PgKea,
  server: Proc,
  socket: string,
  fam: OutageFamily,
): Promise<number> {
  const n = fam.family;
  const perf = fam.perfRun("perfdhcp-outage", 12, 0);
  await new Promise((r) => setTimeout(r, 3_000));
  await pg.pause("immediate");
  await new Promise((r) => setTimeout(r, 4_000));
  await pg.resume();
  assert.ok(await perf.waitExit(120_000), `perfdhcp did not finish:\n${perf.output}`);
  await server.waitForOutput(new RegExp(`DHCP${n}_DB_RECONNECT_SUCCEEDED`), 60_000);
  assert.match(server.output, new RegExp(`DHCP${n}_DB_RECONNECT_LOST_CONNECTION`));
  assert.match(server.output, /DHCPSRV_PGSQL_LEASE_DB_RECONNECT_ATTEMPT_SCHEDULE/);
  const during = perfdhcpStats(perf.output);
  const done1 = exchangeStats(during, fam.last, perf.output).received;
  const sent1 = exchangeStats(during, fam.first, perf.output).sent;
  process.stdout.write(`# during the outage run: ${sent1} ${fam.first}, ${done1} ${fam.last}\n`);
  assert.ok(done1 < sent1, "the outage cost some exchanges");
  assert.ok(done1 > 0);
  // The queries of the outage were dropped and counted: the service was off while
  // reconnecting (stop-retry-exit), or their commit failed.
  const disabled = await statistic(socket, `pkt${n}-service-disabled`);
  const writeDrops = await statistic(socket, `pkt${n}-lease-write-drop`);
  process.stdout.write(
    `# pkt${n}-service-disabled ${disabled}, pkt${n}-lease-write-drop ${writeDrops}\n`,
  );
  assert.ok(disabled + writeDrops > 0);
  // Service resumed by itself.
  const after = fam.perfRun("perfdhcp-after", 3, 1);
  assert.ok(await after.waitExit(120_000), `perfdhcp did not finish:\n${after.output}`);
  const stats2 = perfdhcpStats(after.output);
  const done2 = exchangeStats(stats2, fam.last, after.output).received;
  const sent2 = exchangeStats(stats2, fam.first, after.output).sent;
  assert.ok(done2 >= sent2 * 0.95, after.output);
  return done1 + done2;
}
