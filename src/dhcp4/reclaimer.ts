/**
 * Reclamation of expired leases, as `expired-leases-processing` configures it
 * (../shared/reference/arm-lease-expiration.rst):
 *
 * - every `reclaim-timer-wait-time` seconds, at most `max-reclaim-leases` expired leases (0 = all)
 *   and at most `max-reclaim-time` milliseconds (0 = unbounded) are reclaimed:
 *   a declined lease whose probation ended goes through lease4_recover (SKIP: kept as it is);
 *   any other goes through lease4_expire (SKIP: the callout reclaimed it, the server does
 *   nothing more); then the lease is removed when `flush-reclaimed-timer-wait-time` is 0
 *   (`remove_lease`), else kept in state expired-reclaimed with its name and DNS flags cleared;
 * - every `flush-reclaimed-timer-wait-time` seconds, expired-reclaimed leases older than
 *   `hold-reclaimed-time` are removed;
 * - after `unwarned-reclaim-cycles` cycles that left expired leases behind, a warning says so.
 *
 * One callout handle serves a whole cycle's lease4_expire calls (as in Kea); lease4_recover gets
 * one per lease.
 */
import type { HooksManager } from "../hooks/hooks-manager.ts";
import { NextStep } from "../hooks/next-step.ts";
import { defineMessages, type Logger } from "../log/logger.ts";
import type { ExpiredLeasesProcessing } from "../dhcpsrv/config/types.ts";
import { LeaseState, type Lease4 } from "../dhcpsrv/lease.ts";
import type { LeaseStore4 } from "../dhcpsrv/lease-store.ts";
import type { Dhcp4Hooks } from "./hook-points.ts";
import type { Dhcp4Stats } from "./stats4.ts";

defineMessages({
  ALLOC_ENGINE_V4_LEASES_RECLAMATION_COMPLETE: "reclaimed %1 leases in %2 ms",
  ALLOC_ENGINE_V4_LEASES_RECLAMATION_SLOW:
    "expired leases still exist after %1 reclamation cycles: increase max-reclaim-leases or max-reclaim-time",
  ALLOC_ENGINE_V4_RECLAIMED_LEASES_DELETE_COMPLETE: "removed %1 expired-reclaimed leases",
  ALLOC_ENGINE_V4_DECLINED_RECOVERED: "address %1 was recovered after %2 seconds of probation",
});

export class Reclaimer4 {
  private readonly leases: LeaseStore4;
  private readonly hooks: HooksManager;
  private readonly H: Dhcp4Hooks;
  private readonly stats: Dhcp4Stats;
  private readonly log: Logger;
  private config: ExpiredLeasesProcessing;
  private reclaimTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private incompleteCycles = 0;
  private running: Promise<number> | null = null;

  constructor(
    leases: LeaseStore4,
    hooks: HooksManager,
    hookIdx: Dhcp4Hooks,
    stats: Dhcp4Stats,
    log: Logger,
    config: ExpiredLeasesProcessing,
  ) {
    this.leases = leases;
    this.hooks = hooks;
    this.H = hookIdx;
    this.stats = stats;
    this.log = log;
    this.config = config;
  }

  /** (Re)starts the timers with this configuration. */
  start(config: ExpiredLeasesProcessing): void {
    this.stop();
    this.config = config;
    const reclaim = config["reclaim-timer-wait-time"];
    if (reclaim > 0) {
      this.reclaimTimer = setInterval(() => void this.reclaimOnce(), reclaim * 1000);
      this.reclaimTimer.unref();
    }
    const flush = config["flush-reclaimed-timer-wait-time"];
    if (flush > 0) {
      this.flushTimer = setInterval(() => this.flushReclaimed(), flush * 1000);
      this.flushTimer.unref();
    }
  }

  stop(): void {
    if (this.reclaimTimer !== null) clearInterval(this.reclaimTimer);
    if (this.flushTimer !== null) clearInterval(this.flushTimer);
    this.reclaimTimer = null;
    this.flushTimer = null;
  }

