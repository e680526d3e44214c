/**
 * The entries of Nestor (the built bins dist/cli/nestor-*.js, and src/cli/node-check.mjs that the
 * npm scripts run) refuse a Node.js older than package.json "engines" with one line and exit 1,
 * before any module of Nestor is loaded; a recent Node.js runs -h/--help and --version.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BINS = ["nestor-dhcp4", "nestor-dhcp6", "nestor-ctl"] as const;
const MINIMUM = [22, 18] as const;

function tooOld(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, "").split(".").map(Number);
  return major < MINIMUM[0] || (major === MINIMUM[0] && minor < MINIMUM[1]);
}

/** A Node.js binary older than Nestor needs (/usr/bin/node first, then PATH), or undefined. */
function oldNode(): { path: string; version: string } | undefined {
  const candidates = ["/usr/bin/node", ...(process.env["PATH"] ?? "").split(delimiter)]
    .map((p) => (p.endsWith("/node") ? p : join(p, "node")))
    .filter((p, i, all) => p !== "node" && all.indexOf(p) === i && existsSync(p));
  for (const path of candidates) {
    const r = spawnSync(path, ["--version"], { encoding: "utf8" });
    const version = r.stdout?.trim() ?? "";
    if (r.status === 0 && /^v\d+\.\d+\.\d+/.test(version) && tooOld(version)) {
      return { path, version };
    }
  }
  return undefined;
}

const old = oldNode();
const skipOld =
  old === undefined
    ? "no Node.js older than 22.18 on this machine (/usr/bin/node or PATH) to run the check with"
    : false;

function run(node: string, args: string[]) {
  return spawnSync(node, args, { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
}

test("package.json engines and the entries agree on the oldest Node.js", () => {
  const engines = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).engines.node;
  assert.equal(engines, `>=${MINIMUM.join(".")}`);
  for (const file of [...BINS.map((b) => `src/cli/${b}.ts`), "src/cli/node-check.mjs"]) {
    const text = readFileSync(join(ROOT, file), "utf8");
    assert.ok(
      text.includes(`major < ${MINIMUM[0]} || (major === ${MINIMUM[0]} && minor < ${MINIMUM[1]})`),
      `${file} checks >= ${MINIMUM.join(".")}`,
    );
    assert.ok(text.includes(`Nestor needs Node.js >= ${MINIMUM.join(".")}`), file);
  }
});

for (const bin of BINS) {
  test(
    `an old Node.js running dist/cli/${bin}.js gets one line and exit code 1`,
    { skip: skipOld },
    () => {
      const r = run(old!.path, [`dist/cli/${bin}.js`, "--version"]);
      assert.equal(r.stderr, `Nestor needs Node.js >= 22.18, this is ${old!.version}\n`);
      assert.equal(r.stdout, "");
      assert.equal(r.status, 1);
    },
  );
}

for (const entry of [
  "src/cli/nestor-dhcp4.ts",
  "src/cli/nestor-dhcp6.ts",
  "src/cli/nestor-ctl.ts",
  "examples/try-dhcp4.ts",
]) {
  test(
    `an old Node.js running ${entry} through src/cli/node-check.mjs (the npm scripts) gets one line and exit code 1`,
    { skip: skipOld },
    () => {
      const r = run(old!.path, ["src/cli/node-check.mjs", entry, "-h"]);
      assert.equal(r.stderr, `Nestor needs Node.js >= 22.18, this is ${old!.version}\n`);
      assert.equal(r.stdout, "");
      assert.equal(r.status, 1);
    },
  );
}

test("the npm scripts that run sources go through src/cli/node-check.mjs, the servers with their commands' Node.js options", () => {
  const scripts: Record<string, string> = JSON.parse(
    readFileSync(join(ROOT, "package.json"), "utf8"),
  ).scripts;
  for (const name of ["start", "start:dhcp6", "try:dhcp4", "try:dhcp6", "ctl"]) {
    assert.match(scripts[name] ?? "", /^node (?:--\S+ )*src\/cli\/node-check\.mjs \S+\.ts\b/, name);
  }
  // npm start runs a server as its installed command does: with its first line's options.
  for (const [name, entry] of [
    ["start", "src/cli/nestor-dhcp4.ts"],
    ["start:dhcp6", "src/cli/nestor-dhcp6.ts"],
  ] as const) {
    const first = readFileSync(join(ROOT, entry), "utf8").split("\n", 1)[0]!;
    const options = /^#!\/usr\/bin\/env -S node (.+)$/.exec(first)?.[1];
    assert.ok(options !== undefined, `${entry} gives Node.js no options: ${first}`);
    assert.ok(
      (scripts[name] ?? "").startsWith(`node ${options} src/cli/node-check.mjs ${entry} `),
      `${name} runs ${entry} without ${options}: ${scripts[name]}`,
    );
  }
});

const SERVER_ENTRIES = [
  ["nestor-dhcp4", "src/cli/nestor-dhcp4.ts"],
  ["nestor-dhcp6", "src/cli/nestor-dhcp6.ts"],
  ["nestor-dhcp4", "dist/cli/nestor-dhcp4.js"],
  ["nestor-dhcp6", "dist/cli/nestor-dhcp6.js"],
] as const;

for (const [name, entry] of SERVER_ENTRIES) {
  test(`${entry} -h and --help print one line per flag and exit 0; --version is -v`, () => {
    for (const flag of ["-h", "--help"]) {
      const r = run(process.execPath, [entry, flag]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, "");
      assert.match(r.stdout, new RegExp(`^Usage: ${name} -c FILE`));
      for (const f of [
        "-c FILE",
        "-t FILE",
        "-p PORT",
        "-P PORT",
        "-d",
        "-v, --version",
        "-V",
        "-h, --help",
      ]) {
        assert.equal(
          r.stdout.split("\n").filter((l) => l.startsWith(`  ${f} `)).length,
          1,
          `one line for ${f}`,
        );
      }
    }
    const v = run(process.execPath, [entry, "-v"]);
    const version = run(process.execPath, [entry, "--version"]);
    assert.equal(v.status, 0);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.equal(version.stdout, v.stdout);
  });
}

test("node-check.mjs on a recent Node.js runs the entry with the entry's own arguments", () => {
  const r = run(process.execPath, [
    "src/cli/node-check.mjs",
    "src/cli/nestor-dhcp6.ts",
    "--version",
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  const bad = run(process.execPath, ["src/cli/node-check.mjs", "src/cli/nestor-dhcp4.ts", "-x"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /Unknown option '-x'/);
  const ctl = run(process.execPath, ["src/cli/node-check.mjs", "src/cli/nestor-ctl.ts", "-h"]);
  assert.equal(ctl.status, 0);
  assert.match(ctl.stdout, /^Usage: nestor-ctl/);
});
