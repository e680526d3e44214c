/**
 * Hook library parameters, Kea 2.2 beside Nestor: the same configuration file, naming Kea's own
 * libdhcp_run_script.so with a set of parameters, given to `kea-dhcpN -t`, to kea-dhcpN starting
 * on it, to `nestor-dhcpN -t` and to nestor-dhcpN starting on it, for DHCPv4 and DHCPv6.
 *
 * - Parity at start: Nestor starts exactly when Kea starts, and refuses exactly what Kea refuses.
 * - Kea's -t does not look at a library's parameters (it accepts them all); Nestor's -t refuses
 *   what run_script's parametersSchema refuses (with file:line:column and the key path), so a
 *   configuration that would not start is found before it is deployed. What a schema cannot tell
 *   (the script does not exist) is found, as in Kea, only at start.
 *
 * bootp, which takes no parameters, ignores any it is given in both (its schema accepts any map).
 *
 * Offline: no interfaces, no sockets opened. Needs kea-dhcp4-server, kea-dhcp6-server and
 * kea-common.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import {
  checkKeaConfig,
  keaPrerequisite,
  requireKeaHookLibrary,
  spawnKeaOffline,
} from "./lib/kea.ts";
import { requirePrerequisites } from "./lib/netns.ts";
import { Dhcp4Server } from "../../src/dhcp4/server.ts";
import { Dhcp6Server } from "../../src/dhcp6/server.ts";
import { LogManager } from "../../src/log/logger.ts";

const cli = (family: 4 | 6) =>
  fileURLToPath(new URL(`../../src/cli/nestor-dhcp${family}.ts`, import.meta.url));

interface Case {
  readonly what: string;
  readonly parameters: string;
  /** What Nestor's -t says: null for "Syntax check OK", else the key path and reason. */
  readonly nestorCheck: RegExp | null;
}

const CASES: Case[] = [
  { what: "good", parameters: `{ "name": "/bin/true", "sync": false }`, nestorCheck: null },
  {
    what: "name missing",
    parameters: `{ "sync": false }`,
    nestorCheck:
      /:8:23: DhcpN\.hooks-libraries\[0\]\.parameters: missing mandatory parameter "name"/,
  },
  {
    what: "name not a string",
    parameters: `{ "name": 12 }`,
    nestorCheck: /:8:33: DhcpN\.hooks-libraries\[0\]\.parameters\.name: must be a string, not 12/,
  },
  {
    what: "sync not a boolean",
    parameters: `{ "name": "/bin/true", "sync": "yes" }`,
    nestorCheck:
      /:8:54: DhcpN\.hooks-libraries\[0\]\.parameters\.sync: must be a boolean \(true or false\), not "yes"/,
  },
  {
    what: "script not found",
    parameters: `{ "name": "/nonexistent/dhcp-event.sh" }`,
    nestorCheck: null,
  },
];

function writeConfig(family: 4 | 6, dir: string, library: string, parameters: string): string {
  const file = join(dir, `kea-dhcp${family}.conf`);
  const subnet =
    family === 4
      ? `"subnet4": [ { "id": 1, "subnet": "198.51.100.0/24" } ], `
      : `"subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64" } ], "data-directory": "${dir}", `;
  writeFileSync(
    file,
    `{
  "Dhcp${family}": {
    "interfaces-config": { "interfaces": [] },
    "lease-database": { "type": "memfile", "persist": false },
    ${subnet}
    "hooks-libraries": [
      { "library": "${library}",
        "parameters": ${parameters} }
    ],
    "loggers": [ { "name": "kea-dhcp${family}", "output_options": [ { "output": "stdout" } ], "severity": "INFO" } ]
  }
}
`,
  );
  return file;
}

/** Starts kea-dhcpN on the file: true once it says DHCPN_STARTED, false when it exits first. */
async function keaStarts(
  family: 4 | 6,
  file: string,
  dir: string,
): Promise<{ started: boolean; output: string }> {
  const kea = spawnKeaOffline(family, file, dir);
  try {
    await kea.waitForOutput(new RegExp(`DHCP${family}_STARTED`), 20_000);
    return { started: true, output: kea.output };
  } catch {
    assert.ok(!kea.running, `kea-dhcp${family} neither started nor exited:\n${kea.output}`);
    return { started: false, output: kea.output };
  } finally {
    await kea.stop();
  }
}

