/**
 * The bootp library end to end, against Kea 2.2's own libdhcp_bootp.so:
 *
 *   client ns [veth, scapy BOOTP client / udhcpc] ---- [veth 198.51.100.1/24] server ns
 *
 * One configuration file, naming Kea's `libdhcp_bootp.so` in `hooks-libraries`, is given first to
 * Debian's kea-dhcp4 (which loads its shared object) and then, unchanged, to nestor-dhcp4 (which
 * loads hooks/bootp in its place). The same BOOTP requests, built and sent by scapy from
 * 0.0.0.0:68 to 255.255.255.255:67, go to each; the replies captured in the client namespace are
 * compared field by field and option by option, and so are the leases each server wrote to its
 * lease file, and the packet statistics (statistic-get over each server's unix control socket).
 * Scenarios: Kea's ARM layout (a pool for class BOOTP, one for the rest), after which udhcpc, a
 * DHCP client, gets an ordinary lease from nestor-dhcp4 with the library loaded; edge cases
 * (DHCP options in a BOOTP request, RFC 951, a BOOTREPLY, malformed requests, an exhausted
 * pool); BOOTP through ISC dhcrelay.
 *
 * Needs root, iproute2, kea-dhcp4-server (kea-dhcp4 and its hooks directory), python3-scapy
 * (run as /usr/bin/python3), udhcpc and isc-dhcp-relay; a missing one fails the test and says
 * what to install.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { Udhcpc } from "../../../../test/e2e/lib/clients.ts";
import { controlCommand } from "../../../../test/e2e/lib/control-client.ts";
import { DHCRELAY, relayedLinks } from "../../../../test/e2e/lib/dhcrelay.ts";
import { keaPrerequisite, requireKeaHookLibrary, startKea } from "../../../../test/e2e/lib/kea.ts";
import {
  leaseRow,
  readLeaseRows,
  startNestor,
  type LeaseRow,
} from "../../../../test/e2e/lib/nestor.ts";
import { addressOn, requirePrerequisites, TestBed } from "../../../../test/e2e/lib/netns.ts";
import { optionCodes, parseWire, type WireReply } from "../wire.ts";

const SCAPY_CLIENT = fileURLToPath(new URL("./bootp_client.py", import.meta.url));
const PYTHON = "/usr/bin/python3";
const INFINITY = 0xffffffff;

const MAC_CLIENT = "02:42:b0:07:00:01";
const MAC_RESERVED = "02:42:b0:07:00:02";
const MAC_SECOND = "02:42:b0:07:00:03";

function prerequisites(): { library: string } {
  requirePrerequisites([
    { program: "ip", debianPackage: "iproute2" },
    keaPrerequisite(4),
    { program: "udhcpc", debianPackage: "udhcpc" },
  ]);
  const scapy = spawnSync(PYTHON, ["-c", "import scapy.all"], { encoding: "utf8" });
  if (scapy.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import scapy: install with: apt-get install -y python3-scapy\n${scapy.stderr}`,
    );
  }
  return { library: requireKeaHookLibrary("libdhcp_bootp.so", "kea-dhcp4-server") };
}

/** Subnet and global settings of one scenario; the rest of the configuration is common. */
interface Scenario {
  /** Through ISC dhcrelay (giaddr 203.0.113.1) instead of on the server's link. */
  relayed?: boolean;
  pools: Record<string, unknown>[];
  subnet?: Record<string, unknown>;
  global?: Record<string, unknown>;
}

/** The one configuration both servers run: Kea's syntax, Kea's library name. */
function writeConfig(
  file: string,
  serverIf: string,
  leaseFile: string,
  library: string,
  scenario: Scenario,
): void {
  const config = {
    Dhcp4: {
      "interfaces-config": { interfaces: [serverIf] },
      "control-socket": { "socket-type": "unix", "socket-name": controlSocket(file) },
      "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
      "valid-lifetime": 600,
      "renew-timer": 300,
      "rebind-timer": 500,
      "hooks-libraries": [{ library }],
      "option-data": [
        { name: "domain-name-servers", data: "198.51.100.53, 198.51.100.54" },
        { name: "domain-name", data: "bootp.example" },
      ],
      ...scenario.global,
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          pools: scenario.pools,
          "option-data": [{ name: "routers", data: "198.51.100.1" }],
          ...scenario.subnet,
        },
      ],
      loggers: [
        {
          name: "kea-dhcp4",
          output_options: [{ output: "stdout" }],
          severity: "INFO",
        },
      ],
    },
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}

