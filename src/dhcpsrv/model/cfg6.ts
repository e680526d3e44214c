/**
 * The DHCPv6 runtime model built from a validated configuration (src/dhcpsrv/config): subnets,
 * address pools and prefix delegation pools as numbers, option-data turned into options once,
 * reservations indexed. As for v4 (cfg4.ts), an error here is a ConfigError with the key path,
 * and the running model stays.
 */
import { canonicalIPv6, decodeFormattedHex } from "../../dhcp/ioaddress.ts";
import { getStdOptionDefs } from "../../dhcp/std-option-defs.ts";
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import { ConfigError } from "../../util/errors.ts";
import {
  type At,
  buildOptionDefs,
  clientNameParams,
  inherited,
  convertOptions,
  keyPath,
  requiredOf,
  usesClasses,
} from "./cfg.ts";
import { CfgOption } from "./cfg-option.ts";
import { buildClientClasses } from "../classify/build.ts";
import { guardOf, type ClientClasses } from "../classify/client-classes.ts";
import type { ConfigSource } from "../config/source.ts";
import type {
  Dhcp6Config,
  OptionData,
  Reservation6,
  Subnet6 as Subnet6Config,
} from "../config/types.ts";
import { HWAddrSource } from "../leases/lease6.ts";
import { IdentifierType, reservationModes, type HostSource } from "./host.ts";
import { Host6, HostStore6, type ReservedPrefix } from "./host6.ts";
import { PdPool6, Pool6, Subnet6, ipv6ToBig } from "./subnet6.ts";
import { FLQ_MAX_CAPACITY, allocatorKind, leaseCaching } from "./allocation.ts";
import { SharedNetwork } from "./shared-network.ts";
import { subnetEntries } from "../config/shared-networks.ts";
import type { ClientNameParams } from "../processing/client-name.ts";

/** Option 65 (RFC 6440), relay-supplied in every configuration (Kea's CfgRSOO). */
const ERP_LOCAL_DOMAIN_NAME = 65;

export interface Dhcp6Model {
  /** Every subnet, the shared networks' ones included, by increasing subnet id (as Kea's). */
  subnets: Subnet6[];
  /** The shared networks, in configuration order. */
  networks: SharedNetwork<Subnet6>[];
  subnetsById: Map<number, Subnet6>;
  hosts: HostStore6;
  /** The hosts database, asked once per query after the configuration's reservations; or null. */
  hostSource: HostSource<HostStore6> | null;
  hasGlobalHosts: boolean;
  globalOptions: CfgOption;
  optionDefs: OptionDefLookup;
  declineProbationPeriod: number;
  hostReservationIdentifiers: IdentifierType[];
  reservationsGlobal: boolean;
  reservationsInSubnet: boolean;
  /** Global reservations looked up before the subnet is selected (their classes guard it). */
  earlyGlobalReservationsLookup: boolean;
  /** Reservations checked before leases when an address is tried (same answers). */
  reservationsLookupFirst: boolean;
  /** Interfaces configured with a unicast address ("eth0/2001:db8::1"): name -> address. */
  unicast: Map<string, string>;
  /** The client classes; null when the configuration neither defines nor uses any. */
  classes: ClientClasses | null;
  /**
   * Codes of the relay-supplied options (RFC 6422) a response takes from a relay's RSOO:
   * `relay-supplied-options` (codes or standard names), and 65 (ERP local domain name) always.
   */
  rsoo: ReadonlySet<number>;
  /** `mac-sources` as HWAddrSource bits, in order ("any" is every source). */
  macSources: readonly number[];
  config: Dhcp6Config;
}

