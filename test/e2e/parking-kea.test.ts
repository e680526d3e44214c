/**
 * PARK end to end: nestor-dhcp4 (nestor-dhcp6) with a library that parks every query at
 * subnet4_select and leases4_committed (subnet6_select and leases6_committed) (Kea's parking protocol, as a library written from Kea's guide does it) and
 * unparks it 150 ms later, answers the same relayed queries as Kea 2.2 (kea-dhcp4, kea-dhcp6) on
 * the same configuration without the library: parking delays the answer, it changes nothing in
 * it. Kea 2.2 cannot load a JavaScript library, and the library's entry with `timeout-ms` and
 * `on-timeout` (Nestor's keys) is the only difference between the two configurations.
 *
 *   relay ns [veth 198.51.100.254/24] ---- [veth 198.51.100.1/24] server ns: kea-dhcp4, then
 *                                                                   nestor-dhcp4 (UDP sockets)
 *
 * Needs root, iproute2, kea-dhcp4 and kea-dhcp6 (Debian: kea-dhcp4-server, kea-dhcp6-server).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { keaPrerequisite, keaThenNestor, serverRelayLink } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";
import type { Answer6, Query6 } from "./lib/relay6-queries.ts";

const GIADDR = "198.51.100.254";
const SERVER = "198.51.100.1";
const DISCOVER = 1;
const REQUEST = 3;
const PARKER = fileURLToPath(new URL("../fixtures/hooks-park/delayed-unpark.ts", import.meta.url));
const RELAY = fileURLToPath(new URL("./lib/relay4-queries.ts", import.meta.url));
const RELAY6 = fileURLToPath(new URL("./lib/relay6-queries.ts", import.meta.url));

/** The library's entry (Nestor's configuration only): parks on `hooks`, logs to `log`. */
function parking(hooks: string[], query: string, log: string) {
  return {
    library: PARKER,
    parameters: { hooks, query, "delay-ms": 150, log },
    "timeout-ms": 5000,
    "on-timeout": "drop",
  };
}

/** How many lines of the library's log match. */
function count(log: string, re: RegExp): number {
  return readFileSync(log, "utf8")
    .split("\n")
    .filter((l) => re.test(l)).length;
}

const PRL: [number, string] = [55, "0103060f33"];
const serverId: [number, string] = [54, "c6336401"];
const requested = (a: string): [number, string] => [
  50,
  Buffer.from(a.split(".").map(Number)).toString("hex"),
];

function config(leaseFile: string, ifname: string, hooks: unknown[]): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [ifname], "dhcp-socket-type": "udp" },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "valid-lifetime": 4000,
      "parked-packet-limit": 16,
      "hooks-libraries": hooks,
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          relay: { "ip-addresses": [GIADDR] },
          "option-data": [{ name: "routers", data: "198.51.100.1" }],
          pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
        },
      ],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

const QUERIES: Query4[] = [
  { type: DISCOVER, mac: "02:00:00:00:00:01", options: [PRL] },
  {
    type: REQUEST,
    mac: "02:00:00:00:00:01",
    options: [requested("198.51.100.10"), serverId, PRL],
  },
  { type: DISCOVER, mac: "02:00:00:00:00:02", options: [PRL] },
  {
    type: REQUEST,
    mac: "02:00:00:00:00:02",
    options: [requested("198.51.100.11"), serverId, PRL],
  },
  // Renewing (ciaddr): parked at subnet4_select and leases4_committed again.
  { type: REQUEST, mac: "02:00:00:00:00:01", ciaddr: "198.51.100.10", options: [PRL] },
];

