import { test } from "node:test";
import assert from "node:assert/strict";
import { copyBytes } from "../../../src/util/bytes.ts";
import { HWAddr } from "../../../src/dhcp/hwaddr.ts";
import { DUID } from "../../../src/dhcp/duid.ts";
import { Lease6 } from "../../../src/dhcpsrv/leases/lease6.ts";

test("copyBytes gives an independent Buffer with the same bytes, short or long", () => {
  for (const n of [0, 1, 6, 64, 65, 300]) {
    const backing = new Uint8Array(n + 8).map((_, i) => (i * 7 + 3) & 255);
    const src = backing.subarray(4, 4 + n);
    const c = copyBytes(src);
    assert.ok(Buffer.isBuffer(c));
    assert.equal(c.length, n);
    assert.deepEqual([...c], [...src], `${n} bytes`);
    if (n > 0) {
      src[0] = src[0]! ^ 0xff;
      assert.equal(c[0], (4 * 7 + 3) & 255, "the copy does not follow its source");
      c[n - 1] = 0;
      assert.equal(
        backing[4 + n - 1],
        n === 1 ? ((4 * 7 + 3) & 255) ^ 0xff : ((4 + n - 1) * 7 + 3) & 255,
        "nor the source its copy",
      );
    }
  }
  // A plain array (a JavaScript hook library's) is copied as Buffer.from copies it.
  assert.deepEqual([...copyBytes([1, 2, 300] as unknown as Uint8Array)], [1, 2, 44]);
});

test("hardware addresses, DUIDs and leases keep their own copy of the bytes given", () => {
  const bytes = Buffer.from([0, 3, 0, 1, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
  const hw = new HWAddr(bytes.subarray(4));
  const duid = new DUID(bytes);
  const lease = new Lease6({
    address: "2001:db8::5",
    duid: bytes,
    iaid: 7,
    preferredLifetime: 300,
    validLifetime: 400,
    cltt: 1000,
    subnetId: 1,
  });
  bytes.fill(0xaa);
  assert.equal(hw.toText(false), "11:22:33:44:55:66");
  assert.equal(duid.toText(), "00:03:00:01:11:22:33:44:55:66");
  assert.equal(lease.duid.toString("hex"), "0003000111223344" + "5566");
});
