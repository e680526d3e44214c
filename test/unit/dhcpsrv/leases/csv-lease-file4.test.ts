import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import {
  LEASE4_HEADER_2_2,
  LEASE4_HEADER_3_0,
  escapeField,
  formatLease4Row,
  keaJsonText,
  parseLease4Header,
  parseLease4Row,
  unescapeField,
} from "../../../../src/dhcpsrv/leases/csv-lease-file4.ts";
import { LeaseState } from "../../../../src/dhcpsrv/leases/lease4.ts";
import {
  LeaseFileFormatError,
  LeaseRowError,
} from "../../../../src/dhcpsrv/leases/lease-store4.ts";
import { HEADER_2_2, lease } from "./lease-helpers.ts";

const V22 = parseLease4Header(HEADER_2_2);

/** Parses a row given as UTF-8 text the way a file is read: one char per byte. */
function parse(row: string, layout = V22) {
  return parseLease4Row(Buffer.from(row, "utf8").toString("latin1"), layout);
}

// Rows written by Kea 2.2.0 (Debian kea-dhcp4-server) for leases added with lease4-add.
const KEA_ROW_FULL =
  "198.51.100.11,0a:0b:0c:0d:0e:0f,01:0a:0b:0c:0d:0e:0f,3600,1900000000,1,1,0," +
  'a&#x2cb&#x26c é\tz,0,{ "a": 1.5&#x2c "b": [ 1&#x2c 2&#x2c { "x": "y\\"q" } ]&#x2c ' +
  '"c": null&#x2c "d": {  }&#x2c "e": [  ] }';
const KEA_ROW_CLIENT_ID_ONLY = "198.51.100.13,,ff:01,7200,1795509993,1,0,0,,0,";
const KEA_ROW_DELETION = "198.51.100.12,0a:0b:0c:0d:0e:10,,0,1795502792,1,0,0,,1,";

describe("lease file header", () => {
  it("Nestor writes exactly the header of Kea 2.2", () => {
    assert.equal(LEASE4_HEADER_2_2, HEADER_2_2);
    assert.equal(parseLease4Header(HEADER_2_2).needsConversion, false);
  });

  it("Kea 3's header with pool_id is read and marked for conversion", () => {
    const layout = parseLease4Header(LEASE4_HEADER_3_0);
    assert.equal(layout.knownCount, 12);
    assert.equal(layout.needsConversion, true);
    const l = parse("198.51.100.5,02:00:00:00:00:05,,3600,1800003600,1,0,0,,3,,7", layout);
    assert.equal(l.poolId, 7);
    assert.equal(l.state, LeaseState.RELEASED);
  });

  it("Kea 1.0's header (through hostname) upgrades: state 0, no user context", () => {
    const layout = parseLease4Header(HEADER_2_2.split(",").slice(0, 9).join(","));
    const l = parse("198.51.100.5,02:00:00:00:00:05,,3600,1800003600,1,0,0,h", layout);
    assert.equal(l.state, LeaseState.DEFAULT);
    assert.equal(l.userContext, null);
    assert.equal(l.poolId, 0);
  });

  it("Kea 2.0's header (with state) upgrades: no user context", () => {
    const layout = parseLease4Header(HEADER_2_2.split(",").slice(0, 10).join(","));
    const l = parse("198.51.100.5,02:00:00:00:00:05,,3600,1800003600,1,0,0,,1", layout);
    assert.equal(l.state, LeaseState.DECLINED);
    assert.equal(l.userContext, null);
  });

  it("a header with unknown trailing columns downgrades: their values are dropped", () => {
    const layout = parseLease4Header(`${LEASE4_HEADER_3_0},future_column`);
    assert.equal(layout.needsConversion, true);
    const l = parse("198.51.100.5,02:00:00:00:00:05,,3600,1800003600,1,0,0,,0,,2,zzz", layout);
    assert.equal(l.poolId, 2);
  });

  it("a header that is not Kea's is refused with the file named", () => {
    assert.throws(
      () => parseLease4Header("address,hwaddr,duid,valid_lifetime", "/x/leases.csv"),
      (err: unknown) => err instanceof LeaseFileFormatError && err.file === "/x/leases.csv",
    );
    assert.throws(() => parseLease4Header("address,hwaddr,client_id"), LeaseFileFormatError);
  });

  it("rows with fewer columns than the header are bad rows", () => {
    assert.throws(() => parse("198.51.100.5,02:00:00:00:00:05,,3600,1800003600,1,0,0,,0"), {
      name: "LeaseRowError",
    });
  });

  it("a 2.2-header file accepts a row with Kea 3's extra pool_id column, as Kea 2.2 does", () => {
    const l = parse("198.51.100.5,02:00:00:00:00:05,,3600,1800003600,1,0,0,,0,,4");
    assert.equal(l.poolId, 4);
  });
});

