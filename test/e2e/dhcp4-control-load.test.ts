/**
 * The control channel under load, end to end, as root, in network namespaces the test creates:
 *
 *   perf ns [veth 198.18.0.2/16] ---- [veth 198.18.0.1/16] server ns: nestor-dhcp4 on 67/68
 *
 * nestor-dhcp4 runs from a configuration file with a unix control socket and two hook libraries
 * (test/fixtures/control-hooks/: packet-callouts.ts, a synchronous pkt4_receive and an
 * asynchronous leases4_committed, so that replies are in flight inside a library generation when
 * a reload retires it; chained.ts, whose `load-count` command says how many times the libraries
 * were loaded). perfdhcp offers a fixed load of new clients (DORA exchanges at RATE/s for SECONDS
 * s, each from a MAC address of its own). Two runs:
 *
 * - baseline: the load alone, on a fresh server. No exchange may be lost, so that a loss in the
 *   second run can only come from the reloads.
 * - reloads: the same load on a fresh server while nestor-ctl sends, every RELOAD_EVERY_MS,
 *   `config-set` (the same subnet and pool, another valid-lifetime: every library unloaded and
 *   loaded again) and `libreload`, alternately. Every command must answer result 0, the libraries
 *   must have been loaded once per reload more, and the server must still serve afterwards.
 *
 * The figure (issue 6: "perfdhcp load during a config-set and a libreload loses no exchange
 * beyond the reload instant") is printed: reloads done, exchanges sent, completed and lost, lost
 * at each reload and outside any, beside the baseline's. Lost means a DISCOVER perfdhcp sent that
 * did not end in an ACK within perfdhcp's drop time (1 s): DISCOVER-OFFER plus REQUEST-ACK drops.
 * tcpdump records the load in the perf namespace, so that each lost exchange is found, with the
 * time its failing query was sent and what happened to it, and matched to a reload.
 *
 * What the reload run asserts, and why. Nestor reloads between packets on its one event loop: a
 * packet arriving meanwhile waits in the socket buffer, and an exchange whose callouts run in the
 * old library generation finishes there. So every DISCOVER is answered in time, and a libreload
 * loses nothing. A config-set may lose a few exchanges at its instant, and only there: it builds
 * new subnet and pool objects, and the iterative allocator's position lives in the pool, so it
 * starts again from the pool's first address; the first free address it meets is one OFFERed just
 * before the switch whose REQUEST has not come yet (an offer is not a lease, as in Kea), which is
 * then offered a second time, and whichever of the two clients REQUESTs it second is NAKed. Hence:
 * every lost exchange is a NAKed REQUEST for an address also offered to another client, sent
 * between the config-set and INSTANT_SLACK_MS after its answer; and a config-set loses at most
 * the offers outstanding at the switch, bounded by MAX_LOST_PER_CONFIG_SET (100 ms of the load's
 * offers: perfdhcp REQUESTs an offer within milliseconds, so only a reload that held the event
 * loop that long could leave more outstanding). The baseline (0 lost) shows the machine carries
 * the rate at all, so a loss in the reload run comes from the reloads.
 *
 * Names are unique per process and test (namespaces `n6c-<pid>-<n>-<role>`, interfaces
 * `n6c<pid><n><k><role>`); everything is removed afterwards, even on failure, and only processes
 * the test started are stopped. Needs root, iproute2, perfdhcp (Debian package kea-admin) and
 * tcpdump; a
 * missing one fails the test and says what to install. NESTOR_E2E_DEBUG=1 prints every process's
 * output at the end.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { requirePrerequisites, run, TestBed, type Prerequisite, type Proc } from "./lib/netns.ts";
import { leaseSet, readLeaseRows, ServerConfig, startServer } from "./lib/nestor.ts";
import { readPcapFrames, startCapture, stopCapture } from "./lib/pcap.ts";
import { exchangeStats, perfdhcp4Args, perfdhcpStats, type PerfdhcpStats } from "./lib/perfdhcp.ts";

const IPROUTE: Prerequisite = { program: "ip", debianPackage: "iproute2" };
const PERFDHCP: Prerequisite = { program: "perfdhcp", debianPackage: "kea-admin" };
const TCPDUMP: Prerequisite = { program: "tcpdump", debianPackage: "tcpdump" };

const CTL = fileURLToPath(new URL("../../src/cli/nestor-ctl.ts", import.meta.url));
const HOOKS = fileURLToPath(new URL("../fixtures/control-hooks/", import.meta.url));

/** DORA exchanges started per second, and for how long. */
const RATE = 1000;
const SECONDS = 12;
/** A reload every 1.5 s from 1.5 s into the load, the last one at least 1 s before it ends. */
const RELOAD_EVERY_MS = 1500;
/**
 * A lost exchange is at a reload's instant if its failing query was sent between the command and
 * this long after its answer (the switch comes before the answer, the NAKs within milliseconds
 * after it; the rest is room for a loaded machine).
 */
