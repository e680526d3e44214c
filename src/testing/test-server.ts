/**
 * What both test servers share: the configuration read and checked as the server reads a file,
 * the statistics, the log lines kept in memory, the hook libraries loaded through the real
 * framework, command handlers reachable without a socket, and the clock.
 */
import { CommandMgr } from "../control/command-mgr.ts";
import { parseConfigText, type LoadedConfig } from "../dhcpsrv/config/index.ts";
import type { Family } from "../dhcpsrv/config/types.ts";
import { registerProduct } from "../dhcpsrv/runtime/product.ts";
import { parseHooksLibraries } from "../hooks/config.ts";
import { HooksManager } from "../hooks/hooks-manager.ts";
import type { ServerHooks } from "../hooks/server-hooks.ts";
import type { ControlAnswer, JsonObject } from "../hooks/types.ts";
import { LogManager } from "../log/logger.ts";
import type { StatValue } from "../stats/observation.ts";
import { StatsManager } from "../stats/stats-manager.ts";
import type { ReceivedDatagram } from "../dhcpsrv/processing/exchange-rules.ts";
import type { ManualClock } from "./clock.ts";

/** Where a query came from and arrived (each family has its defaults). */
export interface Arrival {
  from?: string;
  to?: string;
  iface?: string;
}

/** A reply as the server sends it. */
export interface Sent<P> {
  /** The reply's bytes (what goes on the wire, a RELAY-REPL for a relayed v6 query). */
  wire: Buffer;
  pkt: P;
  /** Where it goes. */
  address: string;
  port: number;
}

/** The family's packet class, as the servers below use it. */
interface PacketClass<P> {
  parse(wire: Buffer): P;
}

/** A reply as the family's processQuery returns it. */
interface Reply {
  data: Uint8Array;
  type: number;
  address: string;
  port: number;
}

/** The family's processing and lease store, as exchange() drives them. */
interface Processing {
  processQuery(rx: ReceivedDatagram): Reply | null | Promise<Reply | null>;
  /** The reply left: the sent statistics (the server's reply pipeline calls it on sending). */
  replySent(type: number): void;
}

export interface TestServerOptions {
  /**
   * The configuration: the body of `Dhcp4`/`Dhcp6` as an object, or a whole document as text
   * (JSON with comments, as a file). Checked as the server checks a file: a bad one throws the
   * server's error (file "<test>", key path, reason).
   */
  config: JsonObject | string;
  /** Libraries to load besides the configuration's `hooks-libraries` (after them). */
  libraries?: readonly { library: string; parameters?: JsonObject }[];
  /** A clock the test moves (installed as Date.now() until close()). */
  clock?: ManualClock;
  /** The lowest severity kept in `logLines`; DEBUG (level 99) by default. */
  logSeverity?: "DEBUG" | "INFO" | "WARN" | "ERROR";
}

export abstract class TestServerBase<F extends Family> {
  readonly family: F;
  readonly stats = new StatsManager();
  /** Every log line the server and its libraries wrote, in order. */
  readonly logLines: string[] = [];
  readonly logs: LogManager;
  readonly hooks: HooksManager;
  readonly clock: ManualClock | undefined;
  protected readonly loaded: LoadedConfig<F>;
  private readonly commands: CommandMgr;

  protected constructor(family: F, options: TestServerOptions, serverHooks: ServerHooks) {
    registerProduct();
    this.family = family;
    this.clock = options.clock;
    this.clock?.install();
    const top = `Dhcp${family}`;
    const text =
      typeof options.config === "string"
        ? options.config
        : JSON.stringify({ [top]: options.config });
    this.loaded = parseConfigText(text, family, "<test>");
    this.logs = new LogManager(`nestor-dhcp${family}`);
    this.logs.configure([
      {
        name: `nestor-dhcp${family}`,
        severity: options.logSeverity ?? "DEBUG",
        debuglevel: 99,
        outputs: [(line) => this.logLines.push(line)],
      },
    ]);
    this.hooks = new HooksManager({
      serverHooks,
      logManager: this.logs,
      statistics: this.stats,
      server: this.libraryAccess(),
    });
    this.commands = new CommandMgr(this.hooks, this.logs.getLogger("commands"));
  }

  /**
   * What the server offers its libraries (LibraryHandle.getServer()), as the real server does:
   * made in the base constructor, so it may only read the subclass's fields when asked.
   */
  protected abstract libraryAccess(): object;

  /** Starts a server made by a subclass: its libraries loaded, or the clock given back. */
  protected static async loaded<S extends TestServerBase<Family>>(
    server: S,
    options: TestServerOptions,
  ): Promise<S> {
    try {
      await server.loadLibraries(options);
    } catch (e) {
      server.clock?.uninstall();
      throw e;
    }
    return server;
  }

  /**
   * One query through `srv` (asynchronous callouts awaited); the lease changes are stored before
   * it returns. `defaults` are the family's source and destination, `client` its client port.
   */
  protected async send<P extends { pack(): Uint8Array }>(
    srv: Processing,
    leases: { flush(): void },
    Packet: PacketClass<P> & (abstract new (...args: never[]) => P),
    packet: P | Uint8Array,
    arrival: Arrival,
    defaults: { from: string; to: string; port: number },
  ): Promise<Sent<P> | null> {
    const data = packet instanceof Packet ? packet.pack() : packet;
    const reply = await srv.processQuery({
      data: Buffer.from(data as Uint8Array),
      srcAddr: arrival.from ?? defaults.from,
      srcPort: defaults.port,
      dstAddr: arrival.to ?? defaults.to,
      iface: arrival.iface ?? "eth0",
      ifindex: 2,
      receivedAt: Date.now(),
    });
    leases.flush();
    if (reply === null) return null;
    srv.replySent(reply.type);
    const wire = Buffer.from(reply.data);
    return { wire, pkt: Packet.parse(wire), address: reply.address, port: reply.port };
  }

  /** Loads the configuration's libraries and the options' ones (called by start()). */
  protected async loadLibraries(options: TestServerOptions): Promise<void> {
    const config = this.loaded.config as { "hooks-libraries"?: unknown };
    const libs = [
      ...parseHooksLibraries(config["hooks-libraries"], `Dhcp${this.family}.hooks-libraries`),
      ...parseHooksLibraries(options.libraries ?? [], "libraries"),
    ];
    if (libs.length === 0) return;
    const errors = await this.hooks.validateLibraries(libs, {});
    if (errors.length > 0) throw new Error(errors.join("; "));
    await this.hooks.loadLibraries(libs);
  }

  /** A statistic's current value (`pkt4-received`, `subnet[1].assigned-addresses`...). */
  statistic(name: string): StatValue | undefined {
    return this.stats.get(name)?.value;
  }

  /** Log lines containing a message ID (`DHCP4_LEASE_ALLOC`) or any text. */
  logged(text: string): string[] {
    return this.logLines.filter((l) => l.includes(text));
  }

  /**
   * Sends a control command as an operator would, to the handlers the libraries registered
   * (`registerCommandCallout`); answers as over a socket, `{ result, text, arguments }`.
   */
  command(command: string, args?: JsonObject): Promise<ControlAnswer> {
    return this.commands.processCommand(
      args === undefined ? { command } : { command, arguments: args },
    );
  }

  /** Unloads the libraries (their unload() runs) and gives Date.now() back. */
  async close(): Promise<void> {
    try {
      await this.hooks.unloadLibraries();
    } finally {
      this.clock?.uninstall();
    }
  }
}
