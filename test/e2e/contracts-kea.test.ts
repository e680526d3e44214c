/**
 * The contracts operators' tools read, nestor-dhcp4 against Kea 2.2 (Debian's kea-dhcp4): the
 * same configuration given to both, the same relayed queries and the same control commands sent
 * to each, the answers compared.
 *
 * - Statistics: pkt4-received counts every datagram, one that does not parse included (Kea 2.2
 *   counts it before parsing; a datagram shorter than a DHCPv4 header it counts nowhere, Nestor
 *   counts it too: the one deliberate difference); the statistic-* commands leave the same
 *   statistics with the same number of samples and the same values; subnet statistics are
 *   removed and made afresh on a reconfiguration.
 * - status-get: the same keys with the same types (values where they are deterministic).
 * - A reload by SIGHUP logs DHCP4_DYNAMIC_RECONFIGURATION_SUCCESS with the file name.
 * - Loggers configured for Kea (`kea-dhcp4.packets`, ...) apply, and the packet, lease and
 *   bad-packet debug lines carry Kea's message IDs.
 *
 *   relay ns [veth 198.51.100.254/24] ---- [veth 198.51.100.1/24] server ns: kea-dhcp4, then
 *                                                                   nestor-dhcp4 (UDP sockets)
 *
 * Needs root, iproute2 and kea-dhcp4 (Debian: kea-dhcp4-server).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import type { JsonObject } from "../../src/hooks/types.ts";
import { controlCommand, type ControlAnswer } from "./lib/control-client.ts";
import { linesOf, loggedIds } from "./lib/contracts.ts";
import { keaPrerequisite, keaThenNestor, serverRelayLink, type Who } from "./lib/kea.ts";
import { requirePrerequisites, TestBed, type Proc } from "./lib/netns.ts";
import type { Answer4, Query4 } from "./lib/relay4-queries.ts";

const GIADDR = "198.51.100.254";
const SERVER = "198.51.100.1";
const DISCOVER = 1;
const REQUEST = 3;
const RELEASE = 7;
const serverId: [number, string] = [54, "c6336401"];
const requested = (a: string): [number, string] => [
  50,
  Buffer.from(a.split(".").map(Number)).toString("hex"),
];

interface Setup {
  extraGlobals?: Record<string, unknown>;
  loggers?: unknown[];
  subnets?: unknown[];
}

const SUBNETS = [
  {
    id: 1,
    subnet: "198.51.100.0/24",
    relay: { "ip-addresses": [GIADDR] },
    pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
  },
  { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.29" }] },
];

function configText(bed: TestBed, who: Who, ifname: string, s: Setup): string {
  return JSON.stringify(
    {
      Dhcp4: {
        "interfaces-config": { interfaces: [ifname], "dhcp-socket-type": "udp" },
        "lease-database": {
          type: "memfile",
          name: join(bed.dir, `${who}-leases4.csv`),
          persist: true,
          "lfc-interval": 0,
        },
        "control-socket": { "socket-type": "unix", "socket-name": join(bed.dir, `${who}.sock`) },
        "valid-lifetime": 4000,
        subnet4: s.subnets ?? SUBNETS,
        ...s.extraGlobals,
        loggers: s.loggers ?? [
          { name: "kea-dhcp4", severity: "INFO", output_options: [{ output: "stdout" }] },
        ],
      },
    },
    null,
    2,
  );
}

interface Side {
  who: Who;
  server: Proc;
  file: string;
  /** Sends queries through the relay; the answers. */
  send(queries: Query4[]): (Answer4 | null)[];
  command(cmd: JsonObject): Promise<ControlAnswer>;
}

/** Kea, then Nestor, on the same configuration; `exercise` runs with each. */
async function sideBySide<T>(
  title: string,
  setup: Setup,
  exercise: (side: Side) => Promise<T>,
): Promise<Record<Who, T>> {
  requirePrerequisites([{ program: "ip", debianPackage: "iproute2" }, keaPrerequisite(4)]);
  const bed = new TestBed(title);
  try {
    const { serverNs, relayNs, serverIf } = serverRelayLink(bed, SERVER, GIADDR, 24);
    const relay = fileURLToPath(new URL("./lib/relay4-queries.ts", import.meta.url));
    let n = 0;
    return await keaThenNestor(
      bed,
      serverNs,
      4,
      (who) => {
        const file = join(bed.dir, `${who}.json`);
        writeFileSync(file, configText(bed, who, serverIf, setup));
        return file;
      },
      (who, server) =>
        exercise({
          who,
          server,
          file: join(bed.dir, `${who}.json`),
          send: (queries) => {
            const f = join(bed.dir, `queries-${++n}.json`);
            writeFileSync(f, JSON.stringify(queries));
            const out = bed.exec(relayNs, process.execPath, [relay, GIADDR, SERVER, f], 60_000);
            return JSON.parse(out) as (Answer4 | null)[];
          },
          command: (cmd) => controlCommand(join(bed.dir, `${who}.sock`), cmd),
        }),
    );
  } finally {
    await bed.close();
  }
}

