/**
 * perfdhcp -6 as a load generator for the PostgreSQL DHCPv6 suites: SOLICIT, ADVERTISE,
 * REQUEST, REPLY with an address and a prefix per client (`-e address-and-prefix`), new clients;
 * the configuration of the nestor-dhcp6 they load, and the check of the lease6 table after.
 */
import assert from "node:assert/strict";

import type { JsonObject } from "../../../src/hooks/types.ts";
import type { PgKea } from "../../helpers/pg-kea.ts";

/**
 * The Dhcp6 configuration (JSON text) of a server under perfdhcp -6 on the link of `iface`:
 * subnet 2001:db8:1::/64 on that interface with `pool` and a /35 prefix pool delegating
 * `delegatedLen`, the lease database `leaseDatabase`, a fixed server DUID (EN 2495, `serverId`),
 * the control socket `socket`, the log on stdout.
 */
export function perfServer6Config(o: {
  iface: string;
  leaseDatabase: JsonObject;
  serverId: string;
  socket: string;
  pool: string;
  delegatedLen: number;
}): string {
  return JSON.stringify({
    Dhcp6: {
      "interfaces-config": { interfaces: [o.iface] },
      "lease-database": o.leaseDatabase,
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: o.serverId, persist: false },
      "control-socket": { "socket-type": "unix", "socket-name": o.socket },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          interface: o.iface,
          pools: [{ pool: o.pool }],
          "pd-pools": [
            { prefix: "2001:db8:2000::", "prefix-len": 35, "delegated-len": o.delegatedLen },
          ],
        },
      ],
      loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

/**
 * perfdhcp -6's arguments: `rate` exchanges/s for `seconds` s from `ifname` (direct, on the
 * link), up to a million clients. Each run's clients are its own through `duidTime`, 8 hex
 * digits put in the time field of the DUID-LLT base: perfdhcp randomizes the link-layer address
 * (the last six bytes) the same way whatever the seed, so two runs with the same base would
 * share clients. -W waits 1 s after the last SOLICIT for late answers.
 */
export function perfdhcp6LoadArgs(
  ifname: string,
  o: { rate: number; seconds: number; seed: number; duidTime: string },
): string[] {
  if (!/^[0-9a-f]{8}$/.test(o.duidTime)) throw new Error(`duidTime '${o.duidTime}': 8 hex digits`);
  return [
    "-6",
    "-l",
    ifname,
    "-e",
    "address-and-prefix",
    "-r",
    String(o.rate),
    "-p",
    String(o.seconds),
    "-R",
    "1000000",
    "-s",
    String(o.seed),
    "-b",
    `duid=00010001${o.duidTime}02ee00000000`,
    "-W",
    "1000000",
  ];
}

/**
 * Checks the lease6 table after a run: for addresses and for prefixes alike, at least `granted`
 * rows (every lease perfdhcp saw granted in a REPLY is stored), and as many clients as rows (no
 * client holds two of a type; no address or prefix two clients, the address being the key).
 */
export function assertLease6Rows(pg: PgKea, db: string, granted: number): void {
  for (const type of [0, 2]) {
    const [rows, clients] = pg
      .psql(`SELECT count(*), count(DISTINCT duid) FROM lease6 WHERE lease_type = ${type}`, db)
      .split("|")
      .map(Number);
    process.stdout.write(`# ${rows} leases of type ${type} in the table for ${granted} REPLYs\n`);
    assert.ok(
      rows! >= granted,
      `${rows} rows of type ${type} for ${granted} REPLYs: one is missing`,
    );
    assert.equal(clients, rows, `type ${type}: a client holds two, or a lease two clients`);
  }
}

/**
 * Waits (at most 10 s) until `ifname` in `ns` has a usable link-local address (present, not
 * tentative): perfdhcp -6 sends from it and refuses to start without one.
 */
export async function waitForLinkLocal(
  bed: { exec(ns: string, cmd: string, args: readonly string[]): string },
  ns: string,
  ifname: string,
): Promise<void> {
  let shown = "";
  for (let i = 0; i < 100; i++) {
    shown = bed.exec(ns, "ip", ["-6", "addr", "show", "dev", ifname, "scope", "link"]);
    if (/inet6 fe80/.test(shown) && !/tentative/.test(shown)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no usable link-local address on ${ifname} after 10 s:\n${shown}`);
}
