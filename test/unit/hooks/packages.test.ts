/**
 * Hook libraries installed as npm packages in the hooks directory named by NESTOR_HOOKS_PATH,
 * relative library paths resolved against it, and the hooksApi semver range a library declares.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { callSync, scratchDir, testBed } from "../../helpers/hooks.ts";
import { parseHooksLibraries } from "../../../src/hooks/config.ts";
import { HOOKS_API_VERSION, HOOKS_VERSION } from "../../../src/hooks/version.ts";

/** Writes `files` (path -> text) under dir. */
function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** A hooks directory as `npm install --prefix DIR` leaves it, with two packages. */
function hooksDir(): string {
  const dir = scratchDir();
  write(dir, {
    "package.json": JSON.stringify({ dependencies: { "@acme/nestor-audit": "1.0.0" } }),
    // Scoped, "exports" with an import condition, entry in a subfolder importing its own file.
    "node_modules/@acme/nestor-audit/package.json": JSON.stringify({
      name: "@acme/nestor-audit",
      version: "1.0.0",
      type: "module",
      exports: { ".": { import: "./lib/index.js" } },
    }),
    "node_modules/@acme/nestor-audit/lib/index.js": `
      import { tag } from "./tag.js";
      export const hooksApi = "^1.0.0";
      export function alpha(handle) {
        handle.setArgument("result", handle.getArgument("result") + tag);
        return 0;
      }`,
    "node_modules/@acme/nestor-audit/lib/tag.js": `export const tag = "audit-1";`,
    // Unscoped, "main", Kea-style version().
    "node_modules/nestor-hook-foo/package.json": JSON.stringify({
      name: "nestor-hook-foo",
      type: "module",
      main: "main.mjs",
    }),
    "node_modules/nestor-hook-foo/main.mjs": `
      import { HOOKS_VERSION } from "nestor/hooks";
      export const version = () => HOOKS_VERSION;
      export function alpha(handle) {
        handle.setArgument("result", handle.getArgument("result") + "foo");
        return 0;
      }`,
    "local/relative.mjs": `
      export const hooksApi = ">=1.0.0 <2.0.0";
      export function alpha(handle) {
        handle.setArgument("result", handle.getArgument("result") + "relative");
        return 0;
      }`,
    // Declares an API this server does not provide.
    "node_modules/nestor-hook-future/package.json": JSON.stringify({
      name: "nestor-hook-future",
      type: "module",
      exports: "./index.js",
    }),
    "node_modules/nestor-hook-future/index.js": `export const hooksApi = "^2.0.0";`,
    "node_modules/nestor-hook-nonsense/package.json": JSON.stringify({
      name: "nestor-hook-nonsense",
      type: "module",
      exports: "./index.js",
    }),
    "node_modules/nestor-hook-nonsense/index.js": `export const hooksApi = "version two";`,
  });
  return dir;
}

function withHooksPath<T>(dir: string | undefined, fn: () => T): T {
  const saved = process.env["NESTOR_HOOKS_PATH"];
  if (dir === undefined) delete process.env["NESTOR_HOOKS_PATH"];
  else process.env["NESTOR_HOOKS_PATH"] = dir;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env["NESTOR_HOOKS_PATH"];
    else process.env["NESTOR_HOOKS_PATH"] = saved;
  }
}

test("the API version is a semver string whose Kea integer form is HOOKS_VERSION", () => {
  assert.equal(HOOKS_API_VERSION, "1.0.0");
  assert.equal(HOOKS_VERSION, 10000);
});

test("'library' naming an npm package (scoped or not) loads it from NESTOR_HOOKS_PATH's node_modules", async () => {
  const dir = hooksDir();
  const configs = withHooksPath(dir, () =>
    parseHooksLibraries(
      [{ library: "@acme/nestor-audit" }, { library: "nestor-hook-foo" }],
      "Dhcp4.hooks-libraries",
      join(scratchDir(), "kea-dhcp4.conf"),
    ),
  );
  assert.equal(configs[0]!.path, join(dir, "node_modules/@acme/nestor-audit/lib/index.js"));
  assert.equal(configs[0]!.package, "@acme/nestor-audit");
  assert.equal(configs[1]!.path, join(dir, "node_modules/nestor-hook-foo/main.mjs"));
  const bed = testBed();
  await bed.manager.loadLibraries(configs);
  assert.deepEqual(bed.manager.getLibraryNames(), ["@acme/nestor-audit", "nestor-hook-foo"]);
  assert.equal(callSync(bed, bed.hooks.alpha), "audit-1foo");
  await bed.manager.unloadLibraries();
});