const INSTANT_SLACK_MS = 250;
/** Exchanges one config-set may lose: the offers of 100 ms of load (see the header). */
const MAX_LOST_PER_CONFIG_SET = RATE / 10;
/**
 * perfdhcp draws each client's MAC address uniformly from -R values: with 2^32 - 1 of them, two
 * of 12,000 clients share one with probability about 12000² / 2^33 ≈ 2 %, so every exchange is,
 * but for that, a new client with a new lease.
 */
const CLIENTS = 4_294_967_295;

/** Every test ends in bounded time, even if perfdhcp or the server hangs. */
const BOUNDED = { timeout: 60_000 };

/** The test bed of netns.ts with this file's own names: `n6c-<pid>-<n>-<role>`, `n6c<...>`. */
class ControlLoadBed extends TestBed {
  private static count = 0;
  private readonly prefix: string;
  private interfaces = 0;

  constructor(title: string) {
    super(title);
    ControlLoadBed.count += 1;
    this.prefix = `${process.pid}-${ControlLoadBed.count}`;
  }

  override namespace(role: string): string {
    const name = `n6c-${this.prefix}-${role}`;
    run("ip", ["netns", "add", name]);
    // Deleted at close even on failure (and on exit or interruption, with the bed), after the
    // bed's processes have been stopped.
    this.onClose(() => run("ip", ["netns", "del", name]));
    run("ip", ["-n", name, "link", "set", "lo", "up"]);
    return name;
  }

  override ifname(role: string): string {
    this.interfaces += 1;
    const name = `n6c${process.pid.toString(36)}${ControlLoadBed.count.toString(36)}${this.interfaces.toString(36)}${role}`;
    if (name.length > 15) throw new Error(`interface name too long: ${name}`);
    return name;
  }
}

interface ControlAnswer {
  result: number;
  text?: string;
  arguments?: Record<string, unknown>;
}

/** One command through nestor-ctl (the operator's client) on the unix socket, bounded. */
function ctl(socket: string, command: string, args?: unknown): Promise<ControlAnswer> {
  const argv = [CTL, "--socket", socket, "--json", "--timeout", "20", command];
  if (args !== undefined) argv.push("--args", JSON.stringify(args));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { timeout: 25_000 }, (error, stdout, stderr) => {
      try {
        const answer = JSON.parse(stdout) as ControlAnswer;
        if (typeof answer.result !== "number") throw new Error("no result");
        resolve(answer);
      } catch {
        reject(new Error(`nestor-ctl ${command}: ${error?.message ?? ""}\n${stdout}${stderr}`));
      }
    });
  });
}

/** A DHCPv4 message tcpdump saw, with its capture time (ms since the epoch). */
interface Seen {
  t: number;
  type: number;
  yiaddr: string;
  chaddr: string;
}

const DISCOVER = 1;
const OFFER = 2;
const REQUEST = 3;
const ACK = 5;
const NAK = 6;
/** perfdhcp's drop time (-d, 1 s by default): an answer later than that is a drop. */
const DROP_TIME_MS = 1000;