export function buildDhcp6Model(
  config: Dhcp6Config,
  file?: string,
  source?: ConfigSource,
): Dhcp6Model {
  const at: At = (path, reason) =>
    source !== undefined
      ? source.error(reason, keyPath(`Dhcp6.${path}`))
      : new ConfigError(reason, `Dhcp6.${path}`, file);
  const defs = buildOptionDefs(config, at, 6);
  const options = (list: OptionData[], path: string): CfgOption =>
    list.length === 0
      ? CfgOption.EMPTY6
      : new CfgOption(convertOptions(list, path, defs, at, 6), "dhcp6");
  const hosts = new HostStore6();
  const subnets: Subnet6[] = [];
  const subnetsById = new Map<number, Subnet6>();
  const names = clientNameParams(config, undefined, "", at);
  const networks = (config["shared-networks"] ?? []).map(
    (n, i) =>
      new SharedNetwork<Subnet6>(
        n.name,
        options(n["option-data"] ?? [], `shared-networks[${i}]`),
        guardOf(n),
        requiredOf(n),
      ),
  );
  const entries = subnetEntries(config, "subnet6", config.subnet6);
  for (const { subnet: s, path, networkIndex } of entries) {
    const subnet = buildSubnet(config, s, path, options, at, names);
    s.reservations.forEach((r, j) => {
      hosts.add(buildHost(r, s.id, `${path}.reservations[${j}]`, options, at));
    });
    subnet.guardKey = JSON.stringify([s["client-class"], s["client-classes"]]);
    const network = networks[networkIndex];
    if (network !== undefined) {
      subnet.network = network;
      network.add(subnet);
    }
    subnets.push(subnet);
    subnetsById.set(subnet.id, subnet);
  }
  // Kea 2.2 keeps its subnets ordered by id: selection looks at them, and subnet6_select's
  // collection lists them, by increasing id, whatever the configuration's order.
  subnets.sort((a, b) => a.id - b.id);
  config.reservations.forEach((r, j) => {
    hosts.add(buildHost(r, 0, `reservations[${j}]`, options, at));
  });
  const unicast = new Map<string, string>();
  for (const spec of config["interfaces-config"].interfaces) {
    const slash = spec.indexOf("/");
    if (slash > 0) unicast.set(spec.slice(0, slash), canonicalIPv6(spec.slice(slash + 1)));
  }
  const classes = buildClientClasses(config["client-classes"], {
    universe: 6,
    defs,
    options,
    at,
    needed: usesClasses(
      [
        ...entries.map((e) => e.subnet),
        ...(config["shared-networks"] ?? []).map((n) => ({ ...n, pools: [], reservations: [] })),
      ],
      config.reservations,
    ),
  });
  const rsoo = new Set<number>([ERP_LOCAL_DOMAIN_NAME]);
  config["relay-supplied-options"].forEach((name, i) => {
    const code = /^\d+$/.test(name)
      ? Number(name)
      : getStdOptionDefs().getByName("dhcp6", name, 6)?.code;
    if (code === undefined || code <= 0 || code > 65535) {
      throw at(
        `relay-supplied-options[${i}]`,
        `unable to find option code for the specified option name '${name}'`,
      );
    }
    rsoo.add(code);
  });
  return {
    subnets,
    networks,
    subnetsById,
    hosts,
    hostSource: null,
    hasGlobalHosts: config.reservations.length > 0,
    globalOptions: options(config["option-data"], ""),
    optionDefs: defs,
    declineProbationPeriod: config["decline-probation-period"],
    hostReservationIdentifiers: config["host-reservation-identifiers"] as IdentifierType[],
    reservationsGlobal: config["reservations-global"],
    reservationsInSubnet: config["reservations-in-subnet"],
    earlyGlobalReservationsLookup: config["early-global-reservations-lookup"],
    reservationsLookupFirst: config["reservations-lookup-first"],
    unicast,
    classes,
    rsoo,
    macSources: config["mac-sources"].map(macSource),
    config,
  };
}

