/**
 * nestor-dhcp4 with real DHCPv4 clients, as root, in network namespaces each test creates:
 *
 *   client ns [veth, no address] ---- [veth 198.51.100.1/24] server ns: nestor-dhcp4 on 67/68
 *
 * The server is the command line program an operator runs (`nestor-dhcp4 -c FILE`), with a Kea
 * configuration naming the veth, a memfile lease file in the test's directory and its log on
 * stdout. What is checked is what an operator looks at: the address the client configured on its
 * interface, the rows of the lease file, the server's log and the hook library's log file.
 *
 * Other beds: a relay namespace running ISC dhcrelay between the client's link and the server's;
 * a bridge joining the server, a client and a host already using a pool address (for DECLINE);
 * perfdhcp with tcpdump beside it, whose capture says which leases the clients were given; two
 * client links on one server. Names are unique per process and test (`n4e-<pid>-<n>-<role>`).
 * NESTOR_E2E_DEBUG=1 runs the server with -d and prints every process's output at the end.
 *
 * Needs root, iproute2 and the clients (Debian packages udhcpc, isc-dhcp-client, dhcpcd-base,
 * isc-dhcp-relay, kea-admin for perfdhcp, tcpdump); a missing one fails the test and says what
 * to install. Everything a test creates is removed afterwards, even when it fails.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { CLIENT_PREREQUISITES, Dhclient, Dhcpcd, Udhcpc, type Dhcp4Client } from "./lib/clients.ts";
import { DHCRELAY, relayedLinks } from "./lib/dhcrelay.ts";
import {
  addressOn,
  requirePrerequisites,
  TestBed,
  waitFor,
  type Prerequisite,
} from "./lib/netns.ts";
import { readDhcp4Pcap, startCapture, stopCapture, type Dhcp4Seen } from "./lib/pcap.ts";
import { perfdhcp4Args, perfdhcpStats, type PerfdhcpStats } from "./lib/perfdhcp.ts";
import {
  leaseRow,
  leaseSet,
  readLeaseRows,
  ServerConfig,
  startServer,
  TUTORIAL,
  type LeaseRow,
  type ServerSpec,
} from "./lib/nestor.ts";

/** Every test ends in bounded time, even if a client or the server hangs. */
const BOUNDED = { timeout: 90_000 };
const LONG = { timeout: 180_000 };

const IPROUTE: Prerequisite = { program: "ip", debianPackage: "iproute2" };

interface DirectBed {
  bed: TestBed;
  serverNs: string;
  clientNs: string;
  serverIf: string;
  clientIf: string;
  config: ServerConfig;
}

/** A server namespace and a client namespace joined by one link; the server is not started. */
function directLink(title: string, mac: string, global: ServerSpec["global"] = {}): DirectBed {
  const bed = new TestBed(title);
  const serverNs = bed.namespace("srv");
  const clientNs = bed.namespace("cli");
  const { a: serverIf, b: clientIf } = bed.link(
    { ns: serverNs, role: "s", address: "198.51.100.1/24" },
    { ns: clientNs, role: "c", mac },
  );
  const config = new ServerConfig(bed.dir, {
    interfaces: [serverIf],
    subnets: [{ id: 1, subnet: "198.51.100.0/24", pool: "198.51.100.10 - 198.51.100.50" }],
    global,
  });
  return { bed, serverNs, clientNs, serverIf, clientIf, config };
}

