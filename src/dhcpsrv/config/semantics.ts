/**
 * The rules a schema cannot say, checked after ajv (so every value has its type): address and
 * prefix syntax, pools inside their subnet and apart from each other, subnet ids, lifetimes and
 * timers in order, one identifier per reservation, interface names, and the normalisations the
 * servers rely on (subnet ids assigned, min/max lifetimes filled, logger output lists merged).
 * Messages follow Kea 2.2's where Kea has one.
 */

import { posixToRegExp } from "../processing/client-name.ts";
import {
  addressText,
  checkInterfaceName,
  checkInterfaceSpec,
  contains,
  familyName,
  overlaps,
  parseAddress,
  parseIdentifier,
  parsePool,
  parsePrefix,
  prefixRange,
  type Range,
} from "./addresses.ts";
import { getStdOptionDefs } from "../../dhcp/index.ts";
import { compilePattern, PatternError } from "../../log/pattern.ts";
import type { JsonMap, JsonValue, KeyPath } from "./kea-json.ts";
import type { Family } from "./types.ts";
import type { Reporter } from "./source.ts";
import { DB_TLS_KEYS, parseDbAccess } from "../db/db-access.ts";
import { ConfigError } from "../../util/errors.ts";

type Obj = { [key: string]: JsonValue | undefined };

function num(o: Obj, key: string): number | undefined {
  const v = o[key];
  return typeof v === "number" ? v : undefined;
}

function text(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === "string" ? v : undefined;
}

function flag(o: Obj, key: string): boolean | undefined {
  const v = o[key];
  return typeof v === "boolean" ? v : undefined;
}

function maps(o: Obj, key: string): Obj[] {
  const v = o[key];
  return Array.isArray(v) ? (v as Obj[]) : [];
}

function strs(o: Obj, key: string): string[] {
  const v = o[key];
  return Array.isArray(v) ? (v as string[]) : [];
}

export function checkSemantics(body: JsonMap, family: Family, top: KeyPath, r: Reporter): void {
  const g = body as Obj;
  checkInterfaces(g, family, [...top, "interfaces-config"], r);
  checkLeaseDatabase(g, [...top, "lease-database"], r);
  checkHostsDatabases(g, top, r);
  const globals = checkNetworkLevel(g, undefined, family, top, r, true);
  if (family === 4) checkBootFields(g, top, r);
  checkOptionDefs(g, family, top, r);
  checkOptionData(g, family, top, r);
  checkClientClasses(g, family, top, r);
  checkHostIdentifiers(g, top, r);
  checkSubnets(g, family, top, globals, r);
  checkReservations(g, family, [...top, "reservations"], undefined, uniqueIps(g), r);
  checkHooks(g, top, r);
  checkLoggers(g, top, r);
  checkControlSockets(g, top, r);
  if (family === 6) {
    if (g["rapid-commit"] !== undefined) {
      r.fail(
        "rapid-commit is not a global parameter in Kea 2.2: set it in a subnet6 or a shared network",
        [...top, "rapid-commit"],
      );
    }
    checkServerId(g, [...top, "server-id"], r);
    checkV6Lists(g, top, r);
  }
}

function checkV6Lists(g: Obj, top: KeyPath, r: Reporter): void {
  const sources = strs(g, "mac-sources");
  sources.forEach((src, i) => {
    if (sources.indexOf(src) !== i) {
      r.fail(`The mac-sources value '${src}' was specified twice`, [...top, "mac-sources", i]);
    }
  });
  const std = getStdOptionDefs();
  strs(g, "relay-supplied-options").forEach((opt, i) => {
    const code = /^\d+$/.test(opt) ? Number(opt) : undefined;
    const known =
      code !== undefined ? code > 0 && code <= 65535 : std.getByName("dhcp6", opt, 6) !== undefined;
    if (!known) {
      r.fail(`unable to find option code for the specified option name '${opt}'`, [
        ...top,
        "relay-supplied-options",
        i,
      ]);
    }
  });
  if (text(g, "data-directory") === "") {
    r.fail("the data directory must not be empty", [...top, "data-directory"]);
  }
}

// ---------------------------------------------------------------------------------------------

function checkInterfaces(g: Obj, family: Family, path: KeyPath, r: Reporter): void {
  const cfg = g["interfaces-config"] as Obj;
  const specs = strs(cfg, "interfaces");
  specs.forEach((spec, i) => {
    const problem = checkInterfaceSpec(spec, family);
    if (problem !== undefined) r.fail(problem, [...path, "interfaces", i]);
    if (spec === "*" && specs.indexOf("*") !== i) {
      r.fail("the wildcard interface '*' can only be specified once", [...path, "interfaces", i]);
    }
  });
  if (cfg["outbound-interface"] === "use-routing" && cfg["dhcp-socket-type"] !== "udp") {
    r.fail('"use-routing" requires "dhcp-socket-type": "udp"', [...path, "outbound-interface"]);
  }
}