function buildSubnet(
  config: Dhcp6Config,
  s: Subnet6Config,
  path: string,
  options: (list: OptionData[], path: string) => CfgOption,
  at: At,
  globalNames: ClientNameParams,
): Subnet6 {
  const [prefixText, lenText] = s.subnet.split("/");
  const prefix = ipv6ToBig(prefixText?.trim() ?? "");
  const prefixLen = Number(lenText);
  if (prefix < 0n || !Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 128) {
    throw at(`${path}.subnet`, `'${s.subnet}' is not an IPv6 prefix`);
  }
  const pools = s.pools.map((p, j) => {
    const [start, end] = parsePool6(p.pool);
    if (start < 0n) throw at(`${path}.pools[${j}].pool`, `'${p.pool}' is not a pool`);
    return new Pool6(
      start,
      end,
      j,
      options(p["option-data"], `${path}.pools[${j}]`),
      guardOf(p),
      requiredOf(p),
      p["pool-id"] ?? 0,
    );
  });
  const pdPools = s["pd-pools"].map((p, j) => {
    const at6 = ipv6ToBig(p.prefix);
    const ok =
      at6 >= 0n &&
      p["prefix-len"] <= p["delegated-len"] &&
      p["delegated-len"] <= 128 &&
      p["delegated-len"] - p["prefix-len"] <= 64;
    if (!ok)
      throw at(`${path}.pd-pools[${j}]`, `'${p.prefix}/${p["prefix-len"]}' is not a pd-pool`);
    return new PdPool6(
      at6,
      p["prefix-len"],
      p["delegated-len"],
      j,
      options(p["option-data"], `${path}.pd-pools[${j}]`),
      guardOf(p),
      requiredOf(p),
      p["excluded-prefix"] === undefined || (p["excluded-prefix-len"] ?? 0) === 0
        ? null
        : { prefix: ipv6ToBig(p["excluded-prefix"]), len: p["excluded-prefix-len"]! },
      p["pool-id"] ?? 0,
    );
  });
  const valid = s["valid-lifetime"] ?? config["valid-lifetime"];
  const preferred = s["preferred-lifetime"] ?? config["preferred-lifetime"];
  const interfaceId = s["interface-id"];
  const subnet = new Subnet6({
    id: s.id,
    prefix,
    prefixLen,
    pools,
    pdPools,
    options: options(s["option-data"], path),
    interface: s.interface ?? "",
    interfaceId: interfaceId === undefined ? null : Buffer.from(interfaceId),
    relayAddresses: (s.relay?.["ip-addresses"] ?? []).map((a) => canonicalIPv6(a)),
    validLifetime: {
      default: valid,
      min: s["min-valid-lifetime"] ?? config["min-valid-lifetime"] ?? valid,
      max: s["max-valid-lifetime"] ?? config["max-valid-lifetime"] ?? valid,
    },
    preferredLifetime: {
      default: preferred,
      min: s["min-preferred-lifetime"] ?? config["min-preferred-lifetime"] ?? preferred,
      max: s["max-preferred-lifetime"] ?? config["max-preferred-lifetime"] ?? preferred,
    },
    renewTimer: s["renew-timer"] ?? config["renew-timer"],
    rebindTimer: s["rebind-timer"] ?? config["rebind-timer"],
    calculateTeeTimes: s["calculate-tee-times"] ?? config["calculate-tee-times"],
    t1Percent: s["t1-percent"] ?? config["t1-percent"],
    t2Percent: s["t2-percent"] ?? config["t2-percent"],
    rapidCommit: s["rapid-commit"] ?? false,
    guard: guardOf(s),
    requiredClasses: requiredOf(s),
    clientNames: clientNameParams(s, { config, params: globalNames }, path, at),
    // No shared networks yet: the network level is undefined.
    allocator: allocatorKind("allocator", s, undefined, config),
    pdAllocator: allocatorKind("pd-allocator", s, undefined, config),
    caching: leaseCaching(s, undefined, config),
    storeExtendedInfo: inherited("store-extended-info", s, config) ?? false,
    adaptiveThreshold: inherited("adaptive-lease-time-threshold", s, config) ?? 0,
    reservations: reservationModes(s, config),
  });
  for (const pool of pools) {
    if (!subnet.inRange(pool.start) || !subnet.inRange(pool.end)) {
      throw at(`${path}.pools`, `pool ${pool.toText()} is not inside subnet ${subnet.toText()}`);
    }
  }
  // The free lease queue holds every free address of its pools: refused for pools too large.
  const flqPools: { list: readonly (Pool6 | PdPool6)[]; key: string; kind: string }[] = [
    { list: pools, key: "pools", kind: subnet.allocator },
    { list: pdPools, key: "pd-pools", kind: subnet.pdAllocator },
  ];
  for (const { list, key, kind } of flqPools) {
    if (kind !== "flq") continue;
    list.forEach((pool, j) => {
      if (pool.capacity > FLQ_MAX_CAPACITY) {
        throw at(
          `${path}.${key}[${j}]`,
          `pool ${pool.toText()} holds ${pool.capacity} leases: the flq allocator takes pools of at most ${FLQ_MAX_CAPACITY}`,
        );
      }
    });
  }
  return subnet;
}

