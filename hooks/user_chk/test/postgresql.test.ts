/**
 * The PostgreSQL registry against a real PostgreSQL server the test starts itself (unix socket
 * only, test/helpers/pg-kea.ts): lookups by every spelling of an id, columns as properties, the
 * default user; the library in in-process DHCPv4 and DHCPv6 servers; a slow lookup holds only its own
 * request; a lookup past its timeout and a broken connection are handled by `on-error`; unload
 * closes the pool.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { Client } from "pg";

import {
  DHCPMessageType as T,
  DHCPv6MessageType as M,
  DHO,
  type Pkt4,
  type Pkt6,
} from "nestor/dhcp";
import {
  DEFAULT_DUID,
  TestServer4,
  TestServer6,
  iasOf,
  leasesIn,
  query4,
  query6,
} from "nestor/testing";
import { PgRegistrySource, type PgSettings } from "../pg-source.ts";
import { HW_ADDR, DUID_TYPE, UserId } from "../user.ts";
import type { Log } from "../messages.ts";
import { PgKea } from "../../../test/helpers/pg-kea.ts";

// The servers of nestor/testing, as this file uses them.
const CLIENT_DUID = Buffer.from(DEFAULT_DUID, "hex");
const server4 = (config: string, libraries: never) => TestServer4.start({ config, libraries });
const server6 = (config: string, libraries: never) => TestServer6.start({ config, libraries });
const exchange = (bed: TestServer4, q: Pkt4) => bed.exchange(q);
const exchange6 = (bed: TestServer6, q: Pkt6) => bed.exchange(q);

const LIB = fileURLToPath(new URL("../index.ts", import.meta.url));

let pg: PgKea;
let admin: Client;
const dir = mkdtempSync(join(tmpdir(), "user-chk-pgtest-"));

const silent: Log = { error() {}, warn() {}, info() {}, debug() {} };

before(async () => {
  pg = await PgKea.start();
  admin = new Client(pg.connection("postgres", "user_chk-admin"));
  await admin.connect();
  await admin.query(`
    CREATE TABLE user_chk_registry (
      type text NOT NULL, id text NOT NULL, bootfile text, tftp_server text, vlan integer,
      PRIMARY KEY (type, id));
    -- A registry whose rows take their "delay" seconds to read: slow lookups on demand.
    CREATE TABLE slow_rows (type text, id text, bootfile text, delay float8 NOT NULL DEFAULT 0);
    CREATE FUNCTION sleepy(d float8) RETURNS boolean LANGUAGE plpgsql VOLATILE COST 10000
      AS $$ BEGIN PERFORM pg_sleep(d); RETURN true; END $$;
    CREATE VIEW slow_registry AS SELECT type, id, bootfile FROM slow_rows WHERE sleepy(delay);
    INSERT INTO user_chk_registry VALUES
      ('HW_ADDR', '02:00:00:00:cc:01', '/pxe/from-postgresql.efi', 'tftp.example.com', 42),
      ('HW_ADDR', '02000000CC02', NULL, NULL, NULL),
      ('HW_ADDR', '00000000', '/pxe/walled-garden.efi', NULL, NULL),
      ('DUID', '${CLIENT_DUID.toString("hex")}', 'v6.efi', '2001:db8::69', NULL);
    INSERT INTO slow_rows VALUES
      ('HW_ADDR', '02:00:00:00:dd:01', 'slow.efi', 1.5),
      ('HW_ADDR', '02:00:00:00:dd:02', 'fast.efi', 0),
      ('HW_ADDR', '02:00:00:00:dd:03', 'too-slow.efi', 30);
  `);
});

after(async () => {
  await admin?.end().catch(() => undefined);
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function settings(extra: Partial<PgSettings> = {}): PgSettings {
  return {
    connection: pg.connection(),
    table: "user_chk_registry",
    typeColumn: "type",
    idColumn: "id",
    timeoutMs: 2_000,
    maxConnections: 4,
    ...extra,
  };
}

/** Connections the library has open (by application_name). */
async function libraryConnections(name: string): Promise<number> {
  const r = await admin.query(
    "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
    [name],
  );
  return (r.rows[0] as { n: number }).n;
}

