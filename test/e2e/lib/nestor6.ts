/**
 * nestor-dhcp6 as an operator runs it: a Kea Dhcp6 configuration file, the command line program
 * started inside a namespace on the real ports 547/546, its log on stdout, and its memfile lease
 * file read as text. Everything the server writes (leases, its DUID when persisted) stays in the
 * test's directory: the lease file is named there and `data-directory` is that directory.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { readCsvRows, startNestor } from "./nestor.ts";
import { lastRow, type Proc, type TestBed } from "./netns.ts";

export const CLI6 = fileURLToPath(new URL("../../../src/cli/nestor-dhcp6.ts", import.meta.url));

export interface Subnet6Spec {
  id: number;
  subnet: string;
  /** Address pool ("first - last" or a prefix). */
  pool: string;
  /** A prefix delegation pool. */
  pd?: { prefix: string; prefixLen: number; delegatedLen: number };
  /** `interface`: the subnet of clients on this link. */
  interface?: string;
  /** `relay.ip-addresses` */
  relay?: string[];
  extra?: Record<string, unknown>;
}

export interface Server6Spec {
  interfaces: string[];
  subnets: Subnet6Spec[];
  /** Other Dhcp6 keys. */
  global?: Record<string, unknown>;
  debug?: boolean;
}

/** A nestor-dhcp6 configuration file in `dir`; its lease file is `dir/leases6.csv`. */
export class Server6Config {
  readonly file: string;
  readonly leaseFile: string;
  readonly dir: string;
  readonly spec: Server6Spec;

  constructor(dir: string, spec: Server6Spec) {
    this.dir = dir;
    this.spec = spec;
    this.file = join(dir, "nestor-dhcp6.json");
    this.leaseFile = join(dir, "leases6.csv");
    this.write();
  }

  write(): void {
    const config = {
      Dhcp6: {
        "interfaces-config": { interfaces: this.spec.interfaces },
        "data-directory": this.dir,
        "server-id": { type: "LLT", persist: false },
        "lease-database": {
          type: "memfile",
          name: this.leaseFile,
          persist: true,
          "lfc-interval": 0,
        },
        "preferred-lifetime": 3000,
        "valid-lifetime": 4000,
        "renew-timer": 1000,
        "rebind-timer": 2000,
        ...this.spec.global,
        subnet6: this.spec.subnets.map((s) => ({
          id: s.id,
          subnet: s.subnet,
          pools: [{ pool: s.pool }],
          ...(s.pd === undefined
            ? {}
            : {
                "pd-pools": [
                  {
                    prefix: s.pd.prefix,
                    "prefix-len": s.pd.prefixLen,
                    "delegated-len": s.pd.delegatedLen,
                  },
                ],
              }),
          ...(s.interface === undefined ? {} : { interface: s.interface }),
          ...(s.relay === undefined ? {} : { relay: { "ip-addresses": s.relay } }),
          ...s.extra,
        })),
        loggers: [
          {
            name: "kea-dhcp6",
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

/** Starts nestor-dhcp6 in `ns` and waits until it says it is serving. */
export async function startServer6(bed: TestBed, ns: string, config: Server6Config): Promise<Proc> {
  return startNestor(bed, ns, 6, config.file, config.spec.debug === true);
}

/** Kea's v6 lease types (the lease_type column). */
export const LEASE_NA = 0;
export const LEASE_PD = 2;

/** One row of a Kea v6 memfile lease file. */
export interface Lease6Row {
  address: string;
  duid: string;
  validLifetime: number;
  expire: number;
  subnetId: number;
  prefLifetime: number;
  leaseType: number;
  iaid: number;
  prefixLen: number;
  state: number;
}

/** Every row of the lease file, in order (a lease's later rows supersede its earlier ones). */
export function readLease6Rows(file: string): Lease6Row[] {
  const columns = [
    "address",
    "duid",
    "valid_lifetime",
    "expire",
    "subnet_id",
    "pref_lifetime",
    "lease_type",
    "iaid",
    "prefix_len",
    "state",
  ] as const;
  return readCsvRows(file, columns).map((r) => ({
    address: r.address,
    duid: r.duid.toLowerCase(),
    validLifetime: Number(r.valid_lifetime),
    expire: Number(r.expire),
    subnetId: Number(r.subnet_id),
    prefLifetime: Number(r.pref_lifetime),
    leaseType: Number(r.lease_type),
    iaid: Number(r.iaid),
    prefixLen: Number(r.prefix_len),
    state: Number(r.state),
  }));
}

/** The key of a lease in a lease set: its type and address ("0/2001:db8::10", "2/2001:db8:8::"). */
export function lease6Key(leaseType: number, address: string): string {
  return `${leaseType}/${address}`;
}

/**
 * The lease set the file describes, as Kea loads it: the last row of each (type, address) wins,
 * and a row with valid_lifetime 0 deletes the lease.
 */
export function lease6Set(rows: readonly Lease6Row[]): Map<string, Lease6Row> {
  const set = new Map<string, Lease6Row>();
  for (const row of rows) {
    const key = lease6Key(row.leaseType, row.address);
    if (row.validLifetime === 0) set.delete(key);
    else set.set(key, row);
  }
  return set;
}

/** The last row of the lease file that satisfies `pred`, once there is one (at most `timeoutMs`). */
export function lease6Row(
  bed: TestBed,
  file: string,
  what: string,
  pred: (row: Lease6Row) => boolean,
  timeoutMs = 20_000,
): Promise<Lease6Row> {
  return lastRow(bed, what, () => readLease6Rows(file), pred, timeoutMs);
}
