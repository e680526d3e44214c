/**
 * One server per configuration and per lease file (src/util/pid-file.ts, src/cli/server-main.ts,
 * the lease file lock of src/dhcpsrv/leases/lease-journal.ts), with real server processes.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const DHCP4 = fileURLToPath(new URL("../../../src/cli/nestor-dhcp4.ts", import.meta.url));
const DHCP6 = fileURLToPath(new URL("../../../src/cli/nestor-dhcp6.ts", import.meta.url));
const CTL = fileURLToPath(new URL("../../../src/cli/nestor-ctl.ts", import.meta.url));

interface Bed {
  dir: string;
  run: string;
  leases: string;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function bed(prefix: string): Bed {
  const dir = mkdtempSync(join(tmpdir(), `nestor-pid-${prefix}-`));
  dirs.push(dir);
  const run = join(dir, "run");
  mkdirSync(run);
  return { dir, run, leases: join(dir, "leases.csv") };
}

function config4(b: Bed, name: string, socket: string): string {
  const file = join(b.dir, name);
  const body = {
    "interfaces-config": { interfaces: ["lo"] },
    "lease-database": { type: "memfile", name: b.leases, "lfc-interval": 0 },
    "valid-lifetime": 4000,
    subnet4: [
      {
        id: 1,
        subnet: "198.51.100.0/24",
        relay: { "ip-addresses": ["127.0.0.1"] },
        pools: [{ pool: "198.51.100.10 - 198.51.100.250" }],
      },
    ],
    "control-socket": { "socket-type": "unix", "socket-name": join(b.dir, socket) },
  };
  writeFileSync(file, JSON.stringify({ Dhcp4: body }));
  return file;
}

function config6(b: Bed): string {
  const file = join(b.dir, "kea-dhcp6.conf");
  const body = {
    "interfaces-config": { interfaces: ["lo"] },
    "data-directory": b.dir,
    "lease-database": { type: "memfile", name: b.leases, "lfc-interval": 0 },
    subnet6: [
      {
        id: 1,
        subnet: "2001:db8:1::/64",
        "interface-id": "lo-test",
        pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::20" }],
      },
    ],
  };
  writeFileSync(file, JSON.stringify({ Dhcp6: body }));
  return file;
}

interface Server {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output includes `text` (rejects if the process exits first). */
  waitFor(text: string): Promise<void>;
  /** The exit code (the process exits by itself). */
  exit(): Promise<number | null>;
}

function port(): string {
  return String(20000 + Math.floor(Math.random() * 20000));
}

