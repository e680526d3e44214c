/**
 * Host reservations read from a PostgreSQL database with Kea 2.2's schema (`kea-admin db-init
 * pgsql`, schema 13.0): Kea's `hosts-database` / `hosts-databases` with `"type": "postgresql"`.
 *
 * The tables, as Kea's PgSqlHostDataSource reads them:
 *   hosts              one row per reservation: dhcp_identifier (bytea) and dhcp_identifier_type
 *                      (0 hw-address, 1 duid, 2 circuit-id, 3 client-id, 4 flex-id),
 *                      dhcp4_subnet_id / dhcp6_subnet_id (0 = global; NULL = not of that
 *                      family), ipv4_address (a number; 0 or NULL = none), hostname,
 *                      dhcp4_client_classes / dhcp6_client_classes (comma separated),
 *                      dhcp4_next_server, dhcp4_server_hostname, dhcp4_boot_file_name
 *   dhcp4_options,     the reservation's options (host_id): code, value (bytea) or
 *   dhcp6_options      formatted_value (text, comma separated, read through the definition),
 *                      space (empty = dhcp4 / dhcp6), persistent (= always-send)
 *   ipv6_reservations  v6 addresses (type 0) and delegated prefixes (type 2, prefix_len)
 *
 * One query is asked once per DHCP query, before it is processed (Kea asks its HostMgr
 * synchronously from the packet path; Nestor's packet path does not wait, so what a query's
 * lookups may ask is fetched up front): the reservations of the client's identifiers in every
 * subnet, and the reservations holding an address (or prefix) in the query's subnet, which the
 * allocation engine checks its candidates against. Both through one prepared statement.
 */
import { canonicalIPv6 } from "../../dhcp/ioaddress.ts";
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import { optionFromConfig, type OptionDescriptor } from "../../dhcp/option-data.ts";
import { checkSchemaVersion, pgLibrary, pgPoolConfig, type DbAccess } from "../db/db-access.ts";
import { CfgOption } from "../model/cfg-option.ts";
import { IdentifierType, type HostIdentifier, type HostSource } from "../model/host.ts";
import { Host4, HostStore4 } from "../model/host4.ts";
import { Host6, HostStore6, type ReservedPrefix } from "../model/host6.ts";

/** Kea's host_identifier_type numbers. */
const TYPE_NUMBER: Readonly<Record<IdentifierType, number>> = {
  "hw-address": 0,
  duid: 1,
  "circuit-id": 2,
  "client-id": 3,
  "flex-id": 4,
};
const TYPE_NAME: readonly IdentifierType[] = [
  IdentifierType.HW_ADDRESS,
  IdentifierType.DUID,
  IdentifierType.CIRCUIT_ID,
  IdentifierType.CLIENT_ID,
  IdentifierType.FLEX_ID,
];

/** Kea's ipv6_reservations.type of a delegated prefix (0 is an address). */
const RESV_PREFIX = 2;

/** An option row, as the statements aggregate them (value in hex). */
interface OptionRow {
  id: number;
  code: number;
  value: string | null;
  formatted: string | null;
  space: string | null;
  persistent: boolean;
}

interface ReservationRow {
  address: string;
  len: number;
  type: number;
}

interface HostRow {
  host_id: number;
  dhcp_identifier_type: number;
  dhcp_identifier: Buffer;
  subnet_id: string | number;
  hostname: string | null;
  classes: string | null;
  options: OptionRow[] | null;
}

interface Host4Row extends HostRow {
  ipv4_address: string | number | null;
  dhcp4_next_server: string | number | null;
  dhcp4_server_hostname: string | null;
  dhcp4_boot_file_name: string | null;
}

interface Host6Row extends HostRow {
  reservations: ReservationRow[] | null;
}

const OPTIONS = (table: string): string =>
  `(SELECT json_agg(json_build_object('id', o.option_id, 'code', o.code,
      'value', encode(o.value, 'hex'), 'formatted', o.formatted_value, 'space', o.space,
      'persistent', o.persistent) ORDER BY o.option_id)
    FROM ${table} o WHERE o.host_id = h.host_id)`;

const BY_IDENTIFIER = `JOIN unnest($1::smallint[], $2::bytea[]) AS k(t, id)
    ON h.dhcp_identifier_type = k.t AND h.dhcp_identifier = k.id`;

const COLUMNS4 = `h.host_id, h.dhcp_identifier_type, h.dhcp_identifier,
    h.dhcp4_subnet_id AS subnet_id, h.ipv4_address, h.hostname,
    h.dhcp4_client_classes AS classes, h.dhcp4_next_server, h.dhcp4_server_hostname,
    h.dhcp4_boot_file_name`;

