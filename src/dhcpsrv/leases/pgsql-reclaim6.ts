/**
 * Shared reclamation (pgsql-reclaim.ts) on the `lease6` table of a v6 PostgreSQL store: addresses
 * and prefixes, keyed by their address as Kea 2.2's table is.
 */
import type { Logger } from "../../log/logger.ts";
import type { Lease6 } from "./lease6.ts";
import {
  leaseFromRow6,
  NOTIFY_CHANNEL6,
  type PgsqlLeaseStore6,
  SELECT6,
} from "./pgsql-lease-store6.ts";
import { PgsqlReclaimer, type TableSpec } from "./pgsql-reclaim.ts";

/** The `lease6` table. */
export const LEASE6_TABLE: TableSpec<Lease6> = {
  table: "lease6",
  select: SELECT6,
  keyArray: "varchar[]",
  channel: NOTIFY_CHANNEL6,
  fromRow: leaseFromRow6,
  keyOf: (l) => l.address,
};

/** Shared reclamation on a v6 PostgreSQL store. */
export function pgsqlReclaimer6(store: PgsqlLeaseStore6, log?: Logger): PgsqlReclaimer<Lease6> {
  return new PgsqlReclaimer(
    LEASE6_TABLE,
    {
      sharedPool: store.sharedPool,
      token: store.token,
      changing: (key) => store.changing(key as string),
      current: (key) => store.anyLease(key as string),
      applyCommitted: (key, lease) => store.applyCommitted(key as string, lease),
    },
    log,
  );
}