/** Get, renew and release with one client; `renewWait` is how long a renewal may take. */
async function getRenewRelease(
  title: string,
  mac: string,
  makeClient: (d: DirectBed) => Dhcp4Client,
  global: ServerSpec["global"] = {},
): Promise<void> {
  requirePrerequisites([IPROUTE, ...CLIENT_PREREQUISITES]);
  const d = directLink(title, mac, global);
  try {
    const server = await startServer(d.bed, d.serverNs, d.config);
    const client = makeClient(d);
    const file = d.config.leaseFile;
    const isMine = (r: LeaseRow) => r.hwaddr === mac;

    // Get: the address on the interface is the one in the lease file, for this MAC.
    const address = await addressOn(d.bed, d.clientNs, d.clientIf, "198.51.100.");
    const granted = await leaseRow(d.bed, file, `${client.name}'s lease`, isMine);
    assert.equal(granted.address, address, "the client configured the address the server leased");
    assert.equal(granted.subnetId, 1);
    assert.ok(granted.validLifetime > 0);
    assert.equal(leaseSet(readLeaseRows(file)).get(address)?.hwaddr, mac);

    // Renew: a later row for the same address and client, expiring later. expire has one-second
    // resolution, so let a second pass first.
    await new Promise((r) => setTimeout(r, 1100));
    await client.renew();
    const renewed = await leaseRow(
      d.bed,
      file,
      `${client.name}'s renewal (expire after ${granted.expire})`,
      (r) => isMine(r) && r.address === address && r.expire > granted.expire,
    );
    assert.ok(renewed.validLifetime > 0);
    assert.deepEqual(d.bed.addresses(d.clientNs, d.clientIf), [`${address}/24`]);

    // Release: a deletion row (valid_lifetime 0), the lease is gone from the set, and the client
    // took the address off its interface.
    await client.release();
    await leaseRow(
      d.bed,
      file,
      `${client.name}'s release (a row of ${address} with valid_lifetime 0)`,
      (r) => r.address === address && r.validLifetime === 0,
    );
    assert.equal(leaseSet(readLeaseRows(file)).has(address), false);
    await waitFor(
      `${client.name} to remove ${address} from ${d.clientIf}`,
      () => (d.bed.addresses(d.clientNs, d.clientIf).length === 0 ? true : undefined),
      10_000,
    );
    assert.ok(server.running, `nestor-dhcp4 is still running:\n${server.output}`);
    assert.doesNotMatch(server.output, /\bERROR\b/);
  } finally {
    await d.bed.close();
  }
}

describe("real clients on a direct link get, renew and release a lease", () => {
  test("udhcpc (busybox): DISCOVER/REQUEST, renew on SIGUSR1, release on SIGUSR2", BOUNDED, () =>
    getRenewRelease(
      "udhcpc",
      "02:4e:00:00:01:01",
      (d) => new Udhcpc(d.bed, d.clientNs, d.clientIf),
    ),
  );

  test(
    "dhclient (ISC): DISCOVER/REQUEST, renew at T1 by unicast, release with dhclient -r",
    BOUNDED,
    () =>
      getRenewRelease(
        "dhclient",
        "02:4e:00:00:01:02",
        (d) => new Dhclient(d.bed, d.clientNs, d.clientIf),
        { "valid-lifetime": 120, "renew-timer": 3, "rebind-timer": 100 },
      ),
  );

  test("dhcpcd: DISCOVER/REQUEST, rebind with dhcpcd -n, release with dhcpcd -k", BOUNDED, () =>
    getRenewRelease(
      "dhcpcd",
      "02:4e:00:00:01:03",
      (d) => new Dhcpcd(d.bed, d.clientNs, d.clientIf),
    ),
  );
});

/**
 * A client behind ISC dhcrelay (relayedLinks): the server serves only its own link; the relay's
 * giaddr is 203.0.113.1, and the server reaches it through a route via the relay.
 */
