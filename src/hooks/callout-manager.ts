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
import { ParkingLot, ParkingLotHandle, type ParkedEntry } from "./parking-lot.ts";
import { CalloutMetrics, type CalloutCounters } from "./callout-metrics.ts";
import { CalloutWatchdog } from "./watchdog.ts";
import {
  resolvePolicy,
  type CalloutPolicy,
  type CalloutPolicyConfig,
  type FailureAction,
} from "./callout-policy.ts";
import { QueryWaits } from "./query-waits.ts";
import { CONTEXT_CREATE, CONTEXT_DESTROY, ServerHooks } from "./server-hooks.ts";
import type { CalloutResult } from "./types.ts";

/**
 * Released handles a generation keeps for reuse: as many as the requests it usually has in
 * flight at once (a batch of queries), so that a steady load allocates none.
 */
const SPARE_HANDLES = 256;

export const PRE_LIBRARY_INDEX = 0;
export const POST_LIBRARY_INDEX = 2_147_483_647;

export interface CalloutEntry {
  readonly libraryIndex: number;
  readonly fn: Callout;
  /** For logs: the export name or the function's name. */
  readonly name: string;
  /** This library's counters on this hook point (the metrics endpoint reads them). */
  readonly counters: CalloutCounters;
  /** This library's time limit and failure policy. */
  readonly policy: CalloutPolicy;
}

export interface CalloutManagerOptions {
  serverHooks: ServerHooks;
  generation: number;
  /** Logger for callout errors and timing (Kea's `<root>.callouts`). */
  logger: Logger;
  /** An asynchronous callout that has not settled after this long is abandoned (0 = never). */
  calloutTimeoutMs: number;
  /** A library's own time limit and failure policy (its `hooks-libraries` entry), if it set one. */
  libraryPolicy?: (index: number) => CalloutPolicyConfig | undefined;
  /** Queries waiting per hook point and parked-packet-limit (shared by the generations). */
  waits?: QueryWaits;
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
  private readonly watchdog: CalloutWatchdog;
  private readonly libraryName: (index: number) => string;
  private readonly libraryHandleOf: (index: number) => LibraryHandle;
  private readonly metrics: CalloutMetrics;
  private readonly libraryPolicy: (index: number) => CalloutPolicyConfig | undefined;
  private readonly defaultPolicy: CalloutPolicy;
  /** Queries waiting per hook point, and the limit on them. */
  readonly waits: QueryWaits;
  /** Callouts by hook index; null (or a hole) when the hook has none. */
  private lists: (readonly CalloutEntry[] | null)[] = [];
  private readonly parkingLots = new Map<number, ParkingLot>();
  /** Handles created and not yet released. */
  activeHandles = 0;
  /** Released handles of synchronous requests, handed to the next requests (at most SPARE_HANDLES). */
  private readonly spare: CalloutHandle[] = [];
  private drained: (() => void) | null = null;
  retired = false;

