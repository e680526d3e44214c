import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseHooksLibraries, shippedLibraries } from "../../../src/hooks/config.ts";
import { registerProduct } from "../../../src/dhcpsrv/runtime/product.ts";
import { ConfigError } from "../../../src/util/errors.ts";

// A Kea configuration names its hook libraries by their shared objects; Nestor loads its own
// version of the ones it ships, with the same parameters, so the configuration runs unmodified.
// The hooks framework knows them once the product has registered them, as a server does.
const HOOKS_DIR = fileURLToPath(new URL("../../../hooks/", import.meta.url));
registerProduct();

test("Kea's shared objects under any directory load Nestor's shipped libraries with their parameters", () => {
  const libs = parseHooksLibraries(
    [
      {
        library: "/opt/kea/lib/kea/hooks/libdhcp_run_script.so",
        parameters: { name: "/etc/kea/script.sh", sync: false },
      },
      { library: "libdhcp_bootp.so" },
      { library: "/usr/local/lib/kea/hooks/libdhcp_user_chk.so.1" },
    ],
    "Dhcp4.hooks-libraries",
    "/etc/kea/kea-dhcp4.conf",
  );
  assert.deepEqual(
    libs.map((l) => [l.library, l.shipped, l.path]),
    [
      [
        "/opt/kea/lib/kea/hooks/libdhcp_run_script.so",
        "libdhcp_run_script.so",
        `${HOOKS_DIR}run_script/index.ts`,
      ],
      ["libdhcp_bootp.so", "libdhcp_bootp.so", `${HOOKS_DIR}bootp/index.ts`],
      [
        "/usr/local/lib/kea/hooks/libdhcp_user_chk.so.1",
        "libdhcp_user_chk.so",
        `${HOOKS_DIR}user_chk/index.ts`,
      ],
    ],
  );
  assert.deepEqual(libs[0]!.parameters, { name: "/etc/kea/script.sh", sync: false });
  assert.deepEqual(
    [...shippedLibraries().keys()],
    [
      "libdhcp_run_script.so",
      "libdhcp_bootp.so",
      "libdhcp_user_chk.so",
      "libdhcp_lease_cmds.so",
      "libdhcp_stat_cmds.so",
      "libdhcp_flex_option.so",
      "libdhcp_flex_id.so",
    ],
  );
});

test("any other native library is refused with the file, the key and what Nestor loads instead", () => {
  for (const library of ["/usr/lib/kea/hooks/libdhcp_ha.so", "libdhcp_ha.so.0.0.0"]) {
    assert.throws(
      () =>
        parseHooksLibraries(
          [{ library: "examples/lib.ts" }, { library }],
          "Dhcp4.hooks-libraries",
          "/etc/kea/kea-dhcp4.conf",
        ),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.path, "Dhcp4.hooks-libraries[1].library");
        assert.equal(err.file, "/etc/kea/kea-dhcp4.conf");
        assert.match(err.reason, /native \(C\+\+\) hook library/);
        assert.match(err.reason, /JavaScript or TypeScript/);
        assert.match(
          err.reason,
          /libdhcp_run_script\.so, libdhcp_bootp\.so, libdhcp_user_chk\.so, libdhcp_lease_cmds\.so, libdhcp_stat_cmds\.so, libdhcp_flex_option\.so/,
        );
        return true;
      },
    );
  }
});

test("a JavaScript or TypeScript library keeps its own path, relative to the configuration file", () => {
  const [lib] = parseHooksLibraries(
    [{ library: "hooks/my_lib.so.ts" }],
    "Dhcp4.hooks-libraries",
    "/etc/nestor/nestor-dhcp4.json",
  );
  assert.equal(lib!.path, "/etc/nestor/hooks/my_lib.so.ts");
  assert.equal(lib!.shipped, undefined);
});

test("from dist/, Kea's names load the compiled libraries in dist/libraries/", async () => {
  // The production server runs dist/ (built by `npm ci` and before `npm test`), where the shipped
  // libraries are compiled JavaScript: Node does not strip types under node_modules.
  const dist = new URL("../../../dist/hooks/index.js", import.meta.url);
  type Api = typeof import("../../../src/hooks/index.ts");
  const api = (await import(dist.href)) as Api;
  const product = new URL("../../../dist/dhcpsrv/runtime/product.js", import.meta.url);
  type Product = typeof import("../../../src/dhcpsrv/runtime/product.ts");
  ((await import(product.href)) as Product).registerProduct();
  const [bootp] = api.parseHooksLibraries([{ library: "/opt/kea/hooks/libdhcp_bootp.so" }]);
  assert.equal(
    bootp!.path,
    fileURLToPath(new URL("../../../dist/libraries/bootp/index.js", import.meta.url)),
  );
  const serverHooks = new api.ServerHooks();
  const receive = serverHooks.registerHook("buffer4_receive");
  const send = serverHooks.registerHook("pkt4_send");
  const logManager = new api.LogManager("nestor-dist");
  logManager.configure([{ name: "nestor-dist", severity: "WARN", outputs: [() => {}] }]);
  const manager = new api.HooksManager({ serverHooks, logManager });
  await manager.loadLibraries([bootp!]);
  assert.equal(manager.calloutsPresent(receive), true);
  assert.equal(manager.calloutsPresent(send), true);
  await manager.unloadLibraries();
});
