/**
 * Client classes (Kea's ClientClassDictionary and the servers' classification passes): the
 * classes a configuration defines, in order, with their compiled tests, the options and boot
 * fields they add to responses and the lifetimes they set; and the guards (`client-class`,
 * `client-classes`) that keep a subnet or a pool for the members of a class.
 *
 * When a configuration has no class and no guard, the servers hold no ClientClasses at all
 * (null) and classify nothing: packets then carry only the classes hook libraries give them.
 */
import type { OptionDefLookup, OptionDefinition } from "../../dhcp/option-definition.ts";
import type { Pkt } from "../../dhcp/pkt.ts";
import { CfgOption } from "../model/cfg-option.ts";
import type { Triplet } from "../model/triplet.ts";
import type { BoolFn, StringFn } from "./expression.ts";

/** Classes every server knows without a definition (Kea's isClientClassBuiltIn). */
export const BUILTIN_CLASSES: ReadonlySet<string> = new Set(["ALL", "KNOWN", "UNKNOWN", "BOOTP"]);
export const BUILTIN_PREFIXES: readonly string[] = [
  "VENDOR_CLASS_",
  "HA_",
  "AFTER_",
  "EXTERNAL_",
  "SPAWN_",
];
export const VENDOR_CLASS_PREFIX = "VENDOR_CLASS_";
/** The classes template classes spawn (later Kea): SPAWN_<template>_<value>. */
export const SPAWN_CLASS_PREFIX = "SPAWN_";

export function isBuiltinClass(name: string): boolean {
  return BUILTIN_CLASSES.has(name) || BUILTIN_PREFIXES.some((p) => name.startsWith(p));
}

/**
 * The classes a subnet or pool is kept for (any of them), or null: everyone. Kea 2.2 has one
 * (`client-class`), later versions a list (`client-classes`); both land here.
 */
export type ClassGuard = readonly string[] | null;

/** Whether a packet with these classes may use what the guard protects. */
export function guardAllows(guard: ClassGuard, classes: ReadonlySet<string>): boolean {
  if (guard === null) return true;
  for (let i = 0; i < guard.length; i++) if (classes.has(guard[i]!)) return true;
  return false;
}

/** The guard of a subnet or pool as configured: both spellings, merged, in order. */
export function guardOf(entry: {
  "client-class"?: string;
  "client-classes"?: readonly string[];
}): ClassGuard {
  const out: string[] = [];
  const one = entry["client-class"];
  if (one !== undefined && one !== "") out.push(one);
  for (const c of entry["client-classes"] ?? []) if (c !== "" && !out.includes(c)) out.push(c);
  return out.length === 0 ? null : out;
}

/**
 * A class a subnet or pool lists for evaluation after allocation. Kea 2.2's
 * `require-client-classes` tests it (a class without a test adds nothing); later Kea's
 * `evaluate-additional-classes` also adds a class without a test (`untestedJoins`).
 */
export interface RequiredClass {
  readonly name: string;
  readonly untestedJoins: boolean;
}

export interface ClientClassParams {
  name: string;
  /** The compiled test; null = no test (members only through hooks, reservations or guards). */
  test: BoolFn | null;
  /**
   * A template class's `template-test` (later Kea), or null: a non-empty value spawns class
   * SPAWN_<name>_<value>, and the query joins it and the template class.
   */
  template?: StringFn | null;
  /** The test depends on KNOWN/UNKNOWN: evaluated after the reservation lookup. */
  dependsOnKnown: boolean;
  /** Evaluated only when a subnet or pool requires it (`only-if-required`). */
  onlyIfRequired: boolean;
  options?: CfgOption;
  /** The class's own option definitions (v4 `option-def`), or null. */
  optionDefs?: OptionDefLookup | null;
  /** v4 boot fields; 0 / "" = not set. */
  nextServer?: number;
  serverHostname?: string;
  bootFileName?: string;
  validLifetime?: Triplet;
  preferredLifetime?: Triplet;
  /** v4 `offer-lifetime` (Kea 2.6); undefined = not set (0 is set: no offer stored). */
  offerLifetime?: number | undefined;
}

export class ClientClassDef {
  readonly name: string;
  readonly test: BoolFn | null;
  readonly template: StringFn | null;
  readonly dependsOnKnown: boolean;
  readonly onlyIfRequired: boolean;
  readonly options: CfgOption;
  readonly optionDefs: OptionDefLookup | null;
  readonly nextServer: number;
  readonly serverHostname: string;
  readonly bootFileName: string;
  readonly validLifetime: Triplet | undefined;
  readonly preferredLifetime: Triplet | undefined;
  readonly offerLifetime: number | undefined;

