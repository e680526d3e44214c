/** The library's log messages (its `.mes` file) and the logger interface its modules use. */
import { defineMessages, type Logger } from "nestor/hooks";

/** What the modules need of a logger (a `Logger` has it; tests may pass their own). */
export type Log = Pick<Logger, "error" | "warn" | "info" | "debug">;

/** Debug level of per-packet messages (Kea's "detailed trace"). */
export const DBG_TRACE = 50;

defineMessages({
  USER_CHK_HOOK_LOAD_ERROR: "DHCP UserCheckHook could not be loaded: %1",
  USER_CHK_LOADED: "user check loaded: registry %1 (%2 users), outcome file %3",
  USER_CHK_LOADED_DB: "user check loaded: registry %1, outcome file %2",
  USER_CHK_UNLOADED: "user check unloaded",
  USER_CHK_HOOK_UNLOAD_ERROR: "DHCP UserCheckHook an error occurred unloading the library: %1",
  USER_CHK_REGISTRY_RELOADED: "registry %1 read again: %2 users",
  USER_CHK_REGISTRY_INVALID: "registry %1 not used: %2; the previous registry (%3 users) stays",
  USER_CHK_REGISTRY_UNREADABLE:
    "registry %1 cannot be read: %2; the previous registry (%3 users) stays",
  USER_CHK_LOOKUP: "client %1 is %2",
  USER_CHK_NO_CLIENT_ID: "query %1 has no client identifier: user check does not apply",
  USER_CHK_LOOKUP_FAILED: "registry lookup of %1 in %2 failed: %3; %4",
  USER_CHK_DB_ERRORS_SUPPRESSED: "%1 more registry lookup failures in the last %2 s not logged",
  USER_CHK_DB_POOL_ERROR: "idle connection to the registry database failed: %1",
  USER_CHK_RESTRICTED_SUBNET: "client %1 is not registered: subnet %2 (restricted) instead of %3",
  USER_CHK_SKIP_NAK: "response to %1 is a DHCPNAK: nothing to do",
  USER_CHK_OPTIONS: "client %1: %2",
  USER_CHK_OPTION_WARNING: "client %1: %2",
  USER_CHK_OUTCOME_WRITE_FAILED: "cannot write to outcome file %1: %2",
});
