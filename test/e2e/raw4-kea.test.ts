/**
 * Kea's "raw" socket type (its default dhcp-socket-type on Linux), nestor-dhcp4 against Kea 2.2's
 * kea-dhcp4 side by side: the same configuration (no dhcp-socket-type: the default), the same
 * queries written as Ethernet frames by a scapy client (raw4_client.py) in its own namespace, and
 * the replies read as frames: Ethernet source and destination, IP source and destination, UDP
 * ports and the DHCP message must be the same, field by field. Nothing in the client namespace
 * answers ARP for the addresses its frames use (none is configured there), so a reply arrives only
 * when the server writes it as a frame to the query's Ethernet source: a client in RENEWING or
 * REBINDING whose ciaddr the server cannot resolve, a client without an address, a relay.
 *
 *   client ns [veth 02:00:00:00:01:01, no address] ---- [veth 198.51.100.1/24] server ns
 *
 * Also: without CAP_NET_RAW nestor-dhcp4 falls back to UDP sockets with one warning and still
 * answers a relay.
 *
 * Needs root, iproute2, util-linux (setpriv), kea-dhcp4 (Debian: kea-dhcp4-server) and
 * python3-scapy.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { Pkt4 } from "../../src/dhcp/pkt4.ts";
import { keaPrerequisite, keaThenNestor } from "./lib/kea.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { Answer4 } from "./lib/relay4-queries.ts";

const CLIENT = fileURLToPath(new URL("./lib/raw4_client.py", import.meta.url));
const RELAY = fileURLToPath(new URL("./lib/relay4-queries.ts", import.meta.url));
const NESTOR = fileURLToPath(new URL("../../src/cli/nestor-dhcp4.ts", import.meta.url));
const PYTHON = "/usr/bin/python3";

const SERVER = "198.51.100.1";
const GIADDR = "198.51.100.254";
const MAC_A = "02:00:00:00:01:01"; // the client interface's own address
const MAC_B = "02:00:00:00:01:02";
const MAC_C = "02:00:00:00:01:03";
const BCAST = "255.255.255.255";

const DISCOVER = "01";
const REQUEST = "03";
const INFORM = "08";
const ip = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");
const type = (t: string): [number, string] => [53, t];
const PRL: [number, string] = [55, "01030f33"];
const requested = (a: string): [number, string] => [50, ip(a)];
const serverId = (a: string): [number, string] => [54, ip(a)];

function scapyPrerequisite(): void {
  const r = spawnSync(PYTHON, ["-c", "import scapy.all"], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import scapy: install with: apt-get install -y python3-scapy\n${r.stderr}`,
    );
  }
}

function config(leaseFile: string, ifname: string, socketType?: string): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": {
        interfaces: [ifname],
        ...(socketType === undefined ? {} : { "dhcp-socket-type": socketType }),
      },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "valid-lifetime": 4000,
      authoritative: true,
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
          "option-data": [{ name: "routers", data: SERVER }],
        },
      ],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
}

interface Reply {
  eth_src: string;
  eth_dst: string;
  ip_src: string;
  ip_dst: string;
  sport: number;
  dport: number;
  hex: string;
}

/** A reply as the test compares it: the frame's addresses and the DHCP message's fields. */
function seen(r: Reply | null) {
  if (r === null) return null;
  const p = Pkt4.parse(Buffer.from(r.hex, "hex"));
  const options: Record<string, string> = {};
  for (const o of p.getOptions()) options[String(o.getType())] = o.getData().toString("hex");
  return {
    frame: `${r.eth_src} > ${r.eth_dst} ${r.ip_src}:${r.sport} > ${r.ip_dst}:${r.dport}`,
    type: p.getType(),
    yiaddr: p.yiaddr,
    ciaddr: p.ciaddr,
    giaddr: p.giaddr,
    flags: p.getFlags(),
    chaddr: p.getHWAddr().toText(false),
    options,
  };
}

