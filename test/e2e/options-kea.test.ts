/**
 * Option features, nestor-dhcp4 against Kea 2.2 (Debian's kea-dhcp4): always-send options at the
 * global, class, subnet, pool and reservation levels, option 43 built from sub-options defined in
 * `vendor-encapsulated-options-space`, a class's own `option-def` for option 43 (for the options
 * it sends and for reading the client's option 43 after the first classification), and option
 * 125 (vendor 4491) answered from its sub-options; one configuration given unchanged to both servers,
 * the same relayed queries sent to each, the answers compared field by field and option by option.
 *
 *   relay ns [veth 198.51.100.254/24] ---- [veth 198.51.100.1/24] server ns: kea-dhcp4, then
 *                                                                   nestor-dhcp4 (UDP sockets)
 *
 * Needs root, iproute2 and kea-dhcp4 (Debian: kea-dhcp4-server).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { keaPrerequisite, relayedQueriesToBoth, serverRelayLink } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";

const GIADDR = "198.51.100.254";
const SERVER = "198.51.100.1";

const hex = (s: string) => Buffer.from(s).toString("hex");
const prl = (...codes: number[]): [number, string] => [55, Buffer.from(codes).toString("hex")];
const DISCOVER = 1;
const vendorClass = (s: string): [number, string] => [60, hex(s)];
/** Option 125, enterprise 4491, sub-option 1 (the DOCSIS ORO) asking for `codes`. */
const vivsoOro = (...codes: number[]): [number, string] => [
  125,
  "0000118b" +
    (2 + codes.length).toString(16).padStart(2, "0") +
    "01" +
    codes.length.toString(16).padStart(2, "0") +
    Buffer.from(codes).toString("hex"),
];

function config(leaseFile: string, ifname: string): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [ifname], "dhcp-socket-type": "udp" },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "valid-lifetime": 4000,
      "option-def": [
        { name: "pxe-menu", code: 9, space: "vendor-encapsulated-options-space", type: "string" },
        {
          name: "pxe-server",
          code: 10,
          space: "vendor-encapsulated-options-space",
          type: "ipv4-address",
          array: true,
        },
        { name: "acme-url", code: 5, space: "vendor-20000", type: "string" },
        { name: "site-box", code: 230, type: "empty", encapsulate: "site-box-space" },
        { name: "site-flag", code: 1, space: "site-box-space", type: "string" },
      ],
      "option-data": [
        // Global always-send: a more specific level's value (not always-send) wins.
        { name: "ntp-servers", data: "198.51.100.40", "always-send": true },
        { name: "nis-domain", data: "global.example", "always-send": true },
        { name: "time-offset", data: "3600" },
        { name: "vendor-encapsulated-options" },
        { name: "pxe-menu", space: "vendor-encapsulated-options-space", data: "boot menu" },
        {
          name: "pxe-server",
          space: "vendor-encapsulated-options-space",
          data: "198.51.100.9, 198.51.100.10",
        },
        { name: "tftp-servers", space: "vendor-4491", data: "198.51.100.69" },
        {
          name: "acme-url",
          space: "vendor-20000",
          data: "http://acme.example/",
          "always-send": true,
        },
        { name: "vivso-suboptions", data: "20000" },
      ],
      "client-classes": [
        {
          name: "apc",
          test: "option[vendor-class-identifier].text == 'APC'",
          "option-def": [{ name: "vendor-encapsulated-options", code: 43, type: "binary" }],
          "option-data": [
            { name: "vendor-encapsulated-options", "csv-format": false, data: "01:04:31:41:50:43" },
          ],
        },
        // Option 43 is read with its definition only after the first classification (Kea's
        // deferred unpacking): a first-pass test sees no sub-option, a required class does.
        {
          name: "early43",
          test: "option[43].option[1].exists",
          "option-data": [{ name: "nisplus-domain-name", data: "early.example" }],
        },
        {
          name: "late43",
          test: "option[43].option[1].hex == 'abc'",
          "only-if-required": true,
          "option-data": [{ name: "nis-servers", data: "198.51.100.41" }],
        },
        // The same for a private option (224-254) of the configuration's option-def.
        {
          name: "early230",
          test: "option[230].option[1].exists",
          "option-data": [{ name: "netbios-dd-server", data: "198.51.100.45" }],
        },
        {
          name: "late230",
          test: "option[230].option[1].text == 'z'",
          "only-if-required": true,
          "option-data": [{ name: "netbios-scope", data: "late230" }],
        },
        {
          name: "phones",
          test: "substring(option[60].hex,0,6) == 'Aastra'",
          "option-data": [
            { name: "log-servers", data: "198.51.100.7", "always-send": true },
            { name: "nis-domain", data: "phones.example" },
          ],
        },
      ],
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          relay: { "ip-addresses": [GIADDR] },
          "require-client-classes": ["late43", "late230"],
          "option-data": [
            { name: "routers", data: "198.51.100.1" },
            { name: "ntp-servers", data: "198.51.100.41" },
            { name: "cookie-servers", data: "198.51.100.8", "always-send": true },
          ],
          pools: [
            {
              pool: "198.51.100.10 - 198.51.100.19",
              "option-data": [{ name: "lpr-servers", data: "198.51.100.35", "always-send": true }],
            },
          ],
          reservations: [
            {
              "hw-address": "02:00:00:00:00:0b",
              "ip-address": "198.51.100.50",
              "option-data": [
                { name: "impress-servers", data: "198.51.100.36", "always-send": true },
                { name: "cookie-servers", data: "198.51.100.88" },
              ],
            },
          ],
        },
      ],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

