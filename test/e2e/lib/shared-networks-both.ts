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

import { statistic, waitForControl } from "./control-client.ts";
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

/** The EUI-64 link-local address of a MAC address (RFC 4291). */
export function linkLocal(mac: string): string {
  const b = mac.split(":").map((x) => parseInt(x, 16));
  b[0] = b[0]! ^ 0x02;
  const w = [(b[0] << 8) | b[1]!, (b[2]! << 8) | 0xff, (0xfe << 8) | b[3]!, (b[4]! << 8) | b[5]!];
  return `fe80::${w.map((x) => x.toString(16)).join(":")}`;
}

/**
 * A server namespace and a client namespace joined by a veth pair; `server` (with its prefix
 * length) on the server's end, `client` (if any) on the client's; the ends' MAC addresses
 * `serverMac` and `clientMac`. IPv6: no duplicate address detection, and each side's neighbours
 * known in advance, so that no neighbour discovery delays the first answer.
 */
export function clientLink(
  bed: TestBed,
  server: string,
  client: string | null,
  clientMac: string,
  serverMac = "02:00:00:00:0f:01",
): ClientLink {
  const serverNs = bed.namespace("srv");
  const clientNs = bed.namespace("cli");
  const v6 = server.includes(":");
  if (v6) {
    bed.noDad(serverNs);
    bed.noDad(clientNs);
  }
  const { a: serverIf, b: clientIf } = bed.link(
    { ns: serverNs, role: "s", mac: serverMac },
    { ns: clientNs, role: "c", mac: clientMac },
  );
  const flags = v6 ? ["nodad"] : [];
  bed.exec(serverNs, "ip", ["addr", "add", server, "dev", serverIf, ...flags]);
  if (client !== null) bed.exec(clientNs, "ip", ["addr", "add", client, "dev", clientIf, ...flags]);
  if (v6) {
    const bare = (a: string) => a.split("/")[0]!;
    const sides = [
      [
        serverNs,
        serverIf,
        [linkLocal(clientMac), ...(client === null ? [] : [bare(client)])],
        clientMac,
      ],
      [clientNs, clientIf, [linkLocal(serverMac), bare(server)], serverMac],
    ] as const;
    for (const [ns, dev, addrs, mac] of sides) {
      for (const a of addrs) {
        bed.exec(ns, "ip", [
          "-6",
          "neigh",
          "replace",
          a,
          "lladdr",
          mac,
          "dev",
          dev,
          "nud",
          "permanent",
        ]);
      }
    }
  }
  return { serverNs, clientNs, serverIf, clientIf };
}

export interface BothRun<A> {
  answers: Record<Who, (A | null)[]>;
  /** Each server's lease file, as text ("" when it wrote none). */
  leases: Record<Who, string>;
  /** The statistics asked for, read after the last query (0 when the server has none). */
  stats: Record<Who, Record<string, number>>;
}

/** Kea's statistic-get answer: { name: [[value, time], ...] }. */
/**
 * Kea, then Nestor, on `config(leaseFile)`, each sent `queries` from the client namespace:
 * DHCPv4 as frames by raw4_client.py (the raw replies as that client reports them), DHCPv6 by
 * proc6-queries.ts. `config` gets the lease file and the control socket to use; the statistics
 * named are read through that socket after the last query.
 */
export async function queriesToBothDirect<A>(
  bed: TestBed,
  link: ClientLink,
  family: Family,
  config: (leaseFile: string, controlSocket: string) => object,
  queries: readonly object[],
  statistics: readonly string[] = [],
): Promise<BothRun<A>> {
  const leaseFiles = {} as Record<Who, string>;
  const socket = (who: Who): string => join(bed.dir, `${who}${family}.sock`);
  const stats = {} as Record<Who, Record<string, number>>;
  const queriesFile = join(bed.dir, `queries${family}.json`);
  writeFileSync(queriesFile, JSON.stringify(queries));
  const answers = await keaThenNestor(
    bed,
    link.serverNs,
    family,
    (who) => {
      leaseFiles[who] = join(bed.dir, `${who}-leases${family}.csv`);
      const file = join(bed.dir, `${who}.json`);
      writeFileSync(file, JSON.stringify(config(leaseFiles[who], socket(who))));
      return file;
    },
    async (who, server) => {
      await waitForControl(socket(who), server);
      // Kea answers its control socket before its DHCP sockets are open: wait for them too.
      await waitForDhcpSocket(bed, link, family);
      let answers: (A | null)[];
      if (family === 4) {
        const spec = JSON.stringify({ iface: link.clientIf, queries });
        const out = bed.exec(link.clientNs, PYTHON, [RAW4, spec], 120_000);
        answers = (JSON.parse(out) as { replies: (A | null)[] }).replies;
      } else {
        const out = bed.exec(link.clientNs, process.execPath, [PROC6, queriesFile], 120_000);
        answers = JSON.parse(out) as (A | null)[];
      }
      stats[who] = {};
      for (const name of statistics) stats[who][name] = await statistic(socket(who), name);
      return answers;
    },
  );
  const read = (f: string): string => {
    try {
      return readFileSync(f, "utf8");
    } catch {
      return "";
    }
  };
  return {
    answers,
    leases: { kea: read(leaseFiles.kea), nestor: read(leaseFiles.nestor) },
    stats,
  };
}

/**
 * Waits (at most 10 s) until a UDP socket is bound to the DHCP server port in the server's
 * namespace, and for v6 until the server's interface has joined ff02::1:2 and no address of the
 * client's link is still tentative (a query sent from one is lost).
 */
export async function waitForDhcpSocket(
  bed: TestBed,
  link: ClientLink,
  family: Family,
): Promise<void> {
  const port = family === 4 ? 67 : 547;
  const ns = link.serverNs;
  const ready = (): boolean => {
    if (bed.exec(ns, "ss", ["-Hunl", `sport = :${port}`]).trim() === "") return false;
    if (family === 4) return true;
    const maddr = bed.exec(ns, "ip", ["-6", "maddr", "show", "dev", link.serverIf]);
    const tentative = bed.exec(link.clientNs, "ip", [
      "-6",
      "addr",
      "show",
      "dev",
      link.clientIf,
      "tentative",
    ]);
    return maddr.includes("ff02::1:2") && tentative.trim() === "";
  };
  for (let i = 0; i < 100; i++) {
    if (ready()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the DHCP server in ${ns} is not ready on port ${port} after 10 s`);
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
