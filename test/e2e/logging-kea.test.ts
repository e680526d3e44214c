/**
 * Logging side by side with Kea 2.2: the same `loggers` given to kea-dhcp4 and nestor-dhcp4
 * (no interfaces, nothing on the network), their outputs compared.
 *
 * - syslog: Kea writes to /dev/log; it runs in a private mount namespace whose /dev is a test
 *   directory holding a receiving socket named `log` (and the device nodes it needs). Nestor
 *   sends to its own receiver (NESTOR_SYSLOG_SOCKET). Compared: priority (facility and level)
 *   of each output, the timestamp and tag form, the pattern's layout.
 * - files: a pattern with width and %c{1}, and rotation at maxsize with maxver, from the same
 *   pre-filled files.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSyslogReceiver, type SyslogReceiver } from "../helpers/syslog-receiver.ts";
import { keaEnv } from "./lib/kea.ts";
import { bin, Proc, requirePrerequisites, waitFor } from "./lib/netns.ts";

const CLI = fileURLToPath(new URL("../../src/cli/nestor-dhcp4.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "nestor-logging-kea-"));
const procs: Proc[] = [];
const receivers: SyslogReceiver[] = [];
after(async () => {
  for (const p of procs) {
    p.signal("SIGKILL");
    await p.waitExit(5000);
  }
  for (const r of receivers) r.close();
  rmSync(root, { recursive: true, force: true });
});

requirePrerequisites([
  { program: "kea-dhcp4", debianPackage: "kea-dhcp4-server" },
  { program: "unshare", debianPackage: "util-linux" },
  { program: "python3", debianPackage: "python3" },
]);

function writeConfig(dir: string, loggers: unknown[]): string {
  const file = join(dir, "kea-dhcp4.conf");
  writeFileSync(
    file,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: [] },
        "lease-database": { type: "memfile", persist: false },
        loggers,
      },
    }),
  );
  return file;
}

/** kea-dhcp4 with /dev replaced by `dev` in its own mount namespace (so /dev/log is ours). */
function startKea(dir: string, file: string, dev?: string): Proc {
  const kea = bin("kea-dhcp4");
  const script =
    dev === undefined ? `exec ${kea} -c "$1"` : `mount --bind "$2" /dev && exec ${kea} -c "$1"`;
  const args = dev === undefined ? ["-c", script, "sh", file] : ["-c", script, "sh", file, dev];
  const cmd =
    dev === undefined
      ? ["sh", args]
      : ["unshare", ["--mount", "--propagation", "private", "sh", ...args]];
  const child = spawn(cmd[0] as string, cmd[1] as string[], {
    stdio: ["ignore", "pipe", "pipe"],
    env: keaEnv(dir),
  });
  const p = new Proc("kea-dhcp4", child);
  procs.push(p);
  return p;
}

function startNestor(dir: string, file: string, env: NodeJS.ProcessEnv = {}): Proc {
  const run = join(dir, "run");
  mkdirSync(run, { recursive: true });
  const child = spawn(process.execPath, [CLI, "-c", file], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NESTOR_PIDFILE_DIR: run, ...env },
  });
  const p = new Proc("nestor-dhcp4", child);
  procs.push(p);
  return p;
}

/** The full file was rotated and the new one holds a line. */
function rotatedAndWritten(log: string): boolean {
  if (!existsSync(log)) return false;
  const text = readFileSync(log, "utf8");
  return text.length < 100_000 && text.includes("\n");
}

async function stop(p: Proc): Promise<void> {
  p.signal("SIGTERM");
  assert.ok(await p.waitExit(10_000), `${p.label} did not stop:\n${p.output}`);
}