test("PARK: nestor-dhcp4 with a parking library answers relayed queries as Kea 2.2 does", async () => {
  requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
  const bed = new TestBed("parking: nestor-dhcp4 and kea-dhcp4 side by side");
  try {
    const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
    const log = join(bed.dir, "parked.log");
    writeFileSync(log, "");
    const queriesFile = join(bed.dir, "queries.json");
    writeFileSync(queriesFile, JSON.stringify(QUERIES));
    const library = {
      library: PARKER,
      parameters: {
        hooks: ["subnet4_select", "leases4_committed"],
        query: "query4",
        "delay-ms": 150,
        log,
      },
      "timeout-ms": 5000,
      "on-timeout": "drop",
    };
    const answers = await keaThenNestor(
      bed,
      serverNs,
      4,
      (who) => {
        const file = join(bed.dir, `${who}.json`);
        const leases = join(bed.dir, `${who}-leases4.csv`);
        writeFileSync(file, config(leases, serverIf, who === "nestor" ? [library] : []));
        return file;
      },
      () => {
        const args = [RELAY, GIADDR, SERVER, queriesFile];
        const out = bed.exec(relayNs, process.execPath, args, 30_000);
        return JSON.parse(out) as (Answer4 | null)[];
      },
    );
    const { kea, nestor } = answers;
    assert.equal(kea[0]?.yiaddr, "198.51.100.10", `Kea's answers:\n${JSON.stringify(kea)}`);
    assert.equal(kea[1]?.type, 5);
    assert.equal(kea[3]?.yiaddr, "198.51.100.11");
    assert.equal(kea[4]?.type, 5);

    // Every query was parked at subnet4_select; the REQUESTs at leases4_committed too; each
    // was unparked by the library (unpark() returned true) before it was answered.
    const lines = readFileSync(log, "utf8").trim().split("\n");
    const count = (re: RegExp) => lines.filter((l) => re.test(l)).length;
    assert.equal(count(/^subnet4_select parked$/), 5, lines.join("\n"));
    assert.equal(count(/^leases4_committed parked$/), 3, lines.join("\n"));
    assert.equal(count(/^subnet4_select unparked true after \d+ ms$/), 5, lines.join("\n"));
    assert.equal(count(/^leases4_committed unparked true after \d+ ms$/), 3, lines.join("\n"));

    QUERIES.forEach((q, i) => {
      assert.deepEqual(
        nestor[i],
        kea[i],
        `query ${i} (${JSON.stringify(q)}): nestor-dhcp4 (parking) and Kea 2.2 differ`,
      );
    });
  } finally {
    await bed.close();
  }
});

const RELAY_ADDR = "2001:db8:1::1";
const SERVER6 = "2001:db8:1::2";
const SOLICIT = 1;
const REQUEST6 = 3;
const RENEW = 5;
const DUID = "000100012a2b2c2d020000000011";
const ORO: [number, string] = [6, "0017"];

function config6(leaseFile: string, ifname: string, hooks: unknown[]): string {
  return JSON.stringify({
    Dhcp6: {
      "interfaces-config": { interfaces: [`${ifname}/${SERVER6}`] },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      "parked-packet-limit": 16,
      "hooks-libraries": hooks,
      "option-data": [{ name: "dns-servers", data: "2001:db8::53" }],
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          relay: { "ip-addresses": [RELAY_ADDR] },
          pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::12" }],
        },
      ],
      loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

const QUERIES6: Query6[] = [
  { type: SOLICIT, duid: DUID, ias: [{ iaid: 1 }], options: [ORO] },
  {
    type: REQUEST6,
    duid: DUID,
    serverId: true,
    ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
    options: [ORO],
  },
  {
    type: RENEW,
    duid: DUID,
    serverId: true,
    ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
    options: [ORO],
  },
];

test("PARK: nestor-dhcp6 with a parking library answers relayed queries as Kea 2.2 does", async () => {
  requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
  const bed = new TestBed("parking v6: nestor-dhcp6 and kea-dhcp6 side by side", "n6p");
  try {
    const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER6, RELAY_ADDR, 64);
    const log = join(bed.dir, "parked6.log");
    writeFileSync(log, "");
    const queriesFile = join(bed.dir, "queries6.json");
    writeFileSync(queriesFile, JSON.stringify(QUERIES6));
    const library = parking(["subnet6_select", "leases6_committed"], "query6", log);
    const { kea, nestor } = await keaThenNestor(
      bed,
      serverNs,
      6,
      (who) => {
        const file = join(bed.dir, `${who}6.json`);
        const leases = join(bed.dir, `${who}-leases6.csv`);
        writeFileSync(file, config6(leases, serverIf, who === "nestor" ? [library] : []));
        return file;
      },
      () => {
        const args = [RELAY6, RELAY_ADDR, SERVER6, queriesFile];
        const out = bed.exec(relayNs, process.execPath, args, 30_000);
        return JSON.parse(out) as (Answer6 | null)[];
      },
    );
    assert.deepEqual(kea[1]?.ias[0]?.leases, ["2001:db8:1::10 3000 4000"], JSON.stringify(kea));
    assert.equal(kea[2]?.type, 7);
    // SOLICIT, REQUEST and RENEW parked at subnet6_select; REQUEST and RENEW at
    // leases6_committed (a SOLICIT without rapid commit commits nothing).
    const text = readFileSync(log, "utf8");
    assert.equal(count(log, /^subnet6_select unparked true after \d+ ms$/), 3, text);
    assert.equal(count(log, /^leases6_committed unparked true after \d+ ms$/), 2, text);
    QUERIES6.forEach((q, i) => {
      assert.deepEqual(
        nestor[i],
        kea[i],
        `query ${i} (${JSON.stringify(q)}): nestor-dhcp6 (parking) and Kea 2.2 differ`,
      );
    });
  } finally {
    await bed.close();
  }
});
