/** Shared builders for the v6 lease store tests. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { formatLease6Row } from "../../../../src/dhcpsrv/leases/csv-lease-file6.ts";
import { Lease6, type Lease6Init, LeaseType6 } from "../../../../src/dhcpsrv/leases/lease6.ts";

export const HEADER6_2_2 =
  "address,duid,valid_lifetime,expire,subnet_id,pref_lifetime,lease_type,iaid,prefix_len," +
  "fqdn_fwd,fqdn_rev,hostname,hwaddr,state,user_context,hwtype,hwaddr_source";
export const HEADER6_3_0 = `${HEADER6_2_2},pool_id`;

/** A fresh temporary directory, removed when the test ends. */
export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestor-lease6-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The DUID-LL of client n: 00:03:00:01:02:00:00:00:00:<n>. */
export function duidOf(n: number): Buffer {
  return Buffer.from([0, 3, 0, 1, 2, 0, 0, 0, 0, n & 255]);
}

/** An IA_NA lease on 2001:db8:1::<n> for client n, IAID n, 3000/3600 s, in subnet 1. */
export function lease6(n: number, init: Partial<Lease6Init> = {}): Lease6 {
  return new Lease6({
    address: `2001:db8:1::${n.toString(16)}`,
    duid: duidOf(n),
    iaid: n,
    preferredLifetime: 3000,
    validLifetime: 3600,
    cltt: 1_800_000_000,
    subnetId: 1,
    ...init,
  });
}

/** A /56 prefix lease on 2001:db8:8:<n>00::/56 for client n, IAID 100 + n, in subnet 1. */
export function prefix6(n: number, init: Partial<Lease6Init> = {}): Lease6 {
  return lease6(n, {
    address: `2001:db8:8:${n.toString(16)}00::`,
    type: LeaseType6.IA_PD,
    prefixLen: 56,
    iaid: 100 + n,
    ...init,
  });
}

/** The lease set as text, one Kea row per lease, sorted: equal texts mean equal lease sets. */
export function leaseSetText6(leases: Iterable<Lease6>): string {
  return [...leases]
    .map((l) => formatLease6Row(l))
    .sort()
    .join("");
}

/** Writes a lease file from lines (header included). */
export function writeLines(file: string, lines: string[]): void {
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(""));
}
