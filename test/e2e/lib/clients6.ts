/**
 * Real DHCPv6 clients driven in a namespace: ISC dhclient -6 and dhcpcd -6, each in the foreground
 * (the test owns its PID) with files of the test's own, never touching the host's: dhclient runs
 * a script from the test's directory that only adds and removes the address on the interface;
 * dhcpcd runs with a configuration file of the test's, no hook script, and its database
 * directory (/var/lib/dhcpcd, where it keeps its DUID) replaced by the test's directory inside
 * the private mount namespace `ip netns exec` gives it.
 *
 * Both use DUID-LL (type 3, Ethernet, the interface's MAC), so the test knows each client's DUID.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { bin, type Proc, type TestBed } from "./netns.ts";

export const CLIENT6_PREREQUISITES = [
  { program: "dhclient", debianPackage: "isc-dhcp-client" },
  { program: "dhcpcd", debianPackage: "dhcpcd-base" },
];

const IP = bin("ip");

/** The DUID-LL of a MAC address, as the lease file writes it. */
export function duidLL(mac: string): string {
  return `00:03:00:01:${mac.toLowerCase()}`;
}

/** dhclient's v6 script: $reason is the event; new_/old_ip6_* describe the lease. */
const DHCLIENT6_SCRIPT = `#!/bin/sh
echo "dhclient6 $reason \${new_ip6_address:-} \${new_ip6_prefix:-}" >> "$(dirname "$0")/events6.log"
case "$reason" in
  PREINIT6) ${IP} link set dev "$interface" up ;;
  BOUND6|RENEW6|REBIND6|REBOOT6)
    if [ -n "$old_ip6_address" ] && [ "$old_ip6_address" != "$new_ip6_address" ]; then
      ${IP} -6 addr del "$old_ip6_address/$old_ip6_prefixlen" dev "$interface"
    fi
    if [ -n "$new_ip6_address" ]; then
      ${IP} -6 addr replace "$new_ip6_address/$new_ip6_prefixlen" dev "$interface" nodad
    fi ;;
  EXPIRE6|RELEASE6|STOP6)
    if [ -n "$old_ip6_address" ]; then
      ${IP} -6 addr del "$old_ip6_address/$old_ip6_prefixlen" dev "$interface"
    fi ;;
esac
exit 0
`;

/** ISC dhclient -6 in the foreground, for an address (IA_NA) or a prefix (-P, IA_PD). */
export class Dhclient6 {
  readonly name: string;
  readonly proc: Proc;
  readonly leaseFile: string;
  private readonly args: string[];
  private readonly bed: TestBed;
  private readonly ns: string;

  constructor(bed: TestBed, ns: string, ifname: string, options: { pd?: boolean } = {}) {
    this.bed = bed;
    this.ns = ns;
    const what = options.pd === true ? "pd" : "na";
    this.name = `dhclient -6${options.pd === true ? " -P" : ""}`;
    const script = join(bed.dir, "dhclient6.script");
    writeFileSync(script, DHCLIENT6_SCRIPT);
    chmodSync(script, 0o755);
    const conf = join(bed.dir, "dhclient6.conf");
    writeFileSync(conf, "timeout 30;\nretry 5;\n");
    this.leaseFile = join(bed.dir, `dhclient6-${what}.leases`);
    this.args = [
      "-6",
      ...(options.pd === true ? ["-P"] : []),
      "-D",
      "LL",
      "-sf",
      script,
      "-cf",
      conf,
      "-lf",
      this.leaseFile,
      "-pf",
      join(bed.dir, `dhclient6-${what}.pid`),
      ifname,
    ];
    this.proc = bed.spawn(`${this.name} ${ifname}`, ns, "dhclient", ["-d", "-v", ...this.args]);
  }

  /** `dhclient -r` stops the running dhclient (the PID in its PID file) and sends RELEASE. */
  async release(): Promise<void> {
    this.bed.exec(this.ns, "dhclient", ["-r", "-v", ...this.args], 20_000);
    if (!(await this.proc.waitExit(10_000))) throw new Error(`${this.name} -r did not stop it`);
  }
}

/** dhcpcd -6 in the foreground: DHCPv6 at once (no router advertisement), IA_NA and IA_PD. */
export class Dhcpcd6 {
  readonly name = "dhcpcd -6";
  readonly proc: Proc;
  private readonly common: string[];
  private readonly bed: TestBed;
  private readonly ns: string;
  private readonly ifname: string;

  constructor(bed: TestBed, ns: string, ifname: string, options: { pd?: boolean } = {}) {
    this.bed = bed;
    this.ns = ns;
    this.ifname = ifname;
    const conf = join(bed.dir, "dhcpcd6.conf");
    // noipv6rs: no router advertisement to wait for; ia_na/ia_pd then start DHCPv6 straight away.
    // The delegated prefix is assigned to no interface (dhcpcd runs on this interface only).
    writeFileSync(
      conf,
      [
        "duid ll",
        "noipv6rs",
        `interface ${ifname}`,
        "  ia_na 1",
        ...(options.pd === true ? ["  ia_pd 2"] : []),
        "",
      ].join("\n"),
    );
    const db = join(bed.dir, "dhcpcd-db");
    mkdirSync(db, { recursive: true });
    this.common = ["-6", "-f", conf, "-c", "/bin/true"];
    // PID file and control socket in /run/dhcpcd, named after the interface (unique to this
    // test); a dhcpcd that had to be killed leaves them behind.
    bed.onClose(() => {
      for (const dir of ["/run/dhcpcd"]) {
        for (const f of existsSync(dir) ? readdirSync(dir) : []) {
          if (f.startsWith(`${ifname}.`) || f.startsWith(`${ifname}-`)) rmSync(join(dir, f));
        }
      }
    });
    this.proc = bed.spawn(`dhcpcd -6 ${ifname}`, ns, "sh", [
      "-c",
      `mount --bind "$0" /var/lib/dhcpcd && exec ${bin("dhcpcd")} "$@"`,
      db,
      ...this.common,
      "-B",
      "-d",
      "-t",
      "30",
      ifname,
    ]);
  }

  /** `dhcpcd -k`: the running dhcpcd releases its leases and exits. */
  async release(): Promise<void> {
    this.bed.exec(this.ns, "dhcpcd", [...this.common, "-k", this.ifname], 20_000);
  }
}
