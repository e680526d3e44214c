/**
 * End-to-end test of the interface and socket layer, as root, in network namespaces it creates:
 *
 *   client ns c1 [cli0] ---veth--- [srv1 198.51.100.1/24] server ns [srv2 203.0.113.1/24] ---veth--- [cli0] c2
 *
 * The clients have no IPv4 address. The server serves srv1 and srv2 with the IfaceManager, in both
 * socket modes (one socket per interface with SO_BINDTODEVICE, one shared socket sorted by
 * IP_PKTINFO). Checked: a broadcast to 255.255.255.255:67 arrives with its interface; the reply
 * broadcast to 255.255.255.255:68 leaves through that interface only; a DHCPv6 message to
 * ff02::1:2 arrives with its interface and the reply reaches the client's link-local address; a
 * reply sent to a hardware address leaves through the raw sender and needs no ARP.
 *
 * The processes in the namespaces run this same file with NESTOR_E2E_IFACE_ROLE set. Without root,
 * without `ip` or without the native addon the suite fails (never skips) and says why. The
 * namespaces are removed afterwards, even when a test fails.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { IfaceManager } from "../../src/dhcpsrv/iface/iface-manager.ts";
import { loadNative, type NativeBinding } from "../../src/dhcpsrv/iface/native.ts";
import { NativePacketSocket } from "../../src/dhcpsrv/iface/native-socket.ts";
import type { ReceivedPacket } from "../../src/dhcpsrv/iface/packet-socket.ts";

const SELF = fileURLToPath(import.meta.url);
const ROLE = process.env.NESTOR_E2E_IFACE_ROLE;
const ROLE_LIFETIME_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// Roles: what runs inside a namespace. Each prints one JSON object per line on stdout.

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function describePacket(p: ReceivedPacket): Record<string, unknown> {
  return {
    data: p.data.toString(),
    ifname: p.ifname,
    ifindex: p.ifindex,
    srcAddr: p.srcAddr,
    srcPort: p.srcPort,
    dstAddr: p.dstAddr,
  };
}

/** Serves NESTOR_E2E_IFACES; answers each request on the interface it came in on. */
async function runServer(): Promise<void> {
  const family = process.env.NESTOR_E2E_FAMILY === "6" ? 6 : 4;
  const manager = new IfaceManager({
    family,
    backend: "native",
    bindToDevice: process.env.NESTOR_E2E_BIND === "shared" ? false : true,
  });
  await manager.open({ interfaces: (process.env.NESTOR_E2E_IFACES ?? "").split(",") });
  manager.onBatch((packets) => {
    for (const p of packets) {
      emit({ event: "packet", ...describePacket(p) });
      const reply = Buffer.from(`REPLY:${p.data.toString()}:${p.ifname}`);
      const raw = /^RAW:(.+)\|(.+)$/.exec(p.data.toString());
      if (raw !== null) {
        // To the client's hardware address without ARP, then the same by plain UDP as a control.
        const [, hwaddr, yiaddr] = raw;
        const to = { dstAddr: yiaddr, dstPort: 68, ifindex: p.ifindex };
        manager.send({ data: Buffer.from("REPLY-RAW"), hwaddr, ...to });
        manager.send({ data: Buffer.from("REPLY-UDP"), ...to });
      } else if (family === 4) {
        manager.send({ data: reply, dstAddr: "255.255.255.255", dstPort: 68, ifindex: p.ifindex });
      } else {
        manager.send({ data: reply, dstAddr: p.srcAddr, dstPort: p.srcPort, ifindex: p.ifindex });
      }
    }
  });
  emit({
    event: "ready",
    kind: manager.kind,
    perInterface: manager.socketPerInterface,
    raw: manager.canSendToHwaddr,
  });
  const stop = () => {
    manager.close();
    process.exit(0);
  };
  process.stdin.on("end", stop);
  process.stdin.resume();
  setTimeout(stop, ROLE_LIFETIME_MS).unref();
}

/** Listens on the client port of cli0 for NESTOR_E2E_LISTEN_MS; sends NESTOR_E2E_SEND if set. */
async function runClient(): Promise<void> {
  const family = process.env.NESTOR_E2E_FAMILY === "6" ? 6 : 4;
  const { binding, reason } = loadNative();
  if (binding === null) throw new Error(reason);
  const socket = new NativePacketSocket(family, binding);
  await socket.open({
    address: family === 4 ? "0.0.0.0" : "::",
    port: family === 4 ? 68 : 546,
    device: "cli0",
  });
  socket.onBatch((packets) => {
    for (const p of packets) emit({ event: "reply", ...describePacket(p) });
  });
  const message = process.env.NESTOR_E2E_SEND;
  if (message !== undefined) {
    socket.send({
      data: Buffer.from(message.replace("{MAC}", cli0Mac(binding))),
      dstAddr: family === 4 ? "255.255.255.255" : "ff02::1:2",
      dstPort: family === 4 ? 67 : 547,
      ifindex: binding.nameToIndex("cli0"),
    });
    emit({ event: "sent" });
  }
  setTimeout(
    () => {
      socket.close();
      emit({ event: "done" });
    },
    Number(process.env.NESTOR_E2E_LISTEN_MS ?? "1000"),
  );
}