describe("lease file columns", () => {
  it("a Kea 2.2 row reads back with every field and is rewritten byte for byte", () => {
    const l = parse(KEA_ROW_FULL);
    assert.equal(l.address, "198.51.100.11");
    assert.equal(l.hwaddr?.toText(), "hwtype=1 0a:0b:0c:0d:0e:0f");
    assert.deepEqual([...l.clientId!], [1, 10, 11, 12, 13, 14, 15]);
    assert.equal(l.validLifetime, 3600);
    assert.equal(l.cltt, 1_900_000_000 - 3600);
    assert.equal(l.expire, 1_900_000_000);
    assert.equal(l.subnetId, 1);
    assert.equal(l.fqdnFwd, true);
    assert.equal(l.fqdnRev, false);
    assert.equal(l.hostname, "a,b&c é\tz");
    assert.deepEqual(l.userContext, { a: 1.5, b: [1, 2, { x: 'y"q' }], c: null, d: {}, e: [] });
    assert.equal(formatLease4Row(l), `${KEA_ROW_FULL}\n`);
  });

  it("hwaddr is written without the hardware type; an empty hwaddr with a client id is valid", () => {
    const l = parse(KEA_ROW_CLIENT_ID_ONLY);
    assert.equal(l.hwaddr, null);
    assert.deepEqual([...l.clientId!], [0xff, 0x01]);
    assert.equal(formatLease4Row(l), `${KEA_ROW_CLIENT_ID_ONLY}\n`);
  });

  it("client_id is lower-case colon hex, and empty when the client sent none", () => {
    const row = formatLease4Row(lease(5, { clientId: Buffer.from([0x01, 0xab, 0xcd]) }));
    assert.equal(row.split(",")[2], "01:ab:cd");
    assert.equal(formatLease4Row(lease(5)).split(",")[2], "");
  });

  it("expire is cltt + valid_lifetime, and cltt is read back as expire - valid_lifetime", () => {
    const row = formatLease4Row(lease(5, { cltt: 1_700_000_000, validLifetime: 600 }));
    assert.equal(row.split(",")[4], "1700000600");
    assert.equal(parse(row.trimEnd()).cltt, 1_700_000_000);
  });

  it("an infinite lease (4294967295) survives the round trip", () => {
    const row = formatLease4Row(lease(5, { validLifetime: 0xffffffff })).trimEnd();
    const l = parse(row);
    assert.equal(l.validLifetime, 0xffffffff);
    assert.equal(l.cltt, 1_800_000_000);
    assert.equal(l.isExpired(5_000_000_000), false);
  });

  it("a deletion is the lease with valid_lifetime 0 and expire = cltt, as Kea writes it", () => {
    const l = parse(KEA_ROW_DELETION);
    assert.equal(l.validLifetime, 0);
    assert.equal(formatLease4Row(l.clone(), 0), `${KEA_ROW_DELETION}\n`);
    const mine = lease(7, { cltt: 1_795_000_000 });
    assert.match(formatLease4Row(mine, 0), /^198\.51\.100\.7,02:00:00:00:00:07,,0,1795000000,/);
  });

  it("fqdn flags are 1 and 0; 'true' is a bad row as in Kea", () => {
    const row = formatLease4Row(lease(5, { fqdnFwd: true, fqdnRev: false })).split(",");
    assert.deepEqual(row.slice(6, 8), ["1", "0"]);
    assert.throws(
      () => parse("198.51.100.5,02:00:00:00:00:05,,3600,1800003600,1,true,0,,0,"),
      LeaseRowError,
    );
  });

  it("a declined lease has no hwaddr and no client id and is still valid", () => {
    const d = lease(9);
    d.decline(86400, 1_800_000_100);
    const row = formatLease4Row(d);
    assert.equal(row, "198.51.100.9,,,86400,1800086500,1,0,0,,1,\n");
    assert.equal(parse(row.trimEnd()).state, LeaseState.DECLINED);
  });

  it("a lease with neither hwaddr nor client id that is not declined is a bad row", () => {
    assert.throws(
      () => parse("198.51.100.20,,,3600,1900000000,1,0,0,,0,"),
      /neither hardware address nor client id/,
    );
  });

  it("bad addresses, hardware addresses and numbers are bad rows", () => {
    for (const row of [
      "198.51.100.300,02:00:00:00:00:05,,3600,1800003600,1,0,0,,0,",
      "2001:db8::1,02:00:00:00:00:05,,3600,1800003600,1,0,0,,0,",
      "198.51.100.5,0a-0b-0c-0d-0e-26,,3600,1800003600,1,0,0,,0,",
      "198.51.100.5,02:00:00:00:00:05,,-1,1800003600,1,0,0,,0,",
      "198.51.100.5,02:00:00:00:00:05,,3600,18000x3600,1,0,0,,0,",
      "198.51.100.5,02:00:00:00:00:05,,3600,1800003600,4294967296,0,0,,0,",
      "198.51.100.5,02:00:00:00:00:05,zz,3600,1800003600,1,0,0,,0,",
    ]) {
      assert.throws(() => parse(row), LeaseRowError, row);
    }
  });

  it("user_context must be a JSON map, as Kea requires", () => {
    assert.throws(
      () => parse("198.51.100.23,0a:0b:0c:0d:0e:23,,3600,1900000000,1,0,0,,0,[1]"),
      /not a JSON map/,
    );
    assert.throws(
      () => parse("198.51.100.23,0a:0b:0c:0d:0e:23,,3600,1900000000,1,0,0,,0,{ nope"),
      /not JSON/,
    );
  });

  it("hostnames are lower-cased, as Kea's Lease constructor does", () => {
    assert.equal(lease(5, { hostname: "Host.Example" }).hostname, "host.example");
    // Kea lowers bytes in the C locale: letters outside ASCII keep their case.
    assert.equal(lease(5, { hostname: "MÜNCHEN" }).hostname, "mÜnchen");
  });
});