/** The queries, in order; comments say what each shows. */
const QUERIES: Query4[] = [
  // No parameter request list: only the always-send options (subnet's ntp-servers wins).
  { type: DISCOVER, mac: "02:00:00:00:00:0a" },
  // Asking for option 43: built from its sub-options; and 2 (time-offset).
  { type: DISCOVER, mac: "02:00:00:00:00:0a", options: [prl(1, 2, 3, 43)] },
  // An APC client: its class's binary option 43.
  { type: DISCOVER, mac: "02:00:00:00:00:0c", options: [vendorClass("APC"), prl(1, 3, 43)] },
  // A phone: the class's always-send option and its nis-domain over the global one.
  { type: DISCOVER, mac: "02:00:00:00:00:0d", options: [vendorClass("Aastra 6757i"), prl(1, 3)] },
  // The reserved client: the reservation's always-send option and cookie-servers.
  { type: DISCOVER, mac: "02:00:00:00:00:0b", options: [prl(1, 3, 6)] },
  // A cable modem asking through option 125 for DOCSIS sub-option 2 (TFTP servers).
  { type: DISCOVER, mac: "02:00:00:00:00:0e", options: [prl(1, 3, 125), vivsoOro(2)] },
  // Option 125 of another enterprise, no ORO: that vendor's always-send sub-option.
  { type: DISCOVER, mac: "02:00:00:00:00:0f", options: [[125, "00004e2000"]] },
  // A cable modem not asking for 125 in its PRL: the DOCSIS TFTP servers in a 125 of its own.
  { type: DISCOVER, mac: "02:00:00:00:00:10", options: [prl(1, 3), vivsoOro(2, 5)] },
  // A vendor class (124) alone names no enterprise: no 125.
  { type: DISCOVER, mac: "02:00:00:00:00:11", options: [[124, "0000118b0403616263"]] },
  // Option 43 with sub-option 1 "abc": the required class matches, the first-pass one does not.
  { type: DISCOVER, mac: "02:00:00:00:00:12", options: [[43, "0103616263"], prl(1, 3, 41, 64)] },
  // The same from an APC client: its class reads 43 as binary, so no sub-option at all.
  {
    type: DISCOVER,
    mac: "02:00:00:00:00:13",
    options: [vendorClass("APC"), [43, "0103616263"], prl(1, 3, 41, 64)],
  },
  // A malformed option 43 (a sub-option longer than the option): kept as it came, answered.
  { type: DISCOVER, mac: "02:00:00:00:00:14", options: [[43, "0105ab"], prl(1, 3, 41, 64)] },
  // Option 230 with sub-option 1 "z": only the required class sees it.
  { type: DISCOVER, mac: "02:00:00:00:00:15", options: [[230, "01017a"], prl(1, 3, 45, 47)] },
  // A malformed option 230: kept as it came, answered.
  { type: DISCOVER, mac: "02:00:00:00:00:16", options: [[230, "0109"], prl(1, 3, 45, 47)] },
];

test(
  "options: nestor-dhcp4 sends always-send, option 43 and option 125 as Kea 2.2 does",
  { timeout: 120_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    const bed = new TestBed("options: nestor-dhcp4 and kea-dhcp4 side by side");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
      const { kea, nestor } = await relayedQueriesToBoth<Answer4>(bed, 4, {
        serverNs,
        relayNs,
        relayAddress: GIADDR,
        server: SERVER,
        queries: QUERIES,
        config: (leaseFile) => config(leaseFile, serverIf),
      });
      // What Kea answered is what this test expects (a check that the scenario shows something).
      const k = kea;
      const all = `Kea's answers:\n${JSON.stringify(k)}`;
      assert.equal(k[0]?.options["42"], "c6336429", `always-send, the subnet's value. ${all}`);
      assert.equal(k[0]?.options["9"], "c6336423", "a pool's always-send option");
      assert.equal(k[1]?.options["43"], "0909" + hex("boot menu") + "0a08c6336409c633640a");
      assert.equal(k[2]?.options["43"], "010431415043", "the class's own definition of 43");
      assert.equal(k[3]?.options["7"], "c6336407", "a class's always-send option");
      assert.equal(k[4]?.options["10"], "c6336424", "a reservation's always-send option");
      assert.equal(
        k[4]?.options["8"],
        "c6336458",
        "the reservation's value of an always-send code",
      );
      assert.equal(k[5]?.options["125"], "00004e2016" + "0514" + hex("http://acme.example/"));
      assert.equal(k[7]?.options["125"], "0000118b06" + "0204c6336445", "DOCSIS TFTP servers");
      assert.equal(k[8]?.options["125"], undefined);
      assert.equal(k[9]?.options["41"], "c6336429", "the required class on option 43's sub-option");
      assert.equal(k[9]?.options["64"], undefined, "the first pass sees no sub-option");
      assert.equal(k[10]?.options["41"], undefined, "43 read with the APC class's definition");
      assert.equal(k[11]?.type, 2, "a malformed option 43 does not stop the answer");
      assert.equal(k[12]?.options["47"], hex("late230"), "a private option read late");
      assert.equal(k[12]?.options["45"], undefined, "and not in the first pass");
      assert.equal(k[13]?.type, 2, "a malformed private option does not stop the answer");
      QUERIES.forEach((q, i) => {
        assert.deepEqual(
          nestor[i],
          kea[i],
          `query ${i} (${JSON.stringify(q)}): nestor-dhcp4 and Kea 2.2 differ`,
        );
      });
    } finally {
      await bed.close();
    }
  },
);
