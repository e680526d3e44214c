/**
 * user_chk end to end, with real clients, as root, in network namespaces each test creates:
 *
 *   registered client ns   [veth] --+
 *                                   +-- bridge (lan ns) --- [veth 198.51.100.1/24, 203.0.113.1/24
 *   unregistered client ns [veth] --+                              2001:db8:1::1/64] server ns
 *
 * The server is the command line program an operator runs (nestor-dhcp4 / nestor-dhcp6 -c FILE)
 * with a Kea configuration naming Kea's `libdhcp_user_chk.so` in `hooks-libraries`, which loads
 * hooks/user_chk, with the registry and outcome files in the test's directory. Two subnets: 1, the
 * privileged one the server selects for the link, and 2, the restricted one (the highest ID).
 *
 * DHCPv4 with busybox udhcpc (asking for options 66 and 67, its script recording what it got):
 * the registered client gets an address from 198.51.100.0/24, the boot file in option 67 and in
 * the file field, and the TFTP server in option 66; the unregistered one an address from
 * 203.0.113.0/24 and the configured boot file. DHCPv6 with ISC dhclient -6 (DUID-LL, asking for
 * the bootfile-url): the registered client gets an address from 2001:db8:1::/64 and its own
 * boot-file-url, the unregistered one an address from 2001:db8:2::/64 and the configured URL. In
 * both, the outcome file holds one record per client, in Kea's format.
 *
 * Needs root, iproute2, udhcpc and isc-dhcp-client; a missing one fails the test and says what to
 * install. Everything a test creates is removed afterwards, even when it fails.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { Udhcpc } from "../../../../test/e2e/lib/clients.ts";
import { duidLL } from "../../../../test/e2e/lib/clients6.ts";
import { ServerConfig, startServer } from "../../../../test/e2e/lib/nestor.ts";
import { Server6Config, startServer6 } from "../../../../test/e2e/lib/nestor6.ts";
import {
  bin,
  requirePrerequisites,
  run,
  TestBed,
  waitFor,
} from "../../../../test/e2e/lib/netns.ts";

const BOUNDED = { timeout: 120_000 };

/** As a Kea configuration names it: Nestor loads hooks/user_chk for it. */
const KEA_LIBRARY = "/usr/local/lib/libdhcp_user_chk.so";

const IP = bin("ip");

/** A registered and an unregistered client on one LAN with the server. */
interface Lan {
  bed: TestBed;
  serverNs: string;
  serverIf: string;
  clients: { ns: string; ifname: string; mac: string }[];
}

function lan(bed: TestBed, macs: string[], serverAddresses: string[]): Lan {
  const serverNs = bed.namespace("srv");
  const lanNs = bed.namespace("lan");
  // DHCPv6 needs usable link-local addresses at once.
  for (const ns of [serverNs, lanNs]) bed.noDad(ns);
  const br = bed.bridge(lanNs);
  const server = bed.link(
    { ns: serverNs, role: "s", address: serverAddresses[0]! },
    { ns: lanNs, role: "l", master: br },
  );
  for (const a of serverAddresses.slice(1)) {
    run("ip", [
      "-n",
      serverNs,
      "addr",
      "add",
      a,
      "dev",
      server.a,
      ...(a.includes(":") ? ["nodad"] : []),
    ]);
  }
  const clients = macs.map((mac, i) => {
    const ns = bed.namespace(`c${i}`);
    bed.noDad(ns);
    const l = bed.link({ ns, role: `c${i}`, mac }, { ns: lanNs, role: "l", master: br });
    return { ns, ifname: l.a, mac };
  });
  return { bed, serverNs, serverIf: server.a, clients };
}

/** Waits for a link-local address that is usable (not tentative) on an interface. */
async function linkLocal(ns: string, ifname: string): Promise<void> {
  await waitFor(
    `a link-local address on ${ifname}`,
    () => {
      const out = run("ip", ["-n", ns, "-6", "-o", "addr", "show", "dev", ifname, "scope", "link"]);
      return /inet6 fe80:/.test(out) && !/tentative/.test(out) ? true : undefined;
    },
    10_000,
  );
}

/** `KEY=value` lines a client script wrote, as a map. */
function readEnv(file: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) env.set(line.slice(0, i), line.slice(i + 1));
  }
  return env;
}

/** udhcpc's script: on bound, the address goes on the interface and the values into a file. */
function udhcpcScript(dir: string, name: string): { script: string; envFile: string } {
  const envFile = join(dir, `${name}.env`);
  const script = join(dir, `${name}.sh`);
  writeFileSync(
    script,
    `#!/bin/sh
case "$1" in
  deconfig) ${IP} -4 addr flush dev "$interface" ;;
  bound|renew)
    ${IP} addr replace "$ip/$mask" dev "$interface"
    { echo "ip=$ip"; echo "bootfile=\${bootfile:-}"; echo "tftp=\${tftp:-}"; echo "boot_file=\${boot_file:-}"; } > "${envFile}.tmp"
    mv "${envFile}.tmp" "${envFile}" ;;
esac
exit 0
`,
  );
  chmodSync(script, 0o755);
  return { script, envFile };
}

