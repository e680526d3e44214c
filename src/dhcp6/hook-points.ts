/**
 * The DHCPv6 server's hook points: registered once at start-up (names become indexes), and
 * their argument types for hook authors (`CalloutHandle<"pkt6_receive">`). Places and status
 * semantics: docs/hooks/dhcp6-hook-points.md.
 */
import type { Option6IA } from "../dhcp/option6-ia.ts";
import type { Pkt6 } from "../dhcp/pkt6.ts";
import { registerHookPoints, type HookIndexes } from "../hooks/hook-points.ts";
import type { ServerHooks } from "../hooks/server-hooks.ts";
import type { Lease6 } from "../dhcpsrv/leases/lease6.ts";
import type { Subnet6 } from "../dhcpsrv/model/subnet6.ts";

declare module "../hooks/types.ts" {
  interface HookArguments {
    dhcp6_srv_configured: { json_config: unknown; server_config: unknown; error?: string };
    buffer6_receive: { query6: Pkt6 };
    pkt6_receive: { query6: Pkt6 };
    subnet6_select: {
      query6: Pkt6;
      subnet6: Subnet6 | null;
      subnet6collection: readonly Subnet6[];
    };
    host6_identifier: { query6: Pkt6; id_type: string; id_value: Uint8Array };
    lease6_select: { query6: Pkt6; subnet6: Subnet6; fake_allocation: boolean; lease6: Lease6 };
    lease6_renew: { query6: Pkt6; lease6: Lease6; ia_na?: Option6IA; ia_pd?: Option6IA };
    lease6_rebind: { query6: Pkt6; lease6: Lease6; ia_na?: Option6IA; ia_pd?: Option6IA };
    lease6_decline: { query6: Pkt6; lease6: Lease6 };
    lease6_release: { query6: Pkt6; lease6: Lease6 };
    leases6_committed: {
      query6: Pkt6;
      response6: Pkt6 | null;
      leases6: Lease6[];
      deleted_leases6: Lease6[];
    };
    pkt6_send: { query6: Pkt6; response6: Pkt6; subnet6: Subnet6 | null };
    buffer6_send: { response6: Pkt6 };
    lease6_expire: { lease6: Lease6; remove_lease: boolean };
    lease6_recover: { lease6: Lease6 };
  }
}

export const DHCP6_HOOK_NAMES = [
  "dhcp6_srv_configured",
  "buffer6_receive",
  "pkt6_receive",
  "subnet6_select",
  "host6_identifier",
  "lease6_select",
  "lease6_renew",
  "lease6_rebind",
  "lease6_decline",
  "lease6_release",
  "leases6_committed",
  "pkt6_send",
  "buffer6_send",
  "lease6_expire",
  "lease6_recover",
] as const;

export type Dhcp6HookName = (typeof DHCP6_HOOK_NAMES)[number];
export type Dhcp6Hooks = HookIndexes<Dhcp6HookName>;

/** Registers the v6 hook points (idempotent per registry) and returns their indexes. */
export function registerDhcp6Hooks(serverHooks: ServerHooks): Dhcp6Hooks {
  return registerHookPoints(DHCP6_HOOK_NAMES, serverHooks);
}
