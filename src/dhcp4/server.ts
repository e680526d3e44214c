/**
 * nestor-dhcp4 at run time: reads the configuration, opens the lease store, loads the hook
 * libraries, opens the sockets, and serves. Packets arrive in batches; the batch's lease changes
 * are written with one append (group commit) before any of its replies leaves. A query whose
 * callout is asynchronous finishes later on its own, with its own flush before its reply.
 *
 * Reload (SIGHUP, config-reload) and config-set: the new configuration (a file, or a document
 * from the control channel) is read, validated, turned into a model and its hook libraries
 * checked first; if any of that fails, or its hook libraries fail to load, the running
 * configuration stays and the reason is logged. Reconfigurations run one at a time.
 *
 * The control channel (src/control/) drives the server through the members it needs
 * (ControlledServer: testConfig, setConfig, reloadLibraries, setServiceEnabled...); this module
 * does not import it, the layers go the other way.
 */
import os from "node:os";
import { dirname, resolve } from "node:path";
import { mkdirSync } from "node:fs";
import { parseHooksLibraries } from "../hooks/config.ts";
import { HooksManager } from "../hooks/hooks-manager.ts";
import { ServerHooks } from "../hooks/server-hooks.ts";
import { defineMessages, LogManager, type Logger } from "../log/logger.ts";
import type { Observation } from "../stats/observation.ts";
import { StatsManager } from "../stats/stats-manager.ts";
import { buildDhcp4Model, type Dhcp4Model } from "../dhcpsrv/cfg4.ts";
import { loadConfigFile, parseConfigText, type LoadedConfig } from "../dhcpsrv/config/index.ts";
import type { Dhcp4Config } from "../dhcpsrv/config/types.ts";
import type { HookLibraryConfig } from "../hooks/config.ts";
import type { JsonObject } from "../hooks/types.ts";
import { IfaceManager } from "../dhcpsrv/iface/iface-manager.ts";
import type { OutgoingPacket, ReceivedPacket } from "../dhcpsrv/iface/packet-socket.ts";
import { loggerSpecs } from "../dhcpsrv/logger-specs.ts";
import { ReplyPipeline, type Query } from "../dhcpsrv/reply-pipeline.ts";
import { MemfileLeaseStore4 } from "../dhcpsrv/memfile-lease-store4.ts";
import { Dhcp4Srv } from "./dhcp4-srv.ts";
import type { Reply4 } from "./exchange.ts";
import { registerDhcp4Hooks, type Dhcp4Hooks } from "./hook-points.ts";
import { Reclaimer4 } from "./reclaimer.ts";

defineMessages({
  DHCP4_STARTED: "Nestor DHCPv4 server version %1 started",
  DHCP4_CONFIG_LOADED: "configuration %1 loaded: %2 subnets, %3 hook libraries",
  DHCP4_CONFIG_WARNING: "%1",
  DHCP4_RELOAD_FAIL: "configuration reload failed, the running configuration stays: %1",
  DHCP4_LEASE_WRITE_FAILED: "lease file write failed, %1 replies not sent: %2",
  DHCP4_SEND_FAILED: "sending a reply to %1 failed: %2",
  DHCP4_SHUTDOWN: "shutting down",
  DHCP4_SRV_CONFIGURED_FAIL: "dhcp4_srv_configured callout rejected the configuration: %1",
  DHCP4_CONFIG_SET_FAIL: "new configuration refused, the running configuration stays: %1",
  DHCP4_LIBRELOAD_FAIL: "hook libraries reload failed, the running libraries stay: %1",
  DHCP4_SERVICE_DISABLED: "DHCPv4 service disabled: queries are dropped",
  DHCP4_SERVICE_ENABLED: "DHCPv4 service enabled",
});

/** The control channel's hook (src/control/hook-points.ts), declared here too so that hook
 * libraries loaded at start-up, before the channel exists, may use it. */
const COMMAND_PROCESSED_HOOK = "command_processed";

export const VERSION = "0.1.0";
export const DEFAULT_DATA_DIR = "/var/lib/nestor";

