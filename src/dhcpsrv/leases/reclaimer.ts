/**
 * Reclamation of expired leases, for both servers, as `expired-leases-processing` configures it
 * (../shared/reference/arm-lease-expiration.rst):
 *
 * - every `reclaim-timer-wait-time` seconds, at most `max-reclaim-leases` expired leases (0 = all)
 *   and at most `max-reclaim-time` milliseconds (0 = unbounded) are reclaimed:
 *   every one goes through lease{4,6}_expire (SKIP: the callout reclaimed it, the server does
 *   nothing more); a declined lease whose probation ended then goes through lease{4,6}_recover
 *   (SKIP: kept as it is); then the lease is removed when `flush-reclaimed-timer-wait-time` is 0
 *   (`remove_lease`), else kept in state expired-reclaimed with its name and DNS flags cleared;
 * - every `flush-reclaimed-timer-wait-time` seconds, expired-reclaimed leases older than
 *   `hold-reclaimed-time` are removed;
 * - after `unwarned-reclaim-cycles` cycles that left expired leases behind, a warning says so.
 *
 * One callout handle serves a whole cycle's expire calls (as in Kea); recover gets one per lease.
 * The lease store and the statistics are reached through a small adapter (ReclaimTarget), so the
 * same cycle serves Lease4 and Lease6.
 */
import type { HooksManager } from "../../hooks/hooks-manager.ts";
import { NextStep } from "../../hooks/next-step.ts";
import { defineMessages, type Logger } from "../../log/logger.ts";
import type { ExpiredLeasesProcessing } from "../config/types.ts";
import { LeaseState } from "./lease4.ts";

for (const v of ["V4", "V6"]) {
  defineMessages({
    [`ALLOC_ENGINE_${v}_LEASES_RECLAMATION_COMPLETE`]: "reclaimed %1 leases in %2 ms",
    [`ALLOC_ENGINE_${v}_LEASES_RECLAMATION_SLOW`]:
      "expired leases still exist after %1 reclamation cycles: increase max-reclaim-leases or max-reclaim-time",
    [`ALLOC_ENGINE_${v}_RECLAIMED_LEASES_DELETE_COMPLETE`]: "removed %1 expired-reclaimed leases",
    [`ALLOC_ENGINE_${v}_DECLINED_RECOVERED`]:
      "address %1 was recovered after %2 seconds of probation",
  });
}

/** What a reclaimable lease has in both families. */
export interface ReclaimableLease {
  address: string;
  state: number;
  cltt: number;
  hostname: string;
  fqdnFwd: boolean;
  fqdnRev: boolean;
}

/** The lease store and statistics of one family, as the reclaimer uses them. */
export interface ReclaimTarget<L extends ReclaimableLease> {
  /** memfile: from memory; a database shared by several servers: the Promise of a claim. */
  getExpired(now: number, max: number): L[] | Promise<L[]>;
  remove(lease: L): void;
  update(lease: L): void;
  clone(lease: L): L;
  /** memfile: written on return; a database: the Promise of the commit. */
  flush(): void | Promise<unknown>;
  /**
   * A database shared by several servers (pgsql-reclaim4.ts): commits the cycle's claim (its
   * state changes, its row locks released) in place of `flush()` at the end of a cycle.
   */
  commitReclaimed?(): Promise<unknown>;
  /**
   * A database shared by several servers: false when this server changed the lease since the
   * claim (a renewal while earlier leases' callouts ran), which is then left alone.
   */
  stillExpired?(lease: L, now: number): boolean;
  deleteExpiredReclaimed(now: number, secs: number): number;
  leaseReclaimed(lease: L, wasDeclined: boolean): void;
}

/** The family's hook points and names. */
export interface ReclaimPoints {
  expire: number;
  recover: number;
  /** "lease4" or "lease6". */
  leaseArgument: string;
  /** "V4" or "V6", for the message IDs. */
  family: "V4" | "V6";
}

export interface ReclaimLimits {
  maxLeases?: number;
  maxTimeMs?: number;
  remove?: boolean;
}

export class LeaseReclaimer<L extends ReclaimableLease> {
  private readonly target: ReclaimTarget<L>;
  private readonly hooks: HooksManager;
  private readonly points: ReclaimPoints;
  private readonly log: Logger;
  private config: ExpiredLeasesProcessing;
  private reclaimTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private incompleteCycles = 0;
  private running: Promise<number> | null = null;

  constructor(
    target: ReclaimTarget<L>,
    hooks: HooksManager,
    points: ReclaimPoints,
    log: Logger,
    config: ExpiredLeasesProcessing,
  ) {
    this.target = target;
    this.hooks = hooks;
    this.points = points;
    this.log = log;
    this.config = config;
  }

