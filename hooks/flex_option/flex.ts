/**
 * The `options` parameter (Kea's FlexOptionImpl): what each entry does to which option, checked
 * as Kea 2.2 checks it, and the processing of one response.
 *
 * Each entry names an option (`code`, or `name` from the standard definitions) and one action,
 * a Kea expression evaluated on the query:
 *   - add: when the response lacks the option and the string value is not empty, the option is
 *     added with it;
 *   - supersede: when the value is not empty, every instance of the option is replaced by one
 *     with it;
 *   - remove: when the response has the option and the boolean is true, every instance goes.
 * `csv-format: true` builds the option from the value as option-data would (comma separated
 * fields of the option's definition); otherwise the value is the option's raw payload.
 * `client-class`: the entry applies only to queries in that class. Entries run option code by
 * option code, in configuration order for one code, as Kea's map of them does.
 */
import type { JsonObject, JsonValue } from "nestor/hooks";
import {
  getLastResortOptionDefs,
  getStdOptionDefs,
  Option,
  splitCsv,
  type OptionDefinition,
  type Pkt,
} from "nestor/dhcp";
import { compileExpression, compileStringExpression } from "nestor/dhcp4";
import { DBG_TRACE } from "./messages.ts";

export type Action = "add" | "supersede" | "remove";

export interface OptionConfig {
  code: number;
  action: Action;
  /** The expression's text, for the log. */
  text: string;
  /** add / supersede: the value; remove: undefined. */
  value?: (pkt: Pkt) => Buffer;
  /** remove: the condition. */
  condition?: (pkt: Pkt) => boolean;
  /** With csv-format: the definition the value is read by. */
  def: OptionDefinition | null;
  clientClass: string;
}

interface Log {
  debug(level: number, id: string, ...args: unknown[]): void;
}

function isMap(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Kea's `str()` of a value in an error text: `{ "code": 67 }`, keys sorted. */
function str(v: JsonValue): string {
  if (Array.isArray(v)) return `[ ${v.map(str).join(", ")} ]`;
  if (isMap(v)) {
    const keys = Object.keys(v).sort();
    return `{ ${keys.map((k) => `${JSON.stringify(k)}: ${str(v[k]!)}`).join(", ")} }`;
  }
  return JSON.stringify(v);
}

function findByName(space: string, name: string, u: 4 | 6): OptionDefinition | undefined {
  return (
    getStdOptionDefs().getByName(space, name, u) ??
    getLastResortOptionDefs().getByName(space, name, u)
  );
}

function findByCode(space: string, code: number, u: 4 | 6): OptionDefinition | undefined {
  return getStdOptionDefs().get(space, code, u) ?? getLastResortOptionDefs().get(space, code, u);
}

/** The entries of `options`, checked; throws an Error with Kea's text for the first bad one. */
export function parseOptions(options: JsonValue | undefined, universe: 4 | 6): OptionConfig[] {
  if (options === undefined) throw new Error("'options' parameter is mandatory");
  if (!Array.isArray(options)) throw new Error("'options' parameter must be a list");
  const out = options.map((o) => parseOption(o, universe));
  // Kea keeps them in a map by code: processed in code order, configuration order within one.
  return out
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.code - b.c.code || a.i - b.i)
    .map((x) => x.c);
}

