/**
 * Where log lines go, as Kea's `output-options` say: stdout, stderr, a file (rotated at
 * `maxsize` into `file.1` ... `file.<maxver>`, as log4cplus's RollingFileAppender), syslog
 * (datagrams to the local syslog socket, as glibc's syslog(3) sends them) or a function.
 *
 * Streams and files never block the caller: lines are queued and written by sonic-boom with
 * asynchronous writes, issued at once when `flush` is true (Kea's default) and gathered by size
 * or every second when it is false. Everything queued is written synchronously by flushAll():
 * at process exit, after a FATAL message and when the server stops.
 *
 * What an output holds is bounded: while QUEUE_LIMIT bytes wait (a pipe nobody reads, a stalled
 * log collector), further lines are dropped and counted, and the output says how many once it
 * takes lines again. Kea blocks in write(2) instead, and stops answering; an unbounded queue
 * would grow the server's memory for as long as the output stalls.
 */
import { fstatSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import sonicBoom, { type SonicBoom } from "sonic-boom";
import {
  compilePattern,
  DEFAULT_PATTERN,
  DEFAULT_SYSLOG_PATTERN,
  type Layout,
  type LogEvent,
} from "./pattern.ts";

/** Bytes an output may hold waiting for its stream or file; beyond, lines are dropped. */
export const QUEUE_LIMIT = 16 * 1024 * 1024;

function droppedNotice(n: number, label: string): string {
  return (
    `nestor: ${n} log line${n === 1 ? "" : "s"} dropped: the output ${label} ` +
    `did not take them (${QUEUE_LIMIT / 1048576} MiB were waiting)\n`
  );
}

// sonic-boom is CommonJS: its class is the module itself.
const SonicBoomClass = sonicBoom as unknown as typeof SonicBoom;

/** One output of a logger, as in Kea's `output-options` (plus Nestor's `format`). */
export interface OutputSpec {
  /** "stdout", "stderr", "syslog", "syslog:<facility>" or a file path. */
  output: string;
  flush?: boolean;
  maxsize?: number;
  maxver?: number;
  /** log4cplus layout; "" or absent = Kea's default for the output kind. */
  pattern?: string;
  /** Nestor's addition: "json" writes one JSON object per line instead of the pattern. */
  format?: "text" | "json";
}

/** Kea's (log4cplus's) smallest rotation size: below it, rotation is off. */
export const MIN_ROTATE_SIZE = 204800;
export const DEFAULT_MAXSIZE = 10240000;

/** Severity numbers of LogManager: DEBUG 0 .. FATAL 4. */
const SYSLOG_LEVEL = [7, 6, 4, 3, 2]; // LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT

/** syslog(3)'s facility names, as log4cplus accepts them after `syslog:`. */
const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  security: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

export interface Sink {
  write(e: LogEvent, severity: number): void;
  /** Writes what is queued now, synchronously (exit, FATAL). */
  flushSync(): void;
  /** Resolves once everything written so far has reached the file or stream. */
  drained(): Promise<void>;
  close(): void;
}

/** Writers that were ended (rotation, reconfiguration) and still hold lines. */
const ENDING = new Set<SonicBoom>();

/** flushSync() for the writers being closed, at exit. */
export function flushEnding(): void {
  for (const boom of ENDING) {
    try {
      boom.flushSync();
    } catch {
      // closed meanwhile
    }
  }
}

function endBoom(boom: SonicBoom): void {
  ENDING.add(boom);
  boom.once("close", () => ENDING.delete(boom));
  boom.end();
}

/** sonic-boom's state, not in its typings: an asynchronous write in flight, bytes queued. */
interface BoomState {
  _writing: boolean;
  _len: number;
}

function boomDrained(boom: SonicBoom): Promise<void> {
  const state = boom as unknown as BoomState;
  if (!state._writing && state._len === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, 5000);
    function done() {
      clearTimeout(timer);
      boom.off("drain", done);
      boom.off("error", done);
      resolve();
    }
    boom.on("drain", done);
    boom.on("error", done);
    boom.flush();
  });
}

/** The JSON line of Nestor's `"format": "json"`. */
export function jsonLine(e: LogEvent): string {
  return (
    JSON.stringify({
      time: e.time.toISOString(),
      severity: e.severity,
      logger: e.logger,
      pid: process.pid,
      id: e.id,
      message: e.text,
    }) + "\n"
  );
}