export interface Dhcp4ServerOptions {
  configFile: string;
  /** -p: server port (67); 0 picks a free one (tests). */
  serverPort?: number;
  /** -P: client port (68). */
  clientPort?: number;
  /** -d: debug logging everywhere. */
  debug?: boolean;
  logs?: LogManager;
  /** Socket backend (tests force "dgram"). */
  backend?: "auto" | "native" | "dgram";
}

export class Dhcp4Server {
  readonly serviceName = "dhcp4";
  readonly configKey = "Dhcp4";
  readonly version = VERSION;
  readonly startedAt = Date.now();
  /** Date.now() at the last successful (re)configuration. */
  configuredAt = Date.now();
  readonly logs: LogManager;
  readonly stats = new StatsManager();
  readonly hooks: HooksManager;
  readonly hookIdx: Dhcp4Hooks;
  readonly iface: IfaceManager;
  private readonly options: Dhcp4ServerOptions;
  private readonly log: Logger;
  private leases!: MemfileLeaseStore4;
  private srv!: Dhcp4Srv;
  private reclaimer!: Reclaimer4;
  private config!: Dhcp4Config;
  private leaseDbKey = "";
  private ifaceKey = "";
  private addressesByIface = new Map<string, string[]>();
  private allAddresses: string[] = [];
  private readonly pipeline: ReplyPipeline<Reply4>;
  private readonly processQuery = (q: Query): Reply4 | null | Promise<Reply4 | null> =>
    this.srv.processQuery(q);
  /** False while dhcp-disable holds: received queries are dropped unanswered. */
  private serviceEnabled = true;
  private serviceDisabledDrops: Observation | null = null;
  /** Reconfigurations (reload, config-set, libreload) run one after the other. */
  private configuring: Promise<unknown> = Promise.resolve();

  private constructor(options: Dhcp4ServerOptions) {
    this.options = options;
    this.logs = options.logs ?? new LogManager("nestor-dhcp4");
    this.log = this.logs.getLogger("dhcp4");
    const serverHooks = new ServerHooks();
    this.hookIdx = registerDhcp4Hooks(serverHooks);
    serverHooks.ensureHook(COMMAND_PROCESSED_HOOK);
    this.hooks = new HooksManager({ serverHooks, logManager: this.logs, statistics: this.stats });
    this.iface = new IfaceManager({
      family: 4,
      port: options.serverPort ?? 67,
      backend: options.backend ?? "auto",
      logger: this.logs.getLogger("dhcpsrv"),
      file: options.configFile,
    });
    this.pipeline = new ReplyPipeline<Reply4>({
      iface: this.iface,
      log: this.log,
      prefix: "DHCP4",
      leases: () => this.leases,
      outgoing,
    });
  }

  /** Reads the configuration and starts serving; throws (ConfigError...) when it cannot. */
  static async start(options: Dhcp4ServerOptions): Promise<Dhcp4Server> {
    const server = new Dhcp4Server(options);
    try {
      await server.configure(true, loadConfigFile(options.configFile, 4));
    } catch (e) {
      await server.stop().catch(() => {});
      throw e;
    }
    server.log.info("DHCP4_STARTED", VERSION);
    return server;
  }

  get port(): number {
    return this.iface.port;
  }

  get leaseStore(): MemfileLeaseStore4 {
    return this.leases;
  }

  /** The running configuration, with Kea's defaults filled in. */
  get configuration(): Dhcp4Config {
    return this.config;
  }

  get model(): Dhcp4Model {
    return this.srv.getModel();
  }

  /** The file the server was started with (-c). */
  get configFile(): string {
    return this.options.configFile;
  }

