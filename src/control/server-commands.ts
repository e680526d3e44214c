/**
 * The built-in commands of a DHCP server (Kea's ControlledDhcpv4Srv / v6 handlers), over the
 * ControlledServer interface, with Kea's arguments, answers and texts
 * (../shared/reference/arm-ctrl-channel.rst, arm-stats.rst).
 */
import { createHash } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { ControlAnswer, ControlCommand, JsonObject, JsonValue } from "../hooks/types.ts";
import {
  CommandError,
  argumentsMap,
  createAnswer,
  integerArgument,
  stringArgument,
} from "./answer.ts";
import type { CommandHandler, CommandMgr } from "./command-mgr.ts";
import type { ControlledServer } from "./controlled-server.ts";
import { NetworkState } from "./network-state.ts";

export interface ServerCommandsOptions {
  /** shutdown: called once the answer is on its way, with the requested exit value. */
  onShutdown?: (exitValue: number) => void;
  /** Checks a new configuration body beyond what the server checks (the control sockets). */
  checkConfig?: (body: JsonObject) => void;
  /** After a new configuration is in place (the control sockets follow it). */
  onConfigured?: () => void;
}

/** Registers every built-in command on `mgr`; returns the service state dhcp-disable drives. */
export function registerServerCommands(
  mgr: CommandMgr,
  server: ControlledServer,
  options: ServerCommandsOptions = {},
): NetworkState {
  const state = new NetworkState((enabled) => server.setServiceEnabled(enabled));
  const key = server.configKey;
  const label = server.serviceName === "dhcp6" ? "DHCPv6" : "DHCPv4";
  const running = (): JsonObject => ({ [key]: server.configuration as JsonValue });
  const hash = () => configHash(running());
  const add = (name: string, fn: CommandHandler) => mgr.registerCommand(name, fn);

  add("version-get", () =>
    createAnswer(0, server.version, {
      extended: `${server.version}\nNestor ${label} server, Node.js ${process.version}`,
    }),
  );
  add("build-report", () => createAnswer(0, buildReport(server.version)));
  add("status-get", () => {
    const now = Date.now();
    return createAnswer(0, undefined, {
      pid: process.pid,
      uptime: Math.floor((now - server.startedAt) / 1000),
      reload: Math.floor((now - server.configuredAt) / 1000),
      "multi-threading-enabled": false,
      ...server.status?.(),
      sockets: { status: "ready" },
      "dhcp-state": state.toJSON(),
    });
  });
  add("server-tag-get", () =>
    createAnswer(0, undefined, {
      "server-tag": String((server.configuration as { "server-tag"?: string })["server-tag"] ?? ""),
    }),
  );

  add("config-get", () => createAnswer(0, undefined, { ...running(), hash: hash() }));
  add("config-hash-get", () => createAnswer(0, undefined, { hash: hash() }));
  add("config-test", async (c) => {
    const doc = configArgument(c, key);
    try {
      options.checkConfig?.(doc[key] as JsonObject);
      await server.testConfig(doc);
    } catch (e) {
      throw new CommandError(message(e));
    }
    return createAnswer(
      0,
      "Configuration seems sane. Control-socket, hook-libraries, and D2 configuration were sanity checked, but not applied.",
    );
  });
  add("config-set", async (c) => {
    const doc = configArgument(c, key);
    try {
      options.checkConfig?.(doc[key] as JsonObject);
      await server.setConfig(doc);
    } catch (e) {
      throw new CommandError(message(e));
    }
    options.onConfigured?.();
    return createAnswer(0, "Configuration successful.", { hash: hash() });
  });
  add("config-reload", async () => {
    try {
      await server.reload();
    } catch (e) {
      throw new CommandError(`Config reload failed: ${message(e)}`);
    }
    options.onConfigured?.();
    return createAnswer(0, "Configuration successful.", { hash: hash() });
  });
  add("config-write", (c) => {
    const args = argumentsMap(c);
    const given = args["filename"];
    if (given !== undefined && typeof given !== "string") {
      throw new CommandError("'filename' parameter expected to be a string.");
    }
    const file = writablePath(server.configFile, given);
    const text = JSON.stringify(running(), null, 2) + "\n";
    try {
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, file);
    } catch (e) {
      throw new CommandError(`Unable to write configuration file ${file}: ${message(e)}`);
    }
    return createAnswer(0, `Configuration written to ${file} successful`, {
      filename: file,
      size: Buffer.byteLength(text),
    });
  });
  add("libreload", async (c) => {
    // Kea's libreload takes no arguments (and ignores any); Nestor's addition: {"library": ...}
    // reloads that library only.
    const args = c.arguments;
    const library =
      typeof args === "object" && args !== null && !Array.isArray(args) && "library" in args
        ? stringArgument(args, "library")
        : undefined;
    try {
      await server.reloadLibraries(library);
    } catch (e) {
      throw new CommandError(`Failed to reload hooks libraries: ${message(e)}`);
    }
    return createAnswer(
      0,
      library === undefined
        ? "Hooks libraries successfully reloaded."
        : `Hooks library '${library}' successfully reloaded.`,
    );
  });
  add("shutdown", (c) => {
    const exitValue = integerArgument(argumentsMap(c), "exit-value", 0);
    setImmediate(() => options.onShutdown?.(exitValue));
    return createAnswer(0, "Shutting down.");
  });
  add("leases-reclaim", async (c) => {
    const remove = argumentsMap(c, true)["remove"];
    if (remove === undefined) throw new CommandError("Missing mandatory 'remove' parameter.");
    if (typeof remove !== "boolean") {
      throw new CommandError("'remove' parameter expected to be a boolean.");
    }
    await server.reclaimNow(remove);
    return createAnswer(0, "Reclamation of expired leases is complete.");
  });

  add("dhcp-disable", (c) => {
    const args = argumentsMap(c);
    const origin = originArgument(args);
    let maxPeriod: number | undefined;
    if (args["max-period"] !== undefined) {
      maxPeriod = integerArgument(args, "max-period");
      if (maxPeriod <= 0) throw new CommandError("'max-period' must be positive integer");
    }
    state.disable(origin, maxPeriod);
    const text =
      maxPeriod === undefined
        ? `${label} service disabled`
        : `${label} service disabled for ${maxPeriod} seconds`;
    return createAnswer(0, text);
  });
  add("dhcp-enable", (c) => {
    state.enable(originArgument(argumentsMap(c)));
    return createAnswer(0, "DHCP service successfully enabled");
  });

  registerStatisticCommands(mgr, server);
  return state;
}

