/**
 * Kea's `output-options` carried out (src/log/outputs.ts, src/log/logger.ts): writes that do not
 * wait for the disk, flushed at exit and on FATAL, rotation at maxsize into file.1..file.maxver,
 * `flush: false` buffering, Nestor's JSON lines, and syslog datagrams as Kea sends them.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineMessages, LogManager } from "../../../src/log/logger.ts";
import { startSyslogReceiver } from "../../helpers/syslog-receiver.ts";

const LOGGER = fileURLToPath(new URL("../../../src/log/logger.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "nestor-log-"));
after(() => rmSync(dir, { recursive: true, force: true }));

defineMessages({ TEST_LINE: "line %1 of the test %2" });

/**
 * Runs `body` in a child where `log` logs to stdout (a LogManager `logs` of "nestor-dhcp4"), a
 * pipe this process does not read until the child says "logged" on stderr, then reads it all.
 * The child's exit code, and its stdout as lines.
 */
async function throughStalledPipe(body: string): Promise<{ code: number | null; lines: string[] }> {
  const script = `
    import { LogManager } from ${JSON.stringify(LOGGER)};
    const logs = new LogManager("nestor-dhcp4");
    logs.configure([{ name: "nestor-dhcp4", outputs: ["stdout"] }]);
    const log = logs.getLogger("dhcp4");
    ${body}
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pause();
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const exited = once(child, "exit");
  for (let i = 0; i < 800 && !err.includes("logged"); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(err, "logged\n", "the logging loop ended while the pipe was full");
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stdout.resume();
  const [code] = (await exited) as [number | null];
  await new Promise((r) => setImmediate(r));
  return { code, lines: out.trimEnd().split("\n") };
}

test("logging to a pipe nobody reads does not stop the caller, and no line is lost", async () => {
  // 2 MB to a pipe not read yet: writes in the caller would block (or lose lines) once the pipe
  // holds 64 KB.
  const { code, lines } = await throughStalledPipe(`
    for (let i = 0; i < 2000; i++) log.info("PIPE_LINE", i, "z".repeat(1000));
    process.stderr.write("logged\\n");
    await logs.flush();
  `);
  assert.equal(code, 0);
  assert.equal(lines.length, 2000);
  lines.forEach((l, i) => assert.ok(l.includes(` PIPE_LINE ${i} z`), l.slice(0, 80)));
});

/** The count in the line that says how many lines were dropped, or null if `line` is not it. */
function droppedCount(line: string): number | null {
  const m =
    /^nestor: (\d+) log lines dropped: the output stdout did not take them \(16 MiB were waiting\)$/.exec(
      line,
    );
  return m === null ? null : Number(m[1]);
}

test("a pipe nobody reads holds at most 16 MiB: later lines are dropped and counted, then said", async () => {
  // 24 MB of lines to a pipe not read: a queue without bound would hold them all for as long as
  // the reader stalls. The lines past the limit are dropped; once the pipe is read again, the
  // next line is preceded by the count of those dropped.
  const { code, lines } = await throughStalledPipe(`
    for (let i = 0; i < 12000; i++) log.info("PIPE_LINE", i, "z".repeat(2000));
    process.stderr.write("logged\\n");
    await logs.flush();
    log.info("PIPE_LINE", "after", "the stall");
    await logs.flush();
  `);
  assert.equal(code, 0);
  const dropped = droppedCount(lines.at(-2)!);
  assert.ok(dropped !== null, lines.at(-2)!.slice(0, 120));
  const kept = lines.slice(0, -2);
  // Each line is some 2,050 bytes: 16 MiB holds about 8,180 of them, the pipe some more.
  assert.ok(kept.length > 7000 && kept.length < 10_000, String(kept.length));
  kept.forEach((l, i) => assert.ok(l.includes(` PIPE_LINE ${i} z`), l.slice(0, 80)));
  assert.equal(kept.length + dropped, 12_000, "every line written or counted");
  assert.match(lines.at(-1)!, / PIPE_LINE after the stall$/);
});

test("lines dropped at a stalled pipe are counted at exit too, with no later line to say it", async () => {
  const { code, lines } = await throughStalledPipe(`
    for (let i = 0; i < 12000; i++) log.info("PIPE_LINE", i, "z".repeat(2000));
    process.stderr.write("logged\\n");
  `);
  assert.equal(code, 0);
  // Written by the exit's synchronous flush; a write still in flight may land after it.
  const counts = lines.map(droppedCount).filter((n) => n !== null);
  assert.equal(counts.length, 1, lines.at(-1)!.slice(0, 120));
  assert.equal(lines.length - 1 + counts[0]!, 12_000, "every line written or counted");
});

test("a file output's lines are on disk once the writes drain", async () => {
  const file = join(dir, "async.log");
  const logs = new LogManager("nestor-dhcp4");
  logs.configure([{ name: "nestor-dhcp4", outputs: [{ output: file }] }]);
  logs.getLogger("dhcp4").info("TEST_LINE", 1, "async");
  await logs.flush();
  assert.match(
    readFileSync(file, "utf8"),
    new RegExp(
      `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[nestor-dhcp4\\.dhcp4/${process.pid}\\] TEST_LINE line 1 of the test async\\n$`,
    ),
  );
  logs.close();
});

test("FATAL is written before fatal() returns, with everything logged before it", () => {
  const file = join(dir, "fatal.log");
  const logs = new LogManager("nestor-dhcp4");
  logs.configure([{ name: "nestor-dhcp4", outputs: [{ output: file, flush: false }] }]);
  const log = logs.getLogger("dhcp4");
  for (let i = 0; i < 5; i++) log.info("TEST_LINE", i, "fatal");
  log.fatal("TEST_LINE", 5, "fatal");
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  assert.equal(lines.length, 6);
  assert.match(lines[5]!, /FATAL \[nestor-dhcp4\.dhcp4\/\d+\] TEST_LINE line 5 of the test fatal$/);
  logs.close();
});

test("flush: false gathers lines; the exit of the process writes them all", () => {
  const file = join(dir, "exit.log");
  const script = `
    import { LogManager } from ${JSON.stringify(LOGGER)};
    const logs = new LogManager("nestor-dhcp6");
    logs.configure([{ name: "nestor-dhcp6", outputs: [{ output: ${JSON.stringify(file)}, flush: false }] }]);
    const log = logs.getLogger("dhcp6");
    for (let i = 0; i < 1000; i++) log.info("EXIT_LINE", i);
    process.exit(3);
  `;
  assert.throws(
    () => execFileSync(process.execPath, ["--input-type=module", "-e", script], { stdio: "pipe" }),
    { status: 3 },
  );
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  assert.equal(lines.length, 1000);
  assert.match(lines[999]!, /INFO {2}\[nestor-dhcp6\.dhcp6\/\d+\] EXIT_LINE 999$/);
});

test("maxsize/maxver rotate as Kea: file -> file.1 -> file.2, the oldest dropped, nothing lost", async () => {
  const file = join(dir, "rot.log");
  writeFileSync(`${file}.3`, "stale\n");
  const logs = new LogManager("nestor-dhcp4");
  const maxsize = 204800; // Kea's smallest rotation size
  logs.configure([
    { name: "nestor-dhcp4", outputs: [{ output: file, maxsize, maxver: 2, pattern: "%m\n" }] },
  ]);
  const log = logs.getLogger("dhcp4");
  const pad = "x".repeat(1000);
  // 1010 bytes a line: 203 lines fill a file past maxsize; 700 lines rotate three times.
  for (let i = 0; i < 700; i++) {
    log.info("R", String(i).padStart(6, "0"), pad);
    if (i % 50 === 0) await logs.flush();
  }
  await logs.flush();
  logs.close();
  await new Promise((r) => setTimeout(r, 100));
  const read = (f: string) => readFileSync(f, "utf8").trimEnd().split("\n");
  const current = read(file);
  const one = read(`${file}.1`);
  const two = read(`${file}.2`);
  // maxver 2: no file.3 is made (the one there before stays as it was), older lines are gone.
  assert.equal(readFileSync(`${file}.3`, "utf8"), "stale\n");
  for (const f of [`${file}.1`, `${file}.2`]) {
    const size = statSync(f).size;
    assert.ok(size > maxsize && size <= maxsize + 1010, `${f}: ${size} bytes`);
  }
  const numbers = [...two, ...one, ...current].map((l) => Number(l.slice(2, 8)));
  // Consecutive lines up to the last one: the rotated files follow each other without a gap.
  assert.equal(numbers.at(-1), 699);
  numbers.forEach((n, k) => assert.equal(n, numbers[0]! + k));
  assert.equal(numbers.length, 700 - 203); // the first rotated file was dropped
});

test("a maxsize below 204800 (Kea's minimum) does not rotate", async () => {
  const file = join(dir, "norot.log");
  const logs = new LogManager("nestor-dhcp4");
  logs.configure([{ name: "nestor-dhcp4", outputs: [{ output: file, maxsize: 1000 }] }]);
  for (let i = 0; i < 50; i++) logs.getLogger("x").info("NO_ROTATION", "y".repeat(100));
  await logs.flush();
  logs.close();
  assert.equal(existsSync(`${file}.1`), false);
  assert.equal(readFileSync(file, "utf8").trimEnd().split("\n").length, 50);
});

test('"format": "json" writes one JSON object per line for log pipelines', async () => {
  const file = join(dir, "json.log");
  const logs = new LogManager("nestor-dhcp4");
  logs.configure([{ name: "nestor-dhcp4", outputs: [{ output: file, format: "json" }] }]);
  logs.getLogger("leases").warn("TEST_LINE", 7, '"quoted"');
  await logs.flush();
  logs.close();
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  assert.equal(lines.length, 1);
  const o = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(o), ["time", "severity", "logger", "pid", "id", "message"]);
  assert.equal(o["severity"], "WARN");
  assert.equal(o["logger"], "nestor-dhcp4.leases");
  assert.equal(o["pid"], process.pid);
  assert.equal(o["id"], "TEST_LINE");
  assert.equal(o["message"], 'line 7 of the test "quoted"');
  assert.ok(Math.abs(Date.parse(o["time"] as string) - Date.now()) < 60000);
});

test("syslog and syslog:<facility> send Kea's datagrams to the local syslog socket", async () => {
  const socket = join(dir, "log.sock");
  const receiver = await startSyslogReceiver(socket);
  const saved = process.env["NESTOR_SYSLOG_SOCKET"];
  process.env["NESTOR_SYSLOG_SOCKET"] = socket;
  try {
    const logs = new LogManager("nestor-dhcp4");
    logs.configure([
      {
        name: "nestor-dhcp4",
        severity: "DEBUG",
        debuglevel: 10,
        outputs: [
          { output: "syslog" },
          { output: "syslog:daemon" },
          { output: "syslog:no-such-facility", pattern: "%p %m" },
        ],
      },
    ]);
    const log = logs.getLogger("dhcpsrv");
    log.info("TEST_LINE", 1, "syslog");
    log.warn("TEST_LINE", 2, "syslog");
    log.error("TEST_LINE", 3, "syslog");
    log.debug(10, "TEST_LINE", 4, "syslog");
    log.fatal("TEST_LINE", 5, "syslog");
    const got = await receiver.waitFor(15);
    logs.close();
    assert.equal(got.length, 15);
    const stamp = "[A-Z][a-z]{2} [ 1-3]\\d \\d\\d:\\d\\d:\\d\\d";
    // As glibc's syslog(3) for Kea: <PRI>timestamp ident: message. local0 is 16, daemon 3,
    // an unknown facility is user (1); FATAL is LOG_CRIT, ERROR LOG_ERR, WARN LOG_WARNING.
    const expect = (pri: number, sev: string, n: number) =>
      new RegExp(
        `^<${pri}>${stamp} nestor-dhcp4: ${sev.padEnd(5)} \\[nestor-dhcp4\\.dhcpsrv\\] TEST_LINE line ${n} of the test syslog\\n$`,
      );
    const sevs: [string, number][] = [
      ["INFO", 6],
      ["WARN", 4],
      ["ERROR", 3],
      ["DEBUG", 7],
      ["FATAL", 2],
    ];
    sevs.forEach(([sev, level], k) => {
      assert.match(got[3 * k]!, expect(16 * 8 + level, sev, k + 1));
      assert.match(got[3 * k + 1]!, expect(3 * 8 + level, sev, k + 1));
      assert.match(
        got[3 * k + 2]!,
        new RegExp(`^<${8 + level}>${stamp} nestor-dhcp4: ${sev} TEST_LINE line ${k + 1} `),
      );
    });
  } finally {
    if (saved === undefined) delete process.env["NESTOR_SYSLOG_SOCKET"];
    else process.env["NESTOR_SYSLOG_SOCKET"] = saved;
    receiver.close();
  }
});

test("without the native addon, syslog output goes to stderr with one warning", () => {
  const script = `
    import { LogManager } from ${JSON.stringify(LOGGER)};
    const logs = new LogManager("nestor-dhcp4");
    logs.configure([{ name: "nestor-dhcp4", outputs: ["syslog", "syslog:local3"] }]);
    logs.getLogger("dhcp4").info("STILL_LOGGED", "a");
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, NESTOR_NO_NATIVE: "1" },
    encoding: "utf8",
  });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 3, r.stderr);
  assert.equal(
    lines[0],
    "nestor: syslog output needs the native addon (disabled by NESTOR_NO_NATIVE=1); logging to stderr",
  );
  for (const l of lines.slice(1))
    assert.match(l, /INFO {2}\[nestor-dhcp4\.dhcp4\/\d+\] STILL_LOGGED a$/);
});

