/**
 * The validated configuration as plain data: Kea's keys and values, with Kea's defaults filled
 * in. Not the server's runtime model (no subnet objects, option-data still as written): the
 * servers build that from here.
 *
 * A subnet-level value that is absent (`undefined`) inherits the global one, as in Kea; global
 * values always have their default. Keys Nestor refuses unless at their neutral value
 * (docs/configuration.md) are typed `unknown` where they can only hold that value.
 */

import type { JsonMap, JsonValue } from "./kea-json.ts";

export type Family = 4 | 6;

/** `user-context` and `comment`, accepted in most maps. */
export interface Annotated {
  "user-context"?: JsonMap;
  comment?: string;
}

export interface OptionData extends Annotated {
  /** At least one of name and code. */
  name?: string;
  code?: number;
  data?: string;
  space: string;
  "csv-format": boolean;
  "always-send": boolean;
  /** Later Kea: never sent (at any level it is set). */
  "never-send"?: boolean;
  /** Later Kea: sent only to members of one of these classes ([] = everyone). */
  "client-classes"?: string[];
}

export interface OptionDef extends Annotated {
  name: string;
  code: number;
  type: string;
  "record-types": string;
  space: string;
  encapsulate: string;
  array: boolean;
}

export interface LeaseDatabase {
  type: "memfile" | "postgresql";
  /** Lease file; absent = the server's default in its data directory. */
  name?: string;
  persist: boolean;
  "lfc-interval": number;
  "max-row-errors": number;
  /** Nestor's: "fdatasync" makes each group commit durable before its replies leave. */
  sync?: "none" | "fdatasync";
  /** PostgreSQL (src/dhcpsrv/db/db-access.ts reads them). */
  user?: string;
  password?: string;
  host?: string;
  port?: number;
  readonly?: boolean;
  "connect-timeout"?: number;
  "max-reconnect-tries"?: number;
  "reconnect-wait-time"?: number;
  "on-fail"?: string;
}

/** Kea's `hosts-database` map: a PostgreSQL database holding reservations (Kea 2.2's schema). */
export interface HostsDatabase {
  type: "postgresql";
  name: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  "connect-timeout"?: number;
  "max-reconnect-tries"?: number;
  "reconnect-wait-time"?: number;
  "on-fail"?: "stop-retry-exit" | "serve-retry-exit" | "serve-retry-continue";
  readonly?: boolean;
}

export interface ExpiredLeasesProcessing {
  "reclaim-timer-wait-time": number;
  "flush-reclaimed-timer-wait-time": number;
  "hold-reclaimed-time": number;
  "max-reclaim-leases": number;
  "max-reclaim-time": number;
  "unwarned-reclaim-cycles": number;
}

export interface HooksLibrary {
  library: string;
  parameters?: JsonMap;
  "timeout-ms"?: number;
  "on-timeout"?: "drop" | "continue" | "skip";
  "on-error"?: "drop" | "continue" | "skip";
}

export interface LoggerOutput {
  output: string;
  flush: boolean;
  maxsize: number;
  maxver: number;
  pattern: string;
  /** Nestor's addition: "json" lines instead of the pattern. */
  format?: "text" | "json";
}

export interface LoggerConfig extends Annotated {
  name: string;
  /** Upper case; absent = inherited from the parent logger. */
  severity?: "FATAL" | "ERROR" | "WARN" | "INFO" | "DEBUG" | "NONE";
  debuglevel: number;
  /** Kea 2.2 spells it `output_options`; both spellings land here. */
  "output-options": LoggerOutput[];
}

export interface ControlSocket extends Annotated {
  "socket-type": "unix" | "http" | "https";
  "socket-name"?: string;
  "socket-address"?: string;
  "socket-port"?: number;
  authentication?: {
    type?: "basic";
    realm?: string;
    directory?: string;
    clients?: {
      user?: string;
      password?: string;
      "user-file"?: string;
      "password-file"?: string;
    }[];
  } & Annotated;
  "trust-anchor"?: string;
  "cert-file"?: string;
  "key-file"?: string;
  "cert-required"?: boolean;
}

export interface MultiThreading extends Annotated {
  "enable-multi-threading": boolean;
  "thread-pool-size": number;
  "packet-queue-size": number;
}

export interface Relay {
  "ip-addresses": string[];
}

