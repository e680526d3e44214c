import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkDeps, formatViolation } from "../../scripts/check-deps.ts";

const PACKAGE_JSON = JSON.stringify({
  name: "nestor",
  exports: {
    "./hooks": "./dist/hooks/index.js",
    "./dhcp": "./dist/dhcp/index.js",
    "./dhcp4": "./dist/dhcp4/public.js",
    "./dhcp6": "./dist/dhcp6/public.js",
  },
  dependencies: { pg: "^8.0.0" },
});

/** A small tree that follows every rule. */
const CLEAN: Record<string, string> = {
  "package.json": PACKAGE_JSON,
  "src/util/errors.ts": `export class NestorError extends Error {}\n`,
  "src/log/logger.ts": `import { NestorError } from "../util/errors.ts";\nexport const e = NestorError;\n`,
  "src/hooks/index.ts": `import type { NestorError } from "../util/errors.ts";\nexport type E = NestorError;\n`,
  "src/dhcp/constants.ts": `import "../hooks/index.ts";\n`,
  "src/dhcp/pkt.ts": `export class Pkt {}\n`,
  "src/dhcp/pkt4.ts": `import { Pkt } from "./pkt.ts";\nexport class Pkt4 extends Pkt {}\n`,
  "src/dhcp/pkt6.ts": `export { Pkt } from "./pkt.ts";\n`,
  "src/dhcp/index.ts": `export * from "./pkt4.ts";\nexport * from "./pkt6.ts";\n`,
  "src/dhcpsrv/subnet4.ts": `import type { Pkt4 } from "../dhcp/pkt4.ts";\nexport type S = Pkt4;\n`,
  "src/dhcpsrv/subnet6.ts": `import type { Pkt } from "../dhcp/pkt6.ts";\nexport type S = Pkt;\n`,
  "src/dhcp4/server.ts": `import "../dhcpsrv/subnet4.ts";\nimport "node:fs";\n`,
  "src/dhcp4/public.ts": `export * from "./server.ts";\n`,
  "src/dhcp6/server.ts": `import "../dhcpsrv/subnet6.ts";\nexport const load = () => import("../dhcp/pkt.ts");\n`,
  "src/dhcp6/public.ts": `export * from "./server.ts";\n`,
  "src/control/commands.ts": `import type { Pkt } from "../dhcp/pkt.ts";\nexport type P = Pkt;\n`,
  "src/cli/main.ts": `import "../dhcp4/server.ts";\nimport "../dhcp6/server.ts";\nimport "../control/commands.ts";\n`,
  "hooks/lib/index.ts": [
    `import { readFileSync } from "node:fs";`,
    `import type { Pkt4 } from "nestor/dhcp4";`,
    `import type { Pkt } from "nestor/dhcp6";`,
    `import pg from "pg";`,
    `import { helper } from "./helper.ts";`,
    `export type T = [Pkt4, Pkt, typeof readFileSync, typeof pg, typeof helper];`,
    ``,
  ].join("\n"),
  "hooks/lib/helper.ts": `import type { HookType } from "nestor/hooks";\nexport const helper = (h: HookType) => h;\n`,
  // A library's tests are not shipped and may reach into src/.
  "hooks/lib/test/lib.test.ts": `import "../../../src/dhcp4/server.ts";\n`,
};

function writeTree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), "nestor-check-deps-"));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

function check(files: Record<string, string>): string[] {
  const root = writeTree(files);
  try {
    return checkDeps(root).violations.map(formatViolation);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test("a tree that follows the architecture passes, and every import is counted", () => {
  const root = writeTree(CLEAN);
  try {
    const result = checkDeps(root);
    assert.deepEqual(result.violations.map(formatViolation), []);
    assert.equal(result.files, Object.keys(CLEAN).length - 2); // package.json, the library test
    assert.equal(result.imports, 25);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("rule 1: hooks importing dhcp breaks the layers", () => {
  assert.deepEqual(
    check({ ...CLEAN, "src/hooks/index.ts": `import type { Pkt } from "../dhcp/pkt.ts";\n` }),
    ["src/hooks/index.ts:1: layer hooks must not import dhcp: imports src/dhcp/pkt.ts"],
  );
});

test("rule 1: nobody but cli imports cli, and dhcp imports no server", () => {
  assert.deepEqual(
    check({
      ...CLEAN,
      "src/control/restart.ts": `\nimport("../cli/main.ts");\n`,
      "src/dhcp/extra.ts": `export {};\nexport type C = typeof import("../control/commands.ts");\n`,
    }),
    [
      "src/control/restart.ts:2: layer control must not import cli: imports src/cli/main.ts",
      "src/dhcp/extra.ts:2: layer dhcp must not import control: imports src/control/commands.ts",
    ],
  );
});

test("rule 2: dhcp4 never imports dhcp6", () => {
  assert.deepEqual(
    check({ ...CLEAN, "src/dhcp4/public.ts": `export * from "../dhcp6/server.ts";\n` }),
    ["src/dhcp4/public.ts:1: dhcp4 and dhcp6 never import each other: imports src/dhcp6/server.ts"],
  );
});

test("rule 3: a *6 file never imports a *4 file, nor a *4 file a *6 file", () => {
  assert.deepEqual(
    check({
      ...CLEAN,
      "src/dhcpsrv/subnet6.ts": `import type { S } from "./subnet4.ts";\nexport type T = S;\n`,
      "src/dhcp4/server.ts": `import "../dhcpsrv/subnet4.ts";\nimport "../dhcp/pkt6.ts";\n`,
    }),
    [
      "src/dhcp4/server.ts:2: a v4 file must not import a v6 file: imports src/dhcp/pkt6.ts",
      "src/dhcpsrv/subnet6.ts:1: a v6 file must not import a v4 file: imports src/dhcpsrv/subnet4.ts",
    ],
  );
});

test("rule 4: an import cycle is reported once, type-only imports included", () => {
  assert.deepEqual(
    check({
      ...CLEAN,
      "src/dhcp/pkt.ts": `import type { Pkt4 } from "./pkt4.ts";\nexport class Pkt {}\nexport type P = Pkt4;\n`,
    }),
    [
      "src/dhcp/pkt.ts:1: import cycle src/dhcp/pkt.ts -> src/dhcp/pkt4.ts -> src/dhcp/pkt.ts: imports src/dhcp/pkt4.ts",
    ],
  );
});

test("rule 5: a shipped library imports neither src/, nor a package it does not depend on, nor a sibling", () => {
  assert.deepEqual(
    check({
      ...CLEAN,
      "hooks/lib/helper.ts": [
        `import type { Pkt } from "../../src/dhcp/pkt.ts";`,
        `import ts from "typescript";`,
        `import { x } from "../other/index.ts";`,
        `import { y } from "nestor/dhcpsrv";`,
        `export const helper = [ts, x, y] as unknown as Pkt;`,
        ``,
      ].join("\n"),
      "hooks/other/index.ts": `export const x = 1;\n`,
    }),
    [
      "hooks/lib/helper.ts:1: a shipped library imports only node:*, the nestor/... exports, package.json dependencies and its own files: imports src/dhcp/pkt.ts",
      "hooks/lib/helper.ts:2: a shipped library imports only node:*, the nestor/... exports, package.json dependencies and its own files: imports typescript",
      "hooks/lib/helper.ts:3: a shipped library imports only node:*, the nestor/... exports, package.json dependencies and its own files: imports hooks/other/index.ts",
      "hooks/lib/helper.ts:4: a shipped library imports only node:*, the nestor/... exports, package.json dependencies and its own files: imports nestor/dhcpsrv",
    ],
  );
});
