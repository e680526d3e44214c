/**
 * One server at run time, for either family: reads the configuration, opens the lease store,
 * loads the hook libraries, opens the sockets, and serves. Packets arrive in batches; the
 * batch's lease changes are written with one append (group commit) before any of its replies
 * leaves (reply-pipeline.ts). A query whose callout is asynchronous finishes later on its own,
 * with its own flush before its reply.
 *
 * Reload (SIGHUP, config-reload) and config-set: the new configuration (a file, or a document
 * from the control channel) is read, validated, turned into a model and its hook libraries
 * checked first; if any of that fails, or its hook libraries fail to load, the running
 * configuration stays and the reason is logged. Reconfigurations run one at a time.
 *
 * What is truly v4 or v6 comes from a small `FamilyAdapter` (src/dhcp4/server.ts,
 * src/dhcp6/server.ts): the model, the lease store, the message processing, the reclaimer, the
 * reply's wire destination. The control channel (src/control/) drives the server through the
 * members of its ControlledServer shape; this module does not import it.
 */
import { setLenientOptionParsing } from "../../dhcp/option-data-types.ts";
import { mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { parseHooksLibraries, type HookLibraryConfig } from "../../hooks/config.ts";
import { HooksManager } from "../../hooks/hooks-manager.ts";
import { NextStep } from "../../hooks/next-step.ts";
import { ServerHooks } from "../../hooks/server-hooks.ts";
import type { JsonObject } from "../../hooks/types.ts";
import { defineMessages, LogManager, type Logger } from "../../log/logger.ts";
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import type { Histogram } from "../../stats/histogram.ts";
import type { Observation } from "../../stats/observation.ts";
import { StatsManager } from "../../stats/stats-manager.ts";
import { loadConfigFile, parseConfigText, type LoadedConfig } from "../config/index.ts";
import type { PathSegment } from "../config/kea-json.ts";
import { loggerSpecs } from "../config/logger-specs.ts";
import {
  checkConfinement,
  confinedDirectories,
  type ConfinedDirectories,
} from "../config/security.ts";
import { ConfigError } from "../../util/errors.ts";
import { ipv4FromString, ipv6FromString } from "../../dhcp/ioaddress.ts";
import type { ConfigOf, ExpiredLeasesProcessing, LeaseDatabase } from "../config/types.ts";
import { openHostSources } from "../hosts/host-sources.ts";
import type { FlushResult, LostLeases } from "../leases/lease-store.ts";
import { IfaceManager } from "../iface/iface-manager.ts";
import type { HostSource } from "../model/host.ts";
import { HostStore4 } from "../model/host4.ts";
import { HostStore6 } from "../model/host6.ts";
import type { OutgoingPacket, ReceivedPacket } from "../iface/packet-socket.ts";
import type { ConfigSource } from "../config/source.ts";
import { Dhcp4o6Ipc } from "../iface/dhcp4o6-ipc.ts";
import { listInterfaces } from "../iface/interfaces.ts";
import { loadNative } from "../iface/native.ts";
import { checkDirectories, checkInterfacesExist } from "./config-checks.ts";
import {
  leaseSanityCheck,
  numberCheck4,
  prefixCheck6,
  type SanityLease,
  type SanitySubnet,
} from "./lease-sanity.ts";
import { QueueStats } from "./queue-stats.ts";
import "./start-failure.ts"; // DHCPn_CONFIG_LOAD_FAIL's text
import { formatPosition } from "../config/errors.ts";
import { registerProduct } from "./product.ts";
import { ReplyPipeline, type Query } from "./reply-pipeline.ts";

/**
 * Where a value inside the `parameters` of a hook library was written (`file:line:column`), for
 * the messages of parameters refused by the library's parametersSchema.
 */
export function parameterPositions(
  source: ConfigSource,
  configKey: string,
): (index: number, path: readonly (string | number)[]) => string | undefined {
  return (index, path) => {
    const pos = source.position([configKey, "hooks-libraries", index, "parameters", ...path]);
    return pos === undefined ? undefined : formatPosition(pos);
  };
}

export const VERSION = "0.1.0";
export const DEFAULT_DATA_DIR = "/var/lib/nestor";

/** The memfile lease file a configuration names: relative to its file, else the default. */
export function leaseFilePath(db: LeaseDatabase, configFile: string, family: 4 | 6): string {
  if (db.name !== undefined) return resolve(dirname(configFile), db.name);
  return `${DEFAULT_DATA_DIR}/kea-leases${family}.csv`;
}

/** The control channel's hook (src/control/hook-points.ts), declared here too so that hook
 * libraries loaded at start-up, before the channel exists, may use it. */
const COMMAND_PROCESSED_HOOK = "command_processed";

for (const [prefix, v] of [
  ["DHCP4", "DHCPv4"],
  ["DHCP6", "DHCPv6"],
] as const) {
  defineMessages({
    [`${prefix}_STARTED`]: `Nestor ${v} server version %1 started`,
    [`${prefix}_CONFIG_LOADED`]: "configuration %1 loaded: %2 subnets, %3 hook libraries",
    [`${prefix}_CONFIG_WARNING`]: "%1",
    [`${prefix}_DYNAMIC_RECONFIGURATION`]: "reconfiguring from file %1 (SIGHUP or config-reload)",
    [`${prefix}_DYNAMIC_RECONFIGURATION_SUCCESS`]: "reconfiguration succeeded with file: %1",
    [`${prefix}_DYNAMIC_RECONFIGURATION_FAIL`]:
      "reconfiguration failed with file: %1; the running configuration stays",
    [`${prefix}_LEASE_WRITE_FAILED`]: "lease file write failed, %1 replies not sent: %2",
    [`${prefix}_SEND_FAILED`]: "sending a reply to %1 failed: %2",
    [`${prefix}_LEASE_TAKEN_BY_PEER`]:
      "the reply to %1 is not sent: another server sharing the lease database committed its lease first",
    [`${prefix}_SHUTDOWN`]: "shutting down",
    [`${prefix}_SRV_CONFIGURED_FAIL`]: `${prefix.toLowerCase()}_srv_configured callout rejected the configuration: %1`,
    [`${prefix}_CONFIG_SET_FAIL`]: "new configuration refused, the running configuration stays: %1",
    [`${prefix}_LIBRELOAD_FAIL`]: "hook libraries reload failed, the running libraries stay: %1",
    [`${prefix}_SERVICE_DISABLED`]: `${v} service disabled: queries are dropped`,
    [`${prefix}_SERVICE_ENABLED`]: `${v} service enabled`,
  });
}

export interface ServerOptions {
  configFile: string;
  /** -p: server port (67 / 547); 0 picks a free one (tests). */
  serverPort?: number;
  /** -P: client port (68 / 546). */
  clientPort?: number;
  /** -d: debug logging everywhere. */
  debug?: boolean;
  logs?: LogManager;
  /** Socket backend (tests force "dgram"). */
  backend?: "auto" | "native" | "dgram";
}

/** What the runtime needs of a lease store (memfile, or PostgreSQL). */
export interface RuntimeLeaseStore {
  readonly pendingWrites: number;
  flush(): FlushResult;
  close(): Promise<void>;
  /** A database store: reads the table again (on reconfiguration). */
  reload?(): Promise<unknown>;
}

/** What a database lease store needs of the server: its reconnect policy's actions. */
export interface LeaseStoreServerActions {
  disableService(): void;
  enableService(): void;
  exit(code: number): void;
}

/** What the runtime needs of a family's message processing (Dhcp4Srv, Dhcp6Srv). */
export interface FamilyProcessing<M, R> {
  processQuery(q: Query): R | null | Promise<R | null>;
  getModel(): M;
  /** A reply of this message type left (the sent statistics, counted at send as Kea's). */
  replySent(type: number): void;
}

/** What the runtime reads of a reply: where it goes, and its message type (statistics). */
export interface RuntimeReply {
  address: string;
  type: number;
}

/** What the runtime needs of a family's lease reclaimer. */
export interface RuntimeReclaimer {
  start(config: ExpiredLeasesProcessing): void;
  stop(): void;
  reclaimOnce(options: { remove?: boolean }): Promise<number>;
}

/** Everything a family's server types are; one type argument instead of six. */
export interface FamilyTypes {
  family: 4 | 6;
  model: {
    readonly subnets: readonly unknown[];
    readonly optionDefs: OptionDefLookup;
  };
  store: RuntimeLeaseStore;
  processing: FamilyProcessing<FamilyTypes["model"], FamilyTypes["reply"]>;
  reply: RuntimeReply;
  hooks: { readonly [name: string]: number };
}

type Config<T extends FamilyTypes> = ConfigOf<T["family"]>;

/** The types of one family's server, in FamilyTypes' order. */
export interface FamilyTypesOf<
  F extends 4 | 6,
  M extends FamilyTypes["model"],
  S extends RuntimeLeaseStore,
  P extends FamilyProcessing<M, R>,
  R extends RuntimeReply,
  H extends FamilyTypes["hooks"],
> {
  family: F;
  model: M;
  store: S;
  processing: P;
  reply: R;
  hooks: H;
}

/** What is truly v4 or v6, handed to the runtime by the family's server. */
export interface FamilyAdapter<T extends FamilyTypes> {
  readonly family: T["family"];
  readonly defaultServerPort: number;
  /** Registers the family's hook points; returns their indexes by name. */
  readonly registerHooks: (serverHooks: ServerHooks) => T["hooks"];
  readonly buildModel: (config: Config<T>, file: string, source: ConfigSource) => T["model"];
  readonly openLeases: (
    db: LeaseDatabase & { name: string },
    o: {
      logger: Logger;
      checkLease?: (lease: SanityLease) => boolean;
      /** Where the configuration names the database (errors name file and key). */
      file?: string;
      server?: LeaseStoreServerActions;
    },
  ) => T["store"] | Promise<T["store"]>;
  /** Whether a reply grants one of these leases (taken by another server: not sent). */
  grants?(reply: T["reply"], lost: LostLeases): boolean;
  /** Work a configuration needs before anything changes (v6: its server DUID); may throw. */
  prepare?(config: Config<T>, file: string): void;
  /** The message processing of a new lease store (at start, and when lease-database changes). */
  createProcessing(deps: ProcessingDeps<T>, runtime: ServerRuntime<T>): T["processing"];
  /** A new configuration on the same lease store. */
  reconfigure(processing: T["processing"], model: T["model"], config: Config<T>): void;
  createReclaimer(deps: ReclaimerDeps<T>): RuntimeReclaimer;
  /** Called once the configuration is in place (v6 logs its server DUID). */
  configured?(config: Config<T>, log: Logger): void;
  /** Called after the sockets were (re)opened (v4 learns its addresses). */
  socketsOpened?(runtime: ServerRuntime<T>): void;
  /** A datagram of the other server on the DHCPv4-over-DHCPv6 IPC (`dhcp4o6-port`). */
  dhcp4o6Received?(runtime: ServerRuntime<T>, data: Buffer): void;
  outgoing(reply: T["reply"]): OutgoingPacket;
  /**
   * What the server offers its hook libraries (LibraryHandle.getServer()): made once, it reads
   * the runtime's current lease store and model whenever asked.
   */
  libraryAccess?(runtime: ServerRuntime<T>): object;
}

/** What every family's message processing is built from. */
export interface ProcessingDeps<T extends FamilyTypes> {
  model: T["model"];
  leases: T["store"];
  hooks: HooksManager;
  hookIdx: T["hooks"];
  stats: StatsManager;
  logs: LogManager;
  /** The port the server listens on (-p). */
  serverPort: number;
  /** -P: every reply goes to this port; undefined = the protocol's. */
  clientPort: number | undefined;
}

/** What every family's lease reclaimer is built from. */
export interface ReclaimerDeps<T extends FamilyTypes> {
  leases: T["store"];
  hooks: HooksManager;
  hookIdx: T["hooks"];
  processing: T["processing"];
  log: Logger;
  config: ExpiredLeasesProcessing;
}

export class ServerRuntime<T extends FamilyTypes> {
  readonly serviceName: "dhcp4" | "dhcp6";
  readonly configKey: "Dhcp4" | "Dhcp6";
  readonly version = VERSION;
  readonly startedAt = Date.now();
  /** Date.now() at the last successful (re)configuration. */
  configuredAt = Date.now();
  readonly logs: LogManager;
  readonly stats = new StatsManager();
  readonly hooks: HooksManager;
  readonly hookIdx: T["hooks"];
  readonly iface: IfaceManager;
  /** DHCPv4-over-DHCPv6: this server's end of the IPC with the other family's server. */
  readonly dhcp4o6: Dhcp4o6Ipc;
  protected readonly options: ServerOptions;
  protected readonly log: Logger;
  private readonly adapter: FamilyAdapter<T>;
  /** "DHCP4" or "DHCP6": the prefix of the runtime's message IDs. */
  private readonly prefix: string;
  private readonly ids: RuntimeMessages;
  private leases!: T["store"];
  protected srv!: T["processing"];
  private reclaimer!: RuntimeReclaimer;
  private config!: Config<T>;
  private leaseDbKey = "";
  /**
   * Called when the server must end with an exit value (a database lost for good with an
   * on-fail of stop-retry-exit or serve-retry-exit); the CLI stops and exits. Without it, the
   * runtime stops itself.
   */
  onExit: ((exitValue: number) => void) | null = null;
  /** The hosts databases of the configuration in force (null without any). */
  private hostSource: HostSource<unknown> | null = null;
  /** What the start-up configuration uses, to confine what config-set may name (security.ts). */
  private confined: ConfinedDirectories | undefined;
  private ifaceKey = "";
  private readonly pipeline: ReplyPipeline<T["reply"]>;
  private readonly processQuery = (q: Query): T["reply"] | null | Promise<T["reply"] | null> =>
    this.srv.processQuery(q);
  private readonly batchHandler = (packets: readonly ReceivedPacket[]): void =>
    this.onBatch(packets);
  /** False while dhcp-disable holds: received queries are dropped unanswered. */
  private serviceEnabled = true;
  private serviceDisabledDrops: Observation | null = null;
  private writeDrops: Observation | null = null;
  private takenDrops: Observation | null = null;
  private ipcMalformed: Observation | null = null;
  private readonly queueStats = new QueueStats();
  /** Reconfigurations (reload, config-set, libreload) run one after the other. */
  private configuring: Promise<unknown> = Promise.resolve();

  protected constructor(adapter: FamilyAdapter<T>, options: ServerOptions) {
    registerProduct();
    const family = adapter.family;
    this.adapter = adapter;
    this.options = options;
    this.serviceName = `dhcp${family}`;
    this.configKey = `Dhcp${family}`;
    this.prefix = `DHCP${family}`;
    this.ids = messageIds(this.prefix);
    this.logs = options.logs ?? new LogManager(`nestor-dhcp${family}`);
    this.log = this.logs.getLogger(this.serviceName);
    const serverHooks = new ServerHooks();
    this.hookIdx = adapter.registerHooks(serverHooks);
    serverHooks.ensureHook(COMMAND_PROCESSED_HOOK);
    this.hooks = new HooksManager({
      serverHooks,
      logManager: this.logs,
      statistics: this.stats,
      server: adapter.libraryAccess?.(this),
    });
    this.iface = new IfaceManager({
      family,
      port: options.serverPort ?? adapter.defaultServerPort,
      backend: options.backend ?? "auto",
      logger: this.logs.getLogger("dhcpsrv"),
      file: options.configFile,
    });
    this.dhcp4o6 = new Dhcp4o6Ipc(family, this.logs.getLogger("dhcpsrv"), (data) =>
      adapter.dhcp4o6Received?.(this, data),
    );
    this.pipeline = new ReplyPipeline<T["reply"]>({
      iface: this.iface,
      log: this.log,
      prefix: this.prefix,
      leases: () => this.leases,
      outgoing: (r) => adapter.outgoing(r),
      sent: (r) => this.srv.replySent(r.type),
      // Nestor's counter: replies dropped because their leases could not be written.
      unsent: (n) => {
        this.writeDrops ??= this.stats.observe(`pkt${family}-lease-write-drop`);
        this.writeDrops.add(n);
      },
      // Nestor's counter: replies not sent because another server committed their lease first.
      taken: () => {
        this.takenDrops ??= this.stats.observe(`pkt${family}-lease-taken-drop`);
        this.takenDrops.add(1);
      },
      ...(adapter.grants === undefined
        ? {}
        : { grants: (r: T["reply"], lost: LostLeases) => adapter.grants!(r, lost) }),
    });
  }

  /** Reads the configuration and starts serving; throws (ConfigError...) when it cannot. */
  protected async begin(): Promise<this> {
    try {
      await this.configure(true, this.loadFile());
    } catch (e) {
      await this.stop().catch(() => {});
      throw e;
    }
    this.log.info(this.ids.started, VERSION);
    return this;
  }

  get port(): number {
    return this.iface.port;
  }

  get leaseStore(): T["store"] {
    return this.leases;
  }

  /** The running configuration, with Kea's defaults filled in. */
  get configuration(): Config<T> {
    return this.config;
  }

  get model(): T["model"] {
    return this.srv.getModel();
  }

  /** The file the server was started with (-c). */
  get configFile(): string {
    return this.options.configFile;
  }

  /**
   * What `GET /ready` reports: ready to serve (configured, sockets open, the last lease write
   * good, not dhcp-disabled), or why not.
   */
  readiness(): { ready: boolean; reason: string } {
    const not = (reason: string) => ({ ready: false, reason });
    if ((this.config as Config<T> | undefined) === undefined) return not("not configured yet");
    if (!this.serviceEnabled) return not("the service is disabled (dhcp-disable)");
    if (this.iface.interfaces().length === 0) return not("no interface is open for DHCP");
    const write = this.pipeline.writeError;
    if (write !== null) return not(`the last lease write failed: ${write}`);
    return { ready: true, reason: "serving" };
  }

  /** What the metrics endpoint reads besides the statistics. */
  get runtimeMetrics(): RuntimeMetrics {
    return {
      inFlight: this.pipeline.inFlight,
      parked: this.hooks.parkedCount(),
      leaseWriteLatency: this.pipeline.writeLatency,
      leaseWriteBatch: this.pipeline.writeBatch,
    };
  }

  /** Re-reads the configuration file; on any error the running configuration stays. */
  async reload(): Promise<void> {
    // Kea 2.2's lines, with the file name, so that log alerts written for Kea keep matching:
    // on a failure CONFIG_LOAD_FAIL (ERROR) with the reason, then DYNAMIC_RECONFIGURATION_FAIL
    // at FATAL as Kea logs it (the server goes on with the running configuration, as Kea's).
    const file = this.configFile;
    this.log.info(`${this.prefix}_DYNAMIC_RECONFIGURATION`, file);
    try {
      await this.refusable(null, () => this.configure(false, this.loadFile()));
    } catch (e) {
      this.log.error(`${this.prefix}_CONFIG_LOAD_FAIL`, file, e instanceof Error ? e.message : e);
      this.log.fatal(`${this.prefix}_DYNAMIC_RECONFIGURATION_FAIL`, file);
      throw e;
    }
    this.log.info(`${this.prefix}_DYNAMIC_RECONFIGURATION_SUCCESS`, file);
  }

  /**
   * Applies a configuration document `{ "Dhcp4": {...} }` (config-set); relative paths in it are
   * taken from the configuration file's directory. On any error the running configuration stays.
   */
  async setConfig(document: JsonObject): Promise<void> {
    await this.refusable(this.ids.configSetFail, () =>
      this.configure(false, this.parseDocument(document)),
    );
  }

  /** Checks a document as setConfig would, hook libraries included, and changes nothing. */
  async testConfig(document: JsonObject): Promise<void> {
    await this.check(this.parseDocument(document));
  }

  /**
   * Imports the running hook libraries afresh (a file edited on disk takes effect); with
   * `library`, only that one, the others untouched.
   */
  async reloadLibraries(library?: string): Promise<void> {
    await this.refusable(this.ids.libreloadFail, async () => {
      const multiThreading = this.multiThreading(this.config);
      if (library !== undefined) {
        await this.hooks.reloadLibrary(library, { multiThreading });
        return;
      }
      const configs = this.hooks.getLibraryConfigs();
      await this.validateLibraries(configs, multiThreading);
      await this.hooks.loadLibraries(configs, { multiThreading });
    });
  }

  /** dhcp-disable / dhcp-enable: while disabled, every received query is dropped unanswered. */
  setServiceEnabled(enabled: boolean): void {
    if (enabled === this.serviceEnabled) return;
    this.serviceEnabled = enabled;
    if (!enabled) {
      this.serviceDisabledDrops ??= this.stats.observe(
        `pkt${this.adapter.family}-service-disabled`,
      );
    }
    this.log.info(enabled ? this.ids.serviceEnabled : this.ids.serviceDisabled);
  }

  /** Runs one reclamation cycle now (leases-reclaim). */
  reclaimNow(remove?: boolean): Promise<number> {
    return this.reclaimer.reclaimOnce(remove === undefined ? {} : { remove });
  }

  /** Stops receiving, lets asynchronous queries finish, unloads libraries, closes the leases. */
  async stop(): Promise<void> {
    this.log.info(this.ids.shutdown);
    this.iface.close();
    this.dhcp4o6.close();
    this.reclaimer?.stop();
    this.hooks.dropParked();
    await this.pipeline.drain();
    await this.hooks.unloadLibraries();
    await this.leases?.close();
    await this.hostSource?.close().catch(() => undefined);
    this.hostSource = null;
    await this.logs.flush();
  }

  /** Runs one reconfiguration after the others; a failure is logged under `id` and thrown. */
  private async refusable(id: string | null, task: () => Promise<void>): Promise<void> {
    const run = this.configuring.then(task, task);
    this.configuring = run.catch(() => undefined);
    try {
      await run;
    } catch (e) {
      if (id !== null) this.log.error(id, e instanceof Error ? e.message : String(e));
      throw e;
    }
  }

  private loadFile(): LoadedConfig<T["family"]> {
    return loadConfigFile(this.configFile, this.adapter.family);
  }

  /** A document from the control channel, through the same reader as a file. */
  private parseDocument(document: JsonObject): LoadedConfig<T["family"]> {
    const text = JSON.stringify(document, null, 2);
    const loaded = parseConfigText(text, this.adapter.family, "<config-set>");
    if (this.confined !== undefined) {
      checkConfinement(
        loaded.config,
        this.configKey,
        dirname(resolve(this.configFile)),
        this.confined,
        (warning) => this.log.warn(this.ids.configWarning, warning),
      );
    }
    return loaded;
  }

  private multiThreading(config: Config<T>): boolean {
    return config["multi-threading"]["enable-multi-threading"];
  }

  private async validateLibraries(
    libraries: readonly HookLibraryConfig[],
    multiThreading: boolean,
    source?: ConfigSource,
  ): Promise<void> {
    const errors = await this.hooks.validateLibraries(libraries, {
      multiThreading,
      ...(source === undefined ? {} : { position: parameterPositions(source, this.configKey) }),
    });
    if (errors.length > 0) throw new Error(errors.join("; "));
  }

  /** The names of the machine's interfaces, as the sockets will find them. */
  private systemInterfaces(): Set<string> {
    return new Set(listInterfaces(loadNative().binding).map((i) => i.name));
  }

  /** Everything that can be checked before changing anything: model, libraries. */
  private async check(loaded: LoadedConfig<T["family"]>) {
    const file = this.configFile;
    const config = loaded.config as Config<T>;
    const model = this.adapter.buildModel(config, file, loaded.source);
    checkDirectories(config, this.adapter.family, file, loaded.source);
    // Before anything changes: config-test refuses it, config-set leaves the running one.
    checkInterfacesExist(config, this.adapter.family, loaded.source, this.systemInterfaces());
    const key = `${this.configKey}.hooks-libraries`;
    const libraries = parseHooksLibraries(config["hooks-libraries"], key, file);
    await this.validateLibraries(libraries, this.multiThreading(config), loaded.source);
    return { config, model, libraries };
  }

  private async configure(initial: boolean, loaded: LoadedConfig<T["family"]>): Promise<void> {
    const { config, model, libraries } = await this.check(loaded);
    // At start-up the configured logging applies at once (the lease file and library loading log
    // through it); on a reconfiguration only once the new libraries are in (nothing to undo).
    if (initial) this.applyLogging(config, loaded.warnings);
    this.adapter.prepare?.(config, this.configFile);
    // The hosts databases first: one that cannot be opened refuses the configuration before
    // anything changes (Kea does not start without its hosts database).
    const hostSource = await this.openHosts(config, model);
    const leaseDbKey = JSON.stringify(config["lease-database"]);
    let newLeases: T["store"] | null = null;
    try {
      if (initial || leaseDbKey !== this.leaseDbKey) {
        newLeases = await this.openLeases(config, model);
      }
      await this.hooks.loadLibraries(libraries, { multiThreading: this.multiThreading(config) });
    } catch (e) {
      await newLeases?.close();
      await hostSource?.close().catch(() => undefined);
      throw e;
    }
    // Queries still running keep the old model and its source until they end: closed once the
    // pool's running queries are done (pg's end() waits for them).
    const oldHosts = this.hostSource;
    this.hostSource = hostSource;
    void oldHosts?.close().catch(() => undefined);
    if (!initial) this.applyLogging(config, loaded.warnings);
    this.config = config;
    setLenientOptionParsing(config.compatibility?.["lenient-option-parsing"] === true);
    this.hooks.setParkedPacketLimit(config["parked-packet-limit"]);
    if (newLeases !== null) await this.useLeases(newLeases, model, config, initial);
    else {
      // A database store reads its table again (what Kea or another server wrote), so that the
      // statistics are recounted from the database, as Kea does on reconfiguration.
      await this.leases.reload?.();
      this.adapter.reconfigure(this.srv, model, config);
    }
    this.adapter.configured?.(config, this.log);
    this.reclaimer.start(config["expired-leases-processing"]);
    await this.srvConfigured(config);
    const ifaceKey = JSON.stringify(config["interfaces-config"]);
    if (initial || ifaceKey !== this.ifaceKey) {
      await this.openInterfaces(config, loaded);
      this.iface.onBatch(this.batchHandler);
      this.ifaceKey = ifaceKey;
      this.adapter.socketsOpened?.(this);
    }
    await this.dhcp4o6.configure(config["dhcp4o6-port"]);
    this.leaseDbKey = leaseDbKey;
    if (initial) this.confined = confinedDirectories(config, dirname(resolve(this.configFile)));
    this.configuredAt = Date.now();
    this.log.info(this.ids.configLoaded, this.configFile, model.subnets.length, libraries.length);
  }

  /**
   * The configuration's hosts databases as the model's host source (null without any): the
   * packet path asks it once per query, after the configuration's reservations.
   */
  private async openHosts(
    config: Config<T>,
    model: T["model"],
  ): Promise<HostSource<unknown> | null> {
    const family = this.adapter.family;
    const source = await openHostSources(
      family,
      config,
      model.optionDefs,
      () => (family === 4 ? new HostStore4() : new HostStore6()),
      {
        logger: this.logs.getLogger("dhcpsrv"),
        disableService: () => this.setServiceEnabled(false),
        enableService: () => this.setServiceEnabled(true),
        exit: (code) => {
          if (this.onExit !== null) this.onExit(code);
          else void this.stop().catch(() => undefined);
        },
      },
    );
    // The models' hostSource (Dhcp4Model, Dhcp6Model): the family's source builds the family's
    // store (HostStore4 for v4, HostStore6 for v6).
    (model as unknown as { hostSource: HostSource<unknown> | null }).hostSource = source;
    if (source !== null) this.log.info("DHCPSRV_PGSQL_HOST_DB", source.label);
    return source;
  }

  /** The sockets; an interface refused is refused with its place in the file, as -t does. */
  private async openInterfaces(config: Config<T>, loaded: LoadedConfig<T["family"]>) {
    try {
      await this.iface.open(config["interfaces-config"]);
    } catch (e) {
      if (!(e instanceof ConfigError) || !e.path.startsWith("interfaces-config")) throw e;
      const path: PathSegment[] = [this.configKey];
      for (const m of e.path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
        path.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
      }
      throw loaded.source.error(e.reason, path, { cause: e });
    }
  }

  /** A new lease store: the old one closed, processing and reclaimer made for the new one. */
  private async useLeases(
    leases: T["store"],
    model: T["model"],
    config: Config<T>,
    initial: boolean,
  ): Promise<void> {
    const old = initial ? null : this.leases;
    this.leases = leases;
    await old?.close();
    const { hooks, hookIdx, stats, logs, options } = this;
    const serverPort = options.serverPort ?? this.adapter.defaultServerPort;
    const deps = { model, leases, hooks, hookIdx, stats, logs, serverPort };
    this.srv = this.adapter.createProcessing({ ...deps, clientPort: options.clientPort }, this);
    this.reclaimer?.stop();
    this.reclaimer = this.adapter.createReclaimer({
      leases,
      hooks,
      hookIdx,
      processing: this.srv,
      log: logs.getLogger("alloc-engine"),
      config: config["expired-leases-processing"],
    });
  }

  private applyLogging(config: Config<T>, warnings: LoadedConfig<T["family"]>["warnings"]): void {
    this.logs.configure(loggerSpecs(config.loggers, this.configFile, this.serviceName), {
      forceDebug: this.options.debug === true,
    });
    for (const w of warnings) this.log.warn(this.ids.configWarning, w.text);
  }

  // dhcpN_srv_configured: a callout may reject the configuration by setting "error" and DROP.
  private get srvConfiguredHook(): string {
    return `${this.serviceName}_srv_configured`;
  }

  private async srvConfigured(config: Config<T>): Promise<void> {
    const gen = this.hooks.callouts;
    const index = this.hookIdx[this.srvConfiguredHook]!;
    if (!gen.calloutsPresent(index)) return;
    const h = gen.createCalloutHandle();
    h.setArgument("json_config", config);
    h.setArgument("server_config", this.srv.getModel());
    await gen.callCallouts(index, h);
    const status = h.getStatus();
    const error = h.getArgumentNames().includes("error") ? String(h.getArgument("error")) : "";
    await h.release();
    if (status === NextStep.DROP || error !== "") {
      const why = error === "" ? "unknown error" : error;
      this.log.error(this.ids.srvConfiguredFail, why);
      throw new Error(`${this.srvConfiguredHook}: ${why}`);
    }
  }

  private openLeases(config: Config<T>, model: T["model"]): T["store"] | Promise<T["store"]> {
    const db = config["lease-database"];
    const family = this.adapter.family;
    if (db.type === "postgresql") {
      // Kea's SQL database: the adapter opens it (async: connect, schema check, load).
      const logger = this.logs.getLogger("dhcpsrv");
      return this.adapter.openLeases(db as LeaseDatabase & { name: string }, {
        logger,
        file: this.configFile,
        server: {
          disableService: () => this.setServiceEnabled(false),
          enableService: () => this.setServiceEnabled(true),
          exit: (code) => {
            this.log.fatal(this.ids.shutdown);
            process.exit(code);
          },
        },
      });
    }
    const path = leaseFilePath(db, this.configFile, family);
    // A lease file named in the configuration is in a directory that exists (checked with the
    // configuration); the default one is in the server's data directory, made on first use.
    if (db.persist && db.name === undefined) mkdirSync(dirname(path), { recursive: true });
    // The store logs its loading (rows read and discarded) and its cleanups with Kea's IDs.
    const logger = this.logs.getLogger("dhcpsrv");
    const mode = config["sanity-checks"]["lease-checks"];
    const subnets = model.subnets as readonly SanitySubnet<never>[];
    const checkLease =
      family === 4
        ? leaseSanityCheck(
            mode,
            subnets as readonly SanitySubnet<number>[],
            ipv4FromString,
            logger,
            numberCheck4(subnets as readonly SanitySubnet<number>[]),
          )
        : leaseSanityCheck(
            mode,
            withPrefixPools(model.subnets),
            ipv6Number,
            logger,
            prefixCheck6(model.subnets),
          );
    return this.adapter.openLeases(
      { ...db, name: path },
      checkLease === null ? { logger } : { logger, checkLease },
    );
  }

  /**
   * What status-get says of the threading, as Kea 2.2: whether multi-threading is enabled and,
   * when it is, the configured thread pool size (0: one per CPU, as Kea counts them), the packet
   * queue size and the queue's average lengths. Nestor serves from one event loop either way;
   * the setting decides which hook libraries may load (their multi_threading_compatible).
   */
  status(): JsonObject {
    const mt = this.config["multi-threading"];
    if (!mt["enable-multi-threading"]) return { "multi-threading-enabled": false };
    return {
      "multi-threading-enabled": true,
      "thread-pool-size":
        mt["thread-pool-size"] === 0 ? availableParallelism() : mt["thread-pool-size"],
      "packet-queue-size": mt["packet-queue-size"],
      "packet-queue-statistics": this.queueStats.averages(),
    };
  }

  /**
   * A DHCPv4-over-DHCPv6 message of the other server that could not be used (no ISC vendor
   * option, no option 87...): dropped and counted in `pktN-dhcp4o6-malformed` (Nestor's
   * statistic; Kea only logs it).
   */
  dhcp4o6Malformed(): void {
    this.ipcMalformed ??= this.stats.observe(`pkt${this.adapter.family}-dhcp4o6-malformed`);
    this.ipcMalformed.add(1);
  }

  /**
   * A query that came another way than the sockets (DHCPv4-over-DHCPv6): processed by
   * `process` as the sockets' ones, its reply sent once its lease is written.
   */
  runQuery(
    rx: ReceivedPacket,
    process: (q: Query) => T["reply"] | null | Promise<T["reply"] | null>,
  ): void {
    this.pipeline.run([rx], process);
  }

  /** One batch (the shared pipeline), unless the service is disabled (dhcp-disable). */
  private onBatch(packets: readonly ReceivedPacket[]): void {
    // Only status-get with multi-threading enabled reads the queue statistics.
    if (this.config["multi-threading"]["enable-multi-threading"]) {
      this.queueStats.recordBatch(packets.length);
    }
    if (!this.serviceEnabled) {
      this.serviceDisabledDrops?.add(packets.length);
      return;
    }
    this.pipeline.run(packets, this.processQuery);
  }
}

/** Gauges and histograms of the packet path (runtimeMetrics). */
export interface RuntimeMetrics {
  /** Queries waiting on an asynchronous callout. */
  inFlight: number;
  /** Queries parked by a callout. */
  parked: number;
  /** Lease writes: seconds each took, and leases each carried. */
  leaseWriteLatency: Histogram;
  leaseWriteBatch: Histogram;
}

/**
 * The v6 subnets as the lease check sees them: a delegated prefix belongs to the subnet of its
 * prefix pool, not of its own prefix (Kea 2.2 keeps such a lease too).
 */
function withPrefixPools(subnets: readonly unknown[]): SanitySubnet<bigint>[] {
  type Pools = readonly { inRange(a: bigint): boolean }[];
  return (subnets as (SanitySubnet<bigint> & { pdPools?: Pools })[]).map((s) => ({
    id: s.id,
    inRange: (a: bigint) => s.inRange(a) || (s.pdPools ?? []).some((p) => p.inRange(a)),
  }));
}

/** A v6 address as the subnets' inRange takes it. */
function ipv6Number(address: string): bigint {
  return BigInt(`0x${ipv6FromString(address).toString("hex")}`);
}

type RuntimeMessages = Readonly<
  Record<
    | "started"
    | "configLoaded"
    | "configWarning"
    | "shutdown"
    | "srvConfiguredFail"
    | "configSetFail"
    | "libreloadFail"
    | "serviceDisabled"
    | "serviceEnabled",
    string
  >
>;

function messageIds(prefix: string): RuntimeMessages {
  return {
    started: `${prefix}_STARTED`,
    configLoaded: `${prefix}_CONFIG_LOADED`,
    configWarning: `${prefix}_CONFIG_WARNING`,
    shutdown: `${prefix}_SHUTDOWN`,
    srvConfiguredFail: `${prefix}_SRV_CONFIGURED_FAIL`,
    configSetFail: `${prefix}_CONFIG_SET_FAIL`,
    libreloadFail: `${prefix}_LIBRELOAD_FAIL`,
    serviceDisabled: `${prefix}_SERVICE_DISABLED`,
    serviceEnabled: `${prefix}_SERVICE_ENABLED`,
  };
}