function layoutOf(spec: OutputSpec, syslog: boolean): Layout {
  if (spec.format === "json") return jsonLine;
  const pattern = spec.pattern === undefined || spec.pattern === "" ? undefined : spec.pattern;
  return compilePattern(pattern ?? (syslog ? DEFAULT_SYSLOG_PATTERN : DEFAULT_PATTERN));
}

/** A file descriptor written through sonic-boom. */
class StreamSink implements Sink {
  protected boom: SonicBoom;
  private readonly layout: Layout;
  protected readonly flush: boolean;

  protected readonly label: string;
  /** The output failed: its lines are dropped. */
  protected broken = false;
  /** Lines dropped since the output last took one, QUEUE_LIMIT bytes waiting. */
  private dropped = 0;
  /** The descriptor the current writer writes to. */
  private outFd = -1;

  constructor(fd: number, layout: Layout, flush: boolean, label: string) {
    this.layout = layout;
    this.flush = flush;
    this.label = label;
    this.boom = this.open(fd);
  }

  protected open(fd: number): SonicBoom {
    this.outFd = fd;
    const boom = new SonicBoomClass(
      this.flush
        ? { fd, minLength: 0, maxLength: QUEUE_LIMIT }
        : { fd, minLength: 8192, periodicFlush: 1000, maxLength: QUEUE_LIMIT },
    );
    boom.on("drop", () => this.dropped++);
    // A failing output (disk full, closed pipe) must never take the server down: it is said
    // once on stderr (unless stderr is what fails) and the output drops its lines from then on.
    boom.on("error", (e: Error) => {
      if (this.broken) return;
      this.broken = true;
      try {
        boom.destroy();
      } catch {
        // already closed
      }
      if (this.label === "stderr") return;
      try {
        process.stderr.write(
          `nestor: cannot write the log output ${this.label}: ${e.message}; its lines are dropped\n`,
        );
      } catch {
        // stderr is gone too
      }
    });
    return boom;
  }

  write(e: LogEvent): void {
    this.append(this.layout(e));
  }

  protected append(line: string): void {
    if (this.broken) return;
    if (this.dropped > 0) this.sayDropped();
    this.boom.write(line);
  }

  /** Once half the queue has been written, the count of the lines dropped goes first. */
  private sayDropped(): void {
    if ((this.boom as unknown as BoomState)._len > QUEUE_LIMIT / 2) return;
    const n = this.dropped;
    this.dropped = 0;
    this.boom.write(droppedNotice(n, this.label));
  }

  flushSync(): void {
    if (this.broken) return;
    try {
      this.boom.flushSync();
      // At exit no later line would say it: the count goes last, written here and now (a
      // write() would start an asynchronous write that the exit may not wait for).
      if (this.dropped > 0) {
        const n = this.dropped;
        this.dropped = 0;
        writeSync(this.outFd, droppedNotice(n, this.label));
      }
    } catch {
      // nothing more can be done for this output
    }
  }

  drained(): Promise<void> {
    return this.broken ? Promise.resolve() : boomDrained(this.boom);
  }

  close(): void {
    this.flushSync();
  }
}

class ConsoleSink extends StreamSink {}

class FileSink extends StreamSink {
  private readonly path: string;
  private size: number;
  private readonly maxsize: number;
  private readonly maxver: number;

  constructor(path: string, layout: Layout, spec: OutputSpec) {
    const fd = openSync(path, "a");
    super(fd, layout, spec.flush ?? true, path);
    this.path = path;
    this.size = fstatSync(fd).size;
    const maxsize = spec.maxsize ?? DEFAULT_MAXSIZE;
    this.maxsize = maxsize < MIN_ROTATE_SIZE ? 0 : maxsize;
    this.maxver = Math.max(1, spec.maxver ?? 1);
  }

  protected override append(line: string): void {
    super.append(line);
    if (this.broken || this.maxsize === 0) return;
    this.size += Buffer.byteLength(line);
    if (this.size > this.maxsize) this.rotate();
  }

  /** log4cplus's rollover: drop file.<maxver>, shift file.<i> to file.<i+1>, file to file.1. */
  private rotate(): void {
    const old = this.boom;
    let fd: number;
    try {
      try {
        unlinkSync(`${this.path}.${this.maxver}`);
      } catch {
        // absent
      }
      for (let i = this.maxver - 1; i >= 1; i--) {
        try {
          renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
        } catch {
          // absent
        }
      }
      renameSync(this.path, `${this.path}.1`);
      fd = openSync(this.path, "a");
    } catch {
      // Cannot rotate (directory gone, permissions): keep appending to the file we have.
      this.size = 0;
      return;
    }
    this.size = 0;
    this.boom = this.open(fd);
    // What the old writer still holds lands in the renamed file, in order; then it closes.
    endBoom(old);
  }

