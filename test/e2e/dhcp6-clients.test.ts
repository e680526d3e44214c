/**
 * nestor-dhcp6 with real DHCPv6 clients, as root, in network namespaces each test creates:
 *
 *   client ns [veth, link-local only] ---- [veth 2001:db8:1::1/64 + link-local] server ns
 *
 * The server is the command line program an operator runs (`nestor-dhcp6 -c FILE`) on the real
 * ports 547/546, with a Kea Dhcp6 configuration naming the veth, a memfile lease file and its
 * data directory in the test's directory (`server-id` not persisted) and its log on stdout.
 * What is checked is what an operator looks at: the address the client configured on its
 * interface, the rows of the lease file (lease_type 0 addresses, 2 delegated prefixes), the
 * server's log, and the replies tcpdump saw on the client's side of the link.
 *
 * Clients: ISC dhclient -6 (an address, then a prefix with -P, each released with -r), dhcpcd -6
 * (address and prefix from a configuration file of the test's), perfdhcp -6 at a fixed rate with
 * a server restart, and perfdhcp -6 -A 1 playing a relay whose link-address picks the subnet.
 * Addresses are in 2001:db8::/32 only, DAD is off in the test's namespaces (so link-local
 * addresses are usable at once). Names are unique per process and test (`n6e-<pid>-<n>-<role>`).
 * NESTOR_E2E_DEBUG=1 runs the server with -d and prints every process's output at the end.
 *
 * Needs root, iproute2 and the clients (Debian packages isc-dhcp-client, dhcpcd-base, kea-admin
 * for perfdhcp, tcpdump); a missing one fails the test and says what to install. Everything a
 * test creates is removed afterwards, even when it fails.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { after, describe, test } from "node:test";

import { CLIENT6_PREREQUISITES, Dhclient6, Dhcpcd6, duidLL } from "./lib/clients6.ts";
import { requirePrerequisites, run, TestBed, waitFor, type Prerequisite } from "./lib/netns.ts";
import {
  LEASE_NA,
  LEASE_PD,
  lease6Key,
  lease6Row,
  lease6Set,
  readLease6Rows,
  Server6Config,
  startServer6,
  type Server6Spec,
} from "./lib/nestor6.ts";
import { startCapture, stopCapture } from "./lib/pcap.ts";
import { DHCP6_FILTER, M6, readDhcp6Pcap, type Dhcp6Seen } from "./lib/pcap6.ts";
import { exchangeStats, perfdhcpStats, type PerfdhcpStats } from "./lib/perfdhcp.ts";

/** Every test ends in bounded time, even if a client or the server hangs. */
const BOUNDED = { timeout: 60_000 };
const LONG = { timeout: 120_000 };

const IPROUTE: Prerequisite = { program: "ip", debianPackage: "iproute2" };
const PERFDHCP: Prerequisite = { program: "perfdhcp", debianPackage: "kea-admin" };
const TCPDUMP: Prerequisite = { program: "tcpdump", debianPackage: "tcpdump" };

/** How long each test took, printed at the end. */
const timings: string[] = [];
after(() => {
  if (timings.length > 0)
    process.stdout.write(`dhcp6 end-to-end timings:\n${timings.join("\n")}\n`);
});

