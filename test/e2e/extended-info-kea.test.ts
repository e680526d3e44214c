/**
 * `store-extended-info`, nestor-dhcp4 / nestor-dhcp6 against Kea 2.2 (Debian's kea-dhcp4 and
 * kea-dhcp6): one configuration given unchanged to both (the key at global level, turned off in
 * one subnet), the same relayed queries sent by a relay agent in its own namespace, then the
 * lease files compared row by row (every column but the expiry time, which depends on the
 * second each server wrote it) and `lease4-get` / `lease6-get` of the lease_cmds hook library
 * compared, user context included.
 *
 *   relay ns [veth 198.51.100.254/24, 203.0.113.254/24] ---- [198.51.100.1/24] server ns
 *   relay ns [veth 2001:db8:1::fe/64] ---- [2001:db8:1::1/64] server ns
 *
 * Needs root, iproute2, kea-dhcp4 / kea-dhcp6 (Debian: kea-dhcp4-server, kea-dhcp6-server) and
 * libdhcp_lease_cmds.so (Debian: kea-common).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { controlCommand, waitForControl } from "./lib/control-client.ts";
import {
  keaPrerequisite,
  keaThenNestor,
  requireKeaHookLibrary,
  serverRelayLink,
  type Family,
} from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Query4 } from "./lib/relay4-queries.ts";
import type { Query6 } from "./lib/relay6-queries.ts";

const ipHex = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");
const text = (s: string) => Buffer.from(s).toString("hex");

/** The lease file's rows without the header and the expiry column, sorted. */
function rows(file: string, family: Family): string[] {
  const expire = family === 4 ? 4 : 3;
  return readFileSync(file, "utf8")
    .split("\n")
    .slice(1)
    .filter((l) => l !== "")
    .map((l) =>
      l
        .split(",")
        .filter((_, i) => i !== expire)
        .join(","),
    )
    .sort();
}

/** A lease_cmds answer without the times that depend on when each server granted it. */
function leaseOf(answer: { result: number; arguments?: unknown }): unknown {
  const a = { ...(answer.arguments as Record<string, unknown>) };
  delete a["cltt"];
  return { result: answer.result, lease: a };
}

interface Side {
  leaseFile: string;
  get: unknown[];
  answers: unknown;
}

async function bothServers(
  bed: TestBed,
  family: Family,
  serverNs: string,
  relayNs: string,
  relay: string,
  server: string,
  queries: readonly unknown[],
  config: (leaseFile: string, socket: string) => unknown,
  gets: readonly Record<string, unknown>[],
): Promise<Record<"kea" | "nestor", Side>> {
  const relayScript = fileURLToPath(new URL(`./lib/relay${family}-queries.ts`, import.meta.url));
  const queriesFile = join(bed.dir, "queries.json");
  writeFileSync(queriesFile, JSON.stringify(queries));
  const socket = (who: string) => join(bed.dir, `${who}.sock`);
  const leaseFile = (who: string) => join(bed.dir, `${who}-leases${family}.csv`);
  return keaThenNestor(
    bed,
    serverNs,
    family,
    (who) => {
      const file = join(bed.dir, `${who}.json`);
      writeFileSync(file, JSON.stringify(config(leaseFile(who), socket(who))));
      return file;
    },
    async (who, proc) => {
      await waitForControl(socket(who), proc);
      const out = bed.exec(
        relayNs,
        process.execPath,
        [relayScript, relay, server, queriesFile],
        60_000,
      );
      const get: unknown[] = [];
      for (const args of gets) {
        const command = family === 4 ? "lease4-get" : "lease6-get";
        get.push(leaseOf(await controlCommand(socket(who), { command, arguments: args })));
      }
      return { leaseFile: leaseFile(who), get, answers: JSON.parse(out) as unknown };
    },
  );
}

