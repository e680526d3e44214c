/**
 * Kea's SQL database settings, shared by the lease and host backends (`lease-database`,
 * `hosts-database`, `hosts-databases` with `"type": "postgresql"`):
 *
 *   parseDbAccess     Kea's keys checked (file, key and reason on error), defaults filled
 *   pgPoolConfig      the `pg` Pool settings (host a name, an address or a unix-socket directory)
 *   checkSchemaVersion  the `schema_version` row against Kea 2.2's (13.0), a clear refusal else
 *   DbReconnectControl  what happens when the connection is lost: retries every
 *                     `reconnect-wait-time` ms up to `max-reconnect-tries`, then `on-fail`
 *
 * The messages are Kea's IDs (dhcpsrv, dhcp4, dhcp6 message files) with Nestor's wording.
 */
import type pg from "pg";
import { defineMessages, type Logger } from "../../log/logger.ts";
import { ConfigError, NestorError } from "../../util/errors.ts";
import { loadPackage } from "../../util/load-package.ts";

/**
 * The pg client library, loaded on first use: a server with no PostgreSQL database (the memfile
 * default) never loads it, which keeps it out of the start's time and memory.
 */
export function pgLibrary(): typeof pg {
  return loadPackage<typeof pg>("pg");
}

defineMessages({
  DHCPSRV_PGSQL_DB: "opening PostgreSQL lease database: %1",
  DHCPSRV_PGSQL_HOST_DB: "opening PostgreSQL hosts database: %1",
  DHCPSRV_PGSQL_LEASE_DB_RECONNECT_ATTEMPT_SCHEDULE:
    "scheduling attempt %1 of %2 in %3 milliseconds to reconnect to the lease database",
  DHCPSRV_PGSQL_LEASE_DB_RECONNECT_ATTEMPT_FAILED: "lease database reconnect failed: %1",
  DHCPSRV_PGSQL_LEASE_DB_RECONNECT_FAILED:
    "maximum number of lease database reconnect attempts: %1, has been exhausted without success",
  DHCPSRV_PGSQL_HOST_DB_RECONNECT_ATTEMPT_SCHEDULE:
    "scheduling attempt %1 of %2 in %3 milliseconds to reconnect to the hosts database",
  DHCPSRV_PGSQL_HOST_DB_RECONNECT_ATTEMPT_FAILED: "hosts database reconnect failed: %1",
  DHCPSRV_PGSQL_HOST_DB_RECONNECT_FAILED:
    "maximum number of hosts database reconnect attempts: %1, has been exhausted without success",
  PGSQL_FATAL_ERROR: "unrecoverable PostgreSQL error: statement <%1>, reason: %2 (code %3)",
  DHCP4_DB_RECONNECT_LOST_CONNECTION: "database connection lost.",
  DHCP4_DB_RECONNECT_SUCCEEDED: "database connection recovered.",
  DHCP4_DB_RECONNECT_FAILED:
    "maximum number of database reconnect attempts: %1, has been exhausted without success",
  DHCP4_DB_RECONNECT_DISABLED:
    "database reconnect is disabled: retries left: %1, reconnect wait time: %2",
  DHCP6_DB_RECONNECT_LOST_CONNECTION: "database connection lost.",
  DHCP6_DB_RECONNECT_SUCCEEDED: "database connection recovered.",
  DHCP6_DB_RECONNECT_FAILED:
    "maximum number of database reconnect attempts: %1, has been exhausted without success",
  DHCP6_DB_RECONNECT_DISABLED:
    "database reconnect is disabled: retries left: %1, reconnect wait time: %2",
});

/** Kea 2.2's PostgreSQL schema version (what its `kea-admin db-init pgsql` creates). */
export const KEA_PGSQL_SCHEMA_VERSION = { major: 13, minor: 0 } as const;

export type OnFail = "stop-retry-exit" | "serve-retry-exit" | "serve-retry-continue";
export const ON_FAIL_VALUES: readonly OnFail[] = [
  "stop-retry-exit",
  "serve-retry-exit",
  "serve-retry-continue",
];

