/**
 * What a DHCPv6 server answers when it cannot do what an IA asks, with Kea 2.2's status codes and
 * texts: a link without a subnet, RELEASE and DECLINE of what is not the client's.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { D6O } from "../../../src/dhcp/constants.ts";
import type { Option } from "../../../src/dhcp/option.ts";
import { StatusCode } from "../../../src/dhcp/option6-status-code.ts";
import { LeaseType6 } from "../../../src/dhcpsrv/leases/lease6.ts";
import {
  CLIENT_DUID,
  M,
  RELAY_ADDR,
  type Server6Bed,
  config6,
  exchange6,
  iasOf,
  query6,
  server6,
} from "../../helpers/dhcp6.ts";

const OTHER_DUID = Buffer.from("00030001020000000002", "hex");
/** A relay on a link no subnet is for. */
const NOWHERE = [{ link: "2001:db8:9::1" }];

/** "code text" of the status code option, or null. */
function status(o: { getOption(code: number): Option | undefined }): string | null {
  const s = o.getOption(D6O.STATUS_CODE);
  if (s === undefined) return null;
  const d = s.getData();
  return `${d.readUInt16BE(0)} ${d.toString("utf8", 2)}`;
}

async function relayedNowhere(bed: Server6Bed, type: number, o: Parameters<typeof query6>[1] = {}) {
  return exchange6(bed, query6(type, { ...o, relays: NOWHERE }), RELAY_ADDR, "2001:db8:1::1");
}

test("a link without a subnet: SOLICIT and REQUEST IAs say so, RENEW gets NoBinding, REBIND is dropped, CONFIRM gets NotOnLink", async () => {
  const bed = await server6(config6());
  const ias = [{ hints: ["2001:db8:9::5"] }, { pd: true, iaid: 2 }];
  for (const t of [M.DHCPV6_SOLICIT, M.DHCPV6_REQUEST]) {
    const r = await relayedNowhere(bed, t, { ias });
    assert.deepEqual(iasOf(r!.pkt).map(status), [
      `${StatusCode.NoAddrsAvail} Server could not select subnet for this client`,
      `${StatusCode.NoPrefixAvail} Sorry, no subnet available.`,
    ]);
  }
  const renew = await relayedNowhere(bed, M.DHCPV6_RENEW, { ias });
  assert.deepEqual(iasOf(renew!.pkt).map(status), [
    `${StatusCode.NoBinding} Sorry, no known leases for this duid/iaid.`,
    `${StatusCode.NoBinding} Sorry, no known PD leases for this duid/iaid.`,
  ]);
  assert.equal(await relayedNowhere(bed, M.DHCPV6_REBIND, { ias }), null);
  const confirm = await relayedNowhere(bed, M.DHCPV6_CONFIRM, {
    ias: [{ hints: ["2001:db8:9::5"] }],
  });
  assert.equal(status(confirm!.pkt), `${StatusCode.NotOnLink} No subnet selected`);
  assert.equal(bed.leases.size, 0);
});

async function withLeases(): Promise<Server6Bed> {
  const bed = await server6(config6());
  await exchange6(
    bed,
    query6(M.DHCPV6_REQUEST, { ias: [{ hints: ["2001:db8:1::10"] }, { pd: true, iaid: 2 }] }),
  );
  await exchange6(
    bed,
    query6(M.DHCPV6_REQUEST, { duid: OTHER_DUID, ias: [{ hints: ["2001:db8:1::11"] }] }),
  );
  assert.equal(bed.leases.size, 3);
  return bed;
}

test("RELEASE: another client's address, the client's own in another IA, no address at all, each with Kea's text", async () => {
  const bed = await withLeases();
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_RELEASE, {
      ias: [
        { iaid: 1, hints: ["2001:db8:1::11"] },
        { iaid: 7, hints: ["2001:db8:1::10"] },
        { iaid: 8 },
        { pd: true, iaid: 9 },
      ],
    }),
  );
  assert.deepEqual(iasOf(r!.pkt).map(status), [
    "3 This address does not belong to you, you can't release it",
    "3 This is your address, but you used wrong IAID",
    "3 You did not include an address in your RELEASE",
    "3 You did not include a prefix in your RELEASE",
  ]);
  assert.equal(status(r!.pkt), "3 Summary status for all processed IA_NAs");
  assert.equal(bed.leases.size, 3, "nothing released");
});

test("RELEASE releases the first address of an IA only, as Kea", async () => {
  const bed = await withLeases();
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_RELEASE, { ias: [{ iaid: 1, hints: ["2001:db8:1::10", "2001:db8:1::11"] }] }),
  );
  assert.equal(status(iasOf(r!.pkt)[0]!), "0 Lease released. Thank you, please come again.");
  assert.equal(status(r!.pkt), "0 Summary status for all processed IA_NAs");
  assert.equal(bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::10"), null);
  assert.deepEqual(bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::11")?.duid, OTHER_DUID);
});

test("DECLINE: another client's address, the client's own in another IA, no address, each with Kea's text", async () => {
  const bed = await withLeases();
  const r = await exchange6(
    bed,
    query6(M.DHCPV6_DECLINE, {
      ias: [
        { iaid: 1, hints: ["2001:db8:1::11"] },
        { iaid: 7, hints: ["2001:db8:1::10"] },
        { iaid: 8 },
      ],
    }),
  );
  assert.deepEqual(iasOf(r!.pkt).map(status), [
    "3 This address does not belong to you, you can't decline it",
    "3 This is your address, but you used wrong IAID",
    "3 No addresses sent in IA_NA",
  ]);
  assert.deepEqual(bed.leases.getLease6(LeaseType6.IA_NA, "2001:db8:1::10")?.duid, CLIENT_DUID);
});
