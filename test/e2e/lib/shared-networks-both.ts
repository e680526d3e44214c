/**
 * Side-by-side runs of the shared-network tests that reach the server directly (no relay), or
 * through relays of several links: a client namespace joined to the server's by a veth pair;
 * Kea, then Nestor, on the same configuration (each its own lease file); the same queries sent
 * by the scapy frame client (raw4_client.py, DHCPv4) or by proc6-queries.ts (DHCPv6); each
 * server's answers and lease file.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { keaThenNestor, type Family, type Who } from "./kea.ts";
import type { TestBed } from "./netns.ts";

const RAW4 = fileURLToPath(new URL("./raw4_client.py", import.meta.url));
const PROC6 = fileURLToPath(new URL("./proc6-queries.ts", import.meta.url));
const PYTHON = "/usr/bin/python3";

export interface ClientLink {
  serverNs: string;
  clientNs: string;
  serverIf: string;
  clientIf: string;
}

/**
 * A server namespace and a client namespace joined by a veth pair; `server` (with its prefix
 * length) on the server's end, `client` (if any) on the client's; IPv6 without duplicate
 * address detection; the client's MAC address `clientMac`.
 */
export function clientLink(
  bed: TestBed,
  server: string,
  client: string | null,
  clientMac: string,
): ClientLink {
  const serverNs = bed.namespace("srv");
  const clientNs = bed.namespace("cli");
  const v6 = server.includes(":");
  if (v6) {
    bed.noDad(serverNs);
    bed.noDad(clientNs);
  }
  const { a: serverIf, b: clientIf } = bed.link(
    { ns: serverNs, role: "s" },
    { ns: clientNs, role: "c", mac: clientMac },
  );
  const flags = v6 ? ["nodad"] : [];
  bed.exec(serverNs, "ip", ["addr", "add", server, "dev", serverIf, ...flags]);
  if (client !== null) bed.exec(clientNs, "ip", ["addr", "add", client, "dev", clientIf, ...flags]);
  return { serverNs, clientNs, serverIf, clientIf };
}

export interface BothRun<A> {
  answers: Record<Who, (A | null)[]>;
  /** Each server's lease file, as text ("" when it wrote none). */
  leases: Record<Who, string>;
}

/**
 * Kea, then Nestor, on `config(leaseFile)`, each sent `queries` from the client namespace:
 * DHCPv4 as frames by raw4_client.py (the raw replies as that client reports them), DHCPv6 by
 * proc6-queries.ts.
 */
export async function queriesToBothDirect<A>(
  bed: TestBed,
  link: ClientLink,
  family: Family,
  config: (leaseFile: string) => object,
  queries: readonly object[],
): Promise<BothRun<A>> {
  const leaseFiles = {} as Record<Who, string>;
  const queriesFile = join(bed.dir, `queries${family}.json`);
  writeFileSync(queriesFile, JSON.stringify(queries));
  const answers = await keaThenNestor(
    bed,
    link.serverNs,
    family,
    (who) => {
      leaseFiles[who] = join(bed.dir, `${who}-leases${family}.csv`);
      const file = join(bed.dir, `${who}.json`);
      writeFileSync(file, JSON.stringify(config(leaseFiles[who])));
      return file;
    },
    async () => {
      if (family === 4) {
        const spec = JSON.stringify({ iface: link.clientIf, queries });
        const out = bed.exec(link.clientNs, PYTHON, [RAW4, spec], 120_000);
        return (JSON.parse(out) as { replies: (A | null)[] }).replies;
      }
      const out = bed.exec(link.clientNs, process.execPath, [PROC6, queriesFile], 120_000);
      // The lease file is written before the reply leaves; a moment for the last one's flush.
      await new Promise((r) => setTimeout(r, 300));
      return JSON.parse(out) as (A | null)[];
    },
  );
  const read = (f: string): string => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  return { answers, leases: { kea: read(leaseFiles.kea), nestor: read(leaseFiles.nestor) } };
}

/**
 * The leases a Kea CSV lease file holds at its end (its last row for each address, rows of
 * lifetime 0 removing it), as `address -> "column column ..."` of the named columns.
 */
export function leaseColumnsAtEnd(csv: string, names: readonly string[]): Record<string, string> {
  const lines = csv.trim().split("\n");
  if (lines.length < 2) return {};
  const cols = lines[0]!.split(",");
  const at = (name: string): number => cols.indexOf(name);
  const out: Record<string, string> = {};
  for (const row of lines.slice(1)) {
    const f = row.split(",");
    const address = f[at("address")]!;
    if (f[at("valid_lifetime")] === "0") delete out[address];
    else out[address] = names.map((c) => f[at(c)]).join(" ");
  }
  return out;
}
