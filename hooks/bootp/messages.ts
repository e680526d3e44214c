/** The bootp library's log messages: Kea's IDs (bootp_messages.mes) and their texts. */
import { defineMessages } from "nestor/hooks";

defineMessages({
  BOOTP_LOAD: "Bootp hooks library has been loaded",
  BOOTP_UNLOAD: "Bootp hooks library has been unloaded",
  BOOTP_BOOTP_QUERY: "recognized a BOOTP query: %1",
  BOOTP_PACKET_OPTIONS_SKIPPED:
    "an error unpacking an option, caused subsequent options to be skipped: %1",
  BOOTP_PACKET_UNPACK_FAILED:
    "failed to parse query from %1 to %2, received over interface %3, reason: %4",
  BOOTP_PACKET_PACK: "%1: preparing on-wire format of the packet to be sent",
  BOOTP_PACKET_PACK_FAIL: "%1: preparing on-wire-format of the packet to be sent failed %2",
});

/** Kea's DBGLVL_TRACE_BASIC, the level of the library's debug messages. */
export const DBGLVL_TRACE_BASIC = 40;
