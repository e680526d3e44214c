import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import {
  LEASE6_HEADER_2_2,
  LEASE6_HEADER_3_0,
  formatLease6Row,
  parseLease6Header,
  parseLease6Row,
} from "../../../../src/dhcpsrv/leases/csv-lease-file6.ts";
import { LeaseFileFormatError, LeaseRowError } from "../../../../src/dhcpsrv/leases/lease-store.ts";
import {
  HWAddrSource,
  INFINITY_LFT,
  LeaseState,
  LeaseType6,
} from "../../../../src/dhcpsrv/leases/lease6.ts";
import { HEADER6_2_2, HEADER6_3_0, lease6, prefix6 } from "./lease6-helpers.ts";

const LAYOUT = parseLease6Header(HEADER6_2_2);
const cols = (n: number) => HEADER6_2_2.split(",").slice(0, n).join(",");

// Rows written by Kea 2.2.0's kea-dhcp6 (lease6-add and lease6-del through lease_cmds).
const KEA_ADDRESS =
  '2001:db8:1::100,00:01:02:03:04:05,7200,1795512687,1,7200,0,7,128,0,0,a&#x2cb&#x26c,02:42:aa:bb:cc:dd,0,{ "x": 1 },1,0';
const KEA_PREFIX = "2001:db8:8::,00:01:02:03:04:06,200,1795505688,1,100,2,8,56,0,0,,,0,,,";
const KEA_DELETION = "2001:db8:1::101,00:01:02:03:04:07,0,1795505488,1,0,0,9,128,0,0,,,1,,,";

describe("v6 lease file header", () => {
  it("Nestor writes exactly the header of Kea 2.2 (schema 4.0)", () => {
    assert.equal(LEASE6_HEADER_2_2, HEADER6_2_2);
    assert.equal(LAYOUT.needsConversion, false);
  });

  it("Kea 3's header with pool_id is read and marked for conversion", () => {
    assert.equal(LEASE6_HEADER_3_0, HEADER6_3_0);
    const layout = parseLease6Header(HEADER6_3_0);
    assert.equal(layout.needsConversion, true);
    const l = parseLease6Row(`${KEA_PREFIX},7`, layout);
    assert.equal(l.poolId, 7);
  });

  it("Kea 1.0's header (through hostname) upgrades: no hwaddr, state 0, no user context", () => {
    const layout = parseLease6Header(cols(12));
    assert.equal(layout.needsConversion, true);
    const l = parseLease6Row("2001:db8:1::5,00:01:02:03,100,1100,1,50,0,5,128,0,0,h", layout);
    assert.equal(l.hwaddr, null);
    assert.equal(l.state, LeaseState.DEFAULT);
    assert.equal(l.userContext, null);
    assert.equal(l.cltt, 1000);
  });

  it("Kea 2.0's (hwaddr) and 3.0's (state) headers upgrade; hwtype defaults to Ethernet", () => {
    const l2 = parseLease6Row(
      "2001:db8:1::5,00:01:02:03,100,1100,1,50,0,5,128,0,0,,0a:0b",
      parseLease6Header(cols(13)),
    );
    assert.deepEqual(l2.hwaddr, HWAddr.fromText("0a:0b"));
    assert.equal(l2.hwaddrSource, HWAddrSource.UNKNOWN);
    const l3 = parseLease6Row(
      "2001:db8:1::5,00:01:02:03,100,1100,1,50,0,5,128,0,0,,,2",
      parseLease6Header(cols(14)),
    );
    assert.equal(l3.state, LeaseState.EXPIRED_RECLAIMED);
  });

  it("Kea 3.1's header (user_context) upgrades", () => {
    const layout = parseLease6Header(cols(15));
    const l = parseLease6Row(
      '2001:db8:1::5,00:01:02:03,100,1100,1,50,0,5,128,0,0,,,0,{ "a": 1 }',
      layout,
    );
    assert.deepEqual(l.userContext, { a: 1 });
  });

  it("a header with unknown trailing columns downgrades: their values are dropped", () => {
    const layout = parseLease6Header(`${HEADER6_3_0},future_column`);
    assert.equal(layout.needsConversion, true);
    const l = parseLease6Row(`${KEA_PREFIX},3,whatever`, layout);
    assert.equal(l.poolId, 3);
  });

  it("a header that is not Kea's, or too short, is refused with the file named", () => {
    assert.throws(
      () => parseLease6Header("address,hwaddr,client_id", "/x/leases6.csv"),
      (err: unknown) => err instanceof LeaseFileFormatError && err.file === "/x/leases6.csv",
    );
    assert.throws(() => parseLease6Header(cols(11)), /at least 12 needed/);
  });

  it("rows with fewer columns than the header are bad rows", () => {
    assert.throws(
      () => parseLease6Row(KEA_PREFIX.split(",").slice(0, 14).join(","), LAYOUT),
      LeaseRowError,
    );
  });

  it("a 2.2-header file accepts a row with Kea 3's extra pool_id column, as Kea 2.2 does", () => {
    assert.equal(parseLease6Row(`${KEA_PREFIX},4`, LAYOUT).poolId, 4);
    assert.throws(() => parseLease6Row(`${KEA_PREFIX},4,5`, LAYOUT), LeaseRowError);
  });
});

