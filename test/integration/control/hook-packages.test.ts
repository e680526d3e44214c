/**
 * A server started with NESTOR_HOOKS_PATH takes, through config-set, a library named as an npm
 * package installed there (or a path relative to it): the security policy allows code from the
 * hooks directory, the package is resolved in its node_modules, its parametersSchema is checked.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { body4, httpCommand, startBed } from "./helpers.ts";

function hooksDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "nestor-hooks-path-"));
  const pkg = join(dir, "node_modules/@acme/nestor-audit");
  mkdirSync(join(pkg, "lib"), { recursive: true });
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({ name: "@acme/nestor-audit", type: "module", exports: "./lib/index.js" }),
  );
  writeFileSync(
    join(pkg, "lib/index.js"),
    `export const hooksApi = "^1.0.0";
     export const parametersSchema = {
       type: "object",
       properties: { tag: { type: "string" } },
       required: ["tag"],
       additionalProperties: false,
     };
     export function load(handle) {
       (globalThis.packageLoads ??= []).push(handle.getParameter("tag"));
     }`,
  );
  mkdirSync(join(dir, "local"));
  writeFileSync(
    join(dir, "local/relative.mjs"),
    `export const hooksApi = "1.x";
     export function load() { (globalThis.packageLoads ??= []).push("relative"); }`,
  );
  return dir;
}

const loads = () => (globalThis as { packageLoads?: string[] }).packageLoads ?? [];

test("config-set loads a package from NESTOR_HOOKS_PATH and a path relative to it; config-test checks its schema", async () => {
  process.env["NESTOR_HOOKS_PATH"] = hooksDir();
  const bed = await startBed();
  try {
    const refused = await httpCommand(bed.httpPort, {
      command: "config-test",
      arguments: { Dhcp4: body4({ "hooks-libraries": [{ library: "@acme/nestor-audit" }] }) },
    });
    assert.equal(refused.result, 1);
    assert.match(
      refused.text!,
      /<config-set>:\d+:\d+: Dhcp4\.hooks-libraries\[0\]\.parameters: missing mandatory parameter "tag"/,
    );
    const set = await httpCommand(bed.httpPort, {
      command: "config-set",
      arguments: {
        Dhcp4: body4({
          "valid-lifetime": 100,
          "hooks-libraries": [
            { library: "@acme/nestor-audit", parameters: { tag: "from-config-set" } },
            { library: "local/relative.mjs" },
          ],
        }),
      },
    });
    assert.equal(set.result, 0, set.text);
    assert.deepEqual(loads(), ["from-config-set", "relative"]);
    assert.equal(bed.server.configuration["valid-lifetime"], 100);
    const list = await httpCommand(bed.httpPort, {
      command: "config-test",
      arguments: { Dhcp4: body4({ "hooks-libraries": [{ library: "@acme/not-installed" }] }) },
    });
    assert.equal(list.result, 1);
    assert.match(
      list.text!,
      /package '@acme\/not-installed' is not installed in NESTOR_HOOKS_PATH/,
    );
  } finally {
    await bed.close();
    delete process.env["NESTOR_HOOKS_PATH"];
  }
});
