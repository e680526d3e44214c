/**
 * The built servers (dist/cli/*.js, what an installed Nestor runs) register the product with the
 * hooks framework: a library outside the project imports nestor/dhcp, nestor/dhcp4 and
 * nestor/dhcp6, and Kea's libdhcp_run_script.so loads the compiled dist/libraries/run_script,
 * both for -t and for a running server.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const cli = (family: 4 | 6) =>
  fileURLToPath(new URL(`../../../dist/cli/nestor-dhcp${family}.js`, import.meta.url));

const LIBRARY = `import { HOOKS_VERSION } from "nestor/hooks";
import { Pkt4 } from "nestor/dhcp";
import { Lease4 } from "nestor/dhcp4";
import { Lease6 } from "nestor/dhcp6";
import { writeFileSync } from "node:fs";
export const version = () => HOOKS_VERSION;
export function load(handle) {
  writeFileSync(handle.getParameter("marker"), [Pkt4, Lease4, Lease6].map((c) => c.name).join(" "));
  return 0;
}
`;

function setup(family: 4 | 6, extraLibrary?: string) {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dist-hooks-"));
  writeFileSync(join(dir, "lib.mjs"), LIBRARY);
  const marker = join(dir, "loaded");
  const libraries: object[] = [
    { library: join(dir, "lib.mjs"), parameters: { marker } },
    { library: "/usr/lib/kea/hooks/libdhcp_run_script.so", parameters: { name: "/bin/true" } },
  ];
  if (extraLibrary !== undefined) libraries.push({ library: extraLibrary });
  const body =
    family === 4
      ? { subnet4: [{ id: 1, subnet: "198.51.100.0/24" }] }
      : { subnet6: [{ id: 1, subnet: "2001:db8::/64" }], "data-directory": dir };
  const file = join(dir, `kea-dhcp${family}.conf`);
  writeFileSync(
    file,
    JSON.stringify({
      [`Dhcp${family}`]: {
        "interfaces-config": { interfaces: [] },
        "lease-database": { type: "memfile", persist: false },
        "hooks-libraries": libraries,
        loggers: [{ name: `kea-dhcp${family}`, severity: "FATAL" }],
        ...body,
      },
    }),
  );
  return { dir, file, marker };
}

for (const family of [4, 6] as const) {
  test(`dist nestor-dhcp${family} -t imports a library using nestor/dhcp${family} and Kea's run_script`, () => {
    assert.ok(existsSync(cli(family)), "dist/ is missing: run npm run build");
    const { file } = setup(family);
    const r = spawnSync(process.execPath, [cli(family), "-t", file], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Syntax check OK/);

    const bad = setup(family, "/usr/lib/kea/hooks/libdhcp_ha.so");
    const refused = spawnSync(process.execPath, [cli(family), "-t", bad.file], {
      encoding: "utf8",
    });
    assert.equal(refused.status, 1);
    assert.match(
      refused.stderr,
      /'\/usr\/lib\/kea\/hooks\/libdhcp_ha\.so' is a native \(C\+\+\) hook library.*Nestor ships its own versions of libdhcp_run_script\.so, libdhcp_bootp\.so, libdhcp_user_chk\.so, libdhcp_lease_cmds\.so, libdhcp_stat_cmds\.so, libdhcp_flex_option\.so/,
    );
  });

  test(`dist nestor-dhcp${family} starts with the library and Kea's run_script loaded`, async () => {
    const { file, marker } = setup(family);
    const port = family === 4 ? ["-p", "10967", "-P", "10968"] : ["-p", "10547", "-P", "10546"];
    const child = spawn(process.execPath, [cli(family), "-c", file, ...port], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
    const started = await new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 20_000);
      const check = () => {
        if (/serving 1 subnet/.test(out)) {
          clearTimeout(timer);
          done(true);
        }
      };
      child.stdout.on("data", check);
      void exited.then(() => {
        clearTimeout(timer);
        check();
        done(false);
      });
    });
    try {
      assert.ok(started, out);
      assert.equal(readFileSync(marker, "utf8"), "Pkt4 Lease4 Lease6");
    } finally {
      child.kill("SIGTERM");
      await exited;
    }
  });
}
