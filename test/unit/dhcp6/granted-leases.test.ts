import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ipv6FromString } from "../../../src/dhcp/ioaddress.ts";
import { grantsLease6 } from "../../../src/dhcp6/granted-leases.ts";

function opt(code: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(code, 0);
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([head, body]);
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const addr = (a: string) => ipv6FromString(a);
const iaaddr = (a: string, valid: number) =>
  opt(5, Buffer.concat([addr(a), u32(3000), u32(valid)]));
const iaprefix = (p: string, len: number, valid: number) =>
  opt(26, Buffer.concat([u32(3000), u32(valid), Buffer.from([len]), addr(p)]));
const iaNa = (...subs: Buffer[]) => opt(3, Buffer.concat([u32(1), u32(0), u32(0), ...subs]));
const iaPd = (...subs: Buffer[]) => opt(25, Buffer.concat([u32(2), u32(0), u32(0), ...subs]));
const reply = (...opts: Buffer[]) =>
  Buffer.concat([
    Buffer.from([7, 1, 2, 3]),
    opt(1, Buffer.from([0, 3, 0, 1, 2, 0, 0, 0, 0, 1])),
    ...opts,
  ]);
const relayRepl = (inner: Buffer) =>
  Buffer.concat([Buffer.from([13, 0]), addr("2001:db8::1"), addr("fe80::1"), opt(9, inner)]);

describe("grantsLease6: which replies grant a lease another server took", () => {
  const lost = new Set(["2001:db8:1::30", "2001:db8:8:3000::"]);

  it("an address of an IA_NA and a prefix of an IA_PD, as the reply or inside a RELAY-REPL", () => {
    assert.equal(grantsLease6(reply(iaNa(iaaddr("2001:db8:1::30", 4000))), lost), true);
    assert.equal(grantsLease6(reply(iaPd(iaprefix("2001:db8:8:3000::", 56, 4000))), lost), true);
    assert.equal(
      grantsLease6(relayRepl(relayRepl(reply(iaNa(iaaddr("2001:db8:1::30", 4000))))), lost),
      true,
    );
  });

  it("other leases, a released one (valid lifetime 0) and a truncated packet grant nothing lost", () => {
    assert.equal(grantsLease6(reply(iaNa(iaaddr("2001:db8:1::31", 4000))), lost), false);
    assert.equal(grantsLease6(reply(iaNa(iaaddr("2001:db8:1::30", 0))), lost), false);
    assert.equal(grantsLease6(reply(iaPd(iaprefix("2001:db8:8:3100::", 56, 4000))), lost), false);
    const whole = reply(iaNa(iaaddr("2001:db8:1::30", 4000)));
    assert.equal(grantsLease6(whole.subarray(0, whole.length - 5), lost), false);
    assert.equal(grantsLease6(Buffer.from([7]), lost), false);
  });
});
