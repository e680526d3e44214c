/**
 * flex_id: Kea's Flexible Identifier hook library (libdhcp_flex_id.so) for nestor-dhcp4 and
 * nestor-dhcp6: the client's `flex-id` host identifier computed from a Kea expression evaluated
 * on the query, so that reservations can be keyed on anything in it:
 *
 *   "host-reservation-identifiers": [ "flex-id", "hw-address" ],
 *   "hooks-libraries": [{
 *     "library": "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_flex_id.so",
 *     "parameters": { "identifier-expression": "relay4[2].hex", "replace-client-id": false } }],
 *   "reservations": [{ "flex-id": "'port-7'", "ip-address": "198.51.100.7" }]
 *
 * loads this library, as does naming this file. See README.md.
 */
import {
  HOOKS_VERSION,
  NextStep,
  type CalloutHandle,
  type JsonValue,
  type LibraryHandle,
  type Logger,
} from "nestor/hooks";
import { D6O, DHO, getStdOptionDefs, Option, Option6IA, type Pkt } from "nestor/dhcp";
import { compileStringExpression, Dhcp4ServerAccess } from "nestor/dhcp4";
import { Dhcp6ServerAccess } from "nestor/dhcp6";
import { DBG_TRACE } from "./messages.ts";

/** What the parameters say, for one server. */
interface FlexIdConfig {
  /** The identifier-expression, compiled; null without one (ignore-iaid alone). */
  expression: ((pkt: Pkt) => Buffer) | null;
  /** replace-client-id: the flex-id stands for the client identifier (v4) or DUID (v6). */
  replace: boolean;
  /** ignore-iaid (v6): the IAID of a query's only IA_NA / IA_PD is taken as 0. */
  ignoreIaid: boolean;
}

const NONE: FlexIdConfig = { expression: null, replace: false, ignoreIaid: false };

let log: Logger | null = null;
let config: FlexIdConfig = NONE;

export function version(): number {
  return HOOKS_VERSION;
}

// The configuration is read-only once loaded; the callouts never await.
export function multi_threading_compatible(): number {
  return 1;
}

function typeName(v: JsonValue): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  if (typeof v === "object") return "map";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "real";
  return typeof v;
}

export function load(handle: LibraryHandle): number {
  log = handle.createLogger("flex-id-hooks");
  const server = handle.getServer();
  const universe =
    server instanceof Dhcp4ServerAccess ? 4 : server instanceof Dhcp6ServerAccess ? 6 : null;
  if (universe === null) {
    log.error("FLEX_ID_LOAD_ERROR", "the library runs in nestor-dhcp4 or nestor-dhcp6 only");
    return 1;
  }
  const expr = handle.getParameter("identifier-expression");
  let expression: FlexIdConfig["expression"] = null;
  if (expr !== undefined) {
    if (typeof expr !== "string") {
      log.error("FLEX_ID_EXPRESSION_INVALID_JSON_TYPE", typeName(expr));
      return 1;
    }
    if (expr.trim() !== "") {
      try {
        expression = compileStringExpression(expr, { universe, defs: getStdOptionDefs() }).evaluate;
      } catch (err) {
        log.error(
          "FLEX_ID_EXPRESSION_PARSE_FAILED",
          expr,
          err instanceof Error ? err.message : String(err),
        );
        return 1;
      }
    }
  }
  if (expression === null) log.debug(DBG_TRACE, "FLEX_ID_NO_IDENTIFIER_EXPRESSION");
  const replace = handle.getParameter("replace-client-id");
  if (replace !== undefined && typeof replace !== "boolean") {
    log.error("FLEX_ID_REPLACE_CLIENT_ID_JSON_TYPE", typeName(replace));
    return 1;
  }
  let ignoreIaid = false;
  if (universe === 6) {
    const ignore = handle.getParameter("ignore-iaid");
    if (ignore !== undefined && typeof ignore !== "boolean") {
      log.error("FLEX_ID_IGNORE_IAID_JSON_TYPE", typeName(ignore));
      return 1;
    }
    ignoreIaid = ignore === true;
    if (ignoreIaid) log.warn("FLEX_ID_IGNORE_IAID_ENABLED");
  }
  config = { expression, replace: replace === true, ignoreIaid };
  return 0;
}

export function unload(): number {
  log?.info("FLEX_ID_UNLOAD");
  config = NONE;
  log = null;
  return 0;
}

/**
 * The query's flex-id: computed once per query and kept in the handle's context for the other
 * callouts of this library (pktN_receive computes it first when the client id is replaced).
 * Empty when the expression gives nothing or fails.
 */
function flexId(handle: CalloutHandle, pkt: Pkt): Buffer {
  const known = handle.getOptionalContext<Buffer>("id_value");
  if (known !== undefined) return known;
  let value: Buffer;
  try {
    value = config.expression!(pkt);
  } catch (err) {
    log?.error("FLEX_ID_EXPRESSION_ERROR", err instanceof Error ? err.message : String(err));
    value = Buffer.alloc(0);
  }
  if (/^[\x20-\x7e]*$/.test(value.toString("latin1"))) {
    log?.debug(DBG_TRACE, "FLEX_ID_EXPRESSION_EVALUATED", value.toString("latin1"), value.length);
  } else {
    log?.info("FLEX_ID_EXPRESSION_EVALUATED_NP", value.toString("hex"), value.length);
  }
  if (value.length > 0) handle.setContext("id_value", value);
  return value;
}