test(
  "raw sockets: nestor-dhcp4 receives frames and sends its replies where Kea 2.2 does, frame for frame",
  { timeout: 180_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    scapyPrerequisite();
    const bed = new TestBed("raw sockets: nestor-dhcp4 and kea-dhcp4 side by side");
    try {
      const serverNs = bed.namespace("srv");
      const clientNs = bed.namespace("cli");
      const { a: serverIf, b: clientIf } = bed.link(
        { ns: serverNs, role: "s" },
        { ns: clientNs, role: "c" },
      );
      bed.exec(serverNs, "ip", ["addr", "add", `${SERVER}/24`, "dev", serverIf]);
      bed.exec(clientNs, "ip", ["link", "set", "dev", clientIf, "address", MAC_A]);
      const serverMac = (
        JSON.parse(bed.exec(serverNs, "ip", ["-j", "link", "show", "dev", serverIf])) as {
          address: string;
        }[]
      )[0]!.address;

      const direct = { eth_src: MAC_A, mac: MAC_A };
      const unicast = { eth_dst: serverMac, ip_dst: SERVER };
      const queries = [
        // 0. A client without an address, broadcast flag clear: OFFER to yiaddr at chaddr.
        { ...direct, xid: 0x101, options: [type(DISCOVER), PRL] },
        // 1. It takes the address (SELECTING): ACK to yiaddr at chaddr.
        {
          ...direct,
          xid: 0x102,
          options: [type(REQUEST), requested("198.51.100.10"), serverId(SERVER), PRL],
        },
        // 2. RENEWING: unicast from ciaddr; the ACK goes to ciaddr, which nobody answers ARP for.
        {
          ...direct,
          ...unicast,
          ip_src: "198.51.100.10",
          ciaddr: "198.51.100.10",
          xid: 0x103,
          options: [type(REQUEST), PRL],
        },
        // 3. REBINDING: broadcast from ciaddr; the ACK still goes to ciaddr.
        {
          ...direct,
          ip_src: "198.51.100.10",
          ciaddr: "198.51.100.10",
          xid: 0x104,
          options: [type(REQUEST), PRL],
        },
        // 4. A client asking for broadcast replies: OFFER to 255.255.255.255.
        {
          eth_src: MAC_B,
          mac: MAC_B,
          flags: 0x8000,
          xid: 0x105,
          options: [type(DISCOVER), PRL],
        },
        // 5. INIT-REBOOT with an address from elsewhere (authoritative server): NAK, broadcast.
        {
          eth_src: MAC_B,
          mac: MAC_B,
          xid: 0x106,
          options: [type(REQUEST), requested("203.0.113.5"), PRL],
        },
        // 6. INFORM from a configured client: ACK to ciaddr.
        {
          ...direct,
          ...unicast,
          ip_src: "198.51.100.10",
          ciaddr: "198.51.100.10",
          xid: 0x107,
          options: [type(INFORM), PRL],
        },
        // 7. A relay: the OFFER goes to giaddr, port 67, at the relay's Ethernet address.
        {
          ...unicast,
          eth_src: MAC_A,
          mac: MAC_C,
          ip_src: GIADDR,
          giaddr: GIADDR,
          hops: 1,
          sport: 67,
          xid: 0x108,
          options: [type(DISCOVER), PRL],
        },
        // 8. The relay overriding the server identifier (RFC 5107, RAI sub-option 11): the
        //    client names the override as server identifier, and the REQUEST is accepted.
        {
          ...unicast,
          eth_src: MAC_A,
          mac: MAC_C,
          ip_src: GIADDR,
          giaddr: GIADDR,
          hops: 1,
          sport: 67,
          xid: 0x109,
          options: [
            type(REQUEST),
            requested("198.51.100.11"),
            serverId("203.0.113.1"),
            PRL,
            [82, `0b04${ip("203.0.113.1")}`] as [number, string],
          ],
        },
        // 9. A relayed INFORM without ciaddr: the ACK goes through the relay with the
        //    broadcast flag set, so that the relay may broadcast it.
        {
          ...unicast,
          eth_src: MAC_A,
          mac: MAC_C,
          ip_src: GIADDR,
          giaddr: GIADDR,
          hops: 1,
          sport: 67,
          xid: 0x10a,
          options: [type(INFORM), PRL],
        },
      ];

      const runs = await keaThenNestor(
        bed,
        serverNs,
        4,
        (who) => {
          const file = join(bed.dir, `${who}.json`);
          writeFileSync(file, config(join(bed.dir, `${who}-leases4.csv`), serverIf));
          return file;
        },
        () => {
          const spec = JSON.stringify({ iface: clientIf, queries });
          const out = bed.exec(clientNs, PYTHON, [CLIENT, spec], 120_000);
          return (JSON.parse(out) as { replies: (Reply | null)[] }).replies.map(seen);
        },
      );
      const k = runs.kea;
      const n = runs.nestor;
      const show = `Kea:\n${JSON.stringify(k, null, 1)}\nNestor:\n${JSON.stringify(n, null, 1)}`;

      // What Kea did is what this test is about (the scenario shows something).
      assert.equal(k[0]?.frame, `${serverMac} > ${MAC_A} ${SERVER}:67 > 198.51.100.10:68`, show);
      assert.equal(k[1]?.frame, `${serverMac} > ${MAC_A} ${SERVER}:67 > 198.51.100.10:68`, show);
      assert.equal(k[2]?.frame, `${serverMac} > ${MAC_A} ${SERVER}:67 > 198.51.100.10:68`, show);
      assert.equal(k[2]?.type, 5, "the renewal's ACK");
      assert.equal(k[3]?.frame, `${serverMac} > ${MAC_A} ${SERVER}:67 > 198.51.100.10:68`, show);
      assert.equal(k[4]?.frame, `${serverMac} > ${MAC_B} ${SERVER}:67 > ${BCAST}:68`, show);
      assert.equal(k[5]?.type, 6, "a NAK");
      assert.equal(k[5]?.frame, `${serverMac} > ${MAC_B} ${SERVER}:67 > ${BCAST}:68`, show);
      assert.equal(k[6]?.frame, `${serverMac} > ${MAC_A} ${SERVER}:67 > 198.51.100.10:68`, show);
      assert.equal(k[7]?.frame, `${serverMac} > ${MAC_A} ${SERVER}:67 > ${GIADDR}:67`, show);
      assert.equal(k[8]?.type, 5, `the override accepted: ${show}`);
      assert.equal(k[9]?.frame, `${serverMac} > ${MAC_A} ${SERVER}:67 > ${GIADDR}:67`, show);
      assert.equal(k[9]?.flags, 0x8000, "a relayed INFORM's ACK has the broadcast flag");

      // Nestor: the same, reply for reply.
      for (let i = 0; i < queries.length; i++) {
        assert.deepEqual(n[i], k[i], `query ${i}:\n${show}`);
      }
    } finally {
      await bed.close();
    }
  },
);

