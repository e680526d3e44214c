/** The library's log messages, with Kea's IDs. */
import { defineMessages } from "nestor/hooks";

/** Debug level of the per-packet messages (Kea's DBGLVL_TRACE_BASIC). */
export const DBG_TRACE = 40;

defineMessages({
  FLEX_ID_LOAD_ERROR: "loading Flex Id hooks library failed: %1",
  FLEX_ID_UNLOAD: "Flex Id hooks library has been unloaded",
  FLEX_ID_EXPRESSION_PARSE_FAILED:
    "The identifier-expression is [%1], but fails to parse with error: %2",
  FLEX_ID_EXPRESSION_INVALID_JSON_TYPE: "The identifier-expression is %1, but expected JSON string",
  FLEX_ID_REPLACE_CLIENT_ID_JSON_TYPE: "The replace-client-id value is %1, but expected boolean",
  FLEX_ID_IGNORE_IAID_JSON_TYPE: "The ignore-iaid value is %1, but expected boolean",
  FLEX_ID_IGNORE_IAID_ENABLED:
    "the ignore-iaid is set: the IAID of a query's only IA_NA or IA_PD is taken as 0",
  FLEX_ID_NO_IDENTIFIER_EXPRESSION: "no identifier-expression: no flexible identifier is computed",
  FLEX_ID_EXPRESSION_EVALUATED: "Expression evaluated to %1 (%2 bytes)",
  FLEX_ID_EXPRESSION_EVALUATED_NP: "Expression evaluated to non printable 0x%1 (%2 bytes)",
  FLEX_ID_EXPRESSION_ERROR: "evaluating the identifier-expression failed: %1",
  FLEX_ID_USED_AS_CLIENT_ID: "the flexible identifier replaces the client identifier: %1",
  FLEX_ID_RESTORE_CLIENT_ID: "the client identifier %1 is put back in the response",
  FLEX_ID_USED_AS_DUID: "the flexible identifier replaces the DUID: %1",
  FLEX_ID_RESTORE_DUID: "the DUID %1 is put back in the response",
  FLEX_ID_IGNORE_IAID_APPLIED_ON_NA: "the IAID %1 of the IA_NA is taken as 0",
  FLEX_ID_IGNORE_IAID_APPLIED_ON_PD: "the IAID %1 of the IA_PD is taken as 0",
  FLEX_ID_IGNORE_IAID_NOT_APPLIED_ON_NA: "several IA_NA: their IAIDs are kept",
  FLEX_ID_IGNORE_IAID_NOT_APPLIED_ON_PD: "several IA_PD: their IAIDs are kept",
});
