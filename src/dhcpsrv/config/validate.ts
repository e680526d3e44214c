/**
 * From a parsed Kea document to a validated `Dhcp4Config` / `Dhcp6Config`: the top level, then
 * structure, types, ranges and defaults with ajv against the family's schema, then the rules a
 * schema cannot say (semantics.ts). Every refusal is a `ConfigFileError` naming the file, line
 * and column, the key path in Kea's style and the reason; warnings come back with the config.
 */

import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import { dhcp4Schema } from "./dhcp4-schema.ts";
import { dhcp6Schema } from "./dhcp6-schema.ts";
import { ConfigFileError, makeWarning, type ConfigWarning, type SourcePosition } from "./errors.ts";
import {
  contextName,
  formatKeyPath,
  parseKeaText,
  readKeaFile,
  type JsonMap,
  type JsonValue,
  type KeaDocument,
  type KeaParseOptions,
  type KeyPath,
  type PathSegment,
} from "./kea-json.ts";
import type { IgnoredSpec, Schema, UnsupportedSpec } from "./schema-common.ts";
import { addSchemaKeywords, VALIDATOR_OPTIONS, type SchemaContext } from "./schema-keywords.ts";
import { checkSecurityPolicy } from "./security.ts";
import { checkSemantics } from "./semantics.ts";
import { ConfigSource, Reporter } from "./source.ts";
import type { ConfigOf, Family } from "./types.ts";
import { loadPackage } from "../../util/load-package.ts";

export interface LoadedConfig<F extends Family> {
  readonly config: ConfigOf<F>;
  readonly warnings: ConfigWarning[];
  /** Where each value was written, for the servers' own refusals (`source.error(...)`). */
  readonly source: ConfigSource;
}

/** Reads, parses and validates a Kea configuration file for the DHCPv4 (4) or DHCPv6 (6) server. */
export function loadConfigFile<F extends Family>(
  path: string,
  family: F,
  options: KeaParseOptions = {},
): LoadedConfig<F> {
  return validateDocument(readKeaFile(path, options), family);
}

/** The same for configuration text; `fileName` names it in positions and messages. */
export function parseConfigText<F extends Family>(
  text: string,
  family: F,
  fileName = "<config>",
  options: KeaParseOptions = {},
): LoadedConfig<F> {
  return validateDocument(parseKeaText(text, fileName, options), family);
}

/**
 * Validates a parsed document for one family. Works in place: defaults and normalisations go into
 * `doc.value`, which becomes the returned `config`, so a document is validated once.
 */
export function validateDocument<F extends Family>(doc: KeaDocument, family: F): LoadedConfig<F> {
  const top = `Dhcp${family}`;
  const root = doc.value;
  const where = doc.positions.valueAt([]) ?? { file: doc.files[0] ?? "" };
  if (!isMap(root)) {
    throw new ConfigFileError(`the configuration must be a map with one entry "${top}"`, "", where);
  }
  for (const key of Object.keys(root)) {
    if (key !== top) {
      throw new ConfigFileError(
        `unexpected top-level entry "${key}": a ${top} configuration holds only "${top}"`,
        formatKeyPath([key]),
        doc.positions.keyAt([key]),
      );
    }
  }
  const body = root[top];
  if (body === undefined) {
    throw new ConfigFileError(`missing the "${top}" map`, "", where);
  }
  const warnings = [...doc.warnings];
  runSchema(body, [top], family, doc, warnings);
  const source = new ConfigSource(doc);
  const reporter = new Reporter(source, warnings);
  checkSemantics(body as JsonMap, family, [top], reporter);
  checkSecurityPolicy(body as JsonMap, [top], reporter);
  return { config: body as unknown as ConfigOf<F>, warnings, source };
}