test(
  "store-extended-info: nestor-dhcp4 keeps option 82 in the lease's user context as Kea 2.2 does",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    const leaseCmds = requireKeaHookLibrary("libdhcp_lease_cmds.so", "kea-common");
    const bed = new TestBed("store-extended-info v4: nestor-dhcp4 and kea-dhcp4 side by side");
    try {
      const SERVER = "198.51.100.1";
      const GIADDR = "198.51.100.254";
      const GIADDR2 = "203.0.113.254";
      const { serverNs, relayNs, serverIf, relayIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
      bed.exec(relayNs, "ip", ["addr", "add", `${GIADDR2}/24`, "dev", relayIf]);
      bed.exec(serverNs, "ip", ["route", "add", "203.0.113.0/24", "via", GIADDR]);
      const serverId: [number, string] = [54, ipHex(SERVER)];
      const request = (mac: string, addr: string, rai?: [number, string][]): Query4 => ({
        type: 3,
        mac,
        options: [[50, ipHex(addr)], serverId],
        ...(rai === undefined ? {} : { rai }),
      });
      const CIRCUIT: [number, string] = [1, text("port-7")];
      const REMOTE: [number, string] = [2, "aabbccddeeff"];
      const queries: Query4[] = [
        // A DISCOVER stores nothing; its REQUEST stores the RAI (sub-options in code order).
        { type: 1, mac: "02:00:00:00:0e:01", rai: [REMOTE, CIRCUIT] },
        request("02:00:00:00:0e:01", "198.51.100.10", [REMOTE, CIRCUIT]),
        // No option 82: a new lease without user context.
        request("02:00:00:00:0e:02", "198.51.100.11"),
        // A renewal without option 82 keeps what the lease had.
        {
          ...request("02:00:00:00:0e:01", "198.51.100.10"),
          options: [[50, ipHex("198.51.100.10")]],
        },
        // Another RAI replaces it; sub-option 9 (vendor-specific) too.
        request("02:00:00:00:0e:03", "198.51.100.12", [CIRCUIT]),
        request("02:00:00:00:0e:03", "198.51.100.12", [[9, "0000118b0401aa"], CIRCUIT]),
        // The subnet where store-extended-info is false: nothing stored.
        { ...request("02:00:00:00:0e:04", "203.0.113.10", [CIRCUIT]), giaddr: GIADDR2 },
      ];
      const config = (leaseFile: string, socket: string) => ({
        Dhcp4: {
          "interfaces-config": { interfaces: [serverIf], "dhcp-socket-type": "udp" },
          "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
          "control-socket": { "socket-type": "unix", "socket-name": socket },
          "hooks-libraries": [{ library: leaseCmds }],
          "store-extended-info": true,
          subnet4: [
            {
              id: 1,
              subnet: "198.51.100.0/24",
              pools: [{ pool: "198.51.100.10 - 198.51.100.99" }],
            },
            {
              id: 2,
              subnet: "203.0.113.0/24",
              "store-extended-info": false,
              pools: [{ pool: "203.0.113.10 - 203.0.113.99" }],
            },
          ],
        },
      });
      const gets = ["198.51.100.10", "198.51.100.12", "203.0.113.10"].map((a) => ({
        "ip-address": a,
      }));
      const { kea, nestor } = await bothServers(
        bed,
        4,
        serverNs,
        relayNs,
        GIADDR,
        SERVER,
        queries,
        config,
        gets,
      );
      assert.deepEqual(nestor.answers, kea.answers);
      const k = rows(kea.leaseFile, 4);
      // What Kea 2.2 wrote is what this test is about: the RAI is there.
      assert.ok(
        k.some((r) => r.includes('"relay-agent-info": "0x0106706F72742D370206AABBCCDDEEFF"')),
        k.join("\n"),
      );
      assert.deepEqual(rows(nestor.leaseFile, 4), k);
      assert.equal((kea.get[0] as { result: number }).result, 0);
      assert.ok(JSON.stringify(kea.get[0]).includes("relay-agent-info"));
      assert.deepEqual(nestor.get, kea.get);
    } finally {
      await bed.close();
    }
  },
);

test(
  "store-extended-info: nestor-dhcp6 keeps the relays in the lease's user context as Kea 2.2 does",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const leaseCmds = requireKeaHookLibrary("libdhcp_lease_cmds.so", "kea-common");
    const bed = new TestBed(
      "store-extended-info v6: nestor-dhcp6 and kea-dhcp6 side by side",
      "n6e",
    );
    try {
      const SERVER = "2001:db8:1::1";
      const RELAY = "2001:db8:1::fe";
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, RELAY, 64);
      const IFACE_ID: [number, string] = [18, text("eth0.1")];
      const REMOTE_ID: [number, string] = [37, "00000009aabbcc"];
      const duid = (n: number) => `0003000102000000ee${n.toString(16).padStart(2, "0")}`;
      const both = [{ iaid: 1 }, { pd: true, iaid: 2 }];
      const queries: Query6[] = [
        { type: 1, duid: duid(1), ias: both, relayOptions: [REMOTE_ID, IFACE_ID] },
        { type: 3, serverId: true, duid: duid(1), ias: both, relayOptions: [REMOTE_ID, IFACE_ID] },
        // A renewal with a relay that sends no option: the options entry goes.
        { type: 5, serverId: true, duid: duid(1), ias: both },
        { type: 1, duid: duid(2), ias: [{ iaid: 7 }], relayOptions: [IFACE_ID] },
        { type: 3, serverId: true, duid: duid(2), ias: [{ iaid: 7 }], relayOptions: [IFACE_ID] },
      ];
      const config = (leaseFile: string, socket: string) => ({
        Dhcp6: {
          "interfaces-config": { interfaces: [`${serverIf}/${SERVER}`] },
          "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
          "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
          "control-socket": { "socket-type": "unix", "socket-name": socket },
          "hooks-libraries": [{ library: leaseCmds }],
          subnet6: [
            {
              id: 1,
              subnet: "2001:db8:1::/64",
              "store-extended-info": true,
              pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::99" }],
              "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 48, "delegated-len": 64 }],
            },
          ],
        },
      });
      // Kea's iterative allocator hands out the pool's addresses in order, so do both servers.
      const { kea, nestor } = await bothServers(
        bed,
        6,
        serverNs,
        relayNs,
        RELAY,
        SERVER,
        queries,
        config,
        [],
      );
      assert.deepEqual(nestor.answers, kea.answers);
      const k = rows(kea.leaseFile, 6);
      assert.ok(
        k.some((r) => r.includes('"options": "0x00120006657468302E310025000700000009AABBCC"')),
        k.join("\n"),
      );
      assert.ok(
        k.some((r) =>
          r.includes(
            '"relays": [ { "hop": 0&#x2c "link": "2001:db8:1::fe"&#x2c "peer": "fe80::1" } ]',
          ),
        ),
      );
      assert.deepEqual(rows(nestor.leaseFile, 6), k);
      // lease6-get of each lease Kea granted, by address and type.
      const leases = k.map((r) => r.split(","));
      const gets = leases.map((c) => ({
        "ip-address": c[0],
        type: c[5] === "2" ? "IA_PD" : "IA_NA",
      }));
      assert.ok(gets.length >= 3);
      const again = await bothServers(
        bed,
        6,
        serverNs,
        relayNs,
        RELAY,
        SERVER,
        queries.slice(0, 2),
        config,
        gets,
      );
      assert.ok(JSON.stringify(again.kea.get).includes('"relays"'));
      assert.deepEqual(again.nestor.get, again.kea.get);
    } finally {
      await bed.close();
    }
  },
);
