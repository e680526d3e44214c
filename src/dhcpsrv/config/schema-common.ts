/**
 * Building blocks of the Dhcp4 and Dhcp6 JSON schemas (validated with ajv): typed scalars with
 * their range and Kea's default, closed maps (unknown keys refused, `user-context` and `comment`
 * accepted where Kea's grammar accepts them), and two keywords of Nestor's own:
 *
 * - `x-unsupported`: a key Kea knows that Nestor does not implement yet. Refused, unless its value
 *   is the one given as `allowed` (Kea's default, or an empty list), which changes nothing.
 * - `x-ignored`: a key accepted and ignored with a warning when it differs from Kea's default,
 *   for settings that do not change which address or prefix a client gets (DDNS hostnames).
 */

import type { JsonValue } from "./kea-json.ts";
import { ALLOCATOR_KINDS } from "../model/allocation.ts";

export type Schema = { [keyword: string]: unknown };

export interface UnsupportedSpec {
  /** The one value accepted (it leaves Nestor's behaviour as Kea's default would). */
  readonly allowed?: JsonValue;
  /** What to do instead, appended to the message. */
  readonly hint?: string;
}

export interface IgnoredSpec {
  readonly reason: string;
  /** Kea's default: no warning when the value equals it. */
  readonly default?: JsonValue;
}

export const UINT16_MAX = 65535;
export const UINT32_MAX = 4294967295;

function withDefault(schema: Schema, def: JsonValue | undefined): Schema {
  return def === undefined ? schema : { ...schema, default: def };
}

/** An integer; `x-integer` also refuses one written as a float (`10.0`), as Kea's grammar does. */
export function int(min: number, max: number, def?: number): Schema {
  return withDefault({ type: "integer", minimum: min, maximum: max, "x-integer": true }, def);
}

export function uint32(def?: number): Schema {
  return int(0, UINT32_MAX, def);
}

export function bool(def?: boolean): Schema {
  return withDefault({ type: "boolean" }, def);
}

export function str(def?: string): Schema {
  return withDefault({ type: "string" }, def);
}

export function oneOfStrings(values: readonly string[], def?: string): Schema {
  return withDefault({ type: "string", enum: values }, def);
}

/** A fraction strictly between 0 and 1, as Kea's t1-percent and t2-percent. */
export function fraction(def?: number): Schema {
  return withDefault({ type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 }, def);
}

export function list(items: Schema, def?: JsonValue[]): Schema {
  return withDefault({ type: "array", items }, def);
}

export const strings: Schema = { type: "array", items: { type: "string" } };

/** Free-form map (user-context, hook library parameters). */
export const anyMap: Schema = { type: "object" };

export interface MapOptions {
  readonly required?: readonly string[];
  /** Kea accepts `user-context` and `comment` in most maps; false where its grammar does not. */
  readonly context?: boolean;
  readonly default?: JsonValue;
}

/** A closed map: only the listed keys. */
export function map(properties: Record<string, Schema>, options: MapOptions = {}): Schema {
  const props: Record<string, Schema> =
    options.context === false
      ? properties
      : { ...properties, "user-context": anyMap, comment: { type: "string" } };
  const schema: Schema = { type: "object", properties: props, additionalProperties: false };
  if (options.required !== undefined && options.required.length > 0) {
    schema["required"] = options.required;
  }
  return withDefault(schema, options.default);
}

export function unsupported(spec: UnsupportedSpec = {}): Schema {
  return { "x-unsupported": spec };
}

export function ignored(schema: Schema, reason: string, def?: JsonValue): Schema {
  const spec: IgnoredSpec = def === undefined ? { reason } : { reason, default: def };
  return { ...schema, "x-ignored": spec };
}

// ---------------------------------------------------------------------------------------------
// Pieces shared by both families

const NO_DDNS = "Nestor does not do DNS updates yet";

