// Client classification in the DHCPv6 server, through the in-process server: address pools,
// prefix pools and subnets guarded by classes, what classes give (options, lifetimes), and a
// RENEW of a lease in a pool the client may no longer use.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { D6O } from "../../../src/dhcp/constants.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Option6IAAddr } from "../../../src/dhcp/option6-ia.ts";
import { Pkt6 } from "../../../src/dhcp/pkt6.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import {
  CLIENT_DUID,
  M,
  config6,
  exchange6,
  iasOf,
  leasesIn,
  query6,
  server6,
  type Query6Options,
} from "../../helpers/dhcp6.ts";

const ADD_CLASS = fileURLToPath(
  new URL("../../fixtures/classify-hooks/add-class.ts", import.meta.url),
);
const OTHER_DUID = Buffer.from("00010001aabbccdd0200000000ff", "hex");

/** Option 16 (vendor-class): enterprise number, then one length-prefixed tuple. */
function vendorClass(text: string): Option {
  const t = Buffer.from(text);
  const d = Buffer.alloc(6 + t.length);
  d.writeUInt32BE(4491, 0);
  d.writeUInt16BE(t.length, 4);
  t.copy(d, 6);
  return new Option(6, D6O.VENDOR_CLASS, d);
}

function query(type: number, o: Query6Options & { extra?: Option[] } = {}): Buffer {
  const p = Pkt6.parse(query6(type, o));
  for (const opt of o.extra ?? []) p.addOption(opt);
  return p.pack();
}

const MODEM = [vendorClass("docsis3.0")];

const guardedPools = (guard: JsonObject) => ({
  pools: [
    { pool: "2001:db8:1::10 - 2001:db8:1::12", ...guard },
    { pool: "2001:db8:1::20 - 2001:db8:1::22" },
  ],
});

