/**
 * What a library sees of the framework: passed to load(), and returned by
 * CalloutHandle.getLibraryHandle() inside its callouts. Bound to one library index, so a library
 * can only (de)register its own callouts.
 */
import type { Logger } from "../log/logger.ts";
import type { StatsManager } from "../stats/stats-manager.ts";
import type { CalloutManager } from "./callout-manager.ts";
import { ServerHooks } from "./server-hooks.ts";
import type { Callout, CommandCallout, HookName, JsonObject, JsonValue } from "./types.ts";

export class LibraryHandle {
  private readonly manager: CalloutManager;
  private readonly index: number;
  private readonly parameters: JsonObject | undefined;
  private readonly makeLogger: (name: string) => Logger;
  private readonly statistics: StatsManager;
  readonly libraryPath: string;

  constructor(
    manager: CalloutManager,
    index: number,
    libraryPath: string,
    parameters: JsonObject | undefined,
    makeLogger: (name: string) => Logger,
    statistics: StatsManager,
  ) {
    this.manager = manager;
    this.index = index;
    this.libraryPath = libraryPath;
    this.parameters = parameters;
    this.makeLogger = makeLogger;
    this.statistics = statistics;
  }

  /** Appends fn after this library's other callouts on the hook; unknown hook: NoSuchHook. */
  registerCallout<K extends HookName>(hookName: K, fn: Callout<K>): void;
  registerCallout(hookName: string, fn: Callout): void;
  registerCallout(hookName: string, fn: Callout): void {
    this.manager.registerCallout(this.index, hookName, fn);
  }

  deregisterCallout(hookName: string, fn: Callout<never> | Callout): boolean {
    return this.manager.deregisterCallout(this.index, hookName, fn as Callout);
  }

  deregisterAllCallouts(hookName: string): boolean {
    return this.manager.deregisterAllCallouts(this.index, hookName);
  }

  /**
   * Registers a handler for a control command, on the hook `$name` (hyphens become
   * underscores); the hook is created if no library registered it before.
   */
  registerCommandCallout(command: string, fn: CommandCallout): void {
    const hook = ServerHooks.commandToHookName(command);
    this.manager.serverHooks.ensureHook(hook);
    this.manager.registerCallout(this.index, hook, fn as Callout);
  }

  /** A parameter's JSON value from the configuration, or undefined when absent. */
  getParameter(name: string): JsonValue | undefined {
    const p = this.parameters;
    return p !== undefined && Object.hasOwn(p, name) ? p[name] : undefined;
  }

  /** The whole `parameters` map, or undefined when the configuration had none. */
  getParameters(): JsonObject | undefined {
    return this.parameters;
  }

  getParameterNames(): string[] {
    return this.parameters === undefined ? [] : Object.keys(this.parameters);
  }

  /** 1..n in configuration order (0 and POST_LIBRARY_INDEX are the server's own). */
  getLibraryIndex(): number {
    return this.index;
  }

  /**
   * A logger named `<server logger>.<name>` (e.g. `nestor-dhcp4.my-library`); it follows the
   * root logger's configuration unless the `loggers` configuration names it.
   */
  createLogger(name: string): Logger {
    return this.makeLogger(name);
  }

  /**
   * The server's statistics (Kea's `StatsMgr::instance()`): a library counts with
   * `addValue("pkt4-receive-drop", 1)`, reads with `get(name)`, as the `statistic-*` commands
   * show them. A HooksManager made without a server's statistics has a private set.
   */
  getStatistics(): StatsManager {
    return this.statistics;
  }
}
