/**
 * nestor-dhcp4 as an operator runs it: a Kea-style configuration file, the command line program
 * started inside a namespace on the real ports 67/68, its log on stdout, and its memfile lease
 * file read as text.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { lastRow, type Proc, type TestBed } from "./netns.ts";

export const CLI = fileURLToPath(new URL("../../../src/cli/nestor-dhcp4.ts", import.meta.url));
export const TUTORIAL = fileURLToPath(
  new URL("../../../examples/hooks/tutorial/tutorial.ts", import.meta.url),
);

export interface SubnetSpec {
  id: number;
  subnet: string;
  pool: string;
  /** `relay.ip-addresses` */
  relay?: string[];
  /** Any other subnet4 keys (timers, option-data...). */
  extra?: Record<string, unknown>;
}

export interface ServerSpec {
  interfaces: string[];
  subnets: SubnetSpec[];
  /** Other Dhcp4 keys (valid-lifetime, hooks-libraries...). */
  global?: Record<string, unknown>;
  /** Debug logging (-d); also on when NESTOR_E2E_DEBUG is set. */
  debug?: boolean;
}

/** A nestor-dhcp4 configuration file in `dir`; its lease file is `dir/leases4.csv`. */
export class ServerConfig {
  readonly file: string;
  readonly leaseFile: string;
  readonly dir: string;
  readonly spec: ServerSpec;

  constructor(dir: string, spec: ServerSpec) {
    this.dir = dir;
    this.spec = spec;
    this.file = join(dir, "nestor-dhcp4.json");
    this.leaseFile = join(dir, "leases4.csv");
    this.write();
  }

  write(): void {
    const config = {
      Dhcp4: {
        "interfaces-config": { interfaces: this.spec.interfaces },
        "lease-database": {
          type: "memfile",
          name: this.leaseFile,
          persist: true,
          "lfc-interval": 0,
        },
        "valid-lifetime": 600,
        "renew-timer": 300,
        "rebind-timer": 500,
        ...this.spec.global,
        subnet4: this.spec.subnets.map((s) => ({
          id: s.id,
          subnet: s.subnet,
          pools: [{ pool: s.pool }],
          ...(s.relay === undefined ? {} : { relay: { "ip-addresses": s.relay } }),
          ...s.extra,
        })),
        loggers: [
          {
            name: "kea-dhcp4",
            "output-options": [{ output: "stdout" }],
            severity: this.spec.debug === true ? "DEBUG" : "INFO",
            debuglevel: 99,
          },
        ],
      },
    };
    writeFileSync(this.file, `${JSON.stringify(config, null, 2)}\n`);
  }
}

/** Starts nestor-dhcp4 in `ns` and waits until it says it is serving. */
export async function startServer(bed: TestBed, ns: string, config: ServerConfig): Promise<Proc> {
  return startNestor(bed, ns, 4, config.file, config.spec.debug === true);
}

/**
 * Starts nestor-dhcp4 or nestor-dhcp6 in `ns` on a configuration file (`-c FILE`, and `-d` when
 * `debug` or NESTOR_E2E_DEBUG is set) and waits until it says it is serving.
 */
export async function startNestor(
  bed: TestBed,
  ns: string,
  family: 4 | 6,
  file: string,
  debug = false,
): Promise<Proc> {
  const cli = fileURLToPath(new URL(`../../../src/cli/nestor-dhcp${family}.ts`, import.meta.url));
  const args = [cli, "-c", file];
  if (debug || process.env.NESTOR_E2E_DEBUG !== undefined) args.push("-d");
  const server = bed.spawn(`nestor-dhcp${family}`, ns, process.execPath, args);
  await server.waitForOutput(new RegExp(`nestor-dhcp${family} \\S+: serving \\d+ subnet`), 20_000);
  return server;
}

/** One row of a Kea v4 memfile lease file. */
export interface LeaseRow {
  address: string;
  hwaddr: string;
  clientId: string;
  validLifetime: number;
  expire: number;
  subnetId: number;
  hostname: string;
  state: number;
}

/**
 * The rows of a Kea CSV lease file, each as the text of the named columns (found by the header
 * line, so in any order); none when there is no file yet. Throws when a column is missing.
 */
export function readCsvRows<K extends string>(
  file: string,
  columns: readonly K[],
): Record<K, string>[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  const [header, ...lines] = text.split("\n").filter((l) => l !== "");
  if (header === undefined) return [];
  const cols = header.split(",");
  const ix = columns.map((name) => {
    const i = cols.indexOf(name);
    if (i < 0) throw new Error(`lease file ${file} has no column ${name}: ${header}`);
    return [name, i] as const;
  });
  return lines.map((line) => {
    const f = line.split(",");
    return Object.fromEntries(ix.map(([name, i]) => [name, f[i]!])) as Record<K, string>;
  });
}

/** Every row of the lease file, in order (a lease's later rows supersede its earlier ones). */
export function readLeaseRows(file: string): LeaseRow[] {
  const columns = [
    "address",
    "hwaddr",
    "client_id",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "hostname",
    "state",
  ] as const;
  return readCsvRows(file, columns).map((r) => ({
    address: r.address,
    hwaddr: r.hwaddr,
    clientId: r.client_id,
    validLifetime: Number(r.valid_lifetime),
    expire: Number(r.expire),
    subnetId: Number(r.subnet_id),
    hostname: r.hostname,
    state: Number(r.state),
  }));
}

/**
 * The lease set the file describes, as Kea loads it: the last row of each address wins, and a
 * row with valid_lifetime 0 deletes the lease.
 */
export function leaseSet(rows: readonly LeaseRow[]): Map<string, LeaseRow> {
  const set = new Map<string, LeaseRow>();
  for (const row of rows) {
    if (row.validLifetime === 0) set.delete(row.address);
    else set.set(row.address, row);
  }
  return set;
}

/** The rows for one hardware address, in file order. */
export function rowsOf(file: string, mac: string): LeaseRow[] {
  return readLeaseRows(file).filter((r) => r.hwaddr.toLowerCase() === mac.toLowerCase());
}

/** The last row of the lease file that satisfies `pred`, once there is one (at most `timeoutMs`). */
export function leaseRow(
  bed: TestBed,
  file: string,
  what: string,
  pred: (row: LeaseRow) => boolean,
  timeoutMs = 20_000,
): Promise<LeaseRow> {
  return lastRow(bed, what, () => readLeaseRows(file), pred, timeoutMs);
}