/** The `KEY=value` files the clients' scripts write, once all are there (at most `timeoutMs`). */
function clientEnvs(bed: TestBed, files: readonly string[], timeoutMs: number) {
  return Promise.all(
    files.map((file) =>
      waitFor(
        `${file}`,
        () => (existsSync(file) ? readEnv(file) : undefined),
        timeoutMs,
        () => bed.describe(),
      ),
    ),
  );
}

/** The records of the outcome file, each with its blank line, once there are two. */
async function twoOutcomeRecords(outcome: string): Promise<string[]> {
  const text = await waitFor(
    "two outcome records",
    () => {
      const t = readFileSync(outcome, "utf8");
      return t.split("\n\n").filter((r) => r !== "").length >= 2 ? t : undefined;
    },
    10_000,
  );
  return text
    .split("\n\n")
    .filter((r) => r !== "")
    .map((r) => `${r}\n\n`);
}

/** One outcome record, as Kea writes it. */
function record(idType: string, client: string, addr: string, registered: boolean): string {
  return `id_type=${idType}\nclient=${client}\naddr=${addr}\nregistered=${registered ? "yes" : "no"}\n\n`;
}

test(
  "DHCPv4, udhcpc: the registered client gets the privileged subnet and its boot file and TFTP server, the unregistered one the restricted subnet; both recorded",
  BOUNDED,
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "udhcpc", debianPackage: "udhcpc" },
    ]);
    const registered = "02:75:63:00:04:01";
    const unregistered = "02:75:63:00:04:02";
    const bed = new TestBed("user_chk v4", "n4u");
    try {
      const net = lan(bed, [registered, unregistered], ["198.51.100.1/24", "203.0.113.1/24"]);
      const registry = join(bed.dir, "user_chk_registry.txt");
      const outcome = join(bed.dir, "user_chk_outcome.txt");
      writeFileSync(
        registry,
        `{ "type" : "HW_ADDR", "id" : "${registered}", "bootfile" : "/pxe/registered.efi", "tftp_server" : "tftp.example.com" }\n`,
      );
      const config = new ServerConfig(bed.dir, {
        interfaces: [net.serverIf],
        subnets: [
          {
            id: 1,
            subnet: "198.51.100.0/24",
            pool: "198.51.100.10 - 198.51.100.50",
            extra: { "option-data": [{ name: "boot-file-name", data: "configured.efi" }] },
          },
          {
            id: 2,
            subnet: "203.0.113.0/24",
            pool: "203.0.113.10 - 203.0.113.50",
            extra: { "option-data": [{ name: "boot-file-name", data: "restricted.efi" }] },
          },
        ],
        global: {
          "hooks-libraries": [{ library: KEA_LIBRARY, parameters: { registry, outcome } }],
        },
      });
      const server = await startServer(bed, net.serverNs, config);
      assert.match(server.output, /USER_CHK_LOADED .*\(1 users\)/);

      const got = net.clients.map((c, i) => {
        const { script, envFile } = udhcpcScript(bed.dir, `udhcpc${i}`);
        new Udhcpc(bed, c.ns, c.ifname, {
          script,
          args: ["-q", "-O", "tftp", "-O", "bootfile"],
        });
        return envFile;
      });
      const env = await clientEnvs(bed, got, 40_000);
      const [known, stranger] = env as [Map<string, string>, Map<string, string>];

      assert.match(known.get("ip")!, /^198\.51\.100\./);
      assert.equal(known.get("bootfile"), "/pxe/registered.efi");
      assert.equal(known.get("boot_file"), "/pxe/registered.efi");
      assert.equal(known.get("tftp"), "tftp.example.com");
      assert.deepEqual(bed.addresses(net.clients[0]!.ns, net.clients[0]!.ifname), [
        `${known.get("ip")}/24`,
      ]);

      assert.match(stranger.get("ip")!, /^203\.0\.113\./);
      assert.equal(stranger.get("bootfile"), "restricted.efi");
      assert.equal(stranger.get("tftp"), "");

      const records = await twoOutcomeRecords(outcome);
      assert.deepEqual(
        records.sort(),
        [
          record("HW_ADDR", `hwtype=1 ${registered}`, known.get("ip")!, true),
          record("HW_ADDR", `hwtype=1 ${unregistered}`, stranger.get("ip")!, false),
        ].sort(),
      );
      assert.ok(server.running, server.output);
      assert.doesNotMatch(server.output, /\bERROR\b/);
    } finally {
      await bed.close();
    }
  },
);

