/**
 * Configurations refused by the command line programs, -t and -c: the exit status, the refusal
 * with file, key and reason, and the log lines under Kea's message IDs at ERROR
 * (DHCPn_PARSER_FAIL naming the element, DHCPn_CONFIG_LOAD_FAIL, DHCPn_INIT_FAIL at start).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CLI = (family: 4 | 6) =>
  fileURLToPath(new URL(`../../../src/cli/nestor-dhcp${family}.ts`, import.meta.url));

const dir = mkdtempSync(join(tmpdir(), "nestor-refusals-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function write(family: 4 | 6, body: Record<string, unknown>): string {
  const file = join(dir, `c${++n}.json`);
  const subnets =
    family === 4
      ? { subnet4: [{ id: 1, subnet: "198.51.100.0/24" }] }
      : { subnet6: [{ id: 1, subnet: "2001:db8:1::/64" }] };
  const config = {
    [`Dhcp${family}`]: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", persist: false },
      ...subnets,
      ...body,
    },
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

function run(family: 4 | 6, flag: "-t" | "-c", file: string) {
  const r = spawnSync(process.execPath, [CLI(family), flag, file], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, NESTOR_PIDFILE_DIR: dir },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const CASES: [string, 4 | 6, Record<string, unknown>, string, RegExp][] = [
  [
    "an interface that does not exist",
    4,
    { "interfaces-config": { interfaces: ["nestor-none0"] } },
    "interfaces-config",
    /Dhcp4\.interfaces-config\.interfaces\[0\]: interface 'nestor-none0' does not exist/,
  ],
  [
    "a lease file in a directory that does not exist",
    4,
    { "lease-database": { type: "memfile", name: "no-such-dir/leases4.csv" } },
    "lease-database",
    /Dhcp4\.lease-database\.name: the directory of the lease file, .*no-such-dir, does not exist/,
  ],
  [
    "a control socket in a directory that does not exist",
    6,
    { "control-socket": { "socket-type": "unix", "socket-name": "no-such-dir/s.sock" } },
    "control-socket",
    /Dhcp6\.control-socket\.socket-name: the directory of the control socket, .*no-such-dir, does not exist/,
  ],
  [
    "a global rapid-commit",
    6,
    { "rapid-commit": true },
    "rapid-commit",
    /Dhcp6\.rapid-commit: rapid-commit is not a global parameter/,
  ],
];

for (const [what, family, body, element, reason] of CASES) {
  test(`-t and -c refuse ${what}, with file, key and reason under DHCP${family}_PARSER_FAIL`, () => {
    const file = write(family, body);
    const p = `DHCP${family}`;
    const checked = run(family, "-t", file);
    assert.equal(checked.status, 1, checked.out);
    assert.match(checked.out, new RegExp(`${file}:\\d+:\\d+: `));
    assert.match(checked.out, reason);
    assert.match(
      checked.out,
      new RegExp(
        `ERROR \\[nestor-dhcp${family}\\.dhcp${family}/\\d+\\] ${p}_PARSER_FAIL the configuration element ${element} was refused`,
      ),
    );
    assert.match(
      checked.out,
      new RegExp(
        `ERROR .* ${p}_CONFIG_LOAD_FAIL configuration error using file: ${file}, reason: `,
      ),
    );
    assert.doesNotMatch(checked.out, /Syntax check OK/);

    const started = run(family, "-c", file);
    assert.equal(started.status, 1, started.out);
    assert.match(started.out, reason);
    assert.match(
      started.out,
      new RegExp(`ERROR .* ${p}_PARSER_FAIL the configuration element ${element} was refused`),
    );
    assert.match(
      started.out,
      new RegExp(`ERROR .* ${p}_INIT_FAIL .*configuration error using file '${file}'`),
    );
  });
}

test("the lease file's directory is not created by a refused start", () => {
  const file = write(4, { "lease-database": { type: "memfile", name: "made-by-nobody/l.csv" } });
  assert.equal(run(4, "-c", file).status, 1);
  assert.equal(existsSync(join(dir, "made-by-nobody")), false);
});

test("a configuration with every directory present passes -t", () => {
  const file = write(4, {
    "interfaces-config": { interfaces: ["lo"] },
    "lease-database": { type: "memfile", name: "leases4.csv" },
    "control-socket": { "socket-type": "unix", "socket-name": "s4.sock" },
  });
  const checked = run(4, "-t", file);
  assert.equal(checked.status, 0, checked.out);
  assert.match(checked.out, /Syntax check OK/);
});
