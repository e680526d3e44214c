/**
 * The user registry (Kea's UserRegistry) and the interface of its sources: the file source
 * answers at once, the PostgreSQL source asynchronously.
 */
import { UserEntryError, UserId, parseUserEntry, type User, type UserIdType } from "./user.ts";

/** A registry text that cannot be used; `line` is the 1-based line at fault. */
export class RegistryError extends Error {
  override name = "RegistryError";
  readonly line: number;

  constructor(message: string, line = 0) {
    super(line > 0 && !message.includes(`line ${line}:`) ? `line ${line}: ${message}` : message);
    this.line = line;
  }
}

/** What a lookup finds: the client's entry and the default user of its id type (or null). */
export interface Lookup {
  user: User | null;
  defaultUser: User | null;
}

/**
 * Where users come from. `lookup` returns the answer directly when it has it (the file) and a
 * Promise when it must ask someone (the database); the Promise rejects on failure.
 */
export interface RegistrySource {
  /** "file /path" or "postgresql table", for log messages. */
  readonly description: string;
  lookup(id: UserId): Lookup | Promise<Lookup>;
  close(): void | Promise<void>;
}

export class UserRegistry {
  private readonly users = new Map<string, User>();

  /**
   * A registry from the text of a registry file: one JSON entry per line; blank lines are
   * ignored. Any malformed line or duplicate id fails the whole text (RegistryError).
   */
  static parse(text: string): UserRegistry {
    const registry = new UserRegistry();
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === "") continue;
      let user: User;
      try {
        user = parseUserEntry(line);
      } catch (err) {
        if (err instanceof UserEntryError) throw new RegistryError(err.message, i + 1);
        throw err;
      }
      if (registry.users.has(user.id.key)) {
        throw new RegistryError(`duplicate user ${user.id.type}=${user.id.toText()}`, i + 1);
      }
      registry.users.set(user.id.key, user);
    }
    return registry;
  }

  get size(): number {
    return this.users.size;
  }

  find(id: UserId): User | null {
    return this.users.get(id.key) ?? null;
  }

  /** The client's entry and the default user of the same id type. */
  lookup(id: UserId): Lookup {
    return { user: this.find(id), defaultUser: this.find(defaultIds[id.type]) };
  }
}

const defaultIds: Record<UserIdType, UserId> = {
  HW_ADDR: UserId.defaultOf("HW_ADDR"),
  DUID: UserId.defaultOf("DUID"),
};
