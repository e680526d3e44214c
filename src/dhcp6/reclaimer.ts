/**
 * Reclamation of expired DHCPv6 leases (addresses and prefixes): the shared cycle
 * (src/dhcpsrv/leases/reclaimer.ts) on the v6 lease store, with the hook points lease6_expire
 * (SKIP: the callout reclaimed the lease; `remove_lease` true when
 * flush-reclaimed-timer-wait-time is 0) and lease6_recover (SKIP: the declined lease is kept).
 */
import type { HooksManager } from "../hooks/hooks-manager.ts";
import type { Logger } from "../log/logger.ts";
import type { ExpiredLeasesProcessing } from "../dhcpsrv/config/types.ts";
import type { Lease6 } from "../dhcpsrv/leases/lease6.ts";
import type { LeaseStore6 } from "../dhcpsrv/leases/lease-store6.ts";
import { PgsqlLeaseStore6 } from "../dhcpsrv/leases/pgsql-lease-store6.ts";
import { pgsqlReclaimer6 } from "../dhcpsrv/leases/pgsql-reclaim6.ts";
import { LeaseReclaimer, type ReclaimTarget } from "../dhcpsrv/leases/reclaimer.ts";
import type { Dhcp6Hooks } from "./hook-points.ts";
import type { Dhcp6Stats } from "./stats6.ts";

/** What a reclaimer works on: the store, the hook points, the statistics, the settings. */
export interface Reclaimer6Deps {
  leases: LeaseStore6;
  hooks: HooksManager;
  hookIdx: Dhcp6Hooks;
  stats: Dhcp6Stats;
  log: Logger;
  config: ExpiredLeasesProcessing;
}

export class Reclaimer6 extends LeaseReclaimer<Lease6> {
  constructor(deps: Reclaimer6Deps) {
    const { leases, hooks, hookIdx, stats, log, config } = deps;
    const local: ReclaimTarget<Lease6> = {
      getExpired: (now, max) => leases.getExpiredLeases6(now, max),
      remove: (l) => void leases.deleteLease6(l),
      update: (l) => leases.updateLease6(l),
      clone: (l) => l.clone(),
      flush: () => leases.flush(),
      deleteExpiredReclaimed: (now, secs) => leases.deleteExpiredReclaimedLeases6(now, secs),
      leaseReclaimed: (l, declined) => stats.leaseReclaimed(l, declined),
    };
    // A PostgreSQL lease database, maybe shared with other servers: each cycle claims its leases
    // in the table (row locks that skip the other servers' claims).
    const target =
      leases instanceof PgsqlLeaseStore6 ? pgsqlReclaimer6(leases, log).target(local) : local;
    const points = {
      expire: hookIdx.lease6_expire,
      recover: hookIdx.lease6_recover,
      leaseArgument: "lease6",
      family: "V6",
    } as const;
    super(target, hooks, points, log, config);
  }
}
