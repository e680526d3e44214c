/**
 * Kea `option-data` and `option-def` entries <-> options and definitions.
 *
 * Rules, as Kea's OptionDataParser:
 * - `space` defaults to "dhcp4" or "dhcp6"; `csv-format` defaults to true.
 * - The definition is found by `code` when given, else by `name` (standard, then custom, then
 *   Kea's last-resort v4 option 43); a name given with the code must match the definition.
 * - csv-format true: `data` is split on commas ("\," is a literal comma, "\\" a backslash),
 *   each value trimmed; a single-value option uses the first value; a record needs one value
 *   per field, and an array record repeats its last field for extra values.
 * - csv-format false: `data` is hex: "0x0a0b", "0a0b", "0a:0b" or "0a 0b" (odd digit counts
 *   get a leading zero), or a single-quoted string whose characters are the bytes. An option
 *   without a definition needs this form: when csv-format is not given it is taken as false;
 *   when given as true it is an error. A name without a definition is an error unless a code
 *   is given too.
 * - Errors are OptionDataError naming the option and the reason.
 */
import { NestorError } from "../util/errors.ts";
import { BadValue, OptionDataError } from "./errors.ts";
import { decodeFormattedHex, toHex } from "./ioaddress.ts";
import { Option } from "./option.ts";
import type { UniverseValue } from "./option.ts";
import { OptionCustom } from "./option-custom.ts";
import { OptionDefinition } from "./option-definition.ts";
import type { OptionDefConfig, OptionDefLookup } from "./option-definition.ts";
import { getLastResortOptionDefs, getStdOptionDefs } from "./std-option-defs.ts";
// Installs the dedicated option classes the definitions build (Option6IA, OptionVendor, ...).
import "./libdhcp.ts";

/** A Kea option-data entry. */
export interface OptionDataConfig {
  name?: string;
  code?: number;
  space?: string;
  data?: string;
  "csv-format"?: boolean;
  "always-send"?: boolean;
  "never-send"?: boolean;
  "client-classes"?: string[];
}

/** An option-data entry turned into an option, with the entry's flags. */
export interface OptionDescriptor {
  option: Option;
  /** The definition used, or undefined for an option kept as bytes. */
  def: OptionDefinition | undefined;
  /** The CSV `data` exactly as configured ("" for hex data), as Kea keeps it for config-get. */
  formattedValue: string;
  space: string;
  /** Definition name, or "" without a definition. */
  name: string;
  code: number;
  csvFormat: boolean;
  alwaysSend: boolean;
  neverSend: boolean;
  clientClasses: string[];
}

export interface OptionDataContext {
  universe: UniverseValue;
  /** Definitions to use (standard plus custom); the standard ones when omitted. */
  defs?: OptionDefLookup;
}

/**
 * Splits option-data CSV as Kea's tokenizer does: on unescaped commas, "\," is a literal
 * comma and "\\" a backslash (a backslash before anything else stays), empty values are
 * dropped ("a,,b" is two values). Values are not trimmed here.
 */
export function splitCsv(data: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === "\\" && i + 1 < data.length && (data[i + 1] === "," || data[i + 1] === "\\")) {
      cur += data[++i];
    } else if (c === ",") {
      if (cur !== "") out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  if (cur !== "") out.push(cur);
  return out;
}

function findDef(
  space: string,
  name: string | undefined,
  code: number | undefined,
  defs: OptionDefLookup,
  u: UniverseValue,
): OptionDefinition | undefined {
  const lr = getLastResortOptionDefs();
  if (name !== undefined) return defs.getByName(space, name, u) ?? lr.getByName(space, name, u);
  if (code !== undefined) return defs.get(space, code, u) ?? lr.get(space, code, u);
  return undefined;
}

/**
 * The bytes of csv-format false data: a single-quoted string gives its characters
 * ("'PXEClient'"), anything else is hex. Null when neither.
 */
function binaryData(data: string): Buffer | null {
  const t = data.trim();
  if (t.length > 2 && t.startsWith("'") && t.endsWith("'"))
    return Buffer.from(t.slice(1, -1), "latin1");
  return t === "" ? Buffer.alloc(0) : decodeFormattedHex(t);
}

