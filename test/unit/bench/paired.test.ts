/**
 * The CPU rounds of bench:dhcp4 / bench:dhcp6 (bench/lib/paired.ts): servers alternate from round
 * to round, ratios are paired within a round, their median and spread are what is reported, and a
 * round whose server did not answer every query is rejected rather than averaged.
 */
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  fewestPairs,
  formatSpread,
  median,
  pairedRatios,
  repliesUnread,
  roundOrder,
  runProblems,
  spreadOf,
  type Round,
  type RunCounts,
} from "../../../bench/lib/paired.ts";
import type { ServerSummary } from "../../../bench/lib/summaries.ts";
import { targetRows } from "../../../bench/lib/targets-table.ts";

test("servers alternate order from one round to the next, and every server takes every place", () => {
  const s = ["Kea", "Nestor", "Nestor+callouts"];
  assert.deepEqual(roundOrder(s, 0), ["Kea", "Nestor", "Nestor+callouts"]);
  assert.deepEqual(roundOrder(s, 1), ["Nestor+callouts", "Nestor", "Kea"]);
  assert.deepEqual(roundOrder(s, 2), ["Nestor", "Nestor+callouts", "Kea"]);
  assert.deepEqual(roundOrder(s, 3), ["Kea", "Nestor+callouts", "Nestor"]);
  assert.deepEqual(s, ["Kea", "Nestor", "Nestor+callouts"], "the list given is not reordered");
  for (const servers of [["A", "B"], s, ["A", "B", "C", "D"]]) {
    const n = servers.length;
    const orders = Array.from({ length: 2 * n }, (_, r) => roundOrder(servers, r));
    for (const name of servers) {
      // every place equally often over 2n rounds
      const places = orders.map((o) => o.indexOf(name)).sort((a, b) => a - b);
      const expected = Array.from({ length: n }, (_, i) => [i, i]).flat();
      assert.deepEqual(places, expected, `${name}'s places among ${n}`);
      // before and after each other server equally often, in every two rounds
      for (const other of servers) {
        if (other === name) continue;
        for (let r = 0; r < 2 * n; r += 2) {
          const before = [orders[r]!, orders[r + 1]!].filter(
            (o) => o.indexOf(name) < o.indexOf(other),
          ).length;
          assert.equal(before, 1, `${name} before ${other} in rounds ${r + 1}-${r + 2}`);
        }
      }
    }
  }
});

test("ratios are paired within each round, not taken between medians", () => {
  // The machine slows down over the run: each server's figure drifts by 30 % while the ratio
  // within each round stays 1.02. The ratio of the medians shows the drift, the pairs do not.
  const rounds: Round[] = [
    { Nestor: 0.05, "Nestor+callouts": 0.051 },
    { Nestor: 0.06, "Nestor+callouts": 0.0612 },
    { Nestor: 0.065, "Nestor+callouts": 0.0663 },
    { "Nestor+callouts": 0.1 }, // Nestor's run of this round is missing: no pair
  ];
  const ratios = pairedRatios(rounds, "Nestor+callouts", "Nestor");
  assert.equal(ratios.length, 3);
  for (const r of ratios) assert.ok(Math.abs(r - 1.02) < 1e-9, String(r));
  const medianOfRatio =
    median(rounds.map((r) => r["Nestor+callouts"]!)) /
    median(rounds.flatMap((r) => (r.Nestor === undefined ? [] : [r.Nestor])));
  assert.ok(medianOfRatio > 1.05, "the unpaired ratio is blurred by the drift");
  assert.deepEqual(pairedRatios([{ Nestor: 1, Kea: 0 }], "Nestor", "Kea"), [], "no ratio to zero");
});

test("a pair counts the rounds where both its runs were clean; rounds go on for the fewest", () => {
  // Kea's run of round 2 was left out for drops: Nestor/Kea has 2 pairs, callouts/Nestor 3.
  const rounds: Round[] = [
    { Kea: 0.08, Nestor: 0.04, "Nestor+callouts": 0.041 },
    { Nestor: 0.041, "Nestor+callouts": 0.042 },
    { Kea: 0.079, Nestor: 0.04, "Nestor+callouts": 0.0405 },
  ];
  const pairs: [string, string][] = [
    ["Nestor", "Kea"],
    ["Nestor+callouts", "Nestor"],
  ];
  assert.equal(pairedRatios(rounds, "Nestor", "Kea").length, 2);
  assert.equal(pairedRatios(rounds, "Nestor+callouts", "Nestor").length, 3);
  assert.equal(fewestPairs(rounds, pairs), 2);
  assert.equal(fewestPairs([], pairs), 0);
});

