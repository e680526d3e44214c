/**
 * The server's entry point into the hooks framework: loads the configured library set, answers
 * "are there callouts on this hook?", calls them, reloads and unloads. Not a singleton: a server
 * (or a test) builds its own and passes it where it is needed.
 *
 * Loading is all or nothing and never disturbs the running set: the new set is built as a new
 * generation while the old one keeps serving; only when every library loaded does the new
 * generation take over; loadLibraries() resolves then. The old one is retired in the background:
 * once the requests that started with it have finished (bounded by drainTimeoutMs) its
 * libraries' unload() run in reverse order and all their registrations are removed.
 */
import { CalloutMetrics } from "./callout-metrics.ts";
import { defaultLogManager, defineMessages, type LogManager, type Logger } from "../log/logger.ts";
import { StatsManager } from "../stats/stats-manager.ts";
import type { CalloutHandle } from "./callout-handle.ts";
import { CalloutManager, POST_LIBRARY_INDEX, PRE_LIBRARY_INDEX } from "./callout-manager.ts";
import type { HookLibraryConfig } from "./config.ts";
import { LibraryLoadError } from "./errors.ts";
import { LibraryHandle } from "./library-handle.ts";
import {
  callLoad,
  callUnload,
  checkParameters,
  checkVersion,
  formatParameterPath,
  importLibrary,
  logStack,
  readMultiThreading,
  registerStandardCallouts,
  type LoadedLibrary,
  type ParameterPath,
} from "./library-loader.ts";
import { QueryWaits } from "./query-waits.ts";
import { ServerHooks } from "./server-hooks.ts";
import type { JsonObject } from "./types.ts";

defineMessages({
  HOOKS_LIBRARY_LOADED: "hooks library %1 successfully loaded",
  HOOKS_LIBRARY_LOAD_FAILED: "%1",
  HOOKS_LIBRARY_UNLOADED: "hooks library %1 successfully unloaded",
  HOOKS_LIBRARIES_DRAIN_TIMEOUT:
    "%1 requests still held libraries of generation %2 after %3 ms; unloading them anyway",
  HOOKS_UNLOAD_ERROR: "error unloading hooks library %1: %2",
  HOOKS_UNLOAD_EXCEPTION: "unload() of hooks library %1 threw: %2",
  HOOKS_STD_CALLOUT_REGISTERED: "hooks library %1 registered standard callout for hook %2",
  HOOKS_CALLOUT_ERROR: "callout %1 on hook %2 of library %3 returned %4 (error)",
  HOOKS_CALLOUT_EXCEPTION: "callout %1 on hook %2 of library %3 threw: %4 (query %5: %6)",
  HOOKS_CALLOUT_TIMEOUT:
    "callout %1 on hook %2 of library %3 did not finish within %4 ms (query %5: %6)",
  HOOKS_PARK_TIMEOUT: "query %1 parked on hook %2 by library %3 was not unparked within %4 ms (%5)",
  HOOKS_PARKED_PACKET_LIMIT:
    "parked-packet-limit %1 reached on hook %2: callout of library %3 may not wait, query %4 dropped",
  HOOKS_LIBRARY_RELOADED: "hooks library %1 reloaded (the other libraries untouched)",
  HOOKS_CALLOUT_CALLED: "callout %1 on hook %2 of library %3 took %4 ms",
});

export interface HooksManagerOptions {
  /** The hook registry the server declared its hook points in (one is made when absent). */
  serverHooks?: ServerHooks;
  logManager?: LogManager;
  /** An asynchronous callout that has not settled after this long is treated as a throw. */
  calloutTimeoutMs?: number;
  /** How long load() / unload() may take. */
  loadTimeoutMs?: number;
  /** How long a retired generation waits for its requests before unloading anyway. */
  drainTimeoutMs?: number;
  /** The server's statistics, which libraries reach with LibraryHandle.getStatistics(). */
  statistics?: StatsManager;
  /** What the server offers its libraries, which they reach with LibraryHandle.getServer(). */
  server?: object;
}

export interface LoadOptions {
  /** When true, a library whose multi_threading_compatible() is 0 is refused. */
  multiThreading?: boolean;
}

export interface ValidateOptions extends LoadOptions {
  /**
   * Where the value at `path` inside the parameters of the library at `index` (0-based) was
   * written, as `file:line:column`, for the messages of parameters its parametersSchema refuses.
   */
  position?: (index: number, path: ParameterPath) => string | undefined;
}

export interface LibraryInfo {
  library: string;
  path: string;
  index: number;
  parameters: JsonObject | undefined;
  multiThreadingCompatible: boolean;
}

