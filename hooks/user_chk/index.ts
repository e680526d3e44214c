/**
 * user_chk: Kea's example hook library, written for Nestor (see README.md).
 *
 * Clients known to a registry (a file of JSON lines, or a PostgreSQL table) keep the subnet the
 * server chose and get their own boot file and TFTP server; unknown clients are put in the
 * restricted subnet (the highest subnet ID). Every lease granted is recorded in an outcome file.
 * Loads into nestor-dhcp4 and nestor-dhcp6; a Kea configuration naming libdhcp_user_chk.so
 * loads this library.
 */
import { HOOKS_VERSION, type CalloutHandle, type LibraryHandle } from "nestor/hooks";
import { ErrorThrottle, receive4, receive6, select4, select6, send4, send6 } from "./callouts.ts";
import type { State } from "./callouts.ts";
import { FileRegistrySource } from "./file-source.ts";
import { OutcomeWriter } from "./outcome.ts";
import { parseSettings, PARAMETERS_SCHEMA } from "./params.ts";
import { PgRegistrySource } from "./pg-source.ts";
import type { RegistrySource } from "./registry.ts";
import "./messages.ts";

let state: State | null = null;

/** The parameters, checked by the server before load() (see params.ts). */
export const parametersSchema = PARAMETERS_SCHEMA;

export function version(): number {
  return HOOKS_VERSION;
}

// Per-request data lives in the callout context and the registry is replaced in one assignment,
// so requests in progress at the same time (while a database lookup waits) cannot disturb each
// other. (Kea's user_chk defines no such function: it is not multi-threading compatible.)
export function multi_threading_compatible(): number {
  return 1;
}

export async function load(handle: LibraryHandle): Promise<number> {
  const log = handle.createLogger("user-chk");
  let source: RegistrySource | null = null;
  try {
    const settings = parseSettings(handle.getParameters());
    source =
      settings.postgresql === null
        ? FileRegistrySource.open(settings.registry, log)
        : await PgRegistrySource.open(settings.postgresql, log);
    const outcome = OutcomeWriter.open(settings.outcome);
    state = { settings, source, outcome, log, errors: new ErrorThrottle() };
    if (source instanceof FileRegistrySource) {
      log.info("USER_CHK_LOADED", source.description, source.current.size, settings.outcome);
    } else {
      log.info("USER_CHK_LOADED_DB", source.description, settings.outcome);
    }
    return 0;
  } catch (err) {
    log.error("USER_CHK_HOOK_LOAD_ERROR", (err as Error).message);
    if (source !== null) await source.close();
    return 1;
  }
}

export async function unload(): Promise<number> {
  const st = state;
  state = null;
  if (st === null) return 0;
  st.outcome.close();
  try {
    await st.source.close();
  } catch (err) {
    st.log.error("USER_CHK_HOOK_UNLOAD_ERROR", (err as Error).message);
    return 1;
  }
  st.log.info("USER_CHK_UNLOADED");
  return 0;
}

export function pkt4_receive(handle: CalloutHandle<"pkt4_receive">): number | Promise<number> {
  return state === null ? 1 : receive4(handle, state);
}

export function subnet4_select(handle: CalloutHandle<"subnet4_select">): number {
  return state === null ? 1 : select4(handle, state);
}

export function pkt4_send(handle: CalloutHandle<"pkt4_send">): number {
  return state === null ? 1 : send4(handle, state);
}

export function pkt6_receive(handle: CalloutHandle<"pkt6_receive">): number | Promise<number> {
  return state === null ? 1 : receive6(handle, state);
}

export function subnet6_select(handle: CalloutHandle<"subnet6_select">): number {
  return state === null ? 1 : select6(handle, state);
}

export function pkt6_send(handle: CalloutHandle<"pkt6_send">): number {
  return state === null ? 1 : send6(handle, state);
}
