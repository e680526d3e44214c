/**
 * Real DHCPv4 clients driven in a namespace: busybox udhcpc, ISC dhclient and dhcpcd. Each runs in
 * the foreground (so that the test owns its PID) with a configuration of the test's own, and
 * never touches the host's files: udhcpc and dhclient run a small script from the test's
 * directory that only configures the address on the interface (instead of their default scripts,
 * which rewrite /etc/resolv.conf), dhcpcd runs with an empty configuration and no hook script.
 */
import { chmodSync, existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { bin, type Proc, type TestBed } from "./netns.ts";

export const CLIENT_PREREQUISITES = [
  { program: "udhcpc", debianPackage: "udhcpc" },
  { program: "dhclient", debianPackage: "isc-dhcp-client" },
  { program: "dhcpcd", debianPackage: "dhcpcd-base" },
];

const IP = bin("ip");

/** udhcpc's script: $1 is the event; $interface, $ip and $mask (prefix length) describe it. */
const UDHCPC_SCRIPT = `#!/bin/sh
echo "udhcpc $1 \${ip:-}" >> "$(dirname "$0")/events.log"
case "$1" in
  deconfig) ${IP} -4 addr flush dev "$interface" ;;
  bound|renew)
    ${IP} addr replace "$ip/$mask" dev "$interface"
    if [ -n "$router" ]; then ${IP} route replace default via "\${router%% *}" dev "$interface"; fi ;;
esac
exit 0
`;

/** dhclient's script: $reason is the event; new_ and old_ variables describe the lease. */
const DHCLIENT_SCRIPT = `#!/bin/sh
echo "dhclient $reason \${new_ip_address:-}" >> "$(dirname "$0")/events.log"
case "$reason" in
  PREINIT) ${IP} link set dev "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT)
    if [ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
      ${IP} -4 addr flush dev "$interface"
    fi
    ${IP} addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
  EXPIRE|FAIL|RELEASE|STOP) ${IP} -4 addr flush dev "$interface" ;;
esac
exit 0
`;

function writeScript(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  return file;
}

/** What each client can be asked to do; the address it configured is read from its interface. */
export interface Dhcp4Client {
  readonly name: string;
  readonly proc: Proc;
  /** Asks for the lease to be extended now (or, for dhclient, waits for its own T1). */
  renew(): Promise<void>;
  /** Releases the lease. */
  release(): Promise<void>;
}

/** busybox udhcpc in the foreground; SIGUSR1 renews, SIGUSR2 releases. */
export class Udhcpc implements Dhcp4Client {
  readonly name = "udhcpc";
  readonly proc: Proc;

  /**
   * `opts.script` instead of the one above (the test's own, as long as it stays in the test's
   * directory), `opts.args` after the usual ones (-q, -O...), `opts.label` for the logs.
   */
  constructor(
    bed: TestBed,
    ns: string,
    ifname: string,
    opts: { script?: string; args?: readonly string[]; label?: string } = {},
  ) {
    const script = opts.script ?? writeScript(bed.dir, "udhcpc.script", UDHCPC_SCRIPT);
    // -f foreground, -t/-T retries, -A pause after failure, -S log to syslog too (off: no -S).
    this.proc = bed.spawn(opts.label ?? `udhcpc ${ifname}`, ns, "udhcpc", [
      "-f",
      "-i",
      ifname,
      "-s",
      script,
      "-t",
      "10",
      "-T",
      "1",
      "-A",
      "1",
      ...(opts.args ?? []),
    ]);
  }

  async renew(): Promise<void> {
    this.proc.signal("SIGUSR1");
  }

  async release(): Promise<void> {
    this.proc.signal("SIGUSR2");
  }
}

/** ISC dhclient in the foreground with its own lease and PID files. */
export class Dhclient implements Dhcp4Client {
  readonly name = "dhclient";
  readonly proc: Proc;
  private readonly args: string[];
  private readonly bed: TestBed;
  private readonly ns: string;

  constructor(bed: TestBed, ns: string, ifname: string) {
    this.bed = bed;
    this.ns = ns;
    const dir = bed.dir;
    const script = writeScript(dir, "dhclient.script", DHCLIENT_SCRIPT);
    const conf = join(dir, "dhclient.conf");
    writeFileSync(conf, "timeout 30;\nretry 5;\ninitial-interval 1;\nbackoff-cutoff 2;\n");
    this.args = [
      "-4",
      "-sf",
      script,
      "-cf",
      conf,
      "-lf",
      join(dir, "dhclient.leases"),
      "-pf",
      join(dir, "dhclient.pid"),
      ifname,
    ];
    this.proc = bed.spawn(`dhclient ${ifname}`, ns, "dhclient", ["-d", "-v", ...this.args]);
  }

  /** dhclient has no command to renew now: it renews at T1, which the test configures short. */
  async renew(): Promise<void> {}

  /** `dhclient -x` stops the running dhclient without releasing: its lease file remembers. */
  async stopKeepingLease(): Promise<void> {
    this.bed.exec(this.ns, "dhclient", ["-x", "-v", ...this.args], 20_000);
    if (!(await this.proc.waitExit(10_000))) throw new Error("dhclient -x did not stop dhclient");
  }

  /** `dhclient -r` stops the running dhclient (the PID in its PID file) and sends DHCPRELEASE. */
  async release(): Promise<void> {
    this.bed.exec(this.ns, "dhclient", ["-r", "-v", ...this.args], 20_000);
  }
}

/** dhcpcd in the foreground, IPv4 only, no configuration file and no hook script. */
export class Dhcpcd implements Dhcp4Client {
  readonly name = "dhcpcd";
  readonly proc: Proc;
  private readonly common: string[];
  private readonly bed: TestBed;
  private readonly ns: string;
  private readonly ifname: string;

  /** `arp`: probe the address before using it (RFC 5227) and decline it when it is taken. */
  constructor(bed: TestBed, ns: string, ifname: string, options: { arp?: boolean } = {}) {
    this.bed = bed;
    this.ns = ns;
    this.ifname = ifname;
    // -4 IPv4 only, -A no ARP probe, -L no IPv4LL, -f no configuration, -c no hook script.
    this.common = ["-4", "-f", "/dev/null", "-c", "/bin/true"];
    // dhcpcd keeps its lease, PID file and control sockets in its own directories, named after
    // the interface (unique to this test); a dhcpcd that had to be killed leaves them behind.
    bed.onClose(() => {
      for (const dir of ["/var/lib/dhcpcd", "/run/dhcpcd"]) {
        for (const f of existsSync(dir) ? readdirSync(dir) : []) {
          if (f.startsWith(`${ifname}.`) || f.startsWith(`${ifname}-`)) rmSync(join(dir, f));
        }
      }
    });
    this.proc = bed.spawn(`dhcpcd ${ifname}`, ns, "dhcpcd", [
      ...this.common,
      "-B",
      "-d",
      ...(options.arp === true ? [] : ["-A"]),
      "-L",
      "-t",
      "30",
      ifname,
    ]);
  }

  /** `dhcpcd -n`: the running dhcpcd rebinds the interface. */
  async renew(): Promise<void> {
    this.bed.exec(this.ns, "dhcpcd", [...this.common, "-n", this.ifname], 20_000);
  }

  /** `dhcpcd -k`: the running dhcpcd releases the lease and exits. */
  async release(): Promise<void> {
    this.bed.exec(this.ns, "dhcpcd", [...this.common, "-k", this.ifname], 20_000);
  }
}
