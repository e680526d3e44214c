#!/usr/bin/env node
/**
 * nestor-dhcp4: the DHCPv4 server. Kea's flags with Kea's meaning:
 *   -c FILE  run with this configuration      -t FILE  check it and exit (0 good, 1 bad)
 *   -p PORT  server port (67)                 -P PORT  client port (68)
 *   -d       debug logging                    -v / -V  version / extended version
 * SIGHUP reloads the configuration file (a bad one is refused and the running one stays);
 * SIGTERM and SIGINT stop cleanly (libraries unloaded, leases flushed). The control sockets of
 * the configuration (`control-socket`, `control-sockets`) take Kea's commands (docs/control-channel.md).
 */
import { parseArgs } from "node:util";
import { HooksManager } from "../hooks/hooks-manager.ts";
import { parseHooksLibraries } from "../hooks/config.ts";
import { defaultLogManager } from "../log/logger.ts";
import { buildDhcp4Model } from "../dhcpsrv/cfg4.ts";
import { loadConfigFile } from "../dhcpsrv/config/index.ts";
import { Dhcp4Server, VERSION } from "../dhcp4/server.ts";
import { ControlChannel } from "../control/control-channel.ts";

const USAGE = `Usage: nestor-dhcp4 -c FILE [-p PORT] [-P PORT] [-d]
       nestor-dhcp4 -t FILE
       nestor-dhcp4 -v | -V`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(1);
}

function port(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    fail(`${name} must be a port number, got '${text}'`);
  return n;
}

async function check(file: string): Promise<number> {
  try {
    const { config, warnings, source } = loadConfigFile(file, 4);
    buildDhcp4Model(config, file, source);
    for (const w of warnings) process.stdout.write(`warning: ${w.text}\n`);
    const libs = parseHooksLibraries(config["hooks-libraries"], "Dhcp4.hooks-libraries", file);
    const errors = await new HooksManager().validateLibraries(libs, {
      multiThreading: config["multi-threading"]["enable-multi-threading"],
    });
    if (errors.length > 0) throw new Error(errors.join("\n"));
    process.stdout.write("Syntax check OK\n");
    return 0;
  } catch (e) {
    process.stderr.write(
      `Syntax check failed with: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    return 1;
  }
}

async function main(): Promise<void> {
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
      },
      strict: true,
    }).values;
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  if (args.v === true) return void process.stdout.write(`${VERSION}\n`);
  if (args.V === true) {
    process.stdout.write(`${VERSION}\nNestor DHCPv4 server, Node.js ${process.version}\n`);
    return;
  }
  if (args.t !== undefined) process.exit(await check(args.t));
  if (args.c === undefined) fail("a configuration file is required (-c FILE)");
  const logs = defaultLogManager;
  logs.setRootName("nestor-dhcp4");
  let server: Dhcp4Server;
  try {
    server = await Dhcp4Server.start({
      configFile: args.c,
      serverPort: port(args.p, "-p"),
      clientPort: port(args.P, "-P"),
      debug: args.d === true,
      logs,
    });
  } catch (e) {
    process.stderr.write(
      `nestor-dhcp4: cannot start: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exit(1);
  }
  let channel: ControlChannel | null = null;
  let stopping = false;
  const stop = (why: string, exitValue = 0) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`nestor-dhcp4: ${why}, stopping\n`);
    const done = async () => {
      await channel?.close();
      await server.stop();
    };
    done().then(
      () => process.exit(exitValue),
      (e: unknown) => {
        process.stderr.write(`nestor-dhcp4: error while stopping: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  channel = await ControlChannel.start(server, {
    onShutdown: (exitValue) => stop("shutdown command", exitValue),
  });
  const listening = server.iface
    .interfaces()
    .map((i) => `${i.name} (${i.addresses.map((a) => a.address).join(", ")})`);
  process.stdout.write(
    `nestor-dhcp4 ${VERSION}: serving ${server.model.subnets.length} subnet(s) on ${listening.join(", ") || "no interface"}, port ${server.port}\n`,
  );
  const ifaces = server.iface.interfaces();
  if (ifaces.length > 0 && ifaces.every((i) => i.name === "lo")) {
    process.stdout.write(
      `loopback only: from this project, try it with a relay on 127.0.0.1 asking for a lease:\n` +
        `  npm run try:dhcp4 -- --server-port ${server.port} --client-port ${args.P ?? 68}\n` +
        `stop with Ctrl-C (SIGINT) or SIGTERM; SIGHUP reloads ${args.c}\n`,
    );
  }
  const { unix, http } = channel.endpoints;
  for (const path of unix) process.stdout.write(`control socket: ${path}\n`);
  for (const h of http) {
    process.stdout.write(`control socket: ${h.tls ? "https" : "http"}://${h.address}:${h.port}/\n`);
  }
  const control = channel;
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  // SIGHUP is config-reload, as in Kea: the control sockets follow the new file too.
  process.on("SIGHUP", () => {
    void control.processCommand({ command: "config-reload" }).then((answer) => {
      if (answer.result === 0) process.stdout.write("nestor-dhcp4: configuration reloaded\n");
      // else logged by the server; the running configuration stays
    });
  });
}

await main();
