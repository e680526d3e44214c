// Reservations from a PostgreSQL hosts database (Kea's `hosts-database`, Kea 2.2's schema made
// by Kea's own kea-admin) in the DHCPv4 server started from a configuration file, over loopback:
// hw-address and client-id rows with their options, boot fields and classes; the configuration's
// reservations first; an address reserved in the database kept from other clients; the
// database's global reservations read by early-global-reservations-lookup; a schema of another
// version refused at start; a database gone drops the query and counts it.
import { after, before, describe, test } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DHCPMessageType as T, DHO } from "../../../src/dhcp/constants.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Dhcp4Server } from "../../../src/dhcp4/server.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { Client } from "pg";
import { Relay4, clientQuery } from "../../helpers/relay4.ts";
import { insertHost4, startKeaHostsDb, type KeaHostsDb } from "../../helpers/pg-hosts-db.ts";

let db: KeaHostsDb;
const dir = mkdtempSync(join(tmpdir(), "nestor-hostsdb4-"));
const servers: Dhcp4Server[] = [];
let relay: Relay4;

before(async () => {
  db = await startKeaHostsDb();
  relay = await Relay4.open();
  await insertHost4(db.client, {
    type: "hw-address",
    id: "020000000a01",
    subnetId: 1,
    address: "198.51.100.50",
    hostname: "db-host-one",
    classes: "db-class, other-class",
    nextServer: "198.51.100.2",
    serverHostname: "boot.example.org",
    bootFileName: "/pxe/db.efi",
    options: [
      { code: 6, formatted: "198.51.100.53, 198.51.100.54" },
      // Binary value, no formatted_value: read as bytes through the definition (option 15).
      { code: 15, hex: Buffer.from("db.example.org").toString("hex") },
    ],
  });
  await insertHost4(db.client, {
    type: "client-id",
    id: "01020000000a02",
    subnetId: 1,
    address: "198.51.100.51",
  });
  // Same identifier as a configuration reservation: the configuration's wins.
  await insertHost4(db.client, {
    type: "hw-address",
    id: "020000000a03",
    subnetId: 1,
    address: "198.51.100.52",
  });
  // The first pool address, reserved for a client that never asks.
  await insertHost4(db.client, {
    type: "hw-address",
    id: "020000000aff",
    subnetId: 1,
    address: "198.51.100.10",
  });
});

after(async () => {
  for (const s of servers) await s.stop().catch(() => undefined);
  relay?.close();
  await db?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The configuration `name`.json; `databases` holds hosts-database and/or hosts-databases. */
function writeConfig(name: string, databases: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: ["lo"] },
        "lease-database": { type: "memfile", name: join(dir, `${name}.csv`), "lfc-interval": 0 },
        "valid-lifetime": 4000,
        "host-reservation-identifiers": ["hw-address", "client-id"],
        ...databases,
        "client-classes": [
          { name: "db-class", "option-data": [{ name: "domain-name", data: "class.example.org" }] },
          { name: "other-class", "option-data": [{ name: "log-servers", data: "198.51.100.9" }] },
        ],
        subnet4: [
          {
            id: 1,
            subnet: "198.51.100.0/24",
            relay: { "ip-addresses": ["127.0.0.1"] },
            pools: [{ pool: "198.51.100.10 - 198.51.100.20" }],
            reservations: [{ "hw-address": "02:00:00:00:0a:03", "ip-address": "198.51.100.60" }],
          },
        ],
        loggers: [{ name: "kea-dhcp4", severity: "FATAL" }],
      },
    }),
  );
  return file;
}

async function start(name: string, extra: Record<string, unknown> = {}): Promise<Dhcp4Server> {
  const file = writeConfig(name, { "hosts-database": db.hostsDatabase(extra) });
  const logs = new LogManager("nestor-dhcp4");
  const s = await Dhcp4Server.start({
    configFile: file,
    serverPort: 0,
    clientPort: relay.port,
    logs,
  });
  servers.push(s);
  return s;
}

const ip = (o: Option | undefined) => (o === undefined ? [] : [...o.getData()].join("."));

