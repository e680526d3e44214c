/**
 * The object passed to every callout. It carries a hook point's arguments, the next step status
 * shared along the callouts of that hook, and each library's per-request context.
 *
 * One handle follows one request (one packet) through all its hook points: arguments and status
 * are per hook point, context lives until the request ends (release()). The handle belongs to
 * the request: a callout must not keep it past the request's end (as in Kea, where the server
 * drops it with the packet), since the manager hands a released handle, emptied, to a later
 * request when nothing of the first one went asynchronous.
 *
 * The kind rule (the TypeScript form of Kea's "the type must match exactly"): argument and context
 * types are checked at compile time per hook point (HookArguments). At run time, setArgument() or
 * setContext() that REPLACES an existing value must keep its kind: the same `typeof` for
 * primitives; for objects, an array stays an array and any other object must share the old
 * value's prototype (an instance of the same class or of a subclass). An object reference may be
 * replaced by null/undefined (a "null pointer"), and a null/undefined may be replaced by anything.
 * A violation throws ArgumentTypeError and leaves the old value in place.
 */
import type { Logger } from "../log/logger.ts";
import type { StatsManager } from "../stats/stats-manager.ts";
import { InvalidOperation } from "../util/errors.ts";
import { ArgumentTypeError, NoSuchArgument, NoSuchCalloutContext } from "./errors.ts";
import { NextStep } from "./next-step.ts";
import type { ParkingLotHandle } from "./parking-lot.ts";
import { ServerHooks } from "./server-hooks.ts";
import type { CalloutResult, HookArguments, HookName, JsonObject, JsonValue } from "./types.ts";

// The two handles refer to each other (a callout receives a CalloutHandle, whose
// getLibraryHandle() returns a LibraryHandle, whose registerCallout() takes callouts), so they
// live in one module; library-handle.ts re-exports LibraryHandle. What they need of their
// generation is declared here as interfaces (HandleManager, CalloutRegistry) that
// CalloutManager implements, so that this module does not import callout-manager.ts.

export type Callout<K extends string = string> = (
  handle: CalloutHandle<K>,
) => CalloutResult | PromiseLike<CalloutResult>;

/** A command handler registered with registerCommandCallout. */
export type CommandCallout = Callout<"$command">;

/**
 * The generation a CalloutHandle belongs to, as the handle and the server see it through
 * `handle.manager` (implemented by CalloutManager).
 */
export interface HandleManager {
  readonly serverHooks: ServerHooks;
  readonly generation: number;
  calloutsPresent(index: number): boolean;
  commandHandlersPresent(command: string): boolean;
  callCallouts(index: number, handle: CalloutHandle): void | Promise<void>;
  callCommandHandlers(command: string, handle: CalloutHandle): void | Promise<void>;
  /** Runs context_destroy; a Promise only when a context_destroy callout is asynchronous. */
  releaseHandle(handle: CalloutHandle): void | Promise<void>;
  getLibraryHandle(index: number): LibraryHandle;
  getParkingLotHandle(hookIndex: number, handle?: CalloutHandle): ParkingLotHandle;
}

/** The callout lists a LibraryHandle (de)registers into (implemented by CalloutManager). */
export interface CalloutRegistry {
  readonly serverHooks: ServerHooks;
  registerCallout(libraryIndex: number, hookName: string, fn: Callout, name?: string): void;
  deregisterCallout(libraryIndex: number, hookName: string, fn: Callout): boolean;
  deregisterAllCallouts(libraryIndex: number, hookName: string): boolean;
}

// Resolved eagerly to unknown when K is not a declared hook, so that a handle typed for one hook
// point is still a CalloutHandle (of string) for the framework's own code.
type ArgValue<K extends string, N extends string> = K extends keyof HookArguments
  ? N extends keyof HookArguments[K]
    ? HookArguments[K][N]
    : unknown
  : unknown;

// An argument the types declare has its declared type; otherwise the caller's type parameter
// (`getArgument<string>("$mine")`), or unknown.
type ArgResult<K extends string, N extends string, T> =
  unknown extends ArgValue<K, N> ? ([T] extends [never] ? unknown : T) : ArgValue<K, N>;

