/**
 * The Dhcp4 map: every key of Kea 2.2's Dhcp4 grammar (`dhcp4_parser.yy`), typed, with its range
 * and Kea's default (`simple_parser4.cc`), plus `control-sockets` and `output-options` of later
 * versions. Keys Nestor does not implement are declared too, so that they are refused as "not
 * supported by Nestor yet" rather than as unknown (see docs/configuration.md).
 */

import {
  addressPool,
  bool,
  classKeys,
  clientClass,
  commonGlobals,
  ddnsKeys,
  hostIdentifiers,
  interfacesConfig,
  list,
  map,
  networkExtras,
  oneOfStrings,
  optionData,
  optionDef,
  relay,
  sharedNetworks,
  reservationModeKeys,
  str,
  subnetIdentity,
  timers,
  triplet,
  uint32,
  unsupported,
  type Schema,
} from "./schema-common.ts";

const option4 = optionData("dhcp4", 255);

/** Keys shared by the global level and a subnet (without defaults at subnet level). */
function bootKeys(withDefaults: boolean): Record<string, Schema> {
  return {
    "match-client-id": bool(withDefaults ? true : undefined),
    authoritative: bool(withDefaults ? false : undefined),
    "next-server": str(withDefaults ? "0.0.0.0" : undefined),
    "server-hostname": str(withDefaults ? "" : undefined),
    "boot-file-name": str(withDefaults ? "" : undefined),
  };
}

const reservation4 = map({
  "hw-address": str(),
  "client-id": str(),
  duid: str(),
  "circuit-id": str(),
  "flex-id": str(),
  "ip-address": str(),
  hostname: str(""),
  "next-server": str(),
  "server-hostname": str(),
  "boot-file-name": str(),
  "option-data": list(option4, []),
  "client-classes": list({ type: "string" }, []),
});

const clientClass4 = clientClass(option4, {
  "next-server": str(),
  "server-hostname": str(),
  "boot-file-name": str(),
  // Kea: only for option 43 and the private codes 224-254 of the dhcp4 space (semantics.ts).
  "option-def": list(optionDef("dhcp4", 254), []),
  // Kea 2.6: over the subnet's for a client in the class (src/dhcp4/processing/allocate.ts).
  "offer-lifetime": uint32(),
});

const subnet4 = map(
  {
    ...subnetIdentity,
    pools: list(addressPool(option4), []),
    "option-data": list(option4, []),
    reservations: list(reservation4, []),
    interface: str(),
    relay: relay(),
    ...triplet("valid-lifetime"),
    ...timers(false, 0.875, false),
    ...bootKeys(false),
    ...reservationModeKeys,
    ...classKeys,
    // Kea 2.6: a lease stored for a DISCOVER's offer (src/dhcp4/processing/allocate.ts).
    "offer-lifetime": uint32(),
    // DHCPv4-over-DHCPv6: how a forwarded query selects this subnet (select4o6.ts).
    "4o6-interface": str(),
    "4o6-interface-id": str(),
    "4o6-subnet": str(),
    ...networkExtras,
    ...ddnsKeys,
  },
  { required: ["subnet"] },
);

const interfacesConfig4 = interfacesConfig({
  "dhcp-socket-type": oneOfStrings(["raw", "udp"], "raw"),
  "outbound-interface": oneOfStrings(["same-as-inbound", "use-routing"], "same-as-inbound"),
});

export const dhcp4Schema: Schema = map(
  {
    ...commonGlobals,
    "interfaces-config": interfacesConfig4,
    ...triplet("valid-lifetime", 7200),
    ...timers(false, 0.875, true),
    ...bootKeys(true),
    "echo-client-id": bool(true),
    "offer-lifetime": uint32(),
    "stash-agent-options": unsupported({ allowed: false }),
    "option-data": list(option4, []),
    "option-def": list(optionDef("dhcp4", 254), []),
    "client-classes": list(clientClass4, []),
    subnet4: list(subnet4, []),
    "shared-networks": sharedNetworks(subnet4, "subnet4"),
    reservations: list(reservation4, []),
    "host-reservation-identifiers": hostIdentifiers(
      ["hw-address", "duid", "circuit-id", "client-id", "flex-id"],
      ["hw-address", "duid", "circuit-id", "client-id"],
    ),
  },
  {},
);