describe("DHCPv4 reservations from a PostgreSQL hosts database", () => {
  let server: Dhcp4Server;
  before(async () => {
    server = await start("main");
  });

  test("a hw-address row gives its address, hostname, boot fields, options and classes", async () => {
    const q = clientQuery(T.DHCPDISCOVER, "02:00:00:00:0a:01");
    q.delOption(DHO.DHCP_PARAMETER_REQUEST_LIST);
    q.addOption(new Option(4, DHO.DHCP_PARAMETER_REQUEST_LIST, Buffer.from([1, 3, 6, 7, 12, 15])));
    const offer = await relay.ask(server.port, q, 10_000);
    assert.ok(offer, "no OFFER");
    assert.equal(offer.yiaddr, "198.51.100.50");
    assert.equal(offer.siaddr, "198.51.100.2");
    assert.equal(offer.sname.replace(/\0+$/, ""), "boot.example.org");
    assert.equal(offer.file.replace(/\0+$/, ""), "/pxe/db.efi");
    const dns = offer.getOption(DHO.DOMAIN_NAME_SERVERS)!.getData();
    assert.deepEqual([...dns], [198, 51, 100, 53, 198, 51, 100, 54]);
    // The reservation's option 15 wins over its class's; the class's option 7 is sent.
    assert.equal(offer.getOption(DHO.DOMAIN_NAME)!.getData().toString(), "db.example.org");
    assert.equal(ip(offer.getOption(7)), "198.51.100.9");
    assert.equal(offer.getOption(DHO.HOST_NAME)!.getData().toString(), "db-host-one");
  });

  test("a client-id row is found by the query's option 61", async () => {
    const q = clientQuery(T.DHCPDISCOVER, "02:00:00:00:0a:02");
    q.addOption(new Option(4, DHO.DHCP_CLIENT_IDENTIFIER, Buffer.from("01020000000a02", "hex")));
    const offer = await relay.ask(server.port, q, 10_000);
    assert.equal(offer?.yiaddr, "198.51.100.51");
  });

  test("the configuration's reservation of an identifier comes before the database's", async () => {
    const offer = await relay.ask(
      server.port,
      clientQuery(T.DHCPDISCOVER, "02:00:00:00:0a:03"),
      10_000,
    );
    assert.equal(offer?.yiaddr, "198.51.100.60");
  });

  test("an address the database reserves for another client is not offered", async () => {
    const offer = await relay.ask(
      server.port,
      clientQuery(T.DHCPDISCOVER, "02:00:00:00:0b:01"),
      10_000,
    );
    assert.ok(offer, "no OFFER");
    assert.notEqual(offer.yiaddr, "198.51.100.10");
    assert.equal(offer.yiaddr, "198.51.100.11");
  });

  test("a row added while the server runs is read by the next query", async () => {
    await insertHost4(db.client, {
      type: "hw-address",
      id: "020000000a04",
      subnetId: 1,
      address: "198.51.100.70",
    });
    const offer = await relay.ask(
      server.port,
      clientQuery(T.DHCPDISCOVER, "02:00:00:00:0a:04"),
      10_000,
    );
    assert.equal(offer?.yiaddr, "198.51.100.70");
  });
});

