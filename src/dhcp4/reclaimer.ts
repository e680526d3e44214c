/**
 * Reclamation of expired DHCPv4 leases: the shared cycle (src/dhcpsrv/leases/reclaimer.ts) on the v4
 * lease store, with the hook points lease4_expire and lease4_recover; on a PostgreSQL lease
 * database, on the leases each cycle claims in the table (src/dhcpsrv/leases/pgsql-reclaim4.ts).
 */
import type { HooksManager } from "../hooks/hooks-manager.ts";
import type { Logger } from "../log/logger.ts";
import type { ExpiredLeasesProcessing } from "../dhcpsrv/config/types.ts";
import type { Lease4 } from "../dhcpsrv/leases/lease4.ts";
import type { LeaseStore4 } from "../dhcpsrv/leases/lease-store4.ts";
import { PgsqlLeaseStore4 } from "../dhcpsrv/leases/pgsql-lease-store4.ts";
import { pgsqlReclaimer4 } from "../dhcpsrv/leases/pgsql-reclaim4.ts";
import { LeaseReclaimer, type ReclaimTarget } from "../dhcpsrv/leases/reclaimer.ts";
import type { Dhcp4Hooks } from "./hook-points.ts";
import type { Dhcp4Stats } from "./stats4.ts";

/** What a reclaimer works on: the store, the hook points, the statistics, the settings. */
export interface Reclaimer4Deps {
  leases: LeaseStore4;
  hooks: HooksManager;
  hookIdx: Dhcp4Hooks;
  stats: Dhcp4Stats;
  log: Logger;
  config: ExpiredLeasesProcessing;
}

export class Reclaimer4 extends LeaseReclaimer<Lease4> {
  constructor(deps: Reclaimer4Deps) {
    const { leases, hooks, hookIdx, stats, log, config } = deps;
    const local: ReclaimTarget<Lease4> = {
      getExpired: (now, max) => leases.getExpiredLeases4(now, max),
      remove: (l) => void leases.deleteLease4(l),
      update: (l) => leases.updateLease4(l),
      clone: (l) => l.clone(),
      flush: () => leases.flush(),
      deleteExpiredReclaimed: (now, secs) => leases.deleteExpiredReclaimedLeases4(now, secs),
      leaseReclaimed: (l, declined) => stats.leaseReclaimed(l, declined),
    };
    // A PostgreSQL lease database, maybe shared with other servers: each cycle claims its leases
    // in the table (row locks that skip the other servers' claims).
    const target =
      leases instanceof PgsqlLeaseStore4 ? pgsqlReclaimer4(leases, log).target(local) : local;
    const points = {
      expire: hookIdx.lease4_expire,
      recover: hookIdx.lease4_recover,
      leaseArgument: "lease4",
      family: "V4",
    } as const;
    super(target, hooks, points, log, config);
  }
}