/** The unix control socket of the server running `config` (beside it). */
function controlSocket(config: string): string {
  return join(dirname(config), "dhcp4.sock");
}

/** The packet statistics both servers keep, under Kea's names. */
const STATS = [
  "pkt4-received",
  "pkt4-request-received",
  "pkt4-unknown-received",
  "pkt4-parse-failed",
  "pkt4-receive-drop",
  "pkt4-sent",
  "pkt4-ack-sent",
  "pkt4-nak-sent",
  "cumulative-assigned-addresses",
  "subnet[1].assigned-addresses",
  "subnet[1].cumulative-assigned-addresses",
  "v4-allocation-fail",
  "v4-allocation-fail-subnet",
  "v4-allocation-fail-classes",
  "subnet[1].v4-allocation-fail",
  "subnet[1].v4-allocation-fail-subnet",
  "subnet[1].v4-allocation-fail-classes",
] as const;

/** The current values of STATS (0 for a statistic the server does not have). */
async function statistics(config: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of STATS) {
    const answer = await controlCommand(controlSocket(config), {
      command: "statistic-get",
      arguments: { name },
    });
    const samples = (answer.arguments as Record<string, [number, string][]> | undefined)?.[name];
    out[name] = samples?.[0]?.[0] ?? 0;
  }
  return out;
}

interface Captured {
  xid: number;
  hex: string;
  eth_dst: string;
  ip_src: string;
  ip_dst: string;
  sport: number;
  dport: number;
}

/** The requests of one round: a new client, the same client again, a reserved client, another. */
const QUERIES: Query[] = [
  { mac: MAC_CLIENT, xid: 0x0b007001, secs: 4 },
  { mac: MAC_CLIENT, xid: 0x0b007002 },
  { mac: MAC_RESERVED, xid: 0x0b007003 },
  { mac: MAC_SECOND, xid: 0x0b007004, options: [["name_server", "198.51.100.9"]] },
];

interface Query {
  mac: string;
  xid: number;
  secs?: number;
  op?: number;
  options?: unknown[];
  truncate?: number;
  corrupt?: [number, number][];
  timeout?: number;
}

function scapyRound(
  bed: TestBed,
  ns: string,
  iface: string,
  queries: readonly Query[],
): (Captured | null)[] {
  const out = bed.exec(ns, PYTHON, [SCAPY_CLIENT, JSON.stringify({ iface, queries })], 120_000);
  return (JSON.parse(out) as { replies: (Captured | null)[] }).replies;
}

/** Header fields that must be the same from both servers. */
const SAME_FIELDS = [
  "length",
  "op",
  "htype",
  "hlen",
  "hops",
  "xid",
  "secs",
  "flags",
  "ciaddr",
  "yiaddr",
  "siaddr",
  "giaddr",
  "chaddr",
  "sname",
  "file",
  "cookie",
] as const satisfies readonly (keyof WireReply)[];

/**
 * What may differ between the two servers' replies, and why. Empty: with a fresh pool both
 * allocators give the same addresses, both servers are 198.51.100.1, and the options are the
 * same. (Option 54, the server identifier, would differ between two hosts, but a BOOTP reply
 * does not carry it.)
 */
const MAY_DIFFER: readonly string[] = [];

function compareReplies(kea: WireReply, nestor: WireReply, what: string): void {
  for (const f of SAME_FIELDS) {
    if (MAY_DIFFER.includes(f)) continue;
    assert.deepEqual(nestor[f], kea[f], `${what}: ${f}`);
  }
  assert.deepEqual(optionCodes(nestor), optionCodes(kea), `${what}: option codes and order`);
  for (let i = 0; i < kea.options.length; i++) {
    const k = kea.options[i]!;
    if (MAY_DIFFER.includes(`option ${k.code}`)) continue;
    assert.equal(
      nestor.options[i]!.data.toString("hex"),
      k.data.toString("hex"),
      `${what}: option ${k.code} value`,
    );
  }
  assert.equal(nestor.padding.length, kea.padding.length, `${what}: padding after END`);
  assert.ok(nestor.padding.every((b) => b === 0) && kea.padding.every((b) => b === 0));
}

/** What a lease row says once the time it was written is taken out. */
function leaseShape(r: LeaseRow) {
  return {
    address: r.address,
    hwaddr: r.hwaddr,
    clientId: r.clientId,
    validLifetime: r.validLifetime,
    subnetId: r.subnetId,
    hostname: r.hostname,
    state: r.state,
  };
}

