/**
 * One generation of loaded libraries and their callouts. A configuration (re)load builds a new
 * CalloutManager; requests already running keep the one they started with (their handle holds
 * it), new requests get the new one. That is how "a request that started before an unload
 * finishes with the libraries it started with" holds without locks.
 *
 * Callouts live in one array per hook index, ordered by library index (0 = the server's own
 * "pre" callouts, 1..n = libraries in configuration order, POST_LIBRARY_INDEX = the server's
 * "post" callouts) and by registration order within a library. A (de)registration builds a new
 * array, so a loop already iterating the old one is never disturbed and no call copies anything.
 */
import { InvalidOperation } from "../util/errors.ts";
import type { Logger } from "../log/logger.ts";
import { CalloutHandle } from "./callout-handle.ts";
import type { Callout, CalloutRegistry, HandleManager, LibraryHandle } from "./callout-handle.ts";
import { CalloutTimeout, NoSuchHook } from "./errors.ts";
import { NextStep } from "./next-step.ts";
import { ParkingLot, ParkingLotHandle } from "./parking-lot.ts";
import { CalloutMetrics, type CalloutCounters } from "./callout-metrics.ts";
import { CalloutWatchdog } from "./watchdog.ts";
import { CONTEXT_CREATE, CONTEXT_DESTROY, ServerHooks } from "./server-hooks.ts";
import type { CalloutResult } from "./types.ts";

export const PRE_LIBRARY_INDEX = 0;
export const POST_LIBRARY_INDEX = 2_147_483_647;

export interface CalloutEntry {
  readonly libraryIndex: number;
  readonly fn: Callout;
  /** For logs: the export name or the function's name. */
  readonly name: string;
  /** This library's counters on this hook point (the metrics endpoint reads them). */
  readonly counters: CalloutCounters;
}

export interface CalloutManagerOptions {
  serverHooks: ServerHooks;
  generation: number;
  /** Logger for callout errors and timing (Kea's `<root>.callouts`). */
  logger: Logger;
  /** An asynchronous callout that has not settled after this long is abandoned (0 = never). */
  calloutTimeoutMs: number;
  /** Names of the libraries, by index - 1, for log messages. */
  libraryName: (index: number) => string;
  /** The LibraryHandle of a library index (for getLibraryHandle() inside callouts). */
  libraryHandle: (index: number) => LibraryHandle;
  /** Where callouts count their calls, errors, timeouts and latency (kept across generations). */
  metrics?: CalloutMetrics;
}

type Thenable = PromiseLike<CalloutResult>;

function isThenable(r: unknown): r is Thenable {
  return (
    typeof r === "object" && r !== null && typeof (r as { then?: unknown }).then === "function"
  );
}

export class CalloutManager implements HandleManager, CalloutRegistry {
  readonly serverHooks: ServerHooks;
  readonly generation: number;
  private readonly logger: Logger;
  private readonly calloutTimeoutMs: number;
  private readonly watchdog: CalloutWatchdog;
  private readonly libraryName: (index: number) => string;
  private readonly libraryHandleOf: (index: number) => LibraryHandle;
  private readonly metrics: CalloutMetrics;
  /** Callouts by hook index; null (or a hole) when the hook has none. */
  private lists: (readonly CalloutEntry[] | null)[] = [];
  private readonly parkingLots = new Map<number, ParkingLot>();
  /** Handles created and not yet released. */
  activeHandles = 0;
  private drained: (() => void) | null = null;
  retired = false;

  constructor(options: CalloutManagerOptions) {
    this.serverHooks = options.serverHooks;
    this.generation = options.generation;
    this.logger = options.logger;
    this.calloutTimeoutMs = options.calloutTimeoutMs;
    this.watchdog = new CalloutWatchdog(options.calloutTimeoutMs);
    this.libraryName = options.libraryName;
    this.libraryHandleOf = options.libraryHandle;
    this.metrics = options.metrics ?? new CalloutMetrics();
  }

  // ---- registration ----------------------------------------------------------------------

  registerCallout(libraryIndex: number, hookName: string, fn: Callout, name = fn.name): void {
    if (typeof fn !== "function") {
      throw new InvalidOperation(`callout registered on ${hookName} is not a function`);
    }
    const index = this.serverHooks.getIndex(hookName);
    const old = this.lists[index] ?? [];
    let at = old.length;
    while (at > 0 && old[at - 1]!.libraryIndex > libraryIndex) at--;
    const entry: CalloutEntry = {
      libraryIndex,
      fn,
      name: name === "" ? "(anonymous)" : name,
      counters: this.metrics.counters(this.libraryName(libraryIndex), hookName),
    };
    this.setList(index, [...old.slice(0, at), entry, ...old.slice(at)]);
  }

  /** Removes every registration of fn on the hook by this library; true if any was removed. */
  deregisterCallout(libraryIndex: number, hookName: string, fn: Callout): boolean {
    const index = this.serverHooks.getIndex(hookName);
    return this.filter(index, (e) => !(e.libraryIndex === libraryIndex && e.fn === fn));
  }

