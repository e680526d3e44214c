/**
 * A library's exported parametersSchema: its `parameters` are checked before load() by
 * HooksManager.validateLibraries (which -t, config-test, config-set and start call), with
 * Kea-style messages naming the file, the path inside `parameters` and the reason; and the
 * schemas the shipped libraries export.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { scratchDir, testBed, writeLibrary } from "../../helpers/hooks.ts";
import { parseHooksLibraries } from "../../../src/hooks/config.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";

const SCHEMA_LIBRARY = `
import { HOOKS_VERSION } from "nestor/hooks";
export const version = () => HOOKS_VERSION;
export const parametersSchema = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1 },
    servers: {
      type: "array",
      items: {
        type: "object",
        properties: { port: { type: "integer", minimum: 1, maximum: 65535 } },
        additionalProperties: false,
      },
    },
    mode: { enum: ["fast", "safe"] },
  },
  required: ["name"],
  additionalProperties: false,
};
export function load() {
  (globalThis.schemaLoads ??= []).push("loaded");
  return 0;
}
`;

function schemaLibrary(parameters?: JsonObject) {
  const dir = scratchDir();
  const entry = writeLibrary(dir, "schema.mjs", SCHEMA_LIBRARY);
  const entries = [
    parameters === undefined ? { library: entry.path } : { library: entry.path, parameters },
  ];
  return parseHooksLibraries(entries, "Dhcp4.hooks-libraries", `${dir}/kea-dhcp4.conf`);
}

const loads = () => (globalThis as { schemaLoads?: string[] }).schemaLoads?.length ?? 0;

test("parameters refused by the library's schema: file, key path inside parameters and reason", async () => {
  const bed = testBed();
  const cases: [JsonObject | undefined, string][] = [
    [undefined, 'Dhcp4.hooks-libraries[0].parameters: missing mandatory parameter "name"'],
    [{ name: 12 }, "Dhcp4.hooks-libraries[0].parameters.name: must be a string, not 12"],
    [{ name: "" }, "Dhcp4.hooks-libraries[0].parameters.name: must not be empty"],
    [
      { name: "a", nmae: "b" },
      'Dhcp4.hooks-libraries[0].parameters.nmae: unknown parameter "nmae"',
    ],
    [
      { name: "a", servers: [{ port: 67 }, { port: 70000 }] },
      "Dhcp4.hooks-libraries[0].parameters.servers[1].port: 70000 must be <= 65535",
    ],
    [
      { name: "a", mode: "slow" },
      'Dhcp4.hooks-libraries[0].parameters.mode: must be one of "fast", "safe", not "slow"',
    ],
  ];
  for (const [parameters, expected] of cases) {
    const configs = schemaLibrary(parameters);
    const file = configs[0]!.source!.file!;
    const errors = await bed.manager.validateLibraries(configs);
    assert.deepEqual(errors, [`${file}: ${expected}`], JSON.stringify(parameters));
    // With the server's position callback: file:line:column of the value.
    const located = await bed.manager.validateLibraries(configs, {
      position: (index, path) => `kea.conf:${index + 10}:${path.length + 1}`,
    });
    assert.match(located[0]!, /^kea\.conf:10:\d+: Dhcp4\.hooks-libraries\[0\]\.parameters/);
  }
  assert.deepEqual(await bed.manager.validateLibraries(schemaLibrary({ name: "ok" })), []);
  assert.equal(loads(), 0, "validation never calls load()");
});

test("a parametersSchema that is not a valid JSON Schema refuses the library", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "bad-schema.mjs",
    `import { HOOKS_VERSION } from "nestor/hooks";
     export const version = () => HOOKS_VERSION;
     export const parametersSchema = { type: "no-such-type" };`,
  );
  const bed = testBed();
  const errors = await bed.manager.validateLibraries([lib]);
  assert.equal(errors.length, 1);
  assert.match(
    errors[0]!,
    /bad-schema\.mjs failed to load: its parametersSchema is not a valid JSON Schema/,
  );
});

// ---------------------------------------------------------------------------------------------
// The shipped libraries' schemas

const shipped = (name: string) =>
  fileURLToPath(new URL(`../../../hooks/${name}/index.ts`, import.meta.url));

async function check(library: string, parameters: JsonObject | undefined): Promise<string[]> {
  const entry: JsonObject = { library: shipped(library) };
  if (parameters !== undefined) entry["parameters"] = parameters;
  const configs = parseHooksLibraries([entry], "Dhcp4.hooks-libraries");
  return (await testBed().manager.validateLibraries(configs)).map((e) =>
    e.replace(/^.*?: Dhcp4/, "Dhcp4"),
  );
}

test("run_script's schema: name mandatory, sync a boolean, timeout bounded, nothing else", async () => {
  const at = "Dhcp4.hooks-libraries[0].parameters";
  assert.deepEqual(await check("run_script", undefined), [
    `${at}: missing mandatory parameter "name"`,
  ]);
  assert.deepEqual(await check("run_script", { name: "/bin/true", sync: "yes" }), [
    `${at}.sync: must be a boolean (true or false), not "yes"`,
  ]);
  assert.deepEqual(await check("run_script", { name: "/bin/true", timeout: 0 }), [
    `${at}.timeout: 0 must be >= 1`,
  ]);
  assert.deepEqual(await check("run_script", { name: "/bin/true", timeout: 1.5 }), [
    `${at}.timeout: must be an integer, not 1.5`,
  ]);
  assert.deepEqual(await check("run_script", { name: "/bin/true", synch: true }), [
    `${at}.synch: unknown parameter "synch"`,
  ]);
  assert.deepEqual(await check("run_script", { name: "/bin/true", sync: true, timeout: 500 }), []);
});

test("user_chk's schema: its keys and types; postgresql's connection a URI or a map", async () => {
  const at = "Dhcp4.hooks-libraries[0].parameters";
  assert.deepEqual(await check("user_chk", undefined), []);
  assert.deepEqual(await check("user_chk", { registry: "/x", "record-offers": true }), []);
  assert.deepEqual(await check("user_chk", { registry: "" }), [
    `${at}.registry: must not be empty`,
  ]);
  assert.deepEqual(await check("user_chk", { "on-error": "ignore" }), [
    `${at}.on-error: must be one of "drop", "unregistered", not "ignore"`,
  ]);
  assert.deepEqual(await check("user_chk", { "on-error": "drop" }), [
    `${at}: must have property postgresql when property on-error is present`,
  ]);
  assert.deepEqual(await check("user_chk", { postgresql: { connection: 12 } }), [
    `${at}.postgresql.connection: must be a string, not 12; or must be a map, not 12`,
  ]);
  assert.deepEqual(await check("user_chk", { postgresql: { table: "t" } }), [
    `${at}.postgresql: missing mandatory parameter "connection"`,
  ]);
  assert.deepEqual(
    await check("user_chk", {
      postgresql: { connection: { host: "/run/postgresql" }, "timeout-ms": 30000 },
    }),
    [`${at}.postgresql.timeout-ms: 30000 must be <= 20000`],
  );
  assert.deepEqual(
    await check("user_chk", { postgresql: { connection: "postgresql://x/y" }, "on-error": "drop" }),
    [],
  );
});

test("bootp's schema: no parameters of its own, and a map of them is ignored as Kea does", async () => {
  assert.deepEqual(await check("bootp", undefined), []);
  assert.deepEqual(await check("bootp", { anything: 1 }), []);
});
