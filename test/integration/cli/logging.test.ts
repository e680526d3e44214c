/**
 * A real nestor-dhcp4 process logging as its configuration says: a file with its own pattern
 * and `flush: false`, Nestor's JSON lines, syslog on a test socket; everything written when the
 * process stops on SIGTERM; a pattern Nestor cannot honour refused at start with file, key and
 * reason.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSyslogReceiver } from "../../helpers/syslog-receiver.ts";

const DHCP4 = fileURLToPath(new URL("../../../src/cli/nestor-dhcp4.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "nestor-logging-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(loggers: unknown[]): string {
  const file = join(dir, `kea-dhcp4-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(
    file,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: ["lo"] },
        "lease-database": { type: "memfile", persist: false },
        subnet4: [
          { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.20" }] },
        ],
        loggers,
      },
    }),
  );
  return file;
}

function env(): NodeJS.ProcessEnv {
  const run = join(dir, "run");
  mkdirSync(run, { recursive: true });
  const e: NodeJS.ProcessEnv = { ...process.env, NESTOR_PIDFILE_DIR: run };
  delete e["KEA_PIDFILE_DIR"];
  return e;
}

test("nestor-dhcp4 writes its file, JSON and syslog outputs as configured, all of it by SIGTERM", async () => {
  const socket = join(dir, "syslog.sock");
  const receiver = await startSyslogReceiver(socket);
  try {
    const file = config([
      {
        name: "kea-dhcp4",
        severity: "INFO",
        output_options: [
          { output: "nestor.log", flush: false, pattern: "%-5p <%c{1}> %m\n" },
          { output: "nestor.json", format: "json" },
          { output: "syslog:local4" },
        ],
      },
    ]);
    const port = String(20000 + Math.floor(Math.random() * 20000));
    const child = spawn(process.execPath, [DHCP4, "-c", file, "-p", port, "-P", port], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...env(), NESTOR_SYSLOG_SOCKET: socket },
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = once(child, "exit");
    for (let i = 0; i < 400 && !out.includes("serving"); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.match(out, /serving 1 subnet/);
    child.kill("SIGTERM");
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, `${out} signal=${String(child.signalCode)}`);

    // The file: the pattern asked for, lines held by flush: false written at the stop.
    const text = readFileSync(join(dir, "nestor.log"), "utf8");
    assert.match(text, /^INFO {2}<dhcpsrv> DHCPSRV_IFACE_LISTEN listening on lo /m);
    assert.match(text, /^INFO {2}<dhcp4> DHCP4_STARTED Nestor DHCPv4 server/m);
    assert.match(text, /INFO {2}<dhcp4> DHCP4_SHUTDOWN shutting down\n$/);

    // JSON: one object per line, the same messages.
    const json = readFileSync(join(dir, "nestor.json"), "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; logger: string; severity: string });
    assert.deepEqual(
      json.map((o) => o.id),
      text
        .trimEnd()
        .split("\n")
        .map((l) => l.split(" ")[3]),
    );
    assert.equal(json.at(-1)!.id, "DHCP4_SHUTDOWN");
    assert.equal(json.at(-1)!.logger, "nestor-dhcp4.dhcp4");

    // syslog: local4 (20) + LOG_INFO (6), ident nestor-dhcp4, Kea's syslog layout.
    const got = await receiver.waitFor(json.length);
    assert.equal(got.length, json.length);
    assert.match(
      got.at(-1)!,
      /^<166>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d nestor-dhcp4: INFO {2}\[nestor-dhcp4\.dhcp4\] DHCP4_SHUTDOWN shutting down\n$/,
    );
  } finally {
    receiver.close();
  }
});

test("a pattern Nestor cannot honour is refused at start: file, line, key and the directive", () => {
  const file = config([
    { name: "kea-dhcp4", output_options: [{ output: "stdout", pattern: "%D %p %M %m\n" }] },
  ]);
  const r = spawnSync(process.execPath, [DHCP4, "-t", file], { encoding: "utf8", env: env() });
  assert.equal(r.status, 1);
  assert.match(
    r.stdout + r.stderr,
    new RegExp(
      `${file.replace(/[.]/g, "\\.")}:1:\\d+: Dhcp4\\.loggers\\[0\\]\\.output-options\\[0\\]\\.pattern: ` +
        `pattern "%D %p %M %m\\n": unsupported directive %M`,
    ),
  );
});
