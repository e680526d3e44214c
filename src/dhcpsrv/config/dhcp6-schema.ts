/**
 * The Dhcp6 map: every key of Kea 2.2's Dhcp6 grammar (`dhcp6_parser.yy`), typed, with its range
 * and Kea's default (`simple_parser6.cc`), plus `control-sockets` and `output-options` of later
 * versions. Keys Nestor does not implement are refused by name.
 */

import {
  addressPool,
  bool,
  classKeys,
  clientClass,
  commonGlobals,
  ddnsKeys,
  hostIdentifiers,
  int,
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
  strings,
  subnetIdentity,
  timers,
  triplet,
  uint32,
  unsupported,
  UINT16_MAX,
  type Schema,
} from "./schema-common.ts";
import { ALLOCATOR_KINDS } from "../model/allocation.ts";

const MAC_SOURCES = [
  "any",
  "raw",
  "duid",
  "ipv6-link-local",
  "client-link-addr-option",
  "rfc6939",
  "remote-id",
  "rfc4649",
  "subscriber-id",
  "rfc4580",
  "docsis-cmts",
  "docsis-modem",
];

const PD_ALLOCATOR = oneOfStrings(ALLOCATOR_KINDS);

const option6 = optionData("dhcp6", UINT16_MAX);

const pdPool = map(
  {
    prefix: str(),
    "prefix-len": int(1, 128),
    "delegated-len": int(1, 128),
    "excluded-prefix": str(),
    "excluded-prefix-len": int(0, 128),
    "pool-id": uint32(),
    "option-data": list(option6, []),
    ...classKeys,
  },
  { required: ["prefix", "prefix-len", "delegated-len"] },
);

const reservation6 = map({
  duid: str(),
  "hw-address": str(),
  "flex-id": str(),
  "ip-addresses": list({ type: "string" }, []),
  prefixes: list({ type: "string" }, []),
  "excluded-prefixes": unsupported({ allowed: [] }),
  hostname: str(""),
  "option-data": list(option6, []),
  "client-classes": list({ type: "string" }, []),
});

const clientClass6 = clientClass(option6, triplet("preferred-lifetime"));

const subnet6 = map(
  {
    ...subnetIdentity,
    pools: list(addressPool(option6), []),
    "pd-pools": list(pdPool, []),
    "option-data": list(option6, []),
    reservations: list(reservation6, []),
    interface: str(),
    "interface-id": str(),
    relay: relay(),
    "rapid-commit": bool(),
    "pd-allocator": PD_ALLOCATOR,
    ...triplet("preferred-lifetime"),
    ...triplet("valid-lifetime"),
    ...timers(true, 0.8, false),
    ...reservationModeKeys,
    ...classKeys,
    ...networkExtras,
    ...ddnsKeys,
  },
  { required: ["subnet"] },
);

const serverId = map(
  {
    type: oneOfStrings(["LLT", "EN", "LL"], "LLT"),
    identifier: str(""),
    time: uint32(0),
    htype: int(0, UINT16_MAX, 0),
    "enterprise-id": uint32(0),
    persist: bool(true),
  },
  { default: {} },
);

export const dhcp6Schema: Schema = map(
  {
    ...commonGlobals,
    "data-directory": str(),
    "interfaces-config": interfacesConfig({}),
    ...triplet("preferred-lifetime", 3600),
    ...triplet("valid-lifetime", 7200),
    ...timers(true, 0.8, true),
    // Refused in semantics.ts with its reason (Kea 2.2 has it only in subnets and networks).
    "rapid-commit": bool(),
    "pd-allocator": PD_ALLOCATOR,
    "allow-address-registration": unsupported({ allowed: true }),
    "server-id": serverId,
    "mac-sources": { ...list(oneOfStrings(MAC_SOURCES), ["any"]), minItems: 1 },
    "relay-supplied-options": { ...strings, default: ["65"] },
    "option-data": list(option6, []),
    "option-def": list(optionDef("dhcp6", UINT16_MAX), []),
    "client-classes": list(clientClass6, []),
    subnet6: list(subnet6, []),
    "shared-networks": sharedNetworks(subnet6, "subnet6"),
    reservations: list(reservation6, []),
    "host-reservation-identifiers": hostIdentifiers(
      ["hw-address", "duid", "flex-id"],
      ["hw-address", "duid"],
    ),
  },
  {},
);
