/**
 * From the configuration's `client-classes` list to the servers' ClientClasses: each test
 * compiled (a refusal names `client-classes[i].test`, the character where the problem is and
 * what it is), options converted, lifetimes as triplets.
 */
import { ipv4FromString } from "../../dhcp/ioaddress.ts";
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import { type At, buildClassOptionDefs } from "../model/cfg.ts";
import type { CfgOption } from "../model/cfg-option.ts";
import type {
  ClientClass4,
  ClientClass6,
  ClientClassBase,
  LifetimeTriplet,
  OptionData,
} from "../config/types.ts";
import type { Triplet } from "../model/triplet.ts";
import {
  ClientClassDef,
  ClientClasses,
  isBuiltinClass,
  type ClassErrorSink,
} from "./client-classes.ts";
import { compileExpression, compileStringExpression, ExpressionError } from "./expression.ts";

export interface BuildClassesOptions {
  universe: 4 | 6;
  defs: OptionDefLookup;
  /** The options of a level, converted with `defs` (the configuration's when not given). */
  options: (list: OptionData[], path: string, defs?: OptionDefLookup) => CfgOption;
  at: At;
  /**
   * Something else needs classification (a guard, a reservation's classes): build the classes
   * even when none is defined.
   */
  needed: boolean;
  onError?: ClassErrorSink;
}

/** The classes of a configuration, or null when it neither defines nor uses any. */
export function buildClientClasses(
  list: readonly (ClientClass4 | ClientClass6)[],
  o: BuildClassesOptions,
): ClientClasses | null {
  if (list.length === 0 && !o.needed) return null;
  const defs: ClientClassDef[] = [];
  const byName = new Map<string, ClientClassDef>();
  list.forEach((c, i) => {
    const path = `client-classes[${i}]`;
    let test = null;
    let template = null;
    let dependsOnKnown = false;
    const opts = {
      universe: o.universe,
      defs: o.defs,
      classKnown: (name: string) => isBuiltinClass(name) || byName.has(name),
    };
    const known = (members: readonly string[]) =>
      members.some(
        (m) => m === "KNOWN" || m === "UNKNOWN" || byName.get(m)?.dependsOnKnown === true,
      );
    const key = c.test !== undefined && c.test.trim() !== "" ? "test" : "template-test";
    const src = key === "test" ? c.test! : (c["template-test"] ?? "");
    if (src.trim() !== "") {
      try {
        if (key === "test") {
          const compiled = compileExpression(src, opts);
          test = compiled.evaluate;
          dependsOnKnown = known(compiled.members);
        } else {
          const compiled = compileStringExpression(src, opts);
          template = compiled.evaluate;
          dependsOnKnown = known(compiled.members);
        }
      } catch (e) {
        if (!(e instanceof ExpressionError)) throw e;
        throw o.at(
          `${path}.${key}`,
          `expression [${src}] error at character ${e.offset + 1}: ${e.message}`,
        );
      }
    }
    const c4 = c as ClientClass4;
    const c6 = c as ClientClass6;
    const classDefs = buildClassOptionDefs(c4["option-def"] ?? [], o.defs, path, o.at);
    const def = new ClientClassDef({
      name: c.name,
      test,
      template,
      dependsOnKnown,
      onlyIfRequired: (c["only-if-required"] ?? c["only-in-additional-list"]) === true,
      options: o.options(c["option-data"], path, classDefs.merged),
      optionDefs: classDefs.own,
      nextServer:
        c4["next-server"] === undefined || c4["next-server"] === ""
          ? 0
          : ipv4FromString(c4["next-server"]),
      serverHostname: c4["server-hostname"] ?? "",
      bootFileName: c4["boot-file-name"] ?? "",
      validLifetime: triplet(c, "valid-lifetime"),
      offerLifetime: c4["offer-lifetime"],
      preferredLifetime: o.universe === 6 ? triplet(c6, "preferred-lifetime") : undefined,
    });
    defs.push(def);
    byName.set(def.name, def);
  });
  return new ClientClasses(defs, o.onError);
}

type TripletKeys<N extends string> = { [K in N | `min-${N}` | `max-${N}`]?: number };

/** Kea's class triplet: unspecified when none of the three keys is there. */
function triplet<N extends "valid-lifetime" | "preferred-lifetime">(
  c: ClientClassBase & LifetimeTriplet & TripletKeys<N>,
  name: N,
): Triplet | undefined {
  const k = c as Record<string, number | undefined>;
  const value = k[name];
  const min = k[`min-${name}`];
  const max = k[`max-${name}`];
  if (value === undefined && min === undefined && max === undefined) return undefined;
  const def = value ?? min ?? max!;
  return { default: def, min: min ?? def, max: max ?? def };
}
