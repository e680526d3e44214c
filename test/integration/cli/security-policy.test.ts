/**
 * The security policy with real server processes (src/dhcpsrv/config/security.ts): an HTTP
 * control socket off loopback without authentication refused by -t and at start, accepted with a
 * warning under -X; config-set naming a lease file outside the start-up directories refused with
 * the key and the reason, and accepted under -X (the lease file then written there).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DHCP4 = fileURLToPath(new URL("../../../src/cli/nestor-dhcp4.ts", import.meta.url));
const CTL = fileURLToPath(new URL("../../../src/cli/nestor-ctl.ts", import.meta.url));

/** A free-enough unprivileged port for this process (the servers run on loopback). */
const PORT = String(21000 + (process.pid % 20000));

const dirs: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "nestor-security-"));
  dirs.push(d);
  return d;
}

function body(dir: string, extra: object = {}): object {
  return {
    "interfaces-config": { interfaces: ["lo"] },
    "lease-database": { type: "memfile", name: join(dir, "leases4.csv"), "lfc-interval": 0 },
    subnet4: [
      { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.20" }] },
    ],
    "control-socket": { "socket-type": "unix", "socket-name": join(dir, "control.sock") },
    loggers: [{ name: "kea-dhcp4", "output-options": [{ output: "stdout" }], severity: "WARN" }],
    ...extra,
  };
}

function node(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, out: stdout + stderr });
    });
  });
}

const OPEN_SOCKET = {
  "control-sockets": [
    { "socket-type": "http", "socket-address": "198.51.100.1", "socket-port": 8004 },
  ],
};

test("an unauthenticated HTTP control socket off loopback: refused by -t and at start, -X warns", async () => {
  const dir = tempDir();
  const file = join(dir, "open.conf");
  const b = body(dir) as Record<string, unknown>;
  delete b["control-socket"];
  writeFileSync(file, JSON.stringify({ Dhcp4: { ...b, ...OPEN_SOCKET } }, null, 2));

  const checked = await node([DHCP4, "-t", file]);
  assert.equal(checked.code, 1);
  assert.match(
    checked.out,
    /open\.conf:\d+:\d+: Dhcp4\.control-sockets\[0\]: security policy: an HTTP control socket on 198\.51\.100\.1 without 'authentication'/,
  );

  const started = await node([DHCP4, "-c", file, "-p", PORT, "-P", PORT]);
  assert.equal(started.code, 1);
  assert.match(started.out, /Dhcp4\.control-sockets\[0\]: security policy/);
  assert.equal(
    existsSync(join(dir, "leases4.csv")),
    false,
    "a refused start opened the lease file",
  );

  const lifted = await node([DHCP4, "-X", "-t", file]);
  assert.equal(lifted.code, 0, lifted.out);
  assert.match(lifted.out, /warning: .*security policy: an HTTP control socket on 198\.51\.100\.1/);
  assert.match(lifted.out, /Syntax check OK/);
});

async function startServer(dir: string, file: string, extraArgs: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [DHCP4, ...extraArgs, "-c", file, "-p", PORT, "-P", PORT], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NESTOR_PIDFILE_DIR: dir },
  });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  for (let i = 0; i < 200 && !out.includes("control socket:") && child.exitCode === null; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(out, /control socket:/, out);
  return child;
}

test("config-set may not move the lease file out of the start-up directories; -X allows it", async () => {
  const dir = tempDir();
  const elsewhere = tempDir();
  const file = join(dir, "kea-dhcp4.conf");
  writeFileSync(file, JSON.stringify({ Dhcp4: body(dir) }, null, 2));
  const moved = {
    Dhcp4: body(dir, {
      "lease-database": { type: "memfile", name: join(elsewhere, "l.csv"), "lfc-interval": 0 },
    }),
  };
  const socket = join(dir, "control.sock");

  const strict = await startServer(dir, file, []);
  try {
    const refused = await node([
      CTL,
      "--socket",
      socket,
      "config-set",
      "--args",
      JSON.stringify(moved),
    ]);
    assert.equal(refused.code, 1, refused.out);
    assert.match(
      refused.out,
      /Dhcp4\.lease-database\.name: security policy: '.*l\.csv' is outside the directories the server writes to/,
    );
    assert.equal(existsSync(join(elsewhere, "l.csv")), false);
    // Within the start-up directories, a config-set is applied as ever.
    mkdirSync(join(dir, "sub"));
    const inside = {
      Dhcp4: body(dir, {
        "lease-database": { type: "memfile", name: join(dir, "sub", "l.csv"), "lfc-interval": 0 },
      }),
    };
    const ok = await node([
      CTL,
      "--socket",
      socket,
      "config-set",
      "--args",
      JSON.stringify(inside),
    ]);
    assert.equal(ok.code, 0, ok.out);
  } finally {
    strict.kill("SIGTERM");
    await new Promise((r) => (strict.exitCode !== null ? r(null) : strict.once("exit", r)));
  }

  const lenient = await startServer(dir, file, ["-X"]);
  try {
    const accepted = await node([
      CTL,
      "--socket",
      socket,
      "config-set",
      "--args",
      JSON.stringify(moved),
    ]);
    assert.equal(accepted.code, 0, accepted.out);
    assert.equal(
      existsSync(join(elsewhere, "l.csv")),
      true,
      "the lease file was not opened where config-set put it",
    );
  } finally {
    lenient.kill("SIGTERM");
  }
});