interface Run {
  replies: (Captured | null)[];
  stats: Record<string, number>;
  rows: LeaseRow[];
  /** When the requests were sent, in seconds. */
  start: number;
  output: string;
}

interface Both {
  bed: TestBed;
  clientNs: string;
  clientIf: string;
  leaseFile: string;
  kea: Run;
  nestor: Run;
}

interface Links {
  serverNs: string;
  clientNs: string;
  serverIf: string;
  clientIf: string;
}

/** client ns [c] ---- [198.51.100.1/24] server ns */
function directLink(bed: TestBed): Links {
  const serverNs = bed.namespace("srv");
  const clientNs = bed.namespace("cli");
  const { a: serverIf, b: clientIf } = bed.link(
    { ns: serverNs, role: "s", address: "198.51.100.1/24" },
    { ns: clientNs, role: "c", mac: MAC_CLIENT },
  );
  return { serverNs, clientNs, serverIf, clientIf };
}

/**
 * Kea then Nestor, each on the same configuration file and a fresh lease file, each sent the
 * same requests by scapy. Nestor is left running (the bed's close() stops it).
 */
async function runBoth(
  bed: TestBed,
  library: string,
  scenario: Scenario,
  queries: readonly Query[],
): Promise<Both> {
  const { serverNs, clientNs, serverIf, clientIf } =
    scenario.relayed === true ? await relayedLinks(bed, MAC_CLIENT) : directLink(bed);
  const leaseFile = join(bed.dir, "leases4.csv");
  const config = join(bed.dir, "kea-dhcp4.conf");
  writeConfig(config, serverIf, leaseFile, library, scenario);

  // Kea first, on the configuration as written.
  const keaProc = await startKea(bed, serverNs, 4, config);
  const keaStart = Math.floor(Date.now() / 1000);
  const keaReplies = scapyRound(bed, clientNs, clientIf, queries);
  const kea: Run = {
    replies: keaReplies,
    stats: await statistics(config),
    rows: readLeaseRows(leaseFile),
    start: keaStart,
    output: keaProc.output,
  };
  await keaProc.stop();
  assert.ok(kea.output.includes("BOOTP_LOAD"), `Kea loaded its bootp library:\n${kea.output}`);
  renameSync(leaseFile, join(bed.dir, "kea-leases4.csv"));

  // Then Nestor, on the very same file.
  const nestorProc = await startNestor(bed, serverNs, 4, config);
  const nestorStart = Math.floor(Date.now() / 1000);
  const nestorReplies = scapyRound(bed, clientNs, clientIf, queries);
  const nestor: Run = {
    replies: nestorReplies,
    stats: await statistics(config),
    rows: readLeaseRows(leaseFile),
    start: nestorStart,
    output: nestorProc.output,
  };
  assert.ok(nestor.output.includes("BOOTP_LOAD"), nestor.output);
  return { bed, clientNs, clientIf, leaseFile, kea, nestor };
}

/** Both answered alike, or both stayed silent; returns Nestor's replies taken apart. */
function compareRounds(b: Both, queries: readonly Query[]): (WireReply | null)[] {
  const out: (WireReply | null)[] = [];
  for (let i = 0; i < queries.length; i++) {
    const what = `request ${i + 1} (${queries[i]!.mac}, xid ${queries[i]!.xid})`;
    const k = b.kea.replies[i];
    const n = b.nestor.replies[i];
    if (k === null || k === undefined) {
      assert.equal(n, null, `${what}: Kea did not answer, Nestor must not either`);
      out.push(null);
      continue;
    }
    assert.ok(n, `${what}: Kea answered, Nestor must too\n${b.bed.describe()}`);
    const kw = parseWire(Buffer.from(k.hex, "hex"));
    const nw = parseWire(Buffer.from(n.hex, "hex"));
    // What a BOOTP client needs, from both: a 300-octet BOOTREPLY without DHCP options.
    for (const w of [kw, nw]) {
      assert.equal(w.length, 300, `${what}: 300 octets`);
      assert.equal(w.op, 2);
      for (const code of [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 61]) {
        assert.ok(!optionCodes(w).includes(code), `${what}: no option ${code}`);
      }
    }
    compareReplies(kw, nw, what);
    // Sent from the server's port to the client's port (addressing may use broadcast or the
    // new address; both deliver to the client, so only the ports are compared).
    assert.deepEqual([n.sport, n.dport], [k.sport, k.dport], `${what}: UDP ports`);
    out.push(nw);
  }
  return out;
}

