/**
 * Minimal logging with Kea's model: a tree of loggers under a root named after the process
 * (`nestor-dhcp4`), each logger configured by name or inheriting from its nearest configured
 * ancestor; severities FATAL..DEBUG with a debug level 0..99; messages identified by an ID with
 * `%1 %2` placeholders, formatted only when the level is enabled. Each output has its own layout
 * (Kea's `pattern`, or Nestor's JSON lines) and writer (src/log/outputs.ts): nothing here waits
 * for a disk or a pipe.
 */
import { createSink, flushEnding, type OutputSpec, type Sink } from "./outputs.ts";
import type { LogEvent } from "./pattern.ts";

export type { OutputSpec } from "./outputs.ts";

export const Severity = { DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3, FATAL: 4, NONE: 5 } as const;
export type SeverityName = keyof typeof Severity;
type SeverityValue = (typeof Severity)[SeverityName];

/**
 * Where formatted lines go: "stdout", "stderr", "syslog[:facility]", a file path, a function
 * (tests, metrics; it receives lines in Kea's default layout) or a full output specification.
 */
export type LogOutput = string | ((line: string) => void) | OutputSpec;

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
  outputs: Sink[];
}

const DEFAULT_OUTPUTS: LogOutput[] = ["stdout"];
const DEFAULT_EFFECTIVE: Effective = { severity: Severity.INFO, debuglevel: 0, outputs: [] };
const MESSAGES = new Map<string, string>();

/** Registers message IDs and their texts (`%1`, `%2` ... are replaced by the arguments). */
export function defineMessages(messages: Record<string, string>): void {
  for (const [id, text] of Object.entries(messages)) MESSAGES.set(id, text);
}

function formatText(id: string, args: readonly unknown[]): string {
  const text = MESSAGES.get(id);
  if (text === undefined) return args.map(String).join(" ");
  return text.replace(/%(\d+)/g, (m, n: string) => {
    const i = Number(n) - 1;
    return i < args.length ? String(args[i]) : m;
  });
}

const LABELS = ["DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

/** Every manager's sinks, flushed together at exit and after a FATAL message. */
const MANAGERS = new Set<LogManager>();
let exitHook = false;

/** Writes out everything the log outputs still hold, synchronously. */
export function flushLogs(): void {
  flushEnding();
  for (const m of MANAGERS) m.flushSync();
}

export class LogManager {
  rootName: string;
  private specs = new Map<string, LoggerSpec>();
  private forcedDebug = false;
  /** Open outputs by their specification, shared by the loggers that name the same one. */
  private sinks = new Map<string, Sink>();
  private fnSinks = new Map<(line: string) => void, Sink>();
  /** Bumped on every configuration change; loggers recompute their level lazily. */
  version = 0;

  constructor(rootName = "nestor") {
    this.rootName = rootName;
  }

  /** Replaces the logger configuration (Kea's `loggers` list). */
  configure(specs: readonly LoggerSpec[], options: { forceDebug?: boolean } = {}): void {
    // Open the new outputs first: a file that cannot be opened leaves the old configuration.
    const old = this.sinks;
    const oldFn = this.fnSinks;
    this.sinks = new Map();
    this.fnSinks = new Map();
    try {
      for (const spec of specs) for (const out of spec.outputs ?? []) this.sink(out, old, oldFn);
    } catch (e) {
      for (const [k, sink] of this.sinks) if (old.get(k) !== sink) sink.close();
      this.sinks = old;
      this.fnSinks = oldFn;
      throw e;
    }
    for (const [k, sink] of old) if (this.sinks.get(k) !== sink) sink.close();
    this.specs = new Map(specs.map((s) => [s.name, s]));
    this.forcedDebug = options.forceDebug ?? this.forcedDebug;
    this.version++;
  }

  /** The sink of one output, reusing an open one with the same specification. */
  sink(
    out: LogOutput,
    old: Map<string, Sink> = this.sinks,
    oldFn: Map<(line: string) => void, Sink> = this.fnSinks,
  ): Sink {
    if (typeof out === "function") {
      let sink = this.fnSinks.get(out) ?? oldFn.get(out);
      sink ??= createSink(out, () => this.rootName);
      this.fnSinks.set(out, sink);
      return sink;
    }
    const spec: OutputSpec = typeof out === "string" ? { output: out } : out;
    const key = JSON.stringify([
      spec.output,
      spec.flush ?? true,
      spec.maxsize ?? null,
      spec.maxver ?? null,
      spec.pattern ?? "",
      spec.format ?? "text",
    ]);
    let sink = this.sinks.get(key) ?? old.get(key);
    if (sink === undefined) {
      sink = createSink(spec, () => this.rootName);
      if (!exitHook) {
        exitHook = true;
        process.on("exit", flushLogs);
      }
      MANAGERS.add(this);
    }
    this.sinks.set(key, sink);
    return sink;
  }

  /** Writes out what this manager's outputs hold. */
  flushSync(): void {
    for (const sink of this.sinks.values()) sink.flushSync();
  }

  /** Resolves once every line logged so far has been written (a server's stop awaits it). */
  async flush(): Promise<void> {
    await Promise.all([...this.sinks.values()].map((s) => s.drained()));
  }

  /** Flushes and closes every output (the manager stays usable: outputs reopen on use). */
  close(): void {
    for (const sink of this.sinks.values()) sink.close();
    this.sinks = new Map();
    this.fnSinks = new Map();
    MANAGERS.delete(this);
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
    const sinks = (outputs ?? DEFAULT_OUTPUTS).map((o) => this.sink(o));
    if (this.forcedDebug) return { severity: Severity.DEBUG, debuglevel: 99, outputs: sinks };
    return {
      severity: severity ?? DEFAULT_EFFECTIVE.severity,
      debuglevel: debuglevel ?? 0,
      outputs: sinks,
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
    const text = formatText(id, args);
    const event: LogEvent = {
      time: new Date(),
      severity: LABELS[severity]!,
      logger: this.name,
      id,
      text,
      message: text === "" ? id : `${id} ${text}`,
    };
    for (const sink of this.effective().outputs) {
      try {
        sink.write(event, severity);
      } catch {
        // A log output that fails must never take the server down with it.
      }
    }
    // A FATAL message precedes the end of the process: it must be on disk before.
    if (severity === Severity.FATAL) flushLogs();
  }
}

/** The process-wide manager: the root name is the process name, as Kea's Daemon::getProcName. */
export const defaultLogManager = new LogManager();
