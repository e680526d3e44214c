/**
 * The PostgreSQL lease database shared with Kea 2.2 (a migration): one Kea configuration file
 * with `"type": "postgresql"`, given unchanged to kea-dhcp4 2.2 and to nestor-dhcp4, one database
 * made by Kea's own `kea-admin db-init pgsql`.
 *
 *   1. kea-dhcp4 serves three clients (relayed REQUESTs), lease4-get-all, stops.
 *   2. nestor-dhcp4 starts on the same file: its lease4-get-all equals Kea's, field by field, and
 *      its assigned-addresses counts them (recounted from the database at start); a client of
 *      Kea's gets its own address back from Nestor; two new clients are served.
 *   3. kea-dhcp4 starts again: its lease4-get-all equals Nestor's, and so do its statistics.
 *
 *   relay ns [veth 198.51.100.254/24] ---- [veth 198.51.100.1/24] server ns
 *
 * Needs root, iproute2, kea-dhcp4 (kea-dhcp4-server), libdhcp_lease_cmds.so (kea-common),
 * kea-admin and postgresql.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { PgKea } from "../helpers/pg-kea.ts";
import { statistic, waitForControl } from "./lib/control-client.ts";
import { keaPrerequisite, requireKeaHookLibrary, serverRelayLink, startKea } from "./lib/kea.ts";
import { startNestor } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed, type Proc } from "./lib/netns.ts";
import { allLeases, relayQueries, sharedLeaseDatabase } from "./lib/pgsql-kea-shared.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";

const GIADDR = "198.51.100.254";
const SERVER = "198.51.100.1";
const DISCOVER = 1;
const REQUEST = 3;
const OFFER = 2;
const ACK = 5;

const ipHex = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");
const mac = (n: number) => `02:00:00:00:0d:${n.toString(16).padStart(2, "0")}`;
const selecting = (m: string, addr: string): Query4 => ({
  type: REQUEST,
  mac: m,
  options: [
    [50, ipHex(addr)],
    [54, ipHex(SERVER)],
  ],
});

test(
  "Kea 2.2 and Nestor serve from one PostgreSQL lease database, each seeing the other's leases",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    const leaseCmds = requireKeaHookLibrary("libdhcp_lease_cmds.so", "kea-common");
    const pg = await PgKea.start();
    const bed = new TestBed("pgsql kea");
    try {
      const db = pg.createKeaDatabase("kea_shared");
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
      const socket = join(bed.dir, "dhcp4.sock");
      const config = join(bed.dir, "kea-dhcp4.conf");
      // A Kea 2.2 configuration, as an operator has it; Nestor gets the same file.
      writeFileSync(
        config,
        JSON.stringify(
          {
            Dhcp4: {
              "interfaces-config": { interfaces: [serverIf], "dhcp-socket-type": "udp" },
              "lease-database": sharedLeaseDatabase(db),
              "control-socket": { "socket-type": "unix", "socket-name": socket },
              "hooks-libraries": [{ library: leaseCmds }],
              "valid-lifetime": 4000,
              subnet4: [
                {
                  id: 1,
                  subnet: "198.51.100.0/24",
                  relay: { "ip-addresses": [GIADDR] },
                  pools: [{ pool: "198.51.100.10 - 198.51.100.29" }],
                },
              ],
              loggers: [
                { name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" },
              ],
            },
          },
          null,
          2,
        ),
      );
      const relay = { bed, family: 4 as const, relayNs, relayAddress: GIADDR, server: SERVER };
      const send = (name: string, queries: Query4[]) =>
        relayQueries<Query4, Answer4>(relay, name, queries);
      const ready = async (server: Proc) => waitForControl(socket, server, 30_000);

      // 1. Kea serves three clients.
      let kea = await startKea(bed, serverNs, 4, config);
      await ready(kea);
      const keaAnswers = await send("kea1", [
        selecting(mac(1), "198.51.100.10"),
        selecting(mac(2), "198.51.100.11"),
        selecting(mac(3), "198.51.100.12"),
      ]);
      assert.deepEqual(
        keaAnswers.map((a) => [a?.type, a?.yiaddr]),
        [
          [ACK, "198.51.100.10"],
          [ACK, "198.51.100.11"],
          [ACK, "198.51.100.12"],
        ],
        kea.output,
      );
      const byKea = await allLeases(socket, 4);
      assert.equal(byKea.length, 3);
      await kea.stop();

      // 2. Nestor on the same, unmodified file.
      const nestor = await startNestor(bed, serverNs, 4, config);
      await ready(nestor);
      assert.match(nestor.output, /DHCPSRV_PGSQL_DB .*name=kea_shared/);
      assert.deepEqual(await allLeases(socket, 4), byKea, "Nestor reads Kea's rows field by field");
      assert.equal(await statistic(socket, "subnet[1].assigned-addresses"), 3);
      const nestorAnswers = await send("nestor", [
        { type: DISCOVER, mac: mac(2) }, // Kea's client: its address from Kea's lease
        selecting(mac(2), "198.51.100.11"),
        { type: DISCOVER, mac: mac(4) }, // a new client: the next free address
        selecting(mac(4), "198.51.100.13"),
        selecting(mac(5), "198.51.100.14"),
      ]);
      assert.deepEqual(
        nestorAnswers.map((a) => [a?.type, a?.yiaddr]),
        [
          [OFFER, "198.51.100.11"],
          [ACK, "198.51.100.11"],
          [OFFER, "198.51.100.13"],
          [ACK, "198.51.100.13"],
          [ACK, "198.51.100.14"],
        ],
        nestor.output,
      );
      const byNestor = await allLeases(socket, 4);
      assert.equal(byNestor.length, 5);
      assert.equal(await statistic(socket, "subnet[1].assigned-addresses"), 5);
      await nestor.stop();
      assert.equal(pg.psql("SELECT count(*) FROM lease4", db.name), "5");

      // 3. Kea again: it sees what Nestor wrote, exactly.
      kea = await startKea(bed, serverNs, 4, config);
      await ready(kea);
      assert.deepEqual(
        await allLeases(socket, 4),
        byNestor,
        "Kea reads Nestor's rows field by field",
      );
      assert.equal(await statistic(socket, "subnet[1].assigned-addresses"), 5);
      await kea.stop();
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
