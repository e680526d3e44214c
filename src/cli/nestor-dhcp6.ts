#!/usr/bin/env node
/**
 * nestor-dhcp6: the DHCPv6 server. Kea's flags with Kea's meaning:
 *   -c FILE  run with this configuration      -t FILE  check it and exit (0 good, 1 bad)
 *   -p PORT  server port (547)                -P PORT  client port (546)
 *   -d       debug logging                    -v / -V  version / extended version
 * SIGHUP reloads the configuration file (a bad one is refused and the running one stays);
 * SIGTERM and SIGINT stop cleanly (libraries unloaded, leases flushed). The control sockets of
 * the configuration (`control-socket`, `control-sockets`) take Kea's commands.
 */
import { parseArgs } from "node:util";
import { HooksManager } from "../hooks/hooks-manager.ts";
import { parseHooksLibraries } from "../hooks/config.ts";
import { defaultLogManager } from "../log/logger.ts";
import { buildDhcp6Model } from "../dhcpsrv/cfg6.ts";
import { loadConfigFile } from "../dhcpsrv/config/index.ts";
import { Dhcp6Server, VERSION } from "../dhcp6/server.ts";
import { ControlChannel } from "../control/control-channel.ts";

const USAGE = `Usage: nestor-dhcp6 -c FILE [-p PORT] [-P PORT] [-d]
       nestor-dhcp6 -t FILE
       nestor-dhcp6 -v | -V`;

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
    const { config, warnings, source } = loadConfigFile(file, 6);
    buildDhcp6Model(config, file, source);
    for (const w of warnings) process.stdout.write(`warning: ${w.text}\n`);
    const libs = parseHooksLibraries(config["hooks-libraries"], "Dhcp6.hooks-libraries", file);
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
    process.stdout.write(`${VERSION}\nNestor DHCPv6 server, Node.js ${process.version}\n`);
    return;
  }
  if (args.t !== undefined) process.exit(await check(args.t));
  if (args.c === undefined) fail("a configuration file is required (-c FILE)");
  const logs = defaultLogManager;
  logs.setRootName("nestor-dhcp6");
  let server: Dhcp6Server;
  try {
    server = await Dhcp6Server.start({
      configFile: args.c,
      serverPort: port(args.p, "-p"),
      clientPort: port(args.P, "-P"),
      debug: args.d === true,
      logs,
    });
  } catch (e) {
    process.stderr.write(
      `nestor-dhcp6: cannot start: ${e instanceof Error ? e.message : String(e)}\n`,
    );
    process.exit(1);
  }
  let channel: ControlChannel | null = null;
  let stopping = false;
  const stop = (why: string, exitValue = 0) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`nestor-dhcp6: ${why}, stopping\n`);
    const done = async () => {
      await channel?.close();
      await server.stop();
    };
    done().then(
      () => process.exit(exitValue),
      (e: unknown) => {
        process.stderr.write(`nestor-dhcp6: error while stopping: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  channel = await ControlChannel.start(server, {
    onShutdown: (exitValue) => stop("shutdown command", exitValue),
  });
  const control = channel;
  const listening = server.iface
    .interfaces()
    .map((i) => `${i.name} (${i.addresses.map((a) => a.address).join(", ")})`);
  process.stdout.write(
    `nestor-dhcp6 ${VERSION}: serving ${server.model.subnets.length} subnet(s) on ${listening.join(", ") || "no interface"}, port ${server.port}\n`,
  );
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  const { unix, http } = control.endpoints;
  for (const path of unix) process.stdout.write(`control socket: ${path}\n`);
  for (const h of http) {
    process.stdout.write(`control socket: ${h.tls ? "https" : "http"}://${h.address}:${h.port}/\n`);
  }
  // SIGHUP is config-reload, as in Kea: the control sockets follow the new file too.
  process.on("SIGHUP", () => {
    void control.processCommand({ command: "config-reload" }).then((answer) => {
      if (answer.result === 0) process.stdout.write("nestor-dhcp6: configuration reloaded\n");
      // else logged by the server; the running configuration stays
    });
  });
}

await main();