  constructor(p: ClientClassParams) {
    this.name = p.name;
    this.test = p.test;
    this.template = p.template ?? null;
    this.dependsOnKnown = p.dependsOnKnown;
    this.onlyIfRequired = p.onlyIfRequired;
    this.options = p.options ?? CfgOption.EMPTY4;
    this.optionDefs = p.optionDefs ?? null;
    this.nextServer = p.nextServer ?? 0;
    this.serverHostname = p.serverHostname ?? "";
    this.bootFileName = p.bootFileName ?? "";
    this.validLifetime = p.validLifetime;
    this.preferredLifetime = p.preferredLifetime;
    this.offerLifetime = p.offerLifetime;
  }
}

/** A value as part of a class name: its UTF-8 text when it is valid UTF-8, else byte by byte. */
function classNameText(v: Buffer): string {
  const text = v.toString("utf8");
  return Buffer.byteLength(text, "utf8") === v.length && !text.includes("\ufffd")
    ? text
    : v.toString("latin1");
}

/** Called when a test throws (it should not: the compiled subset cannot fail on a packet). */
export type ClassErrorSink = (pkt: Pkt, cls: string, err: unknown) => void;

export class ClientClasses {
  readonly defs: readonly ClientClassDef[];
  readonly byName: ReadonlyMap<string, ClientClassDef>;
  /** Tests run right after unpacking (not depending on KNOWN/UNKNOWN). */
  private readonly early: readonly ClientClassDef[];
  /** Tests run after the reservation lookup. */
  private readonly late: readonly ClientClassDef[];
  /** Some class adds options: responses look the packet's classes up. */
  readonly hasOptions: boolean;
  /** Some class sets next-server, server-hostname or boot-file-name. */
  readonly hasBootFields: boolean;
  readonly hasValidLifetime: boolean;
  readonly hasPreferredLifetime: boolean;
  readonly hasOfferLifetime: boolean;
  /** Some class has its own option definitions (v4). */
  readonly hasOptionDefs: boolean;
  /** Where a test that fails on a packet is reported (the server sets its logger). */
  onError: ClassErrorSink;

  constructor(defs: readonly ClientClassDef[], onError: ClassErrorSink = () => {}) {
    this.defs = defs;
    this.byName = new Map(defs.map((d) => [d.name, d]));
    const tested = (d: ClientClassDef) => d.test !== null || d.template !== null;
    this.early = defs.filter((d) => tested(d) && !d.onlyIfRequired && !d.dependsOnKnown);
    this.late = defs.filter((d) => tested(d) && !d.onlyIfRequired && d.dependsOnKnown);
    this.hasOptions = defs.some((d) => d.options.all.length > 0);
    this.hasBootFields = defs.some(
      (d) => d.nextServer !== 0 || d.serverHostname !== "" || d.bootFileName !== "",
    );
    this.hasValidLifetime = defs.some((d) => d.validLifetime !== undefined);
    this.hasPreferredLifetime = defs.some((d) => d.preferredLifetime !== undefined);
    this.hasOfferLifetime = defs.some((d) => d.offerLifetime !== undefined);
    this.hasOptionDefs = defs.some((d) => d.optionDefs !== null);
    this.onError = onError;
  }

  /**
   * Kea's classifyPacket: ALL, the vendor class (`vendorClass`, already extracted by the server,
   * or null), then the tests that do not depend on KNOWN/UNKNOWN, in definition order.
   */
  classify(pkt: Pkt, vendorClass: string | null): void {
    pkt.addClass("ALL");
    if (vendorClass !== null) pkt.addClass(VENDOR_CLASS_PREFIX + vendorClass);
    this.run(pkt, this.early);
  }

  /** After the reservation lookup: KNOWN or UNKNOWN, the host's classes, then the late tests. */
  classifyKnown(pkt: Pkt, known: boolean, hostClasses: readonly string[]): void {
    for (const c of hostClasses) pkt.addClass(c);
    pkt.addClass(known ? "KNOWN" : "UNKNOWN");
    this.run(pkt, this.late);
  }

  /**
   * Kea's early global reservation lookup found the client's global reservation before the
   * subnet is selected: its classes, the tests that do not depend on KNOWN again (they may read
   * the reserved classes), KNOWN, then the tests that do.
   */
  classifyEarlyHost(pkt: Pkt, hostClasses: readonly string[]): void {
    if (hostClasses.length > 0) {
      for (const c of hostClasses) pkt.addClass(c);
      this.run(pkt, this.early);
    }
    pkt.addClass("KNOWN");
    this.run(pkt, this.late);
  }

