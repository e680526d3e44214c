/**
 * Minimal logging with Kea's model: a tree of loggers under a root named after the process
 * (`nestor-dhcp4`), each logger configured by name or inheriting from its nearest configured
 * ancestor; severities FATAL..DEBUG with a debug level 0..99; messages identified by an ID with
 * `%1 %2` placeholders, formatted only when the level is enabled. The servers' issues complete it
 * (syslog, rotation, patterns).
 */
import { appendFileSync, writeSync } from "node:fs";

export const Severity = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3, FATAL: 4, NONE: 5 } as const;
export type SeverityName = keyof typeof Severity;
type SeverityValue = (typeof Severity)[SeverityName];

/** Where formatted lines go: "stdout", "stderr", a file path, or a function (tests, metrics). */
export type LogOutput = string | ((line: string) => void);

export interface LoggerSpec {
  /** Full logger name, e.g. "nestor-dhcp4.hooks". */
  name: string;
  severity?: SeverityName;
  debuglevel?: number;
  outputs?: LogOutput[];
}

interface Effective {
  severity: SeverityValue;
  debuglevel: number;
  outputs: LogOutput[];
}

const DEFAULT_EFFECTIVE: Effective = {
  severity: Severity.INFO,
  debuglevel: 0,
  outputs: ["stdout"],
};
const MESSAGES = new Map<string, string>();

/** Registers message IDs and their texts (`%1`, `%2` ... are replaced by the arguments). */
export function defineMessages(messages: Record<string, string>): void {
  for (const [id, text] of Object.entries(messages)) MESSAGES.set(id, text);
}

function formatMessage(id: string, args: readonly unknown[]): string {
  const text = MESSAGES.get(id);
  if (text === undefined) return args.length === 0 ? id : `${id} ${args.map(String).join(" ")}`;
  return `${id} ${text.replace(/%(\d+)/g, (m, n: string) => {
    const i = Number(n) - 1;
    return i < args.length ? String(args[i]) : m;
  })}`;
}

function timestamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`
  );
}

const LABELS = ["DEBUG", "INFO ", "WARN ", "ERROR", "FATAL"];

export class LogManager {
  rootName: string;
  private specs = new Map<string, LoggerSpec>();
  private forcedDebug = false;
  /** Bumped on every configuration change; loggers recompute their level lazily. */
  version = 0;

  constructor(rootName = "nestor") {
    this.rootName = rootName;
  }

  /** Replaces the logger configuration (Kea's `loggers` list). */
  configure(specs: readonly LoggerSpec[], options: { forceDebug?: boolean } = {}): void {
    this.specs = new Map(specs.map((s) => [s.name, s]));
    this.forcedDebug = options.forceDebug ?? this.forcedDebug;
    this.version++;
  }

  setRootName(name: string): void {
    this.rootName = name;
    this.version++;
  }

  /** A logger named `<root>.<name>`, or the root itself when name is "". */
  getLogger(name: string): Logger {
    return new Logger(this, name);
  }

  resolve(fullName: string): Effective {
    let severity: SeverityValue | undefined;
    let debuglevel: number | undefined;
    let outputs: LogOutput[] | undefined;
    for (let n: string | null = fullName; n !== null; n = parentName(n)) {
      const spec = this.specs.get(n);
      if (spec === undefined) continue;
      severity ??= spec.severity === undefined ? undefined : Severity[spec.severity];
      debuglevel ??= spec.debuglevel;
      outputs ??= spec.outputs;
    }
    if (this.forcedDebug)
      return {
        severity: Severity.DEBUG,
        debuglevel: 99,
        outputs: outputs ?? DEFAULT_EFFECTIVE.outputs,
      };
    return {
      severity: severity ?? DEFAULT_EFFECTIVE.severity,
      debuglevel: debuglevel ?? 0,
      outputs: outputs ?? DEFAULT_EFFECTIVE.outputs,
    };
  }
}

function parentName(name: string): string | null {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? null : name.slice(0, dot);
}

export class Logger {
  private readonly manager: LogManager;
  private readonly suffix: string;
  private seen = -1;
  private eff: Effective = DEFAULT_EFFECTIVE;

  constructor(manager: LogManager, suffix: string) {
    this.manager = manager;
    this.suffix = suffix;
  }

  get name(): string {
    return this.suffix === "" ? this.manager.rootName : `${this.manager.rootName}.${this.suffix}`;
  }

  private effective(): Effective {
    if (this.seen !== this.manager.version) {
      this.eff = this.manager.resolve(this.name);
      this.seen = this.manager.version;
    }
    return this.eff;
  }

  isEnabled(severity: SeverityName, debuglevel = 0): boolean {
    const e = this.effective();
    const s = Severity[severity];
    if (s < e.severity) return false;
    return s !== Severity.DEBUG || debuglevel <= e.debuglevel;
  }

  fatal(id: string, ...args: unknown[]): void {
    if (this.effective().severity <= Severity.FATAL) this.write(Severity.FATAL, id, args);
  }
  error(id: string, ...args: unknown[]): void {
    if (this.effective().severity <= Severity.ERROR) this.write(Severity.ERROR, id, args);
  }
  warn(id: string, ...args: unknown[]): void {
    if (this.effective().severity <= Severity.WARN) this.write(Severity.WARN, id, args);
  }
  info(id: string, ...args: unknown[]): void {
    if (this.effective().severity <= Severity.INFO) this.write(Severity.INFO, id, args);
  }
  debug(level: number, id: string, ...args: unknown[]): void {
    const e = this.effective();
    if (e.severity === Severity.DEBUG && level <= e.debuglevel)
      this.write(Severity.DEBUG, id, args);
  }

  private write(severity: SeverityValue, id: string, args: unknown[]): void {
    const line =
      `${timestamp(new Date())} ${LABELS[severity]} [${this.name}/${process.pid}] ` +
      `${formatMessage(id, args)}\n`;
    for (const out of this.effective().outputs) emit(out, line);
  }
}

function emit(out: LogOutput, line: string): void {
  try {
    if (typeof out === "function") out(line);
    else if (out === "stdout") writeSync(1, line);
    else if (out === "stderr") writeSync(2, line);
    else appendFileSync(out, line);
  } catch {
    // A log output that fails must never take the server down with it.
  }
}

/** The process-wide manager: the root name is the process name, as Kea's Daemon::getProcName. */
export const defaultLogManager = new LogManager();
