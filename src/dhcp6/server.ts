/**
 * nestor-dhcp6 at run time: reads the configuration, opens the v6 lease store, loads the hook
 * libraries, sets the server DUID, opens the sockets (ff02::1:2 joined on every configured
 * interface), and serves. Packets arrive in batches; the batch's lease changes are written with
 * one append (group commit) before any of its replies leaves. A query whose callout is
 * asynchronous finishes later on its own, with its own flush before its reply.
 *
 * Reload (SIGHUP, config-reload) and config-set: the new configuration is read, validated,
 * turned into a model and its hook libraries checked first; if any of that fails the running
 * configuration stays and the reason is logged. Reconfigurations run one at a time. The control
 * channel (src/control/) drives the server through the members of its ControlledServer shape;
 * this module does not import it.
 */
import os from "node:os";
import { dirname, resolve } from "node:path";
import { mkdirSync } from "node:fs";
import { parseHooksLibraries, type HookLibraryConfig } from "../hooks/config.ts";
import { HooksManager } from "../hooks/hooks-manager.ts";
import { ServerHooks } from "../hooks/server-hooks.ts";
import { defineMessages, LogManager, type Logger } from "../log/logger.ts";
import type { Observation } from "../stats/observation.ts";
import { StatsManager } from "../stats/stats-manager.ts";
import type { JsonObject } from "../hooks/types.ts";
import { buildDhcp6Model, type Dhcp6Model } from "../dhcpsrv/cfg6.ts";
import { loadConfigFile, parseConfigText, type LoadedConfig } from "../dhcpsrv/config/index.ts";
import type { Dhcp6Config } from "../dhcpsrv/config/types.ts";
import { IfaceManager } from "../dhcpsrv/iface/iface-manager.ts";
import type { OutgoingPacket, ReceivedPacket } from "../dhcpsrv/iface/packet-socket.ts";
import { loggerSpecs } from "../dhcpsrv/logger-specs.ts";
import { ReplyPipeline, type Query } from "../dhcpsrv/reply-pipeline.ts";
import { MemfileLeaseStore6 } from "../dhcpsrv/memfile-lease-store6.ts";
import { Dhcp6Srv } from "./dhcp6-srv.ts";
import type { Reply6 } from "./exchange.ts";
import { registerDhcp6Hooks, type Dhcp6Hooks } from "./hook-points.ts";
import { Reclaimer6 } from "./reclaimer.ts";
import { serverDuid } from "./server-id.ts";

defineMessages({
  DHCP6_STARTED: "Nestor DHCPv6 server version %1 started",
  DHCP6_CONFIG_LOADED: "configuration %1 loaded: %2 subnets, %3 hook libraries",
  DHCP6_CONFIG_WARNING: "%1",
  DHCP6_RELOAD_FAIL: "configuration reload failed, the running configuration stays: %1",
  DHCP6_LEASE_WRITE_FAILED: "lease file write failed, %1 replies not sent: %2",
  DHCP6_SEND_FAILED: "sending a reply to %1 failed: %2",
  DHCP6_SHUTDOWN: "shutting down",
  DHCP6_SRV_CONFIGURED_FAIL: "dhcp6_srv_configured callout rejected the configuration: %1",
  DHCP6_SERVERID: "server DUID is %1",
  DHCP6_CONFIG_SET_FAIL: "new configuration refused, the running configuration stays: %1",
  DHCP6_LIBRELOAD_FAIL: "hook libraries reload failed, the running libraries stay: %1",
  DHCP6_SERVICE_DISABLED: "DHCPv6 service disabled: queries are dropped",
  DHCP6_SERVICE_ENABLED: "DHCPv6 service enabled",
});

export const VERSION = "0.1.0";
export const DEFAULT_DATA_DIR = "/var/lib/nestor";
const COMMAND_PROCESSED_HOOK = "command_processed";

export interface Dhcp6ServerOptions {
  configFile: string;
  /** -p: server port (547); 0 picks a free one (tests). */
  serverPort?: number;
  /** -P: client port (546): every reply goes to this port. */
  clientPort?: number;
  /** -d: debug logging everywhere. */
  debug?: boolean;
  logs?: LogManager;
  /** Socket backend (tests force "dgram"). */
  backend?: "auto" | "native" | "dgram";
}