/** One SQL database's settings, Kea's defaults filled in. */
export interface DbAccess {
  readonly type: "postgresql";
  /** Database name. */
  readonly name: string;
  /** Host name, address, or a unix-socket directory (starts with "/"), as libpq takes it. */
  readonly host: string;
  readonly port: number;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Seconds to establish a connection (Kea's default 5). */
  readonly connectTimeout: number;
  /** Reconnect attempts after a lost connection; 0 = no reconnect (Kea's default). */
  readonly maxReconnectTries: number;
  /** Milliseconds between attempts (Kea's default 0). */
  readonly reconnectWaitTime: number;
  readonly onFail: OnFail;
  /** Hosts only: never write. */
  readonly readonly: boolean;
}

/** Keys Kea 2.2 accepts in a database map that Nestor reads for PostgreSQL. */
const PG_KEYS = new Set([
  "type",
  "name",
  "host",
  "port",
  "user",
  "password",
  "connect-timeout",
  "max-reconnect-tries",
  "reconnect-wait-time",
  "on-fail",
  "readonly",
  // Kea accepts these for every type; they mean nothing to PostgreSQL.
  "persist",
  "lfc-interval",
  "max-row-errors",
]);

/** The keys of a database map for TLS, which Kea 2.2 (and Nestor) refuse for PostgreSQL. */
export const DB_TLS_KEYS: readonly string[] = [
  "trust-anchor",
  "cert-file",
  "key-file",
  "cipher-list",
];

/**
 * Checks a `lease-database` / `hosts-database` map of type postgresql, Kea's way: `name`
 * mandatory, numbers in range, `on-fail` one of three. Throws ConfigError naming `file` and the
 * key (`path` is the map's own key path, e.g. "Dhcp4/lease-database").
 */
export function parseDbAccess(map: Record<string, unknown>, path: string, file?: string): DbAccess {
  const fail = (key: string, reason: string): never => {
    throw new ConfigError(reason, key === "" ? path : `${path}/${key}`, file);
  };
  const type = map["type"];
  if (type !== "postgresql") {
    fail("type", `database type ${JSON.stringify(type)} is not "postgresql"`);
  }
  for (const key of Object.keys(map)) {
    if (DB_TLS_KEYS.includes(key)) {
      fail(key, `'${key}': TLS to PostgreSQL is not supported by Kea 2.2 nor Nestor`);
    }
    if (!PG_KEYS.has(key) && key !== "user-context" && key !== "comment") {
      fail(key, `unknown database parameter '${key}' for type postgresql`);
    }
  }
  const str = (key: string, dflt?: string): string | undefined => {
    const v = map[key];
    if (v === undefined) return dflt;
    if (typeof v !== "string") fail(key, `'${key}' must be a string, not ${JSON.stringify(v)}`);
    return v as string;
  };
  const int = (key: string, dflt: number, min: number, max: number): number => {
    const v = map[key];
    if (v === undefined) return dflt;
    if (typeof v !== "number" || !Number.isInteger(v)) {
      fail(key, `'${key}' must be an integer, not ${JSON.stringify(v)}`);
    }
    const n = v as number;
    if (n < min || n > max) {
      fail(key, `${key} value: ${n} is out of range, expected value: ${min}..${max}`);
    }
    return n;
  };
  const name = str("name");
  if (name === undefined || name === "") fail("", "name is mandatory for a postgresql database");
  const onFail = str("on-fail", "stop-retry-exit") as OnFail;
  if (!ON_FAIL_VALUES.includes(onFail)) {
    fail(
      "on-fail",
      `on-fail '${onFail}' is invalid: expected one of ${ON_FAIL_VALUES.map((v) => `'${v}'`).join(", ")}`,
    );
  }
  const ro = map["readonly"];
  if (ro !== undefined && typeof ro !== "boolean") {
    fail("readonly", `'readonly' must be a boolean, not ${JSON.stringify(ro)}`);
  }
  const host = str("host", "localhost")!;
  return {
    type: "postgresql",
    name: name!,
    host: host === "" ? "localhost" : host,
    port: int("port", 5432, 0, 65535) || 5432,
    user: str("user"),
    password: str("password"),
    connectTimeout: int("connect-timeout", 5, 0, 0x7fffffff),
    maxReconnectTries: int("max-reconnect-tries", 0, 0, 0x7fffffff),
    reconnectWaitTime: int("reconnect-wait-time", 0, 0, 0x7fffffff),
    onFail,
    readonly: ro === true,
  };
}

/** The settings Kea prints when it opens a database (the password hidden). */
export function describeDbAccess(db: DbAccess): string {
  const parts = [
    `connect-timeout=${db.connectTimeout}`,
    `host=${db.host}`,
    `max-reconnect-tries=${db.maxReconnectTries}`,
    `name=${db.name}`,
    `on-fail=${db.onFail}`,
    ...(db.password === undefined ? [] : ["password=*****"]),
    `port=${db.port}`,
    `reconnect-wait-time=${db.reconnectWaitTime}`,
    "type=postgresql",
    ...(db.user === undefined ? [] : [`user=${db.user}`]),
  ];
  return parts.join(" ");
}

/** The subset of `pg`'s PoolConfig Nestor sets (structural, so this layer needs no pg types). */
export interface PgPoolSettings {
  host: string;
  port: number;
  database: string;
  user?: string;
  password?: string;
  max: number;
  connectionTimeoutMillis: number;
  idleTimeoutMillis: number;
  application_name: string;
  keepAlive: boolean;
}

/**
 * `pg` Pool settings for a database: a host starting with "/" is a unix-socket directory
 * (`<host>/.s.PGSQL.<port>`), as libpq takes it; `connect-timeout` 0 waits without limit.
 */
export function pgPoolConfig(
  db: DbAccess,
  options: { max?: number; applicationName?: string } = {},
): PgPoolSettings {
  const cfg: PgPoolSettings = {
    host: db.host,
    port: db.port,
    database: db.name,
    max: options.max ?? 4,
    connectionTimeoutMillis: db.connectTimeout * 1000,
    idleTimeoutMillis: 0,
    application_name: options.applicationName ?? "nestor",
    keepAlive: true,
  };
  if (db.user !== undefined) cfg.user = db.user;
  if (db.password !== undefined) cfg.password = db.password;
  return cfg;
}

/** The schema in the database is not the one Nestor reads and writes (Kea 2.2's). */
export class DbSchemaError extends NestorError {
  constructor(message: string) {
    super(message, "NESTOR_DB_SCHEMA");
  }
}

/** Anything that runs a query: a pg Client, PoolClient or Pool. */
export interface Queryable {
  query(text: string): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Reads `schema_version` and refuses anything but Kea 2.2's 13.0, with what to do about it.
 * Returns the version read.
 */
export async function checkSchemaVersion(
  q: Queryable,
  db: Pick<DbAccess, "name" | "host">,
): Promise<{ major: number; minor: number }> {
  let rows: Record<string, unknown>[];
  try {
    rows = (await q.query("SELECT version, minor FROM schema_version")).rows;
  } catch (err) {
    throw new DbSchemaError(
      `database '${db.name}' on ${db.host} has no Kea schema (${(err as Error).message}): ` +
        `create it with 'kea-admin db-init pgsql' of Kea 2.2`,
    );
  }
  const row = rows[0];
  if (row === undefined) {
    throw new DbSchemaError(`database '${db.name}': table schema_version is empty`);
  }
  const major = Number(row["version"]);
  const minor = Number(row["minor"]);
  const want = KEA_PGSQL_SCHEMA_VERSION;
  if (major !== want.major || minor !== want.minor) {
    const hint =
      major < want.major || (major === want.major && minor < want.minor)
        ? "upgrade it with 'kea-admin db-upgrade pgsql' of Kea 2.2"
        : "it was made by a newer Kea";
    throw new DbSchemaError(
      `database '${db.name}' has PostgreSQL schema version ${major}.${minor}, ` +
        `Nestor needs ${want.major}.${want.minor} (Kea 2.2's): ${hint}`,
    );
  }
  return { major, minor };
}

/** What the reconnect control does to the server. */
export interface DbReconnectActions {
  /** One connection attempt: resolves when the database answers again. */
  reconnect(): Promise<void>;
  /** `stop-retry-exit`: DHCP service off while reconnecting. */
  disableService?(): void;
  /** Service back on after recovery. */
  enableService?(): void;
  /** The server must end with this exit code (retries exhausted with an `-exit` policy). */
  exit(code: number): void;
}

type Family = 4 | 6;

/**
 * Kea's database reconnect control for one backend: `lost()` when a query finds the connection
 * gone starts the retries (once; later calls while retrying do nothing).
 *
 *   max-reconnect-tries 0   no reconnect: DHCPn_DB_RECONNECT_DISABLED, then exit unless
 *                           `serve-retry-continue`
 *   otherwise               up to that many attempts, `reconnect-wait-time` ms apart; success:
 *                           DHCPn_DB_RECONNECT_SUCCEEDED and service on again; all failed:
 *                           DHCPn_DB_RECONNECT_FAILED and exit unless `serve-retry-continue`
 */
export class DbReconnectControl {
  private readonly db: DbAccess;
  private readonly family: Family;
  private readonly actions: DbReconnectActions;
  private readonly logger: Logger | undefined;
  private readonly what: "LEASE" | "HOST";
  private timer: NodeJS.Timeout | null = null;
  private retrying = false;
  private stopped = false;
  /** Times the connection was found lost (statistics, tests). */
  losses = 0;