async function relayed(
  title: string,
  mac: string,
  subnets: ServerSpec["subnets"],
  expect: { prefix: string; subnetId: number; renew?: boolean },
): Promise<void> {
  requirePrerequisites([IPROUTE, DHCRELAY, CLIENT_PREREQUISITES[0]!]);
  const bed = new TestBed(title);
  try {
    const { serverNs, relayNs, clientNs, serverIf, clientIf, relay } = await relayedLinks(bed, mac);
    const config = new ServerConfig(bed.dir, { interfaces: [serverIf], subnets });
    const server = await startServer(bed, serverNs, config);
    const client = new Udhcpc(bed, clientNs, clientIf);

    const address = await addressOn(bed, clientNs, clientIf, expect.prefix);
    const row = await leaseRow(
      bed,
      config.leaseFile,
      "the relayed client's lease",
      (r) => r.hwaddr === mac,
    );
    assert.equal(row.address, address);
    assert.equal(row.subnetId, expect.subnetId);
    // The exchange went through the relay both ways.
    assert.match(relay.output, /Forwarded BOOTREQUEST for .* to 198\.18\.0\.1/);
    assert.match(relay.output, /Forwarded BOOTREPLY for .* to /);

    if (expect.renew === true) {
      // RENEWING: the client unicasts to the server through the relay's router (the routers
      // option); the server finds the subnet by ciaddr and answers ciaddr, routed back.
      bed.exec(relayNs, "sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]);
      await waitFor(
        "the client's default route via the relay",
        () =>
          /default via 203\.0\.113\.1/.test(bed.exec(clientNs, "ip", ["route"])) ? true : undefined,
        5000,
      );
      await new Promise((r) => setTimeout(r, 1100));
      client.proc.signal("SIGUSR1");
      await leaseRow(
        bed,
        config.leaseFile,
        "the relayed client's renewal",
        (r) => r.hwaddr === mac && r.address === address && r.expire > row.expire,
      );
      // The client took the ACK (ISC dhcrelay sees the unicast on its link and relays a copy
      // too, which the server answers through the relay, as Kea does).
      await waitFor(
        "udhcpc to take the renewal's ACK",
        () =>
          /^udhcpc renew 203\.0\.113\./m.test(readFileSync(`${bed.dir}/events.log`, "utf8"))
            ? true
            : undefined,
        5000,
      );
      assert.deepEqual(bed.addresses(clientNs, clientIf), [`${address}/24`]);
    }
    assert.ok(server.running);
  } finally {
    await bed.close();
  }
}

test(
  "dhclient restarted after a server restart comes back in INIT-REBOOT and gets its address again",
  BOUNDED,
  async () => {
    requirePrerequisites([IPROUTE, CLIENT_PREREQUISITES[1]!]);
    const mac = "02:4e:00:00:01:04";
    const d = directLink("dhclient-reboot", mac);
    try {
      let server = await startServer(d.bed, d.serverNs, d.config);
      const first = new Dhclient(d.bed, d.clientNs, d.clientIf);
      const address = await addressOn(d.bed, d.clientNs, d.clientIf, "198.51.100.");
      const granted = await leaseRow(
        d.bed,
        d.config.leaseFile,
        "dhclient's lease",
        (r) => r.hwaddr === mac,
      );
      await first.stopKeepingLease();
      assert.deepEqual(d.bed.addresses(d.clientNs, d.clientIf), []);

      await server.stop();
      assert.equal(server.exitCode, 0);
      server = await startServer(d.bed, d.serverNs, d.config);
      await new Promise((r) => setTimeout(r, 1100));
      new Dhclient(d.bed, d.clientNs, d.clientIf);
      assert.equal(await addressOn(d.bed, d.clientNs, d.clientIf, "198.51.100."), address);
      await leaseRow(
        d.bed,
        d.config.leaseFile,
        "the lease extended by the INIT-REBOOT",
        (r) => r.hwaddr === mac && r.address === address && r.expire > granted.expire,
      );
      const events = readFileSync(`${d.bed.dir}/events.log`, "utf8");
      assert.match(events, new RegExp(`^dhclient REBOOT ${address.replaceAll(".", "\\.")}$`, "m"));
      assert.ok(server.running);
    } finally {
      await d.bed.close();
    }
  },
);

test(
  "dhcpcd finds its address taken (ARP), declines it: the server sets it aside and leases another",
  BOUNDED,
  async () => {
    requirePrerequisites([IPROUTE, CLIENT_PREREQUISITES[2]!]);
    const mac = "02:4e:00:00:01:05";
    const bed = new TestBed("decline");
    try {
      // One LAN (a bridge) with the server, the client, and a host already using 198.51.100.10,
      // the first address of the pool, without the server knowing.
      const serverNs = bed.namespace("srv");
      const lanNs = bed.namespace("lan");
      const clientNs = bed.namespace("cli");
      const hostNs = bed.namespace("host");
      const br = bed.bridge(lanNs);
      const server = bed.link(
        { ns: serverNs, role: "s", address: "198.51.100.1/24" },
        { ns: lanNs, role: "l", master: br },
      );
      const client = bed.link(
        { ns: clientNs, role: "c", mac },
        { ns: lanNs, role: "l", master: br },
      );
      bed.link(
        { ns: hostNs, role: "h", address: "198.51.100.10/24" },
        { ns: lanNs, role: "l", master: br },
      );
      const config = new ServerConfig(bed.dir, {
        interfaces: [server.a],
        subnets: [{ id: 1, subnet: "198.51.100.0/24", pool: "198.51.100.10 - 198.51.100.50" }],
        global: { "decline-probation-period": 3600 },
      });
      const nestor = await startServer(bed, serverNs, config);
      new Dhcpcd(bed, clientNs, client.a, { arp: true });

      const address = await addressOn(bed, clientNs, client.a, "198.51.100.");
      assert.notEqual(address, "198.51.100.10");
      const leases = leaseSet(readLeaseRows(config.leaseFile));
      assert.equal(leases.get(address)?.hwaddr, mac);
      // Kea's declined lease: no client, state 1 (declined), the probation period as lifetime.
      const declined = leases.get("198.51.100.10");
      assert.ok(declined, "the declined address is still a lease (set aside)");
      assert.equal(declined.state, 1);
      assert.equal(declined.hwaddr, "");
      assert.equal(declined.clientId, "");
      assert.equal(declined.validLifetime, 3600);
      assert.match(nestor.output, /DHCP4_DECLINE_LEASE .*lease 198\.51\.100\.10 was declined/);
    } finally {
      await bed.close();
    }
  },
);

describe("a client behind a relay (ISC dhcrelay in its own namespace)", () => {
  test(
    "gets an address from the subnet that contains the relay's giaddr, and renews it by unicast to the server",
    BOUNDED,
    () =>
      relayed(
        "relay-giaddr",
        "02:4e:00:00:02:01",
        [
          { id: 1, subnet: "198.18.0.0/24", pool: "198.18.0.100 - 198.18.0.150" },
          {
            id: 2,
            subnet: "203.0.113.0/24",
            pool: "203.0.113.10 - 203.0.113.50",
            extra: { "option-data": [{ name: "routers", data: "203.0.113.1" }] },
          },
        ],
        { prefix: "203.0.113.", subnetId: 2, renew: true },
      ),
  );

  test(
    "gets an address from the subnet whose relay.ip-addresses lists the relay, before giaddr's subnet",
    BOUNDED,
    () =>
      relayed(
        "relay-ip-addresses",
        "02:4e:00:00:02:02",
        [
          { id: 1, subnet: "198.18.0.0/24", pool: "198.18.0.100 - 198.18.0.150" },
          { id: 2, subnet: "203.0.113.0/24", pool: "203.0.113.10 - 203.0.113.50" },
          {
            id: 3,
            subnet: "198.51.100.0/24",
            pool: "198.51.100.10 - 198.51.100.50",
            relay: ["203.0.113.1"],
          },
        ],
        { prefix: "198.51.100.", subnetId: 3 },
      ),
  );
});

const PERFDHCP: Prerequisite = { program: "perfdhcp", debianPackage: "kea-admin" };
const TCPDUMP: Prerequisite = { program: "tcpdump", debianPackage: "tcpdump" };
const DHCPACK = 5;

/**
 * perfdhcp in the client namespace for `seconds` at `rate` DORA/s, with tcpdump recording what it
 * received. perfdhcp acts as a relay (giaddr = its address, replies to port 67); -s makes its
 * choice of client MAC addresses repeatable, -W waits 1 s for late replies.
 */
async function perfdhcpRun(
  bed: TestBed,
  ns: string,
  ifname: string,
  opts: { rate: number; seconds: number; clients: number; seed: number; capture: string },
): Promise<{ stats: PerfdhcpStats[]; acks: Dhcp4Seen[] }> {
  const tcpdump = await startCapture(bed, ns, ifname, opts.capture);
  const perf = bed.spawn(`perfdhcp (${opts.capture})`, ns, "perfdhcp", perfdhcp4Args(ifname, opts));
  const exited = await perf.waitExit((opts.seconds + 20) * 1000);
  await new Promise((r) => setTimeout(r, 300));
  await stopCapture(tcpdump);
  assert.ok(exited, `perfdhcp did not finish in time:\n${perf.output}`);
  // No drops: every DISCOVER got its OFFER and every REQUEST its ACK (checked before the exit
  // status, which perfdhcp also makes non-zero for drops, so that the failure says which).
  const stats = perfdhcpStats(perf.output);
  for (const s of stats) {
    assert.equal(s.drops, 0, `${s.exchange}: ${s.drops} drops\n${perf.output}`);
    assert.equal(s.received, s.sent, `${s.exchange}: sent ${s.sent}, received ${s.received}`);
  }
  assert.equal(perf.exitCode, 0, `perfdhcp failed:\n${perf.output}`);
  const acks = readDhcp4Pcap(opts.capture).filter((m) => m.type === DHCPACK);
  return { stats, acks };
}

test(
  "perfdhcp at 200 DORA/s for 10 s: no drops, every ACKed lease in the lease file, and a restart keeps them all",
  LONG,
  async () => {
    requirePrerequisites([IPROUTE, PERFDHCP, TCPDUMP]);
    const bed = new TestBed("perfdhcp");
    try {
      const serverNs = bed.namespace("srv");
      const clientNs = bed.namespace("perf");
      const link = bed.link(
        { ns: serverNs, role: "s", address: "198.18.0.1/16" },
        { ns: clientNs, role: "p", address: "198.18.0.2/16" },
      );
      const config = new ServerConfig(bed.dir, {
        interfaces: [link.a],
        subnets: [{ id: 1, subnet: "198.18.0.0/16", pool: "198.18.1.0 - 198.18.20.255" }],
        global: { "valid-lifetime": 3600, "renew-timer": 1800, "rebind-timer": 3000 },
      });
      let server = await startServer(bed, serverNs, config);
      const run = { rate: 200, seconds: 10, clients: 2000, seed: 4242 };
      const first = await perfdhcpRun(bed, clientNs, link.b, {
        ...run,
        capture: `${bed.dir}/1.pcap`,
      });

      const exchanges = first.stats.find((s) => s.exchange.startsWith("REQUEST-ACK"))!.received;
      assert.ok(exchanges >= 1500, `only ${exchanges} exchanges in 10 s at 200/s`);
      assert.equal(first.acks.length, exchanges, "tcpdump saw one ACK per exchange");

      // Every ACKed address is a lease of the client it was ACKed to, and there is nothing else.
      const acked = new Map(first.acks.map((a) => [a.yiaddr, a.chaddr]));
      let leases = leaseSet(readLeaseRows(config.leaseFile));
      for (const [address, chaddr] of acked) {
        assert.equal(leases.get(address)?.hwaddr, chaddr, `ACKed lease ${address} for ${chaddr}`);
      }
      assert.equal(leases.size, acked.size, "the lease file holds exactly the ACKed leases");

      // Restart: the server loads every row without discarding any...
      const rows = readLeaseRows(config.leaseFile).length;
      await server.stop();
      assert.equal(server.exitCode, 0, `nestor-dhcp4 stopped cleanly:\n${server.output}`);
      server = await startServer(bed, serverNs, config);
      assert.match(
        server.output,
        new RegExp(`DHCPSRV_MEMFILE_LEASE_FILE_LOAD .*leases4\\.csv: ${rows} rows, 0 discarded`),
      );
      // ...and knows them: the same clients again (same seed) get exactly their addresses back,
      // and no address leased before the restart goes to anyone else.
      const again = await perfdhcpRun(bed, clientNs, link.b, {
        ...run,
        seconds: 3,
        capture: `${bed.dir}/2.pcap`,
      });
      const before = new Map(first.acks.map((a) => [a.chaddr, a.yiaddr]));
      let returning = 0;
      for (const ack of again.acks) {
        const previous = before.get(ack.chaddr);
        if (previous !== undefined) {
          returning += 1;
          assert.equal(ack.yiaddr, previous, `${ack.chaddr} got its address back`);
        } else {
          assert.ok(!acked.has(ack.yiaddr), `${ack.yiaddr} went to ${ack.chaddr}, not its holder`);
        }
      }
      // perfdhcp's -s replays the same client MAC addresses, so all of them are returning clients.
      assert.equal(returning, again.acks.length, "every client of the second run was in the first");
      leases = leaseSet(readLeaseRows(config.leaseFile));
      for (const [address, chaddr] of acked) assert.equal(leases.get(address)?.hwaddr, chaddr);
      assert.ok(server.running);
    } finally {
      await bed.close();
    }
  },
);

function macSum(mac: string): number {
  return mac.split(":").reduce((sum, byte) => sum + parseInt(byte, 16), 0);
}

test(
  "the tutorial hook library, loaded from the configuration, logs a real client whose MAC bytes sum to a multiple of 4, and not another",
  BOUNDED,
  async () => {
    requirePrerequisites([IPROUTE, CLIENT_PREREQUISITES[0]!]);
    const interesting = "02:4e:00:00:04:04";
    const boring = "02:4e:00:00:04:05";
    assert.equal(macSum(interesting) % 4, 0);
    assert.notEqual(macSum(boring) % 4, 0);
    const d = directLink("tutorial", interesting);
    const log = `${d.bed.dir}/interesting.log`;
    d.config.spec.global = {
      "hooks-libraries": [{ library: TUTORIAL, parameters: { "log-file": log } }],
    };
    d.config.write();
    try {
      const server = await startServer(d.bed, d.serverNs, d.config);
      assert.match(
        server.output,
        /TUTORIAL_OPENED logging interesting clients to .*interesting\.log/,
      );

      // The interesting client: one udhcpc run to a lease, stopped without releasing.
      let client = new Udhcpc(d.bed, d.clientNs, d.clientIf);
      const first = await addressOn(d.bed, d.clientNs, d.clientIf, "198.51.100.");
      await client.proc.stop();

      // The same link with the other MAC address, a fresh udhcpc.
      d.bed.exec(d.clientNs, "ip", ["-4", "addr", "flush", "dev", d.clientIf]);
      d.bed.exec(d.clientNs, "ip", ["link", "set", d.clientIf, "down"]);
      d.bed.exec(d.clientNs, "ip", ["link", "set", d.clientIf, "address", boring]);
      d.bed.exec(d.clientNs, "ip", ["link", "set", d.clientIf, "up"]);
      client = new Udhcpc(d.bed, d.clientNs, d.clientIf);
      const second = await addressOn(d.bed, d.clientNs, d.clientIf, "198.51.100.");
      await client.proc.stop();
      assert.notEqual(second, first);
      assert.equal(leaseSet(readLeaseRows(d.config.leaseFile)).get(second)?.hwaddr, boring);

      // One line per reply to the interesting client (OFFER and ACK): its MAC and its address.
      assert.ok(existsSync(log), "the library created its log file");
      const lines = readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l !== "");
      assert.ok(
        lines.length >= 2,
        `a line for the OFFER and one for the ACK: ${lines.join(" | ")}`,
      );
      for (const line of lines) assert.equal(line, `hwtype=1 ${interesting} ${first}`);
      assert.ok(server.running);
    } finally {
      await d.bed.close();
    }
  },
);