  override close(): void {
    if (!this.broken) endBoom(this.boom);
  }
}

class FunctionSink implements Sink {
  private readonly fn: (line: string) => void;
  private readonly layout: Layout;
  constructor(fn: (line: string) => void, layout: Layout) {
    this.fn = fn;
    this.layout = layout;
  }
  write(e: LogEvent): void {
    this.fn(this.layout(e));
  }
  flushSync(): void {}
  drained(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

interface UnixDgram {
  unixDgramOpen(): number;
  unixDgramSend(fd: number, path: string, data: Buffer): number;
  unixDgramClose(fd: number): void;
}

let unixDgram: UnixDgram | null | undefined;
let unixDgramWhy = "";

/** The native addon's unix datagram functions, or null (the reason in unixDgramWhy). */
function loadUnixDgram(): UnixDgram | null {
  if (unixDgram !== undefined) return unixDgram;
  unixDgram = null;
  if (process.env.NESTOR_NO_NATIVE === "1") unixDgramWhy = "disabled by NESTOR_NO_NATIVE=1";
  else if (process.platform !== "linux") unixDgramWhy = `not supported on ${process.platform}`;
  else {
    const path =
      process.env.NESTOR_NATIVE_ADDON ??
      fileURLToPath(new URL("../../native/build/Release/nestor_net.node", import.meta.url));
    try {
      const b = createRequire(import.meta.url)(path) as Partial<UnixDgram>;
      if (typeof b.unixDgramSend !== "function") throw new Error("no unixDgramSend");
      unixDgram = b as UnixDgram;
    } catch (e) {
      unixDgramWhy = `${path}: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`;
    }
  }
  return unixDgram;
}

const MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Datagrams kept while the syslog socket is full, before new ones are dropped. */
const SYSLOG_QUEUE_MAX = 10000;

/** The local syslog socket: NESTOR_SYSLOG_SOCKET, else /dev/log. */
export function syslogSocketPath(): string {
  return process.env.NESTOR_SYSLOG_SOCKET ?? "/dev/log";
}

/**
 * The datagrams on their way to one syslog socket, shared by every syslog output of the process
 * (`syslog`, `syslog:daemon`... of every logger): one ordered queue, so that a line never
 * overtakes an earlier one that syslog could not take yet, as with Kea's blocking syslog(3).
 */
class SyslogChannel {
  private static readonly byPath = new Map<string, SyslogChannel>();
  private readonly native: UnixDgram;
  private readonly path: string;
  private fd: number;
  private users = 0;
  private warned = false;
  private queue: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Datagrams syslog could not take (socket missing, or the retry queue full). */
  dropped = 0;

  private constructor(native: UnixDgram, path: string) {
    this.native = native;
    this.path = path;
    this.fd = native.unixDgramOpen();
  }

  /** The channel to `path`, opened on first use; release() when done with it. */
  static acquire(native: UnixDgram, path: string): SyslogChannel {
    let c = SyslogChannel.byPath.get(path);
    if (c === undefined) {
      c = new SyslogChannel(native, path);
      SyslogChannel.byPath.set(path, c);
    }
    c.users++;
    return c;
  }

  write(data: Buffer): void {
    if (this.queue.length > 0) this.enqueue(data);
    else if (!this.send(data)) this.enqueue(data);
  }

  /** Sends one datagram: false when the syslog socket's queue is full (retried later). */
  private send(data: Buffer): boolean {
    try {
      return this.native.unixDgramSend(this.fd, this.path, data) >= 0;
    } catch (err) {
      this.dropped++;
      if (!this.warned) {
        this.warned = true;
        process.stderr.write(
          `nestor: cannot send to syslog at ${this.path}: ` +
            `${err instanceof Error ? err.message : String(err)}; syslog messages are dropped\n`,
        );
      }
      return true;
    }
  }

  /** syslog is busy: keep the datagram (up to a bound) and retry without blocking. */
  private enqueue(data: Buffer): void {
    if (this.queue.length >= SYSLOG_QUEUE_MAX) {
      this.dropped++;
      return;
    }
    this.queue.push(data);
    if (this.timer === null) this.timer = setTimeout(() => this.retry(), 5).unref();
  }

  private retry(): void {
    this.timer = null;
    while (this.queue.length > 0 && this.send(this.queue[0]!)) this.queue.shift();
    if (this.queue.length > 0) this.timer = setTimeout(() => this.retry(), 5).unref();
  }

  /** At exit or FATAL: sends what waits, giving syslog at most a second. */
  flushSync(): void {
    const end = Date.now() + 1000;
    const pause = new Int32Array(new SharedArrayBuffer(4));
    while (this.queue.length > 0 && Date.now() < end) {
      if (this.send(this.queue[0]!)) this.queue.shift();
      else Atomics.wait(pause, 0, 0, 2);
    }
  }

  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const end = Date.now() + 5000;
      const check = () => {
        if (this.queue.length === 0 || Date.now() > end) resolve();
        else setTimeout(check, 5);
      };
      check();
    });
  }

  /** One output fewer; the last one closes the socket once what waits is sent (bounded). */
  release(): void {
    if (--this.users > 0) return;
    SyslogChannel.byPath.delete(this.path);
    void this.drained().then(() => {
      if (this.timer !== null) clearTimeout(this.timer);
      this.queue = [];
      try {
        this.native.unixDgramClose(this.fd);
      } catch {
        // already closed
      }
    });
  }
}

