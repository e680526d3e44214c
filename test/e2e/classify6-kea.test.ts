/**
 * Client classification, nestor-dhcp6 against Kea 2.2 (Debian's kea-dhcp6): one configuration
 * with a VENDOR_CLASS_ class guarding an address pool and a pd-pool, KNOWN and UNKNOWN pools,
 * class options and lifetimes and a required class, given unchanged to both servers; the same
 * relayed queries sent to each; the answers must be the same, lease by lease and option by option
 * (the server identifier aside). It also shows what Kea does with a RENEW of an address in a pool
 * the client is no longer allowed.
 *
 *   relay ns [veth 2001:db8:1::1/64] ---- [veth 2001:db8:1::2/64] server ns: kea-dhcp6, then
 *                                                                   nestor-dhcp6
 *
 * Needs root, iproute2 and kea-dhcp6 (Debian: kea-dhcp6-server).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { keaPrerequisite, relayedQueriesToBoth, serverRelayLink } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer6, Query6 } from "./lib/relay6-queries.ts";

const RELAY_ADDR = "2001:db8:1::1";
const SERVER = "2001:db8:1::2";

const MODEM = "00030001020000000a01";
const KNOWN = "00030001020000000b01";
const OTHER = "00030001020000000c01";
const SOLICIT = 1;
const REQUEST = 3;
const RENEW = 5;

/** Option 16: enterprise 4491, one tuple. */
function vendorClass(text: string): [number, string] {
  const t = Buffer.from(text);
  const d = Buffer.alloc(6 + t.length);
  d.writeUInt32BE(4491, 0);
  d.writeUInt16BE(t.length, 4);
  t.copy(d, 6);
  return [16, d.toString("hex")];
}
const ORO: [number, string] = [6, "00170018001f001c"];
/** Option 17: enterprise 4491, sub-option 100 "cm" (a code Kea's DOCSIS definitions leave raw). */
const VENDOR_OPTS: [number, string] = [
  17,
  "0000118b" + "00640002" + Buffer.from("cm").toString("hex"),
];