  /** (Re)starts the timers with this configuration. */
  start(config: ExpiredLeasesProcessing): void {
    this.stop();
    this.config = config;
    const reclaim = config["reclaim-timer-wait-time"];
    if (reclaim > 0) {
      this.reclaimTimer = setInterval(reclaimTick, reclaim * 1000, this);
      this.reclaimTimer.unref();
    }
    const flush = config["flush-reclaimed-timer-wait-time"];
    if (flush > 0) {
      this.flushTimer = setInterval(flushTick, flush * 1000, this);
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
   * when the next is due is not started twice. `remove` overrides the configuration (the
   * leases-reclaim command's `remove` argument).
   */
  reclaimOnce(limits?: ReclaimLimits): Promise<number> {
    this.running ??= this.cycle(limits).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async cycle(limits?: ReclaimLimits): Promise<number> {
    const c = this.config;
    const P = this.points;
    const started = performance.now();
    const now = Math.floor(Date.now() / 1000);
    const max = limits?.maxLeases ?? c["max-reclaim-leases"];
    const maxTime = limits?.maxTimeMs ?? c["max-reclaim-time"];
    const remove = limits?.remove ?? c["flush-reclaimed-timer-wait-time"] === 0;
    const got = this.target.getExpired(now, max);
    const expired = got instanceof Promise ? await got : got;
    const gen = this.hooks.callouts;
    const handle = gen.calloutsPresent(P.expire) ? gen.createCalloutHandle() : null;
    let done = 0;
    try {
      for (const lease of expired) {
        if (maxTime > 0 && performance.now() - started > maxTime) break;
        if (this.target.stillExpired?.(lease, now) === false) continue;
        const r = this.expire(lease, now, remove, handle);
        if ((r instanceof Promise ? await r : r) === true) done++;
      }
    } finally {
      await handle?.release();
      // A failed commit keeps its rows queued for the next one (the server's next batch).
      const f = this.target.commitReclaimed?.() ?? this.target.flush();
      if (f instanceof Promise) await f.catch(() => {});
    }
    this.incompleteCycles =
      done < expired.length || expired.length === max ? this.incompleteCycles + 1 : 0;
    if (
      max > 0 &&
      this.incompleteCycles >= c["unwarned-reclaim-cycles"] &&
      c["unwarned-reclaim-cycles"] > 0
    ) {
      this.log.warn(`ALLOC_ENGINE_${P.family}_LEASES_RECLAMATION_SLOW`, this.incompleteCycles);
      this.incompleteCycles = 0;
    }
    this.log.debug(
      40,
      `ALLOC_ENGINE_${P.family}_LEASES_RECLAMATION_COMPLETE`,
      done,
      (performance.now() - started).toFixed(1),
    );
    return done;
  }

  // lease{4,6}_expire: SKIP = the callout reclaimed the lease; the server does nothing more. As in
  // Kea, a declined lease whose probation ended goes through it too, then (unless SKIP) through
  // lease{4,6}_recover.
  private expire(
    lease: L,
    now: number,
    remove: boolean,
    handle: ReturnType<HooksManager["createCalloutHandle"]> | null,
  ): boolean | Promise<boolean> {
    const next = (): boolean | Promise<boolean> =>
      lease.state === LeaseState.DECLINED
        ? this.recover(lease, now)
        : this.reclaim(lease, remove, false);
    if (handle === null) return next();
    handle.prepare();
    handle.setArgument(this.points.leaseArgument, lease);
    handle.setArgument("remove_lease", remove);
    const p = handle.manager.callCallouts(this.points.expire, handle);
    const after = (): boolean | Promise<boolean> =>
      handle.getStatus() === NextStep.SKIP ? false : next();
    return p === undefined ? after() : p.then(after);
  }

  // lease{4,6}_recover: SKIP = recovery skipped, the declined lease is kept as it is.
  private recover(lease: L, now: number): boolean | Promise<boolean> {
    const gen = this.hooks.callouts;
    const after = (status: number): boolean => {
      if (status === NextStep.SKIP) return false;
      this.log.info(
        `ALLOC_ENGINE_${this.points.family}_DECLINED_RECOVERED`,
        lease.address,
        now - lease.cltt,
      );
      // As Kea: a recovered declined lease holds nothing of a client any more and is removed,
      // whatever flush-reclaimed-timer-wait-time says (kept as expired-reclaimed, its row would
      // have neither hardware address nor client-id, which no lease file can hold).
      return this.reclaim(lease, true, true);
    };
    if (!gen.calloutsPresent(this.points.recover)) return after(NextStep.CONTINUE);
    const handle = gen.createCalloutHandle();
    handle.setArgument(this.points.leaseArgument, lease);
    const p = gen.callCallouts(this.points.recover, handle);
    const finish = (): boolean => {
      const status = handle.getStatus();
      void handle.release();
      return after(status);
    };
    return p === undefined ? finish() : p.then(finish);
  }

  private reclaim(lease: L, remove: boolean, wasDeclined: boolean): boolean {
    if (remove) {
      this.target.remove(lease);
    } else {
      const reclaimed = this.target.clone(lease);
      reclaimed.state = LeaseState.EXPIRED_RECLAIMED;
      reclaimed.hostname = "";
      reclaimed.fqdnFwd = false;
      reclaimed.fqdnRev = false;
      this.target.update(reclaimed);
    }
    this.target.leaseReclaimed(lease, wasDeclined);
    return true;
  }

  /** Removes expired-reclaimed leases older than hold-reclaimed-time. */
  flushReclaimed(): number {
    const n = this.target.deleteExpiredReclaimed(
      Math.floor(Date.now() / 1000),
      this.config["hold-reclaimed-time"],
    );
    if (n > 0) {
      const f = this.target.flush();
      if (f instanceof Promise) f.catch(() => {});
      this.log.debug(40, `ALLOC_ENGINE_${this.points.family}_RECLAIMED_LEASES_DELETE_COMPLETE`, n);
    }
    return n;
  }
}

function reclaimTick(r: LeaseReclaimer<ReclaimableLease>): void {
  void r.reclaimOnce();
}

function flushTick(r: LeaseReclaimer<ReclaimableLease>): void {
  r.flushReclaimed();
}
