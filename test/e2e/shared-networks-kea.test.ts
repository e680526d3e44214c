/**
 * Shared networks, nestor-dhcp4 / nestor-dhcp6 against Kea 2.2 (Debian's kea-dhcp4 and
 * kea-dhcp6): the same configuration given unchanged to both servers, the same queries sent to
 * each, the answers compared field by field and option by option, and the leases each server's
 * lease file holds at the end compared row by row (address, client, subnet id, lifetime).
 *
 * Each scenario shows: the network selected through any of its subnets (a relay address at the
 * network level, a subnet's own relay, the network's interface for direct clients), allocation
 * moving to the next subnet of the network when one is exhausted, a subnet closed to the client's
 * classes skipped, a client keeping its lease when it comes back through another subnet of the
 * network, its renewal there honoured, a reservation in another subnet of the network found, and
 * the network's options and timers between the subnet's and the globals.
 *
 *   relayed:  relay ns [veth 198.51.100.254/24, .253/24] ---- [veth 198.51.100.1/24] server ns
 *   direct:   client ns [veth, no address] ---- [veth 203.0.113.1/24] server ns
 *   (DHCPv6 alike with 2001:db8::/32 addresses)
 *
 * Needs root, iproute2, kea-dhcp4 and kea-dhcp6 (Debian: kea-dhcp4-server, kea-dhcp6-server) and
 * python3-scapy (the DHCPv4 direct client).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

import { Pkt4 } from "../../src/dhcp/pkt4.ts";
import { keaPrerequisite, serverRelayLink } from "./lib/kea.ts";
import { leaseView, queriesToBoth } from "./lib/queries4-both.ts";
import { requirePrerequisites, TestBed } from "./lib/netns.ts";
import type { DirectAnswer6, DirectQuery6 } from "./lib/proc6-queries.ts";
import type { Query4 } from "./lib/relay4-queries.ts";
import { clientLink, leaseColumnsAtEnd, queriesToBothDirect } from "./lib/shared-networks-both.ts";

const DISCOVER = 1;
const REQUEST = 3;
const ip4 = (a: string) => Buffer.from(a.split(".").map(Number)).toString("hex");
const hex = (s: string) => Buffer.from(s).toString("hex");
const PRL: [number, string] = [55, "0103060f33"];
const requested = (a: string): [number, string] => [50, ip4(a)];
const serverId = (a: string): [number, string] => [54, ip4(a)];
const vendor = (s: string): [number, string] => [60, hex(s)];
const LEASE_COLUMNS = ["hwaddr", "client_id", "valid_lifetime", "subnet_id", "state"] as const;

function keaLogger(family: 4 | 6) {
  return [{ name: `kea-dhcp${family}`, output_options: [{ output: "stdout" }], severity: "INFO" }];
}

// ---------------------------------------------------------------------------------------------
// DHCPv4, relayed

const SERVER = "198.51.100.1";
const GIADDR = "198.51.100.254";
const GIADDR2 = "198.51.100.253";
const GIADDR3 = "198.51.100.252";

/** The Dhcp4 map (queriesToBoth adds the lease file, control socket and loggers). */
function relayed4(ifname: string): Record<string, unknown> {
  return {
    "interfaces-config": { interfaces: [ifname], "dhcp-socket-type": "udp" },
    "valid-lifetime": 4000,
    "client-classes": [{ name: "phones", test: "substring(option[60].hex,0,6) == 'Aastra'" }],
    "shared-networks": [
      {
        name: "lab",
        relay: { "ip-addresses": [GIADDR] },
        authoritative: true,
        "valid-lifetime": 3000,
        "renew-timer": 1000,
        "rebind-timer": 2000,
        "option-data": [
          { name: "domain-name", data: "lab.example" },
          { name: "routers", data: "203.0.113.254" },
        ],
        subnet4: [
          {
            id: 1,
            subnet: "203.0.113.0/26",
            pools: [{ pool: "203.0.113.10 - 203.0.113.12" }],
            "option-data": [{ name: "routers", data: "203.0.113.1" }],
          },
          {
            id: 2,
            subnet: "203.0.113.64/26",
            "client-class": "phones",
            pools: [{ pool: "203.0.113.70 - 203.0.113.79" }],
            "option-data": [{ name: "routers", data: "203.0.113.65" }],
          },
          {
            id: 3,
            subnet: "203.0.113.128/26",
            // Its own relay: a second link of the same network.
            relay: { "ip-addresses": [GIADDR2] },
            "valid-lifetime": 2500,
            pools: [{ pool: "203.0.113.130 - 203.0.113.139" }],
            reservations: [{ "hw-address": "02:00:00:00:00:09", "ip-address": "203.0.113.140" }],
          },
        ],
      },
    ],
    // GIADDR is inside these subnets' prefixes: the network's relay address wins. GIADDR3 is
    // in both: Kea looks at subnets by increasing id, whatever their order here.
    subnet4: [
      {
        id: 5,
        subnet: "198.51.100.128/25",
        pools: [{ pool: "198.51.100.130 - 198.51.100.139" }],
      },
      { id: 4, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.19" }] },
    ],
  };
}

const mac = (n: number) => `02:00:00:00:00:0${n}`;
const sid = serverId(SERVER);

const QUERIES4: Query4[] = [
  // 0-3: the first subnet's three addresses taken.
  { type: DISCOVER, mac: mac(1), options: [PRL] },
  { type: REQUEST, mac: mac(1), options: [requested("203.0.113.10"), sid, PRL] },
  { type: REQUEST, mac: mac(2), options: [requested("203.0.113.11"), sid, PRL] },
  { type: REQUEST, mac: mac(3), options: [requested("203.0.113.12"), sid, PRL] },
  // 4: a phone: the first subnet is full, the phones' subnet is next.
  { type: DISCOVER, mac: mac(5), options: [vendor("Aastra 6757i"), PRL] },
  // 5-6: another client: the phones' subnet is skipped, the third subnet serves it.
  { type: DISCOVER, mac: mac(4), options: [PRL] },
  { type: REQUEST, mac: mac(4), options: [requested("203.0.113.130"), sid, PRL] },
  // 7: client 2 comes through the third subnet's relay: offered its lease of the first subnet.
  { type: DISCOVER, mac: mac(2), giaddr: GIADDR2, options: [PRL] },
  // 8: and renews it there (ciaddr, no server identifier).
  { type: REQUEST, mac: mac(2), giaddr: GIADDR2, ciaddr: "203.0.113.11", options: [PRL] },
  // 9: client 1 asks for its address of the first subnet through the third subnet's relay.
  { type: REQUEST, mac: mac(1), giaddr: GIADDR2, options: [requested("203.0.113.10"), sid, PRL] },
  // 10-11: a reservation of the third subnet, found through the network's relay.
  { type: DISCOVER, mac: mac(9), options: [PRL] },
  { type: REQUEST, mac: mac(9), options: [requested("203.0.113.140"), sid, PRL] },
  // 12: a client that is no phone asks for a phones' address: refused.
  { type: REQUEST, mac: mac(6), options: [requested("203.0.113.75"), sid, PRL] },
  // 13: the next client, from the subnet the allocator used last.
  { type: DISCOVER, mac: mac(7), options: [PRL] },
  // 14: a relay no subnet names, inside two subnets' prefixes: the one of the lower id.
  { type: DISCOVER, mac: mac(8), giaddr: GIADDR3, options: [PRL] },
];

test(
  "shared networks, DHCPv4 relayed: nestor-dhcp4 answers and stores as Kea 2.2 does",
  { timeout: 240_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    const bed = new TestBed("shared networks v4 relayed: nestor-dhcp4 and kea-dhcp4 side by side");
    try {
      const { serverNs, relayNs, serverIf, relayIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
      bed.exec(relayNs, "ip", ["addr", "add", `${GIADDR2}/24`, "dev", relayIf]);
      bed.exec(relayNs, "ip", ["addr", "add", `${GIADDR3}/24`, "dev", relayIf]);
      const statistics = [1, 2, 3, 4, 5].flatMap((id) =>
        ["total-addresses", "assigned-addresses", "cumulative-assigned-addresses"].map(
          (n) => `subnet[${id}].${n}`,
        ),
      );
      const both = await queriesToBoth(bed, {
        serverNs,
        relayNs,
        relayAddress: GIADDR,
        server: SERVER,
        queries: QUERIES4,
        dhcp4: () => relayed4(serverIf),
        statistics,
      });
      const kea = both.kea.answers;
      const nestor = both.nestor.answers;
      const show = `Kea:\n${JSON.stringify(kea)}\nNestor:\n${JSON.stringify(nestor)}`;

      // What Kea answered is what this test is about.
      assert.equal(kea[0]?.yiaddr, "203.0.113.10", show);
      assert.equal(kea[0]?.options["3"], ip4("203.0.113.1"), "the subnet's routers");
      assert.equal(kea[0]?.options["15"], hex("lab.example"), "the network's domain name");
      assert.equal(kea[0]?.options["51"], "00000bb8", "the network's lifetime, 3000");
      assert.equal(kea[3]?.type, 5);
      assert.equal(kea[4]?.yiaddr, "203.0.113.70", `a phone, in the phones' subnet: ${show}`);
      assert.equal(kea[5]?.yiaddr, "203.0.113.130", `the phones' subnet skipped: ${show}`);
      assert.equal(kea[5]?.options["51"], "000009c4", "the third subnet's lifetime, 2500");
      assert.equal(kea[5]?.options["3"], ip4("203.0.113.254"), "the network's routers");
      assert.equal(kea[7]?.yiaddr, "203.0.113.11", `the client keeps its lease: ${show}`);
      assert.equal(kea[8]?.type, 5, `renewed through the other link: ${show}`);
      assert.equal(kea[9]?.type, 5, show);
      assert.equal(kea[10]?.yiaddr, "203.0.113.140", `the reservation: ${show}`);
      assert.equal(kea[14]?.yiaddr, "198.51.100.10", `by subnet id: ${show}`);

      QUERIES4.forEach((q, i) => {
        assert.deepEqual(nestor[i], kea[i], `query ${i} (${JSON.stringify(q)}):\n${show}`);
      });

      // Statistics per subnet, as Kea keeps them.
      assert.equal(both.kea.stats["subnet[1].assigned-addresses"], 3);
      assert.equal(both.kea.stats["subnet[3].assigned-addresses"], 2);
      assert.deepEqual(both.nestor.stats, both.kea.stats);

      const k = new Map([...both.kea.leases].map(([a, l]) => [a, leaseView(l)]));
      const n = new Map([...both.nestor.leases].map(([a, l]) => [a, leaseView(l)]));
      assert.equal(k.get("203.0.113.11")?.subnetId, 1, "the lease stays in its subnet");
      assert.equal(k.get("203.0.113.140")?.subnetId, 3);
      assert.deepEqual(n, k, "the leases each lease file holds");
    } finally {
      await bed.close();
    }
  },
);

// ---------------------------------------------------------------------------------------------
// DHCPv4, direct

const D_SERVER = "203.0.113.1";
const D_MAC = "02:00:00:00:02:01";
const type4 = (t: string): [number, string] => [53, t];

function direct4(leaseFile: string, ifname: string, socket: string): object {
  return {
    Dhcp4: {
      "interfaces-config": { interfaces: [ifname] },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "control-socket": { "socket-type": "unix", "socket-name": socket },
      "valid-lifetime": 4000,
      "shared-networks": [
        {
          name: "wire",
          interface: ifname,
          "renew-timer": 900,
          subnet4: [
            {
              id: 1,
              subnet: "203.0.113.0/26",
              pools: [{ pool: "203.0.113.10 - 203.0.113.11" }],
              "option-data": [{ name: "routers", data: D_SERVER }],
            },
            {
              id: 2,
              subnet: "203.0.113.64/26",
              pools: [{ pool: "203.0.113.70 - 203.0.113.79" }],
              "option-data": [{ name: "routers", data: "203.0.113.65" }],
            },
          ],
        },
      ],
      loggers: keaLogger(4),
    },
  };
}

function scapyPrerequisite(): void {
  const r = spawnSync("/usr/bin/python3", ["-c", "import scapy.all"], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(
      `/usr/bin/python3 cannot import scapy: install with: apt-get install -y python3-scapy\n${r.stderr}`,
    );
  }
}

interface Frame4 {
  eth_src: string;
  eth_dst: string;
  ip_src: string;
  ip_dst: string;
  sport: number;
  dport: number;
  hex: string;
}

/** A reply as compared: where it went and the DHCP message's fields and options. */
function seen4(r: Frame4 | null) {
  if (r === null) return null;
  const p = Pkt4.parse(Buffer.from(r.hex, "hex"));
  const options: Record<string, string> = {};
  for (const o of p.getOptions()) options[String(o.getType())] = o.getData().toString("hex");
  return {
    to: `${r.ip_src}:${r.sport} > ${r.ip_dst}:${r.dport} at ${r.eth_dst}`,
    type: p.getType(),
    yiaddr: p.yiaddr,
    chaddr: p.getHWAddr().toText(false),
    options,
  };
}

test(
  "shared networks, DHCPv4 direct: the network's interface, allocation across its subnets, as Kea 2.2",
  { timeout: 240_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
    scapyPrerequisite();
    const bed = new TestBed("shared networks v4 direct: nestor-dhcp4 and kea-dhcp4 side by side");
    try {
      const link = clientLink(bed, `${D_SERVER}/24`, null, D_MAC);
      const macs = ["02:00:00:00:02:01", "02:00:00:00:02:02", "02:00:00:00:02:03"];
      const from = (m: string, xid: number) => ({ eth_src: D_MAC, mac: m, xid });
      const sidD = serverId(D_SERVER);
      const queries = [
        { ...from(macs[0]!, 0x201), options: [type4("01"), PRL] },
        { ...from(macs[0]!, 0x202), options: [type4("03"), requested("203.0.113.10"), sidD, PRL] },
        { ...from(macs[1]!, 0x203), options: [type4("03"), requested("203.0.113.11"), sidD, PRL] },
        // The first subnet is full: the second one of the network.
        { ...from(macs[2]!, 0x204), options: [type4("01"), PRL] },
        { ...from(macs[2]!, 0x205), options: [type4("03"), requested("203.0.113.70"), sidD, PRL] },
        // Client 3 in INIT-REBOOT with its address of the second subnet: ACK.
        { ...from(macs[2]!, 0x206), options: [type4("03"), requested("203.0.113.70"), PRL] },
        // Client 1 asks again: its lease of the first subnet.
        { ...from(macs[0]!, 0x207), options: [type4("01"), PRL] },
      ];
      const run = await queriesToBothDirect<Frame4>(
        bed,
        link,
        4,
        (leaseFile, socket) => direct4(leaseFile, link.serverIf, socket),
        queries,
        [1, 2].flatMap((id) =>
          ["total-addresses", "assigned-addresses"].map((n) => `subnet[${id}].${n}`),
        ),
      );
      const k = run.answers.kea.map(seen4);
      const n = run.answers.nestor.map(seen4);
      const show = `Kea:\n${JSON.stringify(k, null, 1)}\nNestor:\n${JSON.stringify(n, null, 1)}`;
      assert.equal(k[0]?.yiaddr, "203.0.113.10", show);
      assert.equal(k[2]?.type, 5, show);
      assert.equal(k[3]?.yiaddr, "203.0.113.70", `the next subnet of the network: ${show}`);
      assert.equal(k[3]?.options["3"], ip4("203.0.113.65"), "its own routers");
      assert.equal(k[3]?.options["58"], "00000384", "the network's renew-timer, 900");
      assert.equal(k[5]?.type, 5, show);
      assert.equal(k[6]?.yiaddr, "203.0.113.10", show);
      for (let i = 0; i < queries.length; i++) assert.deepEqual(n[i], k[i], `query ${i}:\n${show}`);
      assert.equal(run.stats.kea["subnet[2].assigned-addresses"], 1);
      assert.deepEqual(run.stats.nestor, run.stats.kea, "the statistics per subnet");
      const cols = [...LEASE_COLUMNS];
      assert.deepEqual(
        leaseColumnsAtEnd(run.leases.nestor, cols),
        leaseColumnsAtEnd(run.leases.kea, cols),
      );
    } finally {
      await bed.close();
    }
  },
);

// ---------------------------------------------------------------------------------------------
// DHCPv6

const SOLICIT = 1;
const REQUEST6 = 3;
const RENEW = 5;
const oro = (...codes: number[]): [number, string] => [
  6,
  codes.map((c) => c.toString(16).padStart(4, "0")).join(""),
];
const ORO: [number, string] = oro(23, 24);
const duid = (n: string) => `00020000098d000000${n}`;
const SERVER6 = "2001:db8:1::2";
const STATS6 = [1, 2, 3].flatMap((id) =>
  ["total-nas", "assigned-nas", "cumulative-assigned-nas", "total-pds", "assigned-pds"].map(
    (n) => `subnet[${id}].${n}`,
  ),
);
const LINK_A = "2001:db8:1::1";
const LINK_C = "2001:db8:c::1";

function relayed6(leaseFile: string, ifname: string, socket: string): object {
  return {
    Dhcp6: {
      // Relays send to the server's global address: listened to as a unicast address.
      "interfaces-config": { interfaces: [`${ifname}/${SERVER6}`] },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "control-socket": { "socket-type": "unix", "socket-name": socket },
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      "client-classes": [{ name: "gold", test: `option[1].hex == 0x${duid("99")}` }],
      "shared-networks": [
        {
          name: "lab6",
          relay: { "ip-addresses": [LINK_A] },
          "preferred-lifetime": 2000,
          "valid-lifetime": 2500,
          "option-data": [{ name: "domain-search", data: "lab.example." }],
          subnet6: [
            {
              id: 1,
              subnet: "2001:db8:a::/64",
              pools: [{ pool: "2001:db8:a::10 - 2001:db8:a::10" }],
              "option-data": [{ name: "dns-servers", data: "2001:db8:a::53" }],
            },
            {
              id: 2,
              subnet: "2001:db8:b::/64",
              "client-class": "gold",
              pools: [{ pool: "2001:db8:b::10 - 2001:db8:b::1f" }],
            },
            {
              id: 3,
              subnet: "2001:db8:c::/64",
              "valid-lifetime": 2400,
              pools: [{ pool: "2001:db8:c::10 - 2001:db8:c::1f" }],
              reservations: [{ duid: duid("77"), "ip-addresses": ["2001:db8:c::99"] }],
            },
          ],
        },
      ],
      loggers: keaLogger(6),
    },
  };
}

test(
  "shared networks, DHCPv6 relayed: nestor-dhcp6 answers and stores as Kea 2.2 does",
  { timeout: 240_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const bed = new TestBed(
      "shared networks v6 relayed: nestor-dhcp6 and kea-dhcp6 side by side",
      "sn6",
    );
    try {
      const server = SERVER6;
      const link = clientLink(bed, `${server}/64`, "2001:db8:1::100/64", "02:00:00:00:06:01");
      const via = (l: string) => ({ to: server, relay: { link: l, peer: "fe80::1" } });
      const q = (
        t: number,
        d: string,
        l: string,
        hints?: string[],
        extra: Partial<DirectQuery6> = {},
      ): DirectQuery6 => ({
        type: t,
        duid: duid(d),
        ias: [{ iaid: 1, ...(hints === undefined ? {} : { hints }) }],
        options: [ORO],
        ...(t === SOLICIT ? {} : { serverId: true }),
        ...via(l),
        ...extra,
      });
      const queries: DirectQuery6[] = [
        // 0-1: the first subnet's one address.
        q(SOLICIT, "01", LINK_A),
        q(REQUEST6, "01", LINK_A, ["2001:db8:a::10"]),
        // 2-3: a gold client: the first subnet is full, the gold subnet is next.
        q(SOLICIT, "99", LINK_A),
        q(REQUEST6, "99", LINK_A, ["2001:db8:b::10"]),
        // 4-5: another client: the gold subnet skipped, the third subnet serves it.
        q(SOLICIT, "02", LINK_A),
        q(REQUEST6, "02", LINK_A, ["2001:db8:c::10"]),
        // 6: client 1 renews through a link in the third subnet: its lease of the first.
        q(RENEW, "01", LINK_C, ["2001:db8:a::10"]),
        // 7: and solicits there: offered its lease again.
        q(SOLICIT, "01", LINK_C),
        // 8: a reservation of the third subnet, found through the network's relay.
        q(SOLICIT, "77", LINK_A),
        // 9: a client asking for an address of the third subnet through the network's relay.
        q(REQUEST6, "03", LINK_A, ["2001:db8:c::15"]),
      ];
      const run = await queriesToBothDirect<DirectAnswer6>(
        bed,
        link,
        6,
        (leaseFile, socket) => relayed6(leaseFile, link.serverIf, socket),
        queries,
        STATS6,
      );
      const k = run.answers.kea;
      const n = run.answers.nestor;
      const show = `Kea:\n${JSON.stringify(k, null, 1)}\nNestor:\n${JSON.stringify(n, null, 1)}`;
      assert.match(k[0]?.ias[0]?.leases[0] ?? "", /^2001:db8:a::10 2000 2500$/, show);
      assert.equal(k[0]?.options["23"], "20010db8000a00000000000000000053", "the subnet's DNS");
      assert.ok(k[0]?.options["24"] !== undefined, "the network's domain search");
      assert.match(k[2]?.ias[0]?.leases[0] ?? "", /^2001:db8:b::10 /, `gold: ${show}`);
      assert.match(k[4]?.ias[0]?.leases[0] ?? "", /^2001:db8:c::10 2000 2400$/, show);
      assert.match(k[6]?.ias[0]?.leases[0] ?? "", /^2001:db8:a::10 /, `renewed: ${show}`);
      assert.match(k[7]?.ias[0]?.leases[0] ?? "", /^2001:db8:a::10 /, `kept: ${show}`);
      for (let i = 0; i < queries.length; i++) assert.deepEqual(n[i], k[i], `query ${i}:\n${show}`);
      assert.equal(run.stats.kea["subnet[3].assigned-nas"], 2);
      assert.deepEqual(run.stats.nestor, run.stats.kea, "the statistics per subnet");
      const cols = ["duid", "iaid", "valid_lifetime", "subnet_id", "lease_type", "state"];
      assert.deepEqual(
        leaseColumnsAtEnd(run.leases.nestor, cols),
        leaseColumnsAtEnd(run.leases.kea, cols),
      );
    } finally {
      await bed.close();
    }
  },
);

function direct6(leaseFile: string, ifname: string, socket: string): object {
  return {
    Dhcp6: {
      "interfaces-config": { interfaces: [ifname] },
      "lease-database": { type: "memfile", name: leaseFile, persist: true, "lfc-interval": 0 },
      "control-socket": { "socket-type": "unix", "socket-name": socket },
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      "shared-networks": [
        {
          name: "wire6",
          interface: ifname,
          "rapid-commit": true,
          subnet6: [
            {
              id: 1,
              subnet: "2001:db8:a::/64",
              pools: [{ pool: "2001:db8:a::10 - 2001:db8:a::11" }],
              // One prefix to delegate.
              "pd-pools": [{ prefix: "2001:db8:1a::", "prefix-len": 56, "delegated-len": 56 }],
            },
            {
              id: 2,
              subnet: "2001:db8:b::/64",
              "preferred-lifetime": 1000,
              pools: [{ pool: "2001:db8:b::10 - 2001:db8:b::1f" }],
              "pd-pools": [{ prefix: "2001:db8:1b::", "prefix-len": 48, "delegated-len": 56 }],
              "option-data": [{ name: "dns-servers", data: "2001:db8:b::53" }],
            },
          ],
        },
      ],
      loggers: keaLogger(6),
    },
  };
}

test(
  "shared networks, DHCPv6 direct: the network's interface and rapid-commit, allocation across its subnets, as Kea 2.2",
  { timeout: 240_000 },
  async () => {
    requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(6)]);
    const bed = new TestBed(
      "shared networks v6 direct: nestor-dhcp6 and kea-dhcp6 side by side",
      "sd6",
    );
    try {
      const link = clientLink(bed, "2001:db8:a::1/64", null, "02:00:00:00:06:02");
      const mc = `ff02::1:2%${link.clientIf}`;
      const q = (t: number, d: string, extra: Partial<DirectQuery6> = {}): DirectQuery6 => ({
        type: t,
        duid: duid(d),
        ias: [{ iaid: 7 }],
        options: [oro(23)],
        to: mc,
        ...extra,
      });
      const rapid: [number, string] = [14, ""];
      const queries: DirectQuery6[] = [
        // 0-1: the network's rapid-commit: REPLY at once; the first subnet filled.
        q(SOLICIT, "11", { options: [oro(23), rapid] }),
        q(SOLICIT, "12", { options: [oro(23), rapid] }),
        // 2: the next subnet of the network.
        q(SOLICIT, "13", { options: [oro(23), rapid] }),
        // 3: a client without rapid commit: ADVERTISE, from the subnet used last.
        q(SOLICIT, "14"),
        // 4: client 11 renews its lease.
        q(RENEW, "11", { serverId: true, ias: [{ iaid: 7, hints: ["2001:db8:a::10"] }] }),
        // 5-7: prefixes: the first subnet's one, then the next subnet's.
        q(SOLICIT, "21", { ias: [{ pd: true, iaid: 9 }], options: [oro(23), rapid] }),
        q(SOLICIT, "22", { ias: [{ pd: true, iaid: 9 }], options: [oro(23), rapid] }),
        q(SOLICIT, "23", { ias: [{ pd: true, iaid: 9 }] }),
      ];
      const run = await queriesToBothDirect<DirectAnswer6>(
        bed,
        link,
        6,
        (leaseFile, socket) => direct6(leaseFile, link.serverIf, socket),
        queries,
        STATS6,
      );
      const k = run.answers.kea;
      const n = run.answers.nestor;
      const show = `Kea:\n${JSON.stringify(k, null, 1)}\nNestor:\n${JSON.stringify(n, null, 1)}`;
      assert.equal(k[0]?.type, 7, `rapid commit from the network: ${show}`);
      assert.match(k[2]?.ias[0]?.leases[0] ?? "", /^2001:db8:b::10 1000 4000$/, show);
      assert.equal(k[2]?.options["23"], "20010db8000b00000000000000000053");
      assert.match(k[5]?.ias[0]?.leases[0] ?? "", /^2001:db8:1a::\/56 /, show);
      assert.match(k[6]?.ias[0]?.leases[0] ?? "", /^2001:db8:1b::\/56 /, show);
      for (let i = 0; i < queries.length; i++) assert.deepEqual(n[i], k[i], `query ${i}:\n${show}`);
      assert.equal(run.stats.kea["subnet[2].assigned-nas"], 1);
      assert.deepEqual(run.stats.nestor, run.stats.kea, "the statistics per subnet");
      const cols = ["duid", "iaid", "valid_lifetime", "subnet_id", "state"];
      assert.deepEqual(
        leaseColumnsAtEnd(run.leases.nestor, cols),
        leaseColumnsAtEnd(run.leases.kea, cols),
      );
    } finally {
      await bed.close();
    }
  },
);
