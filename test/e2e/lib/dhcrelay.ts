/**
 * A DHCPv4 client behind ISC dhcrelay, each in its own namespace:
 *
 *   client ns [c] ---- [203.0.113.1/24] relay ns: dhcrelay [198.18.0.2/24] ---- [198.18.0.1/24]
 *   server ns
 *
 * The relay's giaddr is 203.0.113.1, and the server namespace reaches 203.0.113.0/24 through a
 * route via the relay.
 */
import { join } from "node:path";

import type { Prerequisite, Proc, TestBed } from "./netns.ts";

export const DHCRELAY: Prerequisite = { program: "dhcrelay", debianPackage: "isc-dhcp-relay" };

export interface RelayedLinks {
  serverNs: string;
  relayNs: string;
  clientNs: string;
  /** The server's end of the upstream link (198.18.0.1/24). */
  serverIf: string;
  /** The client's end of the downstream link (no address; `mac` set). */
  clientIf: string;
  /** dhcrelay, forwarding already. */
  relay: Proc;
}

/** The three namespaces, their links and the route; dhcrelay started and listening. */
export async function relayedLinks(bed: TestBed, mac: string): Promise<RelayedLinks> {
  const serverNs = bed.namespace("srv");
  const relayNs = bed.namespace("rly");
  const clientNs = bed.namespace("cli");
  const upstream = bed.link(
    { ns: serverNs, role: "s", address: "198.18.0.1/24" },
    { ns: relayNs, role: "u", address: "198.18.0.2/24" },
  );
  const downstream = bed.link(
    { ns: relayNs, role: "d", address: "203.0.113.1/24" },
    { ns: clientNs, role: "c", mac },
  );
  bed.exec(serverNs, "ip", ["route", "add", "203.0.113.0/24", "via", "198.18.0.2"]);
  // -d foreground, -id/-iu downstream/upstream interfaces, -pf a PID file of the test's own.
  const relay = bed.spawn("dhcrelay", relayNs, "dhcrelay", [
    "-4",
    "-d",
    "-pf",
    join(bed.dir, "dhcrelay.pid"),
    "-id",
    downstream.a,
    "-iu",
    upstream.b,
    "198.18.0.1",
  ]);
  await relay.waitForOutput(/Sending on\s+Socket\/fallback|Listening on/, 10_000);
  return { serverNs, relayNs, clientNs, serverIf: upstream.a, clientIf: downstream.b, relay };
}