export interface LifetimeTriplet {
  "valid-lifetime"?: number;
  "min-valid-lifetime"?: number;
  "max-valid-lifetime"?: number;
}

export interface Timers {
  "renew-timer"?: number;
  "rebind-timer"?: number;
  "calculate-tee-times"?: boolean;
  "t1-percent"?: number;
  "t2-percent"?: number;
}

/**
 * Client class guards (a subnet or pool serves only members of one of these classes) and the
 * classes evaluated for it after allocation. Kea 2.2 spells them `client-class` (one name) and
 * `require-client-classes`; later Kea `client-classes` and `evaluate-additional-classes`.
 */
export interface ClassGuardKeys {
  "client-class"?: string;
  "client-classes"?: string[];
  "require-client-classes"?: string[];
  "evaluate-additional-classes"?: string[];
}

/** A `client-classes` entry of either family. */
export interface ClientClassBase extends Annotated, LifetimeTriplet {
  name: string;
  /** The expression; absent = members only by hooks, reservations or built-in rules. */
  test?: string;
  /** Later Kea: a string expression making this a template class (not with `test`). */
  "template-test"?: string;
  "option-data": OptionData[];
  "only-if-required"?: boolean;
  /** Later Kea's name for only-if-required. */
  "only-in-additional-list"?: boolean;
}

export interface ClientClass4 extends ClientClassBase {
  /** Definitions for this class's options only (option 43, codes 224-254 of "dhcp4"). */
  "option-def"?: OptionDef[];
  "next-server"?: string;
  "server-hostname"?: string;
  "boot-file-name"?: string;
  /** Kea 2.6: the offer lifetime of a client in the class, over the subnet's. */
  "offer-lifetime"?: number;
}

export interface ClientClass6 extends ClientClassBase {
  "preferred-lifetime"?: number;
  "min-preferred-lifetime"?: number;
  "max-preferred-lifetime"?: number;
}

export interface ReservationModes {
  "reservations-global"?: boolean;
  "reservations-in-subnet"?: boolean;
  "reservations-out-of-pool"?: boolean;
}

/** Client name keys (src/dhcpsrv/processing/client-name.ts): global and per subnet. */
export interface ClientNameConfig {
  "ddns-replace-client-name"?: string;
  "ddns-generated-prefix"?: string;
  "ddns-qualifying-suffix"?: string;
  "hostname-char-set"?: string;
  "hostname-char-replacement"?: string;
}

/**
 * The allocator and lease caching keys (global, and per subnet; src/dhcpsrv/model/allocation.ts):
 * `allocator` "iterative", "random" or "flq" (v6 also `pd-allocator`), `cache-threshold` a
 * fraction strictly between 0 and 1, `cache-max-age` seconds.
 */
export interface AllocationConfig {
  "cache-threshold"?: number;
  "cache-max-age"?: number;
  allocator?: "iterative" | "random" | "flq";
}

/**
 * Lease keys a subnet inherits from its shared network, else the globals (cfg.ts `inherited`):
 * absent at the lower levels.
 */
export interface LeaseInfoKeys {
  /** The relay information of the query kept in the lease's user context (Kea's ISC entry). */
  "store-extended-info"?: boolean;
  /** Kea 3: pool occupancy above which leases get the minimum valid lifetime (0 < t <= 1). */
  "adaptive-lease-time-threshold"?: number;
  /** Kea 2.6, v4: the lifetime of the lease stored for a DISCOVER's offer; 0 = none stored. */
  "offer-lifetime"?: number;
}

