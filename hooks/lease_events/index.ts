/**
 * lease_events: posts every lease change of nestor-dhcp4 or nestor-dhcp6 (committed, released,
 * declined, expired) to an HTTP endpoint as JSON, for an IPAM, NetBox or an inventory. Events are
 * queued (on disk with `queue-file`, so they survive a restart and an endpoint outage) and
 * delivered in order, in batches, with retries; a reply is never delayed unless `sync` is true.
 * Nestor's own library (Kea has none like it). See README.md.
 *
 *   "hooks-libraries": [{
 *     "library": "/usr/local/lib/node_modules/nestor/dist/libraries/lease_events/index.js",
 *     "parameters": { "url": "https://ipam.example/dhcp-events", "queue-file": "/var/lib/nestor/lease-events.jsonl" }
 *   }]
 */
import {
  HOOKS_VERSION,
  defineMessages,
  type CalloutHandle,
  type LibraryHandle,
  type Logger,
} from "nestor/hooks";
import type { Lease4 } from "nestor/dhcp4";
import type { Lease6 } from "nestor/dhcp6";
import { lease4Json, lease6Json, type EventKind, type LeaseEvent } from "./events.ts";
import { parseSettings, type Settings } from "./params.ts";
import { EventQueue } from "./queue.ts";
import { Sender } from "./sender.ts";

defineMessages({
  LEASE_EVENTS_LOADED: "lease events go to %1 (queue file %2, %3 events waiting from before)",
  LEASE_EVENTS_POST_FAILED: "posting lease events to %1 failed: %2 (%3 waiting; retrying)",
  LEASE_EVENTS_RECOVERED: "lease events are delivered to %1 again",
  LEASE_EVENTS_LOAD_ERROR: "lease_events cannot load: %1",
});

interface State {
  settings: Settings;
  queue: EventQueue;
  sender: Sender;
  log: Logger;
}

let state: State | null = null;

/** The parameters, checked by -t, config-test and config-set before the library loads. */
export const parametersSchema = {
  type: "object",
  required: ["url"],
  additionalProperties: false,
  properties: {
    url: { type: "string", pattern: "^https?://." },
    sync: { type: "boolean" },
    "queue-file": { type: "string", minLength: 1 },
    "max-queue": { type: "integer", minimum: 1 },
    batch: { type: "integer", minimum: 1 },
    "retry-ms": { type: "integer", minimum: 1 },
    "max-retry-ms": { type: "integer", minimum: 1 },
    "timeout-ms": { type: "integer", minimum: 1 },
    headers: { type: "object", additionalProperties: { type: "string" } },
  },
};

export function version(): number {
  return HOOKS_VERSION;
}

export function multi_threading_compatible(): number {
  return 1;
}

export function load(handle: LibraryHandle): number {
  const log = handle.createLogger("lease-events");
  try {
    const settings = parseSettings(handle.getParameters());
    const queue = new EventQueue(settings.queueFile, settings.maxQueue);
    const sender = new Sender(settings, queue, log);
    state = { settings, queue, sender, log };
    log.info("LEASE_EVENTS_LOADED", settings.url, settings.queueFile ?? "none", queue.size);
    handle.registerCommandCallout("lease-events-status", status);
    sender.kick();
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log.error("LEASE_EVENTS_LOAD_ERROR", message);
    throw new Error(message, { cause: err });
  }
}

export function unload(): number {
  if (state !== null) {
    state.sender.stop();
    state.queue.flush();
  }
  state = null;
  return 0;
}

/** `lease-events-status`: what is waiting and what was delivered since the library loaded. */
function status(handle: CalloutHandle): number {
  const s = state;
  if (s === null) return 1;
  handle.setArgument("response", {
    result: 0,
    text: `${s.queue.size} lease events waiting`,
    arguments: {
      url: s.settings.url,
      queued: s.queue.size,
      delivered: s.sender.delivered,
      "failed-posts": s.sender.failures,
      dropped: s.queue.dropped,
      "last-error": s.sender.lastError,
    },
  });
  return 0;
}

/** Queues the events; with `sync`, a Promise that settles when they are delivered. */
function emit(
  family: 4 | 6,
  kind: EventKind,
  leases: readonly Record<string, string | number | boolean | null>[],
): void | Promise<number> {
  const s = state;
  if (s === null || leases.length === 0) return;
  const time = new Date().toISOString();
  let last = 0;
  for (const lease of leases) {
    const event: LeaseEvent = { seq: s.queue.nextSeq++, event: kind, family, time, lease };
    s.queue.push(event);
    last = event.seq;
  }
  s.sender.kick();
  if (s.settings.sync) return s.sender.whenDelivered(last).then(() => 0);
}

// ---- DHCPv4 ---------------------------------------------------------------------------------

export function leases4_committed(handle: CalloutHandle<"leases4_committed">) {
  if (handle.getArgument("response4") === null) return; // RELEASE, DECLINE: their own events
  return emit(4, "committed", (handle.getArgument("leases4") as Lease4[]).map(lease4Json));
}

export function lease4_release(handle: CalloutHandle<"lease4_release">) {
  return emit(4, "released", [lease4Json(handle.getArgument("lease4") as Lease4)]);
}

export function lease4_decline(handle: CalloutHandle<"lease4_decline">) {
  return emit(4, "declined", [lease4Json(handle.getArgument("lease4") as Lease4)]);
}

export function lease4_expire(handle: CalloutHandle<"lease4_expire">) {
  return emit(4, "expired", [lease4Json(handle.getArgument("lease4") as Lease4)]);
}

// ---- DHCPv6 ---------------------------------------------------------------------------------

export function leases6_committed(handle: CalloutHandle<"leases6_committed">) {
  const query = handle.getArgument("query6");
  // RELEASE (8) and DECLINE (9) have their own events.
  if (query.getType() === 8 || query.getType() === 9) return;
  return emit(6, "committed", (handle.getArgument("leases6") as Lease6[]).map(lease6Json));
}

export function lease6_release(handle: CalloutHandle<"lease6_release">) {
  return emit(6, "released", [lease6Json(handle.getArgument("lease6") as Lease6)]);
}

export function lease6_decline(handle: CalloutHandle<"lease6_decline">) {
  return emit(6, "declined", [lease6Json(handle.getArgument("lease6") as Lease6)]);
}

export function lease6_expire(handle: CalloutHandle<"lease6_expire">) {
  return emit(6, "expired", [lease6Json(handle.getArgument("lease6") as Lease6)]);
}
