/**
 * A server's control channel: its command manager with the built-in commands, and the listeners
 * its configuration asks for (`control-socket`, Kea 2.2's single map, or the `control-sockets`
 * list). After every new configuration the listeners follow it: unchanged ones stay open (their
 * connections untouched), removed ones close, new ones open. A listener that cannot open is
 * logged and the others keep working.
 */
import { dirname, resolve } from "node:path";
import type { ControlSocket } from "../dhcpsrv/config/types.ts";
import type { JsonObject } from "../hooks/types.ts";
import { defineMessages, type Logger } from "../log/logger.ts";
import { CommandMgr } from "./command-mgr.ts";
import type { ControlledServer } from "./controlled-server.ts";
import { HttpListener, readCredentials, usesTls, type Probes } from "./http-listener.ts";
import { MetricsExporter } from "./metrics.ts";
import { DEFAULT_LIMITS, type ChannelLimits } from "./limits.ts";
import type { NetworkState } from "./network-state.ts";
import { registerServerCommands } from "./server-commands.ts";
import { UnixListener } from "./unix-listener.ts";

defineMessages({
  COMMAND_SOCKET_OPENED: "control socket %1 opened",
  COMMAND_SOCKET_CLOSED: "control socket %1 closed",
  COMMAND_SOCKET_OPEN_FAILED: "control socket %1 could not be opened: %2",
});

export interface ControlChannelOptions {
  limits?: Partial<ChannelLimits>;
  /** The shutdown command: called after its answer is sent, with the exit value asked for. */
  onShutdown?: (exitValue: number) => void;
}

type Listener = UnixListener | HttpListener;

export class ControlChannel {
  readonly mgr: CommandMgr;
  readonly state: NetworkState;
  private readonly server: ControlledServer;
  private readonly limits: ChannelLimits;
  private readonly log: Logger;
  private readonly listeners = new Map<string, Listener>();
  /** /health, /ready and /metrics on the HTTP sockets. */
  private readonly probes: Probes;
  private reconciling: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(server: ControlledServer, options: ControlChannelOptions) {
    this.server = server;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.log = server.logs.getLogger("commands");
    this.probes = {
      readiness: () => server.readiness?.() ?? { ready: true, reason: "serving" },
      metrics: new MetricsExporter(server),
    };
    this.mgr = new CommandMgr(server.hooks, this.log, () => server.logs.flush());
    this.state = registerServerCommands(this.mgr, server, {
      onShutdown: options.onShutdown,
      checkConfig: (body) => checkSockets(socketsOf(body), dirname(resolve(server.configFile))),
      onConfigured: () => void this.reconcile(),
    });
  }

  /** The channel of a running server, with the listeners of its running configuration. */
  static async start(
    server: ControlledServer,
    options: ControlChannelOptions = {},
  ): Promise<ControlChannel> {
    const channel = new ControlChannel(server, options);
    await channel.reconcile();
    return channel;
  }

  /** Runs one command as if it came over a socket (SIGHUP is config-reload). */
  processCommand(command: JsonObject): ReturnType<CommandMgr["processCommand"]> {
    return this.mgr.processCommand(command);
  }

  /** The open unix socket paths and HTTP ports, for tests and start-up messages. */
  get endpoints(): { unix: string[]; http: { address: string; port: number; tls: boolean }[] } {
    const unix: string[] = [];
    const http: { address: string; port: number; tls: boolean }[] = [];
    for (const [key, l] of this.listeners) {
      if (l instanceof UnixListener) unix.push(l.path);
      else http.push({ address: l.address, port: l.port, tls: key.startsWith("tls ") });
    }
    return { unix, http };
  }

  /** Opens and closes listeners to match the running configuration. */
  reconcile(): Promise<void> {
    const run = this.reconciling.then(() => this.reconcileNow());
    this.reconciling = run.catch(() => undefined);
    return run;
  }

  private async reconcileNow(): Promise<void> {
    if (this.closed) return;
    const baseDir = dirname(resolve(this.server.configFile));
    const wanted = new Map<string, ControlSocket>();
    for (const s of socketsOf(this.server.configuration)) {
      wanted.set(`${usesTls(s) ? "tls " : ""}${JSON.stringify(s)}`, s);
    }
    for (const [key, l] of [...this.listeners]) {
      if (wanted.has(key)) continue;
      this.listeners.delete(key);
      await l.close();
      this.log.info("COMMAND_SOCKET_CLOSED", describe(l));
    }
    for (const [key, s] of wanted) {
      if (this.listeners.has(key)) continue;
      try {
        const l =
          s["socket-type"] === "unix"
            ? await UnixListener.open(
                resolve(baseDir, s["socket-name"]!),
                this.mgr,
                this.limits,
                this.log,
              )
            : await HttpListener.open(
                s,
                baseDir,
                this.server.serviceName,
                this.mgr,
                this.limits,
                this.log,
                this.probes,
              );
        this.listeners.set(key, l);
        this.log.info("COMMAND_SOCKET_OPENED", describe(l));
      } catch (e) {
        const name = s["socket-name"] ?? `${s["socket-address"] ?? ""}:${s["socket-port"] ?? ""}`;
        this.log.error("COMMAND_SOCKET_OPEN_FAILED", name, e instanceof Error ? e.message : e);
      }
    }
  }

  /** Closes every listener (answers in progress are sent) and stops dhcp-disable's timers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.reconciling;
    this.state.close();
    const all = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(all.map((l) => l.close()));
  }
}

function describe(l: Listener): string {
  return l instanceof UnixListener ? l.path : `http://${l.address}:${l.port}`;
}

/** The sockets a configuration body asks for, in either spelling. */
export function socketsOf(body: object): ControlSocket[] {
  const b = body as { "control-socket"?: ControlSocket; "control-sockets"?: ControlSocket[] };
  const one = b["control-socket"];
  const list = b["control-sockets"];
  return [...(one === undefined ? [] : [one]), ...(list ?? [])];
}

/** What the configuration reader cannot know: certificate and credential files readable. */
function checkSockets(sockets: readonly ControlSocket[], baseDir: string): void {
  for (const s of sockets) {
    if (s["socket-type"] === "unix") continue;
    readCredentials(s, baseDir);
    if (usesTls(s) && (s["cert-file"] === undefined || s["key-file"] === undefined)) {
      throw new Error("an https control socket needs 'cert-file' and 'key-file'");
    }
  }
}
