/**
 * Nestor installed the way a server is installed: `npm pack` makes the tarball, `npm install
 * --omit=dev` puts it into a fresh prefix (no TypeScript, no dev tools), the install script builds
 * the native socket addon from the shipped sources, and the installed `nestor-dhcp4` answers
 * `-V` and serves one exchange on loopback with the shipped sample configuration, through the
 * native sockets, with a banner that names no `npm run` script (an installed copy has none).
 *
 * Needs the compiled dist/ (`npm test` builds it first), npm, and a C++ compiler (g++, make,
 * python3) for node-gyp. Dependencies come from npm's cache when they are there.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { fileURLToPath } from "node:url";
import { DHCPMessageType } from "../../../src/dhcp/constants.ts";
import { Relay4, clientQuery } from "../../helpers/relay4.ts";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }
).version;

/** The installed commands start with `#!/usr/bin/env -S node ...`: this Node.js first in PATH. */
const ENV = {
  ...process.env,
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
  npm_config_loglevel: "error",
  npm_config_update_notifier: "false",
};

const dir = mkdtempSync(join(tmpdir(), "nestor-packed-"));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.pid !== undefined) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Runs npm with the project's Node.js first in PATH, as npm test does. */
async function npm(args: string[], cwd: string): Promise<string> {
  const { stdout } = await run("npm", args, {
    cwd,
    timeout: 240_000,
    maxBuffer: 16 * 1024 * 1024,
    env: ENV,
  });
  return stdout;
}

test(
  "the packed tarball installs with --omit=dev, builds the addon and serves",
  { timeout: 300_000 },
  async () => {
    assert.ok(
      existsSync(join(ROOT, "dist/cli/nestor-dhcp4.js")),
      "dist/ is not built: run `npm run build` (npm test does it first)",
    );
    // dist/ is already built: skip prepare/prepack, which would build it again.
    const packed = await npm(
      ["pack", "--ignore-scripts", "--pack-destination", dir, "--json"],
      ROOT,
    );
    const [{ filename, files }] = JSON.parse(packed) as [
      { filename: string; files: { path: string }[] },
    ];
    const paths = new Set(files.map((f) => f.path));
    for (const needed of [
      "dist/cli/nestor-dhcp4.js",
      "dist/libraries/run_script/index.js",
      "native/binding.gyp",
      "native/src/udp_socket.cc",
      "examples/nestor-dhcp4.json",
      "contrib/systemd/nestor-dhcp4.service",
    ]) {
      assert.ok(paths.has(needed), `the tarball lacks ${needed}`);
    }
    assert.ok(![...paths].some((p) => p.startsWith("src/") || p.startsWith("test/")));

    // A global install, as the README says: npm 11 runs the install script with --allow-scripts.
    const global = join(dir, "global");
    await npm(
      [
        "install",
        "--global",
        "--prefix",
        global,
        "--prefer-offline",
        "--allow-scripts=nestor",
        "--no-audit",
        "--no-fund",
        join(dir, filename),
      ],
      dir,
    );
    assert.ok(
      existsSync(join(global, "lib/node_modules/nestor/native/build/Release/nestor_net.node")),
      "the global install did not build the native addon",
    );
    const { stdout: gv } = await run(join(global, "bin/nestor-dhcp4"), ["--version"], {
      timeout: 20_000,
      env: ENV,
    });
    assert.match(gv, new RegExp(`^${VERSION.replaceAll(".", "\\.")}\\n`));

    // A directory of its own (/opt/nestor, say) with --omit=dev: the directory's package.json
    // allows Nestor's install script, as npm 11 asks of a project-scoped install.
    const prefix = join(dir, "prefix");
    mkdirSync(prefix);
    writeFileSync(
      join(prefix, "package.json"),
      JSON.stringify({ name: "nestor-site", private: true, allowScripts: { nestor: true } }),
    );
    await npm(
      ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", join(dir, filename)],
      prefix,
    );
    const installed = join(prefix, "node_modules/nestor");
    assert.ok(
      existsSync(join(installed, "native/build/Release/nestor_net.node")),
      "the install script did not build the native addon",
    );
    assert.ok(
      !existsSync(join(prefix, "node_modules/typescript")),
      "--omit=dev installed typescript",
    );

    const bin = join(prefix, "node_modules/.bin/nestor-dhcp4");
    const { stdout: v } = await run(bin, ["-V"], { timeout: 20_000, env: ENV });
    assert.match(v, new RegExp(`^${VERSION.replaceAll(".", "\\.")}\\n`));

    // The shipped sample configuration, as an operator trying the installed copy would run it.
    // Replies to a relay go to the client port (-P), where the test's relay listens.
    const relay = await Relay4.open();
    const serverPort = 20000 + (process.pid % 20000);
    const child = spawn(
      bin,
      [
        "-c",
        join(installed, "examples/nestor-dhcp4.json"),
        "-p",
        String(serverPort),
        "-P",
        String(relay.port),
      ],
      { env: { ...ENV, NESTOR_PIDFILE_DIR: dir }, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    try {
      const deadline = Date.now() + 20_000;
      while (
        !out.includes("stop with Ctrl-C") &&
        Date.now() < deadline &&
        child.exitCode === null
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(out, /DHCPSRV_IFACE_LISTEN listening on lo .* with native sockets/, out);
      // The command's first line gives Node.js its options (env execs node: the same PID).
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
      assert.ok(
        argv.includes("--max-semi-space-size=4"),
        `the installed server runs without its young-generation bound: ${argv.join(" ")}`,
      );
      assert.doesNotMatch(out, /npm run/, "an installed copy's banner names npm scripts");
      assert.match(out, /perfdhcp -4 -l 127\.0\.0\.1 /);

      const offer = await relay.ask(
        serverPort,
        clientQuery(DHCPMessageType.DHCPDISCOVER, "02:00:00:00:0a:01"),
        3000,
      );
      assert.ok(offer !== null, `no OFFER from the installed server:\n${out}`);
      assert.equal(offer.getType(), DHCPMessageType.DHCPOFFER);
      assert.match(offer.yiaddr, /^198\.51\.100\.\d+$/);
    } finally {
      relay.close();
      child.kill("SIGTERM");
    }
    const code =
      child.exitCode ?? (await new Promise<number | null>((r) => child.once("exit", (c) => r(c))));
    assert.equal(code, 0, out);
  },
);
