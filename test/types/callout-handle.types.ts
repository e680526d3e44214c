// Compile-time checks of the hook typing (run by `npm run typecheck`, not by the test runner):
// each @ts-expect-error line must fail to compile, each other line must compile.
import type { CalloutHandle, Callout, LibraryHandle } from "../../src/hooks/index.ts";

class Packet {
  xid = 0;
}

declare module "../../src/hooks/types.ts" {
  interface HookArguments {
    typecheck_receive: { query: Packet; count: number; subnet: string | null };
  }
}

export function typedCallout(handle: CalloutHandle<"typecheck_receive">): number {
  const q: Packet = handle.getArgument("query");
  const n: number = handle.getArgument("count");
  handle.setArgument("subnet", null);
  handle.setArgument("count", n + 1);
  // @ts-expect-error a number argument cannot be given a string
  handle.setArgument("count", "one");
  // @ts-expect-error query is a Packet, not a string
  const wrong: string = handle.getArgument("query");
  // Names the types do not know (e.g. "$" names between libraries) are unknown, or typed explicitly.
  const shared: unknown = handle.getArgument("$shared");
  const explicit: string = handle.getArgument<string>("$shared");
  void [q, wrong, shared, explicit];
  return 0;
}

export function register(lib: LibraryHandle): void {
  lib.registerCallout("typecheck_receive", typedCallout);
  // A typed handle is a handle: the framework accepts it where any handle is expected.
  const anyHandle: CalloutHandle = null as unknown as CalloutHandle<"typecheck_receive">;
  void anyHandle;
  const asyncCallout: Callout<"typecheck_receive"> = async (h) => {
    await Promise.resolve();
    return h.getArgument("count") > 0 ? 0 : 1;
  };
  lib.registerCallout("typecheck_receive", asyncCallout);
}