/** Keys both servers read the same way. */
export interface CommonGlobals extends Annotated, ClientNameConfig, AllocationConfig {
  "store-extended-info": boolean;
  "adaptive-lease-time-threshold"?: number;
  "offer-lifetime"?: number;
  compatibility?: Annotated & { "lenient-option-parsing"?: boolean };
  "lease-database": LeaseDatabase;
  "hosts-database"?: HostsDatabase;
  "hosts-databases"?: HostsDatabase[];
  "valid-lifetime": number;
  "min-valid-lifetime": number;
  "max-valid-lifetime": number;
  "renew-timer"?: number;
  "rebind-timer"?: number;
  "calculate-tee-times": boolean;
  "t1-percent": number;
  "t2-percent": number;
  "decline-probation-period": number;
  "expired-leases-processing": ExpiredLeasesProcessing;
  "hooks-libraries": HooksLibrary[];
  loggers: LoggerConfig[];
  /** Kea 2.2's single socket. */
  "control-socket"?: ControlSocket;
  /** Later Kea's list; the servers should serve both. */
  "control-sockets"?: ControlSocket[];
  "multi-threading": MultiThreading;
  "sanity-checks": { "lease-checks": "none" | "warn" | "fix" | "fix-del" | "del" };
  "parked-packet-limit": number;
  "option-def": OptionDef[];
  "option-data": OptionData[];
  "reservations-global": boolean;
  "reservations-in-subnet": boolean;
  "reservations-out-of-pool": boolean;
  /** Global reservations looked up before the subnet is selected (their classes guard it). */
  "early-global-reservations-lookup": boolean;
  /** False: an address may be reserved for several clients of a subnet. */
  "ip-reservations-unique": boolean;
  /** Kea's host-database tuning: reservations checked before leases (same answers). */
  "reservations-lookup-first": boolean;
  "server-tag": string;
  /** DHCPv4-over-DHCPv6: the port of the DHCPv6 server on ::1, the DHCPv4 server's is the next. */
  "dhcp4o6-port": number;
  "statistic-default-sample-count": number;
  "statistic-default-sample-age": number;
}

// ---------------------------------------------------------------------------------------------
// DHCPv4

export interface InterfacesConfig4 extends Annotated {
  /** `"eth0"`, `"eth0/192.0.2.1"` or `"*"`. */
  interfaces: string[];
  "dhcp-socket-type": "raw" | "udp";
  "outbound-interface": "same-as-inbound" | "use-routing";
  "re-detect": boolean;
  "service-sockets-require-all": boolean;
  "service-sockets-retry-wait-time": number;
  "service-sockets-max-retries": number;
}

export interface Pool4 extends Annotated, ClassGuardKeys {
  /** As written: `"192.0.2.10 - 192.0.2.20"` or `"192.0.2.64/26"`. */
  pool: string;
  /** Kea 3: the pool's id in its statistics (`subnet[id].pool[pid].*`); 0 when absent. */
  "pool-id"?: number;
  "option-data": OptionData[];
}

export interface Reservation4 extends Annotated {
  /** Exactly one identifier. */
  "hw-address"?: string;
  "client-id"?: string;
  duid?: string;
  "circuit-id"?: string;
  /** The flexible identifier a host4_identifier callout computes (the flex_id library). */
  "flex-id"?: string;
  "ip-address"?: string;
  hostname: string;
  "next-server"?: string;
  "server-hostname"?: string;
  "boot-file-name"?: string;
  "option-data": OptionData[];
  /** Classes the client is put in when this reservation is found. */
  "client-classes": string[];
}

export interface Subnet4
  extends
    Annotated,
    LifetimeTriplet,
    Timers,
    ReservationModes,
    ClassGuardKeys,
    ClientNameConfig,
    AllocationConfig,
    LeaseInfoKeys {
  /** Written or assigned (Kea 2.2 numbers subnets without an id 1, 2, ... in order). */
  id: number;
  subnet: string;
  pools: Pool4[];
  "option-data": OptionData[];
  reservations: Reservation4[];
  interface?: string;
  relay?: Relay;
  "match-client-id"?: boolean;
  authoritative?: boolean;
  "next-server"?: string;
  "server-hostname"?: string;
  "boot-file-name"?: string;
  /** DHCPv4-over-DHCPv6: the DHCPv6 server's interface whose forwarded queries select it. */
  "4o6-interface"?: string;
  /** DHCPv4-over-DHCPv6: the relays' interface-id (option 18) that selects it. */
  "4o6-interface-id"?: string;
  /** DHCPv4-over-DHCPv6: the IPv6 prefix (prefix/length) of the sources that select it. */
  "4o6-subnet"?: string;
}

/**
 * A `shared-networks` entry (DHCPv4): a name, its subnets, and every subnet-level key Kea 2.2
 * allows at network level (its subnets inherit them, see src/dhcpsrv/config/shared-networks.ts).
 */
export type SharedNetwork4 = Omit<Subnet4, "id" | "subnet" | "pools" | "reservations"> & {
  name: string;
  subnet4: Subnet4[];
};

