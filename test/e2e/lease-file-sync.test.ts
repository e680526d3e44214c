/**
 * `lease-database` `"sync": "fdatasync"` seen from outside: nestor-dhcp4 and nestor-dhcp6 (the
 * command line programs, in a network namespace) run under strace while perfdhcp (a real client,
 * in a second namespace) makes DORA / SARR exchanges with them. The trace of the server's main
 * thread shows, batch by batch, the lease file write, then its fdatasync, then the sends of the
 * batch's replies: no reply leaves between a lease file write and the fdatasync that makes it
 * durable. Without the key (Kea's memfile) the trace has lease file writes and no fdatasync.
 *
 *   server ns [veth 198.18.0.1/16 | 2001:db8:1::1/64] ---- [veth .2] client ns: perfdhcp
 *
 * Needs root, iproute2, perfdhcp (Debian kea-admin) and strace (Debian strace); a missing one
 * fails the test and says what to install. Everything a test creates is removed afterwards.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";

import { ServerConfig } from "./lib/nestor.ts";
import { Server6Config } from "./lib/nestor6.ts";
import { requirePrerequisites, run, TestBed, waitFor, type Prerequisite } from "./lib/netns.ts";
import { exchangeStats, perfdhcp4Args, perfdhcpStats } from "./lib/perfdhcp.ts";
import { readTrace, spawnTraced, STRACE, type SysCall } from "./lib/strace.ts";

const IPROUTE: Prerequisite = { program: "ip", debianPackage: "iproute2" };
const PERFDHCP: Prerequisite = { program: "perfdhcp", debianPackage: "kea-admin" };
const LONG = { timeout: 180_000 };
const CALLS = [
  "write",
  "pwrite64",
  "writev",
  "fdatasync",
  "fsync",
  "sendmmsg",
  "sendmsg",
  "sendto",
];

type Sync = "fdatasync" | undefined;

interface Order {
  /** Lease file writes, fdatasyncs of it, and reply sends of the main thread. */
  writes: number;
  syncs: number;
  sends: number;
  /**
   * Every fdatasync/fsync of a file or directory in the whole trace, any thread (the log's
   * flush of stdout at exit, an fsync of a socket, is not one).
   */
  anySync: string[];
  /** Syncs directly followed (among these three kinds of calls) by a send. */
  syncsThenSend: number;
  /** What went wrong, in trace order (empty when the order holds). */
  violations: string[];
}

/**
 * The main thread's lease file writes, fdatasyncs and reply sends, checked in order: a send
 * while a lease file write has not been synced is a violation, and so is a sync with nothing
 * written since the last one.
 */
function checkOrder(calls: SysCall[], leaseFile: string, sync: Sync): Order {
  const isWrite = (c: SysCall) => /^(p?write(64)?|writev)$/.test(c.name);
  const leaseWrites = calls.filter((c) => isWrite(c) && c.target === leaseFile);
  const tids = new Set(leaseWrites.map((c) => c.tid));
  assert.ok(tids.size <= 1, `lease file written by threads ${[...tids].join(", ")}`);
  const main = [...tids][0];
  const o: Order = {
    writes: 0,
    syncs: 0,
    sends: 0,
    anySync: calls
      .filter((c) => (c.name === "fdatasync" || c.name === "fsync") && c.target.startsWith("/"))
      .map((c) => `${c.name}(${c.target})`),
    syncsThenSend: 0,
    violations: [],
  };
  let unsynced = false;
  let lastWasSync = false;
  for (const c of calls) {
    if (c.tid !== main) continue;
    if (isWrite(c) && c.target === leaseFile) {
      o.writes++;
      unsynced = true;
      lastWasSync = false;
    } else if (c.name === "fdatasync" && c.target === leaseFile) {
      o.syncs++;
      if (!unsynced) o.violations.push(`${c.time} fdatasync with no lease file write before it`);
      unsynced = false;
      lastWasSync = true;
    } else if (/^send(mmsg|msg|to)$/.test(c.name) && /^UDP/.test(c.target)) {
      o.sends++;
      if (sync === "fdatasync" && unsynced) {
        o.violations.push(`${c.time} ${c.name} after a lease file write not yet synced`);
      }
      if (lastWasSync) o.syncsThenSend++;
      lastWasSync = false;
    }
  }
  return o;
}

/** Both ends of the link have their link-local address (DHCPv6 needs it at once). */
async function linkLocal(ns: string, ifname: string): Promise<void> {
  await waitFor(
    `a link-local address on ${ifname}`,
    () => {
      const out = run("ip", ["-n", ns, "-6", "-o", "addr", "show", "dev", ifname, "scope", "link"]);
      return /fe80::/.test(out) && !/tentative/.test(out) ? true : undefined;
    },
    15_000,
  );
}

const CLI = (family: 4 | 6) =>
  fileURLToPath(new URL(`../../src/cli/nestor-dhcp${family}.ts`, import.meta.url));

/**
 * One run: the server under strace, perfdhcp for 3 s at 100 exchanges/s, the server stopped
 * (SIGTERM to the node process: strace then ends and its trace is complete), and the order.
 */
