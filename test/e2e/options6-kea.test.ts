/**
 * Option features, nestor-dhcp6 against Kea 2.2 (Debian's kea-dhcp6): the vendor option 17 with
 * CableLabs (4491) sub-options asked for in its ORO and a user vendor space's always-send
 * sub-option, the enterprise taken from the client's option 17 or vendor class; the PD exclude
 * option (67) inside delegated prefixes from a pd-pool with an excluded prefix; always-send
 * values from the most specific level; a custom option encapsulating its own space. One
 * configuration given unchanged to both servers, the same relayed queries sent to each, the
 * answers compared lease by lease and option by option (the server identifier aside).
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
const ROUTER = "00030001020000000b01";
const ACME = "00030001020000000c01";
const PLAIN = "00030001020000000d01";
const SOLICIT = 1;
const REQUEST = 3;
const RENEW = 5;
const INFORMATION_REQUEST = 11;

const hex = (s: string) => Buffer.from(s).toString("hex");
const u16 = (n: number) => n.toString(16).padStart(4, "0");
/** Option 6, the ORO. */
const oro = (...codes: number[]): [number, string] => [6, codes.map(u16).join("")];
/** Option 17 of enterprise 4491 with sub-option 1, the CableLabs ORO, asking for `codes`. */
const docsisOro = (...codes: number[]): [number, string] => [
  17,
  "0000118b" + "0001" + u16(codes.length * 2) + codes.map(u16).join(""),
];
/** Option 16 of an enterprise with one tuple. */
const vendorClass = (enterprise: number, text: string): [number, string] => [
  16,
  enterprise.toString(16).padStart(8, "0") + u16(text.length) + hex(text),
];

