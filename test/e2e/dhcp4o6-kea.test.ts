/**
 * DHCPv4-over-DHCPv6 (RFC 7341), nestor-dhcp6 + nestor-dhcp4 against Kea 2.2 (Debian's
 * kea-dhcp6 + kea-dhcp4): the same two configuration files (dhcp4o6-port 6767, the 4o6-* keys of
 * three subnets) given to each pair; the same DHCPV4-QUERY exchanges sent by a client on the link
 * and by a relay agent; the DHCPV4-RESPONSEs must be the same, the DHCPv4 reply inside field by
 * field and option by option, and the DHCPv4 lease files must hold the same leases. Then each
 * Nestor server paired with the other Kea server (kea-dhcp6 + nestor-dhcp4, nestor-dhcp6 +
 * kea-dhcp4): the IPC is Kea's on both ends, so the answers are the same again.
 *
 *   client ns [veth 2001:db8:1::2/64, 2001:db8:2::2/64] ---- [veth 2001:db8:1::1/64,
 *                                                             198.51.100.1/24] server ns:
 *                                     kea-dhcp4 + kea-dhcp6, then nestor-dhcp4 + nestor-dhcp6
 *
 * Needs root, iproute2, kea-dhcp4 and kea-dhcp6 (Debian: kea-dhcp4-server, kea-dhcp6-server).
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import type { Answer4o6, Query4o6 } from "./lib/dhcp4o6-queries.ts";
import { keaPrerequisite, serverRelayLink, startKea } from "./lib/kea.ts";
import { statistic, waitForControl } from "./lib/control-client.ts";
import { readCsvRows, startNestor } from "./lib/nestor.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import { waitForDhcpSocket } from "./lib/shared-networks-both.ts";

const SERVER6 = "2001:db8:1::1";
const CLIENT6 = "2001:db8:1::2";
/** A second address of the client's namespace: a relay whose source is in 4o6-subnet. */
const CLIENT6_B = "2001:db8:2::2";
const SERVER4 = "198.51.100.1";
const PORT = 6767;
/** ff02::1:2, scoped to the client's interface when sent. */
const ALL_SERVERS = "ff02::1:2";

const DISCOVER = 1;
const REQUEST = 3;
const RELEASE = 7;
const addr4 = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");
const PRL: [number, string] = [55, "0103060f"];
const SERVER_ID: [number, string] = [54, addr4(SERVER4)];

function configs(ifname: string, dir: string, leaseFile: string): { v4: string; v6: string } {
  const v6 = JSON.stringify({
    Dhcp6: {
      // Unicast too: RFC 7341 clients send to the address option 88 gives.
      "interfaces-config": { interfaces: [`${ifname}/${SERVER6}`] },
      // The server DUID file there.
      "data-directory": dir,
      "lease-database": { type: "memfile", persist: false },
      "control-socket": { "socket-type": "unix", "socket-name": join(dir, "v6.sock") },
      "dhcp4o6-port": PORT,
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          interface: ifname,
          pools: [{ pool: "2001:db8:1::1:0/112" }],
        },
      ],
      "option-data": [{ name: "dhcp4o6-server-addr", code: 88, space: "dhcp6", data: SERVER6 }],
      loggers: [{ name: "kea-dhcp6", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
  const v4 = JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [ifname], "dhcp-socket-type": "udp" },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "control-socket": { "socket-type": "unix", "socket-name": join(dir, "v4.sock") },
      "dhcp4o6-port": PORT,
      "valid-lifetime": 4000,
      // Kea's selector tries subnet by subnet: the one matching any query on the interface last.
      subnet4: [
        {
          id: 10,
          subnet: "198.18.0.0/24",
          "4o6-subnet": "2001:db8:2::/64",
          pools: [{ pool: "198.18.0.10 - 198.18.0.19" }],
          "option-data": [{ name: "domain-name", data: "by-source.example" }],
        },
        {
          id: 20,
          subnet: "203.0.113.0/24",
          "4o6-interface-id": "relay-7",
          pools: [{ pool: "203.0.113.10 - 203.0.113.19" }],
          "option-data": [{ name: "routers", data: "203.0.113.1" }],
        },
        {
          id: 30,
          subnet: "198.51.100.0/24",
          "4o6-interface": ifname,
          pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
          "option-data": [
            { name: "routers", data: SERVER4 },
            { name: "domain-name-servers", data: "198.51.100.53" },
          ],
        },
      ],
      loggers: [{ name: "kea-dhcp4", output_options: [{ output: "stdout" }], severity: "INFO" }],
    },
  });
  return { v4, v6 };
}

