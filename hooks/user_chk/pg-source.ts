/**
 * The registry in a PostgreSQL table instead of a file (the third part of ISC's webinar
 * "Extending Kea with Hooks", which replaced the file with a database).
 *
 * One row per user: a type column (HW_ADDR or DUID), an id column (hex digits, all lowercase or
 * all uppercase, with or without ':'), and any other columns, whose non-NULL values become the
 * user's properties (`bootfile`, `tftp_server`, ...). A lookup is one query that fetches the
 * client's row and the default user's (id 00000000) together, with the textual forms of both ids
 * as parameters, so an ordinary index on (type, id) serves it:
 *
 *   SELECT * FROM <table> WHERE <type> = $1 AND <id> = ANY($2::text[])
 *
 * Lookups go through a connection pool and are bounded by `timeoutMs` (connection, query, and
 * the statement on the server). Failures reject the lookup; the callout decides what they mean.
 */
import { Pool, escapeIdentifier, type PoolConfig, type QueryResult } from "pg";
import { UserEntryError, User, UserId, type UserIdType } from "./user.ts";
import type { Lookup, RegistrySource } from "./registry.ts";
import type { Log } from "./messages.ts";

export interface PgSettings {
  /** A connection URI, or pg's connection options (host, port, user, password, database...). */
  connection: string | Record<string, unknown>;
  /** The table (or view), optionally schema-qualified ("registry.users"). */
  table: string;
  typeColumn: string;
  idColumn: string;
  /** Bound of one lookup, from asking the pool for a connection to the last row. */
  timeoutMs: number;
  maxConnections: number;
}

/** `schema.table` with each part quoted. */
function quoteQualified(name: string): string {
  return name
    .split(".")
    .map((part) => escapeIdentifier(part))
    .join(".");
}

/** The spellings of an id the table may hold: plain or colon hex, lower or upper case. */
function spellings(id: UserId): string[] {
  const plain = id.toText();
  const colon = id.toText(":");
  return [plain, plain.toUpperCase(), colon, colon.toUpperCase()];
}

/** A column's value as a property string (null: no property). */
function propertyValue(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Date) return v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString("hex");
  return JSON.stringify(v);
}

export class PgRegistrySource implements RegistrySource {
  readonly description: string;
  private readonly pool: Pool;
  private readonly settings: PgSettings;
  private readonly sql: string;
  private closed = false;

  private constructor(settings: PgSettings, log: Log) {
    this.settings = settings;
    this.description = `postgresql table ${settings.table}`;
    const base: PoolConfig =
      typeof settings.connection === "string"
        ? { connectionString: settings.connection }
        : (settings.connection as PoolConfig);
    this.pool = new Pool({
      ...base,
      max: settings.maxConnections,
      connectionTimeoutMillis: settings.timeoutMs,
      query_timeout: settings.timeoutMs,
      statement_timeout: settings.timeoutMs,
      idleTimeoutMillis: 30_000,
      allowExitOnIdle: true,
    });
    // An idle connection that breaks (the server restarts) is reported here; without a
    // listener it would be an uncaught exception.
    this.pool.on("error", (err) => log.warn("USER_CHK_DB_POOL_ERROR", err.message));
    const t = quoteQualified(settings.table);
    const typeCol = escapeIdentifier(settings.typeColumn);
    const idCol = escapeIdentifier(settings.idColumn);
    this.sql = `SELECT * FROM ${t} WHERE ${typeCol} = $1 AND ${idCol} = ANY($2::text[])`;
  }

  /**
   * Creates the pool and checks, within the timeout, that the table and its two columns can be
   * read; throws (after closing the pool) when they cannot: a load error.
   */
  static async open(settings: PgSettings, log: Log): Promise<PgRegistrySource> {
    const source = new PgRegistrySource(settings, log);
    try {
      const t = quoteQualified(settings.table);
      const cols = `${escapeIdentifier(settings.typeColumn)}, ${escapeIdentifier(settings.idColumn)}`;
      await source.bounded(source.pool.query(`SELECT ${cols} FROM ${t} LIMIT 0`));
    } catch (err) {
      await source.close();
      throw err;
    }
    return source;
  }

  /** The client's row and the default user's, from one query. Rejects on any failure. */
  async lookup(id: UserId): Promise<Lookup> {
    if (this.closed) throw new Error("the registry database pool is closed");
    const def = UserId.defaultOf(id.type);
    const ids = [...new Set([...spellings(id), ...spellings(def)])];
    const result = await this.bounded(this.pool.query(this.sql, [id.type, ids]));
    const found: Lookup = { user: null, defaultUser: null };
    for (const row of result.rows as Record<string, unknown>[]) {
      const user = this.userOf(id.type, row);
      if (user.id.equals(id)) found.user ??= user;
      else if (user.id.equals(def)) found.defaultUser ??= user;
    }
    return found;
  }

  private userOf(type: UserIdType, row: Record<string, unknown>): User {
    const raw = row[this.settings.idColumn];
    if (typeof raw !== "string") {
      throw new UserEntryError(`column ${this.settings.idColumn} is not text`);
    }
    const properties = new Map<string, string>();
    for (const [name, value] of Object.entries(row)) {
      if (name === this.settings.typeColumn || name === this.settings.idColumn) continue;
      const text = propertyValue(value);
      if (text !== null) properties.set(name, text);
    }
    return new User(UserId.fromText(type, raw), properties);
  }

  /** The query, or a rejection when it has not answered within the timeout. */
  private bounded<T extends QueryResult>(query: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const ms = this.settings.timeoutMs;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([query, timeout]).finally(() => clearTimeout(timer));
  }

  /** Ends the pool: idle connections close at once, busy ones when their query ends. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