function cli0Mac(binding: NativeBinding): string {
  return binding.interfaces().find((i) => i.name === "cli0")?.mac ?? "";
}

// ---------------------------------------------------------------------------------------------
// The test bed.

interface Event {
  event: string;
  [key: string]: unknown;
}

/** A process in a namespace and the events it printed. */
class Role {
  readonly events: Event[] = [];
  readonly child: ChildProcess;
  private stderr = "";
  private waiters: (() => void)[] = [];

  constructor(ns: string, env: Record<string, string>) {
    this.child = spawn("ip", ["netns", "exec", ns, process.execPath, SELF], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let buffered = "";
    this.child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith("{")) this.events.push(JSON.parse(line) as Event);
      }
      this.wake();
    });
    this.child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.on("exit", () => this.wake());
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** The first event matching, waiting at most `ms`. */
  async waitFor(match: (e: Event) => boolean, what: string, ms = 5000): Promise<Event> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.child.exitCode !== null) {
        throw new Error(
          `no ${what} within ${ms} ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Ends the process and waits (bounded) until it is gone, so the next test starts clean. */
  async stop(): Promise<void> {
    this.child.stdin?.end();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000))]);
  }
}

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8", timeout: 10_000 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.trim()}`);
}

function sysctl(ns: string, ...settings: string[]): void {
  ip("netns", "exec", ns, "sysctl", "-qw", ...settings);
}

/** Why this suite cannot run here, or null. */
function missingPrerequisite(): string | null {
  if (process.getuid?.() !== 0) {
    return "the e2e tests need root (they create network namespaces): run npm run test:e2e as root";
  }
  const r = spawnSync("ip", ["-V"], { encoding: "utf8" });
  if (r.error !== undefined || r.status !== 0) {
    return "the `ip` command (iproute2) is missing: install iproute2";
  }
  const { binding, reason } = loadNative();
  if (binding === null)
    return `the native socket addon is unavailable (${reason}): npm run build:native`;
  return null;
}

const NS = {
  server: `nst-srv-${process.pid}`,
  c1: `nst-c1-${process.pid}`,
  c2: `nst-c2-${process.pid}`,
};
const created: string[] = [];

function removeNamespaces(): void {
  while (created.length > 0) {
    const ns = created.pop() as string;
    spawnSync("ip", ["netns", "del", ns], { timeout: 10_000 });
  }
}

