/**
 * The standard option definitions, with Kea's names, codes, types, array flags, record fields
 * and encapsulated spaces (isc-projects/kea src/lib/dhcp/std_option_defs.h). Differences:
 * the DHCPv6 IA options name "dhcp6" as their encapsulated space, which is what Kea does when
 * it parses them with its dedicated classes; option 121 is Kea's "internal" format.
 * The tables are data; definitions are built on first use.
 */
import { OptionDataError } from "./errors.ts";
import { OptionDefinition } from "./option-definition.ts";
import type { OptionDefLookup } from "./option-definition.ts";
import type { UniverseValue } from "./option.ts";

/** name, code, type, array, record types, encapsulated space */
type Row = readonly [string, number, string, boolean?, string?, string?];

export const DHCP_AGENT_OPTION_SPACE = "dhcp-agent-options-space";
export const LAST_RESORT_V4_OPTION_SPACE = "last-resort-v4";
export const ISC_V6_OPTION_SPACE = "4o6";
export const MAPE_V6_OPTION_SPACE = "s46-cont-mape-options";
export const MAPT_V6_OPTION_SPACE = "s46-cont-mapt-options";
export const LW_V6_OPTION_SPACE = "s46-cont-lw-options";
export const V4V6_RULE_OPTION_SPACE = "s46-rule-options";
export const V4V6_BIND_OPTION_SPACE = "s46-v4v6bind-options";

const A4 = "ipv4-address";
const A6 = "ipv6-address";

