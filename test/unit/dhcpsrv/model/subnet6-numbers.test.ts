/**
 * The 128-bit numbers of IPv6 addresses (src/dhcpsrv/model/subnet6.ts): bytes to number, number
 * to RFC 5952 text, text to number, for addresses whose halves and 32-bit words straddle every
 * boundary.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bigToIpv6, bytesToBig, ipv6ToBig } from "../../../../src/dhcpsrv/model/subnet6.ts";

const CASES: [string, bigint][] = [
  ["::", 0n],
  ["::1", 1n],
  ["::ffff:ffff", 0xffffffffn],
  ["::1:0:0", 1n << 32n],
  ["::ffff:ffff:ffff:ffff", (1n << 64n) - 1n],
  ["0:0:0:1::", 1n << 64n],
  ["2001:db8::1", 0x20010db8000000000000000000000001n],
  ["2001:db8:8000::8000:0:1", 0x20010db8800000000000800000000001n],
  ["8000::", 1n << 127n],
  ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", (1n << 128n) - 1n],
];

test("bytesToBig reads 16 bytes at an offset as a big-endian number", () => {
  for (const [text, n] of CASES) {
    const hex = n.toString(16).padStart(32, "0");
    const bytes = Buffer.concat([Buffer.from([0xaa, 0xbb, 0xcc]), Buffer.from(hex, "hex")]);
    assert.equal(bytesToBig(bytes, 3), n, text);
    assert.equal(bytesToBig(Buffer.from(hex, "hex"), 0), n, text);
  }
});

test("bigToIpv6 writes RFC 5952 text and ipv6ToBig reads it back", () => {
  for (const [, n] of CASES) {
    const text = bigToIpv6(n);
    assert.equal(ipv6ToBig(text), n, text);
  }
  assert.equal(bigToIpv6(0x20010db8000000000000000000000001n), "2001:db8::1");
  assert.equal(bigToIpv6((1n << 128n) - 1n), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  assert.equal(bigToIpv6(1n << 64n), "0:0:0:1::");
  assert.equal(ipv6ToBig("2001:DB8:0:0::1"), 0x20010db8000000000000000000000001n);
  assert.equal(ipv6ToBig("not an address"), -1n);
});
