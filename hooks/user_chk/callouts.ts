/**
 * The callouts' work, for both protocols. The flow is Kea's user_chk:
 *
 * - pkt4_receive / pkt6_receive: look the client up (hardware address / DUID) and keep, in the
 *   request's context, its id as text (`query_user_id`), its entry (`registered_user`, null when
 *   unregistered) and the default user (`default_user`). With the file source this is
 *   synchronous; with PostgreSQL the callout returns a Promise and only this request waits.
 * - subnet4_select / subnet6_select: an unregistered client gets the restricted subnet, by
 *   convention the last of the collection (the highest subnet ID).
 * - pkt4_send / pkt6_send: write the outcome records and set the boot options from the user, or
 *   from the default user for an unregistered client.
 */
import { InvalidOperation, NextStep, type CalloutHandle } from "nestor/hooks";
import { DHCPMessageType, DHCPv6MessageType } from "nestor/dhcp";
import type { Subnet4 } from "nestor/dhcp4";
import type { Subnet6 } from "nestor/dhcp6";
import { apply4, apply6, grantedLeases6, grantsLease4, type Applied } from "./options.ts";
import type { OutcomeRecord, OutcomeWriter } from "./outcome.ts";
import type { Settings } from "./params.ts";
import type { Lookup, RegistrySource } from "./registry.ts";
import { DUID_TYPE, HW_ADDR, UserId, type User } from "./user.ts";
import { DBG_TRACE, type Log } from "./messages.ts";

/** Everything a loaded library holds. */
export interface State {
  settings: Settings;
  source: RegistrySource;
  outcome: OutcomeWriter;
  log: Log;
  errors: ErrorThrottle;
}

/** Context item names (Kea's, plus the default user looked up with the client). */
export const QUERY_USER_ID = "query_user_id";
export const REGISTERED_USER = "registered_user";
export const DEFAULT_USER = "default_user";

/** Kea's message for a response another library already packed. */
export const PACK_HANDLED = "the packet pack already handled";

/**
 * Logs the first failure of a series and then at most one per interval, saying how many were
 * left out: a database outage must not turn into one error line per packet.
 */
export class ErrorThrottle {
  private last = -Infinity;
  private suppressed = 0;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(intervalMs = 10_000, now: () => number = Date.now) {
    this.intervalMs = intervalMs;
    this.now = now;
  }

  /** Whether to log this failure; `suppressed` is how many were not logged before it. */
  take(): { log: boolean; suppressed: number } {
    const t = this.now();
    if (t - this.last < this.intervalMs) {
      this.suppressed++;
      return { log: false, suppressed: 0 };
    }
    this.last = t;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return { log: true, suppressed };
  }
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === "function";
}

function keep(handle: CalloutHandle, st: State, text: string, found: Lookup): number {
  handle.setContext(REGISTERED_USER, found.user);
  handle.setContext(DEFAULT_USER, found.defaultUser);
  st.log.debug(DBG_TRACE, "USER_CHK_LOOKUP", text, found.user ? "registered" : "not registered");
  return 0;
}

async function awaitLookup(
  handle: CalloutHandle,
  st: State,
  text: string,
  pending: Promise<Lookup>,
): Promise<number> {
  let found: Lookup;
  try {
    found = await pending;
  } catch (err) {
    const drop = st.settings.onError === "drop";
    const { log, suppressed } = st.errors.take();
    if (log) {
      if (suppressed > 0) {
        st.log.error("USER_CHK_DB_ERRORS_SUPPRESSED", suppressed, 10);
      }
      st.log.error(
        "USER_CHK_LOOKUP_FAILED",
        text,
        st.source.description,
        (err as Error).message,
        drop ? "query dropped" : "client treated as unregistered",
      );
    }
    if (drop) {
      handle.setStatus(NextStep.DROP);
      return 0;
    }
    found = { user: null, defaultUser: null };
  }
  return keep(handle, st, text, found);
}

/** Looks a client up and stores the result in the request's context. */
function lookUp(
  handle: CalloutHandle,
  st: State,
  id: UserId,
  text: string,
): number | Promise<number> {
  handle.setContext(QUERY_USER_ID, text);
  const found = st.source.lookup(id);
  return isPromise(found) ? awaitLookup(handle, st, text, found) : keep(handle, st, text, found);
}

function stopped(handle: CalloutHandle): boolean {
  const s = handle.getStatus();
  return s === NextStep.DROP || s === NextStep.SKIP;
}

export function receive4(
  handle: CalloutHandle<"pkt4_receive">,
  st: State,
): number | Promise<number> {
  if (stopped(handle)) return 0;
  const query = handle.getArgument("query4");
  const hw = query.getHWAddr();
  if (hw.hwaddr.length === 0) {
    st.log.debug(DBG_TRACE, "USER_CHK_NO_CLIENT_ID", query.getLabel());
    return 0;
  }
  return lookUp(handle, st, UserId.of(HW_ADDR, hw.hwaddr), hw.toText());
}