/** The same lease rows in both files, infinite, written when the requests were answered. */
function compareLeases(b: Both): void {
  const { kea, nestor } = b;
  assert.deepEqual(
    nestor.rows.map(leaseShape),
    kea.rows.map(leaseShape),
    `lease files:\nKea:\n${JSON.stringify(kea.rows)}\nNestor:\n${JSON.stringify(nestor.rows)}`,
  );
  for (const run of [kea, nestor]) {
    for (const r of run.rows) {
      assert.equal(r.validLifetime, INFINITY);
      const cltt = r.expire - r.validLifetime;
      assert.ok(Math.abs(cltt - run.start) <= 30, `cltt ${cltt} near ${run.start}`);
    }
  }
}

test(
  "BOOTP requests get the same replies and the same leases from nestor-dhcp4 and Kea 2.2, BOOTP and DHCP pools apart",
  { timeout: 240_000 },
  async () => {
    const { library } = prerequisites();
    const bed = new TestBed("bootp: nestor-dhcp4 and kea-dhcp4 answer scapy's BOOTP requests");
    try {
      // Kea's ARM example: one pool for BOOTP clients, one for the others (class DHCP).
      const scenario: Scenario = {
        global: { "client-classes": [{ name: "DHCP", test: "not member('BOOTP')" }] },
        pools: [
          { pool: "198.51.100.200 - 198.51.100.210", "client-class": "BOOTP" },
          { pool: "198.51.100.10 - 198.51.100.50", "client-class": "DHCP" },
        ],
        subnet: {
          "next-server": "198.51.100.2",
          "boot-file-name": "boot/pxelinux.0",
          reservations: [{ "hw-address": MAC_RESERVED, "ip-address": "198.51.100.100" }],
        },
      };
      const b = await runBoth(bed, library, scenario, QUERIES);
      const replies = compareRounds(b, QUERIES);
      const yiaddrs = replies.map((w) => w?.yiaddr);
      assert.deepEqual(yiaddrs, [
        "198.51.100.200",
        "198.51.100.200",
        "198.51.100.100",
        "198.51.100.201",
      ]);
      assert.equal(replies[0]?.siaddr, "198.51.100.2");
      assert.equal(replies[0]?.file, "boot/pxelinux.0");
      compareLeases(b);
      // The same counters: BOOTP queries counted as REQUESTs received; their replies, sent
      // without a message type, only in pkt4-sent.
      assert.deepEqual(b.nestor.stats, b.kea.stats);
      assert.equal(b.kea.stats["pkt4-request-received"], QUERIES.length);
      assert.equal(b.kea.stats["pkt4-ack-sent"], 0);
      assert.equal(b.kea.rows.length, 3, "one row per client: the second request reused the lease");

      // A DHCP client on the same server, library loaded, gets an ordinary lease, from the
      // DHCP pool.
      const { clientNs, clientIf, leaseFile } = b;
      const udhcpcMac = "02:42:d0:07:00:09";
      bed.exec(clientNs, "ip", ["link", "set", clientIf, "address", udhcpcMac]);
      new Udhcpc(bed, clientNs, clientIf);
      const address = await addressOn(bed, clientNs, clientIf, "198.51.100.");
      const row = await leaseRow(
        bed,
        leaseFile,
        "udhcpc's lease row",
        (r) => r.hwaddr === udhcpcMac,
        10_000,
      );
      assert.equal(row.address, address);
      assert.equal(row.validLifetime, 600);
      assert.equal(address, "198.51.100.10");
    } finally {
      await bed.close();
    }
  },
);

