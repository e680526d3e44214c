/**
 * What the tests of Kea 2.2 and Nestor sharing one PostgreSQL lease database share across the
 * families (pgsql-kea.test.ts, pgsql6-kea.test.ts): the `lease-database` an operator would write
 * for it, every lease as lease_cmds lists it, and queries sent through the family's relay script
 * (relay4-queries.ts, relay6-queries.ts) from the relay's namespace.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import type { KeaDatabase } from "../../helpers/pg-kea.ts";
import { controlCommand } from "./control-client.ts";
import type { TestBed } from "./netns.ts";

export type Lease = Record<string, unknown>;

/** The shared database as a Kea 2.2 `lease-database`, with an operator's reconnect settings. */
export function sharedLeaseDatabase(db: KeaDatabase): Record<string, unknown> {
  return {
    ...db.keaConfig(),
    "connect-timeout": 10,
    "max-reconnect-tries": 3,
    "reconnect-wait-time": 1000,
    "on-fail": "stop-retry-exit",
  };
}

/** Every lease of the server on `socket` (lease4-get-all / lease6-get-all), by address. */
export async function allLeases(socket: string, family: 4 | 6): Promise<Lease[]> {
  const a = await controlCommand(socket, { command: `lease${family}-get-all` });
  const leases = ((a.arguments as { leases?: Lease[] } | undefined)?.leases ?? []).slice();
  return leases.sort((x, y) => String(x["ip-address"]).localeCompare(String(y["ip-address"])));
}

/** Where the relay script runs and what it relays to. */
export interface QueryRelay {
  bed: TestBed;
  family: 4 | 6;
  relayNs: string;
  relayAddress: string;
  server: string;
}

/** Sends `queries` (run `name`) through the relay; the answers in order (null: none). */
export async function relayQueries<Q, A>(
  r: QueryRelay,
  name: string,
  queries: readonly Q[],
): Promise<(A | null)[]> {
  const script = fileURLToPath(new URL(`./relay${r.family}-queries.ts`, import.meta.url));
  const file = join(r.bed.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(queries));
  const agent = r.bed.spawn(`relay-${name}`, r.relayNs, process.execPath, [
    script,
    r.relayAddress,
    r.server,
    file,
  ]);
  if (!(await agent.waitExit(60_000)) || agent.exitCode !== 0) {
    await agent.stop();
    throw new Error(`relay${r.family}-queries failed (${agent.exitCode}):\n${agent.output}`);
  }
  return JSON.parse(agent.output) as (A | null)[];
}
