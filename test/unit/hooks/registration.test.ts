/**
 * The hooks framework knows nothing of the product built on it: Kea's library names and the
 * public entries other than nestor/hooks exist only once registered. This file registers by hand
 * (never registerProduct()), and node --test runs it in its own process, so it starts blank.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  parseHooksLibraries,
  registerShippedLibrary,
  shippedLibraries,
} from "../../../src/hooks/config.ts";
import { HooksManager } from "../../../src/hooks/hooks-manager.ts";
import { exposePublicModule, publicModule } from "../../../src/hooks/resolver.ts";
import { ServerHooks } from "../../../src/hooks/server-hooks.ts";
import { LibraryLoadError } from "../../../src/hooks/errors.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { ConfigError } from "../../../src/util/errors.ts";
import { scratchDir, writeLibrary } from "../../helpers/hooks.ts";

function manager(hook: string): { manager: HooksManager; index: number } {
  const serverHooks = new ServerHooks();
  const index = serverHooks.registerHook(hook);
  const logManager = new LogManager("nestor-registration");
  logManager.configure([{ name: "nestor-registration", severity: "NONE", outputs: [() => {}] }]);
  return { manager: new HooksManager({ serverHooks, logManager }), index };
}

test("unregistered, a Kea library name is a refused native library; registered, it loads the replacement", async () => {
  assert.equal(shippedLibraries().size, 0);
  assert.equal(publicModule("nestor/dhcp4"), undefined);
  const entry = {
    library: "/usr/lib/kea/hooks/libdhcp_run_script.so",
    parameters: { name: "/bin/true" },
  };
  assert.throws(
    () => parseHooksLibraries([entry], "Dhcp4.hooks-libraries", "/etc/kea/kea-dhcp4.conf"),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.path, "Dhcp4.hooks-libraries[0].library");
      assert.equal(
        err.reason,
        "'/usr/lib/kea/hooks/libdhcp_run_script.so' is a native (C++) hook library: Nestor " +
          "loads hook libraries written in JavaScript or TypeScript (.js, .mjs, .ts, .mts)",
      );
      return true;
    },
  );

  const dir = scratchDir();
  const replacement = join(dir, "run-script-replacement.ts");
  writeFileSync(
    replacement,
    `import { HOOKS_VERSION, type CalloutHandle, type LibraryHandle } from "nestor/hooks";
     let name = "";
     export const version = (): number => HOOKS_VERSION;
     export function load(h: LibraryHandle): number { name = String(h.getParameter("name")); return 0; }
     export function pkt4_receive(h: CalloutHandle): number { h.setArgument("ran", name); return 0; }`,
  );
  registerShippedLibrary("libdhcp_run_script.so", replacement);
  const [lib, versioned] = parseHooksLibraries([
    entry,
    { library: "/opt/kea/libdhcp_run_script.so.12" },
  ]);
  assert.equal(lib!.path, replacement);
  assert.equal(lib!.shipped, "libdhcp_run_script.so");
  assert.deepEqual(lib!.parameters, { name: "/bin/true" });
  assert.equal(versioned!.path, replacement);
  // Other names stay refused, and the message now lists what is registered.
  assert.throws(
    () => parseHooksLibraries([{ library: "libdhcp_ha.so" }]),
    /native \(C\+\+\) hook library.*Nestor ships its own versions of libdhcp_run_script\.so \(named by Kea's file names\)/,
  );

  const { manager: m, index } = manager("pkt4_receive");
  await m.loadLibraries([lib!]);
  const h = m.createCalloutHandle();
  m.callCallouts(index, h);
  assert.equal(h.getArgument("ran"), "/bin/true");
  await h.release();
  await m.unloadLibraries();
});

test("registerShippedLibrary takes a shared object's file name and an absolute path", () => {
  assert.throws(() => registerShippedLibrary("/usr/lib/libx.so", "/x.ts"), /not the file name/);
  assert.throws(() => registerShippedLibrary("libx.so.1", "/x.ts"), /not the file name/);
  assert.throws(() => registerShippedLibrary("x.ts", "/x.ts"), /not the file name/);
  assert.throws(() => registerShippedLibrary("libx.so", "x.ts"), /absolute path/);
  assert.equal(shippedLibraries().has("libx.so"), false);
});

test("exposePublicModule makes a bare specifier resolve, for a library, to the registered module", async () => {
  const dir = scratchDir();
  const entry = join(dir, "entry.ts");
  writeFileSync(entry, `export const token = Symbol.for("nestor-registration-test");\n`);
  const lib = writeLibrary(
    dir,
    "uses-entry.ts",
    `import { HOOKS_VERSION, type CalloutHandle } from "nestor/hooks";
     import { token } from "nestor/registration-test";
     export const version = (): number => HOOKS_VERSION;
     export function alpha(h: CalloutHandle): number { h.setArgument("token", token); return 0; }`,
  );
  const { manager: before } = manager("alpha");
  await assert.rejects(before.loadLibraries([lib]), (err: unknown) => {
    assert.ok(err instanceof LibraryLoadError);
    assert.match(err.message, /import failed: Cannot find package 'nestor'/);
    return true;
  });

  exposePublicModule("nestor/registration-test", pathToFileURL(entry));
  assert.equal(publicModule("nestor/registration-test"), pathToFileURL(entry).href);
  const { manager: m, index } = manager("alpha");
  await m.loadLibraries([lib]);
  const h = m.createCalloutHandle();
  m.callCallouts(index, h);
  assert.equal(h.getArgument("token"), Symbol.for("nestor-registration-test"));
  await h.release();
  await m.unloadLibraries();
  // nestor/hooks is the framework's own entry: it is built in and cannot be replaced.
  assert.throws(() => exposePublicModule("nestor/hooks", pathToFileURL(entry)), /own entry/);
});
