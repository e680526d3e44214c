/**
 * `compatibility.lenient-option-parsing`, nestor-dhcp4 / nestor-dhcp6 against Kea 2.2: one
 * configuration with the flag on given unchanged to both, queries whose vendor class tuple (v4
 * option 124, v6 option 16) says it is longer than what is left of the option, and classes that
 * test that tuple and the VENDOR_CLASS_ class Kea derives from it. Leniently, the tuple is the
 * rest of the option: both servers must answer the same, class options included.
 *
 * Needs root, iproute2, kea-dhcp4 and kea-dhcp6 (Debian: kea-dhcp4-server, kea-dhcp6-server).
 */
import assert from "node:assert/strict";
import { test } from "node:test";

import { keaPrerequisite, relayedQueriesToBoth, serverRelayLink } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";
import type { Answer6, Query6 } from "./lib/relay6-queries.ts";

const text = (s: string) => Buffer.from(s).toString("hex");
/** A tuple whose length byte(s) claim 20 bytes more than it holds. */
const long4 = (s: string) => (s.length + 20).toString(16).padStart(2, "0") + text(s);
const long6 = (s: string) => (s.length + 20).toString(16).padStart(4, "0") + text(s);
const CABLELABS = "0000118b";

test(
  "lenient-option-parsing: nestor-dhcp4 reads an overlong vendor class tuple as Kea 2.2 does",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    const bed = new TestBed("lenient-option-parsing v4: nestor-dhcp4 and kea-dhcp4");
    try {
      const SERVER = "198.51.100.1";
      const GIADDR = "198.51.100.254";
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
      const PRL: [number, string] = [55, "01030f2a"];
      const queries: Query4[] = [
        {
          type: 1,
          mac: "02:00:00:00:0f:01",
          options: [PRL, [124, CABLELABS + long4("docsis3.0")]],
        },
        {
          type: 1,
          mac: "02:00:00:00:0f:02",
          options: [PRL, [124, CABLELABS + "09" + text("docsis3.0")]],
        },
        { type: 1, mac: "02:00:00:00:0f:03", options: [PRL, [124, CABLELABS + long4("other")]] },
      ];
      const config = (leaseFile: string) =>
        JSON.stringify({
          Dhcp4: {
            "interfaces-config": { interfaces: [serverIf], "dhcp-socket-type": "udp" },
            "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
            compatibility: { "lenient-option-parsing": true },
            "client-classes": [
              {
                name: "modem",
                test: "vendor-class[4491].data == 'docsis3.0'",
                "option-data": [{ name: "domain-name", data: "modem.example" }],
              },
              {
                name: "tuple",
                test: "substring(vendor-class[*].data, 0, 5) == 'other'",
                "option-data": [{ name: "ntp-servers", data: "198.51.100.123" }],
              },
            ],
            subnet4: [
              {
                id: 1,
                subnet: "198.51.100.0/24",
                pools: [{ pool: "198.51.100.10 - 198.51.100.99" }],
              },
            ],
          },
        });
      const { kea, nestor } = await relayedQueriesToBoth<Answer4>(bed, 4, {
        serverNs,
        relayNs,
        relayAddress: GIADDR,
        server: SERVER,
        queries,
        config,
      });
      // Kea read the overlong tuple leniently: the class options are there.
      assert.equal(kea[0]?.options["15"], text("modem.example"), JSON.stringify(kea));
      assert.equal(kea[2]?.options["42"], "c633647b", JSON.stringify(kea));
      assert.deepEqual(nestor, kea);
    } finally {
      await bed.close();
    }
  },
);

test(
  "lenient-option-parsing: nestor-dhcp6 reads an overlong vendor class tuple as Kea 2.2 does",
  { timeout: 300_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const bed = new TestBed("lenient-option-parsing v6: nestor-dhcp6 and kea-dhcp6", "n6e");
    try {
      const SERVER = "2001:db8:1::1";
      const RELAY = "2001:db8:1::fe";
      const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, RELAY, 64);
      const ORO: [number, string] = [6, "00170018001f"];
      const duid = (n: number) => `0003000102000000ef${n.toString(16).padStart(2, "0")}`;
      const queries: Query6[] = [
        {
          type: 1,
          duid: duid(1),
          ias: [{ iaid: 1 }],
          options: [ORO, [16, CABLELABS + long6("docsis3.0")]],
        },
        {
          type: 1,
          duid: duid(2),
          ias: [{ iaid: 1 }],
          options: [ORO, [16, CABLELABS + long6("other")]],
        },
        {
          type: 1,
          duid: duid(3),
          ias: [{ iaid: 1 }],
          options: [ORO, [16, CABLELABS + "0005" + text("other")]],
        },
      ];
      const config = (leaseFile: string) =>
        JSON.stringify({
          Dhcp6: {
            "interfaces-config": { interfaces: [`${serverIf}/${SERVER}`] },
            "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
            "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
            compatibility: { "lenient-option-parsing": true },
            "client-classes": [
              {
                name: "modem",
                test: "member('VENDOR_CLASS_docsis3.0')",
                "option-data": [{ name: "dns-servers", data: "2001:db8::53" }],
              },
              {
                name: "other",
                test: "vendor-class[4491].data == 'other'",
                "option-data": [{ name: "sntp-servers", data: "2001:db8::123" }],
              },
            ],
            subnet6: [
              {
                id: 1,
                subnet: "2001:db8:1::/64",
                pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::99" }],
              },
            ],
          },
        });
      const { kea, nestor } = await relayedQueriesToBoth<Answer6>(bed, 6, {
        serverNs,
        relayNs,
        relayAddress: RELAY,
        server: SERVER,
        queries,
        config,
      });
      assert.ok(kea[0]?.options["23"] !== undefined, JSON.stringify(kea));
      assert.ok(kea[1]?.options["31"] !== undefined, JSON.stringify(kea));
      assert.deepEqual(nestor, kea);
    } finally {
      await bed.close();
    }
  },
);
