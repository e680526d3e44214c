/**
 * Nestor's security policy for configurations, after Kea 3's:
 *
 * - An HTTP control socket that anyone who reaches it could use: one listening on an address other
 *   than loopback, without `authentication`, is refused (a configuration error naming the file,
 *   the key and the reason). Anyone reaching such a port could `config-set`, `config-write` or
 *   `shutdown` the server.
 * - A configuration arriving through the control channel (`config-set`, `config-test`) may not
 *   name a hook library, a run_script script, a lease file, a log file, a unix control socket or
 *   a data directory outside the directories the configuration the server started with already
 *   uses for the same purpose (and `NESTOR_HOOKS_PATH` for libraries). Kea fixed CVE-2025-32801
 *   (config-set pointing a hook library at a file the server itself had written) by confining
 *   such paths; this is Nestor's form of the same rule. Files the server writes (leases, logs,
 *   sockets, the data directory) share one set of directories, and code (libraries, scripts)
 *   another, so a command can never turn a file the server wrote into code it loads.
 *
 * Both rules become warnings when the server runs with `-X` (Kea 3's flag). Configuration files
 * read at start or on SIGHUP keep Kea 2.2's freedom of paths: whoever can write them is already
 * trusted.
 */
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { libraryLocation } from "../../hooks/config.ts";
import { formatKeyPath, type JsonMap, type KeyPath } from "./kea-json.ts";
import type { Reporter } from "./source.ts";

let enforced = true;

/** `-X`: the policy's refusals become warnings. */
export function setSecurityChecks(enforce: boolean): void {
  enforced = enforce;
}

export function securityChecksEnforced(): boolean {
  return enforced;
}

type Obj = Record<string, unknown>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

/** Kea 3's default HTTP control socket address. */
const DEFAULT_HTTP_ADDRESS = "127.0.0.1";

/** The control-socket rule, in the configuration reader (start, reload, config-set, -t). */
export function checkSecurityPolicy(body: JsonMap, top: KeyPath, r: Reporter): void {
  const g = body as Obj;
  const sockets: [Obj, KeyPath][] = [];
  if (isMap(g["control-socket"])) sockets.push([g["control-socket"], [...top, "control-socket"]]);
  const list = g["control-sockets"];
  if (Array.isArray(list)) {
    list.forEach((s, i) => {
      if (isMap(s)) sockets.push([s, [...top, "control-sockets", i]]);
    });
  }
  for (const [s, path] of sockets) {
    const type = s["socket-type"];
    if (type !== "http" && type !== "https") continue;
    const address =
      typeof s["socket-address"] === "string" ? s["socket-address"] : DEFAULT_HTTP_ADDRESS;
    if (LOOPBACK.test(address) || isMap(s["authentication"])) continue;
    const reason =
      `security policy: an HTTP control socket on ${address} without 'authentication' lets ` +
      "anyone who reaches it reconfigure or stop the server; add 'authentication', listen on " +
      "a loopback address, or start the server with -X to accept it";
    if (enforced) r.fail(reason, path);
    r.warn(reason, path);
  }
}

/** What the configuration the server started with uses, by purpose. */
export interface ConfinedDirectories {
  /** Where code comes from: hook libraries and scripts. */
  readonly code: readonly string[];
  /** Where the server writes: lease files, log files, unix sockets, the data directory. */
  readonly written: readonly string[];
}

interface PathUse {
  kind: keyof ConfinedDirectories;
  path: string;
  key: KeyPath;
}

