/**
 * The PostgreSQL host source without a server: rows as Kea 2.2's tables hold them turned into
 * reservations (identifier types, subnet 0 = global, options through their definitions or as
 * bytes, persistent = always-send, comma-separated classes, v6 addresses and prefixes), one
 * prepared statement per query with the query's identifiers and subnet, a host found both by
 * identifier and by address built once; which errors count as a lost connection. The real
 * database is in test/integration/dhcp4/hosts-database.test.ts and test/e2e/hosts-database-kea.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { getStdOptionDefs } from "../../../../src/dhcp/std-option-defs.ts";
import {
  HostRowError,
  PgsqlHostSource4,
  PgsqlHostSource6,
  isConnectionLoss,
  parseClasses,
  rowOptions,
  type PgQueryable,
} from "../../../../src/dhcpsrv/hosts/pgsql-host-source.ts";
import { IdentifierType } from "../../../../src/dhcpsrv/model/host.ts";

const defs = getStdOptionDefs();

/** A queryable answering `rows` and remembering what it was asked. */
function fakeDb(rows: unknown[]) {
  const asked: { name: string; text: string; values: unknown[] }[] = [];
  const db: PgQueryable = {
    query: <R>(config: { name: string; text: string; values: unknown[] }) => {
      asked.push(config);
      return Promise.resolve({ rows: rows as R[] });
    },
    end: () => Promise.resolve(),
  };
  return { db, asked };
}

const opt = (id: number, code: number, o: Record<string, unknown> = {}) => ({
  id,
  code,
  value: null,
  formatted: null,
  space: null,
  persistent: false,
  ...o,
});

describe("reservation rows", () => {
  test("classes are Kea's comma-separated list, blanks trimmed, empties dropped", () => {
    assert.deepEqual(parseClasses(null), []);
    assert.deepEqual(parseClasses(" vip, phones ,,x "), ["vip", "phones", "x"]);
  });

  test("options: formatted_value through the definition, else value's bytes; persistent is always-send", () => {
    const cfg = rowOptions(
      [
        opt(1, 6, { formatted: "198.51.100.53, 198.51.100.54" }),
        opt(2, 15, { value: Buffer.from("db.example").toString("hex") }),
        // No definition of 224 in dhcp4: the bytes, even with a formatted value.
        opt(3, 224, { value: "0102", formatted: "ignored", persistent: true }),
      ],
      4,
      defs,
      "host_id 1",
    );
    const dns = cfg.get(6)!;
    assert.deepEqual([...dns.option.getData()], [198, 51, 100, 53, 198, 51, 100, 54]);
    assert.equal(cfg.get(15)!.option.getData().toString(), "db.example");
    const raw = cfg.get(224)!;
    assert.deepEqual([...raw.option.getData()], [1, 2]);
    assert.equal(raw.alwaysSend, true);
    assert.equal(dns.alwaysSend, false);
  });

  test("an option that does not parse is an error naming the row and the option", () => {
    assert.throws(
      () => rowOptions([opt(9, 6, { formatted: "not-an-address" })], 4, defs, "host_id 7"),
      (e: unknown) =>
        e instanceof HostRowError && /host_id 7: option dhcp4\/6 \(option_id 9\)/.test(e.message),
    );
  });
});

