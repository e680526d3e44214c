/**
 * `nestor/hooks`: the API for hook library authors.
 *
 * A library is an ES module (JavaScript or TypeScript) whose named exports are the framework
 * functions (`version`, optional `load`, `unload`, `multi_threading_compatible`) and callouts
 * named after hook points. See docs/hooks/ for the guide.
 */
import { defaultLogManager, type Logger } from "../log/logger.ts";

export { HOOKS_VERSION, HOOKS_API_VERSION } from "./version.ts";
export {
  NextStep,
  NEXT_STEP_CONTINUE,
  NEXT_STEP_SKIP,
  NEXT_STEP_DROP,
  NEXT_STEP_PARK,
} from "./next-step.ts";
export { CalloutHandle } from "./callout-handle.ts";
export type { Callout, CommandCallout } from "./callout-handle.ts";
export { LibraryHandle } from "./library-handle.ts";
export { ParkingLot, ParkingLotHandle } from "./parking-lot.ts";
export { CalloutManager, PRE_LIBRARY_INDEX, POST_LIBRARY_INDEX } from "./callout-manager.ts";
export { HooksManager } from "./hooks-manager.ts";
export type {
  HooksManagerOptions,
  LoadOptions,
  ValidateOptions,
  LibraryInfo,
} from "./hooks-manager.ts";
export { ServerHooks, CONTEXT_CREATE, CONTEXT_DESTROY } from "./server-hooks.ts";
export { parseHooksLibraries } from "./config.ts";
export type { HookLibraryConfig } from "./config.ts";
export {
  NoSuchArgument,
  NoSuchCalloutContext,
  NoSuchHook,
  DuplicateHook,
  ArgumentTypeError,
  LibraryLoadError,
  CalloutTimeout,
} from "./errors.ts";
export { NestorError, InvalidOperation, ConfigError } from "../util/errors.ts";
export type {
  ArgumentsOf,
  CalloutResult,
  ControlAnswer,
  ControlCommand,
  HookArguments,
  HookName,
  JsonObject,
  JsonValue,
} from "./types.ts";
export { defineMessages, Logger, LogManager, Severity } from "../log/logger.ts";
export type { LoggerSpec, LogOutput, SeverityName } from "../log/logger.ts";
export type { StatsManager, Observation, StatValue } from "../stats/index.ts";

/**
 * A logger named `<server logger>.<name>` (e.g. `nestor-dhcp4.packet-capture`), usable at module
 * top level like Kea's `isc::log::Logger logger("packet-capture")`. It inherits the root
 * logger's configuration unless the `loggers` configuration names it.
 */
export function createLogger(name: string): Logger {
  return defaultLogManager.getLogger(name);
}
