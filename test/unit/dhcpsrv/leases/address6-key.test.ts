import assert from "node:assert/strict";
import { test } from "node:test";

import { canonicalIPv6, ipv6FromString } from "../../../../src/dhcp/ioaddress.ts";
import { address6Key, address6OfKey } from "../../../../src/dhcpsrv/leases/address6-key.ts";
import { bigToIpv6, ipv6ToBig } from "../../../../src/dhcpsrv/model/subnet6.ts";

test("every spelling of an address has one 16-character key, and the key gives back its canonical text", () => {
  const spellings = [
    "2001:db8:1::1:0",
    "2001:DB8:1:0:0:0:1:0",
    "2001:0db8:0001:0000:0000:0000:0001:0000",
    "2001:db8:1::0:1:0",
  ];
  const key = address6Key(spellings[0]!);
  assert.notEqual(key, null);
  assert.equal(key!.length, 16);
  for (const s of spellings) assert.equal(address6Key(s), key, s);
  assert.equal(address6OfKey(key!), "2001:db8:1::1:0");
  assert.deepEqual(
    Buffer.from(key!, "latin1"),
    ipv6FromString("2001:db8:1::1:0"),
    "the key's characters are the address bytes",
  );
});

test("a text that is not an IPv6 address has no key, also right after a valid one", () => {
  assert.notEqual(address6Key("2001:db8::1"), null);
  for (const bad of ["198.51.100.1", "2001:db8::1::2", "", "2001:db8::g", "::ffff:1.2.3"]) {
    assert.equal(address6Key(bad), null, bad);
    assert.equal(address6Key(bad), null, `${bad} (again)`);
  }
});

test("keys compare as the addresses do (the address order of lease pages)", () => {
  let seed = 11;
  const byte = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
  const addresses: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.alloc(16);
    // Few distinct values per byte so that long common prefixes and 0x80+ bytes both occur.
    for (let j = 0; j < 16; j++) b[j] = [0, 1, 0x7f, 0x80, 0xff][byte() % 5]!;
    b[15] = byte();
    addresses.push(b);
  }
  const texts = addresses.map((b) => canonicalIPv6(ipv6ToText(b)));
  const byKey = [...texts].sort((a, b) => {
    const ka = address6Key(a)!;
    const kb = address6Key(b)!;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const byBytes = [...texts].sort((a, b) => Buffer.compare(ipv6FromString(a), ipv6FromString(b)));
  assert.deepEqual(byKey, byBytes);
});

function ipv6ToText(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(":");
}

test("the allocator's conversions keep canonical text after a conversion of another spelling", () => {
  // ipv6ToBig and bigToIpv6 remember their last conversion: a number first seen through an
  // upper-case or uncompressed spelling must still print in RFC 5952 form.
  const n = ipv6ToBig("2001:DB8:0:0:0:0:0:AB");
  assert.equal(n, 0x20010db80000000000000000000000abn);
  assert.equal(bigToIpv6(n), "2001:db8::ab");
  assert.equal(ipv6ToBig("2001:db8::ab"), n);
  assert.equal(bigToIpv6(n + 1n), "2001:db8::ac");
  assert.equal(ipv6ToBig("2001:0DB8::AC"), n + 1n);
  assert.equal(bigToIpv6(n + 1n), "2001:db8::ac");
  assert.equal(ipv6ToBig("not an address"), -1n);
  assert.equal(bigToIpv6(0n), "::");
  assert.equal(bigToIpv6((1n << 128n) - 1n), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
});
