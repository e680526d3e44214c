/**
 * A lease change as lease_events posts it: the event, the server family, when, and the lease in
 * the field names of Kea's lease commands (`ip-address`, `hw-address`, `subnet-id`, `valid-lft`,
 * `cltt`...), so that a receiver written for Kea's lease4-get answers reads it as it is.
 */
import type { Lease4 } from "nestor/dhcp4";
import type { Lease6 } from "nestor/dhcp6";

export type EventKind = "committed" | "released" | "declined" | "expired";

export interface LeaseEvent {
  /** Increases by one per event of this server, across restarts (the queue keeps it). */
  seq: number;
  event: EventKind;
  family: 4 | 6;
  /** When the server saw the change (ISO 8601). */
  time: string;
  lease: Record<string, string | number | boolean | null>;
}

const hex = (b: Uint8Array | null | undefined): string | null =>
  b === null || b === undefined
    ? null
    : [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");

export function lease4Json(l: Lease4): LeaseEvent["lease"] {
  return {
    "ip-address": l.address,
    "hw-address": l.hwaddr?.toText(false) ?? null,
    "client-id": hex(l.clientId),
    "subnet-id": l.subnetId,
    "valid-lft": l.validLifetime,
    cltt: l.cltt,
    hostname: l.hostname ?? "",
    "fqdn-fwd": l.fqdnFwd ?? false,
    "fqdn-rev": l.fqdnRev ?? false,
    state: l.state ?? 0,
  };
}

export function lease6Json(l: Lease6): LeaseEvent["lease"] {
  const prefix = (l.type ?? 0) === 2;
  return {
    "ip-address": l.address,
    type: prefix ? "IA_PD" : "IA_NA",
    "prefix-len": l.prefixLen ?? 128,
    duid: hex(l.duid),
    iaid: l.iaid,
    "subnet-id": l.subnetId,
    "preferred-lft": l.preferredLifetime,
    "valid-lft": l.validLifetime,
    cltt: l.cltt,
    hostname: l.hostname ?? "",
    state: l.state ?? 0,
  };
}
