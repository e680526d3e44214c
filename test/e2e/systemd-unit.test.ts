/**
 * The systemd units in contrib/systemd/ run the servers without root, with only the capabilities
 * their `AmbientCapabilities=` line names. This suite reads that line from each unit file and
 * starts the server with exactly those capabilities and no others (setpriv: the "noroot"
 * securebits, so that no capability comes from the user id, an inheritable, ambient and bounding
 * set of those alone), checks in /proc that the server holds just them, and has a real client get
 * a lease through it on the standard ports (67, 547):
 *
 *   client ns [veth] ---- [veth 198.51.100.1/24, 2001:db8:1::1/64] server ns: nestor-dhcpN
 *
 * Needs root, iproute2, setpriv (util-linux), udhcpc and ISC dhclient.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { DEFAULT_RECV_BUFFER } from "../../src/dhcpsrv/iface/iface-manager.ts";
import { CLIENT_PREREQUISITES, Udhcpc } from "./lib/clients.ts";
import { CLIENT6_PREREQUISITES, Dhclient6 } from "./lib/clients6.ts";
import { CLI } from "./lib/nestor.ts";
import { CLI6, Server6Config } from "./lib/nestor6.ts";
import { ServerConfig } from "./lib/nestor.ts";
import { addressOn, requirePrerequisites, run, TestBed, waitFor, type Proc } from "./lib/netns.ts";

const BOUNDED = { timeout: 120_000 };
const PREREQUISITES = [
  { program: "ip", debianPackage: "iproute2" },
  { program: "setpriv", debianPackage: "util-linux" },
];

/** Linux capability numbers of the names a unit may list (linux/capability.h). */
const CAPABILITY_BITS: Record<string, number> = {
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
};

/** The capabilities a unit grants (`AmbientCapabilities=`), and its bounding set, as written. */
function unitCapabilities(family: 4 | 6): { ambient: string[]; bounding: string[]; user: string } {
  const file = fileURLToPath(
    new URL(`../../contrib/systemd/nestor-dhcp${family}.service`, import.meta.url),
  );
  const text = readFileSync(file, "utf8");
  const key = (name: string) => {
    const m = new RegExp(`^${name}=(.*)$`, "m").exec(text);
    assert.ok(m !== null, `${file} has no ${name}=`);
    return m[1]!.trim();
  };
  return {
    ambient: key("AmbientCapabilities").split(/\s+/),
    bounding: key("CapabilityBoundingSet").split(/\s+/),
    user: key("User"),
  };
}

/** Starts the server through setpriv with only `caps`; waits until it serves. */
async function startWithCapabilities(
  bed: TestBed,
  ns: string,
  family: 4 | 6,
  file: string,
  caps: readonly string[],
): Promise<Proc> {
  const list = caps.map((c) => `+${c.replace(/^CAP_/, "").toLowerCase()}`).join(",");
  const server = bed.spawn(`nestor-dhcp${family}`, ns, "setpriv", [
    "--securebits=+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked",
    `--inh-caps=-all,${list}`,
    `--ambient-caps=-all,${list}`,
    `--bounding-set=-all,${list}`,
    "--no-new-privs",
    process.execPath,
    family === 4 ? CLI : CLI6,
    "-c",
    file,
  ]);
  await server.waitForOutput(new RegExp(`nestor-dhcp${family} \\S+: serving \\d+ subnet`), 20_000);
  return server;
}

/** The effective capability set of a process, from /proc (a bit mask). */
function effectiveCapabilities(pid: number): bigint {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  assert.ok(m !== null, "no CapEff in /proc status");
  return BigInt(`0x${m[1]}`);
}