export class Dhcp6Server {
  readonly serviceName = "dhcp6";
  readonly configKey = "Dhcp6";
  readonly version = VERSION;
  readonly startedAt = Date.now();
  configuredAt = Date.now();
  readonly logs: LogManager;
  readonly stats = new StatsManager();
  readonly hooks: HooksManager;
  readonly hookIdx: Dhcp6Hooks;
  readonly iface: IfaceManager;
  private readonly options: Dhcp6ServerOptions;
  private readonly log: Logger;
  private leases!: MemfileLeaseStore6;
  private srv!: Dhcp6Srv;
  private reclaimer!: Reclaimer6;
  private config!: Dhcp6Config;
  private leaseDbKey = "";
  private ifaceKey = "";
  private readonly pipeline: ReplyPipeline<Reply6>;
  private readonly processQuery = (q: Query): Reply6 | null | Promise<Reply6 | null> =>
    this.srv.processQuery(q);
  private configuring: Promise<unknown> = Promise.resolve();
  /** False while dhcp-disable holds: received queries are dropped unanswered. */
  private serviceEnabled = true;
  private serviceDisabledDrops: Observation | null = null;
  private readonly batchHandler: (packets: readonly ReceivedPacket[]) => void;

  private constructor(options: Dhcp6ServerOptions) {
    this.options = options;
    this.logs = options.logs ?? new LogManager("nestor-dhcp6");
    this.log = this.logs.getLogger("dhcp6");
    const serverHooks = new ServerHooks();
    this.hookIdx = registerDhcp6Hooks(serverHooks);
    serverHooks.ensureHook(COMMAND_PROCESSED_HOOK);
    this.hooks = new HooksManager({ serverHooks, logManager: this.logs, statistics: this.stats });
    this.iface = new IfaceManager({
      family: 6,
      port: options.serverPort ?? 547,
      backend: options.backend ?? "auto",
      logger: this.logs.getLogger("dhcpsrv"),
      file: options.configFile,
    });
    this.pipeline = new ReplyPipeline<Reply6>({
      iface: this.iface,
      log: this.log,
      prefix: "DHCP6",
      leases: () => this.leases,
      outgoing,
    });
    this.batchHandler = this.onBatch.bind(this);
  }

  /** Reads the configuration and starts serving; throws (ConfigError...) when it cannot. */
  static async start(options: Dhcp6ServerOptions): Promise<Dhcp6Server> {
    const server = new Dhcp6Server(options);
    try {
      await server.configure(true, loadConfigFile(options.configFile, 6));
    } catch (e) {
      await server.stop().catch(() => {});
      throw e;
    }
    server.log.info("DHCP6_STARTED", VERSION);
    return server;
  }

  get port(): number {
    return this.iface.port;
  }

  get leaseStore(): MemfileLeaseStore6 {
    return this.leases;
  }

  get configuration(): Dhcp6Config {
    return this.config;
  }

  get model(): Dhcp6Model {
    return this.srv.getModel();
  }

  get serverId(): Buffer {
    return this.srv.getServerDuid();
  }

  get configFile(): string {
    return this.options.configFile;
  }