test(
  "edge cases answered as Kea 2.2 answers them: DHCP options asked for, RFC 951, BOOTREPLY, malformed, pool exhausted",
  { timeout: 240_000 },
  async () => {
    const { library } = prerequisites();
    const bed = new TestBed("bootp: edge cases against kea-dhcp4");
    try {
      const queries: Query[] = [
        // A BOOTP client sending DHCP-specific options: a client identifier and a parameter
        // request list (Kea answers what is asked for, then strips the DHCP ones).
        {
          mac: "02:42:b0:07:01:01",
          xid: 0x0b017001,
          options: [
            ["client_id", "\u0001\u0002\u0042\u0030\u0007\u0001\u0001"],
            ["param_req_list", [1, 3, 6, 15, 28, 42, 51, 54]],
          ],
        },
        // RFC 951: the 236-octet header alone, no magic cookie (refused by both).
        { mac: "02:42:b0:07:01:02", xid: 0x0b017002, truncate: 236, timeout: 2 },
        // A BOOTREPLY is not a query.
        { mac: "02:42:b0:07:01:03", xid: 0x0b017003, op: 2, timeout: 2 },
        // Not a BOOTP/DHCP message: a wrong magic cookie.
        { mac: "02:42:b0:07:01:04", xid: 0x0b017004, corrupt: [[236, 0x64]], timeout: 2 },
        // Bytes other than zeros after END (an uninitialised vendor area), and an option running
        // past the end of the message: Kea's parser reads up to there, and so does the library
        // for a BOOTP request (Nestor's parser refuses both). The option before is read: the
        // NTP servers asked for come back.
        {
          mac: "02:42:b0:07:01:05",
          xid: 0x0b017005,
          options: [["param_req_list", [42]]],
          corrupt: [[260, 0x2a]],
        },
        {
          mac: "02:42:b0:07:01:06",
          xid: 0x0b017006,
          options: [
            ["param_req_list", [42]],
            ["domain", "x"],
          ],
          corrupt: [[244, 250]],
        },
        { mac: "02:42:b0:07:01:07", xid: 0x0b017007 },
        // The pool (4 addresses) is exhausted now: Kea's NAK, stripped to a BOOTREPLY.
        { mac: "02:42:b0:07:01:08", xid: 0x0b017008 },
      ];
      const b = await runBoth(
        bed,
        library,
        {
          pools: [{ pool: "198.51.100.10 - 198.51.100.13" }],
          subnet: {
            "server-hostname": "boot-srv",
            "option-data": [
              { name: "routers", data: "198.51.100.1" },
              { name: "ntp-servers", data: "198.51.100.123" },
            ],
          },
        },
        queries,
      );
      const replies = compareRounds(b, queries);
      assert.deepEqual(
        replies.map((w) => w?.yiaddr ?? null),
        [
          "198.51.100.10",
          null,
          null,
          null,
          "198.51.100.11",
          "198.51.100.12",
          "198.51.100.13",
          "0.0.0.0",
        ],
      );
      assert.equal(replies[0]?.sname, "boot-srv");
      for (const i of [4, 5]) {
        assert.ok(optionCodes(replies[i]!).includes(42), `request ${i + 1}: NTP servers`);
      }
      compareLeases(b);
      // The same counters, but one: Kea counts pkt4-received as a datagram arrives, Nestor
      // once it is parsed (Nestor's server, for every query), so Nestor's leaves out the parse
      // failures.
      const k = b.kea.stats;
      assert.deepEqual(b.nestor.stats, {
        ...k,
        "pkt4-received": k["pkt4-received"]! - k["pkt4-parse-failed"]!,
      });
      // Kea's library (and Nestor's) counted the bad cookie and the RFC 951 request; the server
      // dropped the BOOTREPLY.
      assert.equal(k["pkt4-parse-failed"], 2);
      assert.equal(k["pkt4-unknown-received"], 1);
      assert.equal(k["pkt4-receive-drop"], 3);
    } finally {
      await bed.close();
    }
  },
);

test(
  "relayed BOOTP requests (ISC dhcrelay) get the same replies and leases from nestor-dhcp4 and Kea 2.2",
  { timeout: 240_000 },
  async () => {
    const { library } = prerequisites();
    requirePrerequisites([DHCRELAY]);
    const bed = new TestBed("bootp: relayed BOOTP requests to nestor-dhcp4 and kea-dhcp4");
    try {
      const queries: Query[] = [
        { mac: "02:42:b0:07:02:01", xid: 0x0b027001 },
        { mac: "02:42:b0:07:02:02", xid: 0x0b027002, secs: 9 },
        { mac: "02:42:b0:07:02:01", xid: 0x0b027003 },
      ];
      const b = await runBoth(
        bed,
        library,
        {
          relayed: true,
          pools: [{ pool: "203.0.113.20 - 203.0.113.40" }],
          subnet: {
            subnet: "203.0.113.0/24",
            "option-data": [{ name: "routers", data: "203.0.113.1" }],
          },
        },
        queries,
      );
      const replies = compareRounds(b, queries);
      assert.deepEqual(
        replies.map((w) => [w?.yiaddr, w?.giaddr, w?.hops]),
        [
          ["203.0.113.20", "203.0.113.1", 1],
          ["203.0.113.21", "203.0.113.1", 1],
          ["203.0.113.20", "203.0.113.1", 1],
        ],
      );
      compareLeases(b);
      assert.deepEqual(b.nestor.stats, b.kea.stats);
    } finally {
      await bed.close();
    }
  },
);