const V4: readonly Row[] = [
  ["subnet-mask", 1, A4],
  ["time-offset", 2, "int32"],
  ["routers", 3, A4, true],
  ["time-servers", 4, A4, true],
  ["name-servers", 5, A4, true],
  ["domain-name-servers", 6, A4, true],
  ["log-servers", 7, A4, true],
  ["cookie-servers", 8, A4, true],
  ["lpr-servers", 9, A4, true],
  ["impress-servers", 10, A4, true],
  ["resource-location-servers", 11, A4, true],
  ["host-name", 12, "string"],
  ["boot-size", 13, "uint16"],
  ["merit-dump", 14, "string"],
  ["domain-name", 15, "string"],
  ["swap-server", 16, A4],
  ["root-path", 17, "string"],
  ["extensions-path", 18, "string"],
  ["ip-forwarding", 19, "boolean"],
  ["non-local-source-routing", 20, "boolean"],
  ["policy-filter", 21, A4, true],
  ["max-dgram-reassembly", 22, "uint16"],
  ["default-ip-ttl", 23, "uint8"],
  ["path-mtu-aging-timeout", 24, "uint32"],
  ["path-mtu-plateau-table", 25, "uint16", true],
  ["interface-mtu", 26, "uint16"],
  ["all-subnets-local", 27, "boolean"],
  ["broadcast-address", 28, A4],
  ["perform-mask-discovery", 29, "boolean"],
  ["mask-supplier", 30, "boolean"],
  ["router-discovery", 31, "boolean"],
  ["router-solicitation-address", 32, A4],
  ["static-routes", 33, A4, true],
  ["trailer-encapsulation", 34, "boolean"],
  ["arp-cache-timeout", 35, "uint32"],
  ["ieee802-3-encapsulation", 36, "boolean"],
  ["default-tcp-ttl", 37, "uint8"],
  ["tcp-keepalive-interval", 38, "uint32"],
  ["tcp-keepalive-garbage", 39, "boolean"],
  ["nis-domain", 40, "string"],
  ["nis-servers", 41, A4, true],
  ["ntp-servers", 42, A4, true],
  // 43 vendor-encapsulated-options is deferred: see LAST_RESORT_V4.
  ["netbios-name-servers", 44, A4, true],
  ["netbios-dd-server", 45, A4, true],
  ["netbios-node-type", 46, "uint8"],
  ["netbios-scope", 47, "string"],
  ["font-servers", 48, A4, true],
  ["x-display-manager", 49, A4, true],
  ["dhcp-requested-address", 50, A4],
  ["dhcp-lease-time", 51, "uint32"],
  ["dhcp-option-overload", 52, "uint8"],
  ["dhcp-message-type", 53, "uint8"],
  ["dhcp-server-identifier", 54, A4],
  ["dhcp-parameter-request-list", 55, "uint8", true],
  ["dhcp-message", 56, "string"],
  ["dhcp-max-message-size", 57, "uint16"],
  ["dhcp-renewal-time", 58, "uint32"],
  ["dhcp-rebinding-time", 59, "uint32"],
  ["vendor-class-identifier", 60, "string"],
  ["dhcp-client-identifier", 61, "binary"],
  ["nwip-domain-name", 62, "string"],
  ["nwip-suboptions", 63, "binary"],
  ["nisplus-domain-name", 64, "string"],
  ["nisplus-servers", 65, A4, true],
  ["tftp-server-name", 66, "string"],
  ["boot-file-name", 67, "string"],
  ["mobile-ip-home-agent", 68, A4, true],
  ["smtp-server", 69, A4, true],
  ["pop-server", 70, A4, true],
  ["nntp-server", 71, A4, true],
  ["www-server", 72, A4, true],
  ["finger-server", 73, A4, true],
  ["irc-server", 74, A4, true],
  ["streettalk-server", 75, A4, true],
  ["streettalk-directory-assistance-server", 76, A4, true],
  ["user-class", 77, "binary"],
  ["slp-directory-agent", 78, "record", true, "boolean, ipv4-address"],
  ["slp-service-scope", 79, "record", false, "boolean, string"],
  ["fqdn", 81, "record", false, "uint8, uint8, uint8, fqdn"],
  ["dhcp-agent-options", 82, "empty", false, "", DHCP_AGENT_OPTION_SPACE],
  ["nds-servers", 85, A4, true],
  ["nds-tree-name", 86, "string"],
  ["nds-context", 87, "string"],
  ["bcms-controller-names", 88, "fqdn", true],
  ["bcms-controller-address", 89, A4, true],
  ["authenticate", 90, "binary"],
  ["client-last-transaction-time", 91, "uint32"],
  ["associated-ip", 92, A4, true],
  ["client-system", 93, "uint16", true],
  ["client-ndi", 94, "record", false, "uint8, uint8, uint8"],
  ["uuid-guid", 97, "record", false, "uint8, binary"],
  ["uap-servers", 98, "string"],
  ["geoconf-civic", 99, "binary"],
  ["pcode", 100, "string"],
  ["tcode", 101, "string"],
  ["v6-only-preferred", 108, "uint32"],
  ["netinfo-server-address", 112, A4, true],
  ["netinfo-server-tag", 113, "string"],
  ["v4-captive-portal", 114, "string"],
  ["auto-config", 116, "uint8"],
  ["name-service-search", 117, "uint16", true],
  ["subnet-selection", 118, A4],
  ["domain-search", 119, "fqdn", true],
  ["classless-static-route", 121, "internal"],
  ["vivco-suboptions", 124, "record", false, "uint32, binary"],
  ["vivso-suboptions", 125, "uint32"],
  ["pana-agent", 136, A4, true],
  ["v4-lost", 137, "fqdn"],
  ["capwap-ac-v4", 138, A4, true],
  ["sip-ua-cs-domains", 141, "fqdn", true],
  ["v4-sztp-redirect", 143, "tuple", true],
  ["rdnss-selection", 146, "record", true, "uint8, ipv4-address, ipv4-address, fqdn"],
  ["status-code", 151, "record", false, "uint8, string"],
  ["base-time", 152, "uint32"],
  ["start-time-of-state", 153, "uint32"],
  ["query-start-time", 154, "uint32"],
  ["query-end-time", 155, "uint32"],
  ["dhcp-state", 156, "uint8"],
  ["data-source", 157, "uint8"],
  ["v4-portparams", 159, "record", false, "uint8, psid"],
  ["v4-dnr", 162, "record", false, "uint16, uint16, uint8, fqdn, binary"],
  ["option-6rd", 212, "record", true, "uint8, uint8, ipv6-address, ipv4-address"],
  ["v4-access-domain", 213, "fqdn"],
];

const AGENT: readonly Row[] = [
  ["circuit-id", 1, "binary"],
  ["remote-id", 2, "binary"],
  ["docsis-device-class", 4, "uint32"],
  ["link-selection", 5, A4],
  ["subscriber-id", 6, "string"],
  ["radius", 7, "binary"],
  ["auth", 8, "binary"],
  ["vendor-specific-info", 9, "binary"],
  ["relay-flags", 10, "uint8"],
  ["server-id-override", 11, A4],
  ["relay-id", 12, "binary"],
  ["access-techno-type", 13, "uint16"],
  ["access-network-name", 14, "string"],
  ["access-point-name", 15, "string"],
  ["access-point-bssid", 16, "binary"],
  ["operator-id", 17, "uint32"],
  ["operator-realm", 18, "string"],
  ["relay-port", 19, "uint16"],
  ["virtual-subnet-select", 151, "binary"],
  ["virtual-subnet-select-ctrl", 152, "empty"],
];