function buildBed(): void {
  for (const ns of [NS.server, NS.c1, NS.c2]) {
    ip("netns", "add", ns);
    created.push(ns);
    ip("-n", ns, "link", "set", "lo", "up");
    // No duplicate address detection: link-local addresses are usable at once.
    sysctl(ns, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
    // The clients have no IPv4 address: accept the server's broadcast from an unknown network.
    sysctl(ns, "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0");
  }
  ip(
    "-n",
    NS.server,
    "link",
    "add",
    "srv1",
    "type",
    "veth",
    "peer",
    "name",
    "cli0",
    "netns",
    NS.c1,
  );
  ip(
    "-n",
    NS.server,
    "link",
    "add",
    "srv2",
    "type",
    "veth",
    "peer",
    "name",
    "cli0",
    "netns",
    NS.c2,
  );
  ip("-n", NS.server, "addr", "add", "198.51.100.1/24", "dev", "srv1");
  ip("-n", NS.server, "addr", "add", "203.0.113.1/24", "dev", "srv2");
  for (const [ns, dev] of [
    [NS.server, "srv1"],
    [NS.server, "srv2"],
    [NS.c1, "cli0"],
    [NS.c2, "cli0"],
  ]) {
    ip("-n", ns, "link", "set", dev, "up");
  }
}

async function linkLocalReady(ns: string, dev: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = spawnSync("ip", ["-n", ns, "-6", "addr", "show", "dev", dev, "scope", "link"], {
      encoding: "utf8",
    });
    if (r.stdout.includes("fe80::") && !r.stdout.includes("tentative")) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no usable link-local address on ${dev} in ${ns}`);
}

function registerTests(): void {
  describe("interface and socket layer in network namespaces", () => {
    const roles: Role[] = [];
    // Every process of a test ends with it: a client left listening on the same port could
    // take the next test's unicast reply.
    const stopAll = async () => {
      await Promise.all(roles.map((r) => r.stop()));
    };
    const role = (ns: string, env: Record<string, string>) => {
      const r = new Role(ns, env);
      roles.push(r);
      return r;
    };

    before(async () => {
      const missing = missingPrerequisite();
      if (missing !== null) throw new Error(`e2e prerequisite missing: ${missing}`);
      process.once("exit", removeNamespaces);
      for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
          removeNamespaces();
          process.exit(1);
        });
      }
      buildBed();
      await Promise.all([
        linkLocalReady(NS.server, "srv1"),
        linkLocalReady(NS.server, "srv2"),
        linkLocalReady(NS.c1, "cli0"),
        linkLocalReady(NS.c2, "cli0"),
      ]);
    });

    after(async () => {
      await stopAll();
      removeNamespaces();
    });

    for (const bind of ["per-interface", "shared"] as const) {
      test(`v4 (${bind} sockets): a broadcast from an address-less client arrives with its interface; the reply broadcast reaches that client only`, async () => {
        const server = role(NS.server, {
          NESTOR_E2E_IFACE_ROLE: "server",
          NESTOR_E2E_FAMILY: "4",
          NESTOR_E2E_IFACES: "srv1,srv2",
          NESTOR_E2E_BIND: bind,
        });
        try {
          const ready = await server.waitFor((e) => e.event === "ready", "server ready");
          assert.equal(ready.perInterface, bind === "per-interface");

          const bystander = role(NS.c2, {
            NESTOR_E2E_IFACE_ROLE: "client",
            NESTOR_E2E_LISTEN_MS: "1500",
          });
          const c1 = role(NS.c1, {
            NESTOR_E2E_IFACE_ROLE: "client",
            NESTOR_E2E_SEND: "DISCOVER-1",
            NESTOR_E2E_LISTEN_MS: "1500",
          });
          await c1.waitFor((e) => e.event === "sent", "DISCOVER-1 sent");
          const p1 = await server.waitFor(
            (e) => e.data === "DISCOVER-1",
            "DISCOVER-1 at the server",
          );
          assert.equal(p1.ifname, "srv1");
          assert.equal(p1.dstAddr, "255.255.255.255");
          assert.equal(p1.srcAddr, "0.0.0.0");
          assert.equal(p1.srcPort, 68);
          const r1 = await c1.waitFor((e) => e.event === "reply", "reply at client 1");
          assert.equal(r1.data, "REPLY:DISCOVER-1:srv1");
          assert.equal(r1.dstAddr, "255.255.255.255");
          assert.equal(r1.srcAddr, "198.51.100.1");
          await bystander.waitFor((e) => e.event === "done", "end of the bystander");
          assert.deepEqual(
            bystander.events.filter((e) => e.event === "reply"),
            [],
            "the reply on srv1 must not leave through srv2",
          );

          const c2 = role(NS.c2, {
            NESTOR_E2E_IFACE_ROLE: "client",
            NESTOR_E2E_SEND: "DISCOVER-2",
            NESTOR_E2E_LISTEN_MS: "1500",
          });
          const p2 = await server.waitFor(
            (e) => e.data === "DISCOVER-2",
            "DISCOVER-2 at the server",
          );
          assert.equal(p2.ifname, "srv2");
          const r2 = await c2.waitFor((e) => e.event === "reply", "reply at client 2");
          assert.equal(r2.data, "REPLY:DISCOVER-2:srv2");
          assert.equal(r2.srcAddr, "203.0.113.1");
        } finally {
          await stopAll();
        }
      });

      test(`v6 (${bind} sockets): a message to ff02::1:2 arrives with its interface; the reply reaches the client's link-local address`, async () => {
        const server = role(NS.server, {
          NESTOR_E2E_IFACE_ROLE: "server",
          NESTOR_E2E_FAMILY: "6",
          NESTOR_E2E_IFACES: "srv1,srv2",
          NESTOR_E2E_BIND: bind,
        });
        try {
          await server.waitFor((e) => e.event === "ready", "server ready");
          for (const [ns, name, link] of [
            [NS.c1, "SOLICIT-1", "srv1"],
            [NS.c2, "SOLICIT-2", "srv2"],
          ]) {
            const client = role(ns, {
              NESTOR_E2E_IFACE_ROLE: "client",
              NESTOR_E2E_FAMILY: "6",
              NESTOR_E2E_SEND: name,
              NESTOR_E2E_LISTEN_MS: "1500",
            });
            await client.waitFor((e) => e.event === "sent", `${name} sent`);
            const p = await server.waitFor((e) => e.data === name, `${name} at the server`);
            assert.equal(p.ifname, link);
            assert.equal(p.dstAddr, "ff02::1:2");
            assert.match(String(p.srcAddr), /^fe80:/);
            assert.equal(p.srcPort, 546);
            const r = await client.waitFor((e) => e.event === "reply", `reply to ${name}`);
            assert.equal(r.data, `REPLY:${name}:${link}`);
            assert.match(String(r.srcAddr), /^fe80:/);
          }
        } finally {
          await stopAll();
        }
      });
    }

    test("v4: a reply to a hardware address goes out raw, with no ARP, to a client that answers none", async () => {
      // The client holds the address the reply is for, but answers no ARP: only a reply sent
      // straight to its MAC can reach it; the same reply by plain UDP waits for ARP in vain.
      ip("-n", NS.c1, "addr", "add", "198.51.100.50/24", "dev", "cli0");
      // arp_ignore 8: answer no ARP request at all ("arp off" would also misaddress broadcasts).
      sysctl(NS.c1, "net.ipv4.conf.cli0.arp_ignore=8");
      const server = role(NS.server, {
        NESTOR_E2E_IFACE_ROLE: "server",
        NESTOR_E2E_FAMILY: "4",
        NESTOR_E2E_IFACES: "srv1,srv2",
      });
      try {
        const ready = await server.waitFor((e) => e.event === "ready", "server ready");
        assert.equal(ready.raw, true, "root has CAP_NET_RAW: the raw sender must be open");
        const client = role(NS.c1, {
          NESTOR_E2E_IFACE_ROLE: "client",
          NESTOR_E2E_SEND: "RAW:{MAC}|198.51.100.50",
          NESTOR_E2E_LISTEN_MS: "1500",
        });
        await client.waitFor((e) => e.event === "sent", "RAW request sent");
        await server.waitFor((e) => String(e.data).startsWith("RAW:"), "RAW request at the server");
        const r = await client.waitFor((e) => e.data === "REPLY-RAW", "raw reply at the client");
        assert.equal(r.srcAddr, "198.51.100.1");
        assert.equal(r.srcPort, 67);
        assert.equal(r.dstAddr, "198.51.100.50");
        await client.waitFor((e) => e.event === "done", "end of the client");
        assert.equal(
          client.events.some((e) => e.data === "REPLY-UDP"),
          false,
          "plain UDP needs ARP, which the client does not answer",
        );
      } finally {
        await stopAll();
        sysctl(NS.c1, "net.ipv4.conf.cli0.arp_ignore=0");
        ip("-n", NS.c1, "addr", "del", "198.51.100.50/24", "dev", "cli0");
      }
    });
  });

  // The suite must fail, not skip, where it cannot run. Checked from a root run only (a child
  // run for the check does not check again).
  if (process.env.NESTOR_E2E_IFACE_SELFCHECK === undefined && process.getuid?.() === 0) {
    describe("missing prerequisites fail the suite", () => {
      const run = (env: Record<string, string>, prefix: string[] = []) => {
        const args = [...prefix, process.execPath, "--test", SELF];
        // Without NODE_TEST_CONTEXT, or the child would report to this runner, not fail itself.
        const inherited = { ...process.env };
        delete inherited.NODE_TEST_CONTEXT;
        const r = spawnSync(args[0], args.slice(1), {
          env: { ...inherited, NESTOR_E2E_IFACE_SELFCHECK: "1", ...env },
          encoding: "utf8",
          timeout: 60_000,
        });
        return { status: r.status, output: `${r.stdout}${r.stderr}` };
      };

      test("without the ip command the suite fails and says iproute2 is missing", () => {
        const empty = mkdtempSync(join(tmpdir(), "nestor-no-ip-"));
        try {
          const r = run({ PATH: empty });
          assert.notEqual(r.status, 0);
          assert.match(r.output, /`ip` command \(iproute2\) is missing/);
          assert.doesNotMatch(r.output, /# skipped [1-9]/);
        } finally {
          rmSync(empty, { recursive: true, force: true });
        }
      });

      test("without root the suite fails and says it needs root", () => {
        const r = run({}, ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]);
        assert.notEqual(r.status, 0);
        assert.match(r.output, /need root/);
        assert.doesNotMatch(r.output, /# skipped [1-9]/);
      });
    });
  }
}

if (ROLE === "server") await runServer();
else if (ROLE === "client") await runClient();
else registerTests();
