/**
 * The registry file as a source (Kea's UserFile), kept current without re-reading it for every
 * packet: each lookup costs one synchronous stat(2), and the file is read again only when its
 * identity, size, modification or change time differ from the version last read. A file
 * modified less than RACY_MS before it was read is read again on the next lookup too, since a
 * rewrite within the file system's timestamp granularity could leave size and times unchanged
 * (git's "racy" rule). A change is therefore visible to the very next packet.
 *
 * A version that cannot be used (a malformed line, a duplicate id, the file gone or unreadable)
 * is logged once and the previous registry stays in force until the file changes again.
 */
import { closeSync, fstatSync, openSync, readFileSync, statSync, type BigIntStats } from "node:fs";
import { RegistryError, UserRegistry, type Lookup, type RegistrySource } from "./registry.ts";
import type { UserId } from "./user.ts";
import type { Log } from "./messages.ts";

/** Within this many milliseconds of its modification a file version is not trusted by stat. */
export const RACY_MS = 2_000;

/** A larger registry file is refused (reading it would stall every packet for too long). */
export const MAX_REGISTRY_BYTES = 64 * 1024 * 1024;

/** What identifies one version of the file. */
interface Version {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

function versionOf(st: BigIntStats): Version {
  return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs };
}

function sameVersion(a: Version, b: Version): boolean {
  return (
    a.dev === b.dev &&
    a.ino === b.ino &&
    a.size === b.size &&
    a.mtimeNs === b.mtimeNs &&
    a.ctimeNs === b.ctimeNs
  );
}

/** Reads one version of the file: its stat (of the open descriptor) and its text. */
function readVersion(path: string): { version: Version; text: string } {
  const fd = openSync(path, "r");
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile()) throw new RegistryError(`${path} is not a regular file`);
    if (st.size > BigInt(MAX_REGISTRY_BYTES)) {
      throw new RegistryError(`${path} is larger than ${MAX_REGISTRY_BYTES} bytes`);
    }
    return { version: versionOf(st), text: readFileSync(fd, "utf8") };
  } finally {
    closeSync(fd);
  }
}

export class FileRegistrySource implements RegistrySource {
  readonly path: string;
  readonly description: string;
  private registry: UserRegistry;
  /** The version the registry was built from, or last failed on (not re-read until it changes). */
  private seen: Version;
  /** The seen version was modified too recently to be trusted: read again next time. */
  private racy: boolean;
  private text: string;
  private readonly log: Log;
  private readonly now: () => number;
  /** How many times the file was read (for tests and debug logs). */
  reads = 0;
  /** Why the last version could not be used (the previous registry is in force), or null. */
  problem: string | null = null;

  private constructor(path: string, log: Log, now: () => number) {
    this.path = path;
    this.description = `file ${path}`;
    this.log = log;
    this.now = now;
    const { version, text } = readVersion(path);
    this.reads = 1;
    this.registry = UserRegistry.parse(text);
    this.text = text;
    this.seen = version;
    this.racy = this.isRacy(version);
  }

  /**
   * Loads the file; throws (RegistryError, or the file system's error) when it is missing,
   * unreadable or malformed: the library must not load without its registry.
   */
  static open(path: string, log: Log, now: () => number = Date.now): FileRegistrySource {
    try {
      return new FileRegistrySource(path, log, now);
    } catch (err) {
      if (err instanceof RegistryError && !err.message.includes(path)) {
        throw new RegistryError(`registry ${path}: ${err.message}`, err.line);
      }
      throw err;
    }
  }

  /** The registry in force. */
  get current(): UserRegistry {
    return this.registry;
  }

  lookup(id: UserId): Lookup {
    this.refresh();
    return this.registry.lookup(id);
  }

  /** Reads the file again if it changed since the last read; never throws. */
  refresh(): void {
    let st: BigIntStats | undefined;
    try {
      st = statSync(this.path, { bigint: true, throwIfNoEntry: false });
    } catch (err) {
      this.fail(null, (err as Error).message);
      return;
    }
    if (st === undefined) {
      this.fail(null, "the file does not exist");
      return;
    }
    if (!this.racy && sameVersion(versionOf(st), this.seen)) return;
    let read: { version: Version; text: string };
    try {
      read = readVersion(this.path);
      this.reads++;
    } catch (err) {
      this.fail(versionOf(st), (err as Error).message);
      return;
    }
    const unchanged = read.text === this.text;
    this.seen = read.version;
    this.racy = this.isRacy(read.version);
    if (unchanged) return;
    // Remember the text even when it is bad, so that the same bad version is neither parsed
    // nor logged again.
    this.text = read.text;
    let registry: UserRegistry;
    try {
      registry = UserRegistry.parse(read.text);
    } catch (err) {
      const reason = (err as Error).message;
      if (reason !== this.problem) {
        this.log.error("USER_CHK_REGISTRY_INVALID", this.path, reason, this.registry.size);
      }
      this.problem = reason;
      return;
    }
    this.registry = registry;
    this.problem = null;
    this.log.info("USER_CHK_REGISTRY_RELOADED", this.path, this.registry.size);
  }

  /** Whether the last version could not be used (the previous registry is in force). */
  get failed(): boolean {
    return this.problem !== null;
  }

  private fail(version: Version | null, reason: string): void {
    // Logged once, not once per packet: a missing file is checked again (cheaply, by stat) on
    // each lookup; an unreadable version is not read again until it changes.
    if (reason !== this.problem) {
      this.log.error("USER_CHK_REGISTRY_UNREADABLE", this.path, reason, this.registry.size);
    }
    this.problem = reason;
    this.seen = version ?? { dev: -1n, ino: -1n, size: -1n, mtimeNs: -1n, ctimeNs: -1n };
    this.racy = false;
    this.text = "\0"; // whatever version comes next is parsed, even the one used before
  }

  private isRacy(v: Version): boolean {
    return BigInt(this.now()) * 1_000_000n - v.mtimeNs < BigInt(RACY_MS) * 1_000_000n;
  }

  close(): void {
    // Nothing is held open between reads.
  }
}