/**
 * DDNS and hostname sanitising keys: global, per shared network and per subnet in Kea 2.2. Those
 * that shape client names are read; those that only matter to DNS updates are ignored.
 */
export const ddnsKeys: Record<string, Schema> = {
  "ddns-send-updates": ignored(bool(), NO_DDNS, true),
  "ddns-override-no-update": ignored(bool(), NO_DDNS, false),
  "ddns-override-client-update": ignored(bool(), NO_DDNS, false),
  // Read: they shape the client's name in the lease and the answer (src/dhcpsrv/processing/client-name.ts).
  "ddns-replace-client-name": oneOfStrings([
    "when-present",
    "never",
    "always",
    "when-not-present",
    "true",
    "false",
  ]),
  "ddns-generated-prefix": str(),
  "ddns-qualifying-suffix": str(),
  "ddns-update-on-renew": ignored(bool(), NO_DDNS, false),
  "ddns-use-conflict-resolution": ignored(bool(), NO_DDNS, true),
  // Later Kea versions.
  "ddns-ttl-percent": ignored({ type: "number" }, NO_DDNS),
  "ddns-ttl": ignored(uint32(), NO_DDNS),
  "ddns-ttl-min": ignored(uint32(), NO_DDNS),
  "ddns-ttl-max": ignored(uint32(), NO_DDNS),
  "ddns-conflict-resolution-mode": ignored(
    oneOfStrings([
      "check-with-dhcid",
      "no-check-with-dhcid",
      "check-exists-with-dhcid",
      "no-check-without-dhcid",
    ]),
    NO_DDNS,
    "check-with-dhcid",
  ),
  "hostname-char-set": str(),
  "hostname-char-replacement": str(),
};

/**
 * Client class guards and required classes of subnets and pools: Kea 2.2's `client-class` (one
 * name) and `require-client-classes`, and later Kea's `client-classes` (a list, any of) and
 * `evaluate-additional-classes`. Names need no definition: hook libraries may add the classes.
 */
export const classKeys: Record<string, Schema> = {
  "client-class": str(),
  "client-classes": strings,
  "require-client-classes": strings,
  "evaluate-additional-classes": strings,
};

/** A `client-classes` entry: the keys both families share, then the family's `extra` ones. */
export function clientClass(option: Schema, extra: Record<string, Schema>): Schema {
  return map(
    {
      name: str(),
      test: str(),
      "option-data": list(option, []),
      "only-if-required": bool(),
      // Later Kea versions' name for only-if-required.
      "only-in-additional-list": bool(),
      // Later Kea: a string expression; its value spawns the class SPAWN_<name>_<value>.
      "template-test": str(),
      ...triplet("valid-lifetime"),
      ...extra,
    },
    { required: ["name"] },
  );
}

/** An address pool (`pools` of a subnet) with its options (`option`: the family's option-data). */
export function addressPool(option: Schema): Schema {
  return map(
    { pool: str(), "pool-id": uint32(), "option-data": list(option, []), ...classKeys },
    { required: ["pool"] },
  );
}

/** The keys that identify a subnet, first in a `subnet4` / `subnet6` entry. */
export const subnetIdentity: Record<string, Schema> = {
  // 0 = numbered automatically (Kea 2.2); 4294967295 is Kea's "unused" id.
  id: int(0, 4294967294),
  subnet: str(),
};

/** Keys of a subnet that a shared network does not have (Kea 2.2's shared network grammar). */
const SUBNET_ONLY = new Set([
  "id",
  "subnet",
  "pools",
  "pd-pools",
  "reservations",
  "4o6-interface",
  "4o6-interface-id",
  "4o6-subnet",
]);

/**
 * A `shared-networks` list: each entry has a `name` and its subnets under `listKey`, and every
 * other key of the family's subnet map, the network-level values its subnets inherit.
 */
