/**
 * What nestor-dhcp4 and nestor-dhcp6 share: Kea's flags with Kea's meaning,
 *   -c FILE  run with this configuration      -t FILE  check it and exit (0 good, 1 bad)
 *   -p PORT  server port (67 / 547)           -P PORT  client port (68 / 546)
 *   -d       debug logging                    -v / -V  version / extended version
 *   -h, --help  the usage below                --version  as -v
 *   -X       the security policy's refusals become warnings (Kea 3's flag; config/security.ts)
 * SIGHUP is config-reload (a bad file is refused and the running configuration stays); SIGTERM
 * and SIGINT stop cleanly (libraries unloaded, leases flushed); the control sockets of the
 * configuration take Kea's commands (docs/control-channel.md).
 *
 * One server per configuration, as in Kea: -c writes `<config base name>.nestor-dhcpN.pid` into
 * the run directory (NESTOR_PIDFILE_DIR, else KEA_PIDFILE_DIR, else the lease file's directory)
 * and refuses to start (DHCPN_ALREADY_RUNNING, exit 1) while it names a live process; the file is
 * removed when the server stops. -t takes no PID file.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, parse } from "node:path";
import { parseArgs } from "node:util";
import { setSecurityChecks } from "../dhcpsrv/config/security.ts";
import { ControlChannel } from "../control/control-channel.ts";
import type { ControlledServer } from "../control/controlled-server.ts";
import { loadConfigFile } from "../dhcpsrv/config/index.ts";
import type { ConfigSource } from "../dhcpsrv/config/source.ts";
import type { ConfigOf, Family } from "../dhcpsrv/config/types.ts";
import { leaseFilePath, parameterPositions, VERSION } from "../dhcpsrv/runtime/server-runtime.ts";
import { parseHooksLibraries } from "../hooks/config.ts";
import { HooksManager } from "../hooks/hooks-manager.ts";
import { listInterfaces } from "../dhcpsrv/iface/interfaces.ts";
import { loadNative } from "../dhcpsrv/iface/native.ts";
import { checkDirectories, checkInterfacesExist } from "../dhcpsrv/runtime/config-checks.ts";
import { registerProduct } from "../dhcpsrv/runtime/product.ts";
import { logConfigFailure } from "../dhcpsrv/runtime/start-failure.ts";
import { defaultLogManager, defineMessages, flushLogs, type LogManager } from "../log/logger.ts";
import { acquirePidFile, PidFileBusy, releasePidFile } from "../util/pid-file.ts";

defineMessages({
  DHCP4_ALREADY_RUNNING: "%1 already running? PID file %2 names process %3",
  DHCP6_ALREADY_RUNNING: "%1 already running? PID file %2 names process %3",
});

/** The running server as the command line sees it. */
export interface CliServer extends ControlledServer {
  readonly port: number;
  readonly iface: {
    interfaces(): readonly { name: string; addresses: readonly { address: string }[] }[];
  };
  readonly model: { subnets: readonly unknown[] };
  stop(): Promise<void>;
  /** Called when the server must end (a database lost for good, Kea's on-fail). */
  onExit: ((exitValue: number) => void) | null;
}

export interface ServerCliSpec<F extends Family> {
  family: F;
  /** Builds the runtime model, so that -t finds what a start would refuse. */
  buildModel(config: ConfigOf<F>, file: string, source: ConfigSource): unknown;
  /** The server class. */
  server: {
    start(options: {
      configFile: string;
      serverPort: number | undefined;
      clientPort: number | undefined;
      debug: boolean;
      logs: LogManager;
    }): Promise<CliServer>;
  };
  /** The npm script that tries a loopback-only server (printed once serving). */
  tryScript?: string;
}

/** -p's and -P's defaults (Kea's server and client ports). */
const SERVER_PORT = { 4: 67, 6: 547 } as const;
const CLIENT_PORT = { 4: 68, 6: 546 } as const;