export function receive6(
  handle: CalloutHandle<"pkt6_receive">,
  st: State,
): number | Promise<number> {
  if (stopped(handle)) return 0;
  const query = handle.getArgument("query6");
  const duid = query.getClientId();
  if (duid === null) {
    st.log.debug(DBG_TRACE, "USER_CHK_NO_CLIENT_ID", query.getName());
    return 0;
  }
  return lookUp(handle, st, UserId.of(DUID_TYPE, duid.duid), duid.toText());
}

/** The restricted subnet: the one with the highest ID. */
function restricted<T extends { id: number }>(collection: readonly T[]): T | null {
  let best: T | null = null;
  for (const s of collection) if (best === null || s.id > best.id) best = s;
  return best;
}

/** Whether this request's client was looked up and found unregistered. */
function unregistered(handle: CalloutHandle): boolean {
  const user = handle.getOptionalContext<User | null>(REGISTERED_USER);
  return user === null;
}

/**
 * Whether the unregistered client must be moved from the subnet the server chose to the
 * restricted one, logged when so.
 */
function moveToRestricted(
  handle: CalloutHandle,
  st: State,
  target: Subnet4 | Subnet6,
  chosen: Subnet4 | Subnet6 | null,
): boolean {
  if (chosen === target) return false;
  st.log.debug(
    DBG_TRACE,
    "USER_CHK_RESTRICTED_SUBNET",
    handle.getContext<string>(QUERY_USER_ID),
    target.toText(),
    chosen === null ? "none" : chosen.toText(),
  );
  return true;
}

export function select4(handle: CalloutHandle<"subnet4_select">, st: State): number {
  if (stopped(handle) || !unregistered(handle)) return 0;
  const target = restricted<Subnet4>(handle.getArgument("subnet4collection"));
  if (target !== null && moveToRestricted(handle, st, target, handle.getArgument("subnet4"))) {
    handle.setArgument("subnet4", target);
  }
  return 0;
}

export function select6(handle: CalloutHandle<"subnet6_select">, st: State): number {
  if (stopped(handle) || !unregistered(handle)) return 0;
  const target = restricted<Subnet6>(handle.getArgument("subnet6collection"));
  if (target !== null && moveToRestricted(handle, st, target, handle.getArgument("subnet6"))) {
    handle.setArgument("subnet6", target);
  }
  return 0;
}

/**
 * The status check of pkt4_send / pkt6_send: false when the response is dropped anyway; a
 * response another library already packed (SKIP) can no longer be changed, so, as Kea, this
 * throws (which drops it: better no response than one without the user's options).
 */
function mayEdit(handle: CalloutHandle): boolean {
  const status = handle.getStatus();
  if (status === NextStep.SKIP) throw new InvalidOperation(PACK_HANDLED);
  return status !== NextStep.DROP;
}

/** The client looked up on receive and the user whose properties apply (or null). */
function sendContext(
  handle: CalloutHandle,
): { client: string; user: User | null; registered: boolean } | null {
  const client = handle.getOptionalContext<string>(QUERY_USER_ID);
  if (client === undefined) return null; // no id to look up: user check does not apply
  const user = handle.getOptionalContext<User | null>(REGISTERED_USER) ?? null;
  const def = handle.getOptionalContext<User | null>(DEFAULT_USER) ?? null;
  return { client, user: user ?? def, registered: user !== null };
}

function record(st: State, r: OutcomeRecord): void {
  try {
    st.outcome.write(r);
  } catch (err) {
    st.log.error("USER_CHK_OUTCOME_WRITE_FAILED", st.outcome.path, (err as Error).message);
  }
}

function report(st: State, client: string, applied: Applied): void {
  for (const w of applied.warnings) st.log.warn("USER_CHK_OPTION_WARNING", client, w);
  if (applied.changes.length > 0) {
    st.log.debug(DBG_TRACE, "USER_CHK_OPTIONS", client, applied.changes.join(", "));
  }
}

export function send4(handle: CalloutHandle<"pkt4_send">, st: State): number {
  if (!mayEdit(handle)) return 0;
  const response = handle.getArgument("response4");
  if (response.getType() === DHCPMessageType.DHCPNAK) {
    st.log.debug(DBG_TRACE, "USER_CHK_SKIP_NAK", response.getLabel());
    return 0;
  }
  const ctx = sendContext(handle);
  if (ctx === null) return 0;
  if (grantsLease4(response, st.settings.recordOffers)) {
    record(st, {
      idType: HW_ADDR,
      client: ctx.client,
      addr: response.yiaddr,
      registered: ctx.registered,
    });
  }
  report(st, ctx.client, apply4(response, ctx.user));
  return 0;
}

export function send6(handle: CalloutHandle<"pkt6_send">, st: State): number {
  if (!mayEdit(handle)) return 0;
  const ctx = sendContext(handle);
  if (ctx === null) return 0;
  const response = handle.getArgument("response6");
  const type = response.getType();
  const granting =
    type === DHCPv6MessageType.DHCPV6_REPLY ||
    (st.settings.recordOffers && type === DHCPv6MessageType.DHCPV6_ADVERTISE);
  if (granting) {
    for (const addr of grantedLeases6(response)) {
      record(st, { idType: DUID_TYPE, client: ctx.client, addr, registered: ctx.registered });
    }
  }
  report(st, ctx.client, apply6(response, ctx.user));
  return 0;
}