describe("opening the hosts database", () => {
  test("a database of another schema version is refused at start, naming both versions", async () => {
    await db.client.query("UPDATE schema_version SET version = 12");
    try {
      await assert.rejects(
        start("old-schema"),
        /hosts-database: cannot open the hosts database: .*schema version 12\.0, Nestor needs 13\.0 \(Kea 2\.2's\): upgrade it with 'kea-admin db-upgrade pgsql'/,
      );
    } finally {
      await db.client.query("UPDATE schema_version SET version = 13");
    }
  });

  test("a database that does not exist is refused at start", async () => {
    await assert.rejects(start("no-db", { name: "nowhere" }), /hosts-database: cannot open/);
  });
});

describe("several hosts databases, and a reconfiguration", () => {
  test("hosts-databases: the first one's reservation first, the next one's too; a reload opens the new list", async () => {
    const second = db.pg.createKeaDatabase("kea2");
    const c = new Client(db.pg.connection("kea2", "nestor-hosts-test"));
    await c.connect();
    try {
      await insertHost4(c, {
        type: "hw-address",
        id: "020000000a01",
        subnetId: 1,
        address: "198.51.100.80",
      });
      await insertHost4(c, {
        type: "hw-address",
        id: "020000000a06",
        subnetId: 1,
        address: "198.51.100.81",
      });
    } finally {
      await c.end();
    }
    const both = {
      "hosts-databases": [{ ...second.keaConfig(), port: second.port }, db.hostsDatabase()],
    };
    const file = writeConfig("two", both);
    const server = await Dhcp4Server.start({
      configFile: file,
      serverPort: 0,
      clientPort: relay.port,
      logs: new LogManager("nestor-dhcp4"),
    });
    servers.push(server);
    const offer = async (mac: string, cid?: string) => {
      const q = clientQuery(T.DHCPDISCOVER, mac);
      if (cid !== undefined)
        q.addOption(new Option(4, DHO.DHCP_CLIENT_IDENTIFIER, Buffer.from(cid, "hex")));
      return (await relay.ask(server.port, q, 10_000))?.yiaddr;
    };
    assert.equal(await offer("02:00:00:00:0a:01"), "198.51.100.80");
    assert.equal(await offer("02:00:00:00:0a:06"), "198.51.100.81");
    assert.equal(await offer("02:00:00:00:0a:02", "01020000000a02"), "198.51.100.51");
    // The configuration now names only the first database of the tests.
    writeConfig("two", { "hosts-database": db.hostsDatabase() });
    await server.reload();
    assert.equal(await offer("02:00:00:00:0a:01"), "198.51.100.50");
    assert.notEqual(await offer("02:00:00:00:0a:06"), "198.51.100.81");
  });
});

describe("early-global-reservations-lookup with a hosts database", () => {
  test("a global reservation of the database (subnet id 0) gives its classes before the subnet is selected", async () => {
    await insertHost4(db.client, {
      type: "hw-address",
      id: "020000000c01",
      subnetId: 0,
      classes: "vip",
    });
    const file = join(dir, "early.json");
    writeFileSync(
      file,
      JSON.stringify({
        Dhcp4: {
          "interfaces-config": { interfaces: ["lo"] },
          "lease-database": { type: "memfile", name: join(dir, "early.csv"), "lfc-interval": 0 },
          "valid-lifetime": 4000,
          "hosts-database": db.hostsDatabase(),
          "early-global-reservations-lookup": true,
          "reservations-global": true,
          "client-classes": [{ name: "vip" }],
          // Both subnets serve the relay; the first only the vip class.
          subnet4: [
            {
              id: 1,
              subnet: "198.51.100.0/24",
              "client-class": "vip",
              relay: { "ip-addresses": ["127.0.0.1"] },
              pools: [{ pool: "198.51.100.100 - 198.51.100.110" }],
            },
            {
              id: 2,
              subnet: "203.0.113.0/24",
              relay: { "ip-addresses": ["127.0.0.1"] },
              pools: [{ pool: "203.0.113.10 - 203.0.113.20" }],
            },
          ],
          loggers: [{ name: "kea-dhcp4", severity: "FATAL" }],
        },
      }),
    );
    const server = await Dhcp4Server.start({
      configFile: file,
      serverPort: 0,
      clientPort: relay.port,
      logs: new LogManager("nestor-dhcp4"),
    });
    servers.push(server);
    const offer = async (mac: string) =>
      (await relay.ask(server.port, clientQuery(T.DHCPDISCOVER, mac), 10_000))?.yiaddr;
    assert.equal(await offer("02:00:00:00:0c:01"), "198.51.100.100");
    assert.equal(await offer("02:00:00:00:0c:02"), "203.0.113.10");
  });
});

describe("the hosts database gone (Kea's reconnect policy and on-fail)", () => {
  const drops = (s: Dhcp4Server) => Number(s.stats.get("pkt4-receive-drop")?.value ?? 0);
  const discover = (s: Dhcp4Server, ms = 10_000) =>
    relay.ask(s.port, clientQuery(T.DHCPDISCOVER, "02:00:00:00:0a:01"), ms);

  test("no reconnect (Kea's default): the query is dropped and counted, the server asks to exit with 1", async () => {
    const server = await start("gone-exit");
    const exits: number[] = [];
    server.onExit = (code) => exits.push(code);
    assert.equal((await discover(server))?.yiaddr, "198.51.100.50");
    const before = drops(server);
    await db.pg.pause();
    try {
      assert.equal(await discover(server, 3_000), null);
      // The failed lookup may end after the relay stopped waiting: wait for it, bounded.
      for (let i = 0; i < 200 && exits.length === 0; i++) await delay(100);
      assert.equal(drops(server), before + 1);
      assert.deepEqual(exits, [1]);
    } finally {
      await db.pg.resume();
    }
  });

  test("serve-retry-continue with retries: dropped while down, reservations again once back", async () => {
    const server = await start("gone-retry", {
      "on-fail": "serve-retry-continue",
      "max-reconnect-tries": 50,
      "reconnect-wait-time": 200,
    });
    const exits: number[] = [];
    server.onExit = (code) => exits.push(code);
    assert.equal((await discover(server))?.yiaddr, "198.51.100.50");
    const before = drops(server);
    await db.pg.pause();
    try {
      assert.equal(await discover(server, 3_000), null);
      for (let i = 0; i < 200 && drops(server) === before; i++) await delay(100);
      assert.equal(drops(server), before + 1);
    } finally {
      await db.pg.resume();
    }
    let offer = null;
    for (let i = 0; i < 30 && offer === null; i++) offer = await discover(server, 2_000);
    assert.equal(offer?.yiaddr, "198.51.100.50");
    assert.deepEqual(exits, []);
  });
});
