/**
 * The DHCPv4 runtime model built from a validated configuration (src/dhcpsrv/config): subnets
 * and pools as numbers, option-data turned into options once, reservations indexed. Building it
 * is the last step of a configuration check: an error here (an option that does not convert, an
 * overlapping pool) is a ConfigError with the key path, and the running model stays.
 */
import { ipv4FromString, tryParseIPv4, decodeFormattedHex } from "../../dhcp/ioaddress.ts";
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import { ConfigError } from "../../util/errors.ts";
import { CfgOption } from "./cfg-option.ts";
import { Cfg4o6 } from "./cfg4o6.ts";
import {
  type At,
  buildOptionDefs,
  clientNameParams,
  convertOptions,
  inherited,
  keyPath,
  requiredOf,
  usesClasses,
} from "./cfg.ts";
import { buildClientClasses } from "../classify/build.ts";
import { guardOf, type ClientClasses } from "../classify/client-classes.ts";
import type { Dhcp4Config, OptionData, Reservation4 } from "../config/types.ts";
import type { ConfigSource } from "../config/source.ts";
import type { HostSource } from "./host.ts";
import { Host4, HostStore4, IdentifierType } from "./host4.ts";
import { reservationModes } from "./host.ts";
import { Pool4, Subnet4 } from "./subnet4.ts";
import { FLQ_MAX_CAPACITY, allocatorKind, leaseCaching } from "./allocation.ts";
import { SharedNetwork } from "./shared-network.ts";
import { subnetEntries } from "../config/shared-networks.ts";

export interface Dhcp4Model {
  /** Every subnet, the shared networks' ones included, by increasing subnet id (as Kea's). */
  subnets: Subnet4[];
  /** The shared networks, in configuration order. */
  networks: SharedNetwork<Subnet4>[];
  subnetsById: Map<number, Subnet4>;
  hosts: HostStore4;
  /**
   * The hosts database (`hosts-database`, `hosts-databases`), asked once per query after the
   * configuration's reservations; null without one (the lookup then never waits).
   */
  hostSource: HostSource<HostStore4> | null;
  /** True when the global `reservations` list is not empty. */
  hasGlobalHosts: boolean;
  globalOptions: CfgOption;
  optionDefs: OptionDefLookup;
  echoClientId: boolean;
  declineProbationPeriod: number;
  hostReservationIdentifiers: IdentifierType[];
  reservationsGlobal: boolean;
  reservationsInSubnet: boolean;
  /** Global reservations looked up before the subnet is selected (their classes guard it). */
  earlyGlobalReservationsLookup: boolean;
  /** Reservations checked before leases when an address is tried (same answers). */
  reservationsLookupFirst: boolean;
  /** The client classes; null when the configuration neither defines nor uses any. */
  classes: ClientClasses | null;
  config: Dhcp4Config;
}

/**
 * Builds the model; `source` (from loadConfigFile) lets a refusal cite the file position of the
 * value, as the validator's own errors do.
 */