  /** Removes all of this library's callouts on the hook; true if any was removed. */
  deregisterAllCallouts(libraryIndex: number, hookName: string): boolean {
    const index = this.serverHooks.getIndex(hookName);
    return this.filter(index, (e) => e.libraryIndex !== libraryIndex);
  }

  /** Removes every callout of every library (used when a generation is retired). */
  removeAll(): void {
    this.lists = [];
  }

  private filter(index: number, keep: (e: CalloutEntry) => boolean): boolean {
    const old = this.lists[index];
    if (old === null || old === undefined) return false;
    const next = old.filter(keep);
    if (next.length === old.length) return false;
    this.setList(index, next);
    return true;
  }

  private setList(index: number, list: readonly CalloutEntry[]): void {
    while (this.lists.length <= index) this.lists.push(null);
    this.lists[index] = list.length === 0 ? null : list;
  }

  /** The callouts on a hook, in call order (a snapshot). */
  getCallouts(index: number): readonly CalloutEntry[] {
    return this.lists[index] ?? [];
  }

  // ---- calling ---------------------------------------------------------------------------

  /** Cheap check a server makes before building a hook point's arguments. */
  calloutsPresent(index: number): boolean {
    const list = this.lists[index];
    return list !== undefined && list !== null;
  }

  /** Requests parked by this generation's callouts (waiting on an unpark). */
  parkedCount(): number {
    let n = 0;
    for (const lot of this.parkingLots.values()) n += lot.size();
    return n;
  }

  commandHandlersPresent(command: string): boolean {
    const index = this.serverHooks.findIndex(ServerHooks.commandToHookName(command));
    return index >= 0 && this.calloutsPresent(index);
  }

  /**
   * A new handle bound to this generation; runs the context_create callouts. If one of those is
   * asynchronous the first callCallouts() waits for it.
   */
  createCalloutHandle<K extends string = string>(): CalloutHandle<K> {
    const handle = new CalloutHandle<K>(this);
    this.activeHandles++;
    const list = this.lists[CONTEXT_CREATE];
    if (list !== undefined && list !== null) {
      const p = this.run(CONTEXT_CREATE, list, handle, 0);
      if (p !== undefined) handle.pending = p;
    }
    return handle;
  }

  /**
   * Calls every callout on the hook, in order, with the same handle; the status starts at
   * CONTINUE and is read by the server after all callouts ran. Returns nothing when every
   * callout was synchronous, a Promise when one of them returned one.
   */
  callCallouts(index: number, handle: CalloutHandle): void | Promise<void> {
    if (handle.pending !== null) {
      const wait = handle.pending;
      handle.pending = null;
      return wait.then(() => this.callCallouts(index, handle));
    }
    handle.setStatus(NextStep.CONTINUE);
    const list = this.lists[index];
    if (list === undefined || list === null) return;
    return this.run(index, list, handle, 0);
  }

  /** Calls the handlers of a command; each sees (and may replace) the previous "response". */
  callCommandHandlers(command: string, handle: CalloutHandle): void | Promise<void> {
    const index = this.serverHooks.findIndex(ServerHooks.commandToHookName(command));
    if (index < 0) throw new NoSuchHook(ServerHooks.commandToHookName(command));
    return this.callCallouts(index, handle);
  }

  private run(
    index: number,
    list: readonly CalloutEntry[],
    handle: CalloutHandle,
    from: number,
  ): void | Promise<void> {
    const logged = this.logger.isEnabled("DEBUG", 55);
    handle.currentHook = index;
    for (let i = from; i < list.length; i++) {
      const entry = list[i]!;
      handle.currentLibrary = entry.libraryIndex;
      const start = performance.now();
      let r: unknown;
      try {
        r = entry.fn(handle);
      } catch (err) {
        entry.counters.observe(performance.now() - start);
        this.calloutThrew(index, entry, handle, err);
        continue;
      }
      if (isThenable(r)) return this.resume(index, list, handle, i, r, start);
      const ms = performance.now() - start;
      entry.counters.observe(ms);
      if (r !== undefined && r !== 0) this.calloutFailed(index, entry, r);
      if (logged) this.calloutTimed(index, entry, ms);
    }
    handle.currentLibrary = -1;
    handle.currentHook = -1;
  }

  private async resume(
    index: number,
    list: readonly CalloutEntry[],
    handle: CalloutHandle,
    i: number,
    pending: Thenable,
    start: number,
  ): Promise<void> {
    const entry = list[i]!;
    try {
      const r = await this.bounded(pending, index, entry);
      const ms = performance.now() - start;
      entry.counters.observe(ms);
      if (r !== undefined && r !== 0) this.calloutFailed(index, entry, r);
      if (this.logger.isEnabled("DEBUG", 55)) this.calloutTimed(index, entry, ms);
    } catch (err) {
      entry.counters.observe(performance.now() - start);
      handle.currentLibrary = entry.libraryIndex;
      this.calloutThrew(index, entry, handle, err);
    }
    const rest = this.run(index, list, handle, i + 1);
    if (rest !== undefined) await rest;
  }

