/**
 * The Dhcp6 map: every key of Kea 2.2's Dhcp6 grammar (`dhcp6_parser.yy`), typed, with its range
 * and Kea's default (`simple_parser6.cc`), plus `control-sockets`, `output-options` and a global
 * `rapid-commit` of later versions. Keys Nestor does not implement are refused by name.
 */

import {
  bool,
  classKeys,
  clientClassKeys,
  ddnsKeys,
  commonGlobals,
  int,
  list,
  map,
  networkExtras,
  oneOfStrings,
  optionData,
  optionDef,
  relay,
  reservationModeKeys,
  str,
  strings,
  timers,
  triplet,
  uint32,
  unsupported,
  UINT16_MAX,
  type Schema,
} from "./schema-common.ts";

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

const PD_ALLOCATOR = unsupported({ allowed: "iterative", hint: "Nestor allocates iteratively" });

const option6 = optionData("dhcp6", UINT16_MAX);

const pool6 = map(
  { pool: str(), "pool-id": uint32(), "option-data": list(option6, []), ...classKeys },
  { required: ["pool"] },
);

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
  "flex-id": unsupported({ hint: "the flex_id hook library is not available" }),
  "ip-addresses": list({ type: "string" }, []),
  prefixes: list({ type: "string" }, []),
  "excluded-prefixes": unsupported({ allowed: [] }),
  hostname: str(""),
  "option-data": list(option6, []),
  "client-classes": list({ type: "string" }, []),
});

const clientClass6 = map(
  { ...clientClassKeys(option6), ...triplet("preferred-lifetime") },
  { required: ["name"] },
);

const subnet6 = map(
  {
    // 0 = numbered automatically (Kea 2.2); 4294967295 is Kea's "unused" id.
    id: int(0, 4294967294),
    subnet: str(),
    pools: list(pool6, []),
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

const interfacesConfig6 = map(
  {
    interfaces: list({ type: "string" }, []),
    "re-detect": bool(true),
    "service-sockets-require-all": bool(false),
    "service-sockets-retry-wait-time": uint32(5000),
    "service-sockets-max-retries": uint32(0),
  },
  { default: {} },
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
    "interfaces-config": interfacesConfig6,
    ...triplet("preferred-lifetime", 3600),
    ...triplet("valid-lifetime", 7200),
    ...timers(true, 0.8, true),
    "rapid-commit": bool(false),
    "pd-allocator": PD_ALLOCATOR,
    "allow-address-registration": unsupported({ allowed: true }),
    "server-id": serverId,
    "mac-sources": { ...list(oneOfStrings(MAC_SOURCES), ["any"]), minItems: 1 },
    "relay-supplied-options": { ...strings, default: ["65"] },
    "option-data": list(option6, []),
    "option-def": list(optionDef("dhcp6", UINT16_MAX), []),
    "client-classes": list(clientClass6, []),
    subnet6: list(subnet6, []),
    reservations: list(reservation6, []),
    "host-reservation-identifiers": {
      ...strings,
      minItems: 1,
      items: oneOfStrings(["hw-address", "duid", "flex-id"]),
      default: ["hw-address", "duid"],
    },
  },
  {},
);