async function timed(title: string, body: () => Promise<void>): Promise<void> {
  const started = Date.now();
  try {
    await body();
  } finally {
    timings.push(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${title}`);
  }
}

/** A namespace of the bed with IPv6 DAD off, so that addresses are usable when added. */
function namespace6(bed: TestBed, role: string): string {
  const ns = bed.namespace(role);
  bed.noDad(ns);
  return ns;
}

/**
 * Waits until both ends of a link have carrier and a usable link-local address (the kernel adds
 * it only once the link is up at both ends), which DHCPv6 clients, relays and servers need.
 */
async function linkUp(...ends: [ns: string, ifname: string][]): Promise<void> {
  for (const [ns, ifname] of ends) {
    await waitFor(
      `a link-local address on ${ifname}`,
      () => {
        const out = run("ip", [
          "-n",
          ns,
          "-6",
          "-o",
          "addr",
          "show",
          "dev",
          ifname,
          "scope",
          "link",
        ]);
        return /inet6 fe80:/.test(out) && !/tentative/.test(out) ? true : undefined;
      },
      10_000,
      () => run("ip", ["-n", ns, "addr"]),
    );
  }
}

/** An IPv6 address in text form as a 128-bit number. */
function ipv6Number(text: string): bigint {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const h = head === undefined || head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros = tail === undefined ? [] : Array<string>(8 - h.length - t.length).fill("0");
  const groups = [...h, ...zeros, ...t];
  if (groups.length !== 8) throw new Error(`not an IPv6 address: ${text}`);
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Whether `address` is inside `prefix` ("2001:db8:1::/64"). */
function inPrefix(address: string, prefix: string): boolean {
  const [net, len] = prefix.split("/") as [string, string];
  const shift = 128n - BigInt(len);
  return ipv6Number(address) >> shift === ipv6Number(net) >> shift;
}

/** A global address in `prefix` on the client's interface, once it is there. */
async function address6On(bed: TestBed, ns: string, ifname: string, prefix: string) {
  return waitFor(
    `an address in ${prefix} on ${ifname}`,
    () =>
      bed
        .addresses6(ns, ifname)
        .map((a) => a.split("/")[0]!)
        .find((a) => inPrefix(a, prefix)),
    30_000,
    () => bed.describe(),
  );
}

interface DirectBed {
  bed: TestBed;
  serverNs: string;
  clientNs: string;
  serverIf: string;
  clientIf: string;
  config: Server6Config;
}

const LINK_SUBNET = "2001:db8:1::/64";
const PD_POOL = { prefix: "2001:db8:8000::", prefixLen: 40, delegatedLen: 56 };
const PD_PREFIX = `${PD_POOL.prefix}/${PD_POOL.prefixLen}`;

/** A server namespace and a client namespace joined by one link; the server is not started. */
async function directLink(
  title: string,
  mac: string,
  global: Server6Spec["global"] = {},
): Promise<DirectBed> {
  const bed = new TestBed(title, "n6e");
  const serverNs = namespace6(bed, "srv");
  const clientNs = namespace6(bed, "cli");
  const { a: serverIf, b: clientIf } = bed.link(
    { ns: serverNs, role: "s", address: "2001:db8:1::1/64" },
    { ns: clientNs, role: "c", mac },
  );
  const config = new Server6Config(bed.dir, {
    interfaces: [serverIf],
    subnets: [
      {
        id: 1,
        subnet: LINK_SUBNET,
        pool: "2001:db8:1::1000 - 2001:db8:1::ffff",
        pd: PD_POOL,
        interface: serverIf,
      },
    ],
    global,
  });
  await linkUp([serverNs, serverIf], [clientNs, clientIf]);
  return { bed, serverNs, clientNs, serverIf, clientIf, config };
}

test(
  "dhclient -6 gets an address, then a delegated prefix with -P; dhclient -r releases each",
  BOUNDED,
  () =>
    timed("dhclient -6 (address, -P prefix, -r)", async () => {
      requirePrerequisites([IPROUTE, CLIENT6_PREREQUISITES[0]!]);
      const mac = "02:6e:00:00:01:01";
      const duid = duidLL(mac);
      const d = await directLink("dhclient6", mac);
      try {
        const server = await startServer6(d.bed, d.serverNs, d.config);
        const file = d.config.leaseFile;

        // An address: on the interface, and in the lease file for this DUID.
        const na = new Dhclient6(d.bed, d.clientNs, d.clientIf);
        const address = await address6On(d.bed, d.clientNs, d.clientIf, LINK_SUBNET);
        const granted = await lease6Row(
          d.bed,
          file,
          "dhclient's address lease",
          (r) => r.duid === duid && r.leaseType === LEASE_NA,
        );
        assert.equal(granted.address, address, "the client configured the address leased");
        assert.equal(granted.subnetId, 1);
        assert.equal(granted.prefixLen, 128);
        assert.ok(granted.validLifetime > 0 && granted.prefLifetime > 0);

        // Release: a deletion row, the lease gone, the address off the interface.
        await na.release();
        await lease6Row(
          d.bed,
          file,
          `the release of ${address}`,
          (r) => r.address === address && r.validLifetime === 0,
        );
        assert.equal(lease6Set(readLease6Rows(file)).has(lease6Key(LEASE_NA, address)), false);
        assert.deepEqual(d.bed.addresses6(d.clientNs, d.clientIf), []);

        // A prefix (-P): lease_type 2 with the pool's delegated length.
        const pd = new Dhclient6(d.bed, d.clientNs, d.clientIf, { pd: true });
        const delegated = await lease6Row(
          d.bed,
          file,
          "dhclient's delegated prefix",
          (r) => r.duid === duid && r.leaseType === LEASE_PD && r.validLifetime > 0,
        );
        assert.equal(delegated.prefixLen, PD_POOL.delegatedLen);
        assert.ok(inPrefix(delegated.address, PD_PREFIX), delegated.address);
        assert.equal(delegated.subnetId, 1);
        const prefix = `${delegated.address}/${delegated.prefixLen}`;
        await waitFor(
          `dhclient to report ${prefix}`,
          () => (pd.proc.output.includes(prefix) ? true : undefined),
          10_000,
          () => pd.proc.output,
        );
        await pd.release();
        await lease6Row(
          d.bed,
          file,
          `the release of ${prefix}`,
          (r) =>
            r.leaseType === LEASE_PD && r.address === delegated.address && r.validLifetime === 0,
        );
        assert.equal(lease6Set(readLease6Rows(file)).size, 0, "no lease left");
        assert.ok(server.running, `nestor-dhcp6 is still running:\n${server.output}`);
        assert.doesNotMatch(server.output, /\bERROR\b/);
      } finally {
        await d.bed.close();
      }
    }),
);

test(
  "dhcpcd -6 gets an address and a delegated prefix (ia_na, ia_pd), and releases them",
  BOUNDED,
  () =>
    timed("dhcpcd -6 (ia_na + ia_pd, -k)", async () => {
      requirePrerequisites([IPROUTE, CLIENT6_PREREQUISITES[1]!]);
      const mac = "02:6e:00:00:01:02";
      const duid = duidLL(mac);
      const d = await directLink("dhcpcd6", mac);
      try {
        const server = await startServer6(d.bed, d.serverNs, d.config);
        const file = d.config.leaseFile;
        const client = new Dhcpcd6(d.bed, d.clientNs, d.clientIf, { pd: true });
        const address = await address6On(d.bed, d.clientNs, d.clientIf, LINK_SUBNET);
        const na = await lease6Row(
          d.bed,
          file,
          "dhcpcd's address lease",
          (r) => r.duid === duid && r.leaseType === LEASE_NA && r.validLifetime > 0,
        );
        assert.equal(na.address, address);
        assert.equal(na.iaid, 1);
        const pd = await lease6Row(
          d.bed,
          file,
          "dhcpcd's delegated prefix",
          (r) => r.duid === duid && r.leaseType === LEASE_PD && r.validLifetime > 0,
        );
        assert.equal(pd.iaid, 2);
        assert.equal(pd.prefixLen, PD_POOL.delegatedLen);
        assert.ok(inPrefix(pd.address, PD_PREFIX), pd.address);

        await client.release();
        await waitFor(
          "dhcpcd's release of both leases",
          () => (lease6Set(readLease6Rows(file)).size === 0 ? true : undefined),
          10_000,
          () => `${JSON.stringify(readLease6Rows(file))}\n${d.bed.describe()}`,
        );
        assert.ok(server.running, `nestor-dhcp6 is still running:\n${server.output}`);
        assert.doesNotMatch(server.output, /\bERROR\b/);
      } finally {
        await d.bed.close();
      }
    }),
);

interface PerfRun {
  rate: number;
  seconds: number;
  clients: number;
  seed: number;
  capture: string;
  /** -A 1 and -J FILE: relayed, with link-addresses from the file. */
  relayLinks?: string;
  /** -e address-and-prefix: an IA_NA and an IA_PD in every exchange. */
  prefixes?: boolean;
}

/** A fixed DUID base for perfdhcp (its default has the time in it, different every run). */
const PERF_DUID = "000100015f5e100002ee00000000";

/**
 * perfdhcp -6 in the client namespace for `seconds` at `rate` SARR/s with tcpdump recording what
 * it received. -s makes the clients' DUIDs repeatable (with -b duid=...), -W waits 1 s for late
 * replies. Fails on any drop.
 */
async function perfdhcp6(
  bed: TestBed,
  ns: string,
  ifname: string,
  o: PerfRun,
): Promise<{ stats: PerfdhcpStats[]; seen: Dhcp6Seen[]; output: string }> {
  const tcpdump = await startCapture(bed, ns, ifname, o.capture, DHCP6_FILTER);
  const perf = bed.spawn(`perfdhcp -6 (${o.capture})`, ns, "perfdhcp", [
    "-6",
    "-l",
    ifname,
    ...(o.relayLinks === undefined ? [] : ["-A", "1", "-J", o.relayLinks]),
    ...(o.prefixes === true ? ["-e", "address-and-prefix"] : []),
    "-r",
    String(o.rate),
    "-p",
    String(o.seconds),
    "-R",
    String(o.clients),
    "-s",
    String(o.seed),
    "-b",
    `duid=${PERF_DUID}`,
    "-W",
    "1000000",
  ]);
  const exited = await perf.waitExit((o.seconds + 20) * 1000);
  await new Promise((r) => setTimeout(r, 300));
  await stopCapture(tcpdump);
  assert.ok(exited, `perfdhcp did not finish in time:\n${perf.output}`);
  const stats = perfdhcpStats(perf.output);
  for (const name of ["SOLICIT-ADVERTISE", "REQUEST-REPLY"]) {
    const s = exchangeStats(stats, name);
    assert.equal(s.drops, 0, `${name}: ${s.drops} drops\n${perf.output}`);
    assert.equal(s.received, s.sent, `${name}: sent ${s.sent}, received ${s.received}`);
  }
  assert.equal(perf.exitCode, 0, `perfdhcp failed:\n${perf.output}`);
  return { stats, seen: readDhcp6Pcap(o.capture), output: perf.output };
}

/** The lease-set keys of what a message carries: its addresses, then its prefixes. */
function leaseKeys(m: Dhcp6Seen): string[] {
  return [
    ...m.addresses.map((a) => lease6Key(LEASE_NA, a)),
    ...m.prefixes.map((p) => lease6Key(LEASE_PD, p.split("/")[0]!)),
  ];
}

/** The REPLYs a client received (unwrapped from RELAY-REPL when relayed). */
function replies(seen: readonly Dhcp6Seen[]): Dhcp6Seen[] {
  return seen.filter((m) => m.type === M6.REPLY && m.addresses.length > 0);
}

test(
  "perfdhcp -6 at 200 SARR/s for 10 s with an address and a prefix each: no drops, every REPLYed lease in the lease file, and a restart keeps them all",
  LONG,
  () =>
    timed("perfdhcp -6, 200/s for 10 s, restart, 3 s again", async () => {
      requirePrerequisites([IPROUTE, PERFDHCP, TCPDUMP]);
      const bed = new TestBed("perfdhcp6", "n6e");
      try {
        const serverNs = namespace6(bed, "srv");
        const clientNs = namespace6(bed, "perf");
        const link = bed.link(
          { ns: serverNs, role: "s", address: "2001:db8:1::1/64" },
          { ns: clientNs, role: "p" },
        );
        const config = new Server6Config(bed.dir, {
          interfaces: [link.a],
          subnets: [
            {
              id: 1,
              subnet: LINK_SUBNET,
              pool: "2001:db8:1::/80",
              pd: PD_POOL,
              interface: link.a,
            },
          ],
        });
        await linkUp([serverNs, link.a], [clientNs, link.b]);
        let server = await startServer6(bed, serverNs, config);
        const load = { rate: 200, seconds: 10, clients: 2000, seed: 4242, prefixes: true };
        const first = await perfdhcp6(bed, clientNs, link.b, {
          ...load,
          capture: `${bed.dir}/1.pcap`,
        });
        const exchanges = exchangeStats(first.stats, "REQUEST-REPLY").received;
        assert.ok(exchanges >= 1500, `only ${exchanges} exchanges in 10 s at 200/s`);
        const got = replies(first.seen);
        assert.equal(got.length, exchanges, "tcpdump saw one REPLY with an address per exchange");
        assert.ok(got.every((m) => m.dstPort === 546 && m.relayLevels === 0));
        assert.ok(
          got.every((m) => m.addresses.length === 1 && m.prefixes.length === 1),
          "every REPLY has one address and one prefix",
        );
        for (const m of got) {
          assert.ok(inPrefix(m.addresses[0]!, "2001:db8:1::/80"), m.addresses[0]);
          const [prefix, len] = m.prefixes[0]!.split("/") as [string, string];
          assert.ok(inPrefix(prefix, PD_PREFIX) && Number(len) === PD_POOL.delegatedLen, prefix);
        }

        // Every address and prefix REPLYed is a lease of the DUID it went to (a prefix with the
        // pool's delegated length), and there is nothing else.
        const replied = new Map<string, string>();
        for (const m of got) for (const key of leaseKeys(m)) replied.set(key, m.duid);
        const checkLeases = () => {
          const leases = lease6Set(readLease6Rows(config.leaseFile));
          for (const [key, duid] of replied) {
            const lease = leases.get(key);
            assert.equal(lease?.duid, duid, `REPLYed lease ${key} for ${duid}`);
            if (lease.leaseType === LEASE_PD) assert.equal(lease.prefixLen, PD_POOL.delegatedLen);
          }
          return leases;
        };
        assert.equal(checkLeases().size, replied.size, "the lease file holds exactly those");

        // Restart: the server loads every row without discarding any...
        const rows = readLease6Rows(config.leaseFile).length;
        await server.stop();
        assert.equal(server.exitCode, 0, `nestor-dhcp6 stopped cleanly:\n${server.output}`);
        server = await startServer6(bed, serverNs, config);
        // (waited for, bounded: log lines reach the pipe asynchronously)
        await server.waitForOutput(
          new RegExp(`DHCPSRV_MEMFILE_LEASE_FILE_LOAD .*leases6\\.csv: ${rows} rows, 0 discarded`),
          5_000,
        );
        // ...and knows them: the same clients again (same seed, same DUIDs) get exactly their
        // address and prefix back, and nothing leased before the restart goes to anyone else.
        const again = await perfdhcp6(bed, clientNs, link.b, {
          ...load,
          seconds: 3,
          capture: `${bed.dir}/2.pcap`,
        });
        const before = new Map<string, string[]>();
        for (const m of got) before.set(m.duid, leaseKeys(m));
        let returning = 0;
        const second = replies(again.seen);
        for (const m of second) {
          const previous = before.get(m.duid);
          if (previous !== undefined) {
            returning += 1;
            assert.deepEqual(leaseKeys(m), previous, `${m.duid} got its leases back`);
          } else {
            for (const key of leaseKeys(m)) {
              assert.ok(!replied.has(key), `${key} went to ${m.duid}, not its holder`);
            }
          }
        }
        assert.equal(returning, second.length, "every client of the second run was in the first");
        checkLeases();
        assert.doesNotMatch(server.output, /\bERROR\b/);
        assert.ok(server.running);
        process.stdout.write(
          `perfdhcp -6: ${exchanges} SARR exchanges (IA_NA + IA_PD) in ${load.seconds} s, ${rows} lease rows, ` +
            `${returning} returning clients after the restart\n`,
        );
      } finally {
        await bed.close();
      }
    }),
);

describe("a relayed client (perfdhcp -6 -A 1, one RELAY-FORW level)", () => {
  test(
    "gets addresses from the subnet of its relay's link-address, or whose relay.ip-addresses lists it, answered in RELAY-REPL",
    BOUNDED,
    () =>
      timed("perfdhcp -6 -A 1 (two link-addresses)", async () => {
        requirePrerequisites([IPROUTE, PERFDHCP, TCPDUMP]);
        const bed = new TestBed("relay6", "n6e");
        try {
          const serverNs = namespace6(bed, "srv");
          const relayNs = namespace6(bed, "rly");
          const link = bed.link(
            { ns: serverNs, role: "s", address: "2001:db8:1::1/64" },
            { ns: relayNs, role: "r", address: "2001:db8:1::2/64" },
          );
          // The server's own link has a subnet too: relayed clients must not get it.
          const config = new Server6Config(bed.dir, {
            interfaces: [link.a],
            subnets: [
              { id: 1, subnet: LINK_SUBNET, pool: "2001:db8:1::/80", interface: link.a },
              { id: 2, subnet: "2001:db8:2::/64", pool: "2001:db8:2::/80" },
              {
                id: 3,
                subnet: "2001:db8:3::/64",
                pool: "2001:db8:3::/80",
                relay: ["2001:db8:ff::1"],
              },
            ],
          });
          await linkUp([serverNs, link.a], [relayNs, link.b]);
          const server = await startServer6(bed, serverNs, config);
          // 2001:db8:2::1 is inside subnet 2; 2001:db8:ff::1 is in no subnet, but subnet 3
          // names it in relay.ip-addresses.
          const links = `${bed.dir}/links.txt`;
          writeFileSync(links, "2001:db8:2::1\n2001:db8:ff::1\n");
          const r = await perfdhcp6(bed, relayNs, link.b, {
            rate: 50,
            seconds: 3,
            clients: 200,
            seed: 77,
            capture: `${bed.dir}/relay.pcap`,
            relayLinks: links,
          });
          const exchanges = exchangeStats(r.stats, "REQUEST-REPLY").received;
          assert.ok(exchanges >= 100, `only ${exchanges} exchanges`);
          const got = replies(r.seen);
          assert.equal(got.length, exchanges, "one REPLY with an address per exchange");
          const expected: Record<string, { prefix: string; subnetId: number }> = {
            "2001:db8:2::1": { prefix: "2001:db8:2::/64", subnetId: 2 },
            "2001:db8:ff::1": { prefix: "2001:db8:3::/64", subnetId: 3 },
          };
          const perLink = new Map<string, number>();
          const leases = lease6Set(readLease6Rows(config.leaseFile));
          for (const m of got) {
            // The REPLY came inside one RELAY-REPL, to the relay's port, with the link-address
            // of the RELAY-FORW it answers.
            assert.equal(m.outerType, M6.RELAY_REPL);
            assert.equal(m.relayLevels, 1);
            assert.equal(m.dstPort, 547);
            const want = expected[m.linkAddress ?? ""];
            assert.ok(want !== undefined, `a RELAY-REPL with link-address ${m.linkAddress}`);
            perLink.set(m.linkAddress!, (perLink.get(m.linkAddress!) ?? 0) + 1);
            for (const a of m.addresses) {
              assert.ok(inPrefix(a, want.prefix), `${a} for link ${m.linkAddress}`);
              const lease = leases.get(lease6Key(LEASE_NA, a));
              assert.equal(lease?.duid, m.duid, `${a} is a lease of ${m.duid}`);
              assert.equal(lease.subnetId, want.subnetId);
            }
          }
          assert.equal(perLink.size, 2, `both link-addresses used: ${[...perLink].join(" ")}`);
          assert.equal(leases.size, got.length, "exactly the REPLYed leases");
          assert.ok(
            [...leases.values()].every((l) => l.subnetId !== 1),
            "no relayed client got the server's own link's subnet",
          );
          assert.ok(server.running);
        } finally {
          await bed.close();
        }
      }),
  );
});