function registerStatisticCommands(mgr: CommandMgr, server: ControlledServer): void {
  const stats = server.stats;
  const add = (name: string, fn: (args: Record<string, JsonValue>) => ControlAnswer, args = true) =>
    mgr.registerCommand(name, (c) => fn(argumentsMap(c, args)));
  const named = (args: Record<string, JsonValue>) => stringArgument(args, "name");
  const found = (ok: boolean, name: string) => {
    if (!ok) throw new CommandError(`No '${name}' statistic found`);
  };

  add("statistic-get", (a) => createAnswer(0, undefined, stats.sampleMap(named(a)) as JsonObject));
  add(
    "statistic-get-all",
    () => createAnswer(0, undefined, stats.allSamples() as JsonObject),
    false,
  );
  add(
    "statistic-global-get-all",
    () =>
      createAnswer(0, undefined, stats.allSamples((n) => !n.startsWith("subnet[")) as JsonObject),
    false,
  );
  add("statistic-reset", (a) => {
    const name = named(a);
    found(stats.reset(name), name);
    return createAnswer(0, `Statistic '${name}' reset.`);
  });
  add(
    "statistic-reset-all",
    () => {
      stats.resetAll();
      return createAnswer(0, "All statistics reset to neutral values.");
    },
    false,
  );
  add("statistic-remove", (a) => {
    const name = named(a);
    found(stats.remove(name), name);
    return createAnswer(0, `Statistic '${name}' removed.`);
  });
  add(
    "statistic-remove-all",
    () => {
      stats.removeAll();
      // Kea 2.2's text, deprecation warning included, for the tools that match it.
      return createAnswer(
        0,
        "Warning: statistic-remove-all command is deprecated. All statistics removed.",
      );
    },
    false,
  );
  add("statistic-sample-age-set", (a) => {
    const name = named(a);
    const duration = nonNegative(a, "duration");
    found(stats.setMaxSampleAge(name, duration), name);
    return createAnswer(0, `Statistic '${name}' duration limit is set.`);
  });
  add("statistic-sample-age-set-all", (a) => {
    stats.setMaxSampleAgeAll(nonNegative(a, "duration"));
    return createAnswer(0, "All statistics duration limit are set.");
  });
  add("statistic-sample-count-set", (a) => {
    const name = named(a);
    const n = positive(a, "max-samples");
    found(stats.setMaxSampleCount(name, n), name);
    return createAnswer(0, `Statistic '${name}' count limit is set.`);
  });
  add("statistic-sample-count-set-all", (a) => {
    stats.setMaxSampleCountAll(positive(a, "max-samples"));
    return createAnswer(0, "All statistics count limit are set.");
  });
}