function checkLeaseDatabase(g: Obj, path: KeyPath, r: Reporter): void {
  const db = g["lease-database"] as Obj;
  const type = text(db, "type");
  if (type === "postgresql") {
    try {
      parseDbAccess(db, "");
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const key = e.path.split("/").filter((k) => k !== "");
      r.fail(e.reason, [...path, ...key]);
    }
    return;
  }
  if (type !== "memfile") {
    const known = ["mysql", "cql"].includes(type ?? "");
    r.fail(
      known
        ? `lease database type "${type}" is not supported by Nestor (only "memfile" and "postgresql")`
        : `unknown lease database type "${type}" (Nestor supports "memfile" and "postgresql")`,
      [...path, "type"],
    );
  }
  if (db["sync"] === "fdatasync" && db["persist"] === false) {
    r.fail('"sync": "fdatasync" needs a lease file ("persist": true)', [...path, "sync"]);
  }
  // Kea takes an empty name as no name: the default lease file.
  if (text(db, "name") === "") delete db["name"];
}

/**
 * `hosts-database` and each of `hosts-databases`: PostgreSQL only (Kea's schema, read through
 * src/dhcpsrv/hosts/), with a database name.
 */
function checkHostsDatabases(g: Obj, top: KeyPath, r: Reporter): void {
  const one = g["hosts-database"];
  const each: [Obj, KeyPath][] = [];
  if (one !== undefined) each.push([one as Obj, [...top, "hosts-database"]]);
  maps(g, "hosts-databases").forEach((db, i) => each.push([db, [...top, "hosts-databases", i]]));
  for (const [db, path] of each) {
    const type = text(db, "type");
    if (type !== "postgresql") {
      const known = ["mysql", "cql", "memfile"].includes(type ?? "");
      r.fail(
        known
          ? `hosts database type "${type}" is not supported by Nestor (only "postgresql")`
          : `unknown hosts database type "${type}" (Nestor supports "postgresql")`,
        [...path, "type"],
      );
      continue;
    }
    for (const key of DB_TLS_KEYS) {
      if (db[key] !== undefined) {
        r.fail(`"${key}": TLS to a PostgreSQL database is not supported (nor by Kea 2.2)`, [
          ...path,
          key,
        ]);
      }
    }
    const name = text(db, "name");
    if (name === undefined || name === "") {
      r.fail('a postgresql hosts database needs a "name"', [...path, "name"]);
    }
  }
}

interface Effective {
  readonly valid: number;
  readonly renew: number | undefined;
  readonly rebind: number | undefined;
  readonly calculate: boolean;
  readonly t1: number;
  readonly t2: number;
  readonly preferred: number | undefined;
}

/**
 * Lifetimes (Kea's triplet rules, level by level), T1/T2 order with values inherited from the
 * global level, and the t1/t2 percentages. At the global level min/max are filled from the
 * default, as Kea does.
 */
function checkNetworkLevel(
  o: Obj,
  inherited: Effective | undefined,
  family: Family,
  path: KeyPath,
  r: Reporter,
  global: boolean,
): Effective {
  const valid = checkTriplet(o, "valid-lifetime", path, r, global);
  const preferred =
    family === 6 ? checkTriplet(o, "preferred-lifetime", path, r, global) : undefined;
  const eff: Effective = {
    valid: valid ?? inherited?.valid ?? 7200,
    renew: num(o, "renew-timer") ?? inherited?.renew,
    rebind: num(o, "rebind-timer") ?? inherited?.rebind,
    calculate: flag(o, "calculate-tee-times") ?? inherited?.calculate ?? family === 6,
    t1: num(o, "t1-percent") ?? inherited?.t1 ?? 0.5,
    t2: num(o, "t2-percent") ?? inherited?.t2 ?? (family === 4 ? 0.875 : 0.8),
    preferred: preferred ?? inherited?.preferred,
  };
  const here = (key: string): KeyPath => [...path, key];
  const charSet = text(o, "hostname-char-set");
  if (charSet !== undefined && charSet !== "") {
    try {
      posixToRegExp(charSet);
    } catch (e) {
      r.fail(
        `hostname-char-set "${charSet}" is not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`,
        here("hostname-char-set"),
      );
    }
  }
  if (eff.renew !== undefined && eff.rebind !== undefined && eff.renew > eff.rebind) {
    const key = o["renew-timer"] !== undefined ? "renew-timer" : "rebind-timer";
    r.fail(
      `the value of renew-timer (${eff.renew}) is greater than the value of rebind-timer (${eff.rebind})`,
      here(key),
    );
  }
  // Kea 2.2 accepts a rebind-timer beyond the lifetime and then leaves it out of its replies:
  // the client never rebinds before its lease is gone. Nestor refuses it at the level where it
  // is written or where the lifetime is.
  const timersHere = ["renew-timer", "rebind-timer", "valid-lifetime"].some((k) => k in o);
  if ((global || timersHere) && eff.rebind !== undefined && eff.rebind > eff.valid) {
    r.fail(
      `the value of rebind-timer (${eff.rebind}) is greater than the value of valid-lifetime (${eff.valid})`,
      here(o["rebind-timer"] !== undefined ? "rebind-timer" : "valid-lifetime"),
    );
  }
  // Kea accepts timers not below the lifetime and then leaves them out of its replies.
  if (global || timersHere) {
    for (const [name, value] of [
      ["rebind-timer", eff.rebind],
      ["renew-timer", eff.renew],
    ] as const) {
      if (value !== undefined && value >= eff.valid) {
        r.warn(
          `${name} (${value}) is not less than valid-lifetime (${eff.valid}); clients will not be sent ${name === "renew-timer" ? "T1" : "T2"}`,
          here(o[name] !== undefined ? name : "valid-lifetime"),
        );
        break;
      }
    }
  }
  if (eff.calculate && eff.t1 >= eff.t2) {
    r.fail(
      `t1-percent: ${eff.t1} is invalid, it must be less than t2-percent: ${eff.t2}`,
      here(o["t1-percent"] !== undefined ? "t1-percent" : "t2-percent"),
    );
  }
  if (family === 6 && eff.preferred !== undefined && eff.preferred > eff.valid) {
    // Kea 2.2 accepts it and sends addresses whose preferred lifetime outlives them.
    if (global || o["preferred-lifetime"] !== undefined || o["valid-lifetime"] !== undefined) {
      r.fail(
        `the value of preferred-lifetime (${eff.preferred}) is greater than the value of valid-lifetime (${eff.valid}); RFC 8415 requires preferred <= valid`,
        here(o["preferred-lifetime"] !== undefined ? "preferred-lifetime" : "valid-lifetime"),
      );
    }
  }
  return eff;
}