test("a new configuration moves the lines to its outputs; an output kept is not reopened", async () => {
  const a = join(dir, "reconf-a.log");
  const b = join(dir, "reconf-b.log");
  const logs = new LogManager("nestor-dhcp4");
  logs.configure([{ name: "nestor-dhcp4", outputs: [{ output: a }] }]);
  const log = logs.getLogger("dhcp4");
  log.info("RECONF", 1);
  const kept = logs.sink({ output: a });
  logs.configure([
    { name: "nestor-dhcp4", outputs: [{ output: a }] },
    { name: "nestor-dhcp4.dhcp4", outputs: [{ output: b, pattern: "%m\n" }] },
  ]);
  assert.equal(logs.sink({ output: a }), kept);
  log.info("RECONF", 2);
  logs.getLogger("leases").info("RECONF", 3);
  await logs.flush();
  logs.close();
  const lineA = readFileSync(a, "utf8").trimEnd().split("\n");
  assert.deepEqual(
    lineA.map((l) => l.replace(/^.* \[/, "[")),
    [
      `[nestor-dhcp4.dhcp4/${process.pid}] RECONF 1`,
      `[nestor-dhcp4.leases/${process.pid}] RECONF 3`,
    ],
  );
  assert.equal(readFileSync(b, "utf8"), "RECONF 2\n");
});

test("an output that cannot be written (a full disk) is said once on stderr; the process goes on", () => {
  const script = `
    import { LogManager } from ${JSON.stringify(LOGGER)};
    const logs = new LogManager("nestor-dhcp4");
    logs.configure([{ name: "nestor-dhcp4", outputs: ["/dev/full"] }]);
    const log = logs.getLogger("dhcp4");
    for (let i = 0; i < 3; i++) {
      log.info("FULL_LINE", i);
      await logs.flush();
    }
    process.stdout.write("still running\\n");
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "still running\n");
  assert.match(
    r.stderr,
    /^nestor: cannot write the log output \/dev\/full: ENOSPC[^\n]*; its lines are dropped\n$/,
  );
});
