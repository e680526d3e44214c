/**
 * Reading command arguments as Kea's SimpleParser does, with its error texts (Kea adds the
 * position of the value in the command's text, "(<wire>:0:37)"; Nestor's control channel
 * hands libraries parsed JSON, so the texts here stop before it).
 */
import type { JsonObject, JsonValue } from "nestor/hooks";
import { ipv4FromString, ipv6FromString, isIPv4, isIPv6 } from "nestor/dhcp";

/** A command failed: its answer is result 1 (or `result`) with this text. */
export class CommandFailure extends Error {
  readonly result: number;

  constructor(text: string, result = 1) {
    super(text);
    this.result = result;
  }
}

export function fail(text: string): never {
  throw new CommandFailure(text);
}

export function isMap(v: JsonValue | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function isInteger(v: JsonValue | undefined): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

function required(map: JsonObject, name: string): JsonValue {
  if (!Object.hasOwn(map, name)) fail(`missing parameter '${name}'`);
  return map[name]!;
}

export function getString(map: JsonObject, name: string): string {
  const v = required(map, name);
  if (typeof v !== "string") fail(`invalid type specified for parameter '${name}'`);
  return v;
}

export function getBoolean(map: JsonObject, name: string): boolean {
  const v = required(map, name);
  if (typeof v !== "boolean") fail(`invalid type specified for parameter '${name}'`);
  return v;
}

export function getInteger(map: JsonObject, name: string): number {
  const v = required(map, name);
  if (!isInteger(v)) fail(`invalid type specified for parameter '${name}'`);
  return v;
}

function getUnsigned(map: JsonObject, name: string, max: number): number {
  const v = getInteger(map, name);
  if (v < 0 || v > max) fail(`out of range value (${v}) specified for parameter '${name}'`);
  return v;
}

export function getUint32(map: JsonObject, name: string): number {
  return getUnsigned(map, name, 0xffffffff);
}

export function getUint8(map: JsonObject, name: string): number {
  return getUnsigned(map, name, 0xff);
}

/** An address of either family, as Kea's IOAddress reads it: its canonical text and family. */
export interface Address {
  text: string;
  family: 4 | 6;
}

/** Parses an address; null when it is neither IPv4 nor IPv6. */
export function parseAddress(text: string): Address | null {
  if (isIPv4(text)) return { text: ipv4Text(ipv4FromString(text)), family: 4 };
  if (isIPv6(text)) return { text: ipv6Text(ipv6FromString(text)), family: 6 };
  return null;
}

function ipv4Text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function ipv6Text(bytes: Uint8Array): string {
  // RFC 5952, as Kea prints: the longest run of two or more zero groups becomes "::".
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

/** The address parameter `name` (Kea's SimpleParser::getAddress). */
export function getAddress(map: JsonObject, name: string): Address {
  const text = getString(map, name);
  const a = parseAddress(text);
  if (a === null) {
    fail(
      `Failed to convert '${text}' to address: Failed to convert string to address '${text}': Invalid argument`,
    );
  }
  return a;
}

/**
 * Colon-separated hex ("1a:2b:3", one or two digits between colons), as Kea's
 * decodeColonSeparatedHexString reads hardware addresses; "" is no bytes.
 */
export function decodeColonHex(text: string): Buffer {
  if (text === "") return Buffer.alloc(0);
  const parts = text.split(":");
  const out = Buffer.alloc(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (parts.length > 1 && p === "") {
      fail(`two consecutive colons specified in a decoded string '${text}'`);
    }
    if (p.length > 2) fail(`invalid format of the decoded string '${text}'`);
    for (const c of p) {
      if (!/[0-9a-fA-F]/.test(c)) {
        fail(`'${c}' is not a valid hexadecimal digit in decoded string '${text}'`);
      }
    }
    out[i] = parseInt(p, 16);
  }
  return out;
}

/**
 * A DUID or client identifier in text: colon-separated octets, or one run of hex digits (Kea's
 * DUID::fromText and ClientId::fromText take both); "" is no bytes.
 */
export function decodeIdentifier(text: string): Buffer {
  if (text.includes(":") || text === "") return decodeColonHex(text);
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(text)) {
    fail(`'${text}' is not a valid string of hexadecimal digits`);
  }
  return Buffer.from(text, "hex");
}

/** Bytes as Kea prints hardware addresses, DUIDs and client identifiers: "1a:2b:03". */
export function colonHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Kea's `str()` of a JSON value in an error text: `{ "a": [ 1, 2 ] }`, keys sorted. */
export function jsonText(v: JsonValue): string {
  if (Array.isArray(v)) return `[ ${v.map(jsonText).join(", ")} ]`;
  if (isMap(v)) {
    const keys = Object.keys(v).sort();
    return `{ ${keys.map((k) => `${JSON.stringify(k)}: ${jsonText(v[k]!)}`).join(", ")} }`;
  }
  return JSON.stringify(v);
}
