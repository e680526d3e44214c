/**
 * Shared reclamation (pgsql-reclaim.ts) on the `lease4` table of a v4 PostgreSQL store.
 */
import { ipv4FromString } from "../../dhcp/ioaddress.ts";
import type { Logger } from "../../log/logger.ts";
import type { Lease4 } from "./lease4.ts";
import {
  leaseFromRow4,
  NOTIFY_CHANNEL,
  type PgsqlLeaseStore4,
  SELECT as SELECT_LEASE4,
} from "./pgsql-lease-store4.ts";
import { PgsqlReclaimer, type TableSpec } from "./pgsql-reclaim.ts";

/** The `lease4` table. */
export const LEASE4_TABLE: TableSpec<Lease4> = {
  table: "lease4",
  select: SELECT_LEASE4,
  keyArray: "bigint[]",
  channel: NOTIFY_CHANNEL,
  fromRow: leaseFromRow4,
  keyOf: (l) => ipv4FromString(l.address),
};

/** Shared reclamation on a v4 PostgreSQL store. */
export function pgsqlReclaimer4(store: PgsqlLeaseStore4, log?: Logger): PgsqlReclaimer<Lease4> {
  return new PgsqlReclaimer(
    LEASE4_TABLE,
    {
      sharedPool: store.sharedPool,
      token: store.token,
      changing: (key) => store.changing(key as number),
      current: (key) => store.getLease4(key),
      applyCommitted: (key, lease) => store.applyCommitted(key as number, lease),
    },
    log,
  );
}