test("median and spread of paired ratios: range, interquartile range, counts", () => {
  const s = spreadOf([1.1, 0.9, 1.0, 1.02, 0.98]);
  assert.equal(s.n, 5);
  assert.equal(s.median, 1.0);
  assert.equal(s.min, 0.9);
  assert.equal(s.max, 1.1);
  assert.ok(Math.abs(s.q1 - 0.98) < 1e-12);
  assert.ok(Math.abs(s.q3 - 1.02) < 1e-12);
  assert.ok(Math.abs(s.range - 0.2) < 1e-12);
  assert.ok(Math.abs(s.iqr - 0.04) < 1e-12);
  assert.equal(median([4, 1, 3, 2]), 2.5, "an even count takes the middle two");
  assert.equal(formatSpread(s), "1.00 (0.90-1.10, IQR 0.98-1.02, range 20.0 %, 5 rounds)");
  assert.equal(spreadOf([]).n, 0);
  assert.equal(formatSpread(spreadOf([])), "no clean round");
  assert.equal(spreadOf([1.03]).range, 0);
});

/** A clean v4 run at 4,000/s for 3 s, as perfdhcp and the server counted it. */
function counts(o: Partial<RunCounts> = {}, server: Partial<RunCounts["server"]> = {}): RunCounts {
  return {
    ...{ asked: 12_000, started: 12_000, firstReplies: 11_998, requestsSent: 11_998 },
    completed: 11_995,
    server: { received: 23_998, firstSent: 12_000, doneSent: 11_998, ...server },
    rcvbufDrops: { server: 0, client: 0 },
    ...o,
  };
}

test("a run is clean when the server received and answered every query", () => {
  assert.deepEqual(runProblems(counts()), []);
  // Replies perfdhcp did not read (in flight at its end, or dropped at its own socket) cost the
  // server the same: counted, accepted up to 5 % of the exchanges.
  const unread = counts({ completed: 11_500, rcvbufDrops: { server: 0, client: 480 } });
  assert.equal(repliesUnread(unread), 500);
  assert.deepEqual(runProblems(unread), []);
});

test("a run with drops, unanswered queries or missing statistics is rejected, with the reason", () => {
  assert.match(
    runProblems(counts({}, { received: 23_990 })).join(),
    /server received 23990 queries, perfdhcp sent 23998/,
  );
  assert.match(
    runProblems(counts({}, { firstSent: 11_990, received: 23_998 })).join(),
    /server left 10 first messages unanswered/,
  );
  assert.match(
    runProblems(counts({}, { doneSent: 11_000 })).join(),
    /server left 998 REQUESTs unanswered/,
  );
  assert.match(
    runProblems(counts({ rcvbufDrops: { server: 3, client: 0 } })).join(),
    /the server's receive buffer dropped 3 queries/,
  );
  assert.match(
    runProblems(counts({ completed: 11_300 })).join(),
    /700 replies never read by perfdhcp \(over 5 %\)/,
  );
  assert.match(
    runProblems(
      counts(
        { started: 11_000, requestsSent: 10_998 },
        { received: 21_998, firstSent: 11_000, doneSent: 10_998 },
      ),
    ).join(),
    /perfdhcp started 11000 of 12000 exchanges/,
  );
  assert.deepEqual(runProblems(counts({ server: null })), ["server statistics unreadable"]);
});

test("bench:targets judges the CPU ratios on the median of the paired ratios when given", () => {
  const paired = (ratios: number[]) => ({ ratios, ...spreadOf(ratios) });
  const dhcp6: ServerSummary = {
    kind: "server",
    family: 6,
    date: "2026-12-07T00:00:00.000Z",
    fixedRate: 4000,
    maxRate: {},
    // The medians alone would give 0.05 / 0.1 = 0.5 (met) and 0.053 / 0.05 = 1.06 (not met).
    cpuPer1000: { Kea: 0.1, Nestor: 0.05, "Nestor+callouts": 0.053 },
    paired: {
      "Nestor/Kea": paired([0.52, 0.55, 0.51]),
      "Nestor+callouts/Nestor": paired([1.01, 1.03, 1.02, 0.99, 1.04]),
    },
  };
  const rows = targetRows({ dhcp6 });
  const cpu = rows.find((r) => r.target.startsWith("v6 server CPU"))!;
  assert.equal(cpu.ratio, 0.52);
  assert.equal(cpu.verdict, "not met");
  assert.equal(cpu.note, "paired in 3 rounds: 0.51-0.55, IQR 0.52-0.54");
  const hooks = rows.find((r) => r.target.startsWith("v6 CPU with a sync callout"))!;
  assert.equal(hooks.ratio, 1.02);
  assert.equal(hooks.verdict, "met");
  assert.match(hooks.note, /^paired in 5 rounds: 0\.99-1\.04/);
});