describe("guards", () => {
  test("an address pool guarded by a VENDOR_CLASS_ class serves the vendor's clients only", async () => {
    const bed = await server6(
      config6({}, guardedPools({ "client-class": "VENDOR_CLASS_docsis3.0" })),
    );
    const modem = await exchange6(bed, query(M.DHCPV6_SOLICIT, { extra: MODEM }));
    assert.deepEqual(leasesIn(iasOf(modem!.pkt)[0]!), ["2001:db8:1::10"]);
    const other = await exchange6(bed, query(M.DHCPV6_SOLICIT, { duid: OTHER_DUID }));
    assert.deepEqual(leasesIn(iasOf(other!.pkt)[0]!), ["2001:db8:1::20"]);
  });

  test("a pd-pool guarded by a class from a test delegates to members only", async () => {
    const cfg = config6(
      { "client-classes": [{ name: "routers", test: "option[16].exists" }] },
      {
        "pd-pools": [
          {
            prefix: "2001:db8:8::",
            "prefix-len": 56,
            "delegated-len": 60,
            "client-classes": ["routers"],
          },
        ],
      },
    );
    const bed = await server6(cfg);
    const member = await exchange6(
      bed,
      query(M.DHCPV6_SOLICIT, { ias: [{ pd: true }], extra: MODEM }),
    );
    assert.deepEqual(leasesIn(iasOf(member!.pkt)[0]!), ["2001:db8:8::/60"]);
    const other = await exchange6(
      bed,
      query(M.DHCPV6_SOLICIT, { ias: [{ pd: true }], duid: OTHER_DUID }),
    );
    assert.deepEqual(leasesIn(iasOf(other!.pkt)[0]!), []);
  });

  test("a subnet guarded by a class a hook library adds in pkt6_receive", async () => {
    const lib = { library: ADD_CLASS, parameters: { hook: "pkt6_receive", class: "lab" } };
    const open = await server6(config6({}, { "client-class": "lab" }), [lib]);
    const r = await exchange6(open, query(M.DHCPV6_SOLICIT));
    assert.deepEqual(leasesIn(iasOf(r!.pkt)[0]!), ["2001:db8:1::10"]);
    const closed = await server6(config6({}, { "client-class": "lab" }));
    const none = await exchange6(closed, query(M.DHCPV6_SOLICIT));
    // No subnet: the IA gets no address.
    assert.deepEqual(none === null ? [] : leasesIn(iasOf(none.pkt)[0]!), []);
  });

  test("RENEW of a lease in a pool the client may no longer use: lifetimes 0, removed, and a lease from an allowed pool (Kea's renewLeases6)", async () => {
    const cfg = config6(
      { "client-classes": [{ name: "modems", test: "option[16].exists" }] },
      guardedPools({ "client-class": "modems" }),
    );
    const bed = await server6(cfg);
    const got = await exchange6(bed, query(M.DHCPV6_REQUEST, { extra: MODEM }));
    const [addr] = leasesIn(iasOf(got!.pkt)[0]!);
    assert.equal(addr, "2001:db8:1::10");
    const renewed = await exchange6(
      bed,
      query(M.DHCPV6_RENEW, { ias: [{ hints: [addr!] }], extra: MODEM }),
    );
    assert.deepEqual(leasesIn(iasOf(renewed!.pkt)[0]!), [addr]);
    const left = await exchange6(bed, query(M.DHCPV6_RENEW, { ias: [{ hints: [addr!] }] }));
    const ia = iasOf(left!.pkt)[0]!;
    // As Kea: the new lease first, then the old one with lifetimes 0.
    const addrs = ia.getOptions().filter((o) => o instanceof Option6IAAddr);
    assert.deepEqual(
      addrs.map((o) => `${o.getAddress()} ${o.getValid()}`),
      ["2001:db8:1::20 4000", `${addr} 0`],
    );
    assert.equal(bed.leases.getLease6(0, addr!), null);
    assert.equal(bed.leases.getLease6(0, "2001:db8:1::20")!.duid.equals(CLIENT_DUID), true);
    assert.equal(bed.stats.get("subnet[1].assigned-nas")!.value, 1);
  });

  test("RENEW with no pool left for the client: lifetimes 0 and no lease", async () => {
    const cfg = config6(
      { "client-classes": [{ name: "modems", test: "option[16].exists" }] },
      { pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::12", "client-class": "modems" }] },
    );
    const bed = await server6(cfg);
    await exchange6(bed, query(M.DHCPV6_REQUEST, { extra: MODEM }));
    const left = await exchange6(
      bed,
      query(M.DHCPV6_RENEW, { ias: [{ hints: ["2001:db8:1::10"] }] }),
    );
    const ia = iasOf(left!.pkt)[0]!;
    assert.deepEqual(leasesIn(ia), []);
    const zeroed = ia.getOptions().find((o) => o instanceof Option6IAAddr) as Option6IAAddr;
    assert.equal(zeroed.getValid(), 0);
  });
});

describe("what classes give", () => {
  test("class option-data and lifetimes", async () => {
    const cfg = config6({
      "client-classes": [
        {
          name: "modems",
          test: "substring(option[16].hex, 6, all) == 'docsis3.0'",
          "option-data": [{ name: "domain-search", data: "cable.example" }],
          "preferred-lifetime": 500,
          "valid-lifetime": 1000,
        },
      ],
    });
    const bed = await server6(cfg);
    const modem = await exchange6(bed, query(M.DHCPV6_SOLICIT, { oro: [24], extra: MODEM }));
    assert.ok(modem!.pkt.getOption(D6O.DOMAIN_SEARCH));
    const a = iasOf(modem!.pkt)[0]!
      .getOptions()
      .find((o) => o instanceof Option6IAAddr) as Option6IAAddr;
    assert.equal(a.getPreferred(), 500);
    assert.equal(a.getValid(), 1000);
    const other = await exchange6(bed, query(M.DHCPV6_SOLICIT, { duid: OTHER_DUID, oro: [24] }));
    assert.equal(other!.pkt.getOption(D6O.DOMAIN_SEARCH), undefined);
    const b = iasOf(other!.pkt)[0]!
      .getOptions()
      .find((o) => o instanceof Option6IAAddr) as Option6IAAddr;
    assert.equal(b.getValid(), 4000);
    // Kea 2.2 gives class lifetimes to new leases only: a renewed lease gets the subnet's.
    const got = await exchange6(bed, query(M.DHCPV6_REQUEST, { oro: [24], extra: MODEM }));
    const [addr] = leasesIn(iasOf(got!.pkt)[0]!);
    const renewed = await exchange6(
      bed,
      query(M.DHCPV6_RENEW, { ias: [{ hints: [addr!] }], oro: [24], extra: MODEM }),
    );
    const r = iasOf(renewed!.pkt)[0]!
      .getOptions()
      .find((o) => o instanceof Option6IAAddr) as Option6IAAddr;
    assert.deepEqual([r.getAddress(), r.getPreferred(), r.getValid()], [addr, 3000, 4000]);
  });

  test("KNOWN: a client with a reservation gets the KNOWN pool", async () => {
    const cfg = config6(
      {},
      {
        pools: [
          { pool: "2001:db8:1::10 - 2001:db8:1::12", "client-class": "KNOWN" },
          { pool: "2001:db8:1::20 - 2001:db8:1::22", "client-class": "UNKNOWN" },
        ],
        reservations: [{ duid: CLIENT_DUID.toString("hex"), hostname: "known" }],
      },
    );
    const bed = await server6(cfg);
    const known = await exchange6(bed, query(M.DHCPV6_SOLICIT));
    assert.deepEqual(leasesIn(iasOf(known!.pkt)[0]!), ["2001:db8:1::10"]);
    const unknown = await exchange6(bed, query(M.DHCPV6_SOLICIT, { duid: OTHER_DUID }));
    assert.deepEqual(leasesIn(iasOf(unknown!.pkt)[0]!), ["2001:db8:1::20"]);
  });

  test("pkt6 and relay6 in a v6 test; pkt4 refused", async () => {
    await assert.doesNotReject(
      server6(config6({ "client-classes": [{ name: "s", test: "pkt6.msgtype == 1" }] })),
    );
    await assert.rejects(
      server6(config6({ "client-classes": [{ name: "s", test: "pkt4.msgtype == 1" }] })),
      /Dhcp6\.client-classes\[0\]\.test: .*pkt4 can only be used in DHCPv4/,
    );
  });
});