export class HooksManager {
  readonly serverHooks: ServerHooks;
  readonly logManager: LogManager;
  readonly statistics: StatsManager;
  private readonly server: object | undefined;
  private readonly hooksLogger: Logger;
  private readonly calloutsLogger: Logger;
  private readonly calloutTimeoutMs: number;
  private readonly loadTimeoutMs: number;
  private readonly drainTimeoutMs: number;
  private generations = 0;
  private current: CalloutManager;
  private libraries: readonly LoadedLibrary[] = [];
  /** Serialises load/unload so two reloads never interleave. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly retiring = new Set<Promise<void>>();
  /** Calls, errors, timeouts and latency of every callout, per library and hook point. */
  readonly calloutMetrics = new CalloutMetrics();
  /** Queries waiting per hook point (parked or awaiting a callout), and parked-packet-limit. */
  readonly waits = new QueryWaits();

  constructor(options: HooksManagerOptions = {}) {
    this.serverHooks = options.serverHooks ?? new ServerHooks();
    this.logManager = options.logManager ?? defaultLogManager;
    this.statistics = options.statistics ?? new StatsManager();
    this.server = options.server;
    this.hooksLogger = this.logManager.getLogger("hooks");
    this.calloutsLogger = this.logManager.getLogger("callouts");
    this.calloutTimeoutMs = options.calloutTimeoutMs ?? 30_000;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 30_000;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
    this.current = this.newGeneration([]).manager;
  }

  /** Queries parked by a callout or awaiting one, at every hook point. */
  parkedCount(): number {
    return this.waits.total();
  }

  /**
   * Drops every query parked with PARK (a shutdown: as Kea, parked packets are not answered);
   * queries awaiting a callout's Promise are not affected.
   */
  dropParked(): void {
    this.current.clearParkingLots();
  }

  /**
   * The configuration's `parked-packet-limit`: at most this many queries wait at one hook point
   * (parked, or awaiting a callout's Promise); one more is dropped. 0 = no limit.
   */
  setParkedPacketLimit(limit: number): void {
    this.waits.limit = limit;
  }

  /**
   * The generation new requests use. A server reads it once per request and makes every
   * hook call of that request through it (or through the request's CalloutHandle).
   */
  get callouts(): CalloutManager {
    return this.current;
  }

  /**
   * True when the hook has callouts: in the generation of `handle` when given (a request keeps
   * the libraries it started with), else in the current one.
   */
  calloutsPresent(index: number, handle?: CalloutHandle): boolean {
    return (handle?.manager ?? this.current).calloutsPresent(index);
  }

  createCalloutHandle<K extends string = string>(): CalloutHandle<K> {
    return this.current.createCalloutHandle<K>();
  }

  /** Calls the hook's callouts in the generation the handle belongs to. */
  callCallouts(index: number, handle: CalloutHandle): void | Promise<void> {
    return handle.manager.callCallouts(index, handle);
  }

  commandHandlersPresent(command: string, handle?: CalloutHandle): boolean {
    return (handle?.manager ?? this.current).commandHandlersPresent(command);
  }

  callCommandHandlers(command: string, handle: CalloutHandle): void | Promise<void> {
    return handle.manager.callCommandHandlers(command, handle);
  }

  /** Registers server callouts that run before every library's (valid until the next load). */
  preCalloutsLibraryHandle(): LibraryHandle {
    return this.serverHandle(this.current, PRE_LIBRARY_INDEX);
  }

  /** Registers server callouts that run after every library's (valid until the next load). */
  postCalloutsLibraryHandle(): LibraryHandle {
    return this.serverHandle(this.current, POST_LIBRARY_INDEX);
  }

  getLibraryNames(): string[] {
    return this.libraries.map((l) => l.config.library);
  }

  getLibraryInfo(): LibraryInfo[] {
    return this.libraries.map((l) => ({
      library: l.config.library,
      path: l.config.path,
      index: l.index,
      parameters: l.config.parameters,
      multiThreadingCompatible: l.multiThreadingCompatible,
    }));
  }

  /** The configuration the current set was loaded from. */
  getLibraryConfigs(): HookLibraryConfig[] {
    return this.libraries.map((l) => l.config);
  }

  /**
   * Loads the list as a new generation, in list order. If any library fails (import error,
   * missing or wrong version(), load() non-zero or throwing), the libraries of the new set that
   * did load are unloaded again and the error is thrown: the running set stays as it was.
   */
  loadLibraries(configs: readonly HookLibraryConfig[], options: LoadOptions = {}): Promise<void> {
    return this.serialise(() => this.loadInternal(configs, options));
  }