const LAST_RESORT_V4: readonly Row[] = [
  ["vendor-encapsulated-options", 43, "empty", false, "", "vendor-encapsulated-options-space"],
];

const V6: readonly Row[] = [
  ["clientid", 1, "binary"],
  ["serverid", 2, "binary"],
  ["ia-na", 3, "record", false, "uint32, uint32, uint32", "dhcp6"],
  ["ia-ta", 4, "uint32", false, "", "dhcp6"],
  ["iaaddr", 5, "record", false, "ipv6-address, uint32, uint32", "dhcp6"],
  ["oro", 6, "uint16", true],
  ["preference", 7, "uint8"],
  ["elapsed-time", 8, "uint16"],
  ["relay-msg", 9, "binary"],
  ["auth", 11, "binary"],
  ["unicast", 12, A6],
  ["status-code", 13, "record", false, "uint16, string"],
  ["rapid-commit", 14, "empty"],
  ["user-class", 15, "binary"],
  ["vendor-class", 16, "record", false, "uint32, binary"],
  ["vendor-opts", 17, "uint32"],
  ["interface-id", 18, "binary"],
  ["reconf-msg", 19, "uint8"],
  ["reconf-accept", 20, "empty"],
  ["sip-server-dns", 21, "fqdn", true],
  ["sip-server-addr", 22, A6, true],
  ["dns-servers", 23, A6, true],
  ["domain-search", 24, "fqdn", true],
  ["ia-pd", 25, "record", false, "uint32, uint32, uint32", "dhcp6"],
  ["iaprefix", 26, "record", false, "uint32, uint32, uint8, ipv6-address", "dhcp6"],
  ["nis-servers", 27, A6, true],
  ["nisp-servers", 28, A6, true],
  ["nis-domain-name", 29, "fqdn", true],
  ["nisp-domain-name", 30, "fqdn", true],
  ["sntp-servers", 31, A6, true],
  ["information-refresh-time", 32, "uint32"],
  ["bcmcs-server-dns", 33, "fqdn", true],
  ["bcmcs-server-addr", 34, A6, true],
  ["geoconf-civic", 36, "record", false, "uint8, uint16, binary"],
  ["remote-id", 37, "record", false, "uint32, binary"],
  ["subscriber-id", 38, "binary"],
  ["client-fqdn", 39, "record", false, "uint8, fqdn"],
  ["pana-agent", 40, A6, true],
  ["new-posix-timezone", 41, "string"],
  ["new-tzdb-timezone", 42, "string"],
  ["ero", 43, "uint16", true],
  ["lq-query", 44, "record", false, "uint8, ipv6-address", "dhcp6"],
  ["client-data", 45, "empty", false, "", "dhcp6"],
  ["clt-time", 46, "uint32"],
  ["lq-relay-data", 47, "record", false, "ipv6-address, binary"],
  ["lq-client-link", 48, A6, true],
  ["v6-lost", 51, "fqdn"],
  ["capwap-ac-v6", 52, A6, true],
  ["relay-id", 53, "binary"],
  ["v6-access-domain", 57, "fqdn"],
  ["sip-ua-cs-list", 58, "fqdn", true],
  ["bootfile-url", 59, "string"],
  ["bootfile-param", 60, "tuple", true],
  ["client-arch-type", 61, "uint16", true],
  ["nii", 62, "record", false, "uint8, uint8, uint8"],
  ["aftr-name", 64, "fqdn"],
  ["erp-local-domain-name", 65, "fqdn"],
  ["rsoo", 66, "empty", false, "", "rsoo-opts"],
  ["pd-exclude", 67, "ipv6-prefix"],
  ["rdnss-selection", 74, "record", true, "ipv6-address, uint8, fqdn"],
  ["client-linklayer-addr", 79, "binary"],
  ["link-address", 80, A6],
  ["solmax-rt", 82, "uint32"],
  ["inf-max-rt", 83, "uint32"],
  ["dhcpv4-message", 87, "binary"],
  ["dhcp4o6-server-addr", 88, A6, true],
  ["v6-captive-portal", 103, "string"],
  ["relay-source-port", 135, "uint16"],
  ["v6-sztp-redirect", 136, "tuple", true],
  ["ipv6-address-andsf", 143, A6, true],
  ["s46-cont-mape", 94, "empty", false, "", MAPE_V6_OPTION_SPACE],
  ["s46-cont-mapt", 95, "empty", false, "", MAPT_V6_OPTION_SPACE],
  ["s46-cont-lw", 96, "empty", false, "", LW_V6_OPTION_SPACE],
  ["v6-dnr", 144, "record", false, "uint16, uint16, fqdn, binary"],
];

