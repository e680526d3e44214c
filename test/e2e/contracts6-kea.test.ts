/**
 * The contracts operators' tools read, nestor-dhcp6 against Kea 2.2 (Debian's kea-dhcp6): the
 * same configuration, the same relayed queries and the same control commands to both.
 *
 * - Statistics after a SOLICIT/REQUEST/RENEW/RELEASE exchange, and after a config-reload that
 *   drops a subnet: the same statistics, the same number of samples, the same values.
 * - status-get and the reload lines: as for v4 (contracts-kea.test.ts), the v6 IDs.
 * - Loggers configured as `kea-dhcp6.packets`, `.leases`, `.bad-packets`: the same message IDs
 *   in the same order.
 *
 *   relay ns [veth 2001:db8:1::1/64] ---- [veth 2001:db8:1::2/64] server ns: kea-dhcp6, then
 *                                                                  nestor-dhcp6
 *
 * Needs root, iproute2 and kea-dhcp6 (Debian: kea-dhcp6-server).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import type { JsonObject } from "../../src/hooks/types.ts";
import { controlCommand, type ControlAnswer } from "./lib/control-client.ts";
import { linesOf, loggedIds } from "./lib/contracts.ts";
import { keaPrerequisite, keaThenNestor, serverRelayLink, type Who } from "./lib/kea.ts";
import { requirePrerequisites, TestBed, type Proc } from "./lib/netns.ts";
import type { Answer6, Query6 } from "./lib/relay6-queries.ts";

const RELAY_ADDR = "2001:db8:1::1";
const SERVER = "2001:db8:1::2";
const SOLICIT = 1;
const REQUEST = 3;
const RENEW = 5;
const RELEASE = 8;
const DUID = "00030001020000000d01";
const IAS = [{ iaid: 1 }, { iaid: 2, pd: true }];

const QUERIES: Query6[] = [
  { type: SOLICIT, duid: DUID, ias: IAS },
  { type: REQUEST, duid: DUID, ias: IAS, serverId: true },
  { type: RENEW, duid: DUID, ias: IAS, serverId: true },
  { type: SOLICIT, duid: "00030001020000000d02", ias: [{ iaid: 1 }] },
  { type: RELEASE, duid: DUID, ias: [{ iaid: 1 }], serverId: true },
];

function configText(bed: TestBed, who: Who, ifname: string, loggers?: unknown[]): string {
  return JSON.stringify(
    {
      Dhcp6: {
        "interfaces-config": { interfaces: [`${ifname}/${SERVER}`] },
        "lease-database": {
          type: "memfile",
          name: join(bed.dir, `${who}-leases6.csv`),
          persist: true,
          "lfc-interval": 0,
        },
        "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
        "control-socket": { "socket-type": "unix", "socket-name": join(bed.dir, `${who}.sock`) },
        "preferred-lifetime": 3000,
        "valid-lifetime": 4000,
        subnet6: [
          {
            id: 1,
            subnet: "2001:db8:1::/64",
            relay: { "ip-addresses": [RELAY_ADDR] },
            pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::20" }],
            "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 56, "delegated-len": 60 }],
          },
          {
            id: 2,
            subnet: "2001:db8:2::/64",
            pools: [{ pool: "2001:db8:2::10 - 2001:db8:2::20" }],
          },
        ],
        loggers: loggers ?? [
          { name: "kea-dhcp6", severity: "INFO", output_options: [{ output: "stdout" }] },
        ],
      },
    },
    null,
    2,
  );
}

interface Side {
  who: Who;
  server: Proc;
  file: string;
  send(queries: Query6[]): (Answer6 | null)[];
  command(cmd: JsonObject): Promise<ControlAnswer>;
}

async function sideBySide<T>(
  title: string,
  loggers: unknown[] | undefined,
  exercise: (side: Side) => Promise<T>,
): Promise<Record<Who, T>> {
  requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
  const bed = new TestBed(title, "n6c");
  try {
    const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, RELAY_ADDR, 64);
    const relay = fileURLToPath(new URL("./lib/relay6-queries.ts", import.meta.url));
    let n = 0;
    return await keaThenNestor(
      bed,
      serverNs,
      6,
      (who) => {
        const file = join(bed.dir, `${who}.json`);
        writeFileSync(file, configText(bed, who, serverIf, loggers));
        return file;
      },
      (who, server) =>
        exercise({
          who,
          server,
          file: join(bed.dir, `${who}.json`),
          send: (queries) => {
            const f = join(bed.dir, `queries-${++n}.json`);
            writeFileSync(f, JSON.stringify(queries));
            const out = bed.exec(relayNs, process.execPath, [relay, RELAY_ADDR, SERVER, f], 60_000);
            return JSON.parse(out) as (Answer6 | null)[];
          },
          command: (cmd) => controlCommand(join(bed.dir, `${who}.sock`), cmd),
        }),
    );
  } finally {
    await bed.close();
  }
}

const POOL_STATISTIC = /^subnet\[\d+\]\.(pool|pd-pool)\[\d+\]\./;

async function snapshot(side: Side): Promise<Record<string, [number, unknown[]]>> {
  const a = await side.command({ command: "statistic-get-all" });
  assert.equal(a.result, 0, JSON.stringify(a));
  const all = (a.arguments ?? {}) as Record<string, [unknown, string][]>;
  const out: Record<string, [number, unknown[]]> = {};
  for (const name of Object.keys(all).sort()) {
    // Kea 3's per-pool statistics, which Nestor keeps and Kea 2.2 does not have.
    if (POOL_STATISTIC.test(name)) continue;
    out[name] = [all[name]!.length, all[name]!.map((s) => s[0])];
  }
  return out;
}

test(
  "v6 statistics after an exchange and after a reload that drops a subnet, and the reload lines, as Kea 2.2",
  { timeout: 180_000 },
  async () => {
    const got = await sideBySide("v6 statistics side by side", undefined, async (side) => {
      const answers = side.send(QUERIES);
      const before = await snapshot(side);
      const c = JSON.parse(readFileSync(side.file, "utf8")) as { Dhcp6: { subnet6: unknown[] } };
      c.Dhcp6.subnet6 = c.Dhcp6.subnet6.slice(0, 1);
      writeFileSync(side.file, JSON.stringify(c, null, 2));
      const reload = await side.command({ command: "config-reload" });
      const after = await snapshot(side);
      return {
        answers: answers.map((a) => a?.type ?? null),
        before,
        reload: reload.result,
        after,
        success: linesOf(side.server.output, "DHCP6_DYNAMIC_RECONFIGURATION_SUCCESS").map((l) =>
          l.includes(side.file),
        ),
      };
    });
    assert.deepEqual(got.kea.answers, [2, 7, 7, 2, 7], "Kea's ADVERTISE, REPLY, REPLY...");
    assert.deepEqual(got.kea.success, [true]);
    assert.deepEqual(got.nestor.answers, got.kea.answers);
    assert.deepEqual(got.nestor.before, got.kea.before, "statistics after the exchange");
    assert.equal(got.nestor.reload, 0);
    assert.deepEqual(got.nestor.after, got.kea.after, "statistics after the reload");
    assert.deepEqual(got.nestor.success, got.kea.success);
  },
);

test(
  "v6 loggers written for Kea apply: kea-dhcp6.packets, .leases and .bad-packets log Kea's IDs",
  { timeout: 180_000 },
  async () => {
    const debug = (name: string) => ({
      name,
      severity: "DEBUG",
      debuglevel: 55,
      output_options: [{ output: "stdout" }],
    });
    const loggers = [
      { name: "kea-dhcp6", severity: "INFO", output_options: [{ output: "stdout" }] },
      debug("kea-dhcp6.packets"),
      debug("kea-dhcp6.leases"),
      debug("kea-dhcp6.bad-packets"),
    ];
    const got = await sideBySide("v6 loggers side by side", loggers, async (side) => {
      side.send(QUERIES);
      await new Promise((r) => setTimeout(r, 300));
      const out = side.server.output;
      const named = new RegExp(`\\[[a-z0-9-]+\\.(packets|leases|bad-packets)/`);
      const lines = out.split("\n").filter((l) => named.test(l));
      const text = lines.join("\n");
      return [...loggedIds(text, "DEBUG"), "|", ...loggedIds(text, "INFO")];
    });
    assert.ok(got.kea.includes("DHCP6_PACKET_SEND"), got.kea.join("\n"));
    assert.deepEqual(got.nestor, got.kea);
  },
);