test(
  "without CAP_NET_RAW nestor-dhcp4 falls back to UDP sockets with one warning and still serves",
  { timeout: 120_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "setpriv", debianPackage: "util-linux" },
    ]);
    const bed = new TestBed("raw sockets: the fallback to UDP without CAP_NET_RAW");
    try {
      const serverNs = bed.namespace("srv");
      const relayNs = bed.namespace("rly");
      const { a: serverIf, b: relayIf } = bed.link(
        { ns: serverNs, role: "s" },
        { ns: relayNs, role: "r" },
      );
      bed.exec(serverNs, "ip", ["addr", "add", `${SERVER}/24`, "dev", serverIf]);
      bed.exec(relayNs, "ip", ["addr", "add", `${GIADDR}/24`, "dev", relayIf]);
      const file = join(bed.dir, "nestor.json");
      writeFileSync(file, config(join(bed.dir, "leases4.csv"), serverIf, "raw"));
      const server = bed.spawn("nestor-dhcp4", serverNs, "setpriv", [
        "--bounding-set=-net_raw",
        "--inh-caps=-net_raw",
        process.execPath,
        NESTOR,
        "-c",
        file,
      ]);
      await server.waitForOutput(/nestor-dhcp4 \S+: serving \d+ subnet/, 20_000);
      const queriesFile = join(bed.dir, "queries.json");
      writeFileSync(queriesFile, JSON.stringify([{ type: 1, mac: MAC_C, options: [] }]));
      const out = bed.exec(relayNs, process.execPath, [RELAY, GIADDR, SERVER, queriesFile], 30_000);
      const answers = JSON.parse(out) as (Answer4 | null)[];
      assert.equal(answers[0]?.yiaddr, "198.51.100.10", `answers: ${out}\n${server.output}`);
      const warnings = server.output.split("\n").filter((l) => l.includes("RAW_FALLBACK"));
      assert.equal(warnings.length, 1, server.output);
      assert.match(warnings[0]!, /WARN/);
      assert.match(warnings[0]!, /receiving through UDP sockets instead/);
      assert.match(warnings[0]!, /hardware addresses are unknown/);
      await server.stop();
    } finally {
      await bed.close();
    }
  },
);
