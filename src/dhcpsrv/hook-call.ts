/**
 * Calling one hook point for one packet, as both servers do it (Kea's rule, EXAMPLES.md 2 and 4):
 * nothing is built when the point has no callouts; otherwise the packet's one callout handle
 * (made on first use) gets fresh arguments, the query and the response copy the options they
 * hand out while the callouts run (copy on retrieve), and the status is read once after the
 * last callout. Synchronous unless a callout returns a Promise.
 */
import type { Pkt } from "../dhcp/pkt.ts";
import type { CalloutHandle } from "../hooks/callout-handle.ts";
import type { CalloutManager } from "../hooks/callout-manager.ts";
import { NextStep } from "../hooks/next-step.ts";

/** What a server keeps per packet that the hook call needs. */
export interface HookedExchange {
  /** The library generation this packet uses from start to end. */
  readonly gen: CalloutManager;
  handle: CalloutHandle | null;
  readonly query: Pkt;
  response: Pkt | null;
}

/** Sets the arguments of one hook point (module-level or bound once: no closure per packet). */
export type HookSetup<E> = (h: CalloutHandle, ex: E) => void;
/** Acts on the status (CONTINUE when the point has no callouts). */
export type HookAfter<E> = (ex: E, status: number) => void;

export function callHook<E extends HookedExchange>(
  ex: E,
  index: number,
  setup: HookSetup<E>,
  after: HookAfter<E>,
): void | Promise<void> {
  if (!ex.gen.calloutsPresent(index)) {
    after(ex, NextStep.CONTINUE);
    return;
  }
  const h = (ex.handle ??= ex.gen.createCalloutHandle());
  h.prepare();
  setup(h, ex);
  ex.query.setCopyRetrievedOptions(true);
  ex.response?.setCopyRetrievedOptions(true);
  const p = ex.gen.callCallouts(index, h);
  if (p === undefined) {
    hookDone(ex);
    after(ex, h.getStatus());
    return;
  }
  return p.then(() => {
    hookDone(ex);
    after(ex, h.getStatus());
  });
}

function hookDone(ex: HookedExchange): void {
  ex.query.setCopyRetrievedOptions(false);
  ex.response?.setCopyRetrievedOptions(false);
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