const CONFIG4 = JSON.stringify({
  Dhcp4: {
    "interfaces-config": { interfaces: [] },
    "lease-database": { type: "memfile", persist: false },
    subnet4: [
      { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.50" }] },
      { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.50" }] },
    ],
  },
});

function library(postgresql: object, extra: object = {}): object[] {
  return [
    {
      library: LIB,
      parameters: { postgresql, outcome: join(dir, `outcome-${Math.random()}.txt`), ...extra },
    },
  ];
}

const PRL = [1, 3, 6, 51, 54, 66, 67];
const discover = (mac: string) => query4(T.DHCPDISCOVER, { mac, prl: PRL });
const text = (p: Pkt4, code: number) => p.getOption(code)?.getData().toString();

describe("PostgreSQL registry source", () => {
  test("finds an id by any spelling, with its columns as properties and the default user", async () => {
    const src = await PgRegistrySource.open(settings(), silent);
    try {
      const a = await src.lookup(UserId.fromText(HW_ADDR, "02:00:00:00:cc:01"));
      assert.equal(a.user?.getProperty("bootfile"), "/pxe/from-postgresql.efi");
      assert.equal(a.user?.getProperty("tftp_server"), "tftp.example.com");
      assert.equal(a.user?.getProperty("vlan"), "42");
      assert.equal(a.defaultUser?.getProperty("bootfile"), "/pxe/walled-garden.efi");
      // Stored without colons, in uppercase; NULL columns are no properties.
      const b = await src.lookup(UserId.fromText(HW_ADDR, "02:00:00:00:cc:02"));
      assert.notEqual(b.user, null);
      assert.deepEqual([...b.user!.properties], []);
      const none = await src.lookup(UserId.fromText(HW_ADDR, "02:00:00:00:cc:09"));
      assert.equal(none.user, null);
      assert.notEqual(none.defaultUser, null);
      const v6 = await src.lookup(UserId.of(DUID_TYPE, CLIENT_DUID));
      assert.equal(v6.user?.getProperty("bootfile"), "v6.efi");
      assert.equal(v6.defaultUser, null);
    } finally {
      await src.close();
    }
  });

  test("a table or column that does not exist, or no server, fails at open", async () => {
    await assert.rejects(PgRegistrySource.open(settings({ table: "nope" }), silent), /nope/);
    await assert.rejects(
      PgRegistrySource.open(settings({ idColumn: "mac" }), silent),
      /column "mac" does not exist/,
    );
    await assert.rejects(
      PgRegistrySource.open(
        settings({ connection: { ...pg.connection(), host: join(dir, "no-server") } }),
        silent,
      ),
      /ENOENT|connect/,
    );
  });
});

describe("the library with the PostgreSQL registry", () => {
  test("DHCPv4: registered from the table, unregistered to the restricted subnet, a new row seen at once; unload closes the pool", async () => {
    const app = "user_chk-v4";
    const bed = await server4(
      CONFIG4,
      library({ connection: pg.connection("postgres", app) }) as never,
    );
    try {
      const known = await exchange(bed, discover("02:00:00:00:cc:01"));
      assert.ok(known);
      const k = known.pkt as unknown as Pkt4;
      assert.match(k.yiaddr, /^198\.51\.100\./);
      assert.equal(text(k, 67), "/pxe/from-postgresql.efi");
      assert.equal(text(k, 66), "tftp.example.com");

      const stranger = await exchange(bed, discover("02:00:00:00:cc:05"));
      const s = stranger!.pkt as unknown as Pkt4;
      assert.match(s.yiaddr, /^203\.0\.113\./);
      assert.equal(text(s, 67), "/pxe/walled-garden.efi");

      await admin.query(
        "INSERT INTO user_chk_registry VALUES ('HW_ADDR', '02:00:00:00:cc:05', 'new.efi', NULL, NULL)",
      );
      const registered = await exchange(bed, discover("02:00:00:00:cc:05"));
      const r = registered!.pkt as unknown as Pkt4;
      assert.match(r.yiaddr, /^198\.51\.100\./);
      assert.equal(text(r, 67), "new.efi");
      assert.ok((await libraryConnections(app)) > 0);
    } finally {
      await bed.close();
    }
    // A backend leaves pg_stat_activity a moment after its client said goodbye: read until it
    // has gone (at most 5 s).
    let left = await libraryConnections(app);
    for (let i = 0; i < 100 && left > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = await libraryConnections(app);
    }
    assert.equal(left, 0, "unload() ends the pool's connections");
  });

  test("DHCPv6: a registered DUID from the table gets the privileged subnet and its boot-file-url", async () => {
    const config = JSON.stringify({
      Dhcp6: {
        "interfaces-config": { interfaces: [] },
        "lease-database": { type: "memfile", persist: false },
        subnet6: [
          {
            id: 1,
            subnet: "2001:db8:1::/64",
            interface: "eth0",
            pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::12" }],
          },
          {
            id: 2,
            subnet: "2001:db8:2::/64",
            pools: [{ pool: "2001:db8:2::10 - 2001:db8:2::12" }],
          },
        ],
      },
    });
    const bed = await server6(config, library({ connection: pg.connection() }) as never);
    try {
      const known = await exchange6(bed, query6(M.DHCPV6_SOLICIT, { oro: [23, 59] }));
      assert.match(leasesIn(iasOf(known!.pkt)[0]!)[0]!, /^2001:db8:1::/);
      assert.equal(known!.pkt.getOption(59)?.getData().toString(), "tftp://[2001:db8::69]/v6.efi");
      const other = Buffer.from("00030001020000000c09", "hex");
      const stranger = await exchange6(bed, query6(M.DHCPV6_SOLICIT, { duid: other }));
      assert.match(leasesIn(iasOf(stranger!.pkt)[0]!)[0]!, /^2001:db8:2::/);
    } finally {
      await bed.close();
    }
  });

  test("a slow lookup holds only its own request: another client is answered meanwhile", async () => {
    const bed = await server4(
      CONFIG4,
      library({
        connection: pg.connection(),
        table: "slow_registry",
        "timeout-ms": 5_000,
      }) as never,
    );
    try {
      const order: string[] = [];
      const slow = exchange(bed, discover("02:00:00:00:dd:01")).then((r) => {
        order.push("slow");
        return r;
      });
      const started = Date.now();
      const fast = await exchange(bed, discover("02:00:00:00:dd:02"));
      order.push("fast");
      assert.ok(Date.now() - started < 1_000, "the fast client did not wait for the slow one");
      assert.equal(text(fast!.pkt as unknown as Pkt4, 67), "fast.efi");
      const s = await slow;
      assert.deepEqual(order, ["fast", "slow"]);
      assert.equal(text(s!.pkt as unknown as Pkt4, 67), "slow.efi");
      assert.match((s!.pkt as unknown as Pkt4).yiaddr, /^198\.51\.100\./);
    } finally {
      await bed.close();
    }
  });

  test("a lookup past its timeout: dropped and logged (on-error drop), or the restricted subnet (on-error unregistered)", async () => {
    for (const onError of ["drop", "unregistered"]) {
      const bed = await server4(
        CONFIG4,
        library(
          { connection: pg.connection(), table: "slow_registry", "timeout-ms": 300 },
          { "on-error": onError },
        ) as never,
      );
      try {
        const started = Date.now();
        const r = await exchange(bed, discover("02:00:00:00:dd:03"));
        assert.ok(Date.now() - started < 5_000, "bounded by the timeout, not the 30 s row");
        if (onError === "drop") assert.equal(r, null);
        else assert.match((r!.pkt as unknown as Pkt4).yiaddr, /^203\.0\.113\./);
        const log = bed.logLines.join("");
        assert.match(
          log,
          new RegExp(
            `USER_CHK_LOOKUP_FAILED registry lookup of hwtype=1 02:00:00:00:dd:03 in postgresql table slow_registry failed: .*; ${
              onError === "drop" ? "query dropped" : "client treated as unregistered"
            }`,
          ),
        );
        // The server goes on: the next client is served.
        const next = await exchange(bed, discover("02:00:00:00:dd:02"));
        assert.equal(text(next!.pkt as unknown as Pkt4, 67), "fast.efi");
      } finally {
        await bed.close();
      }
    }
  });

  test("connections killed by the server: logged, never a crash, and the next lookups reconnect", async () => {
    const app = "user_chk-killed";
    const bed = await server4(
      CONFIG4,
      library({ connection: pg.connection("postgres", app) }) as never,
    );
    try {
      assert.ok(await exchange(bed, discover("02:00:00:00:cc:01")));
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
        [app],
      );
      // The idle connection's error arrives on the pool; the library logs it.
      const deadline = Date.now() + 5_000;
      while (
        !bed.logLines.some((l) => l.includes("USER_CHK_DB_POOL_ERROR")) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(
        bed.logLines.some((l) => l.includes("USER_CHK_DB_POOL_ERROR")),
        bed.logLines.join(""),
      );
      const again = await exchange(bed, discover("02:00:00:00:cc:01"));
      assert.equal(text(again!.pkt as unknown as Pkt4, 67), "/pxe/from-postgresql.efi");
    } finally {
      await bed.close();
    }
  });

  test("the outcome file records PostgreSQL-registered clients as the file registry's", async () => {
    const outcome = join(dir, "pg-outcome.txt");
    const bed = await server4(CONFIG4, [
      { library: LIB, parameters: { postgresql: { connection: pg.connection() }, outcome } },
    ] as never);
    try {
      const offer = (await exchange(bed, discover("02:00:00:00:cc:02")))!.pkt as unknown as Pkt4;
      const sid = [...offer.getOption(DHO.DHCP_SERVER_IDENTIFIER)!.getData()].join(".");
      const ack = await exchange(
        bed,
        query4(T.DHCPREQUEST, { mac: "02:00:00:00:cc:02", requested: offer.yiaddr, serverId: sid }),
      );
      assert.equal(
        readFileSync(outcome, "utf8"),
        `id_type=HW_ADDR\nclient=hwtype=1 02:00:00:00:cc:02\naddr=${(ack!.pkt as unknown as Pkt4).yiaddr}\nregistered=yes\n\n`,
      );
    } finally {
      await bed.close();
    }
  });
});