export function sharedNetworks(subnet: Schema, listKey: string): Schema {
  const props = subnet["properties"] as Record<string, Schema>;
  const own = Object.fromEntries(Object.entries(props).filter(([k]) => !SUBNET_ONLY.has(k)));
  return list(
    map({ name: str(), ...own, [listKey]: list(subnet, []) }, { required: ["name"] }),
    [],
  );
}

/** `interfaces-config`: the interface list, the family's `extra` keys, then the socket retries. */
export function interfacesConfig(extra: Record<string, Schema>): Schema {
  return map(
    {
      interfaces: list({ type: "string" }, []),
      ...extra,
      "re-detect": bool(true),
      "service-sockets-require-all": bool(false),
      "service-sockets-retry-wait-time": uint32(5000),
      "service-sockets-max-retries": uint32(0),
    },
    { default: {} },
  );
}

/** `host-reservation-identifiers`: at least one of `allowed`, in the order reservations are looked up. */
export function hostIdentifiers(allowed: readonly string[], def: readonly string[]): Schema {
  return { ...strings, minItems: 1, items: oneOfStrings(allowed), default: [...def] };
}

export const reservationModeKeys: Record<string, Schema> = {
  "reservations-global": bool(),
  "reservations-in-subnet": bool(),
  "reservations-out-of-pool": bool(),
  "reservation-mode": unsupported({
    hint: "use reservations-global, reservations-in-subnet and reservations-out-of-pool",
  }),
};

/** Per-network keys that change lease lifetimes or stored data, refused unless at default. */
export const networkExtras: Record<string, Schema> = {
  // Lease caching (src/dhcpsrv/alloc/lease-reuse.ts): no default, as Kea 2.2 (off).
  "cache-threshold": fraction(),
  "cache-max-age": uint32(),
  // Relay information kept in the lease's user context (src/dhcpsrv/leases/extended-info.ts).
  "store-extended-info": bool(),
  // Kea 2.4+'s allocators (src/dhcpsrv/alloc/allocators/); no default shown: iterative.
  allocator: oneOfStrings(ALLOCATOR_KINDS),
  // Kea 3: above this share of a pool in use, leases get the minimum valid lifetime.
  "adaptive-lease-time-threshold": { type: "number", exclusiveMinimum: 0, maximum: 1 },
};

export function optionData(space: string, maxCode: number): Schema {
  return map({
    name: str(),
    code: int(0, maxCode),
    data: str(),
    space: str(space),
    "csv-format": bool(true),
    "always-send": bool(false),
    // Later Kea versions (no default: config-get shows them only when given): never sent,
    // asked for or not; sent only to members of one of the classes.
    "never-send": bool(),
    "client-classes": strings,
  });
}

export const OPTION_TYPES = [
  "binary",
  "boolean",
  "empty",
  "fqdn",
  "int8",
  "int16",
  "int32",
  "ipv4-address",
  "ipv6-address",
  "ipv6-prefix",
  "psid",
  "record",
  "string",
  "tuple",
  "uint8",
  "uint16",
  "uint32",
];

export function optionDef(space: string, maxCode: number): Schema {
  return map(
    {
      name: str(),
      code: int(0, maxCode),
      type: oneOfStrings(OPTION_TYPES),
      "record-types": str(""),
      space: str(space),
      encapsulate: str(""),
      array: bool(false),
    },
    { required: ["name", "code", "type"] },
  );
}

const TLS_HINT = "TLS to the lease database is not supported (Kea 2.2 has none for PostgreSQL)";

// memfile's keys with their defaults; the PostgreSQL ones are checked and defaulted by
// src/dhcpsrv/db/db-access.ts (semantics.ts), as Kea's DbAccessParser does.
export const leaseDatabase: Schema = map(
  {
    type: str(),
    name: str(),
    persist: bool(true),
    "lfc-interval": uint32(3600),
    "max-row-errors": uint32(0),
    // Nestor's: "fdatasync" ends each group commit with fdatasync(2) (lease-journal.ts).
    sync: oneOfStrings(["none", "fdatasync"]),
    user: str(),
    password: str(),
    host: str(),
    port: int(0, 65535),
    readonly: bool(),
    "connect-timeout": uint32(),
    "max-reconnect-tries": uint32(),
    "reconnect-wait-time": uint32(),
    "on-fail": str(),
    ...Object.fromEntries(
      ["trust-anchor", "cert-file", "key-file", "cipher-list"].map((k) => [
        k,
        unsupported({ hint: TLS_HINT }),
      ]),
    ),
  },
  { required: ["type"], context: false, default: { type: "memfile" } },
);