export interface Dhcp4Config extends CommonGlobals {
  "interfaces-config": InterfacesConfig4;
  "match-client-id": boolean;
  authoritative: boolean;
  "echo-client-id": boolean;
  "next-server": string;
  "server-hostname": string;
  "boot-file-name": string;
  subnet4: Subnet4[];
  "shared-networks": SharedNetwork4[];
  reservations: Reservation4[];
  "client-classes": ClientClass4[];
  "host-reservation-identifiers": ("hw-address" | "duid" | "circuit-id" | "client-id")[];
}

// ---------------------------------------------------------------------------------------------
// DHCPv6

export interface InterfacesConfig6 extends Annotated {
  /** `"eth0"`, `"eth0/2001:db8::1"` (unicast address) or `"*"`. */
  interfaces: string[];
  "re-detect": boolean;
  "service-sockets-require-all": boolean;
  "service-sockets-retry-wait-time": number;
  "service-sockets-max-retries": number;
}

export interface Pool6 extends Annotated, ClassGuardKeys {
  pool: string;
  /** Kea 3: the pool's id in its statistics (`subnet[id].pool[pid].*`); 0 when absent. */
  "pool-id"?: number;
  "option-data": OptionData[];
}

export interface PdPool6 extends Annotated, ClassGuardKeys {
  prefix: string;
  "prefix-len": number;
  "delegated-len": number;
  "excluded-prefix"?: string;
  "excluded-prefix-len"?: number;
  /** Kea 3: the pool's id in its statistics (`subnet[id].pd-pool[pid].*`); 0 when absent. */
  "pool-id"?: number;
  "option-data": OptionData[];
}

export interface Reservation6 extends Annotated {
  /** Exactly one identifier. */
  duid?: string;
  "hw-address"?: string;
  /** The flexible identifier a host6_identifier callout computes (the flex_id library). */
  "flex-id"?: string;
  "ip-addresses": string[];
  /** `"2001:db8:1::/64"` each. */
  prefixes: string[];
  hostname: string;
  "option-data": OptionData[];
  "client-classes": string[];
}

export interface PreferredTriplet {
  "preferred-lifetime"?: number;
  "min-preferred-lifetime"?: number;
  "max-preferred-lifetime"?: number;
}

export interface Subnet6
  extends
    Annotated,
    LifetimeTriplet,
    PreferredTriplet,
    Timers,
    ReservationModes,
    ClassGuardKeys,
    ClientNameConfig,
    AllocationConfig,
    LeaseInfoKeys {
  id: number;
  subnet: string;
  pools: Pool6[];
  "pd-pools": PdPool6[];
  "option-data": OptionData[];
  reservations: Reservation6[];
  interface?: string;
  "interface-id"?: string;
  relay?: Relay;
  "rapid-commit"?: boolean;
  "pd-allocator"?: "iterative" | "random" | "flq";
}

/** A `shared-networks` entry (DHCPv6): a name, its subnets, the network-level keys. */
export type SharedNetwork6 = Omit<
  Subnet6,
  "id" | "subnet" | "pools" | "pd-pools" | "reservations"
> & {
  name: string;
  subnet6: Subnet6[];
};

export interface ServerId extends Annotated {
  type: "LLT" | "EN" | "LL";
  identifier: string;
  time: number;
  htype: number;
  "enterprise-id": number;
  persist: boolean;
}

export interface Dhcp6Config extends CommonGlobals {
  "interfaces-config": InterfacesConfig6;
  "data-directory"?: string;
  "preferred-lifetime": number;
  "min-preferred-lifetime": number;
  "max-preferred-lifetime": number;
  /** Refused: Kea 2.2 has no global rapid-commit (typed so that the refusal can name it). */
  "rapid-commit"?: boolean;
  "pd-allocator"?: "iterative" | "random" | "flq";
  "server-id": ServerId;
  "mac-sources": string[];
  "relay-supplied-options": string[];
  subnet6: Subnet6[];
  "shared-networks": SharedNetwork6[];
  reservations: Reservation6[];
  "client-classes": ClientClass6[];
  "host-reservation-identifiers": ("hw-address" | "duid")[];
}

export type ConfigOf<F extends Family> = F extends 4 ? Dhcp4Config : Dhcp6Config;

/** A JSON value known to be a map (helper for the validator's walks). */
export type Untyped = { [key: string]: JsonValue | undefined };
