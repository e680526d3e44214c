/**
 * Option and class features of Kea versions after 2.2, which Kea 2.2 refuses and so cannot be
 * the reference here: `never-send` and `client-classes` in option data, template classes
 * (`template-test`, spawned classes), the expression functions `lcase`, `ucase` and `match`.
 * nestor-dhcp4 and nestor-dhcp6 alone, sent relayed queries; the answers are checked against what
 * Kea's documentation of those versions says.
 *
 *   relay ns [veth 198.51.100.254/24 | 2001:db8:1::1/64] ---- server ns: nestor-dhcp4 / 6
 *
 * Needs root and iproute2.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { serverRelayLink } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";
import type { Answer6, Query6 } from "./lib/relay6-queries.ts";
import { relayedQueriesToNestor } from "./lib/relayed-nestor.ts";

const hex = (s: string) => Buffer.from(s).toString("hex");
const prl = (...codes: number[]): [number, string] => [55, Buffer.from(codes).toString("hex")];
const vendorClass = (s: string): [number, string] => [60, hex(s)];
const DISCOVER = 1;

function config4(leaseFile: string, ifname: string): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [ifname], "dhcp-socket-type": "udp" },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "valid-lifetime": 4000,
      "option-data": [
        { name: "domain-name-servers", data: "198.51.100.53", "always-send": true },
        { name: "ntp-servers", data: "198.51.100.123", "client-classes": ["lab"] },
        { name: "ntp-servers", data: "198.51.100.124", "client-classes": ["office", "hq"] },
      ],
      "client-classes": [
        { name: "lab", test: "match('lab-[a-z]+', lcase(option[60].text))" },
        { name: "office", test: "ucase(option[60].text) == 'OFFICE'" },
        {
          name: "SPAWN_kind_lab",
          "option-data": [{ name: "log-servers", data: "198.51.100.71" }],
        },
        {
          name: "kind",
          "template-test": "lcase(split(option[60].text, '-', 1))",
          "option-data": [
            { name: "log-servers", data: "198.51.100.70" },
            { name: "cookie-servers", data: "198.51.100.8", "always-send": true },
          ],
        },
      ],
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          relay: { "ip-addresses": ["198.51.100.254"] },
          "option-data": [{ name: "routers", data: "198.51.100.1" }],
          pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
          reservations: [
            {
              "hw-address": "02:00:00:00:00:0b",
              "option-data": [{ name: "domain-name-servers", "never-send": true }],
            },
          ],
        },
      ],
    },
  });
}

const QUERIES4: Query4[] = [
  // "LAB-bench": lab (match on lcase), the lab's ntp-servers; the template's value "lab" spawns
  // SPAWN_kind_lab, a defined class whose log-servers come before the template's.
  { type: DISCOVER, mac: "02:00:00:00:00:0a", options: [vendorClass("LAB-bench"), prl(3, 7, 42)] },
  // "office": ucase matches, the office's ntp-servers; SPAWN_kind_office is not defined: the
  // template's own log-servers.
  { type: DISCOVER, mac: "02:00:00:00:00:0c", options: [vendorClass("office"), prl(3, 7, 42)] },
  // No option 60: no class, no ntp-servers (both entries are for classes), no template value.
  { type: DISCOVER, mac: "02:00:00:00:00:0d", options: [prl(3, 6, 7, 42)] },
  // The reservation's never-send: no domain-name-servers though global always-send and asked.
  { type: DISCOVER, mac: "02:00:00:00:00:0b", options: [prl(3, 6)] },
];

function config6(leaseFile: string, ifname: string): string {
  return JSON.stringify({
    Dhcp6: {
      "interfaces-config": { interfaces: [`${ifname}/2001:db8:1::2`] },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      "option-data": [
        { name: "dns-servers", data: "2001:db8::53", "always-send": true },
        { name: "config-file", space: "vendor-4491", data: "modem.cfg" },
        { name: "sntp-servers", data: "2001:db8::123", "client-classes": ["SPAWN_duid_0003"] },
      ],
      "client-classes": [
        { name: "duid", "template-test": "hexstring(substring(option[1].hex, 0, 2), '')" },
        {
          name: "quiet",
          test: "match('.*quiet.*', option[16].hex)",
          "option-data": [
            { name: "dns-servers", "never-send": true },
            { name: "config-file", space: "vendor-4491", "never-send": true },
          ],
        },
      ],
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          relay: { "ip-addresses": ["2001:db8:1::1"] },
          pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::1f" }],
        },
      ],
    },
  });
}

const u16 = (n: number) => n.toString(16).padStart(4, "0");
const vendorClass6 = (text: string): [number, string] => [
  16,
  "0000118b" + u16(text.length) + hex(text),
];
const docsisOro = (...codes: number[]): [number, string] => [
  17,
  "0000118b" + "0001" + u16(codes.length * 2) + codes.map(u16).join(""),
];

const QUERIES6: Query6[] = [
  // DUID-LL (type 3): spawned class SPAWN_duid_0003, whose members get sntp-servers; the DOCSIS
  // config file asked for in option 17.
  {
    type: 1,
    duid: "00030001020000000a01",
    ias: [{ iaid: 1 }],
    options: [[6, u16(31)], docsisOro(33)],
  },
  // DUID-EN (type 2): SPAWN_duid_0002, no sntp-servers.
  { type: 1, duid: "000200000b0f0102", ias: [{ iaid: 1 }], options: [[6, u16(31)]] },
  // The "quiet" class: never-send for dns-servers (always-send elsewhere) and for the config file.
  {
    type: 1,
    duid: "00030001020000000c01",
    ias: [{ iaid: 1 }],
    options: [[6, u16(23) + u16(31)], docsisOro(33), vendorClass6("be quiet")],
  },
];

test("later Kea's option and class features in nestor-dhcp4", { timeout: 120_000 }, async () => {
  requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }]);
  const bed = new TestBed("options of later Kea versions, nestor-dhcp4");
  try {
    const { serverNs, relayNs, serverIf } = serverRelayLink(
      bed,
      "198.51.100.1",
      "198.51.100.254",
      24,
    );
    const a = await relayedQueriesToNestor<Answer4>(bed, 4, {
      serverNs,
      relayNs,
      relayAddress: "198.51.100.254",
      server: "198.51.100.1",
      queries: QUERIES4,
      config: (leaseFile) => config4(leaseFile, serverIf),
    });
    const all = `answers:\n${JSON.stringify(a)}`;
    assert.equal(a[0]?.options["42"], "c633647b", all);
    assert.equal(a[0]?.options["7"], "c6336447", "the defined spawned class's log-servers");
    assert.equal(a[0]?.options["8"], "c6336408", "the template's always-send option");
    assert.equal(a[1]?.options["42"], "c633647c");
    assert.equal(a[1]?.options["7"], "c6336446", "the template's log-servers");
    assert.equal(a[2]?.options["42"], undefined);
    assert.equal(a[2]?.options["7"], undefined);
    assert.equal(a[2]?.options["8"], undefined);
    assert.equal(a[2]?.options["6"], "c6336435");
    assert.equal(a[3]?.type, 2);
    assert.equal(a[3]?.options["6"], undefined, "never-send in the reservation");
    assert.equal(a[3]?.options["3"], "c6336401");
  } finally {
    await bed.close();
  }
});

test("later Kea's option and class features in nestor-dhcp6", { timeout: 120_000 }, async () => {
  requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }]);
  const bed = new TestBed("options of later Kea versions, nestor-dhcp6");
  try {
    const { serverNs, relayNs, serverIf } = serverRelayLink(
      bed,
      "2001:db8:1::2",
      "2001:db8:1::1",
      64,
    );
    const a = await relayedQueriesToNestor<Answer6>(bed, 6, {
      serverNs,
      relayNs,
      relayAddress: "2001:db8:1::1",
      server: "2001:db8:1::2",
      queries: QUERIES6,
      config: (leaseFile) => config6(leaseFile, serverIf),
    });
    const all = `answers:\n${JSON.stringify(a)}`;
    assert.equal(a[0]?.options["31"], "20010db8000000000000000000000123", all);
    assert.equal(a[0]?.options["23"], "20010db8000000000000000000000053");
    assert.equal(a[0]?.options["17"], "0000118b" + "00210009" + hex("modem.cfg"));
    assert.equal(a[1]?.options["31"], undefined);
    assert.equal(a[1]?.options["23"], "20010db8000000000000000000000053");
    assert.equal(a[2]?.ias[0]?.leases.length, 1);
    assert.equal(a[2]?.options["23"], undefined, "never-send in the class");
    assert.equal(a[2]?.options["17"], undefined, "a vendor sub-option never-send");
    assert.equal(a[2]?.options["31"], "20010db8000000000000000000000123");
  } finally {
    await bed.close();
  }
});
