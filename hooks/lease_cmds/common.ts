/** What the v4 and v6 commands share: answers, the command wrapper, the query parameters. */
import type { CalloutHandle, ControlAnswer, JsonObject, JsonValue, Logger } from "nestor/hooks";
import { CommandFailure, fail, isInteger, isMap, parseAddress } from "./params.ts";

export const RESULT_SUCCESS = 0;
export const RESULT_ERROR = 1;
export const RESULT_UNSUPPORTED = 2;
export const RESULT_EMPTY = 3;

export function answer(result: number, text: string, args?: JsonValue): ControlAnswer {
  const a: ControlAnswer = { result, text };
  if (args !== undefined) a.arguments = args;
  return a;
}

/** A command's handler: its arguments (undefined when absent) in, its answer out. */
export type Handler = (args: JsonValue | undefined) => ControlAnswer;

/**
 * The callout of a command: the handler's answer becomes the response. A failure (a thrown
 * CommandFailure, or any error) is answered with its text and the callout returns 1, as Kea's
 * handlers do (the framework then logs which library's callout failed).
 */
/** The database commit the running handler started (a lease store whose flush is async). */
let pendingCommit: Promise<unknown> | null = null;

/**
 * Writes the store's queued changes: memfile on return; a database store's commit is awaited
 * by the command's callout before it answers (an error answer when the commit fails).
 */
export function commit(store: { flush(): unknown }): void {
  const f = store.flush();
  if (f instanceof Promise) pendingCommit = f;
}

export function commandCallout(
  name: string,
  handler: Handler,
  log: () => Logger | null,
): (handle: CalloutHandle<"$command">) => number | Promise<number> {
  return (handle) => {
    const command = handle.getArgument("command");
    try {
      pendingCommit = null;
      const response = handler(command.arguments);
      const waiting = pendingCommit as Promise<unknown> | null;
      pendingCommit = null;
      if (waiting !== null) {
        return waiting.then(
          () => {
            handle.setArgument("response", response);
            return 0;
          },
          (err: unknown) => {
            const text = `lease database commit failed: ${err instanceof Error ? err.message : String(err)}`;
            log()?.error("LEASE_CMDS_COMMAND_FAILED", name, text);
            handle.setArgument("response", answer(RESULT_ERROR, text));
            return 1;
          },
        );
      }
      handle.setArgument("response", response);
      return 0;
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      const result = err instanceof CommandFailure ? err.result : RESULT_ERROR;
      log()?.error("LEASE_CMDS_COMMAND_FAILED", name, text);
      handle.setArgument("response", answer(result, text));
      return 1;
    }
  };
}

/** Which lease a get or del command names (Kea's LeaseCmdsImpl::Parameters). */
export type Query =
  | { by: "address"; address: string; family: 4 | 6; type: number }
  | {
      by: "hw-address" | "client-id" | "duid";
      identifier: string;
      subnetId: number;
      iaid: number;
      type: number;
    };

const IDENTIFIER_TYPES = ["address", "hw-address", "duid", "client-id"];

/** Lease types by the names and numbers Kea's `type` parameter takes. */
const LEASE_TYPES: Record<string, number> = {
  IA_NA: 0,
  "0": 0,
  IA_TA: 1,
  "1": 1,
  IA_PD: 2,
  "2": 2,
  V4: 3,
  "3": 3,
};

/** The parameters of `leaseN-get` and `leaseN-del`, checked as Kea checks them. */
export function queryParameters(family: 4 | 6, params: JsonValue | undefined): Query {
  if (!isMap(params)) fail("Parameters missing or are not a map.");
  let type = 0;
  if (Object.hasOwn(params, "type")) {
    const t = params.type;
    const known = typeof t === "string" ? LEASE_TYPES[t] : undefined;
    if (known === undefined) {
      fail(
        `Invalid lease type specified: ${typeof t === "string" ? t : JSON.stringify(t)}, only supported values are: IA_NA, IA_TA, IA_PD and V4`,
      );
    }
    type = known;
  }
  if (Object.hasOwn(params, "ip-address")) {
    const text = params["ip-address"];
    if (typeof text !== "string") fail("'ip-address' is not a string.");
    const a = parseAddress(text);
    if (a === null) fail(`Failed to convert string to address '${text}': Invalid argument`);
    if (a.family !== family) fail(`Invalid IPv${family} address specified: ${text}`);
    return { by: "address", address: a.text, family, type };
  }
  if (!Object.hasOwn(params, "subnet-id")) fail("Mandatory 'subnet-id' parameter missing.");
  const subnetId = params["subnet-id"];
  if (!isInteger(subnetId)) fail("'subnet-id' parameter is not integer.");
  let iaid = 0;
  if (Object.hasOwn(params, "iaid")) {
    const v = params.iaid;
    if (!isInteger(v)) fail("'iaid' parameter is not integer.");
    iaid = v;
  }
  const idType = params["identifier-type"];
  const ident = params.identifier;
  if (typeof idType !== "string") {
    fail("No 'ip-address' provided and 'identifier-type' is either missing or not a string.");
  }
  if (typeof ident !== "string") {
    fail("No 'ip-address' provided and 'identifier' is either missing or not a string.");
  }
  if (!IDENTIFIER_TYPES.includes(idType)) {
    fail(
      `Incorrect identifier type: ${idType}, the only supported values are: address, hw-address, duid`,
    );
  }
  if (idType === "address") fail("Program error: query by address requires an 'ip-address'");
  return {
    by: idType as "hw-address" | "client-id" | "duid",
    identifier: ident,
    subnetId,
    iaid,
    type,
  };
}