test(
  "two interfaces at once, each with its own subnet: each link's client gets an address of its own link's subnet",
  BOUNDED,
  async () => {
    requirePrerequisites([IPROUTE, CLIENT_PREREQUISITES[0]!]);
    const bed = new TestBed("two-interfaces");
    try {
      const serverNs = bed.namespace("srv");
      const clientA = bed.namespace("cla");
      const clientB = bed.namespace("clb");
      const a = bed.link(
        { ns: serverNs, role: "s", address: "198.51.100.1/24" },
        { ns: clientA, role: "a", mac: "02:4e:00:00:05:0a" },
      );
      const b = bed.link(
        { ns: serverNs, role: "s", address: "203.0.113.1/24" },
        { ns: clientB, role: "b", mac: "02:4e:00:00:05:0b" },
      );
      const config = new ServerConfig(bed.dir, {
        // The second interface in the `iface/address` form, as Kea allows.
        interfaces: [a.a, `${b.a}/203.0.113.1`],
        subnets: [
          { id: 1, subnet: "198.51.100.0/24", pool: "198.51.100.10 - 198.51.100.50" },
          { id: 2, subnet: "203.0.113.0/24", pool: "203.0.113.10 - 203.0.113.50" },
        ],
      });
      const server = await startServer(bed, serverNs, config);
      assert.match(server.output, new RegExp(`serving 2 subnet\\(s\\) on ${a.a} .*${b.a} `));
      // Both clients at the same time: their broadcasts reach the server on different interfaces.
      new Udhcpc(bed, clientA, a.b);
      new Udhcpc(bed, clientB, b.b);
      const [addressA, addressB] = await Promise.all([
        addressOn(bed, clientA, a.b, "198.51.100."),
        addressOn(bed, clientB, b.b, "203.0.113."),
      ]);
      const leases = leaseSet(readLeaseRows(config.leaseFile));
      assert.equal(leases.get(addressA)?.hwaddr, "02:4e:00:00:05:0a");
      assert.equal(leases.get(addressA)?.subnetId, 1);
      assert.equal(leases.get(addressB)?.hwaddr, "02:4e:00:00:05:0b");
      assert.equal(leases.get(addressB)?.subnetId, 2);
      assert.equal(leases.size, 2);
      assert.ok(server.running);
    } finally {
      await bed.close();
    }
  },
);