  constructor(
    db: DbAccess,
    family: Family,
    actions: DbReconnectActions,
    logger?: Logger,
    what: "LEASE" | "HOST" = "LEASE",
  ) {
    this.db = db;
    this.family = family;
    this.actions = actions;
    this.logger = logger;
    this.what = what;
  }

  /** True while reconnect attempts are under way. */
  get reconnecting(): boolean {
    return this.retrying;
  }

  /** The connection is gone: start the policy (no effect while already retrying). */
  lost(): void {
    if (this.retrying || this.stopped) return;
    this.retrying = true;
    this.losses++;
    const p = `DHCP${this.family}`;
    this.logger?.warn(`${p}_DB_RECONNECT_LOST_CONNECTION`);
    if (this.db.onFail === "stop-retry-exit") this.actions.disableService?.();
    if (this.db.maxReconnectTries === 0) {
      this.logger?.info(`${p}_DB_RECONNECT_DISABLED`, 0, this.db.reconnectWaitTime);
      this.giveUp();
      return;
    }
    this.schedule(1);
  }

  /** Stops pending attempts (server shutdown or reconfiguration). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(attempt: number): void {
    const max = this.db.maxReconnectTries;
    this.logger?.info(
      `DHCPSRV_PGSQL_${this.what}_DB_RECONNECT_ATTEMPT_SCHEDULE`,
      attempt,
      max,
      this.db.reconnectWaitTime,
    );
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.stopped) return;
      this.actions.reconnect().then(
        () => {
          if (this.stopped) return;
          this.retrying = false;
          this.logger?.info(`DHCP${this.family}_DB_RECONNECT_SUCCEEDED`);
          if (this.db.onFail === "stop-retry-exit") this.actions.enableService?.();
        },
        (err: unknown) => {
          if (this.stopped) return;
          this.logger?.error(
            `DHCPSRV_PGSQL_${this.what}_DB_RECONNECT_ATTEMPT_FAILED`,
            (err as Error).message,
          );
          if (attempt >= max) {
            this.logger?.error(`DHCPSRV_PGSQL_${this.what}_DB_RECONNECT_FAILED`, max);
            this.giveUp();
          } else {
            this.schedule(attempt + 1);
          }
        },
      );
    }, this.db.reconnectWaitTime);
  }

  private giveUp(): void {
    const p = `DHCP${this.family}`;
    this.logger?.error(`${p}_DB_RECONNECT_FAILED`, this.db.maxReconnectTries);
    if (this.db.onFail === "serve-retry-continue") {
      // Serve on; the next lost() starts over.
      this.retrying = false;
      return;
    }
    this.actions.exit(1);
  }
}