describe("escaping of hostname and user_context", () => {
  it("writes Kea 2.2's escapes for ',' and '&' and keeps other text as it is", () => {
    assert.equal(escapeField("a,b&c"), "a&#x2cb&#x26c");
    assert.equal(escapeField("tab\there é"), "tab\there é");
  });

  it("also escapes line breaks, which would otherwise split the row", () => {
    assert.equal(escapeField("a\nb\rc"), "a&#x0ab&#x0dc");
    const l = parse(formatLease4Row(lease(5, { hostname: "x\ny" })).trimEnd());
    assert.equal(l.hostname, "x\ny");
  });

  it("reads Kea 3's escapes of control and non-ASCII bytes", () => {
    const row = "198.51.100.5,02:00:00:00:00:05,,3600,1800003600,1,0,0,a&#x09b&#xc3&#xa9,0,";
    assert.equal(parse(row).hostname, "a\tbé");
  });

  it("reads upper-case hex digits, and keeps a tag without two hex digits literally", () => {
    assert.equal(unescapeField("x&#x2C&#x2g&#x41&#x4"), "x,&#x2gA&#x4");
  });

  it("decodes Kea's \\u00XX per-byte JSON escapes of UTF-8 text in user_context", () => {
    // Kea 2.2 wrote this row for the user context { "s": "é\n" }.
    const l = parse(
      '198.51.100.40,0a:0b:0c:0d:0e:40,ab:cd,7200,1795510031,1,0,0,host.example,0,{ "s": "\\u00c3\\u00a9\\n" }',
    );
    assert.deepEqual(l.userContext, { s: "é\n" });
  });

  it("user_context is written in the layout of Kea's Element::str(), keys sorted", () => {
    assert.equal(
      keaJsonText({ z: [], b: { y: true, a: "q" }, a: 1, e: {} }),
      '{ "a": 1, "b": { "a": "q", "y": true }, "e": {  }, "z": [  ] }',
    );
  });

  it("a user context with commas, ampersands and UTF-8 round-trips", () => {
    const ctx = { note: "a,b & c", name: "Zoë", list: [1, "x,y"] };
    const row = formatLease4Row(lease(5, { userContext: ctx }));
    assert.equal(row.trimEnd().split(",").length, 11);
    assert.deepEqual(parse(row.trimEnd()).userContext, ctx);
  });

  it("a UTF-8 hostname is written as raw UTF-8 and read back", () => {
    const l = lease(5, { hostname: "café.example" });
    const bytes = Buffer.from(formatLease4Row(l), "utf8");
    assert.ok(bytes.includes(Buffer.from("café", "utf8")));
    assert.equal(parse(bytes.toString("utf8").trimEnd()).hostname, "café.example");
  });

  it("a hardware address of several lengths keeps its bytes", () => {
    const l = lease(5, { hwaddr: new HWAddr(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])) });
    assert.equal(formatLease4Row(l).split(",")[1], "01:02:03:04:05:06:07:08");
  });
});
