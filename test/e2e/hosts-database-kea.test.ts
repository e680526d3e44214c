/**
 * Reservations from a PostgreSQL hosts database, nestor-dhcp4 / nestor-dhcp6 against Kea 2.2
 * (Debian's kea-dhcp4 / kea-dhcp6 with their PostgreSQL host backend): one throw-away PostgreSQL
 * whose schema Kea's own `kea-admin db-init pgsql` made, reservation rows written into Kea's
 * tables (hosts, dhcp4_options / dhcp6_options, ipv6_reservations), one configuration with
 * `hosts-database` given unchanged to both servers, the same relayed queries sent to each; the
 * answers must be the same, field by field and option by option. The last two tests: the
 * database's global reservations read by early-global-reservations-lookup, in both families.
 *
 *   relay ns [veth] ---- [veth] server ns: kea-dhcpN, then nestor-dhcpN
 *   PostgreSQL: a unix socket in the test's temporary directory (both servers reach it)
 *
 * Needs root, iproute2, kea-dhcp4 / kea-dhcp6 (Debian: kea-dhcp4-server, kea-dhcp6-server),
 * kea-admin (kea-admin) and PostgreSQL (postgresql).
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import {
  keaPrerequisite,
  keaThenNestor,
  relayedQueriesToBoth,
  serverRelayLink,
} from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";
import type { Answer6, Query6 } from "./lib/relay6-queries.ts";
import {
  insertHost4,
  insertHost6,
  startKeaHostsDb,
  type KeaHostsDb,
} from "../helpers/pg-hosts-db.ts";

const hex = (s: string) => Buffer.from(s).toString("hex");
const ipHex = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");

let db: KeaHostsDb;

before(async () => {
  requirePrerequisites([
    { program: "ip", debianPackage: "iproute2" },
    { program: "kea-admin", debianPackage: "kea-admin" },
    keaPrerequisite(4),
    keaPrerequisite(6),
  ]);
  db = await startKeaHostsDb();
  const c = db.client;
  // DHCPv4 rows, subnet 1.
  await insertHost4(c, {
    type: "hw-address",
    id: "020000000a01",
    subnetId: 1,
    address: "198.51.100.50",
    hostname: "db-host-one",
    classes: "vip,phones",
    nextServer: "198.51.100.5",
    serverHostname: "tftp.example",
    bootFileName: "/pxe/db.efi",
    options: [
      { code: 6, formatted: "203.0.113.53, 203.0.113.54" },
      { code: 15, hex: hex("db.example") },
      // Persistent: sent though not asked for.
      { code: 42, formatted: "198.51.100.123", persistent: true },
    ],
  });
  await insertHost4(c, {
    type: "client-id",
    id: "01020000000a02",
    subnetId: 1,
    address: "198.51.100.51",
    options: [{ code: 15, formatted: "by-client-id.example" }],
  });
  await insertHost4(c, {
    type: "circuit-id",
    id: hex("port-9"),
    subnetId: 1,
    address: "198.51.100.52",
  });
  // The configuration reserves 198.51.100.60 for this one: the configuration's first.
  await insertHost4(c, {
    type: "hw-address",
    id: "020000000a03",
    subnetId: 1,
    address: "198.51.100.61",
  });
  // The pool's first address, reserved for a client that never asks.
  await insertHost4(c, {
    type: "hw-address",
    id: "020000000aff",
    subnetId: 1,
    address: "198.51.100.10",
  });
  // A reservation without an address: its options and classes only.
  await insertHost4(c, {
    type: "hw-address",
    id: "020000000a05",
    subnetId: 1,
    classes: "vip",
    options: [{ code: 15, formatted: "no-address.example" }],
  });
  // A global reservation (subnet id 0), read only with reservations-global (the last test): its
  // class guards a subnet there.
  await insertHost4(c, {
    type: "hw-address",
    id: "020000000c01",
    subnetId: 0,
    classes: "vip",
  });
  await insertHost6(c, {
    type: "duid",
    id: "00030001020000000e01",
    subnetId: 0,
    classes: "vip6",
  });
  // DHCPv6 rows, subnet 1.
  await insertHost6(c, {
    type: "duid",
    id: "00030001020000000c01",
    subnetId: 1,
    addresses: ["2001:db8:1::50"],
    prefixes: ["2001:db8:9:100::/56"],
    hostname: "db-host-six",
    classes: "vip6",
    options: [
      { code: 23, formatted: "2001:db8::53, 2001:db8::54" },
      { code: 31, formatted: "2001:db8::123", persistent: true },
    ],
  });
  // By hardware address (from the client's DUID-LL).
  await insertHost6(c, {
    type: "hw-address",
    id: "020000000c02",
    subnetId: 1,
    addresses: ["2001:db8:1::52"],
  });
  // The pool's first address, reserved for a client that never asks.
  await insertHost6(c, {
    type: "duid",
    id: "000300010200000000ff",
    subnetId: 1,
    addresses: ["2001:db8:1::10"],
  });
});

after(async () => {
  await db?.stop();
});

const GIADDR = "198.51.100.254";
const SERVER4 = "198.51.100.1";
const PRL: [number, string] = [55, "0103060c0f2a2c28"];
const DISCOVER = 1;
const REQUEST = 3;

function config4(leaseFile: string, ifname: string): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [ifname], "dhcp-socket-type": "udp" },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "hosts-database": db.hostsDatabase({ readonly: true, "connect-timeout": 10 }),
      "host-reservation-identifiers": ["circuit-id", "hw-address", "client-id"],
      "valid-lifetime": 4000,
      "client-classes": [
        { name: "vip", "option-data": [{ name: "nis-domain", data: "vip.example" }] },
        { name: "phones", "option-data": [{ name: "domain-name", data: "phones.example" }] },
      ],
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          relay: { "ip-addresses": [GIADDR] },
          "option-data": [{ name: "routers", data: "198.51.100.1" }],
          pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
          reservations: [{ "hw-address": "02:00:00:00:0a:03", "ip-address": "198.51.100.60" }],
        },
      ],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

const QUERIES4: Query4[] = [
  // A hw-address row: its address, boot fields, options (formatted, binary, persistent), classes.
  { type: DISCOVER, mac: "02:00:00:00:0a:01", options: [PRL] },
  // It takes it.
  {
    type: REQUEST,
    mac: "02:00:00:00:0a:01",
    options: [[50, ipHex("198.51.100.50")], [54, ipHex(SERVER4)], PRL],
  },
  // A client-id row.
  { type: DISCOVER, mac: "02:00:00:00:0a:02", options: [[61, "01020000000a02"], PRL] },
  // A circuit-id row (option 82 sub-option 1 from the relay).
  { type: DISCOVER, mac: "02:00:00:00:0a:04", options: [PRL], rai: [[1, hex("port-9")]] },
  // Reserved both in the configuration and in the database: the configuration's.
  { type: DISCOVER, mac: "02:00:00:00:0a:03", options: [PRL] },
  // A client without reservation: not the address the database reserves for another.
  { type: DISCOVER, mac: "02:00:00:00:0b:01", options: [PRL] },
  // And asking for that address: not given either.
  { type: DISCOVER, mac: "02:00:00:00:0b:02", options: [[50, ipHex("198.51.100.10")], PRL] },
  // A reservation without an address: a pool address, its options and class.
  { type: DISCOVER, mac: "02:00:00:00:0a:05", options: [PRL] },
];

test(
  "hosts database: nestor-dhcp4 answers from Kea's PostgreSQL hosts tables as Kea 2.2 does",
  { timeout: 180_000 },
  async () => {
    const bed = new TestBed("hosts database: nestor-dhcp4 and kea-dhcp4 side by side");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER4, GIADDR, 24);
      const { kea, nestor } = await relayedQueriesToBoth<Answer4>(bed, 4, {
        serverNs,
        relayNs,
        relayAddress: GIADDR,
        server: SERVER4,
        queries: QUERIES4,
        config: (leaseFile) => config4(leaseFile, serverIf),
      });
      // What Kea answered is what this test expects (the scenario shows something).
      const k = kea;
      const all = `Kea's answers:\n${JSON.stringify(k)}`;
      assert.equal(k[0]?.yiaddr, "198.51.100.50", all);
      assert.equal(k[0]?.file, "/pxe/db.efi", all);
      assert.equal(k[0]?.options["6"], "cb007135cb007136", all);
      assert.equal(k[0]?.options["15"], hex("db.example"), all);
      assert.equal(k[0]?.options["40"], hex("vip.example"), "a reservation's class");
      assert.equal(k[1]?.type, 5, all);
      assert.equal(k[2]?.yiaddr, "198.51.100.51", all);
      assert.equal(k[3]?.yiaddr, "198.51.100.52", all);
      assert.equal(k[4]?.yiaddr, "198.51.100.60", all);
      assert.equal(k[5]?.yiaddr, "198.51.100.11", all);
      assert.notEqual(k[6]?.yiaddr, "198.51.100.10", all);
      assert.equal(k[7]?.options["15"], hex("no-address.example"), all);
      QUERIES4.forEach((q, i) => {
        assert.deepEqual(
          nestor[i],
          kea[i],
          `query ${i} (${JSON.stringify(q)}): nestor-dhcp4 and Kea 2.2 differ`,
        );
      });
    } finally {
      await bed.close();
    }
  },
);

const RELAY6 = "2001:db8:1::1";
const SERVER6 = "2001:db8:1::2";
const SOLICIT = 1;
const REQUEST6 = 3;
const u16 = (n: number) => n.toString(16).padStart(4, "0");
const oro = (...codes: number[]): [number, string] => [6, codes.map(u16).join("")];

function config6(leaseFile: string, ifname: string): string {
  return JSON.stringify({
    Dhcp6: {
      "interfaces-config": { interfaces: [`${ifname}/${SERVER6}`] },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "hosts-database": db.hostsDatabase({ readonly: true }),
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      "client-classes": [
        { name: "vip6", "option-data": [{ name: "domain-search", data: "vip.example." }] },
      ],
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          relay: { "ip-addresses": [RELAY6] },
          pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::1f" }],
          "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 48, "delegated-len": 56 }],
        },
      ],
      loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

const QUERIES6: Query6[] = [
  // A duid row: its address and prefix, options (one persistent) and class.
  {
    type: SOLICIT,
    duid: "00030001020000000c01",
    ias: [{ iaid: 1 }, { pd: true, iaid: 2 }],
    options: [oro(23, 24)],
  },
  // It takes them.
  {
    type: REQUEST6,
    duid: "00030001020000000c01",
    ias: [
      { iaid: 1, hints: ["2001:db8:1::50"] },
      { pd: true, iaid: 2, hints: ["2001:db8:9:100::/56"] },
    ],
    options: [oro(23, 24)],
    serverId: true,
  },
  // A hw-address row, the address read from the client's DUID-LL.
  { type: SOLICIT, duid: "00030001020000000c02", ias: [{ iaid: 1 }], options: [oro(23)] },
  // A client without reservation: not the address the database reserves for another.
  { type: SOLICIT, duid: "00030001020000000d01", ias: [{ iaid: 1 }], options: [oro(23)] },
  // Asking for it: not given either.
  {
    type: SOLICIT,
    duid: "00030001020000000d02",
    ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
    options: [oro(23)],
  },
];

test(
  "hosts database: nestor-dhcp6 answers from Kea's PostgreSQL hosts tables as Kea 2.2 does",
  { timeout: 180_000 },
  async () => {
    const bed = new TestBed("hosts database: nestor-dhcp6 and kea-dhcp6 side by side");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER6, RELAY6, 64);
      const { kea, nestor } = await relayedQueriesToBoth<Answer6>(bed, 6, {
        serverNs,
        relayNs,
        relayAddress: RELAY6,
        server: SERVER6,
        queries: QUERIES6,
        config: (leaseFile) => config6(leaseFile, serverIf),
      });
      const k = kea;
      const all = `Kea's answers:\n${JSON.stringify(k)}`;
      assert.match(k[0]?.ias[0]?.leases[0] ?? "", /^2001:db8:1::50 /, all);
      assert.match(k[0]?.ias[1]?.leases[0] ?? "", /^2001:db8:9:100::\/56 /, all);
      assert.ok(k[0]?.options["31"] !== undefined, `a persistent option: ${all}`);
      assert.ok(k[0]?.options["24"] !== undefined, `a reservation's class: ${all}`);
      assert.equal(k[1]?.type, 7, all);
      assert.match(k[2]?.ias[0]?.leases[0] ?? "", /^2001:db8:1::52 /, all);
      assert.match(k[3]?.ias[0]?.leases[0] ?? "", /^2001:db8:1::11 /, all);
      assert.doesNotMatch(k[4]?.ias[0]?.leases[0] ?? "", /^2001:db8:1::10 /, all);
      QUERIES6.forEach((q, i) => {
        assert.deepEqual(
          nestor[i],
          kea[i],
          `query ${i} (${JSON.stringify(q)}): nestor-dhcp6 and Kea 2.2 differ`,
        );
      });
    } finally {
      await bed.close();
    }
  },
);

test(
  "hosts database lost with Kea's defaults (no reconnect, stop-retry-exit): both servers drop the query and exit with 1",
  { timeout: 180_000 },
  async () => {
    const bed = new TestBed("hosts database lost: nestor-dhcp4 and kea-dhcp4 side by side");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER4, GIADDR, 24);
      const relay = fileURLToPath(new URL("./lib/relay4-queries.ts", import.meta.url));
      const one = join(bed.dir, "one.json");
      writeFileSync(one, JSON.stringify([QUERIES4[0]]));
      const ask = () =>
        (
          JSON.parse(
            bed.exec(relayNs, process.execPath, [relay, GIADDR, SERVER4, one], 30_000),
          ) as (Answer4 | null)[]
        )[0] ?? null;
      const seen = await keaThenNestor(
        bed,
        serverNs,
        4,
        (who) => {
          const file = join(bed.dir, `${who}-lost.json`);
          writeFileSync(file, config4(join(bed.dir, `${who}-lost.csv`), serverIf));
          return file;
        },
        async (_who, server) => {
          const before = ask()?.yiaddr ?? null;
          await db.pg.pause();
          try {
            const during = ask();
            const exited = await server.waitExit(30_000);
            return {
              before,
              during,
              exited,
              exitCode: server.exitCode,
              lost: /DHCP4_DB_RECONNECT_LOST_CONNECTION/.test(server.output),
            };
          } finally {
            await db.pg.resume();
          }
        },
      );
      assert.deepEqual(
        seen.kea,
        { before: "198.51.100.50", during: null, exited: true, exitCode: 1, lost: true },
        "what Kea 2.2 does",
      );
      assert.deepEqual(seen.nestor, seen.kea);
    } finally {
      await bed.close();
    }
  },
);

test(
  "hosts database: early-global-reservations-lookup reads the database's global reservations as Kea 2.2 does",
  { timeout: 180_000 },
  async () => {
    const queries: Query4[] = [
      { type: DISCOVER, mac: "02:00:00:00:0c:01", options: [PRL] },
      { type: DISCOVER, mac: "02:00:00:00:0c:02", options: [PRL] },
    ];
    const bed = new TestBed("hosts database early global lookup: nestor-dhcp4 and kea-dhcp4");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER4, GIADDR, 24);
      const { kea, nestor } = await relayedQueriesToBoth<Answer4>(bed, 4, {
        serverNs,
        relayNs,
        relayAddress: GIADDR,
        server: SERVER4,
        queries,
        config: (leaseFile) =>
          JSON.stringify({
            Dhcp4: {
              "interfaces-config": { interfaces: [serverIf], "dhcp-socket-type": "udp" },
              "lease-database": {
                type: "memfile",
                name: leaseFile,
                persist: true,
                "lfc-interval": 0,
              },
              "hosts-database": db.hostsDatabase({ readonly: true, "connect-timeout": 10 }),
              "early-global-reservations-lookup": true,
              "reservations-global": true,
              "valid-lifetime": 4000,
              "client-classes": [{ name: "vip" }],
              // Both subnets serve the relay; the first only the vip class.
              subnet4: [
                {
                  id: 1,
                  subnet: "198.51.100.0/24",
                  "client-class": "vip",
                  relay: { "ip-addresses": [GIADDR] },
                  pools: [{ pool: "198.51.100.100 - 198.51.100.109" }],
                },
                {
                  id: 2,
                  subnet: "203.0.113.0/24",
                  relay: { "ip-addresses": [GIADDR] },
                  pools: [{ pool: "203.0.113.10 - 203.0.113.19" }],
                },
              ],
            },
          }),
      });
      const all = `Kea's answers:\n${JSON.stringify(kea)}`;
      assert.equal(kea[0]?.yiaddr, "198.51.100.100", all);
      assert.equal(kea[1]?.yiaddr, "203.0.113.10", all);
      queries.forEach((q, i) => {
        assert.deepEqual(
          nestor[i],
          kea[i],
          `query ${i} (${JSON.stringify(q)}): nestor-dhcp4 and Kea 2.2 differ`,
        );
      });
    } finally {
      await bed.close();
    }
  },
);

test(
  "hosts database: early-global-reservations-lookup reads the database's global reservations as Kea 2.2 does (DHCPv6)",
  { timeout: 180_000 },
  async () => {
    const queries: Query6[] = [
      { type: SOLICIT, duid: "00030001020000000e01", ias: [{ iaid: 1 }], options: [oro(23)] },
      { type: SOLICIT, duid: "00030001020000000e02", ias: [{ iaid: 1 }], options: [oro(23)] },
    ];
    const bed = new TestBed("hosts database early global lookup: nestor-dhcp6 and kea-dhcp6");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER6, RELAY6, 64);
      const { kea, nestor } = await relayedQueriesToBoth<Answer6>(bed, 6, {
        serverNs,
        relayNs,
        relayAddress: RELAY6,
        server: SERVER6,
        queries,
        config: (leaseFile) =>
          JSON.stringify({
            Dhcp6: {
              "interfaces-config": { interfaces: [`${serverIf}/${SERVER6}`] },
              "lease-database": {
                type: "memfile",
                name: leaseFile,
                persist: true,
                "lfc-interval": 0,
              },
              "hosts-database": db.hostsDatabase({ readonly: true }),
              "server-id": {
                type: "EN",
                "enterprise-id": 2495,
                identifier: "0102",
                persist: false,
              },
              "early-global-reservations-lookup": true,
              "reservations-global": true,
              "preferred-lifetime": 3000,
              "valid-lifetime": 4000,
              "client-classes": [{ name: "vip6" }],
              // Both subnets serve the relay; the first only the vip6 class.
              subnet6: [
                {
                  id: 1,
                  subnet: "2001:db8:1::/64",
                  "client-class": "vip6",
                  relay: { "ip-addresses": [RELAY6] },
                  pools: [{ pool: "2001:db8:1::100 - 2001:db8:1::10f" }],
                },
                {
                  id: 2,
                  subnet: "2001:db8:2::/64",
                  relay: { "ip-addresses": [RELAY6] },
                  pools: [{ pool: "2001:db8:2::10 - 2001:db8:2::1f" }],
                },
              ],
            },
          }),
      });
      const all = `Kea's answers:\n${JSON.stringify(kea)}`;
      assert.match(kea[0]?.ias[0]?.leases[0] ?? "", /^2001:db8:1::100 /, all);
      assert.match(kea[1]?.ias[0]?.leases[0] ?? "", /^2001:db8:2::10 /, all);
      queries.forEach((q, i) => {
        assert.deepEqual(
          nestor[i],
          kea[i],
          `query ${i} (${JSON.stringify(q)}): nestor-dhcp6 and Kea 2.2 differ`,
        );
      });
    } finally {
      await bed.close();
    }
  },
);