function config(leaseFile: string, ifname: string): string {
  return JSON.stringify({
    Dhcp6: {
      "interfaces-config": { interfaces: [`${ifname}/${SERVER}`] },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      "client-classes": [
        {
          name: "modems",
          test: "member('VENDOR_CLASS_docsis3.0')",
          "option-data": [{ name: "dns-servers", data: "2001:db8::53" }],
          "preferred-lifetime": 500,
          "valid-lifetime": 1000,
        },
        {
          name: "cm6",
          test: "vendor-class[4491].data == 'docsis3.0' and vendor[4491].option[100].hex == 'cm'",
          "option-data": [{ name: "nisp-servers", data: "2001:db8::28" }],
        },
        {
          name: "known",
          test: "member('KNOWN')",
          "option-data": [{ name: "domain-search", data: "known.example" }],
        },
        {
          name: "late",
          test: "substring(relay6[0].option[16].hex, 0, 1) == '' and member('ALL')",
          "only-if-required": true,
          "option-data": [{ name: "sntp-servers", data: "2001:db8::123" }],
        },
      ],
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          relay: { "ip-addresses": [RELAY_ADDR] },
          pools: [
            {
              pool: "2001:db8:1::10 - 2001:db8:1::12",
              "client-class": "modems",
              "require-client-classes": ["late"],
            },
            { pool: "2001:db8:1::20 - 2001:db8:1::22", "client-class": "UNKNOWN" },
            { pool: "2001:db8:1::30 - 2001:db8:1::32", "client-class": "KNOWN" },
          ],
          "pd-pools": [
            {
              prefix: "2001:db8:8::",
              "prefix-len": 56,
              "delegated-len": 60,
              "client-class": "modems",
            },
          ],
          reservations: [
            { duid: KNOWN, "option-data": [{ name: "nis-servers", data: "2001:db8::99" }] },
          ],
        },
      ],
      loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

const QUERIES: Query6[] = [
  // A modem: the modems' address pool and pd-pool, its lifetimes and DNS, the required class.
  {
    type: SOLICIT,
    duid: MODEM,
    ias: [{ iaid: 1 }, { pd: true, iaid: 2 }],
    options: [vendorClass("docsis3.0"), VENDOR_OPTS, ORO],
  },
  // A client with a reservation: the KNOWN pool and the known class's option.
  { type: SOLICIT, duid: KNOWN, ias: [{ iaid: 1 }], options: [ORO] },
  // Another client: the UNKNOWN pool; no prefix for it.
  { type: SOLICIT, duid: OTHER, ias: [{ iaid: 1 }, { pd: true, iaid: 2 }], options: [ORO] },
  // The modem takes its leases.
  {
    type: REQUEST,
    duid: MODEM,
    serverId: true,
    ias: [
      { iaid: 1, hints: ["2001:db8:1::10"] },
      { pd: true, iaid: 2, hints: ["2001:db8:8::/60"] },
    ],
    options: [vendorClass("docsis3.0"), ORO],
  },
  // It renews as a modem: extended, with the subnet's lifetimes (Kea 2.2: class lifetimes are for
  // new leases only).
  {
    type: RENEW,
    duid: MODEM,
    serverId: true,
    ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
    options: [vendorClass("docsis3.0"), ORO],
  },
  // REBIND as a modem: as for RENEW, Kea 2.2 gives a lease the client has the subnet's lifetimes.
  {
    type: 6,
    duid: MODEM,
    ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
    options: [vendorClass("docsis3.0"), ORO],
  },
  // REQUEST again for the lease it has.
  {
    type: REQUEST,
    duid: MODEM,
    serverId: true,
    ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
    options: [vendorClass("docsis3.0"), ORO],
  },
  // SOLICIT again, holding a lease.
  {
    type: SOLICIT,
    duid: MODEM,
    ias: [{ iaid: 1 }],
    options: [vendorClass("docsis3.0"), ORO],
  },
  // It renews without its vendor class: the address is out of its allowed pools.
  {
    type: RENEW,
    duid: MODEM,
    serverId: true,
    ias: [{ iaid: 1, hints: ["2001:db8:1::10"] }],
    options: [ORO],
  },
];

test(
  "classification: nestor-dhcp6 answers classified relayed queries as Kea 2.2 does",
  { timeout: 120_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const bed = new TestBed("classification v6: nestor-dhcp6 and kea-dhcp6 side by side", "n6e");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, RELAY_ADDR, 64);
      const { kea, nestor } = await relayedQueriesToBoth<Answer6>(bed, 6, {
        serverNs,
        relayNs,
        relayAddress: RELAY_ADDR,
        server: SERVER,
        queries: QUERIES,
        config: (leaseFile) => config(leaseFile, serverIf),
      });

      assert.deepEqual(kea[0]?.ias[0]?.leases, ["2001:db8:1::10 500 1000"], JSON.stringify(kea));
      assert.equal(kea[0]?.options["31"], "20010db8000000000000000000000123");
      assert.equal(kea[0]?.options["28"], "20010db8000000000000000000000028", "vendor tokens");
      assert.deepEqual(kea[1]?.ias[0]?.leases, ["2001:db8:1::30 3000 4000"]);
      assert.deepEqual(kea[2]?.ias[0]?.leases, ["2001:db8:1::20 3000 4000"]);
      assert.deepEqual(kea[2]?.ias[1]?.leases, []);
      assert.deepEqual(kea[4]?.ias[0]?.leases, ["2001:db8:1::10 3000 4000"]);
      // The RENEW without the vendor class: a new address from a pool the client may use, then
      // the old one with lifetimes 0.
      assert.deepEqual(kea[8]?.ias[0]?.leases, ["2001:db8:1::21 3000 4000", "2001:db8:1::10 0 0"]);

      QUERIES.forEach((q, i) => {
        assert.deepEqual(
          nestor[i],
          kea[i],
          `query ${i} (${JSON.stringify(q)}): nestor-dhcp6 and Kea 2.2 differ\nKea: ${JSON.stringify(kea[i])}`,
        );
      });
    } finally {
      await bed.close();
    }
  },
);