  /**
   * One reclamation cycle; resolves with the number of leases reclaimed. A cycle still running
   * when the next is due is not started twice. `removeAll` overrides the configuration (the
   * leases-reclaim command's `remove` argument).
   */
  reclaimOnce(limits?: {
    maxLeases?: number;
    maxTimeMs?: number;
    remove?: boolean;
  }): Promise<number> {
    this.running ??= this.cycle(limits).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async cycle(limits?: {
    maxLeases?: number;
    maxTimeMs?: number;
    remove?: boolean;
  }): Promise<number> {
    const c = this.config;
    const started = performance.now();
    const now = Math.floor(Date.now() / 1000);
    const max = limits?.maxLeases ?? c["max-reclaim-leases"];
    const maxTime = limits?.maxTimeMs ?? c["max-reclaim-time"];
    const remove = limits?.remove ?? c["flush-reclaimed-timer-wait-time"] === 0;
    const expired = this.leases.getExpiredLeases4(now, max);
    const gen = this.hooks.callouts;
    const handle = gen.calloutsPresent(this.H.lease4_expire) ? gen.createCalloutHandle() : null;
    let done = 0;
    try {
      for (const lease of expired) {
        if (maxTime > 0 && performance.now() - started > maxTime) break;
        const r =
          lease.state === LeaseState.DECLINED
            ? this.recover(lease, now, remove)
            : this.expire(lease, remove, handle);
        if ((r instanceof Promise ? await r : r) === true) done++;
      }
    } finally {
      await handle?.release();
      this.leases.flush();
    }
    this.incompleteCycles =
      done < expired.length || expired.length === max ? this.incompleteCycles + 1 : 0;
    if (
      max > 0 &&
      this.incompleteCycles >= c["unwarned-reclaim-cycles"] &&
      c["unwarned-reclaim-cycles"] > 0
    ) {
      this.log.warn("ALLOC_ENGINE_V4_LEASES_RECLAMATION_SLOW", this.incompleteCycles);
      this.incompleteCycles = 0;
    }
    this.log.debug(
      40,
      "ALLOC_ENGINE_V4_LEASES_RECLAMATION_COMPLETE",
      done,
      (performance.now() - started).toFixed(1),
    );
    return done;
  }

  // lease4_expire: SKIP = the callout reclaimed the lease; the server does nothing more.
  private expire(
    lease: Lease4,
    remove: boolean,
    handle: ReturnType<HooksManager["createCalloutHandle"]> | null,
  ): boolean | Promise<boolean> {
    if (handle === null) return this.reclaim(lease, remove, false);
    handle.prepare();
    handle.setArgument("lease4", lease);
    handle.setArgument("remove_lease", remove);
    const p = handle.manager.callCallouts(this.H.lease4_expire, handle);
    const after = (): boolean =>
      handle.getStatus() === NextStep.SKIP ? false : this.reclaim(lease, remove, false);
    return p === undefined ? after() : p.then(after);
  }

  // lease4_recover: SKIP = recovery skipped, the declined lease is kept as it is.
  private recover(lease: Lease4, now: number, remove: boolean): boolean | Promise<boolean> {
    const gen = this.hooks.callouts;
    const after = (status: number): boolean => {
      if (status === NextStep.SKIP) return false;
      this.log.info("ALLOC_ENGINE_V4_DECLINED_RECOVERED", lease.address, now - lease.cltt);
      return this.reclaim(lease, remove, true);
    };
    if (!gen.calloutsPresent(this.H.lease4_recover)) return after(NextStep.CONTINUE);
    const handle = gen.createCalloutHandle();
    handle.setArgument("lease4", lease);
    const p = gen.callCallouts(this.H.lease4_recover, handle);
    const finish = (): boolean => {
      const status = handle.getStatus();
      void handle.release();
      return after(status);
    };
    return p === undefined ? finish() : p.then(finish);
  }

  private reclaim(lease: Lease4, remove: boolean, wasDeclined: boolean): boolean {
    if (remove) {
      this.leases.deleteLease4(lease);
    } else {
      const reclaimed = lease.clone();
      reclaimed.state = LeaseState.EXPIRED_RECLAIMED;
      reclaimed.hostname = "";
      reclaimed.fqdnFwd = false;
      reclaimed.fqdnRev = false;
      this.leases.updateLease4(reclaimed);
    }
    this.stats.leaseReclaimed(lease, wasDeclined);
    return true;
  }

  /** Removes expired-reclaimed leases older than hold-reclaimed-time. */
  flushReclaimed(): number {
    const n = this.leases.deleteExpiredReclaimedLeases4(
      Math.floor(Date.now() / 1000),
      this.config["hold-reclaimed-time"],
    );
    if (n > 0) {
      this.leases.flush();
      this.log.debug(40, "ALLOC_ENGINE_V4_RECLAIMED_LEASES_DELETE_COMPLETE", n);
    }
    return n;
  }
}