  /**
   * Unloads the current set: new requests see no callouts at once; unload() runs in reverse
   * order once the requests that started with the set have finished, then every registration
   * is removed. Resolves when that is done.
   */
  unloadLibraries(): Promise<void> {
    return this.serialise(async () => {
      this.swap(this.newGeneration([]).manager, []);
      await this.whenRetired();
    });
  }

  /** Loads the same list again from disk: each module is imported afresh. */
  reloadLibraries(options: LoadOptions = {}): Promise<void> {
    return this.loadLibraries(
      this.libraries.map((l) => l.config),
      options,
    );
  }

  /**
   * Reloads one library of the running set (`libreload` with `{"library": ...}`, Nestor's
   * addition): every entry whose `library` (as configured) or resolved path is `library` is
   * imported afresh and its load() called, in a new generation that carries the other libraries
   * over as they are: same module instances, no unload()/load(), their registrations, module
   * state and parameters kept. Requests already running finish with the generation they started
   * with; the replaced instance's unload() runs once they have. All or nothing: when the new
   * instance fails to load, the running set stays as it was and the error is thrown.
   */
  reloadLibrary(library: string, options: LoadOptions = {}): Promise<void> {
    return this.serialise(() => this.reloadOne(library, options));
  }

  /**
   * Checks a list without loading it: each library is imported (a fresh instance), its
   * version() checked, its parameters checked against its parametersSchema (Kea-style message:
   * `file:line:column: Dhcp4.hooks-libraries[0].parameters.name: reason`) and, with
   * multi-threading, its compatibility. load() is not called. Returns one message per failing
   * library (empty when all are fine). Used by -t, config-test, config-set and start.
   */
  async validateLibraries(
    configs: readonly HookLibraryConfig[],
    options: ValidateOptions = {},
  ): Promise<string[]> {
    const errors: string[] = [];
    const generation = ++this.generations;
    for (const [i, config] of configs.entries()) {
      try {
        const mod = await importLibrary(config, generation, i + 1);
        checkVersion(config, mod);
        const problem = checkParameters(config, mod);
        if (problem !== undefined) {
          const where = options.position?.(i, problem.path) ?? config.source?.file;
          const key = `${config.source?.key ?? `hooks-libraries[${i}]`}.parameters`;
          const at = `${key}${formatParameterPath(problem.path)}`;
          errors.push([where, at, problem.reason].filter((s) => s !== undefined).join(": "));
          continue;
        }
        if (options.multiThreading === true && !readMultiThreading(config, mod)) {
          throw new LibraryLoadError(config.library, "it is not multi-threading compatible");
        }
      } catch (err) {
        errors.push(err instanceof Error ? err.message : String(err));
      }
    }
    return errors;
  }

