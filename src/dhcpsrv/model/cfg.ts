/**
 * What the v4 and v6 models are built with alike: the key path of a refusal, option definitions
 * and option-data, client name settings, required classes.
 */
import { optionDefFromConfig, optionFromConfig } from "../../dhcp/option-data.ts";
import type { OptionDescriptor } from "../../dhcp/option-data.ts";
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import { OptionDefinitions, getStdOptionDefs } from "../../dhcp/std-option-defs.ts";
import { NestorError, type ConfigError } from "../../util/errors.ts";
import { guardOf, type RequiredClass } from "../classify/client-classes.ts";
import type {
  ClassGuardKeys,
  Dhcp4Config,
  LeaseInfoKeys,
  OptionData,
  OptionDef,
} from "../config/types.ts";
import type { KeyPath } from "../config/kea-json.ts";
import { ClientNameParams, type ClientNameKeys } from "../processing/client-name.ts";

const NO_REQUIRED: readonly RequiredClass[] = [];

/**
 * The client name settings of the globals (no `global`) or of a subnet over them; a
 * `hostname-char-set` that is not a regular expression is refused, as Kea refuses it.
 */
export function clientNameParams(
  keys: ClientNameKeys,
  global: { config: ClientNameKeys; params: ClientNameParams } | undefined,
  path: string,
  at: At,
): ClientNameParams {
  try {
    if (global === undefined) {
      const none = Object.values(pickNameKeys(keys)).every((v) => v === undefined);
      return none ? ClientNameParams.DEFAULT : new ClientNameParams(keys);
    }
    return ClientNameParams.resolve(keys, global.config, global.params);
  } catch (e) {
    const where = `${path === "" ? "" : path + "."}hostname-char-set`;
    throw at(where, `invalid regex: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function pickNameKeys(k: ClientNameKeys): ClientNameKeys {
  return {
    "ddns-replace-client-name": k["ddns-replace-client-name"],
    "ddns-generated-prefix": k["ddns-generated-prefix"],
    "ddns-qualifying-suffix": k["ddns-qualifying-suffix"],
    "hostname-char-set": k["hostname-char-set"],
    "hostname-char-replacement": k["hostname-char-replacement"],
  };
}

/** `require-client-classes` (Kea 2.2) and later Kea's `evaluate-additional-classes`, in order. */
export function requiredOf(o: ClassGuardKeys): readonly RequiredClass[] {
  const a = o["require-client-classes"] ?? [];
  const b = o["evaluate-additional-classes"] ?? [];
  if (a.length === 0 && b.length === 0) return NO_REQUIRED;
  return [
    ...a.map((name) => ({ name, untestedJoins: false })),
    ...b.filter((c) => !a.includes(c)).map((name) => ({ name, untestedJoins: true })),
  ];
}

/** Whether a guard, a required class or a reservation's classes needs classification. */
export function usesClasses(
  subnets: readonly (ClassGuardKeys & {
    pools: readonly ClassGuardKeys[];
    "pd-pools"?: readonly ClassGuardKeys[];
    reservations: readonly { "client-classes": readonly string[] }[];
  })[],
  globalHosts: readonly { "client-classes": readonly string[] }[],
): boolean {
  const used = (o: ClassGuardKeys): boolean => guardOf(o) !== null || requiredOf(o).length > 0;
  const hostClasses = (h: { "client-classes": readonly string[] }): boolean =>
    h["client-classes"].length > 0;
  return (
    globalHosts.some(hostClasses) ||
    subnets.some(
      (s) =>
        used(s) ||
        s.pools.some(used) ||
        (s["pd-pools"] ?? []).some(used) ||
        s.reservations.some(hostClasses),
    )
  );
}

export type At = (path: string, reason: string) => ConfigError;

/**
 * Kea's inheritance of a network key: the value at the most specific level that sets it, from
 * the first of `levels` (a pool or a subnet) to the last (the globals, which always have it).
 * The shared-network level slots in between the subnet and the globals.
 */
export function inherited<K extends keyof LeaseInfoKeys>(
  key: K,
  ...levels: readonly (LeaseInfoKeys | undefined)[]
): LeaseInfoKeys[K] | undefined {
  for (const level of levels) {
    const v = level?.[key];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** "Dhcp4.subnet4[0].pools[1]" -> ["Dhcp4", "subnet4", 0, "pools", 1] */
export function keyPath(path: string): KeyPath {
  const out: (string | number)[] = [];
  for (const part of path.split(".")) {
    if (part === "") continue;
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (m === null) {
      out.push(part);
      continue;
    }
    if (m[1] !== "") out.push(m[1]!);
    for (const i of m[2]!.matchAll(/\[(\d+)\]/g)) out.push(Number(i[1]));
  }
  return out;
}

/** The standard option definitions, with the configuration's `option-def` layered over them. */
export function buildOptionDefs(
  config: Pick<Dhcp4Config, "option-def">,
  at: At,
  universe: 4 | 6 = 4,
): OptionDefLookup {
  if (config["option-def"].length === 0) return getStdOptionDefs();
  const defs = new OptionDefinitions(getStdOptionDefs());
  config["option-def"].forEach((d, i) => {
    try {
      defs.add(optionDefFromConfig(d, universe));
    } catch (e) {
      throw at(`option-def[${i}]`, e instanceof Error ? e.message : String(e));
    }
  });
  return defs;
}

/**
 * A client class's own `option-def` (v4): `own` holds them alone (null without any), `merged`
 * layers them over the configuration's definitions, the class's definition of a code or name
 * found first, as Kea's option data parser looks in the class's definitions before the standard
 * and the global ones.
 */
export function buildClassOptionDefs(
  list: readonly OptionDef[],
  parent: OptionDefLookup,
  path: string,
  at: At,
  universe: 4 | 6 = 4,
): { own: OptionDefLookup | null; merged: OptionDefLookup } {
  if (list.length === 0) return { own: null, merged: parent };
  const own = new OptionDefinitions();
  list.forEach((d, i) => {
    try {
      own.add(optionDefFromConfig(d, universe));
    } catch (e) {
      throw at(`${path}.option-def[${i}]`, e instanceof Error ? e.message : String(e));
    }
  });
  const merged: OptionDefLookup = {
    get: (space, code, u) => own.get(space, code, u) ?? parent.get(space, code, u),
    getByName: (space, name, u) =>
      own.getByName(space, name, u) ?? parent.getByName(space, name, u),
  };
  return { own, merged };
}

/** Turns `option-data` entries into options; a refusal names the entry's key path. */
export function convertOptions(
  list: OptionData[],
  path: string,
  defs: OptionDefLookup,
  at: At,
  universe: 4 | 6 = 4,
): OptionDescriptor[] {
  return list.map((entry, i) => {
    try {
      return optionFromConfig(entry, { universe, defs });
    } catch (e) {
      if (e instanceof NestorError) {
        throw at(`${path === "" ? "" : path + "."}option-data[${i}]`, e.message);
      }
      throw e;
    }
  });
}
