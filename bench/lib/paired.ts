/**
 * The pure part of the CPU rounds of bench:dhcp4 / bench:dhcp6 (bench/lib/server-bench.ts): which
 * rounds are clean, the ratio of two servers within each round, and the median and spread of
 * those paired ratios.
 *
 * A round runs each server once at the same fixed rate, one right after the other, in alternating
 * order (Kea, Nestor, Nestor+callouts, then Nestor+callouts, Nestor, Kea...), so that whatever
 * else the machine does drifts over a pair far less than over the whole run. A ratio is taken
 * only between two servers of the same round (a pair), and the figure reported is the median of
 * those paired ratios with their spread: never the ratio of two medians, which mixes rounds run
 * minutes apart.
 *
 * A run counts only when its server received and answered every query perfdhcp sent
 * (its own statistics over the run against perfdhcp's counts, and no datagram dropped at its
 * socket) and perfdhcp kept up with its rate: a server that lost queries spent its CPU on fewer
 * of them, in larger batches, and its CPU per exchange is not the one asked for: such a run is
 * left out of its round (a pair counts only the rounds where both its runs are clean), and rounds
 * go on until each pair has enough, instead of averaging it in. Replies the server sent that
 * perfdhcp did not read (those in flight when it stops listening, or dropped at its own socket
 * when the machine is busy) change nothing of the server's work and are only counted, up to
 * CLIENT_LOSS of the exchanges; CPU per exchange divides by the queries the server received (two
 * an exchange).
 */

/** What one measured run of one server gave, for judging whether it was clean. */
export interface RunCounts {
  /** Exchanges perfdhcp was asked for (rate × seconds). */
  asked: number;
  /** perfdhcp's counts: first messages sent (DISCOVER / SOLICIT), first replies received
   *  (OFFER / ADVERTISE), REQUESTs sent, last replies received (ACK / REPLY). */
  started: number;
  firstReplies: number;
  requestsSent: number;
  completed: number;
  /**
   * The server's statistics over the same run (differences of pktN-received, of the OFFER /
   * ADVERTISE counter and of the ACK / REPLY counter), or null when they could not be read.
   */
  server: { received: number; firstSent: number; doneSent: number } | null;
  /** Datagrams the kernel dropped at a full receive buffer: the server's and perfdhcp's. */
  rcvbufDrops: { server: number; client: number };
}

/** perfdhcp must have started at least this share of the exchanges asked for. */
export const KEPT_UP = 0.97;

/** Replies sent but not read by perfdhcp: past this share of the exchanges asked for, the
 *  round is rejected too (perfdhcp, not the server, was the bottleneck). */
export const CLIENT_LOSS = 0.05;

/** Why a run is not clean (empty when it is): every query received and answered. */
export function runProblems(c: RunCounts): string[] {
  const out: string[] = [];
  if (c.started < KEPT_UP * c.asked) {
    out.push(`perfdhcp started ${c.started} of ${c.asked} exchanges (fell behind its rate)`);
  }
  if (c.rcvbufDrops.server > 0) {
    out.push(`the server's receive buffer dropped ${c.rcvbufDrops.server} queries`);
  }
  const s = c.server;
  if (s === null) {
    out.push("server statistics unreadable");
    return out;
  }
  const sent = c.started + c.requestsSent;
  if (s.received !== sent) {
    out.push(`server received ${s.received} queries, perfdhcp sent ${sent}`);
  }
  if (s.firstSent < c.started) {
    out.push(`server left ${c.started - s.firstSent} first messages unanswered`);
  }
  if (s.doneSent < c.requestsSent) {
    out.push(`server left ${c.requestsSent - s.doneSent} REQUESTs unanswered`);
  }
  const unread = repliesUnread(c);
  if (unread > CLIENT_LOSS * c.asked) {
    out.push(`${unread} replies never read by perfdhcp (over ${CLIENT_LOSS * 100} %)`);
  }
  return out;
}

/** Replies the server sent that perfdhcp did not read (0 without the server's statistics). */
export function repliesUnread(c: RunCounts): number {
  if (c.server === null) return 0;
  return c.server.firstSent - c.firstReplies + (c.server.doneSent - c.completed);
}

/** One round: each server's figure (e.g. CPU seconds per 1,000 exchanges). */
export type Round = Readonly<Record<string, number>>;

/** The ratio a / b within each round that measured both (in round order). */
export function pairedRatios(rounds: readonly Round[], a: string, b: string): number[] {
  const out: number[] = [];
  for (const r of rounds) {
    const x = r[a];
    const y = r[b];
    if (x === undefined || y === undefined || !(y > 0) || !Number.isFinite(x)) continue;
    out.push(x / y);
  }
  return out;
}

/** Of the pairs of servers, the fewest rounds in which both runs of a pair were clean. */
export function fewestPairs(rounds: readonly Round[], pairs: readonly [string, string][]): number {
  return Math.min(...pairs.map(([a, b]) => pairedRatios(rounds, a, b).length));
}

/** The value at fraction q (0..1) of sorted values, interpolating linearly between ranks. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(xs: readonly number[]): number {
  return quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
}

/** Median and spread of a set of figures (paired ratios, or one server's figures). */
export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
  /** Interquartile range: the middle half of the figures. */
  q1: number;
  q3: number;
  /** (max - min) / median, and (q3 - q1) / median: the spread as a share of the figure. */
  range: number;
  iqr: number;
}

export function spreadOf(xs: readonly number[]): Spread {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const m = quantile(s, 0.5);
  const q1 = quantile(s, 0.25);
  const q3 = quantile(s, 0.75);
  const min = s.length === 0 ? NaN : s[0]!;
  const max = s.length === 0 ? NaN : s[s.length - 1]!;
  return {
    n: s.length,
    ...{ median: m, min, max, q1, q3 },
    range: m > 0 ? (max - min) / m : NaN,
    iqr: m > 0 ? (q3 - q1) / m : NaN,
  };
}

/** "1.02 (0.99-1.04, IQR 1.01-1.03, range 5 %, 5 rounds)" */
export function formatSpread(s: Spread, digits = 2): string {
  if (s.n === 0) return "no clean round";
  const f = (x: number) => x.toFixed(digits);
  return (
    `${f(s.median)} (${f(s.min)}-${f(s.max)}, IQR ${f(s.q1)}-${f(s.q3)}, ` +
    `range ${(s.range * 100).toFixed(1)} %, ${s.n} round${s.n === 1 ? "" : "s"})`
  );
}

/**
 * The order of the servers in round `r` (from 0): a rotation of the list, as it is in even rounds
 * and reversed in odd ones, the rotation moving on by one every two rounds. Each server is as
 * often before as after each other one (a steady drift cancels in the pairs), and over 2n rounds
 * each of n servers takes every place equally often. Reversal alone kept the middle one of three
 * in the middle in every round, so whatever a place costs more or less than the others was
 * charged to that server alone.
 */
export function roundOrder<T>(servers: readonly T[], r: number): T[] {
  const n = servers.length;
  const k = n === 0 ? 0 : Math.floor(r / 2) % n;
  const rotated = [...servers.slice(k), ...servers.slice(0, k)];
  return r % 2 === 0 ? rotated : rotated.reverse();
}
