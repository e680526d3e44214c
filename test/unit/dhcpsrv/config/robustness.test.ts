// Whatever is written, the reader answers with a configuration or a ConfigFileError, never with
// another exception: Kea's example configurations are mutated (a key removed, a value replaced
// by one of another type or range, text cut short) with a seeded generator, many times over.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { ConfigFileError } from "../../../../src/dhcpsrv/config/errors.ts";
import { parseKeaText, type JsonValue } from "../../../../src/dhcpsrv/config/kea-json.ts";
import { parseConfigText } from "../../../../src/dhcpsrv/config/validate.ts";

const root = fileURLToPath(new URL("../../../fixtures/config/kea-2.2/", import.meta.url));
const BASES: [4 | 6, string][] = [
  [4, "kea4/advanced.json"],
  [4, "kea4/several-subnets.json"],
  [4, "kea4/multiple-options.json"],
  [4, "config-get-dhcp4.json"],
  [6, "kea6/advanced.json"],
  [6, "kea6/duid.json"],
  [6, "config-get-dhcp6.json"],
];

const VALUES: JsonValue[] = [
  -1,
  0,
  1,
  255,
  65536,
  4294967296,
  0.5,
  1.5,
  "",
  "x",
  "192.0.2.1",
  "2001:db8::1",
  "192.0.2.0/24",
  "2001:db8::/64",
  "192.0.2.1 - 192.0.2.9",
  "01:02:03",
  true,
  false,
  null,
  [],
  {},
  ["x"],
  { a: 1 },
];

/** A small deterministic generator (xorshift32), so that a failure can be replayed. */
function generator(seed: number): (n: number) => number {
  let x = seed || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

type Path = (string | number)[];

function paths(v: JsonValue, p: Path = [], out: Path[] = []): Path[] {
  out.push(p);
  if (typeof v === "object" && v !== null) {
    const entries: [string | number, JsonValue][] = Array.isArray(v)
      ? v.map((x, i) => [i, x])
      : Object.entries(v);
    for (const [k, x] of entries) paths(x, [...p, k], out);
  }
  return out;
}

function mutate(doc: JsonValue, rnd: (n: number) => number): void {
  const all = paths(doc).filter((p) => p.length > 1);
  const p = all[rnd(all.length)]!;
  let parent = doc as Record<string | number, JsonValue>;
  for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, JsonValue>;
  const last = p[p.length - 1]!;
  if (rnd(3) === 0 && !Array.isArray(parent)) delete parent[last];
  else parent[last] = structuredClone(VALUES[rnd(VALUES.length)]!);
}

function answer(text: string, family: 4 | 6): "accepted" | "refused" {
  try {
    parseConfigText(text, family, "mutant.json");
    return "accepted";
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, `not a ConfigFileError: ${String(err)}\n${text}`);
    assert.ok(err.reason.length > 0);
    return "refused";
  }
}

test("mutated Kea configurations are accepted or refused with a ConfigFileError", () => {
  const rnd = generator(20261124);
  const seen = { accepted: 0, refused: 0 };
  for (let i = 0; i < 600; i++) {
    const [family, name] = BASES[rnd(BASES.length)]!;
    const doc = parseKeaText(readFileSync(`${root}${name}`, "utf8"), name).value;
    for (let k = 1 + rnd(3); k > 0; k--) mutate(doc, rnd);
    seen[answer(JSON.stringify(doc, null, 1), family)]++;
  }
  assert.ok(seen.accepted > 50 && seen.refused > 50, JSON.stringify(seen));
});

test("configuration text cut anywhere is refused with a ConfigFileError", () => {
  const text = readFileSync(`${root}kea4/advanced.json`, "utf8");
  const rnd = generator(7);
  for (let i = 0; i < 200; i++) {
    const cut = text.slice(0, rnd(text.length));
    try {
      parseConfigText(cut, 4, "cut.json");
    } catch (err) {
      assert.ok(err instanceof ConfigFileError, `not a ConfigFileError: ${String(err)}`);
    }
  }
});
