/**
 * Relayed queries to Nestor alone, for features newer than Kea 2.2 (which cannot be the reference
 * for them): nestor-dhcpN in `serverNs` on the configuration `q.config` gives, sent the queries
 * one after the other by the relay agent (relay4-queries.ts / relay6-queries.ts) in `relayNs`;
 * the answers, in order (null where there was none).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Family, RelayedQueries } from "./kea.ts";
import { startNestor } from "./nestor.ts";
import type { TestBed } from "./netns.ts";

export async function relayedQueriesToNestor<A>(
  bed: TestBed,
  family: Family,
  q: RelayedQueries,
): Promise<(A | null)[]> {
  const relay = fileURLToPath(new URL(`./relay${family}-queries.ts`, import.meta.url));
  const queriesFile = join(bed.dir, "queries.json");
  writeFileSync(queriesFile, JSON.stringify(q.queries));
  const configFile = join(bed.dir, "nestor.json");
  writeFileSync(configFile, q.config(join(bed.dir, `nestor-leases${family}.csv`)));
  const server = await startNestor(bed, q.serverNs, family, configFile);
  try {
    const args = [relay, q.relayAddress, q.server, queriesFile];
    return JSON.parse(bed.exec(q.relayNs, process.execPath, args, 30_000)) as (A | null)[];
  } finally {
    await server.stop();
  }
}