  private bounded(pending: Thenable, index: number, entry: CalloutEntry): Promise<CalloutResult> {
    return this.watchdog.watch(
      pending,
      () =>
        new CalloutTimeout(
          this.hookName(index),
          this.libraryName(entry.libraryIndex),
          this.calloutTimeoutMs,
        ),
    );
  }

  /**
   * A callout that throws (or whose Promise rejects or times out) is logged with hook, library
   * and callout; the request is dropped (status DROP, as Kea 3 does: a broken policy library
   * must not let packets through) and the next callouts still run.
   */
  private calloutThrew(index: number, entry: CalloutEntry, handle: CalloutHandle, err: unknown) {
    handle.setStatus(NextStep.DROP);
    if (err instanceof CalloutTimeout) entry.counters.timeouts++;
    else entry.counters.errors++;
    // An abandoned callout may still wake up later and call setStatus(): it must not undo this.
    if (err instanceof CalloutTimeout) handle.poison();
    const what = err instanceof Error ? err.message : String(err);
    this.logger.error(
      "HOOKS_CALLOUT_EXCEPTION",
      entry.name,
      this.hookName(index),
      this.libraryName(entry.libraryIndex),
      what,
    );
    // The stack points at the library author's line (HOOKS_CALLOUT_EXCEPTION_STACK, DEBUG 40).
    if (err instanceof Error && !(err instanceof CalloutTimeout) && err.stack !== undefined) {
      this.logger.debug(
        40,
        "HOOKS_CALLOUT_EXCEPTION_STACK",
        entry.name,
        this.hookName(index),
        this.libraryName(entry.libraryIndex),
        err.stack,
      );
    }
  }

  /** A non-zero return: logged, status untouched, next callout runs (Kea's rule). */
  private calloutFailed(index: number, entry: CalloutEntry, result: unknown): void {
    entry.counters.errors++;
    this.logger.error(
      "HOOKS_CALLOUT_ERROR",
      entry.name,
      this.hookName(index),
      this.libraryName(entry.libraryIndex),
      String(result),
    );
  }

  private calloutTimed(index: number, entry: CalloutEntry, ms: number): void {
    this.logger.debug(
      55,
      "HOOKS_CALLOUT_CALLED",
      entry.name,
      this.hookName(index),
      this.libraryName(entry.libraryIndex),
      ms.toFixed(3),
    );
  }

  private hookName(index: number): string {
    return this.serverHooks.getName(index);
  }

  // ---- end of requests and of the generation ----------------------------------------------

  /** Runs context_destroy; a Promise only when a context_destroy callout is asynchronous. */
  releaseHandle(handle: CalloutHandle): void | Promise<void> {
    if (handle.pending !== null) return this.destroyAsync(handle);
    const list = this.lists[CONTEXT_DESTROY];
    if (list !== undefined && list !== null) {
      const p = this.run(CONTEXT_DESTROY, list, handle, 0);
      if (p !== undefined) return p.finally(() => this.finishHandle(handle));
    }
    this.finishHandle(handle);
  }

  private async destroyAsync(handle: CalloutHandle): Promise<void> {
    try {
      if (handle.pending !== null) await handle.pending.catch(() => undefined);
      handle.pending = null;
      const list = this.lists[CONTEXT_DESTROY];
      if (list !== undefined && list !== null) {
        const p = this.run(CONTEXT_DESTROY, list, handle, 0);
        if (p !== undefined) await p;
      }
    } finally {
      this.finishHandle(handle);
    }
  }

  private finishHandle(handle: CalloutHandle): void {
    handle.clearAll();
    this.activeHandles--;
    if (this.activeHandles === 0 && this.drained !== null) this.drained();
  }

  /**
   * Resolves once every handle of this generation has been released, or after timeoutMs,
   * whichever comes first. Returns true when drained.
   */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.activeHandles === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.drained = null;
        resolve(false);
      }, timeoutMs);
      timer.unref();
      this.drained = () => {
        clearTimeout(timer);
        this.drained = null;
        resolve(true);
      };
    });
  }

  // ---- library handles and parking ---------------------------------------------------------

  getLibraryHandle(index: number): LibraryHandle {
    return this.libraryHandleOf(index);
  }

  getParkingLot(hookIndex: number): ParkingLot {
    let lot = this.parkingLots.get(hookIndex);
    if (lot === undefined) {
      lot = new ParkingLot();
      this.parkingLots.set(hookIndex, lot);
    }
    return lot;
  }

  getParkingLotHandle(hookIndex: number): ParkingLotHandle {
    return new ParkingLotHandle(this.getParkingLot(hookIndex));
  }

  clearParkingLots(): void {
    for (const lot of this.parkingLots.values()) lot.clear();
  }
}