/** `<PRI>Mmm dd hh:mm:ss tag: SEV   [root.component(.thread)] ID` taken apart. */
const SYSLOG =
  /^<(\d+)>([A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d) ([\w-]+): (\w+) +\[([\w-]+)\.([\w-]+)(?:\.\d+)?\] ([A-Z0-9_]+) .*\n$/;

interface Datagram {
  pri: number;
  tag: string;
  severity: string;
  root: string;
}

function parse(d: string, who: string): Datagram {
  const m = SYSLOG.exec(d);
  assert.ok(m !== null, `${who}: not a syslog datagram in Kea's form: ${JSON.stringify(d)}`);
  return { pri: Number(m[1]), tag: m[3]!, severity: m[4]!, root: m[5]! };
}

test("syslog, syslog:<facility> and a syslog pattern: the same datagrams as Kea 2.2", async () => {
  const dir = join(root, "syslog");
  const dev = join(dir, "dev");
  mkdirSync(dev, { recursive: true });
  for (const d of ["null", "zero", "random", "urandom"]) {
    // Device nodes for Kea's /dev: made with mknod-like copies (cp -a of a device node).
    const r = spawn("cp", ["-a", `/dev/${d}`, join(dev, d)]);
    await new Promise((res) => r.on("close", res));
    assert.ok(existsSync(join(dev, d)));
  }
  const keaLog = await startSyslogReceiver(join(dev, "log"));
  receivers.push(keaLog);
  const nestorLog = await startSyslogReceiver(join(dir, "nestor.sock"));
  receivers.push(nestorLog);
  const loggers = [
    {
      name: "kea-dhcp4",
      severity: "INFO",
      output_options: [
        { output: "syslog" },
        { output: "syslog:daemon" },
        { output: "syslog:no-such-facility", pattern: "%-7p|%c{1}|%m%n" },
      ],
    },
  ];
  const file = writeConfig(dir, loggers);
  const kea = startKea(dir, file, dev);
  await waitFor(
    "Kea's syslog lines",
    () => (keaLog.messages().some((m) => m.includes("DHCP4_CONFIG_COMPLETE")) ? true : undefined),
    20_000,
    () => kea.output,
  );
  await stop(kea);
  const nestor = startNestor(dir, file, { NESTOR_SYSLOG_SOCKET: nestorLog.path });
  await nestor.waitForOutput(/serving \d+ subnet/, 20_000);
  await stop(nestor);

  const k = await keaLog.waitFor(9);
  const n = await nestorLog.waitFor(9);
  // Every message goes out three times, in the order of the outputs.
  assert.equal(k.length % 3, 0);
  assert.equal(n.length % 3, 0);
  const byOutput = (all: string[], i: number) => all.filter((_, j) => j % 3 === i);
  for (const [who, all, tag] of [
    ["kea", k, "kea-dhcp4"],
    ["nestor", n, "nestor-dhcp4"],
  ] as const) {
    for (const output of [0, 1]) {
      for (const d of byOutput(all, output)) {
        const p = parse(d, who);
        assert.equal(p.tag, tag);
        assert.equal(p.root, tag);
      }
    }
  }
  // The priorities Kea gives each output, for INFO and WARN: Nestor gives the same.
  const pris = (all: string[], output: number) => {
    const out = new Map<string, number>();
    for (const d of byOutput(all, output)) {
      const pri = Number(/^<(\d+)>/.exec(d)![1]);
      const sev = output === 2 ? /^<\d+>.{15} [\w-]+: (\w+)/.exec(d)![1]! : parse(d, "").severity;
      out.set(sev, pri);
    }
    return out;
  };
  for (const output of [0, 1, 2]) {
    const kp = pris(k, output);
    const np = pris(n, output);
    assert.ok(kp.has("INFO") && np.has("INFO"));
    for (const [sev, pri] of np)
      if (kp.has(sev)) assert.equal(pri, kp.get(sev), `output ${output} ${sev}`);
  }
  assert.equal(pris(k, 0).get("INFO"), 134); // local0
  assert.equal(pris(k, 1).get("INFO"), 30); // daemon
  assert.equal(pris(k, 2).get("INFO"), 14); // an unknown facility: user
  // The pattern: "INFO   |component|ID text\n" after the syslog header, in both.
  const layout =
    /^<\d+>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d [\w-]+: (INFO {3}|WARN {3}|ERROR {2})\|[a-z0-9-]+\|[A-Z0-9_]+ [^\n]*\n$/;
  for (const d of [...byOutput(k, 2), ...byOutput(n, 2)]) assert.match(d, layout);
  assert.ok(byOutput(k, 2).some((d) => d.includes("|dhcp4|DHCP4_")));
  assert.ok(byOutput(n, 2).some((d) => d.includes("|dhcp4|DHCP4_")));
});

test("a file with a pattern and rotation (maxsize 204800, maxver 2): the same files as Kea 2.2", async () => {
  const results: Record<string, { current: string; one: string; two: string; three: boolean }> = {};
  for (const who of ["kea", "nestor"] as const) {
    const dir = join(root, `file-${who}`);
    mkdirSync(dir, { recursive: true });
    const log = join(dir, "server.log");
    // Exactly maxsize bytes already there: the first line written goes past it.
    writeFileSync(log, ("p".repeat(99) + "\n").repeat(2048));
    writeFileSync(`${log}.1`, "one\n");
    writeFileSync(`${log}.2`, "two\n");
    const file = writeConfig(dir, [
      {
        name: "kea-dhcp4",
        severity: "INFO",
        output_options: [{ output: log, maxsize: 204800, maxver: 2, pattern: "%-6p[%c{1}] %m\n" }],
      },
    ]);
    const p = who === "kea" ? startKea(dir, file) : startNestor(dir, file);
    await waitFor(
      `${who}'s log lines`,
      () => (rotatedAndWritten(log) ? true : undefined),
      20_000,
      () => p.output,
    );
    await stop(p);
    results[who] = {
      current: readFileSync(log, "utf8"),
      one: readFileSync(`${log}.1`, "utf8"),
      two: readFileSync(`${log}.2`, "utf8"),
      three: existsSync(`${log}.3`),
    };
  }
  for (const [who, r] of Object.entries(results)) {
    // file.1 was rotated to file.2 (the old file.2 dropped, no file.3), the full file became
    // file.1 with the one line that took it past maxsize, and the rest went to a new file.
    assert.equal(r.two, "one\n", who);
    assert.equal(r.three, false, who);
    const one = r.one.split("\n");
    assert.equal(one.length, 2048 + 2, who);
    assert.match(one[2048]!, /^INFO {2}\[[a-z0-9-]+\] [A-Z0-9_]+ /, who);
    for (const line of r.current.trimEnd().split("\n"))
      assert.match(
        line,
        /^(INFO {2}|WARN {2}|ERROR )\[[a-z0-9-]+\] [A-Z0-9_]+ /,
        `${who}: ${line}`,
      );
  }
});