/**
 * Kea's `hosts-database` map (and each of `hosts-databases`): reservations read from a
 * PostgreSQL database with Kea 2.2's schema. The type and the keys a PostgreSQL source cannot
 * use (TLS) are refused by the semantic checks, so that a MySQL configuration is told it is
 * MySQL that Nestor does not read.
 */
export const hostsDatabase: Schema = map(
  {
    type: str(),
    name: str(),
    host: str(),
    port: int(0, 65535),
    user: str(),
    password: str(),
    "connect-timeout": uint32(),
    "max-reconnect-tries": uint32(),
    "reconnect-wait-time": uint32(),
    "on-fail": oneOfStrings(["stop-retry-exit", "serve-retry-exit", "serve-retry-continue"]),
    readonly: bool(),
    // Kea's grammar takes every database key in every database map; meaningless here.
    persist: bool(),
    "lfc-interval": uint32(),
    "max-row-errors": uint32(),
    // Refused by the semantic checks once the type is known (a MySQL map is told about MySQL).
    ...Object.fromEntries(
      ["trust-anchor", "cert-file", "key-file", "cipher-list"].map((k) => [
        k,
        { ...str(), "x-refused": "TLS to a PostgreSQL database is not supported (nor by Kea 2.2)" },
      ]),
    ),
  },
  { required: ["type"], context: false },
);

export const expiredLeasesProcessing: Schema = map(
  {
    "reclaim-timer-wait-time": uint32(10),
    "flush-reclaimed-timer-wait-time": uint32(25),
    "hold-reclaimed-time": uint32(3600),
    "max-reclaim-leases": uint32(100),
    "max-reclaim-time": uint32(250),
    "unwarned-reclaim-cycles": uint32(5),
  },
  { context: false, default: {} },
);

// Kea 2.2's grammar has no user-context/comment here; src/hooks accepts them, and so does this.
export const hooksLibrary: Schema = map(
  {
    library: str(),
    parameters: anyMap,
    // Nestor's per-library time limit and failure policy (src/hooks/callout-policy.ts).
    "timeout-ms": int(0, 86_400_000),
    "on-timeout": oneOfStrings(["drop", "continue", "skip"]),
    "on-error": oneOfStrings(["drop", "continue", "skip"]),
  },
  { required: ["library"] },
);

const outputOptions: Schema = list(
  map(
    {
      output: str(),
      flush: bool(true),
      maxsize: int(0, Number.MAX_SAFE_INTEGER, 10240000),
      maxver: int(0, 2147483647, 1),
      pattern: str(""),
      // Nestor's addition (Kea has no such key): "json" writes one JSON object per line. No
      // default, so that config-get shows a Kea configuration as Kea does.
      format: oneOfStrings(["text", "json"]),
    },
    { required: ["output"], context: false },
  ),
);

export const logger: Schema = map(
  {
    name: str(),
    severity: str(),
    debuglevel: int(0, 99, 0),
    output_options: outputOptions,
    "output-options": outputOptions,
  },
  { required: ["name"] },
);

export const controlSocket: Schema = map(
  {
    "socket-type": oneOfStrings(["unix", "http", "https"]),
    "socket-name": str(),
    "socket-address": str(),
    "socket-port": int(0, UINT16_MAX),
    authentication: map({
      type: oneOfStrings(["basic"]),
      realm: str(),
      directory: str(),
      clients: list(
        map({ user: str(), password: str(), "user-file": str(), "password-file": str() }),
      ),
    }),
    "trust-anchor": str(),
    "cert-file": str(),
    "key-file": str(),
    "cert-required": bool(),
  },
  { required: ["socket-type"] },
);

