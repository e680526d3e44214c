/** The library's log messages, with Kea's IDs where Kea has them. */
import { defineMessages } from "nestor/hooks";

defineMessages({
  LEASE_CMDS_INIT_OK: "loading Lease Commands hooks library successful",
  LEASE_CMDS_DEINIT_OK: "unloading Lease Commands hooks library successful",
  LEASE_CMDS_LOAD_ERROR: "Lease Commands hooks library cannot be loaded: %1",
  LEASE_CMDS_COMMAND_FAILED: "%1 command failed (reason: %2)",
});