function start(cli: string, file: string, run: string): Server {
  const p = port();
  const env: NodeJS.ProcessEnv = { ...process.env, NESTOR_PIDFILE_DIR: run };
  delete env["KEA_PIDFILE_DIR"];
  const child = spawn(process.execPath, [cli, "-c", file, "-p", p, "-P", p], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let out = "";
  const exited = once(child, "exit") as Promise<[number | null]>;
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  return {
    child,
    output: () => out,
    async waitFor(text) {
      let gone = false;
      void exited.then(() => (gone = true));
      for (let i = 0; i < 400 && !out.includes(text); i++) {
        if (gone) throw new Error(`exited before '${text}':\n${out}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.ok(out.includes(text), `no '${text}' in:\n${out}`);
    },
    exit: async () => (await exited)[0],
  };
}

function kill(s: Server): void {
  if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill("SIGKILL");
}

function ctl(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CTL, "--socket", socket, command], (error, stdout) => {
      if (error !== null) reject(error);
      else resolve(stdout);
    });
  });
}

test("nestor-dhcp4: a second server on the same configuration is refused, the first serves on", async () => {
  const b = bed("same");
  const file = config4(b, "kea-dhcp4.conf", "one.sock");
  const pidFile = join(b.run, "kea-dhcp4.nestor-dhcp4.pid");
  const first = start(DHCP4, file, b.run);
  try {
    await first.waitFor("serving");
    assert.equal(readFileSync(pidFile, "utf8").trim(), String(first.child.pid));
    assert.equal(readFileSync(`${b.leases}.nestor.pid`, "utf8").trim(), String(first.child.pid));
    const before = { text: readFileSync(b.leases, "utf8"), mtime: statSync(b.leases).mtimeMs };

    const second = start(DHCP4, file, b.run);
    assert.equal(await second.exit(), 1);
    assert.match(
      second.output(),
      new RegExp(`DHCP4_ALREADY_RUNNING .*${pidFile}.* ${first.child.pid}`),
    );
    assert.doesNotMatch(second.output(), /serving/);
    // Refusing leaves the running server's PID file and lease file alone.
    assert.equal(readFileSync(pidFile, "utf8").trim(), String(first.child.pid));
    assert.equal(readFileSync(b.leases, "utf8"), before.text);
    assert.equal(statSync(b.leases).mtimeMs, before.mtime);

    assert.equal(first.child.exitCode, null, "the first server still runs");
    assert.match(await ctl(join(b.dir, "one.sock"), "version-get"), /result: 0/);
  } finally {
    kill(first);
  }
});

test("nestor-dhcp4: a stale PID file is replaced; SIGTERM removes the PID file and the lease lock", async () => {
  const b = bed("stale");
  const file = config4(b, "kea-dhcp4.conf", "one.sock");
  const pidFile = join(b.run, "kea-dhcp4.nestor-dhcp4.pid");
  // A PID that names no process: one that has exited.
  const gone = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await once(gone, "exit");
  writeFileSync(pidFile, `${gone.pid}\n`);
  writeFileSync(`${b.leases}.nestor.pid`, `${gone.pid}\n`);
  const server = start(DHCP4, file, b.run);
  try {
    await server.waitFor("serving");
    assert.equal(readFileSync(pidFile, "utf8").trim(), String(server.child.pid));
    assert.equal(readFileSync(`${b.leases}.nestor.pid`, "utf8").trim(), String(server.child.pid));
    server.child.kill("SIGTERM");
    assert.equal(await server.exit(), 0);
    assert.equal(existsSync(pidFile), false, "PID file removed on SIGTERM");
    assert.equal(existsSync(`${b.leases}.nestor.pid`), false, "lease lock removed on SIGTERM");
  } finally {
    kill(server);
  }
});

test("nestor-dhcp4: a second configuration naming the same lease file is refused", async () => {
  const b = bed("lease");
  const first = start(DHCP4, config4(b, "a.json", "a.sock"), b.run);
  try {
    await first.waitFor("serving");
    const before = readFileSync(b.leases, "utf8");
    const second = start(DHCP4, config4(b, "b.json", "b.sock"), b.run);
    assert.equal(await second.exit(), 1);
    assert.ok(second.output().includes(b.leases), second.output());
    assert.match(second.output(), new RegExp(`in use by another server.* ${first.child.pid}`));
    assert.equal(readFileSync(b.leases, "utf8"), before);
    // Its own PID file was taken and is gone again; the first server's stays.
    assert.equal(existsSync(join(b.run, "b.nestor-dhcp4.pid")), false);
    assert.equal(existsSync(join(b.run, "a.nestor-dhcp4.pid")), true);
    assert.equal(first.child.exitCode, null);
    assert.match(await ctl(join(b.dir, "a.sock"), "version-get"), /result: 0/);
  } finally {
    kill(first);
  }
});

test("nestor-dhcp6: a second server on the same configuration is refused", async () => {
  const b = bed("v6");
  const file = config6(b);
  const pidFile = join(b.run, "kea-dhcp6.nestor-dhcp6.pid");
  const first = start(DHCP6, file, b.run);
  try {
    await first.waitFor("serving");
    const second = start(DHCP6, file, b.run);
    assert.equal(await second.exit(), 1);
    assert.match(
      second.output(),
      new RegExp(`DHCP6_ALREADY_RUNNING .*${pidFile}.* ${first.child.pid}`),
    );
    assert.equal(readFileSync(pidFile, "utf8").trim(), String(first.child.pid));
    assert.equal(first.child.exitCode, null);
    first.child.kill("SIGTERM");
    assert.equal(await first.exit(), 0);
    assert.equal(existsSync(pidFile), false);
  } finally {
    kill(first);
  }
});

test("nestor-dhcp4 -t takes no PID file", async () => {
  const b = bed("check");
  const file = config4(b, "kea-dhcp4.conf", "one.sock");
  const env = { ...process.env, NESTOR_PIDFILE_DIR: b.run };
  const child = spawn(process.execPath, [DHCP4, "-t", file], { stdio: "ignore", env });
  const [code] = (await once(child, "exit")) as [number];
  assert.equal(code, 0);
  assert.equal(existsSync(join(b.run, "kea-dhcp4.nestor-dhcp4.pid")), false);
});