/** Kea's `parseIntTriplet`: fills the missing bounds, then min <= default <= max. */
function checkTriplet(
  o: Obj,
  name: string,
  path: KeyPath,
  r: Reporter,
  fill: boolean,
): number | undefined {
  const minKey = `min-${name}`;
  const maxKey = `max-${name}`;
  let value = num(o, name);
  let min = num(o, minKey);
  let max = num(o, maxKey);
  if (value === undefined && min === undefined && max === undefined) return undefined;
  if (value === undefined) {
    if (min !== undefined && max !== undefined) {
      r.fail(`have ${minKey} and ${maxKey} but no default ${name}`, [...path, minKey]);
    }
    value = min ?? max;
  }
  min ??= value;
  max ??= value;
  if (min! > value!) {
    r.fail(`the value of ${minKey} (${min}) is not less than (default) ${name} (${value})`, [
      ...path,
      minKey,
    ]);
  }
  if (value! > max!) {
    r.fail(`the value of (default) ${name} (${value}) is not less than ${maxKey} (${max})`, [
      ...path,
      maxKey,
    ]);
  }
  if (fill) {
    o[minKey] = min!;
    o[maxKey] = max!;
  }
  return value;
}

function checkBootFields(o: Obj, path: KeyPath, r: Reporter): void {
  const next = text(o, "next-server");
  // Kea reads "" as 0.0.0.0 (no next server).
  if (next !== undefined && next !== "" && parseAddress(next, 4) === undefined) {
    r.fail(`"${next}" is not an IPv4 address`, [...path, "next-server"]);
  }
  const sname = text(o, "server-hostname");
  if (sname !== undefined && Buffer.byteLength(sname) > 63) {
    r.fail("server-hostname must be at most 63 bytes (the sname field is 64)", [
      ...path,
      "server-hostname",
    ]);
  }
  const file = text(o, "boot-file-name");
  if (file !== undefined && Buffer.byteLength(file) > 127) {
    r.fail("boot-file-name must be at most 127 bytes (the file field is 128)", [
      ...path,
      "boot-file-name",
    ]);
  }
}

// ---------------------------------------------------------------------------------------------
// Options

const OPTION_NAME = /^[A-Za-z0-9_-]+$/;

function maxCode(space: string, family: Family): number {
  if (space === "dhcp4") return 254;
  if (space === "dhcp6") return 65535;
  return family === 4 ? 255 : 65535;
}