/** The exchanges, in order; comments say what each shows. */
const QUERIES: Query4o6[] = [
  // A client on the link, unicast to option 88's address: the 4o6-interface subnet.
  {
    via: "direct",
    from: CLIENT6,
    to: SERVER6,
    transid: 0x800001,
    options6: [[1, "00030001020000000a01"]],
    v4: { type: DISCOVER, mac: "02:00:00:00:0a:01", xid: 0x40600 + 1, options: [PRL] },
  },
  // It takes the offered address (SELECTING).
  {
    via: "direct",
    from: CLIENT6,
    to: SERVER6,
    transid: 0x800002,
    v4: {
      type: REQUEST,
      mac: "02:00:00:00:0a:01",
      xid: 0x40600 + 2,
      options: [[50, addr4("198.51.100.10")], SERVER_ID, PRL],
    },
  },
  // The broadcast flag and a client identifier (echoed, RFC 6842).
  {
    via: "direct",
    from: CLIENT6,
    to: SERVER6,
    transid: 0x000003,
    v4: {
      type: DISCOVER,
      mac: "02:00:00:00:0a:02",
      xid: 0x40600 + 3,
      flags: 0x8000,
      options: [[61, "01020000000a02"], PRL],
    },
  },
  // Through a relay with interface-id relay-7: the 4o6-interface-id subnet, a RELAY-REPL back.
  {
    via: "relay",
    from: CLIENT6,
    to: SERVER6,
    transid: 0x800004,
    interfaceId: "relay-7",
    v4: { type: DISCOVER, mac: "02:00:00:00:0b:01", xid: 0x40600 + 4, options: [PRL] },
  },
  {
    via: "relay",
    from: CLIENT6,
    to: SERVER6,
    transid: 0x800005,
    interfaceId: "relay-7",
    v4: {
      type: REQUEST,
      mac: "02:00:00:00:0b:01",
      xid: 0x40600 + 5,
      options: [[50, addr4("203.0.113.10")], SERVER_ID, PRL],
    },
  },
  // A relay whose source address is in 4o6-subnet (checked first).
  {
    via: "relay",
    from: CLIENT6_B,
    to: SERVER6,
    transid: 0x800006,
    interfaceId: "relay-7",
    v4: { type: DISCOVER, mac: "02:00:00:00:0c:01", xid: 0x40600 + 6, options: [PRL] },
  },
  // A relay without interface-id: the interface's subnet.
  {
    via: "relay",
    from: CLIENT6,
    to: SERVER6,
    transid: 0x800007,
    v4: { type: DISCOVER, mac: "02:00:00:00:0d:01", xid: 0x40600 + 7, options: [PRL] },
  },
  // A renewal (ciaddr) of the first client's lease.
  {
    via: "direct",
    from: CLIENT6,
    to: SERVER6,
    transid: 0x800008,
    v4: {
      type: REQUEST,
      mac: "02:00:00:00:0a:01",
      xid: 0x40600 + 8,
      ciaddr: "198.51.100.10",
      options: [PRL],
    },
  },
  // A client that knows no server address: to All_DHCP_Relay_Agents_and_Servers on its link.
  {
    via: "direct",
    from: CLIENT6,
    to: ALL_SERVERS,
    transid: 0x80000b,
    v4: { type: DISCOVER, mac: "02:00:00:00:0e:01", xid: 0x40600 + 11, options: [PRL] },
  },
  // A BOOTP request: no answer (without the bootp hook library), counted as dropped.
  {
    via: "direct",
    from: CLIENT6,
    to: SERVER6,
    transid: 0x80000c,
    v4: { type: DISCOVER, bootp: true, mac: "02:00:00:00:0f:01", xid: 0x40600 + 12 },
    waitMs: 1000,
  },
  // The relayed client releases its address: no answer, the lease goes.
  {
    via: "relay",
    from: CLIENT6,
    to: SERVER6,
    transid: 0x80000d,
    interfaceId: "relay-7",
    v4: {
      type: RELEASE,
      mac: "02:00:00:00:0b:01",
      xid: 0x40600 + 13,
      ciaddr: "203.0.113.10",
      options: [SERVER_ID],
    },
    waitMs: 1000,
  },
  // A DHCPV4-QUERY without option 87: no answer.
  { via: "direct", from: CLIENT6, to: SERVER6, transid: 0x800009, waitMs: 1000 },
  // An INFORMATION-REQUEST asking for option 88 (ORO): the DHCPv4-over-DHCPv6 server address
  // (relayed: an INFORMATION-REQUEST by unicast is dropped, as Kea's testUnicast does).
  {
    via: "relay",
    from: CLIENT6,
    to: SERVER6,
    type6: 11,
    transid: 0x00000a,
    options6: [
      [1, "00030001020000000a01"],
      [6, "0058"],
    ],
  },
];