  private serialise(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private newGeneration(libraries: LoadedLibrary[]): {
    manager: CalloutManager;
    libraries: LoadedLibrary[];
  } {
    const generation = ++this.generations;
    const manager: CalloutManager = new CalloutManager({
      serverHooks: this.serverHooks,
      generation,
      logger: this.calloutsLogger,
      calloutTimeoutMs: this.calloutTimeoutMs,
      libraryName: (index) => {
        if (index === PRE_LIBRARY_INDEX || index === POST_LIBRARY_INDEX) return "(server)";
        return libraries[index - 1]?.config.library ?? `#${index}`;
      },
      libraryHandle: (index) => {
        const lib = libraries[index - 1];
        return lib !== undefined ? lib.handle : this.serverHandle(manager, index);
      },
      metrics: this.calloutMetrics,
      waits: this.waits,
      libraryPolicy: (index) => libraries[index - 1]?.config.policy,
    });
    return { manager, libraries };
  }

  private serverHandle(manager: CalloutManager, index: number): LibraryHandle {
    return new LibraryHandle(
      manager,
      index,
      "(server)",
      undefined,
      (name) => this.logManager.getLogger(name),
      this.statistics,
      this.server,
    );
  }

  private async loadInternal(
    configs: readonly HookLibraryConfig[],
    options: LoadOptions,
  ): Promise<void> {
    const { manager, libraries } = this.newGeneration([]);
    try {
      for (const [i, config] of configs.entries()) {
        const index = i + 1;
        const mod = await importLibrary(config, manager.generation, index);
        checkVersion(config, mod);
        const mt = readMultiThreading(config, mod);
        if (options.multiThreading === true && !mt) {
          throw new LibraryLoadError(config.library, "it is not multi-threading compatible");
        }
        const handle = new LibraryHandle(
          manager,
          index,
          config.path,
          config.parameters,
          (name) => this.logManager.getLogger(name),
          this.statistics,
          this.server,
        );
        const lib: LoadedLibrary = {
          config,
          index,
          module: mod,
          handle,
          multiThreadingCompatible: mt,
        };
        // In the list first: the callouts' metrics are named after the library.
        libraries.push(lib);
        registerStandardCallouts(manager, index, mod, this.hooksLogger, config.library);
        await callLoad(config, mod, handle, this.loadTimeoutMs);
        this.hooksLogger.info("HOOKS_LIBRARY_LOADED", config.library);
      }
    } catch (err) {
      this.hooksLogger.error(
        "HOOKS_LIBRARY_LOAD_FAILED",
        err instanceof Error ? err.message : String(err),
      );
      if (err instanceof LibraryLoadError) logStack(this.hooksLogger, err.library, err);
      await this.unloadSet(manager, libraries);
      throw err;
    }
    this.swap(manager, libraries);
  }

  private async reloadOne(library: string, options: LoadOptions): Promise<void> {
    const wanted = library.trim();
    const old = this.current;
    const oldLibraries = this.libraries;
    const replaced = oldLibraries.filter(
      (l) => l.config.library === wanted || l.config.path === wanted,
    );
    if (replaced.length === 0) {
      throw new LibraryLoadError(wanted, "no such library is loaded");
    }
    const again = new Set(replaced.map((l) => l.index));
    const { manager, libraries } = this.newGeneration([]);
    manager.adopt(old, (index) => !again.has(index));
    const loaded: LoadedLibrary[] = [];
    const kept = oldLibraries.filter((l) => !again.has(l.index));
    for (const lib of kept) lib.handle.rebind(manager);
    try {
      for (const previous of oldLibraries) {
        if (!again.has(previous.index)) {
          libraries.push(previous);
          continue;
        }
        const { config, index } = previous;
        const mod = await importLibrary(config, manager.generation, index);
        checkVersion(config, mod);
        const mt = readMultiThreading(config, mod);
        if (options.multiThreading === true && !mt) {
          throw new LibraryLoadError(config.library, "it is not multi-threading compatible");
        }
        const handle = new LibraryHandle(
          manager,
          index,
          config.path,
          config.parameters,
          (name) => this.logManager.getLogger(name),
          this.statistics,
        );
        const lib: LoadedLibrary = {
          config,
          index,
          module: mod,
          handle,
          multiThreadingCompatible: mt,
        };
        libraries.push(lib);
        loaded.push(lib);
        registerStandardCallouts(manager, index, mod, this.hooksLogger, config.library);
        await callLoad(config, mod, handle, this.loadTimeoutMs);
        this.hooksLogger.info("HOOKS_LIBRARY_RELOADED", config.library);
      }
    } catch (err) {
      this.hooksLogger.error(
        "HOOKS_LIBRARY_LOAD_FAILED",
        err instanceof Error ? err.message : String(err),
      );
      for (const lib of kept) lib.handle.rebind(old);
      await this.unloadSet(manager, loaded);
      throw err;
    }
    this.swap(manager, libraries, replaced);
  }

  /**
   * Makes `next` current and retires the previous generation in the background: its unload()
   * calls (of `retiredLibraries`: all of its libraries unless some are carried over) wait until
   * the requests that started with it are finished (see whenRetired()).
   */
  private swap(
    next: CalloutManager,
    libraries: LoadedLibrary[],
    retiredLibraries: readonly LoadedLibrary[] = this.libraries,
  ): void {
    const old = this.current;
    const oldLibraries = retiredLibraries;
    this.current = next;
    this.libraries = libraries;
    old.retired = true;
    const retirement = this.retire(old, oldLibraries);
    this.retiring.add(retirement);
    void retirement.finally(() => this.retiring.delete(retirement));
  }

  private async retire(old: CalloutManager, libraries: readonly LoadedLibrary[]): Promise<void> {
    const drained = await old.drain(this.drainTimeoutMs);
    if (!drained) {
      this.hooksLogger.warn(
        "HOOKS_LIBRARIES_DRAIN_TIMEOUT",
        old.activeHandles,
        old.generation,
        this.drainTimeoutMs,
      );
    }
    await this.unloadSet(old, libraries);
  }

  /** Resolves when every replaced generation has been unloaded. */
  async whenRetired(): Promise<void> {
    while (this.retiring.size > 0) await Promise.all([...this.retiring]);
  }

  /** unload() of each library in reverse order, then every registration removed. */
  private async unloadSet(manager: CalloutManager, libraries: readonly LoadedLibrary[]) {
    for (let i = libraries.length - 1; i >= 0; i--) {
      const lib = libraries[i]!;
      await callUnload(lib, this.hooksLogger, this.loadTimeoutMs);
      this.hooksLogger.info("HOOKS_LIBRARY_UNLOADED", lib.config.library);
    }
    manager.removeAll();
    manager.clearParkingLots();
  }
}
