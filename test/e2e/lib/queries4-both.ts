/**
 * DHCPv4 queries sent by a relay agent to kea-dhcp4 2.2, then to nestor-dhcp4, each on the same
 * configuration (its own lease file and control socket): what each answered, its statistics
 * after the last query, its lease set as its lease file tells it, and what it logged.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { statistic, waitForControl } from "./control-client.ts";
import { keaThenNestor, type Who } from "./kea.ts";
import { leaseSet, readLeaseRows, type LeaseRow } from "./nestor.ts";
import type { TestBed } from "./netns.ts";
import type { Answer4, Query4 } from "./relay4-queries.ts";

export interface Side4 {
  answers: (Answer4 | null)[];
  /** The value of each statistic asked for (0 when the server has none of that name). */
  stats: Record<string, number>;
  /** The lease set, by address, after the last query. */
  leases: Map<string, LeaseRow>;
  log: string;
}

export interface Queries4 {
  serverNs: string;
  relayNs: string;
  relayAddress: string;
  server: string;
  queries: readonly Query4[];
  /** The Dhcp4 map, without lease-database and control-socket (added here). */
  dhcp4: (who: Who) => Record<string, unknown>;
  /** The statistics to read after the queries. */
  statistics: readonly string[];
}

/** Kea's statistic-get answer: { name: [[value, time], ...] }. */
export async function queriesToBoth(bed: TestBed, q: Queries4): Promise<Record<Who, Side4>> {
  const relay = fileURLToPath(new URL("./relay4-queries.ts", import.meta.url));
  const queriesFile = join(bed.dir, "queries4.json");
  writeFileSync(queriesFile, JSON.stringify(q.queries));
  const waits = q.queries.reduce((t, x) => t + 1000 + (x.delayMs ?? 0), 0);
  const leaseFile = (who: Who) => join(bed.dir, `${who}-leases4.csv`);
  const socket = (who: Who) => join(bed.dir, `${who}4.sock`);
  return keaThenNestor(
    bed,
    q.serverNs,
    4,
    (who) => {
      const file = join(bed.dir, `${who}.json`);
      const dhcp4 = {
        ...q.dhcp4(who),
        "lease-database": {
          type: "memfile",
          name: leaseFile(who),
          persist: true,
          "lfc-interval": 0,
        },
        "control-socket": { "socket-type": "unix", "socket-name": socket(who) },
        loggers: [{ name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" }],
      };
      writeFileSync(file, JSON.stringify({ Dhcp4: dhcp4 }, null, 2));
      return file;
    },
    async (who, server) => {
      await waitForControl(socket(who), server);
      // Not spawnSync: this process goes on reading what the server prints meanwhile (a
      // server blocked on a full stdout pipe would answer nothing).
      const agent = bed.spawn("relay4-queries", q.relayNs, process.execPath, [
        relay,
        q.relayAddress,
        q.server,
        queriesFile,
      ]);
      if (!(await agent.waitExit(30_000 + waits)) || agent.exitCode !== 0) {
        await agent.stop();
        throw new Error(`relay4-queries failed (${agent.exitCode}):\n${agent.output}`);
      }
      const answers = JSON.parse(agent.output) as (Answer4 | null)[];
      const stats: Record<string, number> = {};
      for (const name of q.statistics) {
        try {
          stats[name] = await statistic(socket(who), name);
        } catch (err) {
          throw new Error(`${who}: statistic-get ${name}: ${String(err)}\n${server.output}`, {
            cause: err,
          });
        }
      }
      return {
        answers,
        stats,
        leases: leaseSet(readLeaseRows(leaseFile(who))),
        log: server.output,
      };
    },
  );
}

/** A lease as both servers' files can be compared (no times: the two ran one after the other). */
export function leaseView(l: LeaseRow | undefined): Record<string, unknown> | undefined {
  if (l === undefined) return undefined;
  return {
    address: l.address,
    hwaddr: l.hwaddr,
    clientId: l.clientId,
    validLifetime: l.validLifetime,
    subnetId: l.subnetId,
    state: l.state,
  };
}