// K is declared covariant so that a handle typed for one hook point (CalloutHandle<"pkt4_receive">)
// is accepted wherever any handle is (the framework's own code). Only setArgument's value type is
// not strictly covariant in K; a method parameter is bivariant in TypeScript anyway, which is the
// behaviour wanted here, so the compiler's strict variance check is silenced on this line.
// @ts-expect-error TS2636: see above
export class CalloutHandle<out K extends string = string> {
  /** The library generation this request started with; it keeps it to the end. */
  readonly manager: HandleManager;
  /**
   * The arguments as two parallel arrays, in the order they were set (what a Map keeps, without a
   * hash table to clear and refill at every hook point: a point has a handful of arguments, found
   * by a short scan). Slots past argCount are free; the arrays keep their length.
   */
  private readonly argNames: string[] = [];
  private readonly argValues: unknown[] = [];
  private argCount = 0;
  /**
   * A hook point's arguments not made yet (deferArguments): the function that sets them and what
   * it reads, run on the first use of any argument method. A callout that never looks at its
   * arguments costs nothing for them.
   */
  private deferredSetup: ((h: CalloutHandle, source: never) => void) | null = null;
  private deferredSource: unknown = null;
  private status: number = NextStep.CONTINUE;
  private contexts: Map<number, Map<string, unknown>> | null = null;
  /** Index of the library whose callout is running; -1 outside callouts. */
  currentLibrary = -1;
  /** Index of the hook being called; -1 outside callouts. */
  currentHook = -1;
  /** Set when a callout of this request timed out: the request stays DROPped whatever runs later. */
  private poisoned = false;
  /** What the request is about, for log lines (the server sets its query; Kea's label). */
  subject: { toString(): string } | null = null;
  /** The library whose callout set PARK on the hook being called; -1 when none did. */
  parkedBy = -1;
  /** The query the server may park at the hook point being called (a parking point), or null. */
  parking: object | null = null;
  /** The hook index of `parking`. */
  parkingHook = -1;
  /** The query's entry in the parking lot, once a callout asked for the lot. */
  parkedEntry: object | null = null;
  /** Set when the query could not wait at a hook point (parked-packet-limit): it is dropped. */
  overLimit = false;
  /** Set while context_create callouts are still running asynchronously. */
  pending: Promise<void> | null = null;
  released = false;
  /**
   * False once anything of this request went asynchronous (a callout's Promise, a parked wait,
   * an asynchronous context callout): something may still hold the handle after the request
   * ends, so the manager does not reuse it for another request.
   */
  reusable = true;

  constructor(manager: HandleManager) {
    this.manager = manager;
  }

  // ---- arguments -------------------------------------------------------------------------

  private argIndex(name: string): number {
    const names = this.argNames;
    for (let i = 0; i < this.argCount; i++) if (names[i] === name) return i;
    return -1;
  }

  /**
   * The arguments of the hook point about to be called, set by `setup(this, source)` only when
   * something first reads, sets, deletes or lists an argument (the server's own reading back
   * included). The server calls it after prepare(), before the callouts; `setup` must read only
   * what stays as it is while the callouts run (the packet's exchange: processing waits for
   * them). `argumentsDeferred` tells the server, after the callouts, that none touched them.
   */
  deferArguments<S>(setup: (h: CalloutHandle, source: S) => void, source: S): void {
    this.deferredSetup = setup as (h: CalloutHandle, source: never) => void;
    this.deferredSource = source;
  }

  /** True while the arguments deferArguments() announced have not been made (nobody used them). */
  get argumentsDeferred(): boolean {
    return this.deferredSetup !== null;
  }

  private makeDeferred(): void {
    const setup = this.deferredSetup!;
    const source = this.deferredSource as never;
    this.deferredSetup = null;
    this.deferredSource = null;
    setup(this, source);
  }

  setArgument<N extends string>(name: N, value: ArgValue<K, N>): this {
    if (this.deferredSetup !== null) this.makeDeferred();
    const i = this.argIndex(name);
    if (i >= 0) {
      checkKind(name, this.argValues[i], value);
      this.argValues[i] = value;
      return this;
    }
    const n = this.argCount++;
    this.argNames[n] = name;
    this.argValues[n] = value;
    return this;
  }

  /**
   * The argument's value; typed from HookArguments for a known hook point, or as the explicit
   * type parameter (`getArgument<string>("result")`) for arguments the types do not know.
   */
  getArgument<T = never, N extends string = string>(name: N): ArgResult<K, N, T>;
  getArgument(name: string): unknown {
    if (this.deferredSetup !== null) this.makeDeferred();
    const i = this.argIndex(name);
    if (i < 0) throw new NoSuchArgument(name);
    return this.argValues[i];
  }