function maskOf(caps: readonly string[]): bigint {
  let mask = 0n;
  for (const c of caps) {
    const bit = CAPABILITY_BITS[c];
    assert.ok(bit !== undefined, `unknown capability ${c}`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

/**
 * The server's output without the one warning these capabilities may bring: without
 * CAP_NET_ADMIN the kernel caps the sockets' receive buffer at net.core.rmem_max, and the server
 * says so when that is below what it asks for (contrib/systemd/README.md says how to raise it).
 */
function unexpected(output: string): string {
  const rmemMax = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
  if (rmemMax >= DEFAULT_RECV_BUFFER) return output;
  return output.replace(/^.*DHCPSRV_IFACE_RECV_BUFFER_CAPPED.*$/gm, "");
}

test("the units run as a system user with CAP_NET_BIND_SERVICE and CAP_NET_RAW only", () => {
  for (const family of [4, 6] as const) {
    const caps = unitCapabilities(family);
    assert.notEqual(caps.user, "root");
    assert.deepEqual([...caps.ambient].sort(), ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]);
    assert.deepEqual([...caps.bounding].sort(), [...caps.ambient].sort());
  }
});

test(
  "nestor-dhcp4 with only the unit's capabilities serves udhcpc on port 67",
  BOUNDED,
  async () => {
    requirePrerequisites([...PREREQUISITES, CLIENT_PREREQUISITES[0]!]);
    const { ambient } = unitCapabilities(4);
    const bed = new TestBed("systemd-caps4");
    try {
      const serverNs = bed.namespace("srv");
      const clientNs = bed.namespace("cli");
      const { a: serverIf, b: clientIf } = bed.link(
        { ns: serverNs, role: "s", address: "198.51.100.1/24" },
        { ns: clientNs, role: "c", mac: "02:5d:00:00:00:04" },
      );
      // dhcp-socket-type raw, Kea's default: the packet socket needs CAP_NET_RAW.
      const config = new ServerConfig(bed.dir, {
        interfaces: [serverIf],
        subnets: [{ id: 1, subnet: "198.51.100.0/24", pool: "198.51.100.10 - 198.51.100.50" }],
        global: {},
      });
      const server = await startWithCapabilities(bed, serverNs, 4, config.file, ambient);
      assert.equal(effectiveCapabilities(server.child.pid!), maskOf(ambient), server.output);
      assert.doesNotMatch(unexpected(server.output), /fall(s|ing)? back|WARN/i, server.output);

      new Udhcpc(bed, clientNs, clientIf);
      const address = await addressOn(bed, clientNs, clientIf, "198.51.100.");
      assert.match(address, /^198\.51\.100\.(1\d|[2-4]\d|50)$/);
    } finally {
      await bed.close();
    }
  },
);

test(
  "nestor-dhcp6 with only the unit's capabilities serves dhclient -6 on port 547",
  BOUNDED,
  async () => {
    requirePrerequisites([...PREREQUISITES, CLIENT6_PREREQUISITES[0]!]);
    const { ambient } = unitCapabilities(6);
    const bed = new TestBed("systemd-caps6", "n6e");
    try {
      const serverNs = bed.namespace("srv");
      const clientNs = bed.namespace("cli");
      bed.noDad(serverNs);
      bed.noDad(clientNs);
      const { a: serverIf, b: clientIf } = bed.link(
        { ns: serverNs, role: "s", address: "2001:db8:1::1/64" },
        { ns: clientNs, role: "c", mac: "02:5d:00:00:00:06" },
      );
      for (const [ns, ifname] of [
        [serverNs, serverIf],
        [clientNs, clientIf],
      ] as const) {
        await waitFor(
          `a link-local address on ${ifname}`,
          () =>
            /inet6 fe80::/.test(run("ip", ["-n", ns, "-6", "-o", "addr", "show", "dev", ifname]))
              ? true
              : undefined,
          10_000,
        );
      }
      const config = new Server6Config(bed.dir, {
        interfaces: [serverIf],
        subnets: [
          {
            id: 1,
            subnet: "2001:db8:1::/64",
            pool: "2001:db8:1::1000 - 2001:db8:1::ffff",
            interface: serverIf,
          },
        ],
      });
      const server = await startWithCapabilities(bed, serverNs, 6, config.file, ambient);
      assert.equal(effectiveCapabilities(server.child.pid!), maskOf(ambient), server.output);

      new Dhclient6(bed, clientNs, clientIf);
      const address = await waitFor(
        "an address from 2001:db8:1::/64 on the client",
        () => bed.addresses6(clientNs, clientIf).find((a) => a.startsWith("2001:db8:1::")),
        30_000,
        () => bed.describe(),
      );
      assert.match(address, /^2001:db8:1::[0-9a-f]{4}\/128$/);
    } finally {
      await bed.close();
    }
  },
);
