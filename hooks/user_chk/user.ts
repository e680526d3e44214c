/**
 * Users of the registry: an identifier (a hardware address for DHCPv4, a DUID for DHCPv6) and
 * string properties (`bootfile`, `tftp_server`, anything else the registry carries), as Kea's
 * user_chk `UserId` and `User`.
 */
import { DUID, HWAddr } from "nestor/dhcp";

/** The two kinds of identifier, with Kea's names as they appear in the registry and outcome. */
export const HW_ADDR = "HW_ADDR";
export const DUID_TYPE = "DUID";
export type UserIdType = typeof HW_ADDR | typeof DUID_TYPE;

/** The id of the default user, whose properties apply to unregistered clients (Kea's value). */
export const DEFAULT_USER_ID = "00000000";

/** A registry entry or identifier that cannot be used. */
export class UserEntryError extends Error {
  override name = "UserEntryError";
}

export function isUserIdType(value: unknown): value is UserIdType {
  return value === HW_ADDR || value === DUID_TYPE;
}

/** An identifier: its type and bytes. Two ids are the same user when both are equal. */
export class UserId {
  readonly type: UserIdType;
  readonly bytes: Buffer;
  /** `<type>/<lowercase hex>`: the registry's map key. */
  readonly key: string;

  private constructor(type: UserIdType, bytes: Buffer) {
    this.type = type;
    this.bytes = bytes;
    this.key = `${type}/${bytes.toString("hex")}`;
  }

  /**
   * An id from its bytes, validated as Kea does by building the matching DHCP object: a hardware
   * address of 1 to 20 bytes, or a DUID of 3 to 130 bytes.
   */
  static of(type: UserIdType, bytes: Uint8Array): UserId {
    if (bytes.length === 0) throw new UserEntryError("the id may not be blank");
    try {
      if (type === HW_ADDR) new HWAddr(bytes);
      else new DUID(bytes);
    } catch (err) {
      throw new UserEntryError(`invalid ${type} id: ${(err as Error).message}`);
    }
    return new UserId(type, Buffer.from(bytes));
  }

  /** An id from hex digits, two per byte, with or without ':' between bytes ("0c:0e:0a", "0c0e0a"). */
  static fromText(type: UserIdType, text: string): UserId {
    const hex = text.replaceAll(":", "");
    if (hex === "") throw new UserEntryError("the id may not be blank");
    if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) {
      throw new UserEntryError(`id '${text}' is not hex digits, two per byte`);
    }
    return UserId.of(type, Buffer.from(hex, "hex"));
  }

  /** The default user's id of this type. */
  static defaultOf(type: UserIdType): UserId {
    return UserId.fromText(type, DEFAULT_USER_ID);
  }

  /** Lowercase hex with `delimiter` between bytes (Kea's UserId::toText). */
  toText(delimiter = ""): string {
    const hex = this.bytes.toString("hex");
    if (delimiter === "") return hex;
    return (hex.match(/../g) ?? []).join(delimiter);
  }

  equals(other: UserId): boolean {
    return this.key === other.key;
  }
}

/** A registered user: its id and its properties (names and values are strings). */
export class User {
  readonly id: UserId;
  readonly properties: ReadonlyMap<string, string>;

  constructor(id: UserId, properties: ReadonlyMap<string, string> = new Map()) {
    this.id = id;
    this.properties = properties;
  }

  /** A property's value, "" when the user does not have it (Kea's User::getProperty). */
  getProperty(name: string): string {
    return this.properties.get(name) ?? "";
  }
}

/**
 * Parses one registry line: a JSON object whose values are all strings, with `type` (HW_ADDR or
 * DUID) and `id`; every other member becomes a property. Throws UserEntryError.
 */
export function parseUserEntry(text: string): User {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserEntryError(`malformed JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new UserEntryError("the entry is not a JSON object");
  }
  let type: unknown;
  let id: string | undefined;
  const properties = new Map<string, string>();
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new UserEntryError(`'${name}' does not have a string value`);
    if (name === "type") type = v;
    else if (name === "id") id = v;
    else properties.set(name, v);
  }
  if (type === undefined) throw new UserEntryError("the entry has no 'type'");
  if (!isUserIdType(type)) {
    throw new UserEntryError(`invalid type '${String(type)}' (expected HW_ADDR or DUID)`);
  }
  if (id === undefined) throw new UserEntryError("the entry has no 'id'");
  return new User(UserId.fromText(type, id), properties);
}