/** The paths a configuration body names, absolute (relative ones from `baseDir`). */
function pathsOf(body: Obj, top: KeyPath, baseDir: string): PathUse[] {
  const uses: PathUse[] = [];
  const add = (kind: PathUse["kind"], value: unknown, key: KeyPath) => {
    if (typeof value !== "string" || value === "") return;
    uses.push({ kind, path: resolve(baseDir, value), key });
  };
  const libs = body["hooks-libraries"];
  if (Array.isArray(libs)) {
    libs.forEach((lib, i) => {
      if (!isMap(lib)) return;
      const library = lib["library"];
      // A Kea shared object names one of Nestor's shipped libraries (or is refused anyway); a
      // package is looked for in NESTOR_HOOKS_PATH's node_modules, a relative path from there.
      const where = typeof library === "string" ? libraryLocation(library, baseDir) : undefined;
      if (where !== undefined) {
        uses.push({ kind: "code", path: where, key: [...top, "hooks-libraries", i, "library"] });
      }
      const params = lib["parameters"];
      if (typeof library === "string" && /run_script/.test(library) && isMap(params)) {
        add("code", params["name"], [...top, "hooks-libraries", i, "parameters", "name"]);
      }
    });
  }
  const db = body["lease-database"];
  if (isMap(db) && (db["type"] === undefined || db["type"] === "memfile")) {
    add("written", db["name"], [...top, "lease-database", "name"]);
  }
  const loggers = body["loggers"];
  if (Array.isArray(loggers)) {
    loggers.forEach((logger, i) => {
      if (!isMap(logger)) return;
      const outputs = logger["output-options"] ?? logger["output_options"];
      if (!Array.isArray(outputs)) return;
      outputs.forEach((o, j) => {
        if (!isMap(o)) return;
        const out = o["output"];
        if (typeof out !== "string" || /^(stdout|stderr|syslog(:.*)?)$/.test(out)) return;
        const key = logger["output-options"] !== undefined ? "output-options" : "output_options";
        add("written", out, [...top, "loggers", i, key, j, "output"]);
      });
    });
  }
  const sockets: [unknown, KeyPath][] = [[body["control-socket"], [...top, "control-socket"]]];
  const list = body["control-sockets"];
  if (Array.isArray(list))
    list.forEach((s, i) => sockets.push([s, [...top, "control-sockets", i]]));
  for (const [s, key] of sockets) {
    if (isMap(s) && s["socket-type"] === "unix") {
      add("written", s["socket-name"], [...key, "socket-name"]);
    }
  }
  if (body["data-directory"] !== undefined) {
    uses.push({
      kind: "written",
      path: resolve(baseDir, String(body["data-directory"]), "x"),
      key: [...top, "data-directory"],
    });
  }
  return uses;
}

/** The directories of what the start-up configuration uses, and NESTOR_HOOKS_PATH for code. */
export function confinedDirectories(body: object, baseDir: string): ConfinedDirectories {
  const code = new Set<string>();
  const written = new Set<string>();
  for (const use of pathsOf(body as Obj, [], baseDir)) {
    (use.kind === "code" ? code : written).add(dirname(use.path));
  }
  const hooksPath = process.env.NESTOR_HOOKS_PATH;
  if (hooksPath !== undefined && hooksPath !== "") code.add(resolve(hooksPath));
  return { code: [...code], written: [...written] };
}

function within(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/**
 * A configuration from the control channel against the start-up configuration's directories: the
 * first path outside them is refused (an Error naming the key and the reason), or logged through
 * `warn` under -X.
 */
export function checkConfinement(
  body: object,
  top: string,
  baseDir: string,
  allowed: ConfinedDirectories,
  warn: (text: string) => void,
): void {
  for (const use of pathsOf(body as Obj, [top], baseDir)) {
    const dirs = allowed[use.kind];
    if (dirs.some((d) => within(d, dirname(use.path)))) continue;
    const what = use.kind === "code" ? "code is loaded from" : "the server writes to";
    const shown = use.key.at(-1) === "data-directory" ? dirname(use.path) : use.path;
    const reason =
      `${formatKeyPath(use.key)}: security policy: '${shown}' is outside the directories ` +
      `${what} in the configuration the server started with ` +
      `(${dirs.length === 0 ? "none" : dirs.join(", ")}); a configuration sent over the ` +
      "control channel may not add new ones (start the server with -X to allow it)";
    if (enforced) throw new Error(reason);
    warn(reason);
  }
}

function isMap(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