/** The `subnets` list of `leaseN-get-all`; null when the command has no arguments. */
export function subnetList(args: JsonValue | undefined): number[] | null {
  if (args === undefined) return null;
  if (!isMap(args)) fail("'subnets' parameter not specified");
  if (!Object.hasOwn(args, "subnets")) fail("'subnets' parameter not specified");
  const list = args.subnets;
  if (!Array.isArray(list)) fail("'subnets' parameter must be a list");
  return list.map((id) => {
    if (!isInteger(id)) fail("listed subnet identifiers must be numbers");
    return id;
  });
}

/** `from` and `limit` of `leaseN-get-page`: the address to start after (null: the first). */
export function pageParameters(
  family: 4 | 6,
  command: string,
  args: JsonValue | undefined,
): { from: string | null; limit: number } {
  if (args === undefined) fail(`no parameters specified for the ${command} command`);
  if (!isMap(args)) fail("'from' parameter not specified");
  if (!Object.hasOwn(args, "from")) fail("'from' parameter not specified");
  const from = args.from;
  if (typeof from !== "string") fail("'from' parameter must be a string");
  let address: string | null = null;
  if (from !== "start") {
    const a = parseAddress(from);
    if (a === null) {
      fail(`'from' parameter value is neither 'start' keyword nor a valid IPv${family} address`);
    }
    if (a.family !== family) {
      fail(`'from' parameter value ${a.text} is not an IPv${family} address`);
    }
    address = a.text;
  }
  if (!Object.hasOwn(args, "limit")) fail("'limit' parameter not specified");
  const limit = args.limit;
  if (!isInteger(limit)) fail("'limit' parameter must be a number");
  if (limit === 0) fail("page size of retrieved leases must not be 0");
  if (limit < 0 || limit > 0xffffffff) {
    fail("page size of retrieved leases must not be greater than 4294967295");
  }
  // The zero address names no lease: the page starts at the first.
  if (address === "0.0.0.0" || address === "::") address = null;
  return { from: address, limit };
}

/** One string parameter of the `leaseN-get-by-*` commands. */
export function byParameter(args: JsonValue | undefined, name: string): string {
  if (!isMap(args)) fail("Command arguments missing or a not a map.");
  if (!Object.hasOwn(args, name)) fail(`'${name}' parameter not specified`);
  const v = args[name];
  if (typeof v !== "string") fail(`'${name}' parameter must be a string`);
  return v;
}

/** The hostname of `leaseN-get-by-hostname`, lower-cased as leases hold it. */
export function hostnameParameter(args: JsonValue | undefined): string {
  const name = byParameter(args, "hostname");
  if (name === "") fail("'hostname' parameter is empty");
  return name.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** A list of leases as the get-all and get-by commands answer it. */
export function leaseList(family: 4 | 6, leases: JsonObject[], extra?: JsonObject): ControlAnswer {
  const args: JsonObject = { leases, ...extra };
  return answer(
    leases.length > 0 ? RESULT_SUCCESS : RESULT_EMPTY,
    `${leases.length} IPv${family} lease(s) found.`,
    args,
  );
}

/** The `subnet-id` of `leaseN-wipe`: 0 (every subnet) when absent. */
export function wipeSubnet(args: JsonValue | undefined): number {
  if (!isMap(args) || !Object.hasOwn(args, "subnet-id")) return 0;
  const v = args["subnet-id"];
  if (!isInteger(v)) fail("invalid type specified for parameter 'subnet-id'");
  if (v < 0 || v > 0xffffffff)
    fail(`out of range value (${v}) specified for parameter 'subnet-id'`);
  return v;
}

/**
 * `leaseN-resend-ddns`: its address is checked as Kea checks it, then the answer is Kea's with
 * DNS updates off (Nestor has no DHCP-DDNS client: `dhcp-ddns` `enable-updates` is refused).
 */
export function resendDdns(family: 4 | 6, args: JsonValue | undefined): ControlAnswer {
  if (!isMap(args)) fail("no parameters specified for the command");
  if (!Object.hasOwn(args, "ip-address")) fail("'ip-address' parameter is missing.");
  const text = args["ip-address"];
  if (typeof text !== "string") fail("'ip-address' is not a string.");
  const a = parseAddress(text);
  if (a === null) fail(`'${text}' is not a valid IP address.`);
  if (a.family !== family) fail(`Invalid IPv${family} address specified: ${text}`);
  fail("DDNS updating is not enabled");
}
