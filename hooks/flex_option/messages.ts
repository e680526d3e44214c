/** The library's log messages, with Kea's IDs. */
import { defineMessages } from "nestor/hooks";

/** Debug level of the per-packet messages (Kea's DBGLVL_TRACE_BASIC). */
export const DBG_TRACE = 40;

defineMessages({
  FLEX_OPTION_LOAD_ERROR: "loading Flex Option hooks library failed: %1",
  FLEX_OPTION_PROCESS_ERROR: "An error occurred processing query %1",
  FLEX_OPTION_PROCESS_ADD: "Added the option code %1 with value %2",
  FLEX_OPTION_PROCESS_SUPERSEDE: "Supersedes the option code %1 with value %2",
  FLEX_OPTION_PROCESS_REMOVE: "Removed option code %1",
  FLEX_OPTION_PROCESS_CLIENT_CLASS: "Skip processing of the option code %1 for class '%2'",
});