/** Waits (at most 10 s) until no IPv6 address of `ifname` is tentative (DAD done). */
async function noTentativeAddress(bed: TestBed, ns: string, ifname: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const tentative = bed.exec(ns, "ip", ["-6", "addr", "show", "dev", ifname, "tentative"]);
    if (tentative.trim() === "") return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${ifname} in ${ns} still has a tentative address after 10 s`);
}

/** The statistics compared, server by server. */
const STATS6 = [
  "pkt6-received",
  "pkt6-dhcpv4-query-received",
  "pkt6-infrequest-received",
  "pkt6-receive-drop",
  "pkt6-sent",
  "pkt6-dhcpv4-response-sent",
  "pkt6-reply-sent",
];
const STATS4 = [
  "pkt4-received",
  "pkt4-discover-received",
  "pkt4-request-received",
  "pkt4-receive-drop",
  "pkt4-parse-failed",
  "pkt4-sent",
  "pkt4-offer-sent",
  "pkt4-ack-sent",
  "pkt4-nak-sent",
  "pkt4-release-received",
  "subnet[10].assigned-addresses",
  "subnet[20].assigned-addresses",
  "subnet[30].assigned-addresses",
];

const LEASE_COLUMNS = [
  "address",
  "hwaddr",
  "client_id",
  "valid_lifetime",
  "subnet_id",
  "fqdn_fwd",
  "fqdn_rev",
  "hostname",
  "state",
] as const;

test(
  "DHCPv4-over-DHCPv6: nestor-dhcp6 + nestor-dhcp4 (and each paired with Kea's other server) answer DHCPV4-QUERY as Kea 2.2's pair does",
  { timeout: 240_000 },
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      keaPrerequisite(4),
      keaPrerequisite(6),
    ]);
    const bed = new TestBed("DHCPv4-over-DHCPv6: nestor and Kea side by side");
    try {
      const { serverNs, relayNs, serverIf, relayIf } = serverRelayLink(bed, SERVER6, CLIENT6, 64);
      const link = { serverNs, clientNs: relayNs, serverIf, clientIf: relayIf };
      // A server whose link-local address is still tentative opens no multicast socket (Kea).
      await noTentativeAddress(bed, serverNs, serverIf);
      bed.exec(serverNs, "ip", ["addr", "add", `${SERVER4}/24`, "dev", serverIf]);
      bed.exec(relayNs, "ip", ["addr", "add", `${CLIENT6_B}/64`, "dev", relayIf, "nodad"]);
      bed.exec(serverNs, "ip", ["-6", "route", "add", "2001:db8:2::/64", "dev", serverIf]);
      const client = fileURLToPath(new URL("./lib/dhcp4o6-queries.ts", import.meta.url));
      const queriesFile = join(bed.dir, "queries.json");
      const scoped = QUERIES.map((q) =>
        q.to === ALL_SERVERS ? { ...q, to: `${ALL_SERVERS}%${relayIf}` } : q,
      );
      writeFileSync(queriesFile, JSON.stringify(scoped));

      // Kea's pair, Nestor's, then each Nestor server paired with Kea's other one (the IPC is
      // Kea's on both ends).
      const pairs = [
        { name: "kea", v4: startKea, v6: startKea },
        { name: "nestor", v4: startNestor, v6: startNestor },
        { name: "kea6+nestor4", v4: startNestor, v6: startKea },
        { name: "nestor6+kea4", v4: startKea, v6: startNestor },
      ] as const;
      type Pair = (typeof pairs)[number]["name"];
      const answers: Partial<Record<Pair, (Answer4o6 | null)[]>> = {};
      const leases: Partial<Record<Pair, Record<string, string>[]>> = {};
      const stats: Partial<Record<Pair, Record<string, number>>> = {};
      for (const pair of pairs) {
        const who = pair.name;
        const leaseFile = join(bed.dir, `${who}-leases4.csv`);
        mkdirSync(join(bed.dir, who));
        const { v4, v6 } = configs(serverIf, join(bed.dir, who), leaseFile);
        const file4 = join(bed.dir, `${who}-dhcp4.json`);
        const file6 = join(bed.dir, `${who}-dhcp6.json`);
        writeFileSync(file4, v4);
        writeFileSync(file6, v6);
        const server4 = await pair.v4(bed, serverNs, 4, file4);
        const server6 = await pair.v6(bed, serverNs, 6, file6);
        try {
          // Multicast from the client's link: the server has joined ff02::1:2, no address of the
          // client's link is tentative.
          await waitForDhcpSocket(bed, link, 6);
          answers[who] = JSON.parse(
            bed.exec(relayNs, process.execPath, [client, queriesFile], 60_000),
          ) as (Answer4o6 | null)[];
          const counted: Record<string, number> = {};
          for (const [family, names] of [
            [4, STATS4],
            [6, STATS6],
          ] as const) {
            const socket = join(bed.dir, who, `v${family}.sock`);
            await waitForControl(socket, family === 4 ? server4 : server6);
            for (const name of names) counted[name] = await statistic(socket, name);
          }
          stats[who] = counted;
        } finally {
          await server6.stop();
          await server4.stop();
        }
        leases[who] = readCsvRows(leaseFile, LEASE_COLUMNS);
      }
      const kea = answers.kea!;

      // What Kea answered is what this test expects (a check that the scenario shows something).
      const all = `Kea's answers:\n${JSON.stringify(kea)}`;
      assert.equal(kea[0]?.type6, 21, all);
      assert.equal(kea[0]?.relayed, false);
      assert.equal(kea[0]?.v4?.type, 2);
      assert.equal(kea[0]?.v4?.yiaddr, "198.51.100.10");
      assert.equal(kea[1]?.v4?.type, 5);
      assert.equal(kea[2]?.v4?.flags, 0x8000);
      assert.equal(kea[2]?.v4?.options["61"], "01020000000a02");
      assert.equal(kea[3]?.relayed, true);
      assert.equal(kea[3]?.interfaceId, "relay-7");
      assert.equal(kea[3]?.v4?.yiaddr, "203.0.113.10");
      assert.equal(kea[4]?.v4?.type, 5);
      assert.equal(kea[5]?.v4?.yiaddr, "198.18.0.10");
      assert.equal(kea[6]?.v4?.yiaddr, "198.51.100.12");
      assert.equal(kea[7]?.v4?.type, 5);
      assert.equal(kea[7]?.v4?.ciaddr, "198.51.100.10");
      assert.equal(kea[8]?.v4?.yiaddr, "198.51.100.13", "by multicast: the interface's subnet");
      assert.equal(kea[9], null);
      assert.equal(kea[10], null);
      assert.equal(kea[11], null);
      assert.equal(kea[12]?.type6, 7);
      assert.equal(kea[12]?.relayed, true);
      assert.equal(kea[12]?.options6["88"], "20010db8000100000000000000000001");

      const byAddress = (rows: Record<string, string>[]) =>
        [...rows].sort((a, b) => a["address"]!.localeCompare(b["address"]!));
      // Two leases granted, one renewed, one released (its row of lifetime 0).
      assert.equal(leases.kea!.length, 4, `Kea's lease rows: ${JSON.stringify(leases.kea)}`);
      assert.equal(leases.kea![3]!["valid_lifetime"], "0");
      assert.equal(stats.kea!["pkt6-dhcpv4-query-received"], 12, JSON.stringify(stats.kea));
      assert.equal(stats.kea!["pkt6-dhcpv4-response-sent"], 9);
      assert.equal(stats.kea!["pkt4-offer-sent"], 6);
      assert.equal(stats.kea!["pkt4-release-received"], 1);
      assert.equal(stats.kea!["pkt4-receive-drop"], 1, "the BOOTP request");
      for (const pair of pairs.slice(1)) {
        assert.deepEqual(
          stats[pair.name],
          stats.kea,
          `${pair.name}: the statistics differ from Kea's`,
        );
        const theirs = answers[pair.name]!;
        QUERIES.forEach((q, i) => {
          assert.deepEqual(
            theirs[i],
            kea[i],
            `exchange ${i} (${JSON.stringify(q)}): ${pair.name} and Kea 2.2's pair differ`,
          );
        });
        assert.deepEqual(
          byAddress(leases[pair.name]!),
          byAddress(leases.kea!),
          `${pair.name}: the DHCPv4 lease file differs from Kea's`,
        );
      }
    } finally {
      await bed.close();
    }
  },
);
