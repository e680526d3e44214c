/**
 * The documented workflow with npm itself: a library packed as an npm package, installed with
 * `npm install --prefix "$NESTOR_HOOKS_PATH" <tarball>`, configured by its package name, then
 * upgraded the same way and taken by a reload. No registry: the packages are local tarballs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { callSync, testBed } from "../../helpers/hooks.ts";
import { parseHooksLibraries } from "../../../src/hooks/config.ts";

function npm(args: string[], cwd: string): string {
  const r = spawnSync("npm", [...args, "--no-audit", "--no-fund", "--offline"], {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `npm ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Packs @acme/nestor-audit at `version`, whose alpha callout appends `tag`; returns the tarball. */
function pack(work: string, version: string, tag: string): string {
  const src = join(work, `src-${version}`);
  mkdirSync(join(src, "dist"), { recursive: true });
  writeFileSync(
    join(src, "package.json"),
    JSON.stringify({
      name: "@acme/nestor-audit",
      version,
      type: "module",
      exports: { ".": "./dist/index.js" },
      files: ["dist"],
    }),
  );
  writeFileSync(join(src, "dist/tag.js"), `export const tag = ${JSON.stringify(tag)};\n`);
  writeFileSync(
    join(src, "dist/index.js"),
    `import { tag } from "./tag.js";
     export const hooksApi = "^1.0.0";
     export function alpha(handle) {
       handle.setArgument("result", handle.getArgument("result") + tag);
       return 0;
     }
`,
  );
  npm(["pack", "--pack-destination", work], src);
  const tarball = readdirSync(work).find((f) => f.endsWith(`-${version}.tgz`));
  assert.ok(tarball !== undefined, readdirSync(work).join(" "));
  return join(work, tarball);
}

test("npm install --prefix NESTOR_HOOKS_PATH, configure by package name, upgrade with npm, reload", async () => {
  const work = mkdtempSync(join(tmpdir(), "nestor-npm-hooks-"));
  const hooks = join(work, "hooks");
  mkdirSync(hooks);
  const saved = process.env["NESTOR_HOOKS_PATH"];
  process.env["NESTOR_HOOKS_PATH"] = hooks;
  const bed = testBed();
  try {
    npm(["install", "--prefix", hooks, pack(work, "1.0.0", "v1")], work);
    const configs = parseHooksLibraries([{ library: "@acme/nestor-audit" }]);
    assert.equal(configs[0]!.path, join(hooks, "node_modules/@acme/nestor-audit/dist/index.js"));
    await bed.manager.loadLibraries(configs);
    assert.equal(callSync(bed, bed.hooks.alpha), "v1");

    npm(["install", "--prefix", hooks, pack(work, "1.1.0", "v2")], work);
    await bed.manager.reloadLibraries();
    assert.equal(callSync(bed, bed.hooks.alpha), "v2");
  } finally {
    await bed.manager.unloadLibraries();
    if (saved === undefined) delete process.env["NESTOR_HOOKS_PATH"];
    else process.env["NESTOR_HOOKS_PATH"] = saved;
    rmSync(work, { recursive: true, force: true });
  }
});
