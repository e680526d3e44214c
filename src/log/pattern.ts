/**
 * Kea's `pattern` output option: log4cplus PatternLayout conversions, compiled once into a list
 * of pieces so that formatting a line is a loop over small closures.
 *
 * Conversions: %d{fmt} (UTC time) and %D{fmt} (local time, both default "%Y-%m-%d %H:%M:%S"),
 * %p severity, %c logger name (%c{n}: its last n components), %i process ID, %t thread ID
 * (the main thread's is the process ID, as on Linux), %h host name, %r milliseconds since the
 * process started, %m the message (ID and text), %n newline, %% a percent sign. Each may carry a
 * format modifier as in log4cplus: `-` to left-align, a minimum width, `.max` to keep at most
 * the last max characters (%-5p, %20c, %.10m). The date formats take strftime's directives listed
 * in Kea's ARM plus %q (milliseconds, 3 digits) and %Q (milliseconds with microseconds, 7
 * characters). Anything else is refused with the directive named, so that a configuration never
 * produces lines other than the ones asked for.
 */
import { hostname } from "node:os";

/** What a pattern can show of one message. */
export interface LogEvent {
  time: Date;
  /** "FATAL", "ERROR", "WARN", "INFO", "DEBUG" */
  severity: string;
  logger: string;
  /** The message ID, "DHCP4_STARTING". */
  id: string;
  /** The text with its arguments in place ("" when the ID has no text). */
  text: string;
  /** ID and text, "DHCP4_STARTING Nestor DHCPv4 server ...": what %m shows. */
  message: string;
}

export type Layout = (e: LogEvent) => string;

/**
 * The default for stdout, stderr and files: Kea 2.2's without its `.%t` (Kea shows the POSIX
 * thread ID of its worker; Nestor's packet path is one thread, the ID would only repeat the
 * process ID). A pattern with %t still gets it.
 */
export const DEFAULT_PATTERN = "%D{%Y-%m-%d %H:%M:%S.%q} %-5p [%c/%i] %m\n";
/** The default for syslog (syslog adds time and process): Kea 2.2's, also without `.%t`. */
export const DEFAULT_SYSLOG_PATTERN = "%-5p [%c] %m\n";

export class PatternError extends Error {}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const p2 = (n: number) => (n < 10 ? `0${n}` : String(n));
const p3 = (n: number) => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n));

/** Broken-down time in UTC or local time. */
interface Tm {
  Y: number;
  mo: number; // 0..11
  d: number;
  H: number;
  M: number;
  S: number;
  ms: number;
  w: number;
}

function tm(t: Date, utc: boolean): Tm {
  return utc
    ? {
        Y: t.getUTCFullYear(),
        mo: t.getUTCMonth(),
        d: t.getUTCDate(),
        H: t.getUTCHours(),
        M: t.getUTCMinutes(),
        S: t.getUTCSeconds(),
        ms: t.getUTCMilliseconds(),
        w: t.getUTCDay(),
      }
    : {
        Y: t.getFullYear(),
        mo: t.getMonth(),
        d: t.getDate(),
        H: t.getHours(),
        M: t.getMinutes(),
        S: t.getSeconds(),
        ms: t.getMilliseconds(),
        w: t.getDay(),
      };
}

function dayOfYear(x: Tm): number {
  return Math.floor((Date.UTC(x.Y, x.mo, x.d) - Date.UTC(x.Y, 0, 1)) / 86400000) + 1;
}

function weekOfYear(x: Tm, firstDay: 0 | 1): number {
  const yday = dayOfYear(x) - 1;
  const wday = (x.w - firstDay + 7) % 7;
  return Math.floor((yday + 7 - wday) / 7);
}

function zoneName(t: Date, utc: boolean): string {
  if (utc) return "UTC";
  const part = new Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
    .formatToParts(t)
    .find((p) => p.type === "timeZoneName");
  return part?.value ?? "";
}

type TmPiece = (x: Tm, t: Date) => string;

function compileDate(fmt: string, utc: boolean, pattern: string): (t: Date) => string {
  const pieces: TmPiece[] = [];
  let lit = "";
  const flush = () => {
    if (lit !== "") {
      const s = lit;
      pieces.push(() => s);
      lit = "";
    }
  };
  for (let i = 0; i < fmt.length; i++) {
    const ch = fmt[i]!;
    if (ch !== "%") {
      lit += ch;
      continue;
    }
    const c = fmt[++i];
    if (c === "%") {
      lit += "%";
      continue;
    }
    flush();
    const piece = DATE_DIRECTIVES[c ?? ""];
    if (piece === undefined)
      throw new PatternError(
        c === undefined
          ? `pattern "${pattern}": the date format "${fmt}" ends with a lone %`
          : `pattern "${pattern}": unsupported date directive %${c} in "${fmt}"`,
      );
    pieces.push(c === "Z" ? (_x, t) => zoneName(t, utc) : piece);
  }
  flush();
  return (t) => {
    const x = tm(t, utc);
    let s = "";
    for (const piece of pieces) s += piece(x, t);
    return s;
  };
}

