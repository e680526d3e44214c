/**
 * flex_option side by side with Kea 2.2: kea-dhcp4 / kea-dhcp6 with Kea's own
 * libdhcp_flex_option.so, then nestor-dhcp4 / nestor-dhcp6 on the same configuration (which
 * names Kea's file and so loads Nestor's library), each sent the same relayed queries by a relay
 * agent in its own namespace; the answers must be the same option by option. The `options`
 * entries exercise add (absent option, empty value, option already there), supersede (empty
 * value, replacing the configured option), remove (true and false conditions), csv-format with
 * standard definitions, raw values, names and codes, and client-class.
 *
 *   relay ns [veth] ---- [veth] server ns: kea-dhcpN, then nestor-dhcpN (UDP sockets)
 *
 * Needs root, iproute2, python3-scapy, kea-dhcp4-server, kea-dhcp6-server and kea-common.
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  keaPrerequisite,
  relayedQueriesToBoth,
  requireKeaHookLibrary,
  serverRelayLink,
} from "../../../../test/e2e/lib/kea.ts";
import { requirePrerequisites, TestBed } from "../../../../test/e2e/lib/netns.ts";
import type { Answer4, Query4 } from "../../../../test/e2e/lib/relay4-queries.ts";
import type { Answer6, Query6 } from "../../../../test/e2e/lib/relay6-queries.ts";

const hex = (s: string) => Buffer.from(s).toString("hex");

test(
  "flex_option v4: nestor-dhcp4 adds, supersedes and removes options as Kea 2.2",
  { timeout: 120_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    const library = requireKeaHookLibrary("libdhcp_flex_option.so", "kea-common");
    const GIADDR = "198.51.100.254";
    const SERVER = "198.51.100.1";
    const PRL: [number, string] = [55, "0103060f2a43"];
    const config = (leaseFile: string, ifname: string) =>
      JSON.stringify({
        Dhcp4: {
          "interfaces-config": { interfaces: [ifname], "dhcp-socket-type": "udp" },
          "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
          "valid-lifetime": 4000,
          "client-classes": [{ name: "lab", test: "substring(option[60].hex,0,3) == 'lab'" }],
          "hooks-libraries": [
            {
              library,
              parameters: {
                options: [
                  { code: 67, add: "ifelse(option[12].exists, option[12].text + '.cfg', '')" },
                  {
                    name: "domain-name",
                    supersede: "ifelse(option[60].hex == 'lab-a', 'lab.example.org', '')",
                  },
                  { name: "domain-name", add: "'never.example.org'" },
                  { code: 3, remove: "option[60].hex == 'no-router'" },
                  {
                    name: "domain-name-servers",
                    add: "'198.51.100.53, 198.51.100.54'",
                    "csv-format": true,
                  },
                  {
                    code: 42,
                    supersede: "'198.51.100.123'",
                    "csv-format": true,
                    "client-class": "lab",
                  },
                  { code: 224, add: "hexstring(pkt4.mac, '-')" },
                  { code: 6, remove: "option[60].hex == 'lab-b'", "client-class": "lab" },
                ],
              },
            },
          ],
          subnet4: [
            {
              id: 1,
              subnet: "198.51.100.0/24",
              relay: { "ip-addresses": [GIADDR] },
              pools: [{ pool: "198.51.100.10 - 198.51.100.99" }],
              "option-data": [
                { name: "routers", data: "198.51.100.1" },
                { name: "domain-name", data: "example.org" },
                { name: "ntp-servers", data: "198.51.100.1" },
              ],
            },
          ],
          loggers: [
            { name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" },
          ],
        },
      });
    const QUERIES: Query4[] = [
      // Nothing matches: the csv DNS servers and the raw option 224 are added; the rest stays.
      { type: 1, mac: "02:00:00:00:00:01", options: [PRL] },
      // A host name: boot file added from it.
      { type: 1, mac: "02:00:00:00:00:02", options: [[12, hex("pc7")], PRL] },
      // lab-a: domain name superseded, NTP superseded (class lab), DNS stays.
      { type: 1, mac: "02:00:00:00:00:03", options: [[60, hex("lab-a")], PRL] },
      // lab-b: in class lab, DNS servers removed after being added (code order), NTP superseded.
      { type: 1, mac: "02:00:00:00:00:04", options: [[60, hex("lab-b")], PRL] },
      // no-router: routers removed.
      { type: 1, mac: "02:00:00:00:00:05", options: [[60, hex("no-router")], PRL] },
    ];
    const bed = new TestBed("flex_option v4: nestor-dhcp4 and kea-dhcp4 side by side");
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
      // Kea did what the entries say (so the comparison below compares something).
      assert.equal(kea[0]?.options["6"], "c6336435c6336436", `Kea: ${JSON.stringify(kea)}`);
      assert.equal(kea[0]?.options["224"], hex("02-00-00-00-00-01"));
      assert.equal(kea[1]?.options["67"], hex("pc7.cfg"));
      assert.equal(kea[2]?.options["15"], hex("lab.example.org"));
      assert.equal(kea[2]?.options["42"], "c633647b");
      assert.equal(kea[4]?.options["3"], undefined);
      QUERIES.forEach((q, i) => {
        assert.deepEqual(
          nestor[i],
          kea[i],
          `query ${i} (${JSON.stringify(q)}): nestor and Kea differ`,
        );
      });
    } finally {
      await bed.close();
    }
  },
);

test(
  "flex_option v6: nestor-dhcp6 adds, supersedes and removes options as Kea 2.2",
  { timeout: 120_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const library = requireKeaHookLibrary("libdhcp_flex_option.so", "kea-common");
    const RELAY = "2001:db8:1::1";
    const SERVER = "2001:db8:1::2";
    const ORO: [number, string] = [6, "00170018001f"];
    const config = (leaseFile: string, ifname: string) =>
      JSON.stringify({
        Dhcp6: {
          "interfaces-config": { interfaces: [`${ifname}/${SERVER}`] },
          "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
          "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
          "preferred-lifetime": 3000,
          "valid-lifetime": 4000,
          "client-classes": [{ name: "lab", test: "option[15].exists" }],
          "hooks-libraries": [
            {
              library,
              parameters: {
                options: [
                  {
                    name: "dns-servers",
                    supersede: "ifelse(option[15].exists, '2001:db8::53', '')",
                    "csv-format": true,
                  },
                  { code: 24, add: "'lab.example.org'", "client-class": "lab", "csv-format": true },
                  { code: 31, remove: "option[15].exists" },
                  { code: 65000, add: "substring(option[1].hex, 0, 4)" },
                ],
              },
            },
          ],
          subnet6: [
            {
              id: 1,
              subnet: "2001:db8:1::/64",
              relay: { "ip-addresses": [RELAY] },
              pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::ff" }],
              "option-data": [
                { name: "dns-servers", data: "2001:db8::1" },
                { name: "sntp-servers", data: "2001:db8::123" },
              ],
            },
          ],
          loggers: [
            { name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" },
          ],
        },
      });
    const QUERIES: Query6[] = [
      // Not lab: option 65000 added from the DUID; DNS and SNTP as configured.
      { type: 1, duid: "00030001020000000a01", ias: [{ iaid: 1 }], options: [ORO] },
      // Lab (user class, option 15): DNS superseded, domain search added (csv), SNTP removed.
      {
        type: 1,
        duid: "00030001020000000b01",
        ias: [{ iaid: 1 }],
        options: [ORO, [15, "0003" + hex("lab")]],
      },
    ];
    const bed = new TestBed("flex_option v6: nestor-dhcp6 and kea-dhcp6 side by side");
    try {
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, RELAY, 64);
      const { kea, nestor } = await relayedQueriesToBoth<Answer6>(bed, 6, {
        serverNs,
        relayNs,
        relayAddress: RELAY,
        server: SERVER,
        queries: QUERIES,
        config: (leaseFile) => config(leaseFile, serverIf),
      });
      assert.equal(kea[0]?.options["65000"], "00030001", `Kea: ${JSON.stringify(kea)}`);
      assert.equal(kea[1]?.options["23"], "20010db8000000000000000000000053");
      assert.equal(kea[1]?.options["31"], undefined);
      QUERIES.forEach((q, i) => {
        assert.deepEqual(
          nestor[i],
          kea[i],
          `query ${i} (${JSON.stringify(q)}): nestor and Kea differ`,
        );
      });
    } finally {
      await bed.close();
    }
  },
);
