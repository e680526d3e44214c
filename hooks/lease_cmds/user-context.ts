/** The `user-context` and `comment` parameters of a lease, as Kea's lease parsers read them. */
import type { JsonObject } from "nestor/hooks";
import { fail, isMap, jsonText } from "./params.ts";

/** The lease's user context: `user-context` (a map), with `comment` moved into it; or null. */
export function userContext(args: JsonObject): JsonObject | null {
  let ctx: JsonObject | null = null;
  if (Object.hasOwn(args, "user-context")) {
    const v = args["user-context"]!;
    if (!isMap(v)) fail(`Invalid user context '${jsonText(v)}' is not a JSON map.`);
    ctx = v;
  }
  if (Object.hasOwn(args, "comment")) {
    const comment = args.comment!;
    if (ctx !== null && Object.hasOwn(ctx, "comment")) {
      fail(`Duplicated comment entry '${jsonText(comment)}' in user context '${jsonText(ctx)}'`);
    }
    ctx = { ...ctx, comment };
  }
  return ctx === null ? null : structuredClone(ctx);
}
