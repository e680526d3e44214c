/**
 * Two network namespaces joined by a veth pair, for a server and a load generator:
 *
 *   <prefix>-cli [<prefix>-c0 client/24] ---veth--- [<prefix>-s0 server/24] <prefix>-srv
 *
 * Every name starts with the caller's prefix so that benchmarks and tests running at the same
 * time never touch each other's namespaces. destroy() is safe to call more than once.
 *
 * With IPv6 addresses (given by their colon), duplicate address detection is off in both
 * namespaces, so the link-local and global addresses are usable as soon as the links are up (a
 * DHCPv6 server cannot bind a tentative link-local address).
 */
import { run } from "./processes.ts";

export interface TestBedOptions {
  prefix: string;
  serverAddress: string;
  clientAddress: string;
  prefixLength: number;
}

export class TestBed {
  readonly serverNs: string;
  readonly clientNs: string;
  readonly serverIface: string;
  readonly clientIface: string;
  readonly serverAddress: string;
  readonly clientAddress: string;
  private readonly prefixLength: number;

  constructor(o: TestBedOptions) {
    this.serverNs = `${o.prefix}-srv`;
    this.clientNs = `${o.prefix}-cli`;
    this.serverIface = `${o.prefix}-s0`;
    this.clientIface = `${o.prefix}-c0`;
    this.serverAddress = o.serverAddress;
    this.clientAddress = o.clientAddress;
    this.prefixLength = o.prefixLength;
  }

  /** Creates the namespaces (removing leftovers of an earlier run with the same names first). */
  create(): void {
    this.destroy();
    run("ip", ["netns", "add", this.serverNs]);
    run("ip", ["netns", "add", this.clientNs]);
    const v6 = this.serverAddress.includes(":");
    if (v6) {
      // Before the links move in: a link takes the namespace's "default" settings as it arrives.
      for (const ns of [this.serverNs, this.clientNs]) {
        for (const conf of ["all", "default"]) {
          run("ip", ["netns", "exec", ns, "sysctl", "-qw", `net.ipv6.conf.${conf}.accept_dad=0`]);
        }
      }
    }
    run("ip", ["link", "add", this.serverIface, "type", "veth", "peer", "name", this.clientIface]);
    run("ip", ["link", "set", this.serverIface, "netns", this.serverNs]);
    run("ip", ["link", "set", this.clientIface, "netns", this.clientNs]);
    const len = this.prefixLength;
    run("ip", [
      "-n",
      this.serverNs,
      "addr",
      "add",
      `${this.serverAddress}/${len}`,
      "dev",
      this.serverIface,
      ...(v6 ? ["nodad"] : []),
    ]);
    run("ip", [
      "-n",
      this.clientNs,
      "addr",
      "add",
      `${this.clientAddress}/${len}`,
      "dev",
      this.clientIface,
      ...(v6 ? ["nodad"] : []),
    ]);
    for (const [ns, dev] of [
      [this.serverNs, this.serverIface],
      [this.clientNs, this.clientIface],
      [this.serverNs, "lo"],
      [this.clientNs, "lo"],
    ] as const) {
      run("ip", ["-n", ns, "link", "set", dev, "up"]);
    }
  }

  /** Removes both namespaces; deleting a namespace deletes the veth pair with it. */
  destroy(): void {
    const existing = run("ip", ["netns", "list"], true);
    for (const ns of [this.serverNs, this.clientNs]) {
      if (new RegExp(`^${ns}(\\s|$)`, "m").test(existing)) run("ip", ["netns", "del", ns], true);
    }
  }

  /**
   * UDP datagrams (over IPv4 and IPv6) the kernel of a namespace dropped because a socket's
   * receive buffer was full.
   */
  udpRcvbufErrors(ns: string): number {
    let drops = 0;
    const snmp = run("ip", ["netns", "exec", ns, "cat", "/proc/net/snmp"], true)
      .split("\n")
      .filter((l) => l.startsWith("Udp:"));
    if (snmp.length >= 2) {
      const names = snmp[0]!.trim().split(/\s+/);
      const values = snmp[1]!.trim().split(/\s+/);
      drops += Number(values[names.indexOf("RcvbufErrors")] ?? 0);
    }
    const snmp6 = run("ip", ["netns", "exec", ns, "cat", "/proc/net/snmp6"], true);
    drops += Number(/^Udp6RcvbufErrors\s+(\d+)/m.exec(snmp6)?.[1] ?? 0);
    return drops;
  }

  /** The argument vector that runs `command` inside a namespace (`ip netns exec` execs it). */
  exec(ns: string, command: string, args: readonly string[]): [string, string[]] {
    return ["ip", ["netns", "exec", ns, command, ...args]];
  }
}
