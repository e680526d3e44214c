/**
 * Lease caching (cache-threshold) on DHCPv6 RENEW, as Kea's extendLease6 / setLeaseReusable: the
 * IA carries the remaining preferred and valid lifetimes and nothing is written; and pd-allocator
 * flq delegates the free prefixes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import { Option6IAAddr, Option6IAPrefix } from "../../../src/dhcp/option6-ia.ts";
import { LeaseType6 } from "../../../src/dhcpsrv/leases/lease6.ts";
import {
  M,
  SERVER_DUID,
  config6,
  exchange6,
  iasOf,
  query6,
  server6,
  type Server6Bed,
} from "../../helpers/dhcp6.ts";

async function leased(extra: Record<string, unknown>): Promise<Server6Bed> {
  const bed = await server6(config6(extra as never, { "rapid-commit": true }));
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_SOLICIT, { rapidCommit: true, ias: [{}, { pd: true }] }),
  );
  assert.equal(r?.pkt.getType(), M.DHCPV6_REPLY);
  return bed;
}

function age(bed: Server6Bed, type: number, seconds: number): number {
  const lease = bed.leases
    .getAllLeases6()
    .find((l) => l.type === type)!
    .clone();
  lease.cltt -= seconds;
  bed.leases.updateLease6(lease);
  return lease.cltt;
}

async function renewLifetimes(bed: Server6Bed) {
  const own = bed.leases.getAllLeases6();
  const na = own.find((l) => l.type === LeaseType6.IA_NA)!;
  const pd = own.find((l) => l.type === LeaseType6.IA_PD)!;
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_RENEW, {
      serverId: SERVER_DUID,
      ias: [{ hints: [na.address] }, { pd: true, hints: [`${pd.address}/${pd.prefixLen}`] }],
    }),
  );
  const out: { preferred: number; valid: number; t1: number }[] = [];
  for (const ia of iasOf(r!.pkt)) {
    const sub = ia
      .getOptions()
      .find((o) => o instanceof Option6IAAddr || o instanceof Option6IAPrefix) as
      Option6IAAddr | Option6IAPrefix;
    out.push({ preferred: sub.getPreferred(), valid: sub.getValid(), t1: ia.getT1() });
  }
  return out;
}

test("a RENEW within cache-threshold reuses both leases: remaining lifetimes, nothing written", async () => {
  const bed = await leased({ "cache-threshold": 0.25 });
  const naCltt = age(bed, LeaseType6.IA_NA, 400);
  age(bed, LeaseType6.IA_PD, 400);
  const [na, pd] = await renewLifetimes(bed);
  // The lease is 400 s old, plus any second the clock turned since it was granted (the RENEW
  // may come in the next second: CI once saw 2599/3599).
  const turned = Math.floor(Date.now() / 1000) - (naCltt + 400);
  const expected = (e: number) => ({ preferred: 2600 - e, valid: 3600 - e, t1: 1000 });
  for (const [name, got] of [
    ["IA_NA", na],
    ["IA_PD", pd],
  ] as const) {
    const e = 2600 - got!.preferred;
    assert.ok(e >= 0 && e <= turned, `${name}: ${JSON.stringify(got)}, ${turned} s turned`);
    assert.deepEqual(got, expected(e), name);
  }
  const stored = bed.leases.getAllLeases6().find((l) => l.type === LeaseType6.IA_NA)!;
  assert.equal(stored.cltt, naCltt, "not written");
  assert.ok(bed.lines.some((l) => /DHCP6_LEASE_REUSE/.test(l)));
  assert.ok(bed.lines.some((l) => /DHCP6_PD_LEASE_REUSE/.test(l)));
});

test("a RENEW past the threshold, or without caching, is written with full lifetimes", async () => {
  for (const extra of [{ "cache-threshold": 0.25 }, {}]) {
    const bed = await leased(extra);
    const cltt = age(bed, LeaseType6.IA_NA, 1200);
    const [na] = await renewLifetimes(bed);
    assert.deepEqual(na, { preferred: 3000, valid: 4000, t1: 1000 });
    const stored = bed.leases.getAllLeases6().find((l) => l.type === LeaseType6.IA_NA)!;
    assert.ok(stored.cltt > cltt);
  }
});

test("pd-allocator flq and allocator random delegate and assign distinct free resources", async () => {
  const bed = await server6(
    config6({ "pd-allocator": "flq", allocator: "random" } as never, { "rapid-commit": true }),
  );
  const got = new Set<string>();
  for (let i = 1; i <= 3; i++) {
    const duid = Buffer.from(`00010001aabbccdd0200000000${i.toString(16).padStart(2, "0")}`, "hex");
    const r = await exchange6(
      bed,
      query6(M.DHCPV6_SOLICIT, { duid, rapidCommit: true, ias: [{}, { pd: true }] }),
    );
    for (const ia of iasOf(r!.pkt)) {
      for (const o of ia.getOptions()) {
        if (o instanceof Option6IAAddr) got.add(o.getAddress());
        if (o instanceof Option6IAPrefix) got.add(`${o.getAddress()}/${o.getLength()}`);
      }
    }
  }
  // The 3 addresses of the pool and 3 of its 16 /60 prefixes, none twice, all stored.
  assert.equal(got.size, 6);
  assert.equal(bed.leases.getAllLeases6().length, 6);
  assert.equal([...got].filter((x) => x.endsWith("/60")).length, 3);
});

test("a REQUEST for the IA's own leases within cache-threshold reuses them too (Kea's updateLeaseData)", async () => {
  const bed = await leased({ "cache-threshold": 0.25 });
  const cltt = age(bed, LeaseType6.IA_NA, 400);
  const na = bed.leases.getAllLeases6().find((l) => l.type === LeaseType6.IA_NA)!;
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_REQUEST, { serverId: SERVER_DUID, ias: [{ hints: [na.address] }] }),
  );
  const addr = iasOf(r!.pkt)[0]!
    .getOptions()
    .find((o) => o instanceof Option6IAAddr) as Option6IAAddr;
  assert.deepEqual([addr.getPreferred(), addr.getValid()], [2600, 3600]);
  assert.equal(bed.leases.getAllLeases6().find((l) => l.type === LeaseType6.IA_NA)!.cltt, cltt);
});
