import { test } from "node:test";
import assert from "node:assert/strict";
import { HWAddr } from "../../../src/dhcp/hwaddr.ts";
import { ClientId, DUID, DuidType } from "../../../src/dhcp/duid.ts";
import { BadValue } from "../../../src/dhcp/errors.ts";
import {
  canonicalIPv6,
  decodeFormattedHex,
  ipv4FromString,
  ipv4ToString,
  ipv6FromString,
  ipv6ToString,
  isIPv4,
  isIPv6,
  tryParseIPv6,
} from "../../../src/dhcp/ioaddress.ts";

test("HWAddr prints as Kea does, with and without the hardware type", () => {
  const hw = HWAddr.fromText("00:11:22:aa:BB:cc");
  assert.equal(hw.toText(), "hwtype=1 00:11:22:aa:bb:cc");
  assert.equal(hw.toText(false), "00:11:22:aa:bb:cc");
  assert.equal(String(hw), "00:11:22:aa:bb:cc");
  assert.ok(hw.equals(new HWAddr(Buffer.from([0, 0x11, 0x22, 0xaa, 0xbb, 0xcc]))));
  assert.ok(
    !hw.equals(new HWAddr(hw.hwaddr, 6)),
    "a different hardware type is a different address",
  );
  assert.throws(() => new HWAddr(Buffer.alloc(21)), BadValue);
  assert.throws(() => HWAddr.fromText("00:zz"), BadValue);
});

test("DUID-LLT is recognised with its hardware type, time and link-layer address", () => {
  const d = DUID.fromText("00:01:00:01:2a:2b:2c:2d:00:11:22:33:44:55");
  assert.equal(d.getType(), DuidType.DUID_LLT);
  const info = d.describe();
  assert.ok(info.type === DuidType.DUID_LLT);
  assert.equal(info.htype, 1);
  assert.equal(info.time, 0x2a2b2c2d);
  assert.equal(d.getHWAddr()!.toText(), "hwtype=1 00:11:22:33:44:55");
  assert.equal(d.toText(), "00:01:00:01:2a:2b:2c:2d:00:11:22:33:44:55");
});

test("DUID-EN, DUID-LL and DUID-UUID are recognised (RFC 8415, RFC 6355)", () => {
  const en = DUID.fromText("00:02:00:00:09:bf:01:02");
  const enInfo = en.describe();
  assert.ok(enInfo.type === DuidType.DUID_EN);
  assert.equal(enInfo.enterpriseId, 2495);
  assert.deepEqual([...enInfo.identifier], [1, 2]);
  assert.equal(en.getHWAddr(), null);
  const ll = DUID.fromText("00:03:00:01:00:11:22:33:44:55");
  assert.equal(ll.getType(), DuidType.DUID_LL);
  assert.equal(ll.getHWAddr()!.toText(false), "00:11:22:33:44:55");
  const uuid = DUID.fromText("0004" + "123e4567e89b12d3a456426614174000");
  const u = uuid.describe();
  assert.ok(u.type === DuidType.DUID_UUID);
  assert.equal(u.uuid, "123e4567-e89b-12d3-a456-426614174000");
});

test("an unknown or malformed DUID body reads as DUID_UNKNOWN; sizes are bounded", () => {
  assert.equal(DUID.fromText("00:09:01:02").getType(), DuidType.DUID_UNKNOWN);
  assert.equal(
    DUID.fromText("00:04:01:02").getType(),
    DuidType.DUID_UNKNOWN,
    "UUID must be 16 bytes",
  );
  assert.throws(() => new DUID(Buffer.alloc(2)), BadValue);
  assert.throws(() => new DUID(Buffer.alloc(131)), BadValue);
});

test("a client identifier is 2..255 bytes; type 255 carries IAID and DUID (RFC 4361)", () => {
  const cid = ClientId.fromText("ff:00:00:00:01:00:03:00:01:00:11:22:33:44:55");
  assert.equal(cid.toText(), "ff:00:00:00:01:00:03:00:01:00:11:22:33:44:55");
  assert.equal(cid.getDuid()!.getType(), DuidType.DUID_LL);
  assert.equal(ClientId.fromText("01:00:11:22:33:44:55").getDuid(), null);
  assert.throws(() => new ClientId(Buffer.from([1])), BadValue);
});

test("IPv4 text and numbers convert both ways; malformed text is refused", () => {
  assert.equal(ipv4ToString(0xc0000201), "192.0.2.1");
  assert.equal(ipv4FromString("255.255.255.255"), 0xffffffff);
  for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "1..2.3", ""]) {
    assert.equal(isIPv4(bad), false, bad);
  }
});

test("IPv6 addresses print in RFC 5952 form and parse every valid spelling", () => {
  const cases: [string, string][] = [
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::", "fe80::"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ["FF02::1:2", "ff02::1:2"],
  ];
  for (const [input, canonical] of cases) {
    assert.equal(canonicalIPv6(input), canonical, input);
    assert.equal(ipv6ToString(ipv6FromString(input)), canonical);
  }
  for (const bad of [
    "1::2::3",
    "12345::",
    ":1::",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "g::",
    "1:",
  ]) {
    assert.equal(isIPv6(bad), false, bad);
  }
});

test("hex text decodes in each form Kea's configuration accepts", () => {
  assert.deepEqual([...decodeFormattedHex("0x0a0b")!], [10, 11]);
  assert.deepEqual([...decodeFormattedHex("a0b")!], [10, 11]);
  assert.deepEqual([...decodeFormattedHex("a:b:cd")!], [10, 11, 0xcd]);
  assert.deepEqual([...decodeFormattedHex("0a 0b")!], [10, 11]);
  assert.equal(decodeFormattedHex("0a::0b"), null);
  assert.equal(decodeFormattedHex("xyz"), null);
});

test("IPv6 text parsed again, at any offset, gives its own bytes (the last parse is reused)", () => {
  const text = "2001:db8:1::7";
  const a = new Uint8Array(16);
  assert.equal(tryParseIPv6(text, a), true);
  const b = new Uint8Array(20).fill(0xee);
  assert.equal(tryParseIPv6(text, b, 3), true);
  assert.deepEqual([...b.subarray(3, 19)], [...a]);
  assert.deepEqual([b[0], b[1], b[2], b[19]], [0xee, 0xee, 0xee, 0xee]);
  // Another spelling of the same address, then another address, then the first again.
  const c = new Uint8Array(16);
  assert.equal(tryParseIPv6("2001:0db8:0001:0:0:0:0:0007", c), true);
  assert.deepEqual([...c], [...a]);
  assert.equal(tryParseIPv6("2001:db8:1::8", c), true);
  assert.equal(c[15], 8);
  assert.equal(tryParseIPv6(text, c), true);
  assert.deepEqual([...c], [...a]);
  // A refused text leaves nothing behind for the next one.
  assert.equal(tryParseIPv6("2001:db8:1::7::", c), false);
  assert.equal(tryParseIPv6("", c), false);
  assert.equal(tryParseIPv6("::", c), true);
  assert.deepEqual([...c], new Array(16).fill(0));
  assert.equal(tryParseIPv6("::", b, 4), true);
  assert.deepEqual([...b.subarray(4, 20)], new Array(16).fill(0));
});
