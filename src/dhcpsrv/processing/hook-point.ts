/**
 * One dispatch shape for every hook point of both servers (Kea's rule, EXAMPLES.md 2 and 4).
 * A server describes each of its hook points once, when it is built: the point's index, how its
 * arguments are set and what its status does (`HookPoint`). The step runner, or a step that calls
 * a point conditionally, hands the descriptor to `callHook`: nothing is built when the point has
 * no callouts; otherwise the packet's one callout handle (made on first use) gets fresh
 * arguments, the query and the response copy the options they hand out while the callouts run
 * (copy on retrieve), and the status is read once after the last callout. Synchronous unless a
 * callout returns a Promise; no closure is made per packet.
 */
import type { Pkt } from "../../dhcp/pkt.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import type { CalloutManager } from "../../hooks/callout-manager.ts";
import { NextStep } from "../../hooks/next-step.ts";

/** What a server keeps per packet that the hook call needs. */
export interface HookedExchange {
  /** The library generation this packet uses from start to end. */
  readonly gen: CalloutManager;
  handle: CalloutHandle | null;
  readonly query: Pkt;
  response: Pkt | null;
  /** Set when the query is dropped: the step runner stops. */
  dropped: boolean;
}

/** A hook point as a server calls it: made once per server, shared by every packet. */
export interface HookPoint<E extends HookedExchange> {
  /** Kea's name ("pkt4_receive"), for log lines. */
  readonly name: string;
  /** The index the server registered the name under. */
  readonly index: number;
  /** Sets the arguments; called only when the point has callouts. */
  readonly setup: (h: CalloutHandle, ex: E) => void;
  /**
   * Acts on the status (CONTINUE when the point has no callouts); `point` is this descriptor, so
   * one function can serve the same rule at several points.
   */
  readonly after: (ex: E, status: number, point: HookPoint<E>) => void;
  /**
   * True where Kea parks (leasesN_committed, lease4_offer, subnetN_select): the query is in the
   * hook's parking lot while the callouts run, and waits there when they leave status PARK.
   */
  readonly parks: boolean;
  /** The query could not wait here (parked-packet-limit): dropped and counted. */
  readonly full: (ex: E, point: HookPoint<E>) => void;
}

/** The hook points where Kea parks a query (status PARK). */
export const PARKING_HOOKS: ReadonlySet<string> = new Set([
  "leases4_committed",
  "leases6_committed",
  "lease4_offer",
  "subnet4_select",
  "subnet6_select",
]);

/** The default for a point built without `full`: the query is marked dropped. */
function dropWhenFull(ex: HookedExchange): void {
  ex.dropped = true;
}

/** The index of every hook point of a server, by name (src/hooks/hook-points.ts). */
export type { HookIndexes } from "../../hooks/hook-points.ts";

export function hookPoint<E extends HookedExchange>(
  name: string,
  index: number,
  setup: (h: CalloutHandle, ex: E) => void,
  after: (ex: E, status: number, point: HookPoint<E>) => void,
  full: (ex: E, point: HookPoint<E>) => void = dropWhenFull,
): HookPoint<E> {
  return { name, index, setup, after, parks: PARKING_HOOKS.has(name), full };
}

/** Calls one hook point for one packet; a Promise only when a callout went asynchronous. */
export function callHook<E extends HookedExchange>(
  ex: E,
  point: HookPoint<E>,
): void | Promise<void> {
  const gen = ex.gen;
  if (!gen.calloutsPresent(point.index)) {
    point.after(ex, NextStep.CONTINUE, point);
    return;
  }
  if (point.parks && gen.waits.full(point.index)) {
    point.full(ex, point);
    return;
  }
  const h = (ex.handle ??= newHandle(ex));
  // Arguments cleared, status CONTINUE; the new ones made when a callout (or the server's
  // reading back) first uses an argument.
  h.prepareDeferred(point.setup, ex);
  ex.query.setCopyRetrievedOptions(true);
  ex.response?.setCopyRetrievedOptions(true);
  if (point.parks) {
    const s = gen.callParked(point.index, h, ex.query);
    if (typeof s === "number") {
      parkDone(ex, point, h, s);
      return;
    }
    return s.then((status) => parkDone(ex, point, h, status));
  }
  const p = gen.callPrepared(point.index, h);
  if (p === undefined) {
    hookDone(ex, point, h);
    return;
  }
  return p.then(() => hookDone(ex, point, h));
}

function newHandle(ex: HookedExchange): CalloutHandle {
  const h = ex.gen.createCalloutHandle();
  h.subject = ex;
  return h;
}

function hookDone<E extends HookedExchange>(ex: E, point: HookPoint<E>, h: CalloutHandle): void {
  parkDone(ex, point, h, h.getStatus());
}

/** After the callouts (and, at a parking point, the wait): the status acted on. */
function parkDone<E extends HookedExchange>(
  ex: E,
  point: HookPoint<E>,
  h: CalloutHandle,
  status: number,
): void {
  ex.query.setCopyRetrievedOptions(false);
  ex.response?.setCopyRetrievedOptions(false);
  if (h.overLimit) {
    h.overLimit = false;
    point.full(ex, point);
    return;
  }
  point.after(ex, status, point);
}

/**
 * The value a callout left in argument `name` of `point` (a callout may replace a lease), or
 * `fallback` when the point had no callouts or none used its arguments: `fallback` must be the
 * value the point's setup gives that argument.
 */
export function argumentAfter<E extends HookedExchange, T>(
  ex: E,
  point: HookPoint<E>,
  name: string,
  fallback: T,
): T {
  if (ex.handle === null || !ex.gen.calloutsPresent(point.index)) return fallback;
  // No callout used the arguments: `fallback` is the value the point's setup would have set.
  if (ex.handle.argumentsDeferred) return fallback;
  const v = ex.handle.getArgument(name as never) as T | null;
  return v ?? fallback;
}

/**
 * Runs `fn` on each item in turn (the IAs of a query, the addresses of an IA); waits only when
 * an item's processing returns a Promise, and stops when the query is dropped.
 */
export function each<E extends { dropped: boolean }, T>(
  ex: E,
  items: readonly T[],
  fn: (ex: E, item: T) => void | Promise<void>,
  from = 0,
): void | Promise<void> {
  for (let i = from; i < items.length && !ex.dropped; i++) {
    const r = fn(ex, items[i]!);
    if (r !== undefined) return r.then(() => each(ex, items, fn, i + 1));
  }
}

/** "SKIP", "DROP", "PARK" or the number, for log lines. */
export function statusName(s: number): string {
  return s === NextStep.SKIP
    ? "SKIP"
    : s === NextStep.DROP
      ? "DROP"
      : s === NextStep.PARK
        ? "PARK"
        : String(s);
}