function nonNegative(args: Record<string, JsonValue>, name: string): number {
  const v = integerArgument(args, name);
  if (v < 0) throw new CommandError(`'${name}' parameter must not be negative.`);
  return v;
}

function positive(args: Record<string, JsonValue>, name: string): number {
  const v = integerArgument(args, name);
  // Kea 2.2's text (its -all form); Kea takes 0 for one statistic and then cannot show it,
  // Nestor refuses it there too.
  if (v === 0) throw new CommandError(`'${name}' parameter must not be zero`);
  if (v < 0) throw new CommandError(`'${name}' parameter must not be negative.`);
  return v;
}

/** config-set / config-test: `{ "Dhcp4": {...} }` and nothing else. */
function configArgument(c: ControlCommand, key: string): JsonObject {
  const args = argumentsMap(c, true);
  for (const k of Object.keys(args)) {
    if (k !== key) throw new CommandError(`Unsupported '${k}' parameter`);
  }
  const body = args[key];
  if (body === undefined) throw new CommandError(`Missing mandatory '${key}' parameter`);
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new CommandError(`'${key}' parameter expected to be a map.`);
  }
  return { [key]: body };
}

/** dhcp-disable / dhcp-enable: `origin` ("user", "ha-partner" or a number), `origin-id`. */
function originArgument(args: Record<string, JsonValue>): string {
  const id = args["origin-id"];
  if (id !== undefined) {
    if (typeof id !== "number" || !Number.isInteger(id)) {
      throw new CommandError("'origin-id' argument must be a number");
    }
    return id === 1 ? "user" : `origin-${id}`;
  }
  const origin = args["origin"];
  if (origin === undefined || origin === "user") return "user";
  if (origin === "ha-partner") return origin;
  if (typeof origin === "number" && Number.isInteger(origin)) {
    return origin === 1 ? "user" : `origin-${origin}`;
  }
  throw new CommandError(`invalid value used for 'origin' parameter: ${JSON.stringify(origin)}`);
}

/**
 * config-write's file: the -c file by default; a relative name is taken in its directory, and the
 * file must be in that directory (Kea 2.7.9 and later), so the channel cannot write elsewhere.
 */
function writablePath(configFile: string, given: string | undefined): string {
  const dir = dirname(resolve(configFile));
  const file = given === undefined || given === "" ? resolve(configFile) : resolve(dir, given);
  if (dirname(file) !== dir) {
    throw new CommandError(
      `not allowed to write config into ${file}: the file must be in ${dir}, the directory of the configuration file`,
    );
  }
  return file;
}

/** SHA-256 of the configuration's JSON text, upper-case hex as Kea prints it. */
export function configHash(document: JsonObject): string {
  return createHash("sha256").update(JSON.stringify(document)).digest("hex").toUpperCase();
}

function buildReport(version: string): string {
  return [
    `Nestor ${version}`,
    `Node.js ${process.version} (V8 ${process.versions.v8}, OpenSSL ${process.versions.openssl})`,
    `Platform: ${process.platform} ${process.arch}`,
    "Lease backends: memfile",
    "Hook libraries: ES modules (JavaScript or TypeScript)",
  ].join("\n");
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
