/**
 * Configurations to refuse, nestor-dhcpN against Kea 2.2 (Debian's kea-dhcp4 / kea-dhcp6): the
 * same file given to `-t` and to `-c` of both.
 *
 * - What Kea 2.2 refuses (a global rapid-commit in Dhcp6, an interface the machine does not
 *   have), Nestor refuses too, in -t as at start, exiting 1 and logging Kea's message IDs at
 *   ERROR (every ID Kea logs for it, DHCPn_CONFIG_LOAD_FAIL and DHCPn_INIT_FAIL at start).
 * - What Kea 2.2 accepts but is an operator's mistake (a subnet prefix with host bits set, a
 *   rebind-timer or a preferred-lifetime beyond the valid-lifetime, hex option data of odd
 *   length, a lease file or a control socket in a directory that does not exist), Nestor refuses
 *   with file:line:column, key path and reason: a deliberate difference, shown here.
 *
 * No network: `-t` only reads, and the configurations started have no interfaces or fail before
 * opening any. Needs kea-dhcp4 and kea-dhcp6 (Debian: kea-dhcp4-server, kea-dhcp6-server).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { linesOf, loggedIds, OfflineServer, runServer } from "./lib/contracts.ts";
import { keaPrerequisite, type Family } from "./lib/kea.ts";
import { requirePrerequisites } from "./lib/netns.ts";

requirePrerequisites([keaPrerequisite(4), keaPrerequisite(6)]);

const dir = mkdtempSync(join(tmpdir(), "nestor-refusals-kea-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let count = 0;
/** A configuration file with one subnet, no interfaces and no lease file, plus `body`. */
function configFile(family: Family, body: Record<string, unknown>): string {
  const file = join(dir, `refusal-${++count}.json`);
  const base =
    family === 4
      ? {
          subnet4: [
            {
              id: 1,
              subnet: "198.51.100.0/24",
              pools: [{ pool: "198.51.100.10 - 198.51.100.20" }],
            },
          ],
        }
      : {
          subnet6: [
            {
              id: 1,
              subnet: "2001:db8:1::/64",
              pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::20" }],
            },
          ],
        };
  const config = {
    [`Dhcp${family}`]: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", persist: false },
      ...base,
      ...body,
      loggers: [
        { name: `kea-dhcp${family}`, severity: "INFO", output_options: [{ output: "stdout" }] },
      ],
    },
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

const BOTH_REFUSE: [string, Family, Record<string, unknown>, RegExp][] = [
  [
    "a rapid-commit at the global level of Dhcp6",
    6,
    { "rapid-commit": true },
    /Dhcp6\.rapid-commit: rapid-commit is not a global parameter in Kea 2\.2/,
  ],
  [
    "an interface the machine does not have",
    4,
    { "interfaces-config": { interfaces: ["nestor-none0"] } },
    /Dhcp4\.interfaces-config\.interfaces\[0\]: interface 'nestor-none0' does not exist/,
  ],
  [
    "an IPv6 interface the machine does not have",
    6,
    { "interfaces-config": { interfaces: ["nestor-none0"] } },
    /Dhcp6\.interfaces-config\.interfaces\[0\]: interface 'nestor-none0' does not exist/,
  ],
];

for (const [what, family, body, reason] of BOTH_REFUSE) {
  test(`Kea 2.2 and Nestor both refuse ${what}, in -t and at start, under Kea's IDs`, () => {
    const file = configFile(family, body);
    const p = `DHCP${family}`;
    const keaCheck = runServer("kea", family, "-t", file, dir);
    const nestorCheck = runServer("nestor", family, "-t", file, dir);
    assert.notEqual(keaCheck.status, 0, `Kea -t accepted it:\n${keaCheck.output}`);
    assert.equal(nestorCheck.status, 1, nestorCheck.output);
    assert.match(nestorCheck.output, new RegExp(`${file}:\\d+:\\d+: `));
    assert.match(nestorCheck.output, reason);

    const kea = runServer("kea", family, "-c", file, dir);
    const nestor = runServer("nestor", family, "-c", file, dir);
    assert.notEqual(kea.status, 0, kea.output);
    assert.equal(nestor.status, 1, nestor.output);
    assert.match(nestor.output, reason);
    // Every ID Kea logs at ERROR for this refusal, Nestor logs at ERROR too.
    const keaErrors = new Set(loggedIds(kea.output, "ERROR"));
    const nestorErrors = new Set(loggedIds(nestor.output, "ERROR"));
    assert.ok(keaErrors.has(`${p}_INIT_FAIL`), kea.output);
    for (const id of keaErrors) {
      assert.ok(nestorErrors.has(id), `Kea logged ${id}, Nestor did not:\n${nestor.output}`);
    }
    // The values a log alert reads: the file name in DHCPn_CONFIG_LOAD_FAIL, as Kea's.
    const keaLoad = linesOf(kea.output, `${p}_CONFIG_LOAD_FAIL`)[0] ?? "";
    const nestorLoad = linesOf(nestor.output, `${p}_CONFIG_LOAD_FAIL`)[0] ?? "";
    assert.ok(keaLoad.includes(`using file: ${file}, reason: `), keaLoad);
    assert.ok(nestorLoad.includes(`using file: ${file}, reason: `), nestorLoad);
    if (keaErrors.has(`${p}_PARSER_FAIL`)) {
      const element = (l: string) => /element (\S+?):? /.exec(l)?.[1];
      assert.equal(
        element(linesOf(nestor.output, `${p}_PARSER_FAIL`)[0] ?? ""),
        element(linesOf(kea.output, `${p}_PARSER_FAIL`)[0] ?? ""),
        "the same configuration element named",
      );
    }
  });
}

const NESTOR_REFUSES: [string, Family, Record<string, unknown>, string, RegExp][] = [
  [
    "a v4 subnet prefix with host bits set",
    4,
    { subnet4: [{ id: 1, subnet: "198.51.100.7/24" }] },
    "Dhcp4.subnet4[0].subnet",
    /bits set beyond its \/24 prefix \(did you mean 198\.51\.100\.0\/24\?\)/,
  ],
  [
    "a v6 subnet prefix with host bits set",
    6,
    { subnet6: [{ id: 1, subnet: "2001:db8:1::5/64" }] },
    "Dhcp6.subnet6[0].subnet",
    /bits set beyond its \/64 prefix \(did you mean 2001:db8:1::\/64\?\)/,
  ],
  [
    "a rebind-timer greater than the valid-lifetime",
    4,
    { "valid-lifetime": 600, "renew-timer": 300, "rebind-timer": 900 },
    "Dhcp4.rebind-timer",
    /rebind-timer \(900\) is greater than the value of valid-lifetime \(600\)/,
  ],
  [
    "a v6 rebind-timer greater than a subnet's valid-lifetime",
    6,
    {
      "rebind-timer": 900,
      subnet6: [{ id: 1, subnet: "2001:db8:1::/64", "valid-lifetime": 600 }],
    },
    "Dhcp6.subnet6[0].valid-lifetime",
    /rebind-timer \(900\) is greater than the value of valid-lifetime \(600\)/,
  ],
  [
    "a preferred-lifetime greater than the valid-lifetime",
    6,
    { "preferred-lifetime": 5000, "valid-lifetime": 4000 },
    "Dhcp6.preferred-lifetime",
    /preferred-lifetime \(5000\) is greater than the value of valid-lifetime \(4000\)/,
  ],
  [
    "hex option data of odd length",
    4,
    { "option-data": [{ code: 222, space: "dhcp4", "csv-format": false, data: "abc" }] },
    "Dhcp4.option-data[0].data",
    /odd number of digits \(3\)/,
  ],
  [
    "a lease file in a directory that does not exist",
    4,
    { "lease-database": { type: "memfile", name: "no-such-dir/leases4.csv" } },
    "Dhcp4.lease-database.name",
    /the directory of the lease file, .*no-such-dir, does not exist/,
  ],
  [
    "a control socket in a directory that does not exist",
    6,
    { "control-socket": { "socket-type": "unix", "socket-name": "no-such-dir/kea6.sock" } },
    "Dhcp6.control-socket.socket-name",
    /the directory of the control socket, .*no-such-dir, does not exist/,
  ],
];

for (const [what, family, body, key, reason] of NESTOR_REFUSES) {
  test(`Kea 2.2 accepts ${what}; Nestor refuses it with file, key and reason (deliberate)`, () => {
    const file = configFile(family, body);
    const kea = runServer("kea", family, "-t", file, dir);
    assert.equal(kea.status, 0, `Kea -t refused it:\n${kea.output}`);
    const nestor = runServer("nestor", family, "-t", file, dir);
    assert.equal(nestor.status, 1, nestor.output);
    const escaped = key.replace(/[.[\]]/g, "\\$&");
    assert.match(nestor.output, new RegExp(`${file}:\\d+:\\d+: ${escaped}: `));
    assert.match(nestor.output, reason);
    assert.match(
      nestor.output,
      new RegExp(
        `ERROR \\[nestor-dhcp${family}\\.dhcp${family}/\\d+\\] DHCP${family}_PARSER_FAIL `,
      ),
    );
    const started = runServer("nestor", family, "-c", file, dir);
    assert.equal(started.status, 1, started.output);
    assert.deepEqual(
      loggedIds(started.output, "ERROR").filter((id) => /_(CONFIG_LOAD|INIT)_FAIL$/.test(id)),
      [`DHCP${family}_CONFIG_LOAD_FAIL`, `DHCP${family}_INIT_FAIL`],
    );
  });
}

test("config-test and config-set of an interface the machine does not have: both refuse, the running configuration stays", async () => {
  const got: Partial<Record<"kea" | "nestor", unknown>> = {};
  for (const who of ["kea", "nestor"] as const) {
    const d = join(dir, `set-${who}`);
    mkdirSync(d);
    const socket = join(d, `${who}.sock`);
    const file = join(d, "running.json");
    const body = {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", persist: false },
      "control-socket": { "socket-type": "unix", "socket-name": socket },
      subnet4: [{ id: 1, subnet: "198.51.100.0/24" }],
    };
    writeFileSync(file, JSON.stringify({ Dhcp4: body }));
    const server = await OfflineServer.start(who, 4, file, socket, d);
    try {
      const bad = { Dhcp4: { ...body, "interfaces-config": { interfaces: ["nestor-none0"] } } };
      const answers = [];
      for (const command of ["config-test", "config-set"]) {
        const a = await server.command({ command, arguments: bad });
        answers.push([command, a.result, /nestor-none0/.test(a.text ?? "")]);
      }
      const running = await server.command({ command: "config-get" });
      const args = running.arguments as {
        Dhcp4: { "interfaces-config": { interfaces: string[] } };
      };
      got[who] = { answers, interfaces: args.Dhcp4["interfaces-config"].interfaces };
    } finally {
      await server.stop();
    }
  }
  assert.deepEqual(got.kea, {
    answers: [
      ["config-test", 1, true],
      ["config-set", 1, true],
    ],
    interfaces: [],
  });
  assert.deepEqual(got.nestor, got.kea);
});