export function buildDhcp4Model(
  config: Dhcp4Config,
  file?: string,
  source?: ConfigSource,
): Dhcp4Model {
  const at = (path: string, reason: string): ConfigError =>
    source !== undefined
      ? source.error(reason, keyPath(`Dhcp4.${path}`))
      : new ConfigError(reason, `Dhcp4.${path}`, file);
  const defs = buildOptionDefs(config, at);
  const options = (list: OptionData[], path: string, own = defs): CfgOption =>
    list.length === 0
      ? CfgOption.EMPTY4
      : new CfgOption(convertOptions(list, path, own, at), "dhcp4");
  const globalNames = clientNameParams(config, undefined, "", at);
  const hosts = new HostStore4();
  const subnets: Subnet4[] = [];
  const subnetsById = new Map<number, Subnet4>();
  const networks = (config["shared-networks"] ?? []).map(
    (n, i) =>
      new SharedNetwork<Subnet4>(
        n.name,
        options(n["option-data"] ?? [], `shared-networks[${i}]`),
        guardOf(n),
        requiredOf(n),
      ),
  );
  const entries = subnetEntries(config, "subnet4", config.subnet4);
  for (const { subnet: s, path, networkIndex } of entries) {
    const [prefixText, lenText] = s.subnet.split("/");
    const prefix = tryParseIPv4(prefixText?.trim() ?? "");
    const prefixLen = Number(lenText);
    if (prefix < 0 || !Number.isInteger(prefixLen) || prefixLen < 0 || prefixLen > 32) {
      throw at(`${path}.subnet`, `'${s.subnet}' is not an IPv4 prefix`);
    }
    const pools = s.pools.map((p, j) => {
      const [start, end] = parsePool(p.pool);
      if (start < 0) throw at(`${path}.pools[${j}].pool`, `'${p.pool}' is not a pool`);
      return new Pool4(
        start,
        end,
        j,
        options(p["option-data"], `${path}.pools[${j}]`),
        guardOf(p),
        requiredOf(p),
        p["pool-id"] ?? 0,
      );
    });
    const valid = s["valid-lifetime"] ?? config["valid-lifetime"];
    const subnet = new Subnet4({
      id: s.id,
      prefix,
      prefixLen,
      pools,
      options: options(s["option-data"], path),
      interface: s.interface ?? "",
      relayAddresses: (s.relay?.["ip-addresses"] ?? []).map((a) => ipv4FromString(a)),
      validLifetime: {
        default: valid,
        min: s["min-valid-lifetime"] ?? config["min-valid-lifetime"] ?? valid,
        max: s["max-valid-lifetime"] ?? config["max-valid-lifetime"] ?? valid,
      },
      renewTimer: s["renew-timer"] ?? config["renew-timer"],
      rebindTimer: s["rebind-timer"] ?? config["rebind-timer"],
      calculateTeeTimes: s["calculate-tee-times"] ?? config["calculate-tee-times"],
      t1Percent: s["t1-percent"] ?? config["t1-percent"],
      t2Percent: s["t2-percent"] ?? config["t2-percent"],
      matchClientId: s["match-client-id"] ?? config["match-client-id"],
      authoritative: s.authoritative ?? config.authoritative,
      nextServer: ipv4FromString(s["next-server"] ?? config["next-server"]),
      serverHostname: s["server-hostname"] ?? config["server-hostname"],
      bootFileName: s["boot-file-name"] ?? config["boot-file-name"],
      guard: guardOf(s),
      requiredClasses: requiredOf(s),
      clientNames: clientNameParams(s, { config, params: globalNames }, path, at),
      // No shared networks yet: the network level is undefined.
      allocator: allocatorKind("allocator", s, undefined, config),
      caching: leaseCaching(s, undefined, config),
      storeExtendedInfo: inherited("store-extended-info", s, config) ?? false,
      adaptiveThreshold: inherited("adaptive-lease-time-threshold", s, config) ?? 0,
      offerLifetime: inherited("offer-lifetime", s, config) ?? 0,
      reservations: reservationModes(s, config),
      dhcp4o6: Cfg4o6.fromConfig(s, path, at),
    });
    for (const pool of pools) {
      if (!subnet.inRange(pool.start) || !subnet.inRange(pool.end)) {
        throw at(`${path}.pools`, `pool ${pool.toText()} is not inside subnet ${subnet.toText()}`);
      }
    }
    // The free lease queue holds every free address of its pools: refused for pools too large.
    if (subnet.allocator === "flq") {
      pools.forEach((pool, j) => {
        if (pool.capacity > FLQ_MAX_CAPACITY) {
          throw at(
            `${path}.pools[${j}]`,
            `pool ${pool.toText()} holds ${pool.capacity} addresses: the flq allocator takes pools of at most ${FLQ_MAX_CAPACITY}`,
          );
        }
      });
    }
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
  // Kea 2.2 keeps its subnets ordered by id: selection looks at them, and subnet4_select's
  // collection lists them, by increasing id, whatever the configuration's order.
  subnets.sort((a, b) => a.id - b.id);
  config.reservations.forEach((r, j) => {
    hosts.add(buildHost(r, 0, `reservations[${j}]`, options, at));
  });
  const classes = buildClientClasses(config["client-classes"], {
    universe: 4,
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
  return {
    subnets,
    networks,
    subnetsById,
    hosts,
    hostSource: null,
    hasGlobalHosts: config.reservations.length > 0,
    globalOptions: options(config["option-data"], ""),
    optionDefs: defs,
    echoClientId: config["echo-client-id"],
    declineProbationPeriod: config["decline-probation-period"],
    hostReservationIdentifiers: config["host-reservation-identifiers"] as IdentifierType[],
    reservationsGlobal: config["reservations-global"],
    reservationsInSubnet: config["reservations-in-subnet"],
    earlyGlobalReservationsLookup: config["early-global-reservations-lookup"],
    reservationsLookupFirst: config["reservations-lookup-first"],
    classes,
    config,
  };
}

/** "a.b.c.d - e.f.g.h" or "a.b.c.d/len" -> [start, end]; [-1, -1] when neither. */
export function parsePool(text: string): [number, number] {
  const dash = text.indexOf("-");
  if (dash >= 0) {
    const start = tryParseIPv4(text.slice(0, dash).trim());
    const end = tryParseIPv4(text.slice(dash + 1).trim());
    return start < 0 || end < 0 || start > end ? [-1, -1] : [start, end];
  }
  const [p, l] = text.split("/");
  const prefix = tryParseIPv4(p?.trim() ?? "");
  const len = Number(l);
  if (prefix < 0 || !Number.isInteger(len) || len < 0 || len > 32) return [-1, -1];
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  const start = (prefix & mask) >>> 0;
  return [start, (start | (~mask >>> 0)) >>> 0];
}

const IDENTIFIERS = ["hw-address", "client-id", "duid", "circuit-id", "flex-id"] as const;

function buildHost(
  r: Reservation4,
  subnetId: number,
  path: string,
  options: (list: OptionData[], path: string) => CfgOption,
  at: At,
): Host4 {
  const key = IDENTIFIERS.find((k) => r[k] !== undefined);
  if (key === undefined) throw at(path, "a reservation needs one identifier");
  const text = r[key]!;
  const identifier =
    (key === "circuit-id" || key === "flex-id") && text.startsWith("'")
      ? Buffer.from(text.slice(1, -1))
      : decodeFormattedHex(text);
  if (identifier === null || identifier.length === 0) {
    throw at(`${path}.${key}`, `'${text}' is not a valid identifier`);
  }
  const ip = r["ip-address"];
  return new Host4({
    identifierType: key,
    identifier,
    subnetId,
    ipv4: ip === undefined ? 0 : ipv4FromString(ip),
    hostname: r.hostname,
    nextServer: r["next-server"] === undefined ? 0 : ipv4FromString(r["next-server"]),
    serverHostname: r["server-hostname"] ?? "",
    bootFileName: r["boot-file-name"] ?? "",
    options: options(r["option-data"], path),
    classes: r["client-classes"],
  });
}