/** CableLabs (enterprise 4491) vendor options, DOCSIS 3 (Kea's docsis3_option_defs.h). */
export const VENDOR_ID_CABLE_LABS = 4491;
/** Kea's standard spaces holding the DOCSIS 3 definitions (besides "vendor-4491"). */
export const DOCSIS3_V4_OPTION_SPACE = "docsis3-v4";
export const DOCSIS3_V6_OPTION_SPACE = "docsis3-v6";
const DOCSIS3_V4: readonly Row[] = [
  ["oro", 1, "uint8", true],
  ["tftp-servers", 2, A4, true],
];
const DOCSIS3_V6: readonly Row[] = [
  ["oro", 1, "uint16", true],
  ["device-type", 2, "string"],
  ["vendor-type", 10, "string"],
  ["tftp-servers", 32, A6, true],
  ["config-file", 33, "string"],
  ["syslog-servers", 34, A6, true],
  ["device-id", 36, "binary"],
  ["time-servers", 37, A6, true],
  ["time-offset", 38, "int32"],
  ["cmts-cm-mac", 1026, "binary"],
];

const S46_RULE = "uint8, uint8, uint8, ipv4-address, ipv6-prefix";

const V6_SUBSPACES: readonly (readonly [string, readonly Row[]])[] = [
  [
    ISC_V6_OPTION_SPACE,
    [
      ["4o6-interface", 60000, "string"],
      ["4o6-source-address", 60001, A6],
      ["4o6-source-port", 60002, "uint16"],
    ],
  ],
  [
    MAPE_V6_OPTION_SPACE,
    [
      ["s46-br", 90, A6],
      ["s46-rule", 89, "record", false, S46_RULE, V4V6_RULE_OPTION_SPACE],
    ],
  ],
  [
    MAPT_V6_OPTION_SPACE,
    [
      ["s46-rule", 89, "record", false, S46_RULE, V4V6_RULE_OPTION_SPACE],
      ["s46-dmr", 91, "ipv6-prefix"],
    ],
  ],
  [
    LW_V6_OPTION_SPACE,
    [
      ["s46-br", 90, A6],
      ["s46-v4v6bind", 92, "record", false, "ipv4-address, ipv6-prefix", V4V6_BIND_OPTION_SPACE],
    ],
  ],
  [V4V6_RULE_OPTION_SPACE, [["s46-portparams", 93, "record", false, "uint8, psid"]]],
  [V4V6_BIND_OPTION_SPACE, [["s46-portparams", 93, "record", false, "uint8, psid"]]],
];

function build(space: string, universe: UniverseValue, row: Row): OptionDefinition {
  const [name, code, type, array, recordTypes, encapsulate] = row;
  return new OptionDefinition({
    name,
    code,
    type,
    space,
    universe,
    array: array ?? false,
    recordTypes: recordTypes ?? "",
    encapsulate: encapsulate ?? "",
  });
}

/**
 * A set of option definitions by universe, space, code and name, optionally layered over a
 * parent (custom definitions from option-def over the standard ones). The parent wins for a
 * code or name it knows, as Kea looks up standard definitions first.
 */
export class OptionDefinitions implements OptionDefLookup {
  // One table per universe: a vendor space such as "vendor-4491" exists in both.
  private readonly byCode: readonly [
    Map<string, Map<number, OptionDefinition>>,
    Map<string, Map<number, OptionDefinition>>,
  ];
  private readonly byName: readonly [
    Map<string, Map<string, OptionDefinition>>,
    Map<string, Map<string, OptionDefinition>>,
  ];
  private readonly parent: OptionDefLookup | undefined;

  constructor(parent?: OptionDefLookup) {
    this.parent = parent;
    this.byCode = [new Map(), new Map()];
    this.byName = [new Map(), new Map()];
  }

  /** Adds a definition; refuses a second one for the same space and code or name. */
  add(def: OptionDefinition): void {
    const label = def.name;
    const u = def.universe;
    if (this.parent?.get(def.space, def.code, u) !== undefined) {
      throw new OptionDataError(
        label,
        `code ${def.code} in space '${def.space}' is a standard option`,
      );
    }
    if (this.parent?.getByName(def.space, def.name, u) !== undefined) {
      throw new OptionDataError(
        label,
        `name '${def.name}' in space '${def.space}' is a standard option`,
      );
    }
    const i = u === 4 ? 0 : 1;
    let codes = this.byCode[i].get(def.space);
    let names = this.byName[i].get(def.space);
    if (codes === undefined || names === undefined) {
      codes = new Map();
      names = new Map();
      this.byCode[i].set(def.space, codes);
      this.byName[i].set(def.space, names);
    }
    if (codes.has(def.code)) {
      throw new OptionDataError(
        label,
        `code ${def.code} is already defined in space '${def.space}'`,
      );
    }
    if (names.has(def.name)) {
      throw new OptionDataError(label, `name is already defined in space '${def.space}'`);
    }
    codes.set(def.code, def);
    names.set(def.name, def);
  }

