/**
 * Reading and validating Kea's Dhcp4/Dhcp6 configuration files.
 *
 * `loadConfigFile(path, 4)` -> `{ config: Dhcp4Config, warnings }`, or a `ConfigFileError`
 * (a `ConfigError` with file, line, column, key path and reason). docs/configuration.md lists
 * what is supported.
 */

export {
  loadConfigFile,
  parseConfigText,
  validateDocument,
  type LoadedConfig,
} from "./validate.ts";
export {
  formatKeyPath,
  MAX_INCLUDE_DEPTH,
  parseKeaText,
  readKeaFile,
  type JsonMap,
  type JsonValue,
  type KeaDocument,
  type KeaParseOptions,
  type KeyPath,
} from "./kea-json.ts";
export {
  ConfigFileError,
  formatPosition,
  type ConfigWarning,
  type SourcePosition,
} from "./errors.ts";
export type * from "./types.ts";