function checkOptionDefs(g: Obj, family: Family, top: KeyPath, r: Reporter): void {
  const seen = new Map<string, number>();
  maps(g, "option-def").forEach((def, i) => {
    const path = [...top, "option-def", i];
    const name = text(def, "name")!;
    const space = text(def, "space")!;
    const code = num(def, "code")!;
    if (!OPTION_NAME.test(name)) {
      r.fail(`invalid option name "${name}": letters, digits, "-" and "_" only`, [...path, "name"]);
    }
    if (!OPTION_NAME.test(space))
      r.fail(`invalid option space name "${space}"`, [...path, "space"]);
    const max = maxCode(space, family);
    if (code < 1 || code > max) {
      r.fail(`option code ${code} is out of range for space "${space}" (1 to ${max})`, [
        ...path,
        "code",
      ]);
    }
    const std = getStdOptionDefs();
    if (std.get(space, code, family) !== undefined) {
      r.fail(
        `unable to override definition of option '${code}' in standard option space '${space}'`,
        [...path, "code"],
      );
    }
    if (std.getByName(space, name, family) !== undefined) {
      r.fail(`option name '${name}' is a standard option of space '${space}'`, [...path, "name"]);
    }
    if (def["type"] === "record" && text(def, "record-types") === "") {
      r.fail('an option of type "record" needs "record-types"', [...path, "record-types"]);
    }
    for (const k of [`${space}/code/${code}`, `${space}/name/${name}`]) {
      const prev = seen.get(k);
      if (prev !== undefined) {
        r.fail(
          `option definition ${name} (code ${code}) in space "${space}" is already defined by option-def[${prev}]`,
          path,
        );
      }
      seen.set(k, i);
    }
  });
}

