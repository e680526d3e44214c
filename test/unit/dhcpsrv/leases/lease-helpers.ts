/** Shared builders for the lease store tests. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { formatLease4Row } from "../../../../src/dhcpsrv/leases/csv-lease-file4.ts";
import { Lease4, type Lease4Init } from "../../../../src/dhcpsrv/leases/lease4.ts";

export const HEADER_2_2 =
  "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context";

/** A fresh temporary directory, removed when the test ends. */
export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "nestor-lease-"));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A lease on 198.51.100.<n> for MAC 02:00:00:00:00:<n>, valid 3600 s, in subnet 1. */
export function lease(n: number, init: Partial<Lease4Init> = {}): Lease4 {
  const hex = n.toString(16).padStart(2, "0");
  return new Lease4({
    address: `198.51.100.${n}`,
    hwaddr: HWAddr.fromText(`02:00:00:00:00:${hex}`),
    validLifetime: 3600,
    cltt: 1_800_000_000,
    subnetId: 1,
    ...init,
  });
}

/** The lease set as text, one Kea row per lease, sorted: equal texts mean equal lease sets. */
export function leaseSetText(leases: Iterable<Lease4>): string {
  return [...leases]
    .map((l) => formatLease4Row(l))
    .sort()
    .join("");
}

/** Writes a lease file from lines (header included). */
export function writeLines(file: string, lines: string[]): void {
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(""));
}
