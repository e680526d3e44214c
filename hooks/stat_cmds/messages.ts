/** The library's log messages, with Kea's IDs. */
import { defineMessages } from "nestor/hooks";

defineMessages({
  STAT_CMDS_INIT_OK: "loading Stat Commands hooks library successful",
  STAT_CMDS_DEINIT_OK: "unloading Stat Commands hooks library successful",
  STAT_CMDS_LOAD_ERROR: "Stat Commands hooks library cannot be loaded: %1",
  STAT_CMDS_LEASE_FAILED: "%1 command failed: reason: %2",
});