function checkOptionData(o: Obj, family: Family, path: KeyPath, r: Reporter): void {
  maps(o, "option-data").forEach((opt, i) => {
    const p = [...path, "option-data", i];
    const name = text(opt, "name");
    const code = num(opt, "code");
    const space = text(opt, "space")!;
    if (name === undefined && code === undefined) {
      r.fail("option data configuration requires one of 'code' or 'name' parameters", p);
    }
    if (name !== undefined && !OPTION_NAME.test(name)) {
      r.fail(`invalid option name "${name}"`, [...p, "name"]);
    }
    if (!OPTION_NAME.test(space)) r.fail(`invalid option space name "${space}"`, [...p, "space"]);
    const max = maxCode(space, family);
    if (code !== undefined && (code < 1 || code > max)) {
      r.fail(`option code ${code} is out of range for space "${space}" (1 to ${max})`, [
        ...p,
        "code",
      ]);
    }
    if (opt["csv-format"] === false) {
      const data = (text(opt, "data") ?? "").replace(/[\s:]/g, "").replace(/^0x/i, "");
      if (!/^[0-9a-fA-F]*$/.test(data)) {
        r.fail("with csv-format false the data must be hexadecimal", [...p, "data"]);
      }
      // Kea 2.2 reads an odd number of digits (no separators) as if a 0 led them: "abc" is
      // 0a bc. A digit is more likely lost than meant, so Nestor refuses.
      const raw = (text(opt, "data") ?? "").trim().replace(/^0x/i, "");
      if (!/[\s:]/.test(raw) && raw.length % 2 === 1) {
        r.fail(
          `the hexadecimal data "${text(opt, "data")}" has an odd number of digits (${raw.length}): write every byte with two digits`,
          [...p, "data"],
        );
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Client classes

/**
 * The `client-classes` definitions: a name, not twice (Kea: "Client Class: X has already been
 * defined"), boot fields, lifetimes and options as at the other levels. The tests are compiled
 * with the option definitions when the servers build their model (src/dhcpsrv/classify).
 */
function checkClientClasses(g: Obj, family: Family, top: KeyPath, r: Reporter): void {
  const seen = new Map<string, number>();
  maps(g, "client-classes").forEach((c, i) => {
    const p = [...top, "client-classes", i];
    const name = text(c, "name")!;
    if (name.trim() === "") r.fail("not empty parameter 'name' is required", [...p, "name"]);
    const prev = seen.get(name);
    if (prev !== undefined) {
      r.fail(`Client Class: ${name} has already been defined (client-classes[${prev}])`, [
        ...p,
        "name",
      ]);
    }
    seen.set(name, i);
    if (text(c, "test") !== undefined && text(c, "template-test") !== undefined) {
      r.fail("a class has either 'test' or 'template-test' (a template class), not both", [
        ...p,
        "template-test",
      ]);
    }
    const oir = flag(c, "only-if-required");
    const oial = flag(c, "only-in-additional-list");
    if (oir !== undefined && oial !== undefined && oir !== oial) {
      r.fail('"only-if-required" and "only-in-additional-list" say different things', [
        ...p,
        "only-in-additional-list",
      ]);
    }
    checkTriplet(c, "valid-lifetime", p, r, false);
    if (family === 6) checkTriplet(c, "preferred-lifetime", p, r, false);
    if (family === 4) {
      checkBootFields(c, p, r);
      checkClassOptionDefs(c, p, r);
    }
    checkOptionData(c, family, p, r);
  });
}

/**
 * A class's own `option-def` (DHCPv4): checked as the global ones, and as Kea only for the
 * options whose layout depends on the client, those it unpacks after classification: option 43
 * and the private codes 224-254 of the "dhcp4" space.
 */
function checkClassOptionDefs(c: Obj, p: KeyPath, r: Reporter): void {
  checkOptionDefs(c, 4, p, r);
  maps(c, "option-def").forEach((def, i) => {
    const space = text(def, "space")!;
    const code = num(def, "code")!;
    if (space !== "dhcp4" || (code !== 43 && (code < 224 || code > 254))) {
      r.fail(
        `not allowed option definition for code '${code}' in space '${space}': a class may define only option 43 and codes 224-254 of space 'dhcp4'`,
        [...p, "option-def", i, "code"],
      );
    }
  });
}

/** Kea 3 refuses a subnet or pool with both spellings of its guard. */
function checkGuard(o: Obj, path: KeyPath, r: Reporter): void {
  if (o["client-class"] !== undefined && strs(o, "client-classes").length > 0) {
    r.fail(
      "cannot specify both 'client-class' (Kea 2.2) and 'client-classes': use only the latter",
      [...path, "client-class"],
    );
  }
  for (const key of ["client-classes", "require-client-classes", "evaluate-additional-classes"]) {
    strs(o, key).forEach((name, i) => {
      if (name.trim() === "") r.fail("a client class name must not be empty", [...path, key, i]);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Subnets, pools, reservations

/** Where a subnet is written: `subnet4[2]`, `shared-networks[0].subnet4[1]`. */
function where(path: KeyPath, top: KeyPath): string {
  return path
    .slice(top.length)
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`))
    .join("");
}

interface SubnetAt {
  s: Obj;
  path: KeyPath;
  inherited: Effective;
  network: Obj | undefined;
}

/**
 * The `shared-networks` entries: a name present, not empty and not used twice; the network's
 * own keys checked as a subnet's; its subnets are then checked with the top-level ones.
 */
function checkSharedNetworks(
  g: Obj,
  family: Family,
  top: KeyPath,
  globals: Effective,
  r: Reporter,
): SubnetAt[] {
  const key = family === 4 ? "subnet4" : "subnet6";
  const names = new Map<string, number>();
  const out: SubnetAt[] = [];
  maps(g, "shared-networks").forEach((n, ni) => {
    const np = [...top, "shared-networks", ni];
    const name = text(n, "name") ?? "";
    if (name.trim() === "") {
      r.fail("a shared network name must not be empty", [...np, "name"]);
    } else {
      const dup = names.get(name);
      if (dup !== undefined) {
        r.fail(
          `a shared network with the name '${name}' already exists (shared-networks[${dup}])`,
          [...np, "name"],
        );
      }
      names.set(name, ni);
    }
    const eff = checkNetworkLevel(n, globals, family, np, r, false);
    if (family === 4) checkBootFields(n, np, r);
    checkOptionData(n, family, np, r);
    checkInterfaceKeys(n, family, np, r);
    checkRelay(n, family, [...np, "relay"], r);
    checkGuard(n, np, r);
    maps(n, key).forEach((s, i) => {
      out.push({ s, path: [...np, key, i], inherited: eff, network: n });
    });
  });
  return out;
}

function checkInterfaceKeys(s: Obj, family: Family, path: KeyPath, r: Reporter): void {
  const iface = text(s, "interface");
  if (iface !== undefined) {
    const problem = checkInterfaceName(iface);
    if (problem !== undefined) r.fail(problem, [...path, "interface"]);
  }
  if (family === 6 && iface !== undefined && s["interface-id"] !== undefined) {
    r.fail(
      "interface (defined for locally reachable subnets) and interface-id (defined for subnets reachable via relays) cannot be defined at the same time",
      [...path, "interface-id"],
    );
  }
}

function checkSubnets(g: Obj, family: Family, top: KeyPath, globals: Effective, r: Reporter): void {
  const key = family === 4 ? "subnet4" : "subnet6";
  const all = checkSharedNetworks(g, family, top, globals, r);
  maps(g, key).forEach((s, i) => {
    all.push({ s, path: [...top, key, i], inherited: globals, network: undefined });
  });
  const byId = new Map<number, string>();
  const byPrefix = new Map<string, string>();
  let nextAuto = 1;
  for (const { s, path, inherited, network } of all) {
    const at = where(path, top);
    const prefix = parsePrefix(text(s, "subnet")!, family);
    if (typeof prefix === "string") r.fail(`invalid subnet: ${prefix}`, [...path, "subnet"]);
    const range = prefixRange(prefix, family);
    // Kea 2.2 accepts such a prefix and serves the network it masks to; an operator who wrote
    // 198.51.100.7/24 meant either an address or a network, so Nestor asks which.
    if (range.first !== prefix.address) {
      r.fail(
        `the subnet address has bits set beyond its /${prefix.length} prefix (did you mean ${addressText(range.first, family)}/${prefix.length}?)`,
        [...path, "subnet"],
      );
    }
    const canonical = `${range.first}/${prefix.length}`;
    const dupPrefix = byPrefix.get(canonical);
    if (dupPrefix !== undefined) {
      r.fail(`subnet with the prefix of '${text(s, "subnet")}' already exists (${dupPrefix})`, [
        ...path,
        "subnet",
      ]);
    }
    byPrefix.set(canonical, at);

    let id = num(s, "id") ?? 0;
    const auto = id === 0;
    if (auto) {
      // Kea 2.2 numbers subnets without an id in order, 1, 2, ..., whatever ids others have.
      id = nextAuto++;
      s["id"] = id;
    }
    const dupId = byId.get(id);
    if (dupId !== undefined) {
      r.fail(
        `ID of the new ${familyName(family)} subnet '${id}' is already in use by ${dupId}` +
          (auto ? " (this subnet has no id and was numbered automatically: give it one)" : ""),
        auto ? path : [...path, "id"],
      );
    }
    byId.set(id, at);

    checkNetworkLevel(s, inherited, family, path, r, false);
    if (family === 4) checkBootFields(s, path, r);
    checkOptionData(s, family, path, r);
    checkInterfaceKeys(s, family, path, r);
    if (network !== undefined) {
      // Kea: the subnets of a network are on the network's link, reached the same way.
      for (const k of family === 4 ? ["interface"] : ["interface", "interface-id"]) {
        const mine = text(s, k);
        const theirs = text(network, k);
        if (mine !== undefined && theirs !== undefined && mine !== theirs) {
          r.fail(
            `subnet ${text(s, "subnet")} has ${k} '${mine}' but its shared network '${text(network, "name")}' has ${k} '${theirs}'`,
            [...path, k],
          );
        }
      }
    }
    checkRelay(s, family, [...path, "relay"], r);
    checkGuard(s, path, r);
    const addressPools = checkPools(s, family, range, path, r);
    if (family === 6) checkPdPools(s, path, addressPools, r);
    checkReservations(s, family, [...path, "reservations"], range, uniqueIps(g), r);
  }
}

function checkRelay(s: Obj, family: Family, path: KeyPath, r: Reporter): void {
  const relay = s["relay"] as Obj | undefined;
  if (relay === undefined) return;
  const single = text(relay, "ip-address");
  if (single !== undefined) {
    if (strs(relay, "ip-addresses").length > 0 && r.written([...path, "ip-addresses"])) {
      r.fail('use either "ip-address" or "ip-addresses", not both', [...path, "ip-address"]);
    }
    if (parseAddress(single, family) === undefined) {
      r.fail(`"${single}" is not an ${familyName(family)} address`, [...path, "ip-address"]);
    }
    // Kea 2.2's older single-address form, folded into the list.
    relay["ip-addresses"] = [single];
    delete relay["ip-address"];
    r.source.moved([...path, "ip-address"], [...path, "ip-addresses", 0]);
  }
  strs(relay, "ip-addresses").forEach((a, i) => {
    if (parseAddress(a, family) === undefined) {
      r.fail(`"${a}" is not an ${familyName(family)} address`, [...path, "ip-addresses", i]);
    }
  });
}

function checkPools(s: Obj, family: Family, subnet: Range, path: KeyPath, r: Reporter): Range[] {
  const seen: Range[] = [];
  maps(s, "pools").forEach((pool, i) => {
    const p = [...path, "pools", i];
    const written = text(pool, "pool")!;
    const range = parsePool(written, family);
    if (typeof range === "string") r.fail(`invalid pool "${written}": ${range}`, [...p, "pool"]);
    if (!contains(subnet, range)) {
      r.fail(`pool ${written} is not inside its subnet ${text(s, "subnet")}`, [...p, "pool"]);
    }
    const clash = seen.findIndex((other) => overlaps(other, range));
    if (clash !== -1) {
      r.fail(`pool ${written} overlaps pools[${clash}] of the same subnet`, [...p, "pool"]);
    }
    seen.push(range);
    checkOptionData(pool, family, p, r);
    checkGuard(pool, p, r);
  });
  return seen;
}

/** Prefix pools; Kea also refuses one overlapping an address pool of the subnet. */
function checkPdPools(s: Obj, path: KeyPath, addressPools: Range[], r: Reporter): void {
  const seen: Range[] = [];
  maps(s, "pd-pools").forEach((pool, i) => {
    const p = [...path, "pd-pools", i];
    const prefixText = text(pool, "prefix")!;
    const address = parseAddress(prefixText, 6);
    if (address === undefined) r.fail(`"${prefixText}" is not an IPv6 address`, [...p, "prefix"]);
    const len = num(pool, "prefix-len")!;
    const delegated = num(pool, "delegated-len")!;
    if (delegated < len) {
      r.fail(
        `Delegated length (${delegated}) must be longer than or equal to prefix length (${len})`,
        [...p, "delegated-len"],
      );
    }
    const range = prefixRange({ address, length: len }, 6);
    if (range.first !== address) {
      r.fail(`prefix ${prefixText} has bits set beyond its /${len} length`, [...p, "prefix"]);
    }
    const excluded = text(pool, "excluded-prefix");
    const excludedLen = num(pool, "excluded-prefix-len");
    if ((excluded === undefined) !== (excludedLen === undefined || excludedLen === 0)) {
      r.fail('"excluded-prefix" and "excluded-prefix-len" go together', p);
    }
    if (excluded !== undefined && excludedLen !== undefined) {
      if (parseAddress(excluded, 6) === undefined) {
        r.fail(`"${excluded}" is not an IPv6 address`, [...p, "excluded-prefix"]);
      }
      if (excludedLen <= delegated) {
        r.fail(
          `excluded prefix length (${excludedLen}) must be longer than the delegated prefix length (${delegated})`,
          [...p, "excluded-prefix-len"],
        );
      }
      const first = prefixRange({ address, length: delegated }, 6).first;
      if (
        prefixRange({ address: parseAddress(excluded, 6)!, length: delegated }, 6).first !== first
      ) {
        r.fail(
          `excluded prefix ${excluded}/${excludedLen} must have the same common prefix part of ${delegated} as the delegated prefix ${prefixText}/${delegated}`,
          [...p, "excluded-prefix"],
        );
      }
    }
    const onAddresses = addressPools.findIndex((other) => overlaps(other, range));
    if (onAddresses !== -1) {
      r.fail(
        `pd-pool ${prefixText}/${len} overlaps the address pool pools[${onAddresses}] of the same subnet`,
        p,
      );
    }
    const clash = seen.findIndex((other) => overlaps(other, range));
    if (clash !== -1) {
      r.fail(`pd-pool ${prefixText}/${len} overlaps pd-pools[${clash}] of the same subnet`, p);
    }
    seen.push(range);
    checkOptionData(pool, 6, p, r);
    checkGuard(pool, p, r);
  });
}

const IDENTIFIERS: Record<Family, readonly string[]> = {
  4: ["hw-address", "duid", "circuit-id", "client-id", "flex-id"],
  6: ["duid", "hw-address", "flex-id"],
};

function checkHostIdentifiers(g: Obj, top: KeyPath, r: Reporter): void {
  const path = [...top, "host-reservation-identifiers"];
  const ids = strs(g, "host-reservation-identifiers");
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i)
      r.fail(`duplicate host reservation identifier "${id}"`, [...path, i]);
  });
}

/** `ip-reservations-unique` (default true): false lets several clients reserve one address. */
function uniqueIps(g: Obj): boolean {
  return g["ip-reservations-unique"] !== false;
}

/**
 * One identifier per reservation, well formed; addresses of the family and inside the subnet
 * (for subnet reservations); something reserved; no identifier twice in a scope, nor an address
 * unless `ip-reservations-unique` is false.
 */
function checkReservations(
  o: Obj,
  family: Family,
  path: KeyPath,
  subnet: Range | undefined,
  unique: boolean,
  r: Reporter,
): void {
  const byIdentifier = new Map<string, number>();
  const byAddress = new Map<bigint, number>();
  maps(o, "reservations").forEach((h, i) => {
    const p = [...path, i];
    const [kind, value] = checkIdentifier(h, family, p, r);
    const idKey = `${kind}=${value.toLowerCase().replace(/[:\s]|^0x/g, "")}`;
    const prev = byIdentifier.get(idKey);
    if (prev !== undefined) {
      r.fail(`the ${kind} '${value}' is already reserved by reservations[${prev}] of this scope`, [
        ...p,
        kind,
      ]);
    }
    byIdentifier.set(idKey, i);
    const addresses = reservedAddresses(h, family, p);
    for (const [a, ap] of addresses) {
      const v = parseAddress(a, family);
      if (v === undefined) r.fail(`"${a}" is not an ${familyName(family)} address`, ap);
      if (subnet !== undefined && (v < subnet.first || v > subnet.last)) {
        r.fail(
          `specified reservation '${a}' is not within the ${familyName(family)} subnet '${text(o, "subnet")}'`,
          ap,
        );
      }
      const dup = byAddress.get(v);
      if (dup !== undefined && unique) {
        r.fail(`there is already a reservation for ${a} (reservations[${dup}])`, ap);
      }
      byAddress.set(v, i);
    }
    strs(h, "prefixes").forEach((pre, k) => {
      const parsed = parsePrefix(pre, 6);
      if (typeof parsed === "string") {
        r.fail(`invalid prefix "${pre}": ${parsed}`, [...p, "prefixes", k]);
      }
    });
    if (!reservesSomething(h, addresses.length)) {
      r.fail(
        `specified reservation for ${kind} '${value}' must include at least one resource, i.e. ` +
          (family === 4
            ? "hostname, IPv4 address, options or boot fields"
            : "hostname, IPv6 address/prefix, options"),
        p,
      );
    }
    if (family === 4) checkBootFields(h, p, r);
    checkOptionData(h, family, p, r);
  });
}

/** The reservation's one identifier, as [kind, value]; Kea's messages when there is not one. */
function checkIdentifier(h: Obj, family: Family, p: KeyPath, r: Reporter): [string, string] {
  const present = IDENTIFIERS[family].filter((k) => h[k] !== undefined);
  if (present.length === 0) {
    r.fail(
      `one of the supported identifiers must be specified for host reservation: ${IDENTIFIERS[family].join(", ")}`,
      p,
    );
  }
  if (present.length > 1) {
    r.fail(`the '${present[0]}' and '${present[1]}' are mutually exclusive`, [...p, present[1]!]);
  }
  const kind = present[0]!;
  const value = text(h, kind)!;
  const length = parseIdentifier(value, kind !== "hw-address");
  if (length === undefined || (kind === "hw-address" && length > 20)) {
    r.fail(`invalid host identifier value '${value}'`, [...p, kind]);
  }
  return [kind, value];
}

function reservedAddresses(h: Obj, family: Family, p: KeyPath): [string, KeyPath][] {
  if (family === 6) {
    return strs(h, "ip-addresses").map((a, k) => [a, [...p, "ip-addresses", k]]);
  }
  const a = text(h, "ip-address");
  return a === undefined ? [] : [[a, [...p, "ip-address"]]];
}

/** Kea refuses a reservation that gives the client nothing. */
function reservesSomething(h: Obj, addresses: number): boolean {
  return (
    text(h, "hostname") !== "" ||
    addresses > 0 ||
    strs(h, "prefixes").length > 0 ||
    maps(h, "option-data").length > 0 ||
    strs(h, "client-classes").length > 0 ||
    ["next-server", "server-hostname", "boot-file-name"].some((k) => h[k] !== undefined)
  );
}

// ---------------------------------------------------------------------------------------------
// Hooks, loggers, control sockets, server id

function checkHooks(g: Obj, top: KeyPath, r: Reporter): void {
  maps(g, "hooks-libraries").forEach((lib, i) => {
    if (text(lib, "library")!.trim() === "") {
      r.fail("the library path must not be empty", [...top, "hooks-libraries", i, "library"]);
    }
  });
}

const SEVERITIES = ["FATAL", "ERROR", "WARN", "INFO", "DEBUG", "NONE"];

function checkLoggers(g: Obj, top: KeyPath, r: Reporter): void {
  maps(g, "loggers").forEach((logger, i) => {
    const p = [...top, "loggers", i];
    if (text(logger, "name")!.trim() === "")
      r.fail("the logger name must not be empty", [...p, "name"]);
    const severity = text(logger, "severity");
    if (severity !== undefined) {
      const upper = severity.toUpperCase();
      if (!SEVERITIES.includes(upper)) {
        r.fail(`unknown severity "${severity}", expected one of ${SEVERITIES.join(", ")}`, [
          ...p,
          "severity",
        ]);
      }
      logger["severity"] = upper;
    }
    const old = logger["output_options"];
    if (old !== undefined && logger["output-options"] !== undefined) {
      r.fail('use either "output_options" (Kea 2.2) or "output-options", not both', [
        ...p,
        "output_options",
      ]);
    }
    if (old !== undefined) {
      logger["output-options"] = old;
      delete logger["output_options"];
      r.source.moved([...p, "output_options"], [...p, "output-options"]);
    }
    logger["output-options"] ??= [];
    maps(logger, "output-options").forEach((out, k) => {
      if (text(out, "output")!.trim() === "") {
        r.fail("the output must not be empty", [...p, "output-options", k, "output"]);
      }
      const pattern = out["pattern"];
      if (typeof pattern === "string" && pattern !== "") {
        try {
          compilePattern(pattern);
        } catch (e) {
          if (!(e instanceof PatternError)) throw e;
          r.fail(e.message, [...p, "output-options", k, "pattern"]);
        }
      }
    });
  });
}

function checkControlSockets(g: Obj, top: KeyPath, r: Reporter): void {
  if (g["control-socket"] !== undefined && g["control-sockets"] !== undefined) {
    r.fail('use either "control-socket" or "control-sockets", not both', [
      ...top,
      "control-sockets",
    ]);
  }
  const sockets: [Obj, KeyPath][] = [];
  if (g["control-socket"] !== undefined)
    sockets.push([g["control-socket"] as Obj, [...top, "control-socket"]]);
  maps(g, "control-sockets").forEach((s, i) => sockets.push([s, [...top, "control-sockets", i]]));
  for (const [s, p] of sockets) {
    if (s["socket-type"] === "unix") {
      const name = text(s, "socket-name");
      if (name === undefined || name === "") {
        r.fail("Mandatory 'socket-name' parameter missing for a unix control socket", p);
      }
    } else {
      const address = text(s, "socket-address");
      if (
        address !== undefined &&
        parseAddress(address, 4) === undefined &&
        parseAddress(address, 6) === undefined
      ) {
        r.fail(`"${address}" is not an IP address`, [...p, "socket-address"]);
      }
    }
  }
}

function checkServerId(g: Obj, path: KeyPath, r: Reporter): void {
  const sid = g["server-id"] as Obj;
  const id = text(sid, "identifier")!;
  if (id !== "" && parseIdentifier(id, false) === undefined) {
    r.fail(`invalid server identifier "${id}": expected hexadecimal bytes`, [
      ...path,
      "identifier",
    ]);
  }
}