  constructor(options: CalloutManagerOptions) {
    this.serverHooks = options.serverHooks;
    this.generation = options.generation;
    this.logger = options.logger;
    this.watchdog = new CalloutWatchdog();
    this.libraryPolicy = options.libraryPolicy ?? (() => undefined);
    this.defaultPolicy = resolvePolicy(undefined, options.calloutTimeoutMs);
    this.waits = options.waits ?? new QueryWaits();
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
      policy: this.policyOf(libraryIndex),
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

  /**
   * Takes over the callouts of `from` whose library `keep` accepts, with their counters and
   * policies (a one-library reload carries the other libraries' registrations over).
   */
  adopt(from: CalloutManager, keep: (libraryIndex: number) => boolean): void {
    for (let i = 0; i < from.lists.length; i++) {
      const list = from.lists[i];
      if (list === undefined || list === null) continue;
      this.setList(
        i,
        list.filter((e) => keep(e.libraryIndex)),
      );
    }
  }

  /** Removes every callout of every library (used when a generation is retired). */
  removeAll(): void {
    this.lists = [];
  }

  /** The time limit and failure policy of a library index (the defaults for the server's own). */
  policyOf(libraryIndex: number): CalloutPolicy {
    const own = this.libraryPolicy(libraryIndex);
    return own === undefined
      ? this.defaultPolicy
      : resolvePolicy(own, this.defaultPolicy.timeoutMs);
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

  /** Queries parked by a callout or awaiting one, at every hook point (every generation). */
  parkedCount(): number {
    return this.waits.total();
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
    const handle = (this.spare.pop() as CalloutHandle<K> | undefined) ?? new CalloutHandle<K>(this);
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
    handle.setStatus(NextStep.CONTINUE);
    return this.callPrepared(index, handle);
  }

  /**
   * callCallouts() for a handle whose status the caller has just set to CONTINUE (the server's
   * prepareDeferred before each hook point of a packet). A handle whose context_create callouts
   * are still running waits for them, then starts again from CONTINUE.
   */
  callPrepared(index: number, handle: CalloutHandle): void | Promise<void> {
    if (handle.pending !== null) {
      const wait = handle.pending;
      handle.pending = null;
      return wait.then(() => this.callCallouts(index, handle));
    }
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
    // The status each callout starts with (for PARK and for a failure's "continue"): the one the
    // previous callout left, read once per callout.
    let before = handle.getStatus();
    for (let i = from; i < list.length; i++) {
      const entry = list[i]!;
      handle.currentLibrary = entry.libraryIndex;
      const counters = entry.counters;
      // The clock is read only for the calls the histogram samples (callout-metrics.ts), and for
      // every call while HOOKS_CALLOUT_CALLED is logged.
      const timed = logged || counters.untimedLeft === 0;
      const start = timed ? performance.now() : 0;
      let r: unknown;
      try {
        r = entry.fn(handle);
      } catch (err) {
        if (timed) counters.observe(performance.now() - start);
        else counters.untimed();
        this.calloutThrew(index, entry, handle, err, before);
        before = handle.getStatus();
        continue;
      }
      if (r !== undefined && r !== 0 && isThenable(r)) {
        handle.reusable = false;
        if (this.waits.full(index)) return this.overLimit(index, entry, handle, r);
        return this.resume(index, list, handle, i, r, timed ? start : performance.now(), before);
      }
      if (timed) {
        const ms = performance.now() - start;
        counters.observe(ms);
        if (logged) this.calloutTimed(index, entry, ms);
      } else {
        counters.untimed();
      }
      if (r !== undefined && r !== 0) this.calloutFailed(index, entry, r);
      const after = handle.getStatus();
      if (after === NextStep.PARK && before !== NextStep.PARK) handle.parkedBy = entry.libraryIndex;
      before = after;
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
    before: number,
  ): Promise<void> {
    const entry = list[i]!;
    this.waits.enter(index);
    try {
      const r = await this.bounded(pending, index, entry);
      const ms = performance.now() - start;
      entry.counters.observeAsync(ms);
      if (r !== undefined && r !== 0) this.calloutFailed(index, entry, r);
      if (this.logger.isEnabled("DEBUG", 55)) this.calloutTimed(index, entry, ms);
    } catch (err) {
      entry.counters.observeAsync(performance.now() - start);
      handle.currentLibrary = entry.libraryIndex;
      this.calloutThrew(index, entry, handle, err, before);
    } finally {
      this.waits.leave(index);
    }
    if (before !== NextStep.PARK && handle.getStatus() === NextStep.PARK) {
      handle.parkedBy = entry.libraryIndex;
    }
    const rest = this.run(index, list, handle, i + 1);
    if (rest !== undefined) await rest;
  }

  private bounded(pending: Thenable, index: number, entry: CalloutEntry): Promise<CalloutResult> {
    const ms = entry.policy.timeoutMs;
    return this.watchdog.watch(
      pending,
      ms,
      () => new CalloutTimeout(this.hookName(index), this.libraryName(entry.libraryIndex), ms),
    );
  }

  /**
   * A callout went asynchronous while parked-packet-limit queries already wait at this hook:
   * the query does not wait; it is dropped (the server counts it, seeing handle.overLimit) and
   * the callouts after this one are not called. The callout's work goes on unobserved.
   */
  private overLimit(index: number, entry: CalloutEntry, handle: CalloutHandle, r: Thenable): void {
    r.then(undefined, ignore);
    handle.setStatus(NextStep.DROP);
    handle.poison();
    handle.overLimit = true;
    this.logger.debug(
      40,
      "HOOKS_PARKED_PACKET_LIMIT",
      this.waits.limit,
      this.hookName(index),
      this.libraryName(entry.libraryIndex),
      subjectOf(handle),
    );
    handle.currentLibrary = -1;
    handle.currentHook = -1;
  }

  /**
   * A callout that throws (or whose Promise rejects or times out) is logged with hook, library,
   * callout and query, and counted; its library's `on-error` (or `on-timeout`) policy decides
   * the status: `drop` (the default: a broken policy library must not let packets through, as
   * Kea 3 does), `continue` (the status it had before this callout) or `skip`. The next callouts
   * still run.
   */
  private calloutThrew(
    index: number,
    entry: CalloutEntry,
    handle: CalloutHandle,
    err: unknown,
    before: number,
  ) {
    const timeout = err instanceof CalloutTimeout;
    const action = timeout ? entry.policy.onTimeout : entry.policy.onError;
    if (timeout) entry.counters.timeouts++;
    else entry.counters.errors++;
    applyAction(handle, action, before);
    // An abandoned callout may still wake up later and call setStatus(): a drop must stick.
    if (timeout && action === "drop") handle.poison();
    if (timeout) {
      this.logger.error(
        "HOOKS_CALLOUT_TIMEOUT",
        entry.name,
        this.hookName(index),
        this.libraryName(entry.libraryIndex),
        entry.policy.timeoutMs,
        subjectOf(handle),
        actionText(action),
      );
      return;
    }
    this.logger.error(
      "HOOKS_CALLOUT_EXCEPTION",
      entry.name,
      this.hookName(index),
      this.libraryName(entry.libraryIndex),
      err instanceof Error ? err.message : String(err),
      subjectOf(handle),
      actionText(action),
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
    if (handle.reusable && this.spare.length < SPARE_HANDLES) {
      handle.renew();
      this.spare.push(handle);
    }
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

  getParkingLotHandle(hookIndex: number, handle?: CalloutHandle): ParkingLotHandle {
    if (handle?.parking !== null && handle?.parkingHook === hookIndex)
      this.parkNow(hookIndex, handle);
    return new ParkingLotHandle(this.getParkingLot(hookIndex));
  }

  clearParkingLots(): void {
    for (const lot of this.parkingLots.values()) lot.clear();
  }

  /**
   * Kea's parking at a hook point that parks (leasesN_committed, lease4_offer, subnetN_select):
   * `obj` (the query) is parked in the hook's lot before the callouts run, so that they can
   * reference it; then, as Kea, when the status they leave is PARK the query waits until the
   * last unpark (processing resumes, status CONTINUE) or a drop (status DROP), else the entry is
   * forgotten and the status returned. The wait is bounded by the `timeout-ms` of the library
   * whose callout set PARK, and its `on-timeout` decides what follows. Synchronous unless the
   * query waits (or a callout returned a Promise).
   */
  callParked(index: number, handle: CalloutHandle, obj: object): number | Promise<number> {
    handle.parkedBy = -1;
    handle.parking = obj;
    handle.parkingHook = index;
    handle.parkedEntry = null;
    const p = this.callCallouts(index, handle);
    if (p === undefined) return this.settleParked(index, handle);
    return p.then(
      () => this.settleParked(index, handle),
      (err: unknown) => {
        handle.parking = null;
        const entry = handle.parkedEntry as ParkedQuery | null;
        handle.parkedEntry = null;
        if (entry !== null) this.getParkingLot(index).forget(obj);
        throw err;
      },
    );
  }

  /**
   * Puts the query being called at a parking hook point in the hook's lot. Done when one of
   * its callouts asks for the parking lot (Kea parks every query before the callouts; a query
   * whose callouts never touch the lot cannot be referenced, unparked or dropped, so parking it
   * only when one does is the same, and costs nothing to the others).
   */
  private parkNow(index: number, handle: CalloutHandle): ParkedQuery {
    let entry = handle.parkedEntry as ParkedQuery | null;
    if (entry === null) {
      // The parking lot may hold on to the handle's query (and the entry to the handle).
      handle.reusable = false;
      const obj = handle.parking!;
      const lot = this.getParkingLot(index);
      entry = new ParkedQuery(this, index, handle, obj, lot);
      lot.parkEntry(obj, entry);
      handle.parkedEntry = entry;
    }
    return entry;
  }

  /** The callouts of a parking hook point are done: the status, or the wait for it. */
  private settleParked(index: number, handle: CalloutHandle): number | Promise<number> {
    const status = handle.getStatus();
    let entry = handle.parkedEntry as ParkedQuery | null;
    if (entry === null && status === NextStep.PARK) entry = this.parkNow(index, handle);
    handle.parking = null;
    handle.parkedEntry = null;
    if (entry === null) return status;
    return entry.settle();
  }

  /** A parked query not unparked in time: counted, logged, and its library's policy applied. */
  parkTimedOut(index: number, handle: CalloutHandle, obj: object, lot: ParkingLot): number {
    lot.forget(obj);
    const library = handle.parkedBy;
    const policy = this.policyOf(library);
    this.metrics.counters(this.libraryName(library), this.hookName(index)).timeouts++;
    this.logger.error(
      "HOOKS_PARK_TIMEOUT",
      subjectOf(handle),
      this.hookName(index),
      this.libraryName(library),
      policy.timeoutMs,
      actionText(policy.onTimeout),
    );
    return policy.onTimeout === "drop"
      ? NextStep.DROP
      : policy.onTimeout === "skip"
        ? NextStep.SKIP
        : NextStep.CONTINUE;
  }

  /** Waits for a parked query's unpark or drop, bounded by the parking library's timeout. */
  waitParked(index: number, handle: CalloutHandle, wait: Promise<number>): Promise<number> {
    const policy = this.policyOf(handle.parkedBy);
    const hook = this.hookName(index);
    const library = this.libraryName(handle.parkedBy);
    return this.watchdog.watch(
      wait,
      policy.timeoutMs,
      () => new CalloutTimeout(hook, library, policy.timeoutMs),
    );
  }
}

const PARKING = 0;
const WAITING = 1;
const RESUMED = 2;
const DROPPED = 3;
const TIMED_OUT = 4;

/** One query parked at one hook point: what its unpark, drop or timeout does. */
class ParkedQuery implements ParkedEntry {
  refCount = 0;
  private state = PARKING;
  private wake: ((status: number) => void) | null = null;
  private readonly manager: CalloutManager;
  private readonly index: number;
  private readonly handle: CalloutHandle;
  private readonly obj: object;
  private readonly lot: ParkingLot;

  constructor(
    manager: CalloutManager,
    index: number,
    handle: CalloutHandle,
    obj: object,
    lot: ParkingLot,
  ) {
    this.manager = manager;
    this.index = index;
    this.handle = handle;
    this.obj = obj;
    this.lot = lot;
  }

  /** The last unpark: processing goes on from the hook point. */
  resume(): void {
    if (this.state === WAITING) this.wake!(NextStep.CONTINUE);
    if (this.state === PARKING || this.state === WAITING) this.state = RESUMED;
  }

  /** A library dropped the parked query (or its generation was retired): the query is dropped. */
  dropped(): void {
    if (this.state === WAITING) this.wake!(NextStep.DROP);
    if (this.state === PARKING || this.state === WAITING) this.state = DROPPED;
  }

  /** The callouts are done: the status the server acts on, or a wait for it. */
  settle(): number | Promise<number> {
    const status = this.handle.getStatus();
    if (this.state === DROPPED) return NextStep.DROP;
    if (status !== NextStep.PARK) {
      this.lot.forget(this.obj);
      return status;
    }
    if (this.state === RESUMED) return NextStep.CONTINUE;
    this.state = WAITING;
    const waits = this.manager.waits;
    waits.enter(this.index);
    const wait = new Promise<number>((resolve) => {
      this.wake = resolve;
    });
    return this.manager.waitParked(this.index, this.handle, wait).then(
      (s) => {
        waits.leave(this.index);
        return s;
      },
      () => {
        waits.leave(this.index);
        this.state = TIMED_OUT;
        return this.manager.parkTimedOut(this.index, this.handle, this.obj, this.lot);
      },
    );
  }
}

function ignore(): void {}

/** The query's identity for log lines (Kea's packet label), or "-" outside a query. */
function subjectOf(handle: CalloutHandle): string {
  return handle.subject === null ? "-" : String(handle.subject);
}

function applyAction(handle: CalloutHandle, action: FailureAction, before: number): void {
  handle.setStatus(
    action === "drop" ? NextStep.DROP : action === "skip" ? NextStep.SKIP : (before as NextStep),
  );
}

function actionText(action: FailureAction): string {
  return action === "drop"
    ? "query dropped"
    : action === "skip"
      ? "status SKIP"
      : "query continues";
}
