import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import {
  EMPTY_DUID,
  HWAddrSource,
  INFINITY_LFT,
  Lease6,
  LeaseState,
  LeaseType6,
} from "../../../../src/dhcpsrv/leases/lease6.ts";
import { duidOf, lease6, prefix6 } from "./lease6-helpers.ts";

describe("Lease6", () => {
  it("an address lease is IA_NA with prefix length 128 unless told otherwise", () => {
    const l = new Lease6({
      address: "2001:db8::1",
      duid: duidOf(1),
      iaid: 1,
      preferredLifetime: 1,
      validLifetime: 2,
      cltt: 0,
      subnetId: 1,
    });
    assert.equal(l.type, LeaseType6.IA_NA);
    assert.equal(l.prefixLen, 128);
    assert.equal(l.state, LeaseState.DEFAULT);
    assert.equal(l.hwaddr, null);
    assert.equal(l.poolId, 0);
  });

  it("expires at cltt + valid lifetime, and not a second before", () => {
    const l = lease6(1, { cltt: 1000, validLifetime: 100 });
    assert.equal(l.expire, 1100);
    assert.equal(l.isExpired(1100), false);
    assert.equal(l.isExpired(1101), true);
  });

  it("an infinite lease never expires", () => {
    const l = lease6(1, { cltt: 1000, validLifetime: INFINITY_LFT });
    assert.equal(l.isExpired(Number.MAX_SAFE_INTEGER), false);
  });

  it("hostnames given to the constructor are lower-cased (ASCII only), as Kea's Lease", () => {
    assert.equal(lease6(1, { hostname: "Host.EXAMPLE.org" }).hostname, "host.example.org");
    assert.equal(lease6(1, { hostname: "CAFÉ" }).hostname, "cafÉ");
  });

  it("a clone shares nothing with the original and keeps the hostname's case", () => {
    const l = prefix6(3, {
      hwaddr: HWAddr.fromText("02:00:00:00:00:03"),
      hwaddrSource: HWAddrSource.DUID,
      userContext: { a: { b: [1] } },
    });
    l.hostname = "Mixed.Case";
    const c = l.clone();
    assert.deepEqual(c, l);
    c.duid[0] = 9;
    c.hwaddr!.hwaddr[0] = 9;
    (c.userContext!.a as { b: number[] }).b.push(2);
    assert.equal(l.duid[0], 0);
    assert.equal(l.hwaddr!.hwaddr[0], 2);
    assert.deepEqual(l.userContext, { a: { b: [1] } });
    assert.equal(c.hostname, "Mixed.Case");
  });

  it("decline keeps the address and IAID, drops the client: empty DUID, no hwaddr, no name", () => {
    const l = lease6(4, {
      hwaddr: HWAddr.fromText("02:00:00:00:00:04"),
      hostname: "h",
      fqdnFwd: true,
      fqdnRev: true,
      userContext: { keep: true },
    });
    l.decline(86400, 1_900_000_000);
    assert.equal(l.state, LeaseState.DECLINED);
    assert.deepEqual(l.duid, EMPTY_DUID);
    assert.ok(l.hasEmptyDuid());
    assert.equal(l.hwaddr, null);
    assert.equal(l.hostname, "");
    assert.equal(l.fqdnFwd || l.fqdnRev, false);
    assert.equal(l.preferredLifetime, 0);
    assert.equal(l.validLifetime, 86400);
    assert.equal(l.cltt, 1_900_000_000);
    assert.equal(l.iaid, 4);
    assert.deepEqual(l.userContext, { keep: true });
  });
});