describe("v6 lease file columns", () => {
  it("Kea 2.2's address row reads back with every field and is rewritten byte for byte", () => {
    const l = parseLease6Row(KEA_ADDRESS, LAYOUT);
    assert.equal(l.address, "2001:db8:1::100");
    assert.deepEqual(l.duid, Buffer.from([0, 1, 2, 3, 4, 5]));
    assert.equal(l.validLifetime, 7200);
    assert.equal(l.cltt, 1795512687 - 7200);
    assert.equal(l.subnetId, 1);
    assert.equal(l.preferredLifetime, 7200);
    assert.equal(l.type, LeaseType6.IA_NA);
    assert.equal(l.iaid, 7);
    assert.equal(l.prefixLen, 128);
    assert.equal(l.hostname, "a,b&c");
    assert.deepEqual(l.hwaddr, HWAddr.fromText("02:42:aa:bb:cc:dd", 1));
    assert.equal(l.hwaddrSource, 0);
    assert.deepEqual(l.userContext, { x: 1 });
    assert.equal(formatLease6Row(l), `${KEA_ADDRESS}\n`);
  });

  it("Kea 2.2's prefix row keeps its type and length, and is rewritten byte for byte", () => {
    const l = parseLease6Row(KEA_PREFIX, LAYOUT);
    assert.equal(l.type, LeaseType6.IA_PD);
    assert.equal(l.prefixLen, 56);
    assert.equal(l.address, "2001:db8:8::");
    assert.equal(formatLease6Row(l), `${KEA_PREFIX}\n`);
  });

  it("a deletion is the lease with valid and preferred lifetimes 0 and expire = cltt", () => {
    const l = parseLease6Row(KEA_DELETION, LAYOUT);
    assert.equal(l.validLifetime, 0);
    const live = l.clone();
    live.validLifetime = 7200;
    live.preferredLifetime = 7200;
    assert.equal(formatLease6Row(live, true), `${KEA_DELETION}\n`);
  });

  it("hwtype and hwaddr_source are written with a hardware address, and only then", () => {
    const l = lease6(5, { hwaddr: new HWAddr(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]), 32) });
    l.hwaddrSource = HWAddrSource.CLIENT_ADDR_RELAY_OPTION;
    const f = formatLease6Row(l).trimEnd().split(",");
    assert.deepEqual(f.slice(12), ["01:02:03:04:05:06:07:08", "0", "", "32", "8"]);
    const back = parseLease6Row(formatLease6Row(l).trimEnd(), LAYOUT);
    assert.equal(back.hwaddr!.htype, 32);
    assert.equal(back.hwaddrSource, 8);
    assert.deepEqual(formatLease6Row(lease6(5)).trimEnd().split(",").slice(12), [
      "",
      "0",
      "",
      "",
      "",
    ]);
  });

  it("unreadable hardware address columns load the lease without one, as Kea (a warning)", () => {
    for (const hw of ["zz,0,,,", "aa:bb,0,,x,", "aa:bb,0,,70000,1", "aa:bb,0,,1,99999999999"]) {
      const l = parseLease6Row(
        `2001:db8:1::5,00:01:02:03,100,1100,1,50,0,5,128,0,0,,${hw}`,
        LAYOUT,
      );
      assert.equal(l.hwaddr, null, hw);
    }
  });

  it("expire is cltt + valid_lifetime; an infinite lease survives the round trip", () => {
    const l = lease6(5, {
      cltt: 1_700_000_000,
      validLifetime: INFINITY_LFT,
      preferredLifetime: INFINITY_LFT,
    });
    const row = formatLease6Row(l);
    assert.equal(row.split(",")[3], String(1_700_000_000 + INFINITY_LFT));
    const back = parseLease6Row(row.trimEnd(), LAYOUT);
    assert.equal(back.cltt, 1_700_000_000);
    assert.equal(back.validLifetime, INFINITY_LFT);
    assert.equal(back.preferredLifetime, INFINITY_LFT);
  });

  it("a declined lease has Kea's empty DUID '00' and is valid", () => {
    const l = lease6(6);
    l.decline(86400, 1_800_000_000);
    const row = formatLease6Row(l);
    assert.equal(row.split(",")[1], "00");
    const back = parseLease6Row(row.trimEnd(), LAYOUT);
    assert.equal(back.state, LeaseState.DECLINED);
    assert.ok(back.hasEmptyDuid());
  });

  it("a row without a DUID, or with the empty DUID and not declined, is a bad row (as Kea)", () => {
    const row = (duid: string, state: number) =>
      `2001:db8:1::5,${duid},100,1100,1,50,0,5,128,0,0,,,${state},,,`;
    assert.throws(() => parseLease6Row(row("", 1), LAYOUT), /empty DUIDs/);
    assert.throws(() => parseLease6Row(row("00", 0), LAYOUT), /empty DUID and is not declined/);
    assert.equal(parseLease6Row(row("00:01:02", 0), LAYOUT).duid.length, 3);
  });

  it("bad addresses, lease types, prefix lengths and numbers are bad rows", () => {
    const good = KEA_PREFIX.split(",");
    const bad = (i: number, v: string) => {
      const f = [...good];
      f[i] = v;
      return f.join(",");
    };
    for (const [i, v] of [
      [0, "192.0.2.1"],
      [0, "2001:db8::g"],
      [1, "not-hex"],
      [2, "-1"],
      [2, "4294967296"],
      [6, "3"],
      [7, "x"],
      [8, "129"],
      [9, "true"],
      [13, "x"],
      [14, "[1]"],
    ] as const) {
      assert.throws(() => parseLease6Row(bad(i, v), LAYOUT), LeaseRowError, `column ${i} = ${v}`);
    }
  });

  it("addresses are read in RFC 5952 form", () => {
    const l = parseLease6Row(KEA_PREFIX.replace("2001:db8:8::", "2001:DB8:0008:0:0:0:0:0"), LAYOUT);
    assert.equal(l.address, "2001:db8:8::");
  });

  it("a hostname keeps its case when read, as Kea assigns it after the constructor", () => {
    const l = parseLease6Row(KEA_PREFIX.replace(",56,0,0,,", ",56,0,0,HostName,"), LAYOUT);
    assert.equal(l.hostname, "HostName");
  });

  it("hostname and user_context are escaped as in v4, and UTF-8 round-trips", () => {
    const l = prefix6(7, {
      hostname: "a,b&c\nd.example",
      userContext: { site: "hq,annex&co", owner: "Zoë" },
    });
    const row = formatLease6Row(l);
    assert.equal(row.trimEnd().split(",").length, 17);
    assert.match(row, /a&#x2cb&#x26c&#x0ad\.example/);
    const back = parseLease6Row(row.trimEnd(), LAYOUT);
    assert.equal(back.hostname, "a,b&c\nd.example");
    assert.deepEqual(back.userContext, { owner: "Zoë", site: "hq,annex&co" });
    const kea3 = parseLease6Row(
      KEA_PREFIX.replace(",56,0,0,,", ",56,0,0,caf&#xc3&#xa9&#x0a,"),
      LAYOUT,
    );
    assert.equal(kea3.hostname, "café\n");
  });
});