async function nestorStarts(
  family: 4 | 6,
  file: string,
): Promise<{ started: boolean; output: string }> {
  try {
    const options = {
      configFile: file,
      serverPort: 0,
      logs: new LogManager(`nestor-dhcp${family}`),
    };
    const server = await (family === 4 ? Dhcp4Server.start(options) : Dhcp6Server.start(options));
    await server.stop();
    return { started: true, output: "" };
  } catch (e) {
    return { started: false, output: e instanceof Error ? e.message : String(e) };
  }
}

for (const family of [4, 6] as const) {
  test(`v${family}: run_script's parameters: nestor-dhcp${family} starts when kea-dhcp${family} 2.2 starts, and its -t already refuses what the schema refuses`, async () => {
    requirePrerequisites([keaPrerequisite(family)]);
    const library = requireKeaHookLibrary("libdhcp_run_script.so", "kea-common");
    const dirs: string[] = [];
    try {
      for (const c of CASES) {
        const dir = mkdtempSync(join(tmpdir(), "nestor-hook-params-kea-"));
        dirs.push(dir);
        const file = writeConfig(family, dir, library, c.parameters);

        // Kea 2.2: -t accepts every one of them; the start refuses the bad ones.
        const keaCheck = checkKeaConfig(family, file, dir);
        assert.ok(keaCheck.ok, `${c.what}: kea-dhcp${family} -t refused:\n${keaCheck.output}`);
        const kea = await keaStarts(family, file, dir);

        // Nestor: the same decision at start.
        const nestor = await nestorStarts(family, file);
        assert.equal(
          nestor.started,
          kea.started,
          `${c.what}: Kea ${kea.started ? "started" : "refused"}:\n${kea.output}\n` +
            `Nestor ${nestor.started ? "started" : "refused"}: ${nestor.output}`,
        );

        // Nestor's -t: the schema's verdict, with the position in the file.
        const check = spawnSync(process.execPath, [cli(family), "-t", file], { encoding: "utf8" });
        if (c.nestorCheck === null) {
          assert.equal(check.status, 0, `${c.what}: ${check.stderr}`);
          assert.match(check.stdout, /Syntax check OK/);
        } else {
          assert.equal(check.status, 1, `${c.what}: ${check.stdout}`);
          assert.ok(!kea.started, `${c.what}: Nestor's -t refuses what Kea starts with`);
          assert.match(check.stderr, new RegExp(`^Syntax check failed with: ${file}`));
          assert.match(
            check.stderr,
            new RegExp(c.nestorCheck.source.replace("DhcpN", `Dhcp${family}`)),
            c.what,
          );
        }
      }
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("v4: bootp ignores parameters in Kea 2.2 and in Nestor: its schema accepts any map, both start", async () => {
  requirePrerequisites([keaPrerequisite(4)]);
  const library = requireKeaHookLibrary("libdhcp_bootp.so", "kea-common");
  const dirs: string[] = [];
  try {
    for (const parameters of [`{ }`, `{ "anything": 1, "nested": { "x": [ true ] } }`]) {
      const dir = mkdtempSync(join(tmpdir(), "nestor-hook-params-kea-"));
      dirs.push(dir);
      const file = writeConfig(4, dir, library, parameters);
      const keaCheck = checkKeaConfig(4, file, dir);
      assert.ok(keaCheck.ok, `${parameters}: kea-dhcp4 -t refused:\n${keaCheck.output}`);
      const kea = await keaStarts(4, file, dir);
      assert.ok(kea.started, `${parameters}: kea-dhcp4 refused:\n${kea.output}`);
      const nestor = await nestorStarts(4, file);
      assert.ok(nestor.started, `${parameters}: nestor-dhcp4 refused: ${nestor.output}`);
      const check = spawnSync(process.execPath, [cli(4), "-t", file], { encoding: "utf8" });
      assert.equal(check.status, 0, check.stderr);
      assert.match(check.stdout, /Syntax check OK/);
    }
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
});
