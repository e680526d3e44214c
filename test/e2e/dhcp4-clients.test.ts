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
 * Needs root, iproute2 and the clients (Debian packages udhcpc, isc-dhcp-client, dhcpcd-base,
 * isc-dhcp-relay, kea-admin for perfdhcp, tcpdump); a missing one fails the test and says what
 * to install. Everything a test creates is removed afterwards, even when it fails.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { CLIENT_PREREQUISITES, Dhclient, Dhcpcd, Udhcpc, type Dhcp4Client } from "./lib/clients.ts";
import { requirePrerequisites, TestBed, waitFor, type Prerequisite } from "./lib/netns.ts";
import {
  leaseSet,
  readLeaseRows,
  ServerConfig,
  startServer,
  type LeaseRow,
  type ServerSpec,
} from "./lib/nestor.ts";

const IPROUTE: Prerequisite = { program: "ip", debianPackage: "iproute2" };

/** The address on the client's interface inside `prefix` (e.g. "198.51.100."), once it is there. */
async function addressOn(bed: TestBed, ns: string, ifname: string, prefix: string): Promise<string> {
  return waitFor(
    `an address in ${prefix}* on ${ifname}`,
    () => bed.addresses(ns, ifname).find((a) => a.startsWith(prefix))?.split("/")[0],
    30_000,
    () => bed.describe(),
  );
}

/** The last lease-file row of `address` that satisfies `pred`, once there is one. */
async function leaseRow(
  bed: TestBed,
  file: string,
  what: string,
  pred: (row: LeaseRow) => boolean,
): Promise<LeaseRow> {
  return waitFor(
    what,
    () => readLeaseRows(file).findLast(pred),
    20_000,
    () => `lease file:\n${readLeaseRows(file).map((r) => JSON.stringify(r)).join("\n")}\n${bed.describe()}`,
  );
}

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
  test("udhcpc (busybox): DISCOVER/REQUEST, renew on SIGUSR1, release on SIGUSR2", () =>
    getRenewRelease("udhcpc", "02:4e:00:00:01:01", (d) => new Udhcpc(d.bed, d.clientNs, d.clientIf)));

  test("dhclient (ISC): DISCOVER/REQUEST, renew at T1 by unicast, release with dhclient -r", () =>
    getRenewRelease(
      "dhclient",
      "02:4e:00:00:01:02",
      (d) => new Dhclient(d.bed, d.clientNs, d.clientIf),
      { "valid-lifetime": 120, "renew-timer": 3, "rebind-timer": 100 },
    ));

  test("dhcpcd: DISCOVER/REQUEST, rebind with dhcpcd -n, release with dhcpcd -k", () =>
    getRenewRelease("dhcpcd", "02:4e:00:00:01:03", (d) => new Dhcpcd(d.bed, d.clientNs, d.clientIf)));
});

/**
 *   client ns [c] ---- [203.0.113.1/24] relay ns: dhcrelay [198.18.0.2/24] ---- [198.18.0.1/24] server ns
 *
 * The server serves only its own link; the relay's giaddr is 203.0.113.1, and the server reaches
 * it through a route via the relay.
 */
async function relayed(
  title: string,
  mac: string,
  subnets: ServerSpec["subnets"],
  expect: { prefix: string; subnetId: number },
): Promise<void> {
  requirePrerequisites([IPROUTE, RELAY, CLIENT_PREREQUISITES[0]!]);
  const bed = new TestBed(title);
  try {
    const serverNs = bed.namespace("srv");
    const relayNs = bed.namespace("rly");
    const clientNs = bed.namespace("cli");
    const upstream = bed.link(
      { ns: serverNs, role: "s", address: "198.18.0.1/24" },
      { ns: relayNs, role: "u", address: "198.18.0.2/24" },
    );
    const downstream = bed.link(
      { ns: relayNs, role: "d", address: "203.0.113.1/24" },
      { ns: clientNs, role: "c", mac },
    );
    bed.exec(serverNs, "ip", ["route", "add", "203.0.113.0/24", "via", "198.18.0.2"]);
    const config = new ServerConfig(bed.dir, { interfaces: [upstream.a], subnets });
    const server = await startServer(bed, serverNs, config);
    // -d foreground, -id/-iu downstream/upstream interfaces, -pf a PID file of the test's own.
    const relay = bed.spawn("dhcrelay", relayNs, "dhcrelay", [
      "-4",
      "-d",
      "-pf",
      `${bed.dir}/dhcrelay.pid`,
      "-id",
      downstream.a,
      "-iu",
      upstream.b,
      "198.18.0.1",
    ]);
    await relay.waitForOutput(/Sending on\s+Socket\/fallback|Listening on/, 10_000);
    new Udhcpc(bed, clientNs, downstream.b);

    const address = await addressOn(bed, clientNs, downstream.b, expect.prefix);
    const row = await leaseRow(bed, config.leaseFile, "the relayed client's lease", (r) => r.hwaddr === mac);
    assert.equal(row.address, address);
    assert.equal(row.subnetId, expect.subnetId);
    // The exchange went through the relay both ways.
    assert.match(relay.output, /Forwarded BOOTREQUEST for .* to 198\.18\.0\.1/);
    assert.match(relay.output, /Forwarded BOOTREPLY for .* to /);
    assert.ok(server.running);
  } finally {
    await bed.close();
  }
}

const RELAY: Prerequisite = { program: "dhcrelay", debianPackage: "isc-dhcp-relay" };

describe("a client behind a relay (ISC dhcrelay in its own namespace)", () => {
  test("gets an address from the subnet that contains the relay's giaddr", () =>
    relayed(
      "relay-giaddr",
      "02:4e:00:00:02:01",
      [
        { id: 1, subnet: "198.18.0.0/24", pool: "198.18.0.100 - 198.18.0.150" },
        { id: 2, subnet: "203.0.113.0/24", pool: "203.0.113.10 - 203.0.113.50" },
      ],
      { prefix: "203.0.113.", subnetId: 2 },
    ));

  test("gets an address from the subnet whose relay.ip-addresses lists the relay, before giaddr's subnet", () =>
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
    ));
});
