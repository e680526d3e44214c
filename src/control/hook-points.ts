/**
 * The control channel's hook point: `command_processed`, called after every command with the
 * command's name and arguments and the answer, which a callout may replace
 * (`isc-projects/kea:src/lib/config/base_command_mgr.cc`).
 */
import type { ServerHooks } from "../hooks/server-hooks.ts";

// The names below are the augmented module's own (ControlAnswer, JsonValue).
declare module "../hooks/types.ts" {
  interface HookArguments {
    command_processed: { name: string; arguments: JsonValue | undefined; response: ControlAnswer };
  }
}

export const COMMAND_PROCESSED = "command_processed";

/** Registers command_processed (idempotent); returns its index. */
export function registerControlHooks(serverHooks: ServerHooks): number {
  return serverHooks.ensureHook(COMMAND_PROCESSED);
}