async function traced(
  family: 4 | 6,
  sync: Sync,
): Promise<{ calls: SysCall[]; leaseFile: string; exchanges: number }> {
  requirePrerequisites([IPROUTE, PERFDHCP, STRACE]);
  const bed = new TestBed(`lease-file-sync-${family}`, family === 4 ? "n4s" : "n6s");
  try {
    const srv = bed.namespace("srv");
    const cli = bed.namespace("cli");
    if (family === 6) {
      bed.noDad(srv);
      bed.noDad(cli);
    }
    const link = bed.link(
      { ns: srv, role: "s", address: family === 4 ? "198.18.0.1/16" : "2001:db8:1::1/64" },
      { ns: cli, role: "c", address: family === 4 ? "198.18.0.2/16" : "2001:db8:1::2/64" },
    );
    const db = (file: string) => ({
      type: "memfile",
      name: file,
      persist: true,
      "lfc-interval": 0,
      ...(sync === undefined ? {} : { sync }),
    });
    const leaseFile = join(bed.dir, `leases${family}.csv`);
    const file =
      family === 4
        ? new ServerConfig(bed.dir, {
            interfaces: [link.a],
            subnets: [{ id: 1, subnet: "198.18.0.0/16", pool: "198.18.1.0 - 198.18.20.255" }],
            global: {
              // perfdhcp -4 plays a relay and is answered by unicast through the UDP socket.
              "interfaces-config": { interfaces: [link.a], "dhcp-socket-type": "udp" },
              "lease-database": db(leaseFile),
            },
          }).file
        : new Server6Config(bed.dir, {
            interfaces: [link.a],
            subnets: [
              {
                id: 1,
                subnet: "2001:db8:1::/64",
                pool: "2001:db8:1::1:0 - 2001:db8:1::1:ffff",
                interface: link.a,
              },
            ],
            global: { "lease-database": db(leaseFile) },
          }).file;
    if (family === 6) {
      await linkLocal(srv, link.a);
      await linkLocal(cli, link.b);
    }
    const server = spawnTraced(bed, `nestor-dhcp${family}`, srv, CALLS, process.execPath, [
      CLI(family),
      "-c",
      file,
    ]);
    await server.proc.waitForOutput(
      new RegExp(`nestor-dhcp${family} \\S+: serving \\d+ subnet`),
      60_000,
    );
    const perfArgs =
      family === 4
        ? perfdhcp4Args(link.b, { rate: 100, seconds: 3, clients: 1000, seed: 7 })
        : ["-6", "-l", link.b, "-r", "100", "-p", "3", "-R", "1000", "-s", "7", "-W", "1000000"];
    const perf = bed.spawn("perfdhcp", cli, "perfdhcp", perfArgs);
    assert.ok(await perf.waitExit(60_000), `perfdhcp did not finish:\n${perf.output}`);
    const stats = perfdhcpStats(perf.output);
    const exchanges = exchangeStats(stats, family === 4 ? "REQUEST-ACK" : "REQUEST-REPLY").received;

    // The traced node process is the first one in the trace; stopping it ends strace.
    const first = /^(\d+)\s/m.exec(readFileSync(server.file, "utf8"));
    assert.ok(first !== null, "strace wrote a trace");
    process.kill(Number(first[1]), "SIGTERM");
    assert.ok(
      await server.proc.waitExit(30_000),
      `the server did not stop:\n${server.proc.output}`,
    );

    const rows = readFileSync(leaseFile, "utf8").trimEnd().split("\n").length - 1;
    assert.ok(rows >= exchanges, `${rows} lease rows for ${exchanges} exchanges`);
    return { calls: readTrace(server.file), leaseFile, exchanges };
  } finally {
    await bed.close();
  }
}

for (const family of [4, 6] as const) {
  describe(`nestor-dhcp${family} lease file sync under strace`, () => {
    test(
      '"sync": "fdatasync": each batch is written, then fdatasync\'d, and only then are its replies sent',
      LONG,
      async () => {
        const run = await traced(family, "fdatasync");
        assert.ok(run.exchanges >= 100, `only ${run.exchanges} exchanges completed`);
        const o = checkOrder(run.calls, run.leaseFile, "fdatasync");
        assert.deepEqual(o.violations, []);
        assert.ok(o.writes >= 10, `${o.writes} lease file writes`);
        assert.equal(o.syncs, o.writes, "one fdatasync per lease file write (per batch)");
        // Every batch that wrote leases had replies, and they left right after the sync.
        assert.equal(o.syncsThenSend, o.syncs, "each fdatasync is followed by its batch's sends");
      },
    );

    test(
      "without the key (Kea's memfile): lease file writes and no fdatasync at all",
      LONG,
      async () => {
        const run = await traced(family, undefined);
        assert.ok(run.exchanges >= 100, `only ${run.exchanges} exchanges completed`);
        const o = checkOrder(run.calls, run.leaseFile, undefined);
        assert.ok(o.writes >= 10, `${o.writes} lease file writes`);
        assert.deepEqual(o.anySync, [], "no fdatasync or fsync of any file");
        assert.ok(o.sends >= run.exchanges, `${o.sends} sends for ${run.exchanges} exchanges`);
        // The check of the other test sees the difference: here replies leave with their rows
        // written but not synced.
        const strict = checkOrder(run.calls, run.leaseFile, "fdatasync");
        assert.ok(strict.violations.length >= 10, strict.violations.join("\n"));
      },
    );
  });
}