/** $1 identifier types, $2 identifiers, $3 the query's subnet (NULL: none). */
export const SELECT_HOSTS4 = `
  SELECT ${COLUMNS4}, ${OPTIONS("dhcp4_options")} AS options
    FROM hosts h ${BY_IDENTIFIER}
    WHERE h.dhcp4_subnet_id IS NOT NULL
  UNION ALL
  SELECT ${COLUMNS4}, NULL AS options
    FROM hosts h
    WHERE h.dhcp4_subnet_id = $3 AND h.ipv4_address IS NOT NULL AND h.ipv4_address <> 0`;

const COLUMNS6 = `h.host_id, h.dhcp_identifier_type, h.dhcp_identifier,
    h.dhcp6_subnet_id AS subnet_id, h.hostname, h.dhcp6_client_classes AS classes,
    (SELECT json_agg(json_build_object('address', r.address, 'len', r.prefix_len,
        'type', r.type) ORDER BY r.reservation_id)
      FROM ipv6_reservations r WHERE r.host_id = h.host_id) AS reservations`;

/** $1 identifier types, $2 identifiers, $3 the query's subnet (NULL: none). */
export const SELECT_HOSTS6 = `
  SELECT ${COLUMNS6}, ${OPTIONS("dhcp6_options")} AS options
    FROM hosts h ${BY_IDENTIFIER}
    WHERE h.dhcp6_subnet_id IS NOT NULL
  UNION ALL
  SELECT ${COLUMNS6}, NULL AS options
    FROM hosts h
    WHERE h.dhcp6_subnet_id = $3
      AND EXISTS (SELECT 1 FROM ipv6_reservations r WHERE r.host_id = h.host_id)`;

/** What runs the statements: a pg Pool (or anything with its query). */
export interface PgQueryable {
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
  end(): Promise<void>;
}

/** A reservation row the server cannot use (a bad option...): the query is dropped. */
export class HostRowError extends Error {}

/** Kea's client class list of a reservation row: comma separated, blanks trimmed. */
export function parseClasses(text: string | null): string[] {
  if (text === null) return [];
  return text
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
}

/**
 * The options of a reservation row, as Kea builds them: through the definition of code and
 * space when there is one (formatted_value as CSV when not empty, else value's bytes), as bytes
 * otherwise; persistent is always-send.
 */
export function rowOptions(
  rows: readonly OptionRow[] | null,
  universe: 4 | 6,
  defs: OptionDefLookup,
  hostLabel: string,
): CfgOption {
  const top = universe === 4 ? "dhcp4" : "dhcp6";
  if (rows === null || rows.length === 0)
    return universe === 4 ? CfgOption.EMPTY4 : CfgOption.EMPTY6;
  const list: OptionDescriptor[] = rows.map((o) => {
    const space = o.space === null || o.space === "" ? top : o.space;
    const formatted = o.formatted ?? "";
    const hasDef = defs.get(space, o.code, universe) !== undefined;
    try {
      return optionFromConfig(
        hasDef && formatted !== ""
          ? { code: o.code, space, data: formatted, "always-send": o.persistent }
          : {
              code: o.code,
              space,
              data: o.value ?? "",
              "csv-format": false,
              "always-send": o.persistent,
            },
        { universe, defs },
      );
    } catch (e) {
      throw new HostRowError(
        `reservation ${hostLabel}: option ${space}/${o.code} (option_id ${o.id}): ${
          e instanceof Error ? e.message : String(e)
        }`,
      );
    }
  });
  return new CfgOption(list, top);
}

function typeOf(row: HostRow): IdentifierType {
  const t = TYPE_NAME[row.dhcp_identifier_type];
  if (t === undefined) {
    throw new HostRowError(
      `reservation host_id ${row.host_id}: unknown identifier type ${row.dhcp_identifier_type}`,
    );
  }
  return t;
}

function idParams(ids: readonly HostIdentifier[]): [number[], Buffer[]] {
  const types: number[] = [];
  const values: Buffer[] = [];
  for (const { type, id } of ids) {
    types.push(TYPE_NUMBER[type]);
    values.push(Buffer.from(id.buffer, id.byteOffset, id.byteLength));
  }
  return [types, values];
}

/** A pg bigint column (text) or integer as a number. */
function num(v: string | number | null): number {
  return v === null ? 0 : Number(v);
}

/**
 * The reservations of one family in a PostgreSQL database: one statement per query, its rows
 * built into the family's store (`build`), a host found both by identifier and by address once.
 */
abstract class PgsqlHostSource<
  R extends HostRow,
  H,
  S extends { add(host: H): void },