/**
 * syslog as glibc's syslog(3) writes it for Kea: `<PRI>Mmm dd hh:mm:ss ident: message`, the
 * ident being the process name (nestor-dhcp4), the facility local0 unless `syslog:<facility>`
 * names another (an unknown name is user, as log4cplus does).
 */
class SyslogSink implements Sink {
  private readonly channel: SyslogChannel;
  private readonly facility: number;
  private readonly layout: Layout;
  private readonly ident: () => string;
  private closed = false;

  constructor(native: UnixDgram, facilityName: string, layout: Layout, ident: () => string) {
    this.channel = SyslogChannel.acquire(native, syslogSocketPath());
    this.facility = FACILITIES[facilityName.toLowerCase()] ?? FACILITIES["user"]!;
    this.layout = layout;
    this.ident = ident;
  }

  /** Datagrams syslog could not take, on this output's socket. */
  get dropped(): number {
    return this.channel.dropped;
  }

  write(e: LogEvent, severity: number): void {
    const t = e.time;
    const stamp =
      `${MON[t.getMonth()]} ${String(t.getDate()).padStart(2)} ` +
      `${String(t.getHours()).padStart(2, "0")}:${String(t.getMinutes()).padStart(2, "0")}:` +
      `${String(t.getSeconds()).padStart(2, "0")}`;
    const pri = this.facility * 8 + SYSLOG_LEVEL[severity]!;
    this.channel.write(Buffer.from(`<${pri}>${stamp} ${this.ident()}: ${this.layout(e)}`));
  }

  flushSync(): void {
    this.channel.flushSync();
  }

  drained(): Promise<void> {
    return this.channel.drained();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.release();
  }
}

let warnedNoSyslog = false;

/** The sink for one output; `ident` is the process name syslog shows. */
export function createSink(spec: OutputSpec | ((line: string) => void), ident: () => string): Sink {
  if (typeof spec === "function") return new FunctionSink(spec, compilePattern(DEFAULT_PATTERN));
  const out = spec.output;
  if (out === "stdout" || out === "stderr")
    return new ConsoleSink(
      out === "stdout" ? 1 : 2,
      layoutOf(spec, false),
      spec.flush ?? true,
      out,
    );
  if (out === "syslog" || out.startsWith("syslog:")) {
    const native = loadUnixDgram();
    if (native !== null) {
      const facility = out === "syslog" ? "local0" : out.slice("syslog:".length);
      return new SyslogSink(native, facility, layoutOf(spec, true), ident);
    }
    if (!warnedNoSyslog) {
      warnedNoSyslog = true;
      process.stderr.write(
        `nestor: syslog output needs the native addon (${unixDgramWhy}); logging to stderr\n`,
      );
    }
    return new ConsoleSink(2, layoutOf(spec, false), spec.flush ?? true, "stderr");
  }
  const layout = layoutOf(spec, false);
  try {
    return new FileSink(out, layout, spec);
  } catch (e) {
    // Nothing is lost: the lines go to stderr, and the reason is said once.
    process.stderr.write(
      `nestor: cannot open the log file ${out} (${e instanceof Error ? e.message : String(e)}); ` +
        `logging to stderr instead\n`,
    );
    return new ConsoleSink(2, layout, spec.flush ?? true, "stderr");
  }
}