  /** Re-reads the configuration file; on any error the running configuration stays. */
  async reload(): Promise<void> {
    try {
      await this.serialise(() => this.configure(false, loadConfigFile(this.configFile, 6)));
    } catch (e) {
      this.log.error("DHCP6_RELOAD_FAIL", e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /**
   * Applies a configuration document `{ "Dhcp6": {...} }` (config-set); relative paths in it are
   * taken from the configuration file's directory. On any error the running configuration stays.
   */
  async setConfig(document: JsonObject): Promise<void> {
    try {
      await this.serialise(() => this.configure(false, parseDocument(document)));
    } catch (e) {
      this.log.error("DHCP6_CONFIG_SET_FAIL", e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /** Checks a document as setConfig would, hook libraries included, and changes nothing. */
  async testConfig(document: JsonObject): Promise<void> {
    const { config, source } = parseDocument(document);
    buildDhcp6Model(config, this.configFile, source);
    const libraries = parseHooksLibraries(
      config["hooks-libraries"],
      "Dhcp6.hooks-libraries",
      this.configFile,
    );
    await this.validateLibraries(libraries, this.multiThreading(config));
  }

  /** Imports the running hook libraries afresh (a file edited on disk takes effect). */
  async reloadLibraries(): Promise<void> {
    try {
      await this.serialise(async () => {
        const configs = this.hooks.getLibraryConfigs();
        const multiThreading = this.multiThreading(this.config);
        await this.validateLibraries(configs, multiThreading);
        await this.hooks.loadLibraries(configs, { multiThreading });
      });
    } catch (e) {
      this.log.error("DHCP6_LIBRELOAD_FAIL", e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /** dhcp-disable / dhcp-enable: while disabled, every received query is dropped unanswered. */
  setServiceEnabled(enabled: boolean): void {
    if (enabled === this.serviceEnabled) return;
    this.serviceEnabled = enabled;
    if (!enabled) this.serviceDisabledDrops ??= this.stats.observe("pkt6-service-disabled");
    if (enabled) this.log.info("DHCP6_SERVICE_ENABLED");
    else this.log.info("DHCP6_SERVICE_DISABLED");
  }

  private serialise(task: () => Promise<void>): Promise<void> {
    const run = this.configuring.then(task, task);
    this.configuring = run.catch(() => undefined);
    return run;
  }

  /** Runs one reclamation cycle now. */
  reclaimNow(remove?: boolean): Promise<number> {
    return this.reclaimer.reclaimOnce(remove === undefined ? {} : { remove });
  }

  private multiThreading(config: Dhcp6Config): boolean {
    return config["multi-threading"]["enable-multi-threading"];
  }

  private async validateLibraries(libraries: readonly HookLibraryConfig[], mt: boolean) {
    const errors = await this.hooks.validateLibraries(libraries, { multiThreading: mt });
    if (errors.length > 0) throw new Error(errors.join("; "));
  }

  private async configure(initial: boolean, loaded: LoadedConfig<6>): Promise<void> {
    const file = this.configFile;
    const { config, warnings, source } = loaded;
    const model = buildDhcp6Model(config, file, source);
    const libraries = parseHooksLibraries(config["hooks-libraries"], "Dhcp6.hooks-libraries", file);
    await this.validateLibraries(libraries, this.multiThreading(config));
    if (initial) this.applyLogging(config, warnings);
    const duid = serverDuid({
      config: config["server-id"],
      dataDirectory: resolve(dirname(file), config["data-directory"] ?? DEFAULT_DATA_DIR),
      hwaddr: machineHwaddr(),
    }).duid;
    const leaseDbKey = JSON.stringify(config["lease-database"]);
    let newLeases: MemfileLeaseStore6 | null = null;
    if (initial || leaseDbKey !== this.leaseDbKey) newLeases = this.openLeases(config, file);
    try {
      await this.hooks.loadLibraries(libraries, { multiThreading: this.multiThreading(config) });
    } catch (e) {
      await newLeases?.close();
      throw e;
    }
    if (!initial) this.applyLogging(config, warnings);
    if (newLeases !== null) {
      const old = initial ? null : this.leases;
      this.leases = newLeases;
      await old?.close();
    }
    this.config = config;
    if (initial || newLeases !== null) {
      this.srv = new Dhcp6Srv({
        model,
        leases: this.leases,
        hooks: this.hooks,
        hookIdx: this.hookIdx,
        stats: this.stats,
        logs: this.logs,
        serverDuid: duid,
        serverPort: this.options.serverPort ?? 547,
        clientPort: this.options.clientPort,
      });
      this.reclaimer?.stop();
      this.reclaimer = new Reclaimer6(
        this.leases,
        this.hooks,
        this.hookIdx,
        this.srv.stats6,
        this.logs.getLogger("alloc-engine"),
        config["expired-leases-processing"],
      );
    } else {
      this.srv.setModel(model, duid);
    }
    this.log.info("DHCP6_SERVERID", duid.toString("hex").replace(/(..)(?!$)/g, "$1:"));
    this.reclaimer.start(config["expired-leases-processing"]);
    await this.srvConfigured(config);
    const ifaceKey = JSON.stringify(config["interfaces-config"]);
    if (initial || ifaceKey !== this.ifaceKey) {
      await this.iface.open(config["interfaces-config"]);
      this.iface.onBatch(this.batchHandler);
      this.ifaceKey = ifaceKey;
    }
    this.leaseDbKey = leaseDbKey;
    this.configuredAt = Date.now();
    this.log.info("DHCP6_CONFIG_LOADED", file, model.subnets.length, libraries.length);
  }

  private applyLogging(config: Dhcp6Config, warnings: LoadedConfig<6>["warnings"]): void {
    this.logs.configure(loggerSpecs(config.loggers, this.configFile, "dhcp6"), {
      forceDebug: this.options.debug === true,
    });
    for (const w of warnings) this.log.warn("DHCP6_CONFIG_WARNING", w.text);
  }

  // dhcp6_srv_configured: a callout may reject the configuration by setting "error" and DROP.
  private async srvConfigured(config: Dhcp6Config): Promise<void> {
    const gen = this.hooks.callouts;
    if (!gen.calloutsPresent(this.hookIdx.dhcp6_srv_configured)) return;
    const h = gen.createCalloutHandle();
    h.setArgument("json_config", config);
    h.setArgument("server_config", this.srv.getModel());
    await gen.callCallouts(this.hookIdx.dhcp6_srv_configured, h);
    const status = h.getStatus();
    const error = h.getArgumentNames().includes("error") ? String(h.getArgument("error")) : "";
    await h.release();
    if (status === 2 || error !== "") {
      const why = error === "" ? "unknown error" : error;
      this.log.error("DHCP6_SRV_CONFIGURED_FAIL", why);
      throw new Error(`dhcp6_srv_configured: ${why}`);
    }
  }

  private openLeases(config: Dhcp6Config, file: string): MemfileLeaseStore6 {
    const db = config["lease-database"];
    const name = db.name === undefined ? undefined : resolve(dirname(file), db.name);
    const path = name ?? `${DEFAULT_DATA_DIR}/kea-leases6.csv`;
    if (db.persist) mkdirSync(dirname(path), { recursive: true });
    return MemfileLeaseStore6.open(
      { ...db, name: path },
      { logger: this.logs.getLogger("dhcpsrv") },
    );
  }

  /** One batch (the shared pipeline), unless the service is disabled (dhcp-disable). */
  private onBatch(packets: readonly ReceivedPacket[]): void {
    if (!this.serviceEnabled) {
      this.serviceDisabledDrops?.add(packets.length);
      return;
    }
    this.pipeline.run(packets, this.processQuery);
  }

  /** Stops receiving, lets asynchronous queries finish, unloads libraries, closes the leases. */
  async stop(): Promise<void> {
    this.log.info("DHCP6_SHUTDOWN");
    this.iface.close();
    this.reclaimer?.stop();
    await this.pipeline.drain();
    await this.hooks.unloadLibraries();
    await this.leases?.close();
  }
}

/** A document from the control channel, through the same reader as a file. */
function parseDocument(document: JsonObject): LoadedConfig<6> {
  return parseConfigText(JSON.stringify(document, null, 2), 6, "<config-set>");
}

function outgoing(r: Reply6): OutgoingPacket {
  return {
    data: r.data,
    dstAddr: r.address,
    dstPort: r.port,
    ifindex: r.ifindex > 0 ? r.ifindex : undefined,
  };
}

/** The first Ethernet address of this machine (for a generated DUID-LLT/LL), or null. */
function machineHwaddr(): Buffer | null {
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    if (name === "lo") continue;
    for (const a of list ?? []) {
      if (a.mac !== "00:00:00:00:00:00") return Buffer.from(a.mac.replaceAll(":", ""), "hex");
    }
  }
  return null;
}
