/**
 * Address, prefix, pool and identifier syntax as Kea's configuration writes them, parsed to
 * numbers (bigint, so v4 and v6 share one code path) for range and containment checks.
 */

import { isIPv4, isIPv6 } from "node:net";
import { ipv4ToString, ipv6ToString } from "../../dhcp/ioaddress.ts";
import type { Family } from "./types.ts";

export interface Prefix {
  readonly address: bigint;
  readonly length: number;
}

export interface Range {
  readonly first: bigint;
  readonly last: bigint;
}

export function bits(family: Family): number {
  return family === 4 ? 32 : 128;
}

export function familyName(family: Family): string {
  return family === 4 ? "IPv4" : "IPv6";
}

function v4ToBigint(text: string): bigint {
  return text.split(".").reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBigint(text: string): bigint {
  let t = text;
  const zone = t.indexOf("%");
  if (zone !== -1) t = t.slice(0, zone);
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two groups.
  const lastColon = t.lastIndexOf(":");
  const tail = t.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v = v4ToBigint(tail);
    t = `${t.slice(0, lastColon + 1)}${(v >> 16n).toString(16)}:${(v & 0xffffn).toString(16)}`;
  }
  const [head = "", rest] = t.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const fill = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill("0"), ...restGroups];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** The address as a number, or undefined when `text` is not an address of the family. */
export function parseAddress(text: string, family: Family): bigint | undefined {
  if (family === 4) return isIPv4(text) ? v4ToBigint(text) : undefined;
  return isIPv6(text) && !text.includes("%") ? v6ToBigint(text) : undefined;
}

function mask(length: number, family: Family): bigint {
  const total = BigInt(bits(family));
  return ((1n << total) - 1n) ^ ((1n << (total - BigInt(length))) - 1n);
}

/** The text of an address held as a bigint (the network of a prefix, in messages). */
export function addressText(value: bigint, family: Family): string {
  if (family === 4) return ipv4ToString(Number(value));
  const buf = Buffer.alloc(16);
  buf.writeBigUInt64BE(value >> 64n, 0);
  buf.writeBigUInt64BE(value & 0xffffffffffffffffn, 8);
  return ipv6ToString(buf);
}

export function prefixRange(prefix: Prefix, family: Family): Range {
  const m = mask(prefix.length, family);
  const first = prefix.address & m;
  return { first, last: first | (((1n << BigInt(bits(family))) - 1n) ^ m) };
}

/** `"192.0.2.0/24"`; returns a reason string when malformed. */
export function parsePrefix(text: string, family: Family): Prefix | string {
  const slash = text.indexOf("/");
  if (slash === -1) return `expected an ${familyName(family)} prefix like ${example(family)}`;
  const address = parseAddress(text.slice(0, slash).trim(), family);
  const lenText = text.slice(slash + 1).trim();
  if (address === undefined) {
    return `"${text.slice(0, slash).trim()}" is not an ${familyName(family)} address`;
  }
  const length = /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(length >= 0 && length <= bits(family))) {
    return `invalid prefix length "${lenText}" (0 to ${bits(family)})`;
  }
  return { address, length };
}

function example(family: Family): string {
  return family === 4 ? "192.0.2.0/24" : "2001:db8:1::/64";
}

/** `"a - b"` (spaces optional) or `"prefix/len"`; returns a reason string when malformed. */
export function parsePool(text: string, family: Family): Range | string {
  if (text.includes("/")) {
    const p = parsePrefix(text, family);
    return typeof p === "string" ? p : prefixRange(p, family);
  }
  // v6 addresses contain no "-", so the first "-" separates the two ends.
  const dash = text.indexOf("-");
  if (dash === -1) {
    return `expected a range "first - last" or a prefix "address/length"`;
  }
  const a = text.slice(0, dash).trim();
  const b = text.slice(dash + 1).trim();
  const first = parseAddress(a, family);
  const last = parseAddress(b, family);
  if (first === undefined) return `"${a}" is not an ${familyName(family)} address`;
  if (last === undefined) return `"${b}" is not an ${familyName(family)} address`;
  if (first > last) return `the first address ${a} is after the last address ${b}`;
  return { first, last };
}

export function contains(outer: Range, inner: Range): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function overlaps(a: Range, b: Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/**
 * An interface as Kea's `interfaces` list takes it: `"*"`, `"name"` or `"name/address"` (the
 * address to listen on). Names follow Linux: 1 to 15 characters, no whitespace and no "/".
 */
export function checkInterfaceSpec(text: string, family: Family): string | undefined {
  if (text === "*") return undefined;
  const slash = text.indexOf("/");
  const name = slash === -1 ? text : text.slice(0, slash);
  const nameProblem = checkInterfaceName(name);
  if (nameProblem !== undefined) return nameProblem;
  if (slash !== -1) {
    const addr = text.slice(slash + 1);
    if (parseAddress(addr, family) === undefined) {
      return `"${addr}" after "/" is not an ${familyName(family)} address`;
    }
  }
  return undefined;
}

export function checkInterfaceName(name: string): string | undefined {
  if (name === "") return "empty interface name";
  if (name.length > 15) return `interface name "${name}" is longer than 15 characters`;
  if (/[\s/]/.test(name) || name === "." || name === "..") {
    return `"${name}" is not a valid interface name`;
  }
  return undefined;
}

/**
 * A host identifier as Kea reads it: hexadecimal bytes (`01:02:0a`, `01020a`, or with 0x) or,
 * except for hw-address, a quoted string (`'my-client'`). Returns the length in bytes.
 */
export function parseIdentifier(text: string, allowQuoted: boolean): number | undefined {
  if (allowQuoted && /^'.+'$/s.test(text)) return text.length - 2;
  if (/^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2})*$/.test(text)) return text.split(":").length;
  if (/^[0-9a-fA-F]{1,2}( [0-9a-fA-F]{1,2})*$/.test(text)) return text.split(" ").length;
  const hex = text.startsWith("0x") ? text.slice(2) : text;
  if (/^[0-9a-fA-F]+$/.test(hex)) return Math.ceil(hex.length / 2);
  return undefined;
}