> implements HostSource<S> {
  readonly label: string;
  protected readonly defs: OptionDefLookup;
  private readonly db: PgQueryable;
  private readonly statement: string;
  private readonly text: string;
  private readonly newStore: () => S;

  constructor(
    db: PgQueryable,
    defs: OptionDefLookup,
    label: string,
    statement: string,
    text: string,
    newStore: () => S,
  ) {
    this.db = db;
    this.defs = defs;
    this.label = label;
    this.statement = statement;
    this.text = text;
    this.newStore = newStore;
  }

  async fetch(ids: readonly HostIdentifier[], subnetId: number | undefined): Promise<S> {
    const [types, values] = idParams(ids);
    const { rows } = await this.db.query<R>({
      name: this.statement,
      text: this.text,
      values: [types, values, subnetId ?? null],
    });
    const store = this.newStore();
    const seen = new Set<number>();
    // The identifier rows come first: a host found both ways is built once, with its options.
    for (const row of rows) {
      if (seen.has(row.host_id)) continue;
      seen.add(row.host_id);
      store.add(this.build(row));
    }
    return store;
  }

  protected abstract build(row: R): H;

  /** What a reservation row gives in both families: identifier, scope, name, options, classes. */
  protected common(row: R, universe: 4 | 6) {
    return {
      identifierType: typeOf(row),
      identifier: row.dhcp_identifier,
      subnetId: num(row.subnet_id),
      hostname: row.hostname ?? "",
      options: rowOptions(row.options, universe, this.defs, `host_id ${row.host_id}`),
      classes: parseClasses(row.classes),
    };
  }

  close(): Promise<void> {
    return this.db.end();
  }
}

/** The DHCPv4 reservations of a PostgreSQL database. */
export class PgsqlHostSource4 extends PgsqlHostSource<Host4Row, Host4, HostStore4> {
  constructor(db: PgQueryable, defs: OptionDefLookup, label: string, statement = "nestor_hosts4") {
    super(db, defs, label, statement, SELECT_HOSTS4, () => new HostStore4());
  }

  protected build(row: Host4Row): Host4 {
    return new Host4({
      ...this.common(row, 4),
      ipv4: num(row.ipv4_address),
      nextServer: num(row.dhcp4_next_server),
      serverHostname: row.dhcp4_server_hostname ?? "",
      bootFileName: row.dhcp4_boot_file_name ?? "",
    });
  }
}

/** The DHCPv6 reservations of a PostgreSQL database. */
export class PgsqlHostSource6 extends PgsqlHostSource<Host6Row, Host6, HostStore6> {
  constructor(db: PgQueryable, defs: OptionDefLookup, label: string, statement = "nestor_hosts6") {
    super(db, defs, label, statement, SELECT_HOSTS6, () => new HostStore6());
  }

  protected build(row: Host6Row): Host6 {
    const label = `host_id ${row.host_id}`;
    const addresses: string[] = [];
    const prefixes: ReservedPrefix[] = [];
    for (const r of row.reservations ?? []) {
      let address: string;
      try {
        address = canonicalIPv6(r.address);
      } catch {
        throw new HostRowError(`reservation ${label}: '${r.address}' is not an IPv6 address`);
      }
      if (r.type === RESV_PREFIX) prefixes.push({ address, length: r.len });
      else addresses.push(address);
    }
    return new Host6({ ...this.common(row, 6), addresses, prefixes });
  }
}

/**
 * True for an error that says the connection is gone (refused, closed, the server shutting
 * down: SQLSTATE classes 08 and 57P), false for a statement's own error or a bad row.
 */
export function isConnectionLoss(err: unknown): boolean {
  if (err instanceof HostRowError) return false;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    return code.startsWith("08") || code.startsWith("57P");
  }
  return true;
}

/**
 * Opens a hosts database: connects, checks Kea 2.2's schema version (checkSchemaVersion), and
 * returns the family's source over a small pool of connections. A database that cannot be
 * reached or has another schema is an error (Kea does not start without its hosts database).
 */
export async function openPgsqlHostSource(
  family: 4 | 6,
  db: DbAccess,
  defs: OptionDefLookup,
): Promise<{ source: PgsqlHostSource4 | PgsqlHostSource6; ping: () => Promise<void> }> {
  const pool = new (pgLibrary().Pool)(
    pgPoolConfig(db, { max: 4, applicationName: `nestor-dhcp${family}-hosts` }),
  );
  // An idle connection the server drops is an error event of the pool: the next query opens a
  // new connection; without a listener it would end the process.
  pool.on("error", () => undefined);
  try {
    await checkSchemaVersion(pool, db);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  const label = `postgresql database '${db.name}' on ${db.host}:${db.port}`;
  const q = pool as unknown as PgQueryable;
  const source =
    family === 4 ? new PgsqlHostSource4(q, defs, label) : new PgsqlHostSource6(q, defs, label);
  return { source, ping: () => pool.query("SELECT 1").then(() => undefined) };
}