  getArgumentNames(): string[] {
    if (this.deferredSetup !== null) this.makeDeferred();
    return this.argNames.slice(0, this.argCount);
  }

  /** Removes an argument; as in Kea, removing an absent name is not an error. */
  deleteArgument(name: string): void {
    if (this.deferredSetup !== null) this.makeDeferred();
    const i = this.argIndex(name);
    if (i < 0) return;
    const last = --this.argCount;
    for (let j = i; j < last; j++) {
      this.argNames[j] = this.argNames[j + 1]!;
      this.argValues[j] = this.argValues[j + 1];
    }
    this.argValues[last] = undefined;
  }

  deleteAllArguments(): void {
    // Deferred arguments are simply never made.
    this.deferredSetup = null;
    this.deferredSource = null;
    // The values are let go of (the names are literals the server keeps anyway).
    for (let i = 0; i < this.argCount; i++) this.argValues[i] = undefined;
    this.argCount = 0;
  }

  /**
   * prepare() then deferArguments(setup, source) in one call: what the server does before every
   * hook point it calls (the arguments of the previous point let go of, the status CONTINUE, the
   * new point's arguments made on first use).
   */
  prepareDeferred<S>(setup: (h: CalloutHandle, source: S) => void, source: S): void {
    this.prepare();
    this.deferArguments(setup, source);
  }

  /**
   * Clears the arguments and the status before the server sets up a hook point (Kea's
   * ScopedCalloutHandleState); context is kept.
   */
  prepare(): this {
    this.deleteAllArguments();
    this.status = NextStep.CONTINUE;
    return this;
  }

  // ---- next step status ------------------------------------------------------------------

  getStatus(): NextStep {
    return this.poisoned ? NextStep.DROP : (this.status as NextStep);
  }

  /**
   * The framework abandoned one of this request's callouts (timeout). It cannot be stopped, so
   * the request is dropped for good: a later setStatus() from it, or anyone, cannot undo that.
   */
  poison(): void {
    this.poisoned = true;
  }

  setStatus(status: NextStep): void {
    this.status = status;
  }

  /** @deprecated Kea 0.9.2's flag: true sets SKIP, false sets CONTINUE. */
  setSkip(skip: boolean): void {
    this.status = skip ? NextStep.SKIP : NextStep.CONTINUE;
  }

  /** @deprecated true when the status is SKIP. */
  getSkip(): boolean {
    return this.status === NextStep.SKIP;
  }

  // ---- per-library, per-request context --------------------------------------------------

  setContext(name: string, value: unknown): void {
    const ctx = this.contextOf(this.currentLibrary, true);
    if (ctx.has(name)) checkKind(name, ctx.get(name), value);
    ctx.set(name, value);
  }

  getContext<T = unknown>(name: string): T {
    const ctx = this.contextOf(this.currentLibrary, false);
    if (ctx === undefined || !ctx.has(name)) throw new NoSuchCalloutContext(name);
    return ctx.get(name) as T;
  }

  /** The item, or undefined when the current library has not set it (Kea 3's optional form). */
  getOptionalContext<T = unknown>(name: string): T | undefined {
    return this.contextOf(this.currentLibrary, false)?.get(name) as T | undefined;
  }

  getContextNames(): string[] {
    const ctx = this.contextOf(this.currentLibrary, false);
    return ctx === undefined ? [] : [...ctx.keys()];
  }

  deleteContext(name: string): void {
    this.contextOf(this.currentLibrary, false)?.delete(name);
  }

  deleteAllContext(): void {
    this.contextOf(this.currentLibrary, false)?.clear();
  }

  private contextOf(library: number, create: true): Map<string, unknown>;
  private contextOf(library: number, create: false): Map<string, unknown> | undefined;
  private contextOf(library: number, create: boolean): Map<string, unknown> | undefined {
    if (this.contexts === null) {
      if (!create) return undefined;
      this.contexts = new Map();
    }
    let ctx = this.contexts.get(library);
    if (ctx === undefined && create) {
      ctx = new Map();
      this.contexts.set(library, ctx);
    }
    return ctx;
  }

  // ---- where am I -----------------------------------------------------------------------

  /** The name of the hook being called, "" outside callouts. */
  getHookName(): string {
    return this.currentHook < 0 ? "" : this.manager.serverHooks.getName(this.currentHook);
  }

  getCurrentLibrary(): number {
    return this.currentLibrary;
  }