function isMap(v: JsonValue | undefined): v is JsonMap {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------------------------------------
// ajv

/**
 * The family's validator: the one `npm run build` compiled ahead of time (validate4.cjs /
 * validate6.cjs next to this file in dist/, scripts/build-validators.ts) when it was compiled
 * from this very schema, else one compiled now (running from the sources, as the tests do).
 * Compiling takes some 0.3 s and leaves some 20 MB of garbage behind at start.
 */
const validators = new Map<Family, ValidateFunction>();

/** The name of the ahead-of-time validator of a family, next to validate.js. */
export function precompiledName(family: Family): string {
  return `validate${family}.cjs`;
}

/** What ties a compiled validator to the schema it was compiled from. */
export function schemaDigest(family: Family): string {
  const schema = family === 4 ? dhcp4Schema : dhcp6Schema;
  return createHash("sha256").update(JSON.stringify(schema)).digest("hex");
}

interface Precompiled {
  readonly validate: ValidateFunction;
  readonly schemaDigest: string;
}

function precompiled(family: Family): ValidateFunction | undefined {
  const require = createRequire(import.meta.url);
  let mod: Precompiled;
  try {
    mod = require(`./${precompiledName(family)}`) as Precompiled;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") return undefined;
    throw err;
  }
  return mod.schemaDigest === schemaDigest(family) ? mod.validate : undefined;
}

function validatorFor(family: Family): ValidateFunction {
  let v = validators.get(family);
  if (v === undefined) {
    v = precompiled(family) ?? compileValidator(family).validate;
    validators.set(family, v);
  }
  return v;
}

/** Compiles the family's validator now; `source` keeps its code for scripts/build-validators.ts. */
export function compileValidator(
  family: Family,
  source = false,
): { ajv: Ajv; validate: ValidateFunction } {
  // ajv is loaded only here: a server started from dist/ does not need it for its configuration.
  const { Ajv } = loadPackage<typeof import("ajv")>("ajv");
  const ajv = new Ajv({ ...VALIDATOR_OPTIONS, code: { source } });
  addSchemaKeywords(ajv);
  return { ajv, validate: ajv.compile(family === 4 ? dhcp4Schema : dhcp6Schema) };
}

function runSchema(
  body: JsonValue,
  prefix: KeyPath,
  family: Family,
  doc: KeaDocument,
  warnings: ConfigWarning[],
): void {
  const validate = validatorFor(family);
  const ignoredSeen: { pointer: string; spec: IgnoredSpec }[] = [];
  // What the generated code asks about this document (schema-keywords.ts).
  const context: SchemaContext = {
    ignored: (pointer, spec) => void ignoredSeen.push({ pointer, spec: spec as IgnoredSpec }),
    writtenAsFloat: (pointer) =>
      doc.positions.writtenAsFloat([...prefix, ...pointerToPath(body, pointer)]),
  };
  const ok = validate.call(context, body) as boolean;
  if (!ok) {
    const errors = (validate.errors ?? []).map((e) => translate(e, body, prefix, doc));
    errors.sort((a, b) => compare(a.position, b.position, doc.files));
    const first = errors[0];
    if (first !== undefined) {
      throw new ConfigFileError(first.reason, formatKeyPath(first.path), first.position);
    }
  }
  for (const { pointer, spec } of ignoredSeen) {
    const path = [...prefix, ...pointerToPath(body, pointer)];
    const key = contextName(path);
    warnings.push(
      makeWarning(
        `"${key}" is accepted but ignored: ${spec.reason}`,
        formatKeyPath(path),
        doc.positions.valueAt(path),
      ),
    );
  }
}

function compare(
  a: SourcePosition | undefined,
  b: SourcePosition | undefined,
  files: readonly string[],
): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  return files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line || a.column - b.column;
}

function pointerToPath(root: JsonValue, pointer: string): PathSegment[] {
  const out: PathSegment[] = [];
  let node: JsonValue | undefined = root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      const index = Number(key);
      out.push(index);
      node = node[index];
    } else {
      out.push(key);
      node = isMap(node) ? node[key] : undefined;
    }
  }
  return out;
}

interface Translated {
  readonly reason: string;
  readonly path: KeyPath;
  readonly position: SourcePosition | undefined;
}

const TYPE_NAMES: Record<string, string> = {
  integer: "an integer",
  number: "a number",
  string: "a string",
  boolean: "a boolean (true or false)",
  object: "a map",
  array: "a list",
  null: "null",
};

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "number")
    return Number.isInteger(value) ? `${value}` : `the number ${value}`;
  return `${typeof value} ${String(value)}`;
}

function fmt(value: unknown): string {
  return JSON.stringify(value);
}

function translate(e: ErrorObject, body: JsonValue, prefix: KeyPath, doc: KeaDocument): Translated {
  const path = [...prefix, ...pointerToPath(body, e.instancePath)];
  const at = (p: KeyPath): SourcePosition | undefined => doc.positions.valueAt(p);
  const parent = (e.parentSchema ?? {}) as Schema;
  const key = contextName(path);
  switch (e.keyword) {
    case "additionalProperties": {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      const p = [...path, extra];
      return {
        reason: `unknown keyword "${extra}" in ${key} map`,
        path: p,
        position: doc.positions.keyAt(p),
      };
    }
    case "required": {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      const what = typeof path[path.length - 1] === "number" ? `each ${key} entry` : key;
      return { reason: `"${missing}" is required in ${what}`, path, position: at(path) };
    }
    case "type": {
      const expected = TYPE_NAMES[String(e.schema)] ?? String(e.schema);
      return {
        reason: `expected ${expected}, found ${describe(e.data)}`,
        path,
        position: at(path),
      };
    }
    case "minimum":
    case "maximum": {
      const min = parent["minimum"];
      const max = parent["maximum"];
      return {
        reason: `${describe(e.data)} is out of range, it must be between ${String(min)} and ${String(max)}`,
        path,
        position: at(path),
      };
    }
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const min = parent["exclusiveMinimum"];
      const max = parent["exclusiveMaximum"];
      return {
        reason: `${describe(e.data)} is invalid, it must be greater than ${String(min)} and less than ${String(max)}`,
        path,
        position: at(path),
      };
    }
    case "minItems":
      return { reason: `the ${key} list must not be empty`, path, position: at(path) };
    case "enum": {
      const allowed = (e.schema as unknown[]).map(fmt).join(", ");
      return {
        reason: `${describe(e.data)} is not allowed, expected one of ${allowed}`,
        path,
        position: at(path),
      };
    }
    case "x-integer":
      return {
        reason: `expected an integer, found a floating point number (${String(e.data)}, written with a point or an exponent)`,
        path,
        position: at(path),
      };
    case "x-unsupported": {
      const spec = e.schema as UnsupportedSpec;
      let reason = `"${key}" is not supported by Nestor yet`;
      if (spec.allowed !== undefined) reason += ` (only ${fmt(spec.allowed)} is accepted)`;
      if (spec.hint !== undefined) reason += `: ${spec.hint}`;
      return { reason, path, position: doc.positions.keyAt(path) };
    }
    default:
      return { reason: e.message ?? e.keyword, path, position: at(path) };
  }
}