/** The DHCPv4 messages of a classic pcap file (Ethernet, IPv4, UDP), with their times. */
function readTimedPcap(file: string): Seen[] {
  const seen: Seen[] = [];
  for (const { t, frame } of readPcapFrames(file)) {
    if (frame.length < 14 + 20 + 8 + 240 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    const dhcp = ip.subarray((ip[0]! & 0x0f) * 4 + 8);
    if (dhcp.length < 240 || dhcp.readUInt32BE(236) !== 0x63825363) continue;
    let type = 0;
    for (let i = 240; i + 1 < dhcp.length && dhcp[i] !== 255;) {
      if (dhcp[i] === 0) {
        i += 1;
        continue;
      }
      if (dhcp[i] === 53) type = dhcp[i + 2]!;
      i += 2 + dhcp[i + 1]!;
    }
    const chaddr = [...dhcp.subarray(28, 34)].map((b) => b.toString(16).padStart(2, "0"));
    seen.push({ t, type, yiaddr: [...dhcp.subarray(16, 20)].join("."), chaddr: chaddr.join(":") });
  }
  return seen;
}

/** One exchange of the capture that did not end in an ACK within the drop time. */
interface LostExchange {
  chaddr: string;
  /** "NAK": the REQUEST was refused; "no OFFER", "no ACK": a query unanswered or late. */
  kind: "NAK" | "no OFFER" | "no REQUEST" | "no ACK";
  /** When the query that failed was sent (ms since the epoch). */
  failedAt: number;
  /** Another client was offered the address this one was offered. */
  doubleOffered: boolean;
  /** Its messages, with times, and who else was offered and given the same address. */
  story: string;
}

/**
 * The exchanges of a capture that did not complete: a client whose DISCOVER got no OFFER, or
 * whose REQUEST got no ACK, within the drop time (a client seen twice, a rare shared MAC address,
 * counts once, by its first exchange).
 */
function lostExchanges(seen: readonly Seen[], start: number): LostExchange[] {
  const byClient = new Map<string, Seen[]>();
  const byAddress = new Map<string, Seen[]>();
  for (const m of seen) {
    byClient.set(m.chaddr, [...(byClient.get(m.chaddr) ?? []), m]);
    if (m.type === OFFER || m.type === ACK) {
      byAddress.set(m.yiaddr, [...(byAddress.get(m.yiaddr) ?? []), m]);
    }
  }
  const s = (t: number) => ((t - start) / 1000).toFixed(3);
  const lost: LostExchange[] = [];
  for (const [chaddr, msgs] of byClient) {
    const first = (type: number) => msgs.find((m) => m.type === type);
    const [discover, offer, request] = [DISCOVER, OFFER, REQUEST].map(first);
    if (discover === undefined) continue;
    const answer = msgs.find((m) => m.type === ACK || m.type === NAK);
    const inTime = (q: Seen, a?: Seen) => a !== undefined && a.t - q.t <= DROP_TIME_MS;
    let kind: LostExchange["kind"];
    let failedAt: number;
    if (!inTime(discover, offer)) [kind, failedAt] = ["no OFFER", discover.t];
    else if (request === undefined) [kind, failedAt] = ["no REQUEST", offer!.t];
    else if (!inTime(request, answer)) [kind, failedAt] = ["no ACK", request.t];
    else if (answer!.type === NAK) [kind, failedAt] = ["NAK", request.t];
    else continue;
    const sharers = (byAddress.get(offer?.yiaddr ?? "") ?? []).filter((m) => m.chaddr !== chaddr);
    const doubleOffered = sharers.some((m) => m.type === OFFER);
    const others = sharers.map(
      (m) => `${m.type === ACK ? "ACK" : "OFFER"} to ${m.chaddr} ${s(m.t)}`,
    );
    const own = msgs.map((m) => {
      const address = m.yiaddr === "0.0.0.0" ? "" : ` ${m.yiaddr}`;
      return `${NAMES[m.type] ?? m.type}${address} ${s(m.t)}`;
    });
    const story = `${chaddr}: ${own.join(", ")}${others.length > 0 ? `; ${others.join(", ")}` : ""}`;
    lost.push({ chaddr, kind, failedAt, doubleOffered, story });
  }
  return lost;
}

const NAMES: Record<number, string> = {
  [DISCOVER]: "DISCOVER",
  [OFFER]: "OFFER",
  [REQUEST]: "REQUEST",
  [ACK]: "ACK",
  [NAK]: "NAK",
};

/** What one perfdhcp run did: DISCOVERs sent, ACKs received, and the difference. */
interface LoadFigure {
  discoverOffer: PerfdhcpStats;
  requestAck: PerfdhcpStats;
  sent: number;
  completed: number;
  lost: number;
  output: string;
}

/**
 * Starts perfdhcp in `ns`: DORA at `rate`/s for `seconds` s from new clients (-R, -s for a
 * repeatable choice of MAC addresses), acting as a relay from `ifname`'s address (giaddr), -W
 * waiting 1 s after the last DISCOVER for late answers.
 */
function startPerfdhcp(
  bed: TestBed,
  ns: string,
  ifname: string,
  label: string,
  opts: { rate: number; seconds: number; seed: number },
): Proc {
  return bed.spawn(
    `perfdhcp (${label})`,
    ns,
    "perfdhcp",
    perfdhcp4Args(ifname, { ...opts, clients: CLIENTS }),
  );
}

/** Waits for perfdhcp to end (bounded) and reads its figures. */
async function perfdhcpResult(perf: Proc, seconds: number): Promise<LoadFigure> {
  const exited = await perf.waitExit((seconds + 15) * 1000);
  assert.ok(exited, `perfdhcp did not finish in time:\n${perf.output}`);
  const stats = perfdhcpStats(perf.output);
  const discoverOffer = exchangeStats(stats, "DISCOVER-OFFER", perf.output);
  const requestAck = exchangeStats(stats, "REQUEST-ACK", perf.output);
  return {
    discoverOffer,
    requestAck,
    sent: discoverOffer.sent,
    completed: requestAck.received,
    lost: discoverOffer.sent - requestAck.received,
    output: perf.output,
  };
}

function describeFigure(f: LoadFigure): string {
  return (
    `${f.sent} exchanges sent, ${f.completed} completed, ${f.lost} lost ` +
    `(DISCOVER-OFFER ${f.discoverOffer.sent} sent / ${f.discoverOffer.received} received / ` +
    `${f.discoverOffer.drops} drops, REQUEST-ACK ${f.requestAck.sent} / ` +
    `${f.requestAck.received} / ${f.requestAck.drops})`
  );
}

/** Both ends of the link, and a server configured with the control socket and the libraries. */
async function serverBed(title: string): Promise<{
  bed: ControlLoadBed;
  perfNs: string;
  perfIf: string;
  config: ServerConfig;
  socket: string;
  server: Proc;
}> {
  const bed = new ControlLoadBed(title);
  try {
    const serverNs = bed.namespace("srv");
    const perfNs = bed.namespace("perf");
    const link = bed.link(
      { ns: serverNs, role: "s", address: "198.18.0.1/16" },
      { ns: perfNs, role: "p", address: "198.18.0.2/16" },
    );
    const socket = join(bed.dir, "ctl.sock");
    const config = new ServerConfig(bed.dir, {
      interfaces: [link.a],
      // 62,720 addresses: more than a run's 12,000 new clients (and the check after it).
      subnets: [{ id: 1, subnet: "198.18.0.0/16", pool: "198.18.1.0 - 198.18.245.255" }],
      global: {
        "valid-lifetime": 3600,
        "renew-timer": 1800,
        "rebind-timer": 3000,
        "control-socket": { "socket-type": "unix", "socket-name": socket },
        "hooks-libraries": [
          { library: join(HOOKS, "packet-callouts.ts") },
          { library: join(HOOKS, "chained.ts"), parameters: { tag: "load" } },
        ],
      },
    });
    const server = await startServer(bed, serverNs, config);
    return { bed, perfNs, perfIf: link.b, config, socket, server };
  } catch (e) {
    await bed.close();
    throw e;
  }
}

/** How many times the libraries have been loaded in the server (chained.ts's command). */
async function loadCount(socket: string): Promise<number> {
  const answer = await ctl(socket, "load-count");
  assert.equal(answer.result, 0, `load-count: ${JSON.stringify(answer)}`);
  return Number(answer.arguments?.["loads"]);
}

test(
  `baseline: perfdhcp at ${RATE} DORA/s for ${SECONDS} s of new clients, no reload, loses nothing`,
  BOUNDED,
  async () => {
    requirePrerequisites([IPROUTE, PERFDHCP, TCPDUMP]);
    const { bed, perfNs, perfIf, server } = await serverBed("control-load baseline");
    try {
      // Captured as in the reload run, so that both runs carry the same load on the machine.
      const capture = join(bed.dir, "baseline.pcap");
      const tcpdump = await startCapture(bed, perfNs, perfIf, capture);
      const start = Date.now();
      const perf = startPerfdhcp(bed, perfNs, perfIf, "baseline", {
        rate: RATE,
        seconds: SECONDS,
        seed: 6001,
      });
      const f = await perfdhcpResult(perf, SECONDS);
      await stopCapture(tcpdump);
      const lost = lostExchanges(readTimedPcap(capture), start);
      console.log(`control-load baseline (no reload): ${describeFigure(f)}`);
      assert.ok(f.sent >= RATE * SECONDS * 0.9, `perfdhcp sent only ${f.sent}:\n${f.output}`);
      assert.equal(f.lost, 0, `the baseline lost ${f.lost} exchanges:\n${f.output}`);
      assert.equal(f.discoverOffer.drops + f.requestAck.drops, 0, f.output);
      assert.deepEqual(
        lost.map((l) => `${l.kind}: ${l.story}`),
        [],
        "the capture shows no lost exchange either",
      );
      assert.ok(server.running, `nestor-dhcp4 exited:\n${server.output}`);
    } finally {
      await bed.close();
    }
  },
);

interface Reload {
  command: "config-set" | "libreload";
  /** The valid-lifetime a config-set sets. */
  lifetime?: number;
  /** When the command was sent (nestor-ctl started) and answered, ms since the epoch. */
  sent: number;
  answered: number;
  answer: ControlAnswer;
}

test(
  `perfdhcp at ${RATE} DORA/s for ${SECONDS} s while config-set and libreload alternate every ${RELOAD_EVERY_MS} ms: exchanges lost only at config-set instants, every reload result 0, still serving`,
  BOUNDED,
  async () => {
    requirePrerequisites([IPROUTE, PERFDHCP, TCPDUMP]);
    const { bed, perfNs, perfIf, config, socket, server } = await serverBed("control-load reloads");
    try {
      const loadsBefore = await loadCount(socket);
      const base = JSON.parse(readFileSync(config.file, "utf8")) as {
        Dhcp4: Record<string, unknown>;
      };

      const capture = join(bed.dir, "reloads.pcap");
      const tcpdump = await startCapture(bed, perfNs, perfIf, capture);
      const perf = startPerfdhcp(bed, perfNs, perfIf, "reloads", {
        rate: RATE,
        seconds: SECONDS,
        seed: 6002,
      });
      const start = Date.now();
      const reloads: Reload[] = [];
      const lastAt = SECONDS * 1000 - 1000;
      // At most one reload per RELOAD_EVERY_MS slot, one after the other, none after lastAt.
      for (let n = 1; n * RELOAD_EVERY_MS <= lastAt && perf.running; n++) {
        const wait = start + n * RELOAD_EVERY_MS - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (Date.now() - start > lastAt) break;
        const sent = Date.now();
        const lifetime = 3600 + n;
        const reload: Omit<Reload, "answer" | "answered"> =
          n % 2 === 1 ? { command: "config-set", lifetime, sent } : { command: "libreload", sent };
        const answer =
          reload.command === "config-set"
            ? await ctl(socket, "config-set", {
                Dhcp4: { ...base.Dhcp4, "valid-lifetime": lifetime },
              })
            : await ctl(socket, "libreload");
        reloads.push({ ...reload, answer, answered: Date.now() });
      }
      const f = await perfdhcpResult(perf, SECONDS);
      await stopCapture(tcpdump);
      const lost = lostExchanges(readTimedPcap(capture), start);

      // Each lost exchange with the reload at whose instant it failed, if any.
      const s = (t: number) => ((t - start) / 1000).toFixed(3);
      const instantOf = (l: LostExchange) =>
        reloads.find((r) => l.failedAt >= r.sent && l.failedAt <= r.answered + INSTANT_SLACK_MS);
      const configSets = reloads.filter((r) => r.command === "config-set");
      const perReload = reloads.map((r) => lost.filter((l) => instantOf(l) === r).length);
      console.log(
        `control-load with reloads: ${reloads.length} reloads (${configSets.length} config-set, ` +
          `${reloads.length - configSets.length} libreload), ${describeFigure(f)}; ` +
          `lost per reload: ` +
          reloads
            .map((r, i) => `${r.command} ${s(r.sent)}-${s(r.answered)} s: ${perReload[i]}`)
            .join(", ") +
          `; lost outside any reload instant: ${lost.filter((l) => instantOf(l) === undefined).length}`,
      );
      if (lost.length > 0) {
        console.log(
          `control-load: the lost exchanges (s from the start of the load):\n  ` +
            lost
              .slice(0, 30)
              .map((l) => `${l.kind}: ${l.story}`)
              .join("\n  "),
        );
      }

      for (const r of reloads) {
        assert.equal(r.answer.result, 0, `${r.command}: ${JSON.stringify(r.answer)}`);
      }
      assert.ok(reloads.length >= 6, `only ${reloads.length} reloads during the load`);
      assert.ok(configSets.length >= 3 && reloads.length - configSets.length >= 3);
      assert.ok(f.sent >= RATE * SECONDS * 0.9, `perfdhcp sent only ${f.sent}:\n${f.output}`);
      // The capture and perfdhcp agree on what was lost.
      assert.equal(lost.length, f.lost, `lost per the capture and per perfdhcp:\n${f.output}`);
      // Every DISCOVER was answered in time; a lost exchange is a REQUEST refused (NAK) at a
      // config-set's instant, none elsewhere, none at a libreload, and few per config-set.
      assert.equal(f.discoverOffer.drops, 0, `DISCOVERs unanswered:\n${f.output}`);
      for (const l of lost) {
        const r = instantOf(l);
        assert.ok(
          l.kind === "NAK" && l.doubleOffered && r?.command === "config-set",
          `an exchange lost ${r === undefined ? "outside any reload" : `at a ${r.command}`} ` +
            `(${l.kind}): ${l.story}`,
        );
      }
      for (const [i, r] of reloads.entries()) {
        assert.ok(
          perReload[i]! <= MAX_LOST_PER_CONFIG_SET,
          `${perReload[i]} exchanges lost at the ${r.command} of ${s(r.sent)} s`,
        );
      }

      // The reloads really happened: every one loaded the libraries again (config-set and
      // libreload alike), and the last config-set's valid-lifetime is the running one.
      assert.equal(await loadCount(socket), loadsBefore + reloads.length, "loads of chained.ts");
      const running = await ctl(socket, "config-get");
      assert.equal(running.result, 0, JSON.stringify(running));
      const dhcp4 = running.arguments?.["Dhcp4"] as Record<string, unknown> | undefined;
      const lifetimes = reloads.flatMap((r) => (r.lifetime === undefined ? [] : [r.lifetime]));
      assert.equal(dhcp4?.["valid-lifetime"], lifetimes.at(-1), "the last config-set is running");
      // Every completed exchange left a lease of its own in the lease file (new clients: but for
      // a rare shared MAC address, see CLIENTS), and each config-set took effect during the load:
      // the leases given after it carry its valid-lifetime.
      const leases = leaseSet(readLeaseRows(config.leaseFile));
      assert.ok(
        leases.size <= f.completed && leases.size >= f.completed - 5,
        `${leases.size} leases in the lease file for ${f.completed} completed exchanges`,
      );
      const given = new Set([...leases.values()].map((l) => l.validLifetime));
      for (const lifetime of [3600, ...lifetimes]) {
        assert.ok(given.has(lifetime), `no lease with valid-lifetime ${lifetime}: ${[...given]}`);
      }

      // Still serving: two more seconds of the same load, new clients, nothing lost.
      const after = await perfdhcpResult(
        startPerfdhcp(bed, perfNs, perfIf, "after", { rate: RATE, seconds: 2, seed: 6003 }),
        2,
      );
      console.log(`control-load after the reloads: ${describeFigure(after)}`);
      assert.ok(
        after.completed >= RATE,
        `only ${after.completed} exchanges after:\n${after.output}`,
      );
      assert.equal(after.lost, 0, `lost after the reloads:\n${after.output}`);
      assert.ok(server.running, `nestor-dhcp4 exited:\n${server.output}`);
    } finally {
      await bed.close();
    }
  },
);