/** dhclient -6's script: on bound, the address goes on the interface and the values into a file. */
function dhclient6Files(
  dir: string,
  name: string,
): { script: string; conf: string; envFile: string } {
  const envFile = join(dir, `${name}.env`);
  const script = join(dir, `${name}.sh`);
  const conf = join(dir, `${name}.conf`);
  writeFileSync(
    script,
    `#!/bin/sh
case "$reason" in
  PREINIT6) ${IP} link set dev "$interface" up ;;
  BOUND6|RENEW6|REBIND6|REBOOT6)
    ${IP} -6 addr replace "$new_ip6_address/$new_ip6_prefixlen" dev "$interface" nodad
    { echo "ip=\${new_ip6_address:-}"; echo "url=\${new_dhcp6_bootfile_url:-}"; } > "${envFile}.tmp"
    mv "${envFile}.tmp" "${envFile}" ;;
esac
exit 0
`,
  );
  chmodSync(script, 0o755);
  writeFileSync(conf, "timeout 30;\nretry 5;\nalso request dhcp6.bootfile-url;\n");
  return { script, conf, envFile };
}

test(
  "DHCPv6, dhclient -6: the registered DUID gets the privileged subnet and its boot-file-url, the unregistered one the restricted subnet; both recorded",
  BOUNDED,
  async () => {
    requirePrerequisites([
      { program: "ip", debianPackage: "iproute2" },
      { program: "dhclient", debianPackage: "isc-dhcp-client" },
    ]);
    const registered = "02:75:63:00:06:01";
    const unregistered = "02:75:63:00:06:02";
    const bed = new TestBed("user_chk v6", "n6u");
    try {
      const net = lan(bed, [registered, unregistered], ["2001:db8:1::1/64"]);
      const registry = join(bed.dir, "user_chk_registry.txt");
      const outcome = join(bed.dir, "user_chk_outcome.txt");
      // The DUID written without colons, as the registry allows.
      writeFileSync(
        registry,
        `{ "type" : "DUID", "id" : "${duidLL(registered).replaceAll(":", "")}", "bootfile" : "registered.efi", "tftp_server" : "2001:db8:1::69" }\n`,
      );
      const config = new Server6Config(bed.dir, {
        interfaces: [net.serverIf],
        subnets: [
          {
            id: 1,
            subnet: "2001:db8:1::/64",
            pool: "2001:db8:1::10 - 2001:db8:1::50",
            interface: net.serverIf,
            extra: {
              "option-data": [{ name: "bootfile-url", data: "tftp://[2001:db8:1::1]/default.efi" }],
            },
          },
          {
            id: 2,
            subnet: "2001:db8:2::/64",
            pool: "2001:db8:2::10 - 2001:db8:2::50",
            extra: {
              "option-data": [
                { name: "bootfile-url", data: "tftp://[2001:db8:1::1]/restricted.efi" },
              ],
            },
          },
        ],
        global: {
          "hooks-libraries": [{ library: KEA_LIBRARY, parameters: { registry, outcome } }],
        },
      });
      await linkLocal(net.serverNs, net.serverIf);
      for (const c of net.clients) await linkLocal(c.ns, c.ifname);
      const server = await startServer6(bed, net.serverNs, config);

      const files = net.clients.map((c, i) => {
        const f = dhclient6Files(bed.dir, `dhclient6-${i}`);
        bed.spawn(`dhclient -6 ${c.ifname}`, c.ns, "dhclient", [
          "-6",
          "-d",
          "-v",
          "-D",
          "LL",
          "-sf",
          f.script,
          "-cf",
          f.conf,
          "-lf",
          join(bed.dir, `dhclient6-${i}.leases`),
          "-pf",
          join(bed.dir, `dhclient6-${i}.pid`),
          c.ifname,
        ]);
        return f.envFile;
      });
      const env = await clientEnvs(bed, files, 60_000);
      const [known, stranger] = env as [Map<string, string>, Map<string, string>];
      assert.match(known.get("ip")!, /^2001:db8:1::/);
      assert.equal(known.get("url"), "tftp://[2001:db8:1::69]/registered.efi");
      assert.match(stranger.get("ip")!, /^2001:db8:2::/);
      assert.equal(stranger.get("url"), "tftp://[2001:db8:1::1]/restricted.efi");

      const records = await twoOutcomeRecords(outcome);
      assert.deepEqual(
        records.sort(),
        [
          record("DUID", duidLL(registered), known.get("ip")!, true),
          record("DUID", duidLL(unregistered), stranger.get("ip")!, false),
        ].sort(),
      );
      assert.ok(server.running, server.output);
      assert.doesNotMatch(server.output, /\bERROR\b/);
    } finally {
      await bed.close();
    }
  },
);
