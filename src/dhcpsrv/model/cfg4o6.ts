/**
 * DHCPv4-over-DHCPv6 (RFC 7341) in a `subnet4`: the keys by which a query that the DHCPv6
 * server forwarded selects the subnet (Kea's Cfg4o6), and Kea's selector for such a query
 * (CfgSubnets4::selectSubnet4o6).
 */
import { ipv6FromString, isIPv6 } from "../../dhcp/ioaddress.ts";
import type { ConfigError } from "../../util/errors.ts";

/** A subnet's 4o6 keys as written. */
export interface Subnet4o6Keys {
  "4o6-interface"?: string;
  "4o6-interface-id"?: string;
  "4o6-subnet"?: string;
}

export class Cfg4o6 {
  /** `4o6-interface`: the DHCPv6 server's interface the query came in on ("" = none). */
  readonly iface: string;
  /** `4o6-interface-id`: the relay's interface-id option (18) bytes, or null. */
  readonly interfaceId: Buffer | null;
  /** `4o6-subnet`: the prefix of the query's IPv6 source address, or null. */
  readonly prefix: Buffer | null;
  readonly prefixLen: number;

  constructor(iface: string, interfaceId: Buffer | null, prefix: Buffer | null, prefixLen: number) {
    this.iface = iface;
    this.interfaceId = interfaceId;
    this.prefix = prefix;
    this.prefixLen = prefixLen;
  }

  /**
   * The 4o6 settings of a subnet entry, or null when it has none (empty strings are none, as in
   * Kea); a `4o6-subnet` that is not "prefix/length" is refused at its key.
   */
  static fromConfig(
    s: Subnet4o6Keys,
    path: string,
    at: (path: string, reason: string) => ConfigError,
  ): Cfg4o6 | null {
    const iface = s["4o6-interface"] ?? "";
    const id = s["4o6-interface-id"] ?? "";
    const subnet = s["4o6-subnet"] ?? "";
    if (iface === "" && id === "" && subnet === "") return null;
    let prefix: Buffer | null = null;
    let len = 0;
    if (subnet !== "") {
      const slash = subnet.indexOf("/");
      if (slash < 0) {
        throw at(
          `${path}.4o6-subnet`,
          `missing / in the 4o6-subnet parameter: '${subnet}', expected format: prefix6/length`,
        );
      }
      const addr = subnet.slice(0, slash).trim();
      const lenText = subnet.slice(slash + 1).trim();
      len = Number(lenText);
      if (!/^\d+$/.test(lenText) || len > 128) {
        throw at(`${path}.4o6-subnet`, `invalid prefix length in 4o6-subnet '${subnet}'`);
      }
      if (!isIPv6(addr)) {
        throw at(`${path}.4o6-subnet`, `'${addr}' in 4o6-subnet is not an IPv6 address`);
      }
      prefix = ipv6FromString(addr);
      // Kea tries no prefix of ::, whatever its length.
      if (prefix.every((b) => b === 0)) prefix = null;
    }
    return new Cfg4o6(iface, id === "" ? null : Buffer.from(id, "utf8"), prefix, len);
  }

  /** Whether an IPv6 address is inside `4o6-subnet`. */
  inSubnet(addr: string): boolean {
    const p = this.prefix;
    if (p === null || !isIPv6(addr)) return false;
    const a = ipv6FromString(addr);
    const full = this.prefixLen >> 3;
    for (let i = 0; i < full; i++) if (a[i] !== p[i]) return false;
    const bits = this.prefixLen & 7;
    if (bits === 0) return true;
    const mask = (0xff << (8 - bits)) & 0xff;
    return (a[full]! & mask) === (p[full]! & mask);
  }
}

/** What the 4o6 selector reads of a forwarded query. */
export interface Selector4o6 {
  /** The source address of the DHCPv6 message (the client's, or the relay's when relayed). */
  remoteAddr: string;
  /** The interface-id of the relay closest to the client, or null. */
  interfaceId: Buffer | null;
  /** The DHCPv6 server's interface the message came in on. */
  iface: string;
}

/**
 * Kea's selectSubnet4o6: the first subnet with 4o6 settings whose `4o6-subnet` holds the
 * source address, else whose `4o6-interface-id` is the relay's interface-id, else whose
 * `4o6-interface` is the arrival interface, tried subnet by subnet in order. Client classes are
 * not consulted, as in Kea 2.2.
 */
export function selectSubnet4o6<S extends { readonly dhcp4o6: Cfg4o6 | null }>(
  subnets: readonly S[],
  sel: Selector4o6,
): S | null {
  for (const s of subnets) {
    const c = s.dhcp4o6;
    if (c === null) continue;
    if (c.inSubnet(sel.remoteAddr)) return s;
    if (c.interfaceId !== null && sel.interfaceId?.equals(c.interfaceId) === true) return s;
    if (c.iface !== "" && sel.iface !== "" && c.iface === sel.iface) return s;
  }
  return null;
}