/** Converts one option-data entry into an option. Throws OptionDataError. */
export function optionFromConfig(
  entry: OptionDataConfig,
  ctx: OptionDataContext,
): OptionDescriptor {
  const u = ctx.universe;
  const defs = ctx.defs ?? getStdOptionDefs();
  const space = entry.space ?? (u === 4 ? "dhcp4" : "dhcp6");
  const label = entry.name ?? `${space}/${entry.code ?? "?"}`;
  const fail = (reason: string): never => {
    throw new OptionDataError(label, reason);
  };
  if (entry.name === undefined && entry.code === undefined) fail("either name or code is required");
  const max = u === 4 ? 255 : 65535;
  if (entry.code !== undefined) {
    if (!Number.isInteger(entry.code) || entry.code < 0 || entry.code > max) {
      fail(`code ${entry.code} is out of range 0..${max}`);
    }
    if (space === "dhcp4" && (entry.code === 0 || entry.code === 255)) {
      fail(`code ${entry.code} is reserved for PAD/END`);
    }
    if (u === 6 && space === "dhcp6" && entry.code === 0) fail("code 0 is reserved");
  }
  // As Kea: the code (when given) finds the definition, and the name must then match it.
  const def = findDef(
    space,
    entry.code === undefined ? entry.name : undefined,
    entry.code,
    defs,
    u,
  );
  if (entry.code === undefined && def === undefined) {
    fail(`no definition for option '${entry.name}' in space '${space}'`);
  }
  if (def !== undefined && entry.name !== undefined && def.name !== entry.name) {
    fail(`name does not match the definition '${space}.${def.name}' of code ${def.code}`);
  }
  const code = def?.code ?? entry.code!;
  const data = entry.data ?? "";
  let csv = entry["csv-format"] ?? def !== undefined;
  // A never-send entry only cancels its code (later Kea): it needs no value.
  const cancelOnly = entry["never-send"] === true && entry.data === undefined;
  if (def === undefined && csv && !cancelOnly) {
    fail(
      `no definition for code ${code} in space '${space}': give the data as hex with csv-format false`,
    );
  }
  let option: Option;
  try {
    if (cancelOnly) {
      option = new Option(u, code);
    } else if (csv) {
      option = def!.optionFactoryFromText(splitCsv(data));
    } else {
      const bytes = binaryData(data);
      if (bytes === null) throw new BadValue(`'${data}' is not valid hexadecimal data`);
      option = def === undefined ? new Option(u, code, bytes) : def.optionFactoryFromBytes(bytes);
      csv = false;
    }
  } catch (e) {
    if (e instanceof NestorError && !(e instanceof OptionDataError)) {
      throw new OptionDataError(label, e.message, { cause: e });
    }
    throw e;
  }
  return {
    option,
    def,
    formattedValue: csv ? data : "",
    space,
    name: def?.name ?? "",
    code,
    csvFormat: csv,
    alwaysSend: entry["always-send"] ?? false,
    neverSend: entry["never-send"] ?? false,
    clientClasses: entry["client-classes"] ?? [],
  };
}

/**
 * Converts an option back into an option-data entry (without its sub-options): by name in
 * CSV when it has a definition and fits it, else by code in hex.
 */
export function optionToConfig(
  opt: Option,
  space: string = opt.universe === 4 ? "dhcp4" : "dhcp6",
  defs: OptionDefLookup = getStdOptionDefs(),
): OptionDataConfig {
  const def =
    opt instanceof OptionCustom ? opt.def : findDef(space, undefined, opt.type, defs, opt.universe);
  if (opt instanceof OptionCustom) {
    return { name: def!.name, code: opt.type, space, "csv-format": true, data: opt.toCsv() };
  }
  const entry: OptionDataConfig = {
    code: opt.type,
    space,
    "csv-format": false,
    data: toHex(opt.getData()).toUpperCase(),
  };
  if (def !== undefined) entry.name = def.name;
  return entry;
}

/** The option and, recursively, its sub-options (in their encapsulated spaces) as entries. */
export function optionToConfigList(
  opt: Option,
  space: string = opt.universe === 4 ? "dhcp4" : "dhcp6",
  defs: OptionDefLookup = getStdOptionDefs(),
): OptionDataConfig[] {
  const out = [optionToConfig(opt, space, defs)];
  const sub = opt.encapsulatedSpace;
  for (const s of opt.getOptions()) out.push(...optionToConfigList(s, sub, defs));
  return out;
}

/** Builds a definition from an option-def entry. Throws OptionDataError. */
export function optionDefFromConfig(
  entry: OptionDefConfig,
  universe: UniverseValue,
): OptionDefinition {
  return new OptionDefinition({
    name: entry.name,
    code: entry.code,
    type: entry.type,
    space: entry.space ?? (universe === 4 ? "dhcp4" : "dhcp6"),
    array: entry.array ?? false,
    recordTypes: entry["record-types"] ?? "",
    encapsulate: entry.encapsulate ?? "",
    universe,
  });
}
