/**
 * Shared networks as the servers read them: every subnet of a configuration, those of the
 * `shared-networks` entries first (Kea 2.2 reads the top-level keys in name order, so it numbers
 * their subnets first), then the top-level ones, each with the network-level values it inherits.
 *
 * One mechanism for every inherited key: a subnet of a network is seen as the network's keys
 * with the subnet's own written over them, so any key Kea allows at both levels (timers,
 * lifetimes, `interface`, `relay`, `match-client-id`, reservation flags, DDNS keys...) goes
 * global -> network -> subnet without a line of its own. The keys that do not replace but add up
 * (`option-data`, the class guard, `require-client-classes`) stay at the network's level, where
 * the model keeps them (src/dhcpsrv/model/shared-network.ts). The configuration itself is left
 * as written, which is what `config-get` returns.
 */

/** Network keys a subnet does not take over: its identity, and the levels of their own. */
const NOT_INHERITED = new Set([
  "name",
  "subnet4",
  "subnet6",
  "user-context",
  "comment",
  "option-data",
  "client-class",
  "client-classes",
  "require-client-classes",
  "evaluate-additional-classes",
]);

export interface SubnetEntry<S, N> {
  /** The subnet with the network-level values it does not set itself. */
  readonly subnet: S;
  /** Its key path: `subnet4[2]` or `shared-networks[0].subnet4[1]` (no `Dhcp4.`). */
  readonly path: string;
  /** The network it is in, as written, and that network's index; null for a top-level subnet. */
  readonly network: N | null;
  readonly networkIndex: number;
}

/** A subnet's keys over its network's (a relay with no address leaves the network's). */
export function inheritFrom<S extends object>(network: object, subnet: S): S {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(network)) if (!NOT_INHERITED.has(k)) out[k] = v;
  for (const [k, v] of Object.entries(subnet)) {
    if (k === "relay" && isEmptyRelay(v) && out["relay"] !== undefined) continue;
    out[k] = v;
  }
  return out as S;
}

function isEmptyRelay(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return true;
  const r = v as { "ip-addresses"?: unknown[]; "ip-address"?: string };
  return (r["ip-addresses"] ?? []).length === 0 && r["ip-address"] === undefined;
}

/** Every subnet of the configuration, networks' first, with what it inherits. */
export function subnetEntries<S extends object, N extends { name: string }>(
  config: { "shared-networks"?: readonly N[] },
  listKey: "subnet4" | "subnet6",
  topLevel: readonly S[],
): SubnetEntry<S, N>[] {
  const out: SubnetEntry<S, N>[] = [];
  (config["shared-networks"] ?? []).forEach((n, ni) => {
    const list = (n as unknown as Record<string, S[] | undefined>)[listKey] ?? [];
    list.forEach((s, i) => {
      out.push({
        subnet: inheritFrom(n, s),
        path: `shared-networks[${ni}].${listKey}[${i}]`,
        network: n,
        networkIndex: ni,
      });
    });
  });
  topLevel.forEach((s, i) => {
    out.push({ subnet: s, path: `${listKey}[${i}]`, network: null, networkIndex: -1 });
  });
  return out;
}