export const multiThreading: Schema = map(
  {
    "enable-multi-threading": bool(false),
    "thread-pool-size": uint32(0),
    "packet-queue-size": uint32(64),
  },
  { default: {} },
);

export const sanityChecks: Schema = map(
  {
    "lease-checks": oneOfStrings(["none", "warn", "fix", "fix-del", "del"], "warn"),
    // Later Kea versions (2.4's layout upgrade and checks of extended info on load).
    "extended-info-checks": ignored(
      oneOfStrings(["none", "fix", "strict", "pedantic"]),
      "Nestor loads the extended info of leases as it is, unchecked",
      "fix",
    ),
  },
  { context: false, default: {} },
);

const NOT_YET = "not implemented";

/**
 * Global keys both families share: the supported ones with their defaults, and the ones Nestor
 * refuses (or accepts only at a value that changes nothing).
 */
export const commonGlobals: Record<string, Schema> = {
  "hosts-database": hostsDatabase,
  "hosts-databases": list(hostsDatabase),
  "config-control": unsupported({ hint: "the configuration backend is " + NOT_YET }),
  // DHCPv4-over-DHCPv6 (RFC 7341): the servers talk on ::1, this port and the next (0 = off).
  "dhcp4o6-port": int(0, 65534, 0),
  "dhcp-queue-control": {
    type: "object",
    properties: {
      "enable-queue": unsupported({ allowed: false, hint: "packet queueing is " + NOT_YET }),
    },
  },
  "dhcp-ddns": {
    type: "object",
    properties: {
      "enable-updates": unsupported({ allowed: false, hint: "DNS updates are " + NOT_YET }),
    },
  },
  // Kea's one compatibility flag of 2.2 (src/dhcp/option-data-types.ts).
  compatibility: map({ "lenient-option-parsing": bool() }),
  "server-tag": str(""),
  "statistic-default-sample-count": uint32(20),
  "statistic-default-sample-age": uint32(0),
  "early-global-reservations-lookup": bool(false),
  "ip-reservations-unique": bool(true),
  "reservations-lookup-first": bool(false),
  "parked-packet-limit": uint32(256),
  "decline-probation-period": uint32(86400),
  "expired-leases-processing": expiredLeasesProcessing,
  "hooks-libraries": list(hooksLibrary, []),
  loggers: list(logger, []),
  "control-socket": controlSocket,
  "control-sockets": list(controlSocket),
  "multi-threading": multiThreading,
  "sanity-checks": sanityChecks,
  "lease-database": leaseDatabase,
  "reservations-global": bool(false),
  "reservations-in-subnet": bool(true),
  "reservations-out-of-pool": bool(false),
  "reservation-mode": reservationModeKeys["reservation-mode"]!,
  ...networkExtras,
  "store-extended-info": bool(false),
  ...ddnsKeys,
};

/** Lifetime triplet keys (`valid-lifetime`, `min-valid-lifetime`, `max-valid-lifetime`). */
export function triplet(name: string, def?: number): Record<string, Schema> {
  return { [name]: uint32(def), [`min-${name}`]: uint32(), [`max-${name}`]: uint32() };
}

export function timers(
  calculate: boolean,
  t2: number,
  withDefaults: boolean,
): Record<string, Schema> {
  return {
    "renew-timer": uint32(),
    "rebind-timer": uint32(),
    "calculate-tee-times": bool(withDefaults ? calculate : undefined),
    "t1-percent": fraction(withDefaults ? 0.5 : undefined),
    "t2-percent": fraction(withDefaults ? t2 : undefined),
  };
}

export function relay(): Schema {
  return map(
    { "ip-addresses": list({ type: "string" }, []), "ip-address": str() },
    { context: false },
  );
}
