/**
 * The list of configuration keys in docs/configuration.md ("Every configuration key"), made from
 * facts rather than written by hand:
 *
 * - the keys: every key path of Kea 2.2's own configurations kept in
 *   test/fixtures/config/kea-2.2/ (its example files, among them all-keys.json, and what Kea
 *   2.2's config-get returned, every default written out), and every key Nestor's schema
 *   declares (src/dhcpsrv/config/dhcp4-schema.ts, dhcp6-schema.ts: Kea 2.2's grammar and the
 *   later keys Nestor knows);
 * - what Nestor does with each: read from the schema (`x-unsupported`: refused, or accepted only
 *   at its neutral value; `x-ignored`: accepted and ignored; `x-refused`: refused by the semantic
 *   checks; else supported).
 *
 *   node scripts/config-key-list.ts          prints the table
 *   node scripts/config-key-list.ts --write  puts it into docs/configuration.md
 *
 * test/unit/docs/config-key-list.test.ts fails when the document and this table differ, so the
 * document follows the schema and the key list.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseKeaText, type JsonValue } from "../src/dhcpsrv/config/kea-json.ts";
import { dhcp4Schema } from "../src/dhcpsrv/config/dhcp4-schema.ts";
import { dhcp6Schema } from "../src/dhcpsrv/config/dhcp6-schema.ts";
import type { IgnoredSpec, Schema, UnsupportedSpec } from "../src/dhcpsrv/config/schema-common.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FIXTURES = `${ROOT}test/fixtures/config/kea-2.2/`;
export const DOC = `${ROOT}docs/configuration.md`;
export const START = "<!-- config-key-list: start -->";
export const END = "<!-- config-key-list: end -->";

/** Maps whose content is free-form: their keys are not configuration keys. */
const FREE = new Set(["user-context", "parameters"]);
/** Accepted in (nearly) every map, listed once rather than under each. */
const EVERYWHERE = new Set(["user-context", "comment"]);

/** Key paths of a configuration value: `Dhcp4.subnet4[].pools[].pool`. */
function keyPaths(value: JsonValue, path: string, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) keyPaths(v, `${path}[]`, out);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value)) {
    if (EVERYWHERE.has(k)) continue;
    const p = `${path}.${k}`;
    out.add(p);
    if (!FREE.has(k)) keyPaths(v, p, out);
  }
}

/** Every key path of Kea 2.2's configurations kept as fixtures, by root (Dhcp4, Dhcp6). */
export function keaKeyPaths(): Map<"Dhcp4" | "Dhcp6", Set<string>> {
  const out = new Map<"Dhcp4" | "Dhcp6", Set<string>>([
    ["Dhcp4", new Set()],
    ["Dhcp6", new Set()],
  ]);
  const files = [
    ...readdirSync(`${FIXTURES}kea4`).map((f) => `${FIXTURES}kea4/${f}`),
    ...readdirSync(`${FIXTURES}kea6`).map((f) => `${FIXTURES}kea6/${f}`),
    `${FIXTURES}config-get-dhcp4.json`,
    `${FIXTURES}config-get-dhcp6.json`,
  ].filter((f) => f.endsWith(".json"));
  for (const file of files) {
    const doc = parseKeaText(readFileSync(file, "utf8"), file).value as Record<string, JsonValue>;
    for (const root of ["Dhcp4", "Dhcp6"] as const) {
      if (doc[root] !== undefined) keyPaths(doc[root], root, out.get(root)!);
    }
  }
  return out;
}

/** Every key path the schema declares. */
function schemaPaths(schema: Schema, path: string, out: Set<string>): void {
  const items = schema["items"] as Schema | undefined;
  if (schema["type"] === "array" && items !== undefined) {
    schemaPaths(items, `${path}[]`, out);
    return;
  }
  const props = schema["properties"] as Record<string, Schema> | undefined;
  if (props === undefined) return;
  for (const [k, s] of Object.entries(props)) {
    if (EVERYWHERE.has(k)) continue;
    out.add(`${path}.${k}`);
    if (!FREE.has(k)) schemaPaths(s, `${path}.${k}`, out);
  }
}

