/**
 * A library's parameters are checked against its parametersSchema where the server checks a
 * configuration: -t (before, bad run_script parameters passed "Syntax check OK" and only the
 * start failed), config-test, config-set and start, with Kea-style positions
 * (`file:line:column: Dhcp4.hooks-libraries[0].parameters.sync: reason`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { body4, httpCommand, startBed } from "../control/helpers.ts";
import { Dhcp4Server } from "../../../src/dhcp4/server.ts";
import { LogManager } from "../../../src/log/logger.ts";

const CLI = fileURLToPath(new URL("../../../src/cli/nestor-dhcp4.ts", import.meta.url));
const RUN_SCRIPT = "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_run_script.so";

/** A configuration whose run_script parameters are `parameters` (written on one line). */
function writeConfig(parameters: string): string {
  const dir = mkdtempSync(join(tmpdir(), "nestor-hook-params-"));
  const file = join(dir, "kea-dhcp4.conf");
  writeFileSync(
    file,
    `{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [] },
    "lease-database": { "type": "memfile", "persist": false },
    "subnet4": [ { "id": 1, "subnet": "198.51.100.0/24" } ],
    "hooks-libraries": [
      { "library": "${RUN_SCRIPT}",
        "parameters": ${parameters} }
    ],
    "loggers": [ { "name": "kea-dhcp4", "severity": "FATAL" } ]
  }
}
`,
  );
  return file;
}

test("-t refuses run_script parameters its schema refuses, with file:line:column and the key path", () => {
  const file = writeConfig(`{ "name": "/bin/true", "sync": "yes" }`);
  const r = spawnSync(process.execPath, [CLI, "-t", file], { encoding: "utf8" });
  assert.equal(r.status, 1, r.stdout);
  // Line 8, the column where "yes" starts.
  const column = `        "parameters": { "name": "/bin/true", "sync": `.length + 1;
  assert.equal(
    r.stderr,
    `Syntax check failed with: ${file}:8:${column}: Dhcp4.hooks-libraries[0].parameters.sync: ` +
      `must be a boolean (true or false), not "yes"\n`,
  );
  const missing = writeConfig(`{ "sync": true }`);
  const m = spawnSync(process.execPath, [CLI, "-t", missing], { encoding: "utf8" });
  assert.equal(m.status, 1);
  assert.match(
    m.stderr,
    /kea-dhcp4\.conf:8:23: Dhcp4\.hooks-libraries\[0\]\.parameters: missing mandatory parameter "name"/,
  );
  const good = writeConfig(`{ "name": "/bin/true", "sync": false }`);
  const ok = spawnSync(process.execPath, [CLI, "-t", good], { encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /Syntax check OK/);
});

test("start refuses the same parameters with the same message", async () => {
  const file = writeConfig(`{ "name": "/bin/true", "timeout": 0 }`);
  await assert.rejects(
    Dhcp4Server.start({ configFile: file, serverPort: 0, logs: new LogManager("nestor-dhcp4") }),
    (e: Error) => {
      assert.match(
        e.message,
        /kea-dhcp4\.conf:8:\d+: Dhcp4\.hooks-libraries\[0\]\.parameters\.timeout: 0 must be >= 1/,
      );
      return true;
    },
  );
});

test("config-test and config-set refuse them too, and the running configuration stays", async () => {
  const bed = await startBed();
  try {
    const body = body4({
      "valid-lifetime": 100,
      "hooks-libraries": [{ library: RUN_SCRIPT, parameters: { sync: "yes" } }],
    });
    for (const command of ["config-test", "config-set"]) {
      const a = await httpCommand(bed.httpPort, { command, arguments: { Dhcp4: body } });
      assert.equal(a.result, 1, a.text);
      assert.match(
        a.text!,
        /<config-set>:\d+:\d+: Dhcp4\.hooks-libraries\[0\]\.parameters\.sync: must be a boolean \(true or false\), not "yes"/,
      );
    }
    assert.equal(bed.server.configuration["valid-lifetime"], 4000);
  } finally {
    await bed.close();
  }
});