test("an upgraded package (its own files changed on disk) takes effect on reload", async () => {
  const dir = hooksDir();
  const configs = withHooksPath(dir, () =>
    parseHooksLibraries([{ library: "@acme/nestor-audit" }]),
  );
  const bed = testBed();
  await bed.manager.loadLibraries(configs);
  assert.equal(callSync(bed, bed.hooks.alpha), "audit-1");
  write(dir, { "node_modules/@acme/nestor-audit/lib/tag.js": `export const tag = "audit-2";` });
  await bed.manager.reloadLibraries();
  assert.equal(callSync(bed, bed.hooks.alpha), "audit-2");
  await bed.manager.unloadLibraries();
});

test("a relative library path resolves against NESTOR_HOOKS_PATH, not the configuration's directory", async () => {
  const dir = hooksDir();
  const confDir = scratchDir();
  const file = join(confDir, "kea-dhcp4.conf");
  const [withPath] = withHooksPath(dir, () =>
    parseHooksLibraries([{ library: "local/relative.mjs" }], "Dhcp4.hooks-libraries", file),
  );
  assert.equal(withPath!.path, join(dir, "local/relative.mjs"));
  const [without] = withHooksPath(undefined, () =>
    parseHooksLibraries([{ library: "local/relative.mjs" }], "Dhcp4.hooks-libraries", file),
  );
  assert.equal(without!.path, join(confDir, "local/relative.mjs"));
  const bed = testBed();
  await bed.manager.loadLibraries([withPath!]);
  assert.equal(callSync(bed, bed.hooks.alpha), "relative");
  await bed.manager.unloadLibraries();
});

test("a package that is not installed, or NESTOR_HOOKS_PATH unset, is refused naming NESTOR_HOOKS_PATH", () => {
  const dir = hooksDir();
  const file = join(scratchDir(), "kea-dhcp4.conf");
  withHooksPath(dir, () =>
    assert.throws(
      () => parseHooksLibraries([{ library: "@acme/missing" }], "Dhcp4.hooks-libraries", file),
      (e: Error) => {
        assert.equal(
          e.message,
          `${file}: Dhcp4.hooks-libraries[0].library: package '@acme/missing' is not installed ` +
            `in NESTOR_HOOKS_PATH (${dir}/node_modules): ` +
            `npm install --prefix "$NESTOR_HOOKS_PATH" @acme/missing`,
        );
        return true;
      },
    ),
  );
  withHooksPath(undefined, () =>
    assert.throws(
      () => parseHooksLibraries([{ library: "nestor-hook-foo" }], "Dhcp4.hooks-libraries", file),
      /Dhcp4\.hooks-libraries\[0\]\.library: 'nestor-hook-foo' names an npm package.*NESTOR_HOOKS_PATH, which is not set/,
    ),
  );
});

test("a library whose hooksApi range excludes this server's API is refused with both versions", async () => {
  const dir = hooksDir();
  const bed = testBed();
  const [future] = withHooksPath(dir, () =>
    parseHooksLibraries([{ library: "nestor-hook-future" }]),
  );
  await assert.rejects(bed.manager.loadLibraries([future!]), (e: Error) => {
    assert.equal(
      e.message,
      "hooks library nestor-hook-future failed to load: it supports hooks API ^2.0.0, " +
        "this server provides hooks API 1.0.0",
    );
    return true;
  });
  // -t / config-test say the same, without loading.
  assert.deepEqual(await bed.manager.validateLibraries([future!]), [
    "hooks library nestor-hook-future failed to load: it supports hooks API ^2.0.0, " +
      "this server provides hooks API 1.0.0",
  ]);
  const [nonsense] = withHooksPath(dir, () =>
    parseHooksLibraries([{ library: "nestor-hook-nonsense" }]),
  );
  await assert.rejects(
    bed.manager.loadLibraries([nonsense!]),
    /its hooksApi export "version two" is not a semver range/,
  );
  assert.deepEqual(bed.manager.getLibraryNames(), []);
});

test("file paths are never taken for packages", () => {
  const dir = hooksDir();
  withHooksPath(dir, () => {
    const [a, b] = parseHooksLibraries([{ library: "hooks/audit.ts" }, { library: "x.mjs" }]);
    assert.equal(a!.path, join(dir, "hooks/audit.ts"));
    assert.equal(a!.package, undefined);
    assert.equal(b!.path, join(dir, "x.mjs"));
  });
});