const DATE_DIRECTIVES: Record<string, TmPiece> = {
  a: (x) => DAYS[x.w]!.slice(0, 3),
  A: (x) => DAYS[x.w]!,
  b: (x) => MONTHS[x.mo]!.slice(0, 3),
  B: (x) => MONTHS[x.mo]!,
  c: (x) =>
    `${DAYS[x.w]!.slice(0, 3)} ${MONTHS[x.mo]!.slice(0, 3)} ${String(x.d).padStart(2)} ` +
    `${p2(x.H)}:${p2(x.M)}:${p2(x.S)} ${x.Y}`,
  d: (x) => p2(x.d),
  H: (x) => p2(x.H),
  I: (x) => p2(x.H % 12 === 0 ? 12 : x.H % 12),
  j: (x) => p3(dayOfYear(x)),
  m: (x) => p2(x.mo + 1),
  M: (x) => p2(x.M),
  p: (x) => (x.H < 12 ? "AM" : "PM"),
  q: (x) => p3(x.ms),
  // Date has millisecond resolution: the microseconds are zero.
  Q: (x) => `${p3(x.ms)}.000`,
  S: (x) => p2(x.S),
  U: (x) => p2(weekOfYear(x, 0)),
  w: (x) => String(x.w),
  W: (x) => p2(weekOfYear(x, 1)),
  x: (x) => `${p2(x.mo + 1)}/${p2(x.d)}/${p2(x.Y % 100)}`,
  X: (x) => `${p2(x.H)}:${p2(x.M)}:${p2(x.S)}`,
  y: (x) => p2(x.Y % 100),
  Y: (x) => String(x.Y),
  Z: () => "",
};

type Piece = (e: LogEvent) => string;

const startedAt = Date.now() - performance.now();

function conversion(c: string, arg: string | undefined, pattern: string): Piece {
  switch (c) {
    case "d":
    case "D": {
      const date = compileDate(arg ?? "%Y-%m-%d %H:%M:%S", c === "d", pattern);
      return (e) => date(e.time);
    }
    case "p":
      return (e) => e.severity;
    case "c": {
      if (arg === undefined) return (e) => e.logger;
      const n = Number(arg);
      if (!Number.isInteger(n) || n < 1)
        throw new PatternError(`pattern "${pattern}": %c{${arg}} needs a positive number`);
      return (e) => e.logger.split(".").slice(-n).join(".");
    }
    case "i":
    case "t": {
      const pid = String(process.pid);
      return () => pid;
    }
    case "h": {
      const host = hostname();
      return () => host;
    }
    case "r":
      return (e) => String(Math.max(0, Math.round(e.time.getTime() - startedAt)));
    case "m":
      return (e) => e.message;
    case "n":
      return () => "\n";
    default:
      throw new PatternError(`pattern "${pattern}": unsupported directive %${c}`);
  }
}

function modify(piece: Piece, left: boolean, min: number, max: number): Piece {
  if (min === 0 && max === 0) return piece;
  return (e) => {
    let s = piece(e);
    if (max > 0 && s.length > max) s = s.slice(s.length - max);
    if (s.length < min) s = left ? s.padEnd(min) : s.padStart(min);
    return s;
  };
}

/** Compiles a pattern, or throws PatternError naming what it cannot do. */
export function compilePattern(pattern: string): Layout {
  const pieces: Piece[] = [];
  let lit = "";
  const flush = () => {
    if (lit !== "") {
      const s = lit;
      pieces.push(() => s);
      lit = "";
    }
  };
  const re = /%(-?)(\d*)(?:\.(\d+))?([A-Za-z%])?(?:\{([^}]*)\})?/y;
  for (let i = 0; i < pattern.length;) {
    const ch = pattern[i]!;
    if (ch !== "%") {
      lit += ch;
      i++;
      continue;
    }
    re.lastIndex = i;
    const m = re.exec(pattern)!;
    const [all, minus, min, max, c, arg] = m;
    if (c === undefined)
      throw new PatternError(`pattern "${pattern}": a % at offset ${i} has no directive`);
    i += all.length;
    if (c === "%") {
      lit += "%";
      continue;
    }
    flush();
    pieces.push(modify(conversion(c, arg, pattern), minus === "-", Number(min), Number(max ?? 0)));
  }
  flush();
  if (pieces.length === 1) return pieces[0]!;
  return (e) => {
    let s = "";
    for (const piece of pieces) s += piece(e);
    return s;
  };
}
