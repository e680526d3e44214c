/**
 * The answer of `stat-leaseN-get`: which subnets (Kea's selection modes and their checks), and
 * one row per subnet in id order: its totals and cumulative counters from the statistics, its
 * assigned and declined leases counted from the lease store (state default and declined), as
 * Kea's lease statistics query counts them.
 */
import type { ControlAnswer, JsonObject, JsonValue, StatsManager } from "nestor/hooks";
import type { Dhcp4ServerAccess } from "nestor/dhcp4";
import type { Dhcp6ServerAccess } from "nestor/dhcp6";

export type Family = { v: 4; server: Dhcp4ServerAccess } | { v: 6; server: Dhcp6ServerAccess };

/** A malformed request: answered with result 1 and its text. */
export class StatsQueryError extends Error {}

/** Which subnets a request selects. */
export type Selection =
  { mode: "all" } | { mode: "one"; id: number } | { mode: "range"; first: number; last: number };

function isMap(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isInteger(v: JsonValue | undefined): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

function bad(text: string): never {
  throw new StatsQueryError(text);
}

/** The selection of a request's arguments, checked as Kea checks them. */
export function selection(args: JsonValue | undefined): Selection {
  if (args === undefined) return { mode: "all" };
  if (!isMap(args)) bad("'arguments' parameter is not a map");
  let sel: Selection = { mode: "all" };
  if (Object.hasOwn(args, "subnet-id")) {
    const v = args["subnet-id"];
    if (!isInteger(v)) bad("'subnet-id' parameter is not integer");
    if (v <= 0) bad("'subnet-id' parameter must be > 0");
    sel = { mode: "one", id: v };
  }
  if (Object.hasOwn(args, "subnet-range")) {
    if (sel.mode === "one") bad("cannot specify both subnet-id and subnet-range");
    const range = args["subnet-range"];
    if (!isMap(range)) bad("subnet-range parameter is not a map");
    const first = range["first-subnet-id"];
    if (!isInteger(first)) bad("'first-subnet-id' parameter missing or not an integer");
    if (first <= 0) bad("'first-subnet-id' parameter must be > 0");
    const last = range["last-subnet-id"];
    if (!isInteger(last)) bad("'last-subnet-id' parameter missing or not an integer");
    if (last <= 0) bad("'last-subnet-id' parameter must be > 0");
    if (last < first) bad("'last-subnet-id' must be greater than 'first-subnet-id'");
    sel = { mode: "range", first, last };
  }
  return sel;
}

function selectionText(sel: Selection): string {
  if (sel.mode === "all") return "[all subnets]";
  if (sel.mode === "one") return `[subnet-id=${sel.id}]`;
  return `[subnets ${sel.first} through ${sel.last}]`;
}

/** The subnet ids selected, in order; a text saying why when there are none. */
function selectedIds(ids: number[], sel: Selection): number[] | string {
  if (sel.mode === "all") return ids;
  if (sel.mode === "one") {
    return ids.includes(sel.id) ? [sel.id] : `subnet-id: ${sel.id} does not exist`;
  }
  const inRange = ids.filter((id) => id >= sel.first && id <= sel.last);
  if (inRange.length > 0) return inRange;
  return `selected ID range: ${sel.first} through ${sel.last} includes no known subnets`;
}

/** Kea's timestamp: UTC, "YYYY-MM-DD HH:MM:SS.ffffff". */
export function timestamp(d = new Date()): string {
  const iso = d.toISOString(); // 2026-12-06T17:25:06.105Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}000`;
}

function statValue(stats: StatsManager, id: number, name: string): number {
  const v = stats.get(`subnet[${id}].${name}`)?.value;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return Number(v);
  return 0;
}

const COLUMNS4 = [
  "subnet-id",
  "total-addresses",
  "cumulative-assigned-addresses",
  "assigned-addresses",
  "declined-addresses",
];

const COLUMNS6 = [
  "subnet-id",
  "total-nas",
  "cumulative-assigned-nas",
  "assigned-nas",
  "declined-nas",
  "total-pds",
  "cumulative-assigned-pds",
  "assigned-pds",
];

const DEFAULT = 0;
const DECLINED = 1;
const IA_NA = 0;
const IA_PD = 2;

function row(f: Family, stats: StatsManager, id: number): number[] {
  if (f.v === 4) {
    const leases = f.server.leases;
    return [
      id,
      statValue(stats, id, "total-addresses"),
      statValue(stats, id, "cumulative-assigned-addresses"),
      leases.countLeases4(id, DEFAULT),
      leases.countLeases4(id, DECLINED),
    ];
  }
  const leases = f.server.leases;
  return [
    id,
    statValue(stats, id, "total-nas"),
    statValue(stats, id, "cumulative-assigned-nas"),
    leases.countLeases6(id, IA_NA, DEFAULT),
    leases.countLeases6(id, IA_NA, DECLINED),
    statValue(stats, id, "total-pds"),
    statValue(stats, id, "cumulative-assigned-pds"),
    leases.countLeases6(id, IA_PD, DEFAULT),
  ];
}

/** The answer to `stat-leaseN-get` with these arguments. */
export function leaseStats(
  f: Family,
  stats: StatsManager,
  args: JsonValue | undefined,
): ControlAnswer {
  const sel = selection(args);
  const command = `stat-lease${f.v}-get${selectionText(sel)}`;
  const ids = f.server.subnets.map((s) => s.id).sort((a, b) => a - b);
  const chosen = selectedIds(ids, sel);
  if (typeof chosen === "string") {
    return { result: 3, text: `${command}: no matching data, ${chosen}`, arguments: {} };
  }
  const rows = chosen.map((id) => row(f, stats, id));
  return {
    result: 0,
    text: `${command}: ${rows.length} rows found`,
    arguments: {
      "result-set": {
        columns: f.v === 4 ? COLUMNS4 : COLUMNS6,
        rows,
        timestamp: timestamp(),
      },
    },
  };
}
