/**
 * DHCPv6 host reservations (Kea's `reservations` in Dhcp6), global (subnet id 0) or per subnet,
 * found by identifier (duid, hw-address) or by a reserved address or prefix.
 */
import { toHex } from "../../dhcp/ioaddress.ts";
import { CfgOption } from "./cfg-option.ts";
import type { IdentifierType } from "./host.ts";

/** A reserved delegated prefix. */
export interface ReservedPrefix {
  /** Canonical text of the prefix's first address. */
  address: string;
  length: number;
}

export interface Host6Params {
  identifierType: IdentifierType;
  identifier: Uint8Array;
  /** 0 for a global reservation. */
  subnetId: number;
  /** Canonical text of the reserved addresses. */
  addresses?: string[];
  prefixes?: ReservedPrefix[];
  hostname?: string;
  options?: CfgOption;
  /** Classes the client joins when this reservation is found (`client-classes`). */
  classes?: readonly string[];
}

export class Host6 {
  readonly identifierType: IdentifierType;
  readonly identifier: Buffer;
  readonly subnetId: number;
  readonly addresses: readonly string[];
  readonly prefixes: readonly ReservedPrefix[];
  readonly hostname: string;
  readonly options: CfgOption;
  readonly classes: readonly string[];

  constructor(p: Host6Params) {
    this.identifierType = p.identifierType;
    this.identifier = Buffer.from(p.identifier);
    this.subnetId = p.subnetId;
    this.addresses = p.addresses ?? [];
    this.prefixes = p.prefixes ?? [];
    this.hostname = p.hostname ?? "";
    this.options = p.options ?? CfgOption.EMPTY6;
    this.classes = p.classes ?? [];
  }

  get key(): string {
    return hostKey(this.subnetId, this.identifierType, this.identifier);
  }
}

function hostKey(subnetId: number, type: IdentifierType, id: Uint8Array): string {
  return `${subnetId}/${type}/${toHex(id)}`;
}

export class HostStore6 {
  private readonly byId = new Map<string, Host6>();
  /** "subnetId/canonical address" (prefixes by their first address) -> host. */
  private readonly byAddress = new Map<string, Host6[]>();

  add(host: Host6): void {
    this.byId.set(host.key, host);
    for (const a of host.addresses) addTo(this.byAddress, `${host.subnetId}/${a}`, host);
    for (const p of host.prefixes) addTo(this.byAddress, `${host.subnetId}/${p.address}`, host);
  }

  /** The reservation of a client identifier in a subnet (0 = global), or undefined. */
  find(subnetId: number, type: IdentifierType, id: Uint8Array): Host6 | undefined {
    return this.byId.get(hostKey(subnetId, type, id));
  }

  /** The reservation holding this address or prefix (canonical text), or undefined. */
  findByAddress(subnetId: number, address: string): Host6 | undefined {
    return this.findAllByAddress(subnetId, address)[0];
  }

  /**
   * Every reservation of this address or prefix in the subnet: one at most, unless
   * `ip-reservations-unique` is false.
   */
  findAllByAddress(subnetId: number, address: string): readonly Host6[] {
    if (this.byAddress.size === 0) return NO_HOSTS;
    return this.byAddress.get(`${subnetId}/${address}`) ?? NO_HOSTS;
  }

  get size(): number {
    return this.byId.size;
  }

  all(): IterableIterator<Host6> {
    return this.byId.values();
  }
}

const NO_HOSTS: readonly Host6[] = [];

function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