export async function runServerCli<F extends Family>(spec: ServerCliSpec<F>): Promise<void> {
  const name = `nestor-dhcp${spec.family}`;
  const usage = `Usage: ${name} -c FILE [-p PORT] [-P PORT] [-d] [-X]
       ${name} -t FILE [-X]
       ${name} -v | -V | -h`;
  const help = `${usage}
Options:
  -c FILE        run with this configuration file (Kea's Dhcp${spec.family} format)
  -t FILE        check this configuration file and exit: 0 if good, 1 if not
  -p PORT        the server port (default ${SERVER_PORT[spec.family]})
  -P PORT        the client port (default ${CLIENT_PORT[spec.family]})
  -d             debug logging
  -X             accept what the security policy refuses, with a warning: an HTTP control
                 socket off loopback without authentication, and paths from config-set
                 outside the directories the start-up configuration uses
  -v, --version  print the version and exit
  -V             print the extended version and exit
  -h, --help     print this help and exit
Signals: SIGHUP reloads the configuration file; SIGTERM and SIGINT stop cleanly.
`;
  const fail: (message: string) => never = (message) => {
    process.stderr.write(`${message}\n${usage}\n`);
    process.exit(1);
  };
  const port = (text: string | undefined, flag: string): number | undefined => {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      fail(`${flag} must be a port number, got '${text}'`);
    return n;
  };
  let args;
  try {
    args = parseArgs({
      options: {
        c: { type: "string" },
        t: { type: "string" },
        p: { type: "string" },
        P: { type: "string" },
        d: { type: "boolean" },
        v: { type: "boolean" },
        V: { type: "boolean" },
        W: { type: "boolean" },
        X: { type: "boolean" },
        version: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  if (args.help === true) return void process.stdout.write(help);
  if (args.v === true || args.version === true) return void process.stdout.write(`${VERSION}\n`);
  if (args.V === true) {
    process.stdout.write(
      `${VERSION}\nNestor DHCPv${spec.family} server, Node.js ${process.version}\n`,
    );
    return;
  }
  if (args.X === true) setSecurityChecks(false);
  if (args.t !== undefined) process.exit(await check(spec, args.t));
  if (args.c === undefined) fail("a configuration file is required (-c FILE)");
  const configFile = args.c;
  const logs = defaultLogManager;
  logs.setRootName(name);
  const pidFile = takePidFile(spec.family, configFile, logs);
  let server: CliServer;
  try {
    server = await spec.server.start({
      configFile,
      serverPort: port(args.p, "-p"),
      clientPort: port(args.P, "-P"),
      debug: args.d === true,
      logs,
    });
  } catch (e) {
    logConfigFailure(logs.getLogger(`dhcp${spec.family}`), spec.family, configFile, e, true);
    process.stderr.write(`${name}: cannot start: ${e instanceof Error ? e.message : String(e)}\n`);
    flushLogs();
    process.exit(1);
  }
  let channel: ControlChannel | null = null;
  let stopping = false;
  const stop = (why: string, exitValue = 0) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${name}: ${why}, stopping\n`);
    const done = async () => {
      await channel?.close();
      await server.stop();
      if (pidFile !== null) releasePidFile(pidFile);
    };
    done().then(
      () => process.exit(exitValue),
      (e: unknown) => {
        process.stderr.write(`${name}: error while stopping: ${String(e)}\n`);
        flushLogs();
        process.exit(1);
      },
    );
  };
  server.onExit = (exitValue) => stop("a database connection was lost for good", exitValue);
  const control = await ControlChannel.start(server, {
    onShutdown: (exitValue) => stop("shutdown command", exitValue),
  });
  channel = control;
  // Before the ready lines below: a supervisor may stop the server as soon as it reads them.
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  const listening = server.iface
    .interfaces()
    .map((i) => `${i.name} (${i.addresses.map((a) => a.address).join(", ")})`);
  process.stdout.write(
    `${name} ${VERSION}: serving ${server.model.subnets.length} subnet(s) on ` +
      `${listening.join(", ") || "no interface"}, port ${server.port}\n`,
  );
  if (spec.tryScript !== undefined) {
    const clientPort = port(args.P, "-P") ?? CLIENT_PORT[spec.family];
    const relay = spec.family === 4 ? "127.0.0.1" : "::1";
    process.stdout.write(loopbackHint(server, spec.tryScript, relay, clientPort, configFile));
  }
  const { unix, http } = control.endpoints;
  if (pidFile !== null) process.stdout.write(`PID file: ${pidFile}\n`);
  for (const path of unix) process.stdout.write(`control socket: ${path}\n`);
  for (const h of http) {
    process.stdout.write(`control socket: ${h.tls ? "https" : "http"}://${h.address}:${h.port}/\n`);
  }
  // SIGHUP is config-reload, as in Kea: the control sockets follow the new file too.
  process.on("SIGHUP", () => {
    void control.processCommand({ command: "config-reload" }).then((answer) => {
      if (answer.result === 0) process.stdout.write(`${name}: configuration reloaded\n`);
      // else logged by the server; the running configuration stays
    });
  });
}

/**
 * The run directory: NESTOR_PIDFILE_DIR, else KEA_PIDFILE_DIR (Kea's variable), else the
 * directory of the configuration's lease file, which the server writes anyway (`var/` for
 * `npm start`), or of the configuration file when leases are not persisted. null when the file
 * cannot be read: the start fails and says why.
 */
export function pidFileDirectory(family: Family, configFile: string): string | null {
  for (const v of ["NESTOR_PIDFILE_DIR", "KEA_PIDFILE_DIR"]) {
    const dir = process.env[v];
    if (dir !== undefined && dir !== "") return dir;
  }
  let db;
  try {
    db = loadConfigFile(configFile, family).config["lease-database"];
  } catch {
    return null;
  }
  if (!db.persist || db.type !== "memfile") return dirname(configFile);
  const dir = dirname(leaseFilePath(db, configFile, family));
  // A lease file's directory that is missing refuses the configuration: not created here.
  return db.name === undefined || existsSync(dir) ? dir : null;
}

/** Kea's name: the configuration file's base name without its extension, then the program. */
export function pidFileName(family: Family, configFile: string): string {
  return `${parse(configFile).name}.nestor-dhcp${family}.pid`;
}

/**
 * Writes this process's PID file (removed at exit), or exits 1: DHCPN_ALREADY_RUNNING when it
 * names a live process (the file stays), or when it cannot be written.
 */
function takePidFile(family: Family, configFile: string, logs: LogManager): string | null {
  const dir = pidFileDirectory(family, configFile);
  if (dir === null) return null;
  const file = join(dir, pidFileName(family, configFile));
  const name = `nestor-dhcp${family}`;
  try {
    mkdirSync(dir, { recursive: true });
    acquirePidFile(file);
  } catch (e) {
    if (e instanceof PidFileBusy) {
      logs.getLogger(`dhcp${family}`).fatal(`DHCP${family}_ALREADY_RUNNING`, name, e.path, e.pid);
    } else {
      const why = e instanceof Error ? e.message : String(e);
      process.stderr.write(`${name}: cannot write PID file ${file}: ${why}\n`);
    }
    process.exit(1);
  }
  process.on("exit", () => releasePidFile(file));
  return file;
}

/**
 * Whether this server runs from the project's sources (`npm start`), where the `npm run try:*`
 * scripts exist; an installed copy runs from dist/ and has none of them.
 */
const FROM_SOURCES = import.meta.url.endsWith(".ts");

/** How to try a server that listens on the loopback interface only ("" for any other). */
function loopbackHint(
  server: CliServer,
  script: string,
  relay: string,
  clientPort: number,
  file: string,
): string {
  const ifaces = server.iface.interfaces();
  if (ifaces.length === 0 || !ifaces.every((i) => i.name === "lo")) return "";
  const family = relay.includes(":") ? 6 : 4;
  const tryIt = FROM_SOURCES
    ? `loopback only: from this project, try it with a relay on ${relay} asking for a lease:\n` +
      `  npm run ${script} -- --server-port ${server.port} --client-port ${clientPort}\n`
    : `loopback only: try it with Kea's perfdhcp (Debian: kea-admin) as a relay on ${relay}:\n` +
      `  perfdhcp -${family} -l ${family === 4 ? relay : "lo -A1"} -L ${clientPort} ` +
      `-N ${server.port} -r 5 -n 10 ${relay}\n`;
  return tryIt + `stop with Ctrl-C (SIGINT) or SIGTERM; SIGHUP reloads ${file}\n`;
}

/** -t: the file, the model built from it, and its hook libraries (imported, version checked). */
async function check<F extends Family>(spec: ServerCliSpec<F>, file: string): Promise<number> {
  registerProduct();
  const logs = defaultLogManager;
  logs.setRootName(`nestor-dhcp${spec.family}`);
  try {
    const loaded = loadConfigFile(file, spec.family);
    spec.buildModel(loaded.config, file, loaded.source);
    checkDirectories(loaded.config, spec.family, file, loaded.source);
    const present = new Set(listInterfaces(loadNative().binding).map((i) => i.name));
    checkInterfacesExist(loaded.config, spec.family, loaded.source, present);
    for (const w of loaded.warnings) process.stdout.write(`warning: ${w.text}\n`);
    const config = loaded.config;
    const libs = parseHooksLibraries(
      config["hooks-libraries"],
      `Dhcp${spec.family}.hooks-libraries`,
      file,
    );
    const errors = await new HooksManager().validateLibraries(libs, {
      multiThreading: config["multi-threading"]["enable-multi-threading"],
      position: parameterPositions(loaded.source, `Dhcp${spec.family}`),
    });
    if (errors.length > 0) throw new Error(errors.join("\n"));
    process.stdout.write("Syntax check OK\n");
    return 0;
  } catch (e) {
    logConfigFailure(logs.getLogger(`dhcp${spec.family}`), spec.family, file, e, false);
    process.stderr.write(
      `Syntax check failed with: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return 1;
  }
}