function parseOption(option: JsonValue, universe: 4 | 6): OptionConfig {
  if (!isMap(option)) throw new Error("option element is not a map");
  const space = universe === 4 ? "dhcp4" : "dhcp6";
  const codeElem = option.code;
  const nameElem = option.name;
  if (codeElem === undefined && nameElem === undefined) {
    throw new Error(`'code' or 'name' must be specified: ${str(option)}`);
  }
  let code = 0;
  if (codeElem !== undefined) {
    if (typeof codeElem !== "number" || !Number.isInteger(codeElem)) {
      throw new Error(`'code' must be an integer: ${str(codeElem)}`);
    }
    const max = universe === 4 ? 255 : 65535;
    if (codeElem < 0 || codeElem > max) {
      throw new Error(`invalid 'code' value ${codeElem} not in [0..${max}]`);
    }
    if (universe === 4 && codeElem === 0)
      throw new Error("invalid 'code' value 0: reserved for PAD");
    if (universe === 4 && codeElem === 255) {
      throw new Error("invalid 'code' value 255: reserved for END");
    }
    if (universe === 6 && codeElem === 0) throw new Error("invalid 'code' value 0: reserved");
    code = codeElem;
  }
  let def: OptionDefinition | undefined;
  if (nameElem !== undefined) {
    if (typeof nameElem !== "string") throw new Error(`'name' must be a string: ${str(nameElem)}`);
    if (nameElem === "") throw new Error("'name' must not be empty");
    def = findByName(space, nameElem, universe);
    if (def === undefined) throw new Error(`no known '${nameElem}' option in '${space}' space`);
    if (codeElem !== undefined && def.code !== code) {
      throw new Error(
        `option '${nameElem}' is defined as code: ${def.code}, not the specified code: ${code}`,
      );
    }
    code = def.code;
  }
  let csv = false;
  if (option["csv-format"] !== undefined) {
    const v = option["csv-format"];
    if (typeof v !== "boolean") throw new Error(`'csv-format' must be a boolean: ${str(v)}`);
    csv = v;
  }
  if (!csv) def = undefined;
  else if (def === undefined) {
    def = findByCode(space, code, universe);
    if (def === undefined)
      throw new Error(`no known option with code '${code}' in '${space}' space`);
  }
  let clientClass = "";
  if (option["client-class"] !== undefined) {
    const v = option["client-class"];
    if (typeof v !== "string") throw new Error(`'client-class' must be a string: ${str(v)}`);
    clientClass = v;
  }
  let found: OptionConfig | null = null;
  for (const action of ["add", "supersede", "remove"] as const) {
    const elem = option[action];
    if (elem === undefined) continue;
    if (typeof elem !== "string") throw new Error(`'${action}' must be a string: ${str(elem)}`);
    if (elem === "") throw new Error(`'${action}' must not be empty`);
    if (found !== null) throw new Error(`multiple actions: ${str(option)}`);
    const compileOptions = { universe, defs: getStdOptionDefs() };
    try {
      found =
        action === "remove"
          ? {
              code,
              action,
              text: elem,
              condition: compileExpression(elem, compileOptions).evaluate,
              def: def ?? null,
              clientClass,
            }
          : {
              code,
              action,
              text: elem,
              value: compileStringExpression(elem, compileOptions).evaluate,
              def: def ?? null,
              clientClass,
            };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`can't parse ${action} expression [${elem}] error: ${why}`, {
        cause: err,
      });
    }
  }
  if (found === null) throw new Error(`no action: ${str(option)}`);
  return found;
}

function build(universe: 4 | 6, c: OptionConfig, value: Buffer): Option {
  if (c.def === null) return new Option(universe, c.code, value);
  return c.def.optionFactoryFromText(splitCsv(value.toString("latin1")));
}

function shown(value: Buffer): string {
  return /^[\x20-\x7e]*$/.test(value.toString("latin1"))
    ? `'${value.toString("latin1")}'`
    : `0x${value.toString("hex")}`;
}

/** Applies every entry to `response`, evaluating on `query` (Kea's FlexOptionImpl::process). */
export function applyOptions(
  universe: 4 | 6,
  config: readonly OptionConfig[],
  query: Pkt,
  response: Pkt,
  log: Log | null,
): void {
  for (const c of config) {
    if (c.clientClass !== "" && !query.inClass(c.clientClass)) {
      log?.debug(DBG_TRACE, "FLEX_OPTION_PROCESS_CLIENT_CLASS", c.code, c.clientClass);
      continue;
    }
    const present = response.getOption(c.code) !== undefined;
    if (c.action === "add") {
      if (present) continue;
      const value = c.value!(query);
      if (value.length === 0) continue;
      response.addOption(build(universe, c, value));
      log?.debug(DBG_TRACE, "FLEX_OPTION_PROCESS_ADD", c.code, shown(value));
    } else if (c.action === "supersede") {
      const value = c.value!(query);
      if (value.length === 0) continue;
      const option = build(universe, c, value);
      response.delAllOptions(c.code);
      response.addOption(option);
      log?.debug(DBG_TRACE, "FLEX_OPTION_PROCESS_SUPERSEDE", c.code, shown(value));
    } else {
      if (!present) continue;
      if (!c.condition!(query)) continue;
      response.delAllOptions(c.code);
      log?.debug(DBG_TRACE, "FLEX_OPTION_PROCESS_REMOVE", c.code);
    }
  }
}