function json(v: JsonValue | undefined): string {
  return JSON.stringify(v);
}

/** The schema node of one path segment's key under `schema` (arrays stepped through). */
function child(schema: Schema, key: string): Schema | undefined {
  const props = schema["properties"] as Record<string, Schema> | undefined;
  return props?.[key];
}

/** What Nestor does with the key at `path` (segments after the root). */
export function status(root: Schema, segments: readonly string[]): string {
  let node: Schema | undefined = root;
  for (let i = 0; i < segments.length; i++) {
    let seg = segments[i]!;
    let depth = 0;
    while (seg.endsWith("[]")) {
      seg = seg.slice(0, -2);
      depth++;
    }
    const parent: Schema = node!;
    node = child(parent, seg);
    const last = i === segments.length - 1;
    if (node === undefined) {
      const enable = openMapSwitch(parent);
      if (enable !== null) return enable;
      return "refused (unknown key)";
    }
    const unsupported = node["x-unsupported"] as UnsupportedSpec | undefined;
    if (unsupported !== undefined) {
      const hint = unsupported.hint === undefined ? "" : `: ${unsupported.hint}`;
      if (!last) return `refused with \`${seg}\`${hint}`;
      return unsupported.allowed === undefined
        ? `refused${hint}`
        : `refused unless ${json(unsupported.allowed)}${hint}`;
    }
    const refused = node["x-refused"] as string | undefined;
    if (refused !== undefined && last) return `refused: ${refused}`;
    const ignored = node["x-ignored"] as IgnoredSpec | undefined;
    if (ignored !== undefined && last) {
      const when = ignored.default === undefined ? "set" : `not ${json(ignored.default)}`;
      return `accepted and ignored (a warning when ${when}): ${ignored.reason}`;
    }
    if (FREE.has(seg) && !last) return "supported";
    for (; depth > 0 && node !== undefined; depth--) node = node["items"] as Schema | undefined;
    if (node === undefined) return "refused (unknown key)";
  }
  return "supported";
}

/**
 * A map Nestor reads only for its on/off key (dhcp-ddns, dhcp-queue-control): its other keys are
 * accepted and do nothing while that key is off.
 */
function openMapSwitch(map: Schema): string | null {
  if (map["additionalProperties"] === false) return null;
  const props = (map["properties"] ?? {}) as Record<string, Schema>;
  for (const [k, s] of Object.entries(props)) {
    const u = s["x-unsupported"] as UnsupportedSpec | undefined;
    if (u !== undefined && u.allowed === false) {
      return `accepted, no effect: \`${k}\` must be false (${u.hint ?? "not implemented"})`;
    }
  }
  return null;
}

/** The markdown table, one row per key path, Dhcp4 then Dhcp6, each sorted. */
export function keyTable(): string {
  const kea = keaKeyPaths();
  const rows: string[] = ["| Key | In Kea 2.2's files | Nestor |", "| --- | --- | --- |"];
  for (const [root, schema] of [
    ["Dhcp4", dhcp4Schema],
    ["Dhcp6", dhcp6Schema],
  ] as const) {
    const paths = new Set(kea.get(root));
    schemaPaths(schema, root, paths);
    for (const p of [...paths].sort()) {
      const segments = p.split(".").slice(1);
      const seen = kea.get(root)!.has(p) ? "yes" : "";
      rows.push(`| \`${p}\` | ${seen} | ${status(schema, segments)} |`);
    }
  }
  return rows.join("\n");
}

/** The document with the table between its markers replaced by `table`. */
export function withTable(doc: string, table: string): string {
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${DOC}: the markers ${START} and ${END} are missing`);
  return `${doc.slice(0, a + START.length)}\n${table}\n${doc.slice(b)}`;
}

if (process.argv[1]?.endsWith("config-key-list.ts")) {
  const table = keyTable();
  if (process.argv.includes("--write")) {
    writeFileSync(DOC, withTable(readFileSync(DOC, "utf8"), table));
  } else {
    process.stdout.write(`${table}\n`);
  }
}
