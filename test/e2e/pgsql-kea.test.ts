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
import { fileURLToPath } from "node:url";

import { PgKea } from "../helpers/pg-kea.ts";
import { controlCommand, statistic, waitForControl } from "./lib/control-client.ts";
import { keaPrerequisite, requireKeaHookLibrary, serverRelayLink, startKea } from "./lib/kea.ts";
import { startNestor } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed, type Proc } from "./lib/netns.ts";
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

type Lease = Record<string, unknown>;

async function allLeases(socket: string): Promise<Lease[]> {
  const a = await controlCommand(socket, { command: "lease4-get-all" });
  const leases = ((a.arguments as { leases?: Lease[] } | undefined)?.leases ?? []).slice();
  return leases.sort((x, y) => String(x["ip-address"]).localeCompare(String(y["ip-address"])));
}

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
              "lease-database": {
                ...db.keaConfig(),
                "connect-timeout": 10,
                "max-reconnect-tries": 3,
                "reconnect-wait-time": 1000,
                "on-fail": "stop-retry-exit",
              },
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
      const relay = fileURLToPath(new URL("./lib/relay4-queries.ts", import.meta.url));
      const send = async (name: string, queries: Query4[]): Promise<(Answer4 | null)[]> => {
        const file = join(bed.dir, `${name}.json`);
        writeFileSync(file, JSON.stringify(queries));
        const agent = bed.spawn(`relay-${name}`, relayNs, process.execPath, [
          relay,
          GIADDR,
          SERVER,
          file,
        ]);
        if (!(await agent.waitExit(60_000)) || agent.exitCode !== 0) {
          await agent.stop();
          throw new Error(`relay4-queries failed (${agent.exitCode}):\n${agent.output}`);
        }
        return JSON.parse(agent.output) as (Answer4 | null)[];
      };
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
      const byKea = await allLeases(socket);
      assert.equal(byKea.length, 3);
      await kea.stop();

      // 2. Nestor on the same, unmodified file.
      const nestor = await startNestor(bed, serverNs, 4, config);
      await ready(nestor);
      assert.match(nestor.output, /DHCPSRV_PGSQL_DB .*name=kea_shared/);
      assert.deepEqual(await allLeases(socket), byKea, "Nestor reads Kea's rows field by field");
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
      const byNestor = await allLeases(socket);
      assert.equal(byNestor.length, 5);
      assert.equal(await statistic(socket, "subnet[1].assigned-addresses"), 5);
      await nestor.stop();
      assert.equal(pg.psql("SELECT count(*) FROM lease4", db.name), "5");

      // 3. Kea again: it sees what Nestor wrote, exactly.
      kea = await startKea(bed, serverNs, 4, config);
      await ready(kea);
      assert.deepEqual(await allLeases(socket), byNestor, "Kea reads Nestor's rows field by field");
      assert.equal(await statistic(socket, "subnet[1].assigned-addresses"), 5);
      await kea.stop();
    } finally {
      await bed.close();
      await pg.stop();
    }
  },
);
