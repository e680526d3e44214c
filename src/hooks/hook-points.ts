/**
 * A server's hook points, registered once at start-up: each name becomes an index, so that the
 * packet path never looks a string up. Each server family lists its names in its own file
 * (src/dhcp4/hook-points.ts, src/dhcp6/hook-points.ts) with its argument types.
 */
import type { ServerHooks } from "./server-hooks.ts";

/** The index of each hook point, by name. */
export type HookIndexes<N extends string> = Readonly<Record<N, number>>;

/** Registers the hook points in this order (idempotent per registry); returns their indexes. */
export function registerHookPoints<N extends string>(
  names: readonly N[],
  serverHooks: ServerHooks,
): HookIndexes<N> {
  const out = {} as Record<N, number>;
  for (const name of names) out[name] = serverHooks.ensureHook(name);
  return out;
}
