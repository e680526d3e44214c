/**
 * The DHCPv4 server's hook points: registered once at start-up (names become indexes, the packet
 * path never looks up a string), and their argument types for hook authors
 * (`CalloutHandle<"pkt4_receive">`). Places and status semantics: docs/hooks/dhcp4-hook-points.md.
 */
import type { Pkt4 } from "../dhcp/pkt4.ts";
import type { HWAddr } from "../dhcp/hwaddr.ts";
import { registerHookPoints, type HookIndexes } from "../hooks/hook-points.ts";
import type { ServerHooks } from "../hooks/server-hooks.ts";
import type { Lease4 } from "../dhcpsrv/leases/lease4.ts";
import type { Subnet4 } from "../dhcpsrv/model/subnet4.ts";
import type { Host4 } from "../dhcpsrv/model/host4.ts";

declare module "../hooks/types.ts" {
  interface HookArguments {
    dhcp4_srv_configured: { json_config: unknown; server_config: unknown; error?: string };
    buffer4_receive: { query4: Pkt4 };
    pkt4_receive: { query4: Pkt4 };
    subnet4_select: {
      query4: Pkt4;
      subnet4: Subnet4 | null;
      subnet4collection: readonly Subnet4[];
    };
    host4_identifier: { query4: Pkt4; id_type: string; id_value: Uint8Array };
    lease4_select: {
      query4: Pkt4;
      subnet4: Subnet4;
      fake_allocation: boolean;
      offer_lft: number;
      lease4: Lease4;
    };
    lease4_renew: {
      query4: Pkt4;
      subnet4: Subnet4;
      clientid: Uint8Array | null;
      hwaddr: HWAddr | null;
      lease4: Lease4;
    };
    lease4_release: { query4: Pkt4; lease4: Lease4 };
    lease4_decline: { query4: Pkt4; lease4: Lease4 };
    lease4_offer: {
      query4: Pkt4;
      response4: Pkt4;
      leases4: Lease4[];
      offer_lifetime: number;
      old_lease: Lease4 | null;
      host: Host4 | null;
      offer_address_in_use?: boolean;
    };
    leases4_committed: {
      query4: Pkt4;
      response4: Pkt4 | null;
      leases4: Lease4[];
      deleted_leases4: Lease4[];
    };
    pkt4_send: { query4: Pkt4; response4: Pkt4; subnet4: Subnet4 | null };
    buffer4_send: { response4: Pkt4 };
    lease4_expire: { lease4: Lease4; remove_lease: boolean };
    lease4_recover: { lease4: Lease4 };
  }
}

export const DHCP4_HOOK_NAMES = [
  "dhcp4_srv_configured",
  "buffer4_receive",
  "pkt4_receive",
  "subnet4_select",
  "host4_identifier",
  "lease4_select",
  "lease4_renew",
  "lease4_release",
  "lease4_decline",
  "lease4_offer",
  "leases4_committed",
  "pkt4_send",
  "buffer4_send",
  "lease4_expire",
  "lease4_recover",
] as const;

export type Dhcp4HookName = (typeof DHCP4_HOOK_NAMES)[number];
export type Dhcp4Hooks = HookIndexes<Dhcp4HookName>;

/** Registers the v4 hook points (idempotent per registry) and returns their indexes. */
export function registerDhcp4Hooks(serverHooks: ServerHooks): Dhcp4Hooks {
  return registerHookPoints(DHCP4_HOOK_NAMES, serverHooks);
}
