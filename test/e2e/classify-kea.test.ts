/**
 * Client classification, nestor-dhcp4 against Kea 2.2 (Debian's kea-dhcp4): one configuration
 * with classes, guarded pools, class options and boot fields, a KNOWN-dependent class, a required
 * class and a DROP class, given unchanged to both servers; the same relayed queries sent to each
 * by a relay agent in its own namespace; the answers must be the same, field by field and option
 * by option.
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
const PRL: [number, string] = [55, "0103060f2a2c280407"];
const DISCOVER = 1;
const REQUEST = 3;
const vendor = (s: string): [number, string] => [60, hex(s)];
const requested = (a: string): [number, string] => [
  50,
  Buffer.from(a.split(".").map(Number)).toString("hex"),
];
const serverId: [number, string] = [54, "c6336401"];

const CLASSES = [
  {
    name: "phones",
    test: "substring(option[60].hex,0,6) == 'Aastra'",
    "option-data": [{ name: "domain-name-servers", data: "203.0.113.53" }],
    "next-server": "198.51.100.5",
    "server-hostname": "tftp.example",
    "boot-file-name": "phone.cfg",
    "valid-lifetime": 600,
  },
  {
    name: "circuit",
    test: "relay4[1].hex == 'port-7'",
    "option-data": [{ name: "domain-name", data: "circuit.example" }],
  },
  {
    name: "by-mac",
    test: "hexstring(pkt4.mac, ':') == '02:00:00:00:00:0c' and pkt4.htype == 1",
    "option-data": [{ name: "ntp-servers", data: "198.51.100.123" }],
  },
  {
    name: "chain",
    test: "member('by-mac') and not member('phones')",
    "option-data": [{ name: "netbios-name-servers", data: "198.51.100.139" }],
  },
  {
    name: "known-phone",
    test: "member('KNOWN') and member('phones')",
    "option-data": [{ name: "domain-name", data: "known.example" }],
  },
  {
    name: "late",
    test: "ifelse(option[60].exists, concat(substring(option[60].hex, 0, 1), 'x'), 'none') == 'Ax'",
    "only-if-required": true,
    "option-data": [{ name: "netbios-name-servers", data: "198.51.100.44" }],
  },
  { name: "DROP", test: "pkt4.mac == 0x02000000000d" },
  {
    name: "cable-modem",
    test: "vendor-class[4491].data[1] == 'eRouter1.0' and vendor.enterprise == 4491",
    "option-data": [{ name: "time-servers", data: "198.51.100.37" }],
  },
  {
    name: "cm-sub",
    test: "vendor[4491].option[3].hex == 'modem' and not vendor[9].exists",
    "option-data": [{ name: "log-servers", data: "198.51.100.7" }],
  },
  // Joined through a reservation's client-classes only.
  { name: "vip", "option-data": [{ name: "nis-domain", data: "vip.example" }] },
];

function config(leaseFile: string, ifname: string): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [ifname], "dhcp-socket-type": "udp" },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "valid-lifetime": 4000,
      "client-classes": CLASSES,
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          relay: { "ip-addresses": [GIADDR] },
          "option-data": [{ name: "routers", data: "198.51.100.1" }],
          pools: [
            {
              pool: "198.51.100.10 - 198.51.100.19",
              "client-class": "phones",
              "require-client-classes": ["late"],
            },
            { pool: "198.51.100.20 - 198.51.100.29", "client-class": "UNKNOWN" },
            { pool: "198.51.100.30 - 198.51.100.39", "client-class": "KNOWN" },
          ],
          reservations: [
            {
              "hw-address": "02:00:00:00:00:0b",
              "boot-file-name": "known.cfg",
              "client-classes": ["vip"],
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
  // A phone: its pool, the class's DNS and boot fields, 600 s, the required class's option.
  { type: DISCOVER, mac: "02:00:00:00:00:0a", options: [vendor("Aastra 6757i"), PRL] },
  // A phone with a reservation: KNOWN and phones; the phones' pool still (first guard matched).
  { type: DISCOVER, mac: "02:00:00:00:00:0b", options: [vendor("Aastra 6739"), PRL] },
  // The reserved client without the vendor class: the KNOWN pool.
  { type: DISCOVER, mac: "02:00:00:00:00:0b", options: [PRL] },
  // A client known by its MAC address: by-mac and chain classes, the UNKNOWN pool.
  { type: DISCOVER, mac: "02:00:00:00:00:0c", options: [PRL] },
  // A client behind circuit port-7.
  { type: DISCOVER, mac: "02:00:00:00:00:0e", options: [PRL], rai: [[1, hex("port-7")]] },
  // A cable modem: option 124 (two blocks, "docsis3.0" and "eRouter1.0") and 125 (sub-option 3
  // "modem"; Kea's DOCSIS definitions make 1 and 2 typed).
  {
    type: DISCOVER,
    mac: "02:00:00:00:00:10",
    options: [
      PRL,
      [124, "0000118b09" + hex("docsis3.0") + "0000118b0a" + hex("eRouter1.0")],
      [125, "0000118b07" + "0305" + hex("modem")],
    ],
  },
  // The DROP class: no answer.
  { type: DISCOVER, mac: "02:00:00:00:00:0d", options: [PRL] },
  // A phone takes its address; a requested lifetime is held to the class's.
  {
    type: REQUEST,
    mac: "02:00:00:00:00:0a",
    options: [vendor("Aastra 6757i"), requested("198.51.100.10"), serverId, [51, "00002710"], PRL],
  },
  // The phone renewing (ciaddr, no server identifier): extended with the class's lifetime.
  {
    type: REQUEST,
    mac: "02:00:00:00:00:0a",
    ciaddr: "198.51.100.10",
    options: [vendor("Aastra 6757i"), PRL],
  },
  // The same client renewing without its vendor class: the phones' pool is no longer its (NAK).
  { type: REQUEST, mac: "02:00:00:00:00:0a", ciaddr: "198.51.100.10", options: [PRL] },
  // Another client asking for a phones' address: NAK.
  {
    type: REQUEST,
    mac: "02:00:00:00:00:0f",
    options: [requested("198.51.100.11"), serverId, PRL],
  },
];

test(
  "classification: nestor-dhcp4 answers classified relayed queries as Kea 2.2 does",
  { timeout: 120_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    const bed = new TestBed("classification: nestor-dhcp4 and kea-dhcp4 side by side");
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
      assert.equal(k[0]?.yiaddr, "198.51.100.10", `Kea's answers:\n${JSON.stringify(k)}`);
      assert.equal(k[0]?.siaddr, "198.51.100.5");
      assert.equal(k[0]?.options["44"], "c633642c", "the required class's option");
      assert.equal(k[1]?.file, "known.cfg", "a reservation's boot file over the class's");
      assert.equal(k[2]?.options["40"], hex("vip.example"), "a reservation's class");
      assert.equal(k[3]?.options["42"], "c633647b", "a class on pkt4.mac");
      assert.equal(k[4]?.options["15"], hex("circuit.example"), "a class on relay4[1]");
      assert.equal(k[2]?.yiaddr, "198.51.100.30");
      assert.equal(k[3]?.yiaddr, "198.51.100.20");
      assert.equal(k[5]?.options["4"], "c6336425", "a class on vendor-class[4491].data[1]");
      assert.equal(k[5]?.options["7"], "c6336407", "a class on vendor[4491].option[3]");
      assert.equal(k[6], null);
      assert.equal(k[8]?.options["51"], "00000258", `Kea's renewal: ${JSON.stringify(k[8])}`);
      assert.equal(k[8]?.type, 5);
      assert.equal(k[9]?.type, 6);
      assert.equal(k[10]?.type, 6);

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