  /** The LibraryHandle of the library whose callout is running. */
  getLibraryHandle(): LibraryHandle {
    if (this.currentLibrary < 0) {
      throw new InvalidOperation("getLibraryHandle() may only be called from inside a callout");
    }
    return this.manager.getLibraryHandle(this.currentLibrary);
  }

  /** The parking lot of the hook being called (Kea's getParkingLotHandlePtr). */
  getParkingLotHandle(): ParkingLotHandle {
    if (this.currentHook < 0) {
      throw new InvalidOperation("getParkingLotHandle() may only be called from inside a callout");
    }
    return this.manager.getParkingLotHandle(this.currentHook, this);
  }

  // ---- end of request ---------------------------------------------------------------------

  /**
   * Ends the request: runs the context_destroy callouts, then forgets every library's context.
   * Returns a Promise only when a context_destroy callout is asynchronous.
   */
  release(): void | Promise<void> {
    if (this.released) return;
    this.released = true;
    return this.manager.releaseHandle(this);
  }

  /** Called by the manager once context_destroy has run. */
  clearAll(): void {
    this.deleteAllArguments();
    this.contexts = null;
    this.status = NextStep.CONTINUE;
  }

  /**
   * Makes a released handle as new, for the manager to hand to the next request: only a handle
   * whose request stayed synchronous (`reusable`), so nothing holds it any more.
   */
  renew(): void {
    this.currentLibrary = -1;
    this.currentHook = -1;
    this.poisoned = false;
    this.subject = null;
    this.parkedBy = -1;
    this.parking = null;
    this.parkingHook = -1;
    this.parkedEntry = null;
    this.overLimit = false;
    this.pending = null;
    this.released = false;
  }
}

/**
 * What a library sees of the framework: passed to load(), and returned by
 * CalloutHandle.getLibraryHandle() inside its callouts. Bound to one library index, so a library
 * can only (de)register its own callouts.
 */
export class LibraryHandle {
  private manager: CalloutRegistry;
  private readonly index: number;
  private readonly parameters: JsonObject | undefined;
  private readonly makeLogger: (name: string) => Logger;
  private readonly statistics: StatsManager;
  private readonly server: object | undefined;
  readonly libraryPath: string;

  constructor(
    manager: CalloutRegistry,
    index: number,
    libraryPath: string,
    parameters: JsonObject | undefined,
    makeLogger: (name: string) => Logger,
    statistics: StatsManager,
    server?: object,
  ) {
    this.manager = manager;
    this.index = index;
    this.libraryPath = libraryPath;
    this.parameters = parameters;
    this.makeLogger = makeLogger;
    this.statistics = statistics;
    this.server = server;
  }

  /**
   * Moves the handle to another generation (the framework's, when one library is reloaded and
   * the others are carried over): later registrations go there.
   * @internal
   */
  rebind(manager: CalloutRegistry): void {
    this.manager = manager;
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

  /**
   * What the server offers its libraries beyond the framework (Kea's LeaseMgrFactory and
   * CfgMgr singletons), undefined for a HooksManager made without one. The framework knows
   * nothing of it: a library reads it through its server's public entry, typed
   * (`dhcp4Server(handle)` from nestor/dhcp4, `dhcp6Server(handle)` from nestor/dhcp6).
   */
  getServer(): object | undefined {
    return this.server;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  const t = typeof value;
  if (t !== "object") return t;
  if (Array.isArray(value)) return "array";
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  return proto?.constructor?.name ?? "object";
}

function checkKind(name: string, old: unknown, next: unknown): void {
  if (old === null || old === undefined) return;
  if (next === null || next === undefined) {
    if (typeof old === "object" || typeof old === "function") return;
    throw new ArgumentTypeError(name, kindOf(old), kindOf(next));
  }
  if (typeof old !== typeof next) throw new ArgumentTypeError(name, kindOf(old), kindOf(next));
  if (typeof old !== "object") return;
  const a = Array.isArray(old);
  if (a !== Array.isArray(next)) throw new ArgumentTypeError(name, kindOf(old), kindOf(next));
  if (a) return;
  const proto = Object.getPrototypeOf(old) as object | null;
  const nextProto = Object.getPrototypeOf(next) as object | null;
  if (proto === nextProto) return;
  if (proto !== null && Object.prototype.isPrototypeOf.call(proto, next)) return;
  throw new ArgumentTypeError(name, kindOf(old), kindOf(next));
}