  /** Re-reads the configuration file; on any error the running configuration stays. */
  async reload(): Promise<void> {
    try {
      await this.serialise(() => this.configure(false, loadConfigFile(this.configFile, 4)));
    } catch (e) {
      this.log.error("DHCP4_RELOAD_FAIL", e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /**
   * Applies a configuration document `{ "Dhcp4": {...} }` (config-set); relative paths in it are
   * taken from the configuration file's directory. On any error the running configuration stays.
   */
  async setConfig(document: JsonObject): Promise<void> {
    try {
      await this.serialise(() => this.configure(false, parseDocument(document)));
    } catch (e) {
      this.log.error("DHCP4_CONFIG_SET_FAIL", e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /** Checks a document as setConfig would, hook libraries included, and changes nothing. */
  async testConfig(document: JsonObject): Promise<void> {
    await this.check(parseDocument(document));
  }

  /** Imports the running hook libraries afresh (a file edited on disk takes effect). */
  async reloadLibraries(): Promise<void> {
    try {
      await this.serialise(async () => {
        const configs = this.hooks.getLibraryConfigs();
        const options = { multiThreading: this.multiThreading(this.config) };
        await this.validateLibraries(configs, options.multiThreading);
        await this.hooks.loadLibraries(configs, options);
      });
    } catch (e) {
      this.log.error("DHCP4_LIBRELOAD_FAIL", e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  /** dhcp-disable / dhcp-enable: while disabled, every received query is dropped unanswered. */
  setServiceEnabled(enabled: boolean): void {
    if (enabled === this.serviceEnabled) return;
    this.serviceEnabled = enabled;
    if (!enabled) this.serviceDisabledDrops ??= this.stats.observe("pkt4-service-disabled");
    if (enabled) this.log.info("DHCP4_SERVICE_ENABLED");
    else this.log.info("DHCP4_SERVICE_DISABLED");
  }

  private serialise(task: () => Promise<void>): Promise<void> {
    const run = this.configuring.then(task, task);
    this.configuring = run.catch(() => undefined);
    return run;
  }

  private multiThreading(config: Dhcp4Config): boolean {
    return config["multi-threading"]["enable-multi-threading"];
  }

  private async validateLibraries(
    libraries: readonly HookLibraryConfig[],
    multiThreading: boolean,
  ): Promise<void> {
    const errors = await this.hooks.validateLibraries(libraries, { multiThreading });
    if (errors.length > 0) throw new Error(errors.join("; "));
  }

  /** Everything that can be checked before changing anything: model, libraries. */
  private async check(loaded: LoadedConfig<4>) {
    const file = this.configFile;
    const { config, source } = loaded;
    const model = buildDhcp4Model(config, file, source);
    const libraries = parseHooksLibraries(config["hooks-libraries"], "Dhcp4.hooks-libraries", file);
    await this.validateLibraries(libraries, this.multiThreading(config));
    return { model, libraries };
  }

  private async configure(initial: boolean, loaded: LoadedConfig<4>): Promise<void> {
    const file = this.configFile;
    const { config, warnings } = loaded;
    const { model, libraries } = await this.check(loaded);
    // At start-up the configured logging applies at once (the lease file and library loading log
    // through it); on a reconfiguration only once the new libraries are in (nothing to undo).
    if (initial) this.applyLogging(config, warnings);
    const leaseDbKey = JSON.stringify(config["lease-database"]);
    let newLeases: MemfileLeaseStore4 | null = null;
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
      this.srv = new Dhcp4Srv({
        model,
        leases: this.leases,
        hooks: this.hooks,
        hookIdx: this.hookIdx,
        stats: this.stats,
        logs: this.logs,
        serverPort: this.options.serverPort ?? 67,
        clientPort: this.options.clientPort,
        directResponse: () =>
          this.config["interfaces-config"]["dhcp-socket-type"] === "raw" &&
          this.iface.canSendToHwaddr,
        ifaceAddresses: (name) =>
          name === "" ? this.allAddresses : (this.addressesByIface.get(name) ?? []),
      });
      this.reclaimer?.stop();
      this.reclaimer = new Reclaimer4(
        this.leases,
        this.hooks,
        this.hookIdx,
        this.srv.stats4,
        this.logs.getLogger("alloc-engine"),
        config["expired-leases-processing"],
      );
    } else {
      this.srv.setModel(model);
    }
    this.reclaimer.start(config["expired-leases-processing"]);
    await this.srvConfigured(config);
    const ifaceKey = JSON.stringify(config["interfaces-config"]);
    if (initial || ifaceKey !== this.ifaceKey) {
      await this.iface.open(config["interfaces-config"]);
      this.iface.onBatch((packets) => this.onBatch(packets));
      this.ifaceKey = ifaceKey;
      this.learnAddresses();
    }
    this.leaseDbKey = leaseDbKey;
    this.configuredAt = Date.now();
    this.log.info("DHCP4_CONFIG_LOADED", file, model.subnets.length, libraries.length);
  }

  private applyLogging(config: Dhcp4Config, warnings: LoadedConfig<4>["warnings"]): void {
    this.logs.configure(loggerSpecs(config.loggers, this.configFile, "dhcp4"), {
      forceDebug: this.options.debug === true,
    });
    for (const w of warnings) this.log.warn("DHCP4_CONFIG_WARNING", w.text);
  }

  // dhcp4_srv_configured: a callout may reject the configuration by setting "error" and DROP.
  private async srvConfigured(config: Dhcp4Config): Promise<void> {
    const gen = this.hooks.callouts;
    if (!gen.calloutsPresent(this.hookIdx.dhcp4_srv_configured)) return;
    const h = gen.createCalloutHandle();
    h.setArgument("json_config", config);
    h.setArgument("server_config", this.srv.getModel());
    await gen.callCallouts(this.hookIdx.dhcp4_srv_configured, h);
    const status = h.getStatus();
    const error = h.getArgumentNames().includes("error") ? String(h.getArgument("error")) : "";
    await h.release();
    if (status === 2 || error !== "") {
      const why = error === "" ? "unknown error" : error;
      this.log.error("DHCP4_SRV_CONFIGURED_FAIL", why);
      throw new Error(`dhcp4_srv_configured: ${why}`);
    }
  }

  private openLeases(config: Dhcp4Config, file: string): MemfileLeaseStore4 {
    const db = config["lease-database"];
    const name = db.name === undefined ? undefined : resolve(dirname(file), db.name);
    const path = name ?? `${DEFAULT_DATA_DIR}/kea-leases4.csv`;
    if (db.persist) mkdirSync(dirname(path), { recursive: true });
    // The store logs its loading (rows read and discarded) and its cleanups with Kea's IDs.
    return MemfileLeaseStore4.open(
      { ...db, name: path },
      { logger: this.logs.getLogger("dhcpsrv") },
    );
  }

  private learnAddresses(): void {
    this.addressesByIface.clear();
    const all = new Set<string>();
    for (const s of this.iface.interfaces()) {
      const list = s.only.length > 0 ? [...s.only] : s.addresses.map((a) => a.address);
      this.addressesByIface.set(s.name, list);
      for (const a of list) all.add(a);
    }
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) if (a.family === "IPv4") all.add(a.address);
    }
    this.allAddresses = [...all];
  }

  /** One batch (the shared pipeline), unless the service is disabled (dhcp-disable). */
  private onBatch(packets: readonly ReceivedPacket[]): void {
    if (!this.serviceEnabled) {
      this.serviceDisabledDrops?.add(packets.length);
      return;
    }
    this.pipeline.run(packets, this.processQuery);
  }

  /** Runs one reclamation cycle now (leases-reclaim). */
  reclaimNow(remove?: boolean): Promise<number> {
    return this.reclaimer.reclaimOnce(remove === undefined ? {} : { remove });
  }

  /** Stops receiving, lets asynchronous queries finish, unloads libraries, closes the leases. */
  async stop(): Promise<void> {
    this.log.info("DHCP4_SHUTDOWN");
    this.iface.close();
    this.reclaimer?.stop();
    await this.pipeline.drain();
    await this.hooks.unloadLibraries();
    await this.leases?.close();
  }
}

/** A document from the control channel, through the same reader as a file. */
function parseDocument(document: JsonObject): LoadedConfig<4> {
  return parseConfigText(JSON.stringify(document, null, 2), 4, "<config-set>");
}

function outgoing(r: Reply4): OutgoingPacket {
  return {
    hwaddr: r.hwaddr,
    data: r.data,
    dstAddr: r.address,
    dstPort: r.port,
    srcAddr: r.source,
    ifindex: r.ifindex > 0 ? r.ifindex : undefined,
  };
}