function config(leaseFile: string, ifname: string): string {
  return JSON.stringify({
    Dhcp6: {
      "interfaces-config": { interfaces: [`${ifname}/${SERVER}`] },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      "option-def": [
        { name: "acme-url", code: 5, space: "vendor-20000", type: "string" },
        { name: "acme-box", code: 65001, type: "empty", encapsulate: "acme-box-space" },
        { name: "acme-model", code: 1, space: "acme-box-space", type: "string" },
      ],
      "option-data": [
        { name: "dns-servers", data: "2001:db8::53", "always-send": true },
        { name: "tftp-servers", space: "vendor-4491", data: "2001:db8::69" },
        { name: "config-file", space: "vendor-4491", data: "modem.cfg" },
        { name: "syslog-servers", space: "vendor-4491", data: "2001:db8::514, 2001:db8::515" },
        { name: "time-servers", space: "vendor-4491", data: "2001:db8::37" },
        { name: "time-offset", space: "vendor-4491", data: "-3600" },
        {
          name: "acme-url",
          space: "vendor-20000",
          data: "http://acme.example/",
          "always-send": true,
        },
        { name: "acme-box" },
        { name: "acme-model", space: "acme-box-space", data: "X1" },
      ],
      "client-classes": [
        {
          name: "acme",
          test: "vendor-class[20000].exists",
          "option-data": [{ name: "sntp-servers", data: "2001:db8::123", "always-send": true }],
        },
      ],
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          relay: { "ip-addresses": [RELAY_ADDR] },
          "option-data": [{ name: "dns-servers", data: "2001:db8:1::53" }],
          pools: [
            {
              pool: "2001:db8:1::10 - 2001:db8:1::1f",
              "option-data": [{ name: "nis-servers", data: "2001:db8::27", "always-send": true }],
            },
          ],
          reservations: [
            {
              duid: PLAIN,
              "option-data": [
                { name: "nisp-servers", data: "2001:db8::28", "always-send": true },
                { name: "dns-servers", data: "2001:db8:2::53" },
              ],
            },
          ],
          "pd-pools": [
            {
              prefix: "2001:db8:8::",
              "prefix-len": 56,
              "delegated-len": 60,
              "excluded-prefix": "2001:db8:8:1::",
              "excluded-prefix-len": 64,
            },
          ],
        },
      ],
      loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

const QUERIES: Query6[] = [
  // A cable modem: DOCSIS sub-options asked for in its option 17; a prefix with option 67.
  {
    type: SOLICIT,
    duid: MODEM,
    ias: [{ pd: true, iaid: 1 }],
    options: [oro(23, 67), docsisOro(32, 33, 34, 37, 38, 99)],
  },
  // It takes the prefix: option 67 again, in the REPLY.
  {
    type: REQUEST,
    duid: MODEM,
    ias: [{ pd: true, iaid: 1, hints: ["2001:db8:8::/60"] }],
    options: [oro(23, 67), docsisOro(33)],
    serverId: true,
  },
  // And renews it.
  {
    type: RENEW,
    duid: MODEM,
    ias: [{ pd: true, iaid: 1, hints: ["2001:db8:8::/60"] }],
    options: [oro(67)],
    serverId: true,
  },
  // Another router: the next prefix, with the excluded prefix's bits in it.
  { type: SOLICIT, duid: ROUTER, ias: [{ pd: true, iaid: 7 }], options: [oro(67)] },
  // No ORO entry for 67: no option 67.
  { type: SOLICIT, duid: ROUTER, ias: [{ pd: true, iaid: 7 }], options: [oro(23)] },
  // A client naming enterprise 20000 by its vendor class only: that vendor's always-send
  // sub-option, and the class's always-send option.
  {
    type: SOLICIT,
    duid: ACME,
    ias: [{ iaid: 3 }],
    options: [vendorClass(20000, "acme-phone")],
  },
  // A plain client asking for the custom encapsulating option.
  { type: SOLICIT, duid: PLAIN, ias: [{ iaid: 4 }], options: [oro(65001)] },
  // An INFORMATION-REQUEST with a DOCSIS ORO.
  { type: INFORMATION_REQUEST, duid: PLAIN, ias: [], options: [docsisOro(33, 38)] },
];

test(
  "options: nestor-dhcp6 sends vendor option 17, PD exclude and always-send as Kea 2.2 does",
  { timeout: 120_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const bed = new TestBed("options: nestor-dhcp6 and kea-dhcp6 side by side");
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
      // What Kea answered is what this test expects (a check that the scenario shows something).
      const k = kea;
      const all = `Kea's answers:\n${JSON.stringify(k)}`;
      assert.deepEqual(k[0]?.ias[0]?.leases, ["2001:db8:8::/60 3000 4000 67=4010"], all);
      assert.match(k[0]?.options["17"] ?? "", /^0000118b0020/, "DOCSIS TFTP servers first");
      assert.ok(k[0]?.options["17"]?.includes(hex("modem.cfg")), "the config file");
      assert.ok(k[0]?.options["17"]?.endsWith("00260004fffff1f0"), "the time offset");
      assert.equal(k[0]?.options["23"], "20010db8000100000000000000000053", "the subnet's DNS");
      assert.equal(k[1]?.options["17"], "0000118b" + "00210009" + hex("modem.cfg"));
      assert.deepEqual(k[3]?.ias[0]?.leases, ["2001:db8:8:10::/60 3000 4000 67=4010"]);
      assert.deepEqual(k[4]?.ias[0]?.leases, ["2001:db8:8:20::/60 3000 4000"]);
      assert.equal(k[5]?.options["17"], "00004e20" + "00050014" + hex("http://acme.example/"));
      assert.equal(k[5]?.options["31"], "20010db8000000000000000000000123");
      assert.equal(k[6]?.options["65001"], "0001" + "0002" + hex("X1"));
      assert.equal(k[5]?.options["27"], "20010db8000000000000000000000027", "a pool's always-send");
      assert.equal(k[6]?.options["28"], "20010db8000000000000000000000028", "a reservation's");
      assert.equal(
        k[6]?.options["23"],
        "20010db8000200000000000000000053",
        "the reservation's DNS",
      );
      assert.equal(k[7]?.options["17"], "0000118b00210009" + hex("modem.cfg") + "00260004fffff1f0");
      QUERIES.forEach((q, i) => {
        assert.deepEqual(
          nestor[i],
          kea[i],
          `query ${i} (${JSON.stringify(q)}): nestor-dhcp6 and Kea 2.2 differ`,
        );
      });
    } finally {
      await bed.close();
    }
  },
);
