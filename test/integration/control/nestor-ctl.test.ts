import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { body4, startBed } from "./helpers.ts";

const CTL = fileURLToPath(new URL("../../../src/cli/nestor-ctl.ts", import.meta.url));
const DHCP4 = fileURLToPath(new URL("../../../src/cli/nestor-dhcp4.ts", import.meta.url));

function ctl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CTL, ...args], (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

test("nestor-ctl: answers printed readably, exit status from the result code, over both transports", async () => {
  const bed = await startBed();
  const url = `http://127.0.0.1:${bed.httpPort}/`;
  try {
    for (const target of [
      ["--socket", bed.socketPath],
      ["--url", url],
    ]) {
      const ok = await ctl(...target, "config-hash-get");
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(
        ok.stdout,
        /^result: 0 \(success\)\narguments:\n\{\n {2}"hash": "[0-9A-F]{64}"\n\}\n$/,
      );
      const unknown = await ctl(...target, "no-such-command");
      assert.equal(unknown.code, 2);
      assert.match(unknown.stdout, /text: 'no-such-command' command not supported\./);
      const error = await ctl(...target, "statistic-get", "--args", '{"name": 1}');
      assert.equal(error.code, 1);
      const withArgs = await ctl(...target, "statistic-get", "--args", '{"name":"pkt4-received"}');
      assert.equal(withArgs.code, 0);
      assert.match(withArgs.stdout, /"pkt4-received"/);
      const json = await ctl(...target, "version-get", "--json");
      assert.equal(json.code, 0);
      JSON.parse(json.stdout);
    }
    assert.equal((await ctl("version-get")).code, 64, "neither --socket nor --url");
    assert.equal((await ctl("--socket", bed.socketPath)).code, 64, "no command");
    assert.equal((await ctl("--socket", bed.socketPath, "x", "--args", "{")).code, 64);
    const gone = await ctl("--socket", join(bed.dir, "nothing.sock"), "version-get");
    assert.equal(gone.code, 69);
    assert.match(gone.stderr, /nothing\.sock/);
  } finally {
    await bed.close();
  }
});

test("nestor-ctl: basic authentication with --user and --password", async () => {
  const bed = await startBed({
    "control-sockets": [
      {
        "socket-type": "http",
        "socket-port": 0,
        authentication: { type: "basic", clients: [{ user: "op", password: "pw" }] },
      },
    ],
  });
  const url = `http://127.0.0.1:${bed.channel.endpoints.http[0]!.port}/`;
  try {
    const denied = await ctl("--url", url, "version-get");
    assert.equal(denied.code, 69);
    assert.match(denied.stdout, /result: 401 \(unauthorized\)/);
    const ok = await ctl("--url", url, "--user", "op", "--password", "pw", "version-get");
    assert.equal(ok.code, 0);
  } finally {
    await bed.close();
  }
});

test("nestor-dhcp4 serves its control socket: SIGHUP reloads, shutdown exits with exit-value", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-control-cli-"));
  const file = join(dir, "kea-dhcp4.conf");
  const body = body4({ "control-socket": { "socket-type": "unix", "socket-name": "cli.sock" } });
  writeFileSync(file, JSON.stringify({ Dhcp4: body }));
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const child = spawn(process.execPath, [DHCP4, "-c", file, "-p", port, "-P", port], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const socket = join(dir, "cli.sock");
  try {
    for (let i = 0; i < 100 && !out.includes("control socket:"); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(out, /control socket: .*cli\.sock/);
    writeFileSync(file, JSON.stringify({ Dhcp4: { ...body, "server-tag": "hup" } }));
    child.kill("SIGHUP");
    for (let i = 0; i < 100 && !out.includes("configuration reloaded"); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const tag = await ctl("--socket", socket, "server-tag-get");
    assert.match(tag.stdout, /"server-tag": "hup"/);
    const exited = once(child, "exit");
    const bye = await ctl("--socket", socket, "shutdown", "--args", '{"exit-value": 3}');
    assert.match(bye.stdout, /Shutting down\./);
    const [code] = await exited;
    assert.equal(code, 3);
  } finally {
    child.kill("SIGKILL");
  }
});