describe("PgsqlHostSource4", () => {
  const row = (o: Record<string, unknown>) => ({
    host_id: 1,
    dhcp_identifier_type: 0,
    dhcp_identifier: Buffer.from("020000000a01", "hex"),
    subnet_id: "1",
    ipv4_address: null,
    hostname: null,
    classes: null,
    dhcp4_next_server: null,
    dhcp4_server_hostname: null,
    dhcp4_boot_file_name: null,
    options: null,
    ...o,
  });

  test("one prepared statement with the identifiers' types and bytes and the subnet", async () => {
    const { db, asked } = fakeDb([]);
    const src = new PgsqlHostSource4(db, defs, "test");
    await src.fetch(
      [
        { type: IdentifierType.HW_ADDRESS, id: Buffer.from("020000000a01", "hex") },
        { type: IdentifierType.CLIENT_ID, id: Buffer.from("01020000000a01", "hex") },
        { type: IdentifierType.CIRCUIT_ID, id: Buffer.from("port-9") },
      ],
      7,
    );
    assert.equal(asked.length, 1);
    assert.equal(asked[0]!.name, "nestor_hosts4");
    const [types, ids, subnet] = asked[0]!.values as [number[], Buffer[], number];
    assert.deepEqual(types, [0, 3, 2]);
    assert.deepEqual(
      ids.map((b) => b.toString("hex")),
      ["020000000a01", "01020000000a01", Buffer.from("port-9").toString("hex")],
    );
    assert.equal(subnet, 7);
    await src.fetch([], undefined);
    assert.equal(asked[1]!.values[2], null);
  });

  test("rows become reservations: address, boot fields, classes, options; subnet 0 is global", async () => {
    const { db } = fakeDb([
      row({
        ipv4_address: "3325256754", // 198.51.100.50
        hostname: "db-host",
        classes: "vip,phones",
        dhcp4_next_server: "3325256709",
        dhcp4_server_hostname: "tftp.example",
        dhcp4_boot_file_name: "/pxe/db.efi",
        options: [opt(1, 15, { formatted: "db.example" })],
      }),
      row({
        host_id: 2,
        dhcp_identifier_type: 3,
        dhcp_identifier: Buffer.from("01aa", "hex"),
        subnet_id: "0",
      }),
    ]);
    const store = await new PgsqlHostSource4(db, defs, "test").fetch([], 1);
    const h = store.find(1, IdentifierType.HW_ADDRESS, Buffer.from("020000000a01", "hex"))!;
    assert.equal(h.ipv4, 3325256754);
    assert.equal(h.hostname, "db-host");
    assert.deepEqual(h.classes, ["vip", "phones"]);
    assert.equal(h.nextServer, 3325256709);
    assert.equal(h.serverHostname, "tftp.example");
    assert.equal(h.bootFileName, "/pxe/db.efi");
    assert.equal(h.options.get(15)!.option.getData().toString(), "db.example");
    assert.equal(store.findByAddress(1, 3325256754), h);
    const global = store.find(0, IdentifierType.CLIENT_ID, Buffer.from("01aa", "hex"));
    assert.equal(global?.subnetId, 0);
  });

  test("a host found by identifier and again by address is built once, with its options", async () => {
    const { db } = fakeDb([
      row({ ipv4_address: "3325256754", options: [opt(1, 15, { formatted: "x.example" })] }),
      row({ ipv4_address: "3325256754", options: null }),
    ]);
    const store = await new PgsqlHostSource4(db, defs, "test").fetch([], 1);
    assert.equal(store.size, 1);
    const h = store.findByAddress(1, 3325256754)!;
    assert.equal(h.options.get(15)!.option.getData().toString(), "x.example");
  });

  test("an unknown identifier type is an error naming the row", async () => {
    const { db } = fakeDb([row({ host_id: 5, dhcp_identifier_type: 9 })]);
    await assert.rejects(
      new PgsqlHostSource4(db, defs, "test").fetch([], 1),
      /host_id 5: unknown identifier type 9/,
    );
  });
});

describe("PgsqlHostSource6", () => {
  test("ipv6_reservations: type 0 addresses, type 2 prefixes, canonical text", async () => {
    const { db, asked } = fakeDb([
      {
        host_id: 3,
        dhcp_identifier_type: 1,
        dhcp_identifier: Buffer.from("00030001020000000c01", "hex"),
        subnet_id: 1,
        hostname: "six",
        classes: "vip6",
        reservations: [
          { address: "2001:DB8:1:0::50", len: 128, type: 0 },
          { address: "2001:db8:9:100::", len: 56, type: 2 },
        ],
        options: [opt(1, 23, { formatted: "2001:db8::53" })],
      },
    ]);
    const store = await new PgsqlHostSource6(db, defs, "test").fetch(
      [{ type: IdentifierType.DUID, id: Buffer.from("00030001020000000c01", "hex") }],
      1,
    );
    assert.equal(asked[0]!.name, "nestor_hosts6");
    assert.deepEqual((asked[0]!.values as [number[]])[0], [1]);
    const h = store.find(1, IdentifierType.DUID, Buffer.from("00030001020000000c01", "hex"))!;
    assert.deepEqual(h.addresses, ["2001:db8:1::50"]);
    assert.deepEqual(h.prefixes, [{ address: "2001:db8:9:100::", length: 56 }]);
    assert.deepEqual(h.classes, ["vip6"]);
    assert.equal(store.findByAddress(1, "2001:db8:9:100::"), h);
    assert.ok(h.options.get(23) !== undefined);
  });
});

describe("a lost connection", () => {
  test("refused, reset, closed and the server shutting down are; a statement's error is not", () => {
    assert.equal(isConnectionLoss(Object.assign(new Error("x"), { code: "ECONNREFUSED" })), true);
    assert.equal(isConnectionLoss(Object.assign(new Error("x"), { code: "ENOENT" })), true);
    assert.equal(isConnectionLoss(new Error("Connection terminated unexpectedly")), true);
    assert.equal(isConnectionLoss(Object.assign(new Error("x"), { code: "08006" })), true);
    assert.equal(isConnectionLoss(Object.assign(new Error("x"), { code: "57P01" })), true);
    assert.equal(isConnectionLoss(Object.assign(new Error("x"), { code: "42P01" })), false);
    assert.equal(isConnectionLoss(new HostRowError("bad row")), false);
  });
});