const POOL_STATISTIC = /^subnet\[\d+\]\.(pool|pd-pool)\[\d+\]\./;

/** Every statistic as `name -> [number of samples, values newest first]` (times differ). */
async function snapshot(side: Side): Promise<Record<string, [number, unknown[]]>> {
  const a = await side.command({ command: "statistic-get-all" });
  assert.equal(a.result, 0, JSON.stringify(a));
  const all = (a.arguments ?? {}) as Record<string, [unknown, string][]>;
  const out: Record<string, [number, unknown[]]> = {};
  for (const name of Object.keys(all).sort()) {
    // Kea 3's per-pool statistics, which Nestor keeps and Kea 2.2 does not have.
    if (POOL_STATISTIC.test(name)) continue;
    out[name] = [all[name]!.length, all[name]!.map((s) => s[0])];
  }
  return out;
}

/** A truncated DHCPv4 datagram (a BOOTREQUEST header cut at 100 bytes): it does not parse. */
const TRUNCATED = "01010600" + "5eedbad0" + "00".repeat(92);
/** A whole BOOTREQUEST header and a wrong magic cookie: it does not parse either. */
const BAD_COOKIE = "01010600" + "5eedbad1" + "00".repeat(228) + "deadbeef";

const DORA: Query4[] = [
  { type: DISCOVER, mac: "02:00:00:00:01:01" },
  {
    type: REQUEST,
    mac: "02:00:00:00:01:01",
    options: [requested("198.51.100.10"), serverId],
  },
  { type: DISCOVER, mac: "02:00:00:00:01:02" },
  {
    type: REQUEST,
    mac: "02:00:00:00:01:02",
    options: [requested("198.51.100.11"), serverId],
  },
  { type: RELEASE, mac: "02:00:00:00:01:02", ciaddr: "198.51.100.11", options: [serverId] },
  { type: 0, mac: "00:00:00:00:00:00", raw: BAD_COOKIE },
];

test(
  "statistics: a datagram that does not parse counted in pkt4-received as Kea 2.2 counts it, and every statistic-* command leaves what Kea 2.2 leaves",
  { timeout: 180_000 },
  async () => {
    const commands: JsonObject[] = [
      {
        command: "statistic-sample-count-set",
        arguments: { name: "pkt4-received", "max-samples": 2 },
      },
      {
        command: "statistic-sample-age-set",
        arguments: { name: "pkt4-request-received", duration: 100 },
      },
      { command: "statistic-reset", arguments: { name: "pkt4-sent" } },
      { command: "statistic-remove", arguments: { name: "pkt4-offer-sent" } },
      { command: "statistic-remove", arguments: { name: "no-such-statistic" } },
      { command: "statistic-reset", arguments: { name: "no-such-statistic" } },
      {
        command: "statistic-sample-count-set",
        arguments: { name: "no-such-statistic", "max-samples": 3 },
      },
      { command: "statistic-sample-count-set-all", arguments: { "max-samples": 0 } },
      { command: "statistic-sample-count-set-all", arguments: { "max-samples": 3 } },
      { command: "statistic-sample-age-set-all", arguments: { duration: 1000 } },
      { command: "statistic-reset-all" },
      { command: "statistic-remove-all" },
    ];
    const counters = async (side: Side) => {
      const s = await snapshot(side);
      return ["pkt4-received", "pkt4-parse-failed", "pkt4-receive-drop"].map((n) => s[n]?.[1][0]);
    };
    const got = await sideBySide("statistics side by side", {}, async (side) => {
      const answers = side.send(DORA);
      const steps: unknown[] = [["after the queries", await snapshot(side)]];
      for (const cmd of commands) {
        const a = await side.command(cmd);
        steps.push([JSON.stringify(cmd), a.result, a.text, await snapshot(side)]);
      }
      // The statistics a DORA records after statistic-remove-all come back, as in Kea.
      side.send([{ type: DISCOVER, mac: "02:00:00:00:01:03" }]);
      steps.push(["a query after remove-all", await snapshot(side)]);
      // A datagram shorter than a DHCPv4 header: Kea 2.2 drops it before making a packet of it
      // and counts it nowhere; Nestor counts it as received, unparsable and dropped.
      const before = await counters(side);
      side.send([{ type: 0, mac: "00:00:00:00:00:00", raw: TRUNCATED }]);
      const after = await counters(side);
      return { answers, steps, short: [before, after] };
    });
    const first = got.kea.steps[0] as [string, Record<string, [number, unknown[]]>];
    // The bad magic cookie: counted in pkt4-received and pkt4-parse-failed by Kea 2.2 too.
    assert.equal(first[1]["pkt4-received"]?.[1][0], 6, "five queries and the bad cookie");
    assert.equal(first[1]["pkt4-parse-failed"]?.[1][0], 1);
    assert.equal(first[1]["pkt4-receive-drop"]?.[1][0], 1);
    assert.deepEqual(
      got.nestor.answers.map((a) => a?.type ?? null),
      got.kea.answers.map((a) => a?.type ?? null),
    );
    got.kea.steps.forEach((step, i) => {
      assert.deepEqual(got.nestor.steps[i], step, `step ${i}: Nestor and Kea 2.2 differ`);
    });
    // The deliberate difference: the short datagram.
    assert.deepEqual(got.kea.short, [
      [1, undefined, undefined],
      [1, undefined, undefined],
    ]);
    assert.deepEqual(got.nestor.short, [
      [1, undefined, undefined],
      [2, 1, 1],
    ]);
  },
);

