// The configuration validators `npm run build` compiles ahead of time (dist/dhcpsrv/config/
// validate4.cjs, validate6.cjs: scripts/build-validators.ts): a server started from dist/ uses
// them without loading ajv, and they decide every configuration as the validator compiled at run
// time from the sources does: the same defaults, warnings and refusals (reason, key path, line
// and column). `npm test` builds first (pretest), so these are the files a server would load.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import * as fromSources from "../../../../src/dhcpsrv/config/validate.ts";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const DIST = join(ROOT, "dist/dhcpsrv/config/");
const NODE = process.execPath;

type Validate = typeof fromSources;
const fromDist = (await import(join(DIST, "validate.js"))) as Validate;

/** What a configuration comes to: its config and warnings, or its refusal, as plain data. */
function outcome(v: Validate, text: string, family: 4 | 6): unknown {
  try {
    const { config, warnings } = v.parseConfigText(text, family, "kea.conf");
    return { config, warnings: warnings.map((w) => ({ ...w })) };
  } catch (err) {
    const e = err as { reason?: string; path?: string; line?: number; column?: number };
    assert.ok(e.reason !== undefined, `not a configuration error: ${String(err)}`);
    return { refused: e.reason, path: e.path, line: e.line, column: e.column };
  }
}

/** Kea 2.2's example files and Nestor's own of a family (a few are refused, as they should). */
function files(family: 4 | 6): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  const dir = join(ROOT, `test/fixtures/config/kea-2.2/kea${family}/`);
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()) {
    out.push({ name, text: readFileSync(join(dir, name), "utf8") });
  }
  const configGet = `config-get-dhcp${family}.json`;
  out.push({
    name: configGet,
    text: readFileSync(join(ROOT, "test/fixtures/config/kea-2.2", configGet), "utf8"),
  });
  const example = `examples/nestor-dhcp${family}.json`;
  out.push({ name: example, text: readFileSync(join(ROOT, example), "utf8") });
  return out;
}

/** Bodies that reach each kind of refusal and warning, and each of Nestor's own keywords. */
const BODIES: Record<4 | 6, string[]> = {
  4: [
    "{}",
    `{ "valid-lifetime": "7200" }`,
    `{ "valid-lifetime": 7200.0 }`,
    `{ "valid-lifetime": -1 }`,
    `{ "t1-percent": 1.5 }`,
    `{ "interfaces-config": { "dhcp-socket-type": "tcp" } }`,
    `{ "no-such-key": 1 }`,
    `{ "subnet4": [ { "pools": [] } ] }`,
    `{ "subnet4": [ { "subnet": "198.51.100.0/24", "id": 1, "valid-lifetime": 10.5 } ] }`,
    `{ "subnet4": [ { "subnet": "198.51.100.0/24", "id": 1, "pools": [ { "pool": "198.51.100.10 - 198.51.100.20", "bad": 1 } ] } ] }`,
    `{ "ddns-send-updates": true, "ddns-override-no-update": true, "ddns-qualifying-suffix": "example.org" }`,
    `{ "dhcp-ddns": { "enable-updates": true } }`,
    `{ "dhcp-ddns": { "enable-updates": false } }`,
    `{ "lease-database": { "type": "mysql" } }`,
    `{ "shared-networks": [] }`,
    `{ "user-context": 5 }`,
    `{ "valid-lifetime": "x", "renew-timer": 1.5, "no-such": 2 }`,
  ],
  6: [
    "{}",
    `{ "preferred-lifetime": 3600.0 }`,
    `{ "preferred-lifetime": 4294967296 }`,
    `{ "no-such-key": 1 }`,
    `{ "subnet6": [ { "subnet": "2001:db8:1::/64", "id": 1, "pd-pools": [ { "prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 64.0 } ] } ] }`,
    `{ "ddns-send-updates": false, "ddns-override-no-update": true }`,
    `{ "dhcp-ddns": { "enable-updates": true } }`,
    `{ "server-id": { "type": "LLT", "htype": 1.0 } }`,
  ],
};

describe("configuration validators compiled ahead of time", () => {
  for (const family of [4, 6] as const) {
    test(`dist holds the v${family} validator of this very schema`, () => {
      const file = join(DIST, fromSources.precompiledName(family));
      assert.ok(existsSync(file), `${file} is missing: npm run build writes it`);
      const mod = createRequire(import.meta.url)(file) as { schemaDigest: string };
      assert.equal(mod.schemaDigest, fromSources.schemaDigest(family));
    });

    test(`v${family}: every example file comes out as the sources' validator has it`, () => {
      const all = files(family);
      assert.ok(all.length >= 5);
      let refused = 0;
      for (const { name, text } of all) {
        const ahead = outcome(fromDist, text, family);
        if ((ahead as { refused?: string }).refused !== undefined) refused++;
        assert.deepEqual(ahead, outcome(fromSources, text, family), name);
      }
      // The corpus holds files that are refused as well as accepted ones.
      assert.ok(refused > 0 && refused < all.length);
    });

    test(`v${family}: each kind of refusal and warning is the same`, () => {
      for (const body of BODIES[family]) {
        const text = `{ "Dhcp${family}": ${body} }`;
        assert.deepEqual(outcome(fromDist, text, family), outcome(fromSources, text, family), body);
      }
    });
  }

  test("a value written as a float, an unsupported key and an ignored key: what each comes to", () => {
    // The keywords of Nestor's own (schema-keywords.ts), through the ahead-of-time code.
    const float = outcome(fromDist, `{ "Dhcp4": { "valid-lifetime": 7200.0 } }`, 4);
    assert.match((float as { refused: string }).refused, /found a floating point number/);
    const ddns = outcome(fromDist, `{ "Dhcp4": { "dhcp-ddns": { "enable-updates": true } } }`, 4);
    assert.match((ddns as { refused: string }).refused, /not supported by Nestor yet \(only false/);
    const ignored = outcome(
      fromDist,
      `{ "Dhcp6": { "ddns-override-no-update": true, "ddns-qualifying-suffix": "example.org" } }`,
      6,
    ) as { warnings: { path: string }[] };
    assert.deepEqual(
      ignored.warnings.map((w) => w.path),
      ["Dhcp6.ddns-override-no-update"],
    );
  });

  test("a server's configuration is validated without loading ajv", () => {
    const script = `
      const { loadConfigFile } = await import(${JSON.stringify(join(DIST, "validate.js"))});
      loadConfigFile(${JSON.stringify(join(ROOT, "examples/nestor-dhcp4.json"))}, 4);
      loadConfigFile(${JSON.stringify(join(ROOT, "examples/nestor-dhcp6.json"))}, 6);
      const { createRequire } = await import("node:module");
      const cache = createRequire(import.meta.url).cache;
      console.log(JSON.stringify(Object.keys(cache).filter((k) => k.includes("/ajv/dist/core"))));
    `;
    const r = spawnSync(NODE, ["--input-type=module", "-e", script], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });
});