  /**
   * Kea's requiredClassify: the classes a subnet or pool requires, tested now. A class not
   * defined adds nothing; one without a test adds nothing from `require-client-classes` (Kea
   * 2.2) and joins from `evaluate-additional-classes` (later Kea).
   */
  classifyRequired(pkt: Pkt, required: readonly RequiredClass[]): void {
    for (const r of required) {
      const def = this.byName.get(r.name);
      if (def === undefined || pkt.classes.has(r.name)) continue;
      if (def.test !== null || def.template !== null) this.test(pkt, def);
      else if (r.untestedJoins) pkt.addClass(r.name);
    }
  }

  private run(pkt: Pkt, list: readonly ClientClassDef[]): void {
    for (let i = 0; i < list.length; i++) this.test(pkt, list[i]!);
  }

  private test(pkt: Pkt, def: ClientClassDef): void {
    try {
      if (def.template !== null) this.spawn(pkt, def, def.template(pkt));
      else if (def.test!(pkt)) pkt.addClass(def.name);
    } catch (err) {
      this.onError(pkt, def.name, err);
    }
  }

  /**
   * A template class's value: none (empty) joins nothing; else the query joins the spawned class
   * SPAWN_<template>_<value> and then the template class, so that a class defined with the
   * spawned name comes first for options.
   */
  private spawn(pkt: Pkt, def: ClientClassDef, value: Buffer): void {
    if (value.length === 0) return;
    pkt.addClass(`${SPAWN_CLASS_PREFIX}${def.name}_${classNameText(value)}`);
    pkt.addClass(def.name);
  }

  /** The options of the packet's classes, in the order it joined them (for the option levels). */
  optionLevels(pkt: Pkt, out: CfgOption[]): void {
    if (!this.hasOptions) return;
    for (const name of pkt.classes) {
      const d = this.byName.get(name);
      if (d !== undefined && d.options.all.length > 0) out.push(d.options);
    }
  }

  /**
   * The definition of `code` (space "dhcp4") of the first of the packet's classes that defines
   * it in its own `option-def`, or undefined (Kea's deferredUnpack, first step).
   */
  classOptionDef(pkt: Pkt, code: number): OptionDefinition | undefined {
    if (!this.hasOptionDefs) return undefined;
    for (const name of pkt.classes) {
      const d = this.byName.get(name)?.optionDefs?.get("dhcp4", code, 4);
      if (d !== undefined) return d;
    }
    return undefined;
  }

  /** The valid lifetime of the first of the packet's classes that sets one (Kea's getValidLft). */
  validLifetime(pkt: Pkt): Triplet | undefined {
    if (!this.hasValidLifetime) return undefined;
    for (const name of pkt.classes) {
      const t = this.byName.get(name)?.validLifetime;
      if (t !== undefined) return t;
    }
    return undefined;
  }

  preferredLifetime(pkt: Pkt): Triplet | undefined {
    if (!this.hasPreferredLifetime) return undefined;
    for (const name of pkt.classes) {
      const t = this.byName.get(name)?.preferredLifetime;
      if (t !== undefined) return t;
    }
    return undefined;
  }

  /** The offer lifetime of the first of the packet's classes that sets one (Kea 2.6's getOfferLft). */
  offerLifetime(pkt: Pkt): number | undefined {
    if (!this.hasOfferLifetime) return undefined;
    for (const name of pkt.classes) {
      const t = this.byName.get(name)?.offerLifetime;
      if (t !== undefined) return t;
    }
    return undefined;
  }

  /**
   * Kea's setFixedFields step 2: for each of siaddr, sname and file, the first of the packet's
   * classes that sets it. Returns the fields found (0 / "" when none).
   */
  bootFields(pkt: Pkt): { nextServer: number; serverHostname: string; bootFileName: string } {
    let nextServer = 0;
    let serverHostname = "";
    let bootFileName = "";
    if (this.hasBootFields) {
      for (const name of pkt.classes) {
        const d = this.byName.get(name);
        if (d === undefined) continue;
        if (nextServer === 0) nextServer = d.nextServer;
        if (serverHostname === "") serverHostname = d.serverHostname;
        if (bootFileName === "") bootFileName = d.bootFileName;
      }
    }
    return { nextServer, serverHostname, bootFileName };
  }
}