function stopped(handle: CalloutHandle): boolean {
  const s = handle.getStatus();
  return s === NextStep.DROP || s === NextStep.SKIP;
}

/** host4_identifier / host6_identifier: the flex-id, when the expression gives one. */
function identify(handle: CalloutHandle, pkt: Pkt): number {
  if (stopped(handle) || config.expression === null) return 0;
  const id = flexId(handle, pkt);
  if (id.length > 0) {
    handle.setArgument("id_value", new Uint8Array(id));
    handle.setArgument("id_type", "flex-id");
  }
  return 0;
}

export function host4_identifier(handle: CalloutHandle<"host4_identifier">): number {
  return identify(handle, handle.getArgument("query4"));
}

export function host6_identifier(handle: CalloutHandle<"host6_identifier">): number {
  return identify(handle, handle.getArgument("query6"));
}

/**
 * replace-client-id: the query's client identifier (option 61) becomes the flex-id with type 0,
 * so that the lease is the flex-id's; the client's own is put back in the response.
 */
export function pkt4_receive(handle: CalloutHandle<"pkt4_receive">): number {
  if (stopped(handle) || !config.replace || config.expression === null) return 0;
  const q = handle.getArgument("query4");
  const id = flexId(handle, q);
  if (id.length === 0) return 0;
  const own = q.getNonCopiedOption(DHO.DHCP_CLIENT_IDENTIFIER);
  if (own !== undefined) {
    handle.setContext("client_identifier", own);
    q.delOption(DHO.DHCP_CLIENT_IDENTIFIER);
  }
  const cid = Buffer.concat([Buffer.from([0]), id]);
  q.addOption(new Option(4, DHO.DHCP_CLIENT_IDENTIFIER, cid));
  log?.debug(DBG_TRACE, "FLEX_ID_USED_AS_CLIENT_ID", colonHex(cid));
  return 0;
}

export function pkt4_send(handle: CalloutHandle<"pkt4_send">): number {
  if (handle.getStatus() === NextStep.DROP || !config.replace) return 0;
  if (handle.getOptionalContext("id_value") === undefined) return 0;
  const response = handle.getArgument("response4");
  response.delOption(DHO.DHCP_CLIENT_IDENTIFIER);
  const own = handle.getOptionalContext<Option>("client_identifier");
  if (own !== undefined) {
    response.addOption(own);
    log?.debug(DBG_TRACE, "FLEX_ID_RESTORE_CLIENT_ID", colonHex(own.getData()));
  }
  return 0;
}

/**
 * ignore-iaid: the IAID of the query's only IA_NA (only IA_PD) is taken as 0, and put back in
 * the response; replace-client-id: the DUID becomes the flex-id with type 0, the client's own is
 * put back in the response.
 */
export function pkt6_receive(handle: CalloutHandle<"pkt6_receive">): number {
  if (stopped(handle)) return 0;
  const q = handle.getArgument("query6");
  if (config.ignoreIaid) {
    for (const [code, name] of [
      [D6O.IA_NA, "NA"],
      [D6O.IA_PD, "PD"],
    ] as const) {
      const ias = q.getNonCopiedOptions(code);
      handle.setContext(`ia${name}_count`, ias.length);
      if (ias.length > 1) log?.debug(DBG_TRACE, `FLEX_ID_IGNORE_IAID_NOT_APPLIED_ON_${name}`);
      const ia = ias[0];
      if (ias.length === 1 && ia instanceof Option6IA) {
        handle.setContext(`ia${name}_iaid`, ia.getIAID());
        log?.debug(DBG_TRACE, `FLEX_ID_IGNORE_IAID_APPLIED_ON_${name}`, ia.getIAID());
        ia.setIAID(0);
      }
    }
  }
  if (!config.replace || config.expression === null) return 0;
  const id = flexId(handle, q);
  if (id.length === 0) return 0;
  const own = q.getNonCopiedOption(D6O.CLIENTID);
  if (own !== undefined) {
    handle.setContext("duid", own);
    q.delOption(D6O.CLIENTID);
  }
  const duid = Buffer.concat([Buffer.from([0, 0]), id]);
  q.addOption(new Option(6, D6O.CLIENTID, duid));
  log?.debug(DBG_TRACE, "FLEX_ID_USED_AS_DUID", colonHex(duid));
  return 0;
}

export function pkt6_send(handle: CalloutHandle<"pkt6_send">): number {
  if (handle.getStatus() === NextStep.DROP) return 0;
  const response = handle.getArgument("response6");
  if (config.ignoreIaid) {
    for (const [code, name] of [
      [D6O.IA_NA, "NA"],
      [D6O.IA_PD, "PD"],
    ] as const) {
      const iaid = handle.getOptionalContext<number>(`ia${name}_iaid`);
      if (handle.getOptionalContext<number>(`ia${name}_count`) !== 1 || iaid === undefined)
        continue;
      const ia = response.getNonCopiedOption(code);
      if (ia instanceof Option6IA) ia.setIAID(iaid);
    }
  }
  if (!config.replace || handle.getOptionalContext("id_value") === undefined) return 0;
  response.delOption(D6O.CLIENTID);
  const own = handle.getOptionalContext<Option>("duid");
  if (own !== undefined) {
    response.addOption(own);
    log?.debug(DBG_TRACE, "FLEX_ID_RESTORE_DUID", colonHex(own.getData()));
  }
  return 0;
}

function colonHex(b: Uint8Array): string {
  return Buffer.from(b)
    .toString("hex")
    .replace(/(..)(?!$)/g, "$1:");
}