test(
  "status-get: the keys and types of Kea 2.2's answer, threading disabled and enabled",
  { timeout: 180_000 },
  async () => {
    const shape = (a: ControlAnswer) => {
      const s = (a.arguments ?? {}) as JsonObject;
      return Object.fromEntries(
        Object.keys(s)
          .sort()
          .map((k) => [k, Array.isArray(s[k]) ? "list" : typeof s[k]]),
      );
    };
    for (const mt of [
      { "enable-multi-threading": false },
      { "enable-multi-threading": true, "thread-pool-size": 3, "packet-queue-size": 16 },
    ]) {
      const got = await sideBySide(
        "status-get side by side",
        { extraGlobals: { "multi-threading": mt } },
        async (side) => {
          side.send(DORA.slice(0, 2));
          const a = await side.command({ command: "status-get" });
          assert.equal(a.result, 0);
          return { shape: shape(a), args: a.arguments as JsonObject };
        },
      );
      // Nestor's one key more: dhcp-state (dhcp-disable's state, as later Kea versions).
      const nestorShape = { ...got.nestor.shape };
      delete nestorShape["dhcp-state"];
      assert.deepEqual(nestorShape, got.kea.shape, `multi-threading ${JSON.stringify(mt)}`);
      for (const k of [
        "multi-threading-enabled",
        "thread-pool-size",
        "packet-queue-size",
        "sockets",
      ]) {
        assert.deepEqual(got.nestor.args[k], got.kea.args[k], k);
      }
      for (const side of [got.kea, got.nestor]) {
        assert.equal(typeof side.args["pid"], "number");
        assert.ok((side.args["uptime"] as number) >= 0 && (side.args["uptime"] as number) < 60);
        assert.ok((side.args["reload"] as number) >= 0 && (side.args["reload"] as number) < 60);
      }
      if (mt["enable-multi-threading"]) {
        assert.equal((got.nestor.args["packet-queue-statistics"] as number[]).length, 3);
      }
    }
  },
);

