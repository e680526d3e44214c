import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { INFINITY_LFT, LeaseState } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { lease } from "./lease-helpers.ts";

describe("Lease4", () => {
  it("expires at cltt + valid lifetime, and not a second before", () => {
    const l = lease(5, { cltt: 1000, validLifetime: 60 });
    assert.equal(l.expire, 1060);
    assert.equal(l.isExpired(1060), false);
    assert.equal(l.isExpired(1061), true);
  });

  it("an infinite lease never expires", () => {
    const l = lease(5, { cltt: 1000, validLifetime: INFINITY_LFT });
    assert.equal(l.isExpired(Number.MAX_SAFE_INTEGER), false);
  });

  it("a clone shares nothing with the original", () => {
    const l = lease(5, { clientId: Buffer.from([1, 2]), userContext: { a: { b: 1 } } });
    const c = l.clone();
    c.hwaddr!.hwaddr[0] = 0xff;
    c.clientId![0] = 0xff;
    (c.userContext!.a as { b: number }).b = 2;
    assert.equal(l.hwaddr!.hwaddr[0], 0x02);
    assert.equal(l.clientId![0], 1);
    assert.deepEqual(l.userContext, { a: { b: 1 } });
    assert.deepEqual(Object.keys(c), Object.keys(l), "one shape");
  });

  it("decline sets the address aside for the probation period, without the client", () => {
    const l = lease(5, { hostname: "pc", fqdnFwd: true, clientId: Buffer.from([1]) });
    l.decline(86400, 2000);
    assert.equal(l.state, LeaseState.DECLINED);
    assert.equal(l.hwaddr, null);
    assert.equal(l.clientId, null);
    assert.equal(l.hostname, "");
    assert.equal(l.fqdnFwd, false);
    assert.equal(l.expire, 2000 + 86400);
  });

  it("an empty client id is no client id", () => {
    assert.equal(lease(5, { clientId: Buffer.alloc(0) }).clientId, null);
  });
});