/** "a - b" or "prefix/len" -> [start, end]; [-1n, -1n] when neither. */
export function parsePool6(text: string): [bigint, bigint] {
  const dash = text.indexOf("-");
  if (dash >= 0) {
    const start = ipv6ToBig(text.slice(0, dash).trim());
    const end = ipv6ToBig(text.slice(dash + 1).trim());
    return start < 0n || end < 0n || start > end ? [-1n, -1n] : [start, end];
  }
  const [p, l] = text.split("/");
  const prefix = ipv6ToBig(p?.trim() ?? "");
  const len = Number(l);
  if (prefix < 0n || !Number.isInteger(len) || len < 0 || len > 128) return [-1n, -1n];
  const host = (1n << BigInt(128 - len)) - 1n;
  const start = prefix & ~host;
  return [start, start | host];
}

const IDENTIFIERS = ["duid", "hw-address", "flex-id"] as const;

function buildHost(
  r: Reservation6,
  subnetId: number,
  path: string,
  options: (list: OptionData[], path: string) => CfgOption,
  at: At,
): Host6 {
  const key = IDENTIFIERS.find((k) => r[k] !== undefined);
  if (key === undefined) throw at(path, "a reservation needs one identifier");
  const text = r[key]!;
  // A flex-id is hexadecimal or, between single quotes, text (Kea's Host identifier rules).
  const identifier =
    key === "flex-id" && text.startsWith("'")
      ? Buffer.from(text.slice(1, -1))
      : decodeFormattedHex(text);
  if (identifier === null || identifier.length === 0) {
    throw at(`${path}.${key}`, `'${text}' is not a valid identifier`);
  }
  const prefixes: ReservedPrefix[] = r.prefixes.map((p, i) => {
    const [a, l] = p.split("/");
    const len = Number(l);
    if (ipv6ToBig(a ?? "") < 0n || !Number.isInteger(len) || len < 1 || len > 128) {
      throw at(`${path}.prefixes[${i}]`, `'${p}' is not an IPv6 prefix`);
    }
    return { address: canonicalIPv6(a!), length: len };
  });
  return new Host6({
    identifierType: key,
    identifier,
    subnetId,
    addresses: r["ip-addresses"].map((a) => canonicalIPv6(a)),
    prefixes,
    hostname: r.hostname,
    options: options(r["option-data"], path),
    classes: r["client-classes"],
  });
}

/** Kea's mac-sources names and their HWAddrSource bits. */
const MAC_SOURCE_BITS: Readonly<Record<string, number>> = {
  any: 0xffff,
  raw: HWAddrSource.RAW,
  duid: HWAddrSource.DUID,
  "ipv6-link-local": HWAddrSource.IPV6_LINK_LOCAL,
  "client-link-addr-option": HWAddrSource.CLIENT_ADDR_RELAY_OPTION,
  rfc6939: HWAddrSource.CLIENT_ADDR_RELAY_OPTION,
  "remote-id": HWAddrSource.REMOTE_ID,
  rfc4649: HWAddrSource.REMOTE_ID,
  "subscriber-id": HWAddrSource.SUBSCRIBER_ID,
  rfc4580: HWAddrSource.SUBSCRIBER_ID,
  "docsis-cmts": HWAddrSource.DOCSIS_CMTS,
  "docsis-modem": HWAddrSource.DOCSIS_MODEM,
};

function macSource(name: string): number {
  return MAC_SOURCE_BITS[name] ?? 0;
}
