/**
 * Reservation rows for the hosts database tests, written into Kea 2.2's tables the way Kea's
 * host_cmds would write them (hosts, dhcp4_options / dhcp6_options, ipv6_reservations), in a
 * throw-away PostgreSQL whose schema Kea's own `kea-admin db-init pgsql` made (pg-kea.ts).
 */
import { Client } from "pg";
import { PgKea, type KeaDatabase } from "./pg-kea.ts";

export interface KeaHostsDb {
  readonly pg: PgKea;
  readonly database: KeaDatabase;
  /** A connection as the superuser to the database, to write rows. */
  readonly client: Client;
  /** The `hosts-database` map of a configuration (Kea's keys), with `extra` keys. */
  hostsDatabase(extra?: Record<string, unknown>): Record<string, unknown>;
  stop(): Promise<void>;
}

/** Starts PostgreSQL with database `name` in Kea 2.2's schema and a connection to write rows. */
export async function startKeaHostsDb(name = "kea"): Promise<KeaHostsDb> {
  const pg = await PgKea.start();
  try {
    const database = pg.createKeaDatabase(name);
    const client = new Client(pg.connection(name, "nestor-hosts-test"));
    // A test that stops the server ends this connection: not an error of the test.
    client.on("error", () => undefined);
    await client.connect();
    return {
      pg,
      database,
      client,
      hostsDatabase: (extra = {}) => ({ ...database.keaConfig(), port: database.port, ...extra }),
      stop: async () => {
        await client.end().catch(() => undefined);
        await pg.stop();
      },
    };
  } catch (e) {
    await pg.stop();
    throw e;
  }
}

/** Kea's host_identifier_type numbers. */
export const IdType = { "hw-address": 0, duid: 1, "circuit-id": 2, "client-id": 3 } as const;

export interface OptionRowSpec {
  code: number;
  /** formatted_value (CSV through the definition). */
  formatted?: string;
  /** value bytes, hex (used when formatted is absent). */
  hex?: string;
  space?: string;
  persistent?: boolean;
}

export interface Host4RowSpec {
  type: keyof typeof IdType;
  /** Identifier bytes, hex without separators. */
  id: string;
  subnetId: number;
  address?: string;
  hostname?: string;
  classes?: string;
  nextServer?: string;
  serverHostname?: string;
  bootFileName?: string;
  options?: OptionRowSpec[];
}

const v4num = (a: string): number => a.split(".").reduce((n, o) => n * 256 + Number(o), 0);

/** Writes one DHCPv4 reservation (hosts row and its dhcp4_options rows, scope 3 = host). */
export async function insertHost4(c: Client, h: Host4RowSpec): Promise<number> {
  const r = await c.query<{ host_id: number }>(
    `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp4_subnet_id, ipv4_address,
       hostname, dhcp4_client_classes, dhcp4_next_server, dhcp4_server_hostname,
       dhcp4_boot_file_name)
     VALUES (decode($1, 'hex'), $2, $3, $4, $5, $6, $7, $8, $9) RETURNING host_id`,
    [
      h.id,
      IdType[h.type],
      h.subnetId,
      h.address === undefined ? null : v4num(h.address),
      h.hostname ?? null,
      h.classes ?? null,
      h.nextServer === undefined ? null : v4num(h.nextServer),
      h.serverHostname ?? null,
      h.bootFileName ?? null,
    ],
  );
  const hostId = r.rows[0]!.host_id;
  for (const o of h.options ?? []) await insertOption(c, "dhcp4_options", hostId, o);
  return hostId;
}

export interface Host6RowSpec {
  type: "duid" | "hw-address";
  id: string;
  subnetId: number;
  addresses?: string[];
  /** "prefix/len". */
  prefixes?: string[];
  hostname?: string;
  classes?: string;
  options?: OptionRowSpec[];
}

/** Writes one DHCPv6 reservation (hosts, ipv6_reservations, dhcp6_options rows). */
export async function insertHost6(c: Client, h: Host6RowSpec): Promise<number> {
  const r = await c.query<{ host_id: number }>(
    `INSERT INTO hosts (dhcp_identifier, dhcp_identifier_type, dhcp6_subnet_id, hostname,
       dhcp6_client_classes)
     VALUES (decode($1, 'hex'), $2, $3, $4, $5) RETURNING host_id`,
    [h.id, IdType[h.type], h.subnetId, h.hostname ?? null, h.classes ?? null],
  );
  const hostId = r.rows[0]!.host_id;
  for (const a of h.addresses ?? []) {
    await c.query(
      "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) VALUES ($1, 128, 0, $2)",
      [a, hostId],
    );
  }
  for (const p of h.prefixes ?? []) {
    const [a, len] = p.split("/");
    await c.query(
      "INSERT INTO ipv6_reservations (address, prefix_len, type, host_id) VALUES ($1, $2, 2, $3)",
      [a, Number(len), hostId],
    );
  }
  for (const o of h.options ?? []) await insertOption(c, "dhcp6_options", hostId, o);
  return hostId;
}

async function insertOption(
  c: Client,
  table: "dhcp4_options" | "dhcp6_options",
  hostId: number,
  o: OptionRowSpec,
): Promise<void> {
  await c.query(
    `INSERT INTO ${table} (code, value, formatted_value, space, persistent, host_id, scope_id)
     VALUES ($1, decode($2, 'hex'), $3, $4, $5, $6, 3)`,
    [
      o.code,
      o.hex ?? "",
      o.formatted ?? null,
      o.space ?? (table === "dhcp4_options" ? "dhcp4" : "dhcp6"),
      o.persistent ?? false,
      hostId,
    ],
  );
}