test(
  "SIGHUP: DHCP4_DYNAMIC_RECONFIGURATION and _SUCCESS (or _FAIL) with the file name; subnet statistics made afresh, as Kea 2.2",
  { timeout: 180_000 },
  async () => {
    const got = await sideBySide("reload side by side", {}, async (side) => {
      side.send(DORA.filter((q) => q.raw === undefined));
      const before = await snapshot(side);
      // The same file again, with subnet 2 gone.
      const c = JSON.parse(readFileSync(side.file, "utf8")) as { Dhcp4: { subnet4: unknown[] } };
      c.Dhcp4.subnet4 = c.Dhcp4.subnet4.slice(0, 1);
      writeFileSync(side.file, JSON.stringify(c, null, 2));
      side.server.signal("SIGHUP");
      await side.server.waitForOutput(/DHCP4_DYNAMIC_RECONFIGURATION_SUCCESS/, 20_000);
      const after = await snapshot(side);
      // A broken file: refused, logged as Kea logs it, the running configuration serves on.
      const mark = side.server.output.length;
      const reloaded = side.server.output;
      writeFileSync(side.file, "{ broken");
      side.server.signal("SIGHUP");
      await side.server.waitForOutput(/DHCP4_DYNAMIC_RECONFIGURATION_FAIL/, 20_000);
      const failure = side.server.output.slice(mark);
      const still = side.send([{ type: DISCOVER, mac: "02:00:00:00:01:09" }]);
      return {
        failed: [...loggedIds(failure, "ERROR"), "|", ...loggedIds(failure, "FATAL")],
        failedNamesFile: linesOf(failure, "DHCP4_CONFIG_LOAD_FAIL").map((l) =>
          l.includes(`using file: ${side.file}, reason: `),
        ),
        stillServing: still[0]?.type ?? null,
        before,
        after,
        lines: ["DHCP4_DYNAMIC_RECONFIGURATION", "DHCP4_DYNAMIC_RECONFIGURATION_SUCCESS"].map(
          (id) =>
            linesOf(reloaded, id).map(
              (l) => l.includes(`file: ${side.file}`) || l.includes(`file ${side.file}`),
            ),
        ),
        infoIds: loggedIds(reloaded, "INFO").filter((id) => id.startsWith("DHCP4_DYNAMIC")),
      };
    });
    assert.deepEqual(got.kea.infoIds, [
      "DHCP4_DYNAMIC_RECONFIGURATION",
      "DHCP4_DYNAMIC_RECONFIGURATION_SUCCESS",
    ]);
    assert.deepEqual(got.nestor.infoIds, got.kea.infoIds);
    assert.deepEqual(got.kea.lines, [[true], [true]], "Kea names the file");
    assert.deepEqual(got.nestor.lines, [[true], [true]], "Nestor names the file");
    assert.deepEqual(got.kea.failed, [
      "DHCP4_CONFIG_LOAD_FAIL",
      "|",
      "DHCP4_DYNAMIC_RECONFIGURATION_FAIL",
    ]);
    assert.deepEqual(got.nestor.failed, got.kea.failed, "a failed reload's lines");
    assert.deepEqual(got.kea.failedNamesFile, [true]);
    assert.deepEqual(got.nestor.failedNamesFile, [true]);
    assert.equal(got.kea.stillServing, 2, "Kea offers after the failed reload");
    assert.equal(got.nestor.stillServing, 2, "Nestor offers after the failed reload");
    assert.deepEqual(got.nestor.before, got.kea.before, "statistics before the reload");
    assert.deepEqual(got.nestor.after, got.kea.after, "statistics after the reload");
  },
);

test(
  "loggers written for Kea apply: kea-dhcp4.packets, .leases and .bad-packets log Kea's IDs with Kea's values",
  { timeout: 180_000 },
  async () => {
    const debug = (name: string) => ({
      name,
      severity: "DEBUG",
      debuglevel: 55,
      output_options: [{ output: "stdout" }],
    });
    // kea-dhcp4 itself at INFO; the lines compared are those of the three named loggers.
    const loggers = [
      { name: "kea-dhcp4", severity: "INFO", output_options: [{ output: "stdout" }] },
      debug("kea-dhcp4.packets"),
      debug("kea-dhcp4.leases"),
      debug("kea-dhcp4.bad-packets"),
    ];
    const line = /^\S+ \S+ (DEBUG|INFO)\s+\[[a-z0-9-]+\.([a-z-]+)\/[^\]]+\] ([A-Z0-9_]+) (.*)$/;
    const got = await sideBySide("loggers side by side", { loggers }, async (side) => {
      side.send(DORA);
      await new Promise((r) => setTimeout(r, 300));
      return side.server.output
        .split("\n")
        .map((l) => line.exec(l))
        .filter((m) => m !== null && ["packets", "leases", "bad-packets"].includes(m[2]!))
        .map((m) => ({ severity: m![1]!, logger: m![2]!, id: m![3]!, text: m![4]! }));
    });
    const ids = (lines: typeof got.kea) => lines.map((l) => `${l.severity} ${l.logger} ${l.id}`);
    assert.ok(ids(got.kea).includes("DEBUG packets DHCP4_PACKET_SEND"), ids(got.kea).join("\n"));
    assert.ok(ids(got.kea).includes("DEBUG bad-packets DHCP4_PACKET_DROP_0001"));
    assert.deepEqual(ids(got.nestor), ids(got.kea));
    // The values an alert reads: the client's label, addresses and message names, wherever
    // Kea's line has them (the *_DATA lines print whole packets, in each server's words).
    const label = /\[hwtype=\d+ [0-9a-f:]+\], cid=\[[^\]]*\], tid=0x[0-9a-f]+/g;
    const address = /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/g;
    const message = /\bDHCP[A-Z]+\b/g;
    got.kea.forEach((k, i) => {
      if (k.id.endsWith("_DATA")) return;
      const n = got.nestor[i]!;
      for (const re of [label, address, message]) {
        for (const v of k.text.match(re) ?? []) {
          assert.ok(n.text.includes(v), `${k.id}: Kea's "${v}" missing from Nestor's: ${n.text}`);
        }
      }
    });
  },
);