  get(space: string, code: number, universe?: UniverseValue): OptionDefinition | undefined {
    if (this.parent !== undefined) {
      const p = this.parent.get(space, code, universe);
      if (p !== undefined) return p;
    }
    const u = universe ?? universeOf(space);
    if (u === 4) return this.byCode[0].get(space)?.get(code);
    if (u === 6) return this.byCode[1].get(space)?.get(code);
    return this.byCode[0].get(space)?.get(code) ?? this.byCode[1].get(space)?.get(code);
  }

  getByName(space: string, name: string, universe?: UniverseValue): OptionDefinition | undefined {
    if (this.parent !== undefined) {
      const p = this.parent.getByName(space, name, universe);
      if (p !== undefined) return p;
    }
    const u = universe ?? universeOf(space);
    if (u === 4) return this.byName[0].get(space)?.get(name);
    if (u === 6) return this.byName[1].get(space)?.get(name);
    return this.byName[0].get(space)?.get(name) ?? this.byName[1].get(space)?.get(name);
  }

  /** The definitions added to this set (not the parent's) for one space, by code. */
  getAll(space: string, universe?: UniverseValue): OptionDefinition[] {
    const out: OptionDefinition[] = [];
    if (universe !== 6) out.push(...(this.byCode[0].get(space)?.values() ?? []));
    if (universe !== 4) out.push(...(this.byCode[1].get(space)?.values() ?? []));
    return out.sort((a, b) => a.code - b.code);
  }

  /** The spaces this set (not the parent) has definitions for. */
  spaces(): string[] {
    return [...new Set([...this.byCode[0].keys(), ...this.byCode[1].keys()])];
  }
}

function universeOf(space: string): UniverseValue | 0 {
  return space === "dhcp4" ? 4 : space === "dhcp6" ? 6 : 0;
}

let std: OptionDefinitions | null = null;
let lastResort: OptionDefinitions | null = null;

/** The standard definitions of every space, built once on first use and never changed. */
export function getStdOptionDefs(): OptionDefinitions {
  if (std === null) {
    const s = new OptionDefinitions();
    for (const r of V4) s.add(build("dhcp4", 4, r));
    for (const r of AGENT) s.add(build(DHCP_AGENT_OPTION_SPACE, 4, r));
    for (const r of V6) s.add(build("dhcp6", 6, r));
    for (const [space, rows] of V6_SUBSPACES) for (const r of rows) s.add(build(space, 6, r));
    const docsis = `vendor-${VENDOR_ID_CABLE_LABS}`;
    for (const r of DOCSIS3_V4) s.add(build(docsis, 4, r));
    for (const r of DOCSIS3_V6) s.add(build(docsis, 6, r));
    // Kea's standard spaces of the same definitions, which option-data may name.
    for (const r of DOCSIS3_V4) s.add(build(DOCSIS3_V4_OPTION_SPACE, 4, r));
    for (const r of DOCSIS3_V6) s.add(build(DOCSIS3_V6_OPTION_SPACE, 6, r));
    std = s;
  }
  return std;
}

/**
 * Definitions applied only when nothing else defines the code: v4 option 43 (Kea's
 * "last-resort-v4" space). Packets keep option 43 as bytes, because its layout depends on the
 * vendor; configuration can still name it "vendor-encapsulated-options".
 */
export function getLastResortOptionDefs(): OptionDefinitions {
  if (lastResort === null) {
    const s = new OptionDefinitions();
    for (const r of LAST_RESORT_V4) s.add(build("dhcp4", 4, r));
    lastResort = s;
  }
  return lastResort;
}

/** The standard option spaces, each with its universe. */
export function getStdOptionSpaces(): ReadonlyMap<string, UniverseValue> {
  // "vendor-4491" exists in both universes and is not listed.
  const m = new Map<string, UniverseValue>([
    ["dhcp4", 4],
    [DHCP_AGENT_OPTION_SPACE, 4],
    ["dhcp6", 6],
    [DOCSIS3_V4_OPTION_SPACE, 4],
    [DOCSIS3_V6_OPTION_SPACE, 6],
  ]);
  for (const [space] of V6_SUBSPACES) m.set(space, 6);
  return m;
}
