/**
 * Host reservations (Kea's `reservations`), global (subnet id 0) or per subnet, found by
 * identifier (hw-address, client-id, duid, circuit-id, flex-id) or by reserved address.
 */
import { toHex } from "../../dhcp/ioaddress.ts";
import { CfgOption } from "./cfg-option.ts";

import { IdentifierType } from "./host.ts";

export { IdentifierType };

export interface Host4Params {
  identifierType: IdentifierType;
  identifier: Uint8Array;
  /** 0 for a global reservation. */
  subnetId: number;
  /** Reserved address as a number; 0 when none. */
  ipv4?: number;
  hostname?: string;
  nextServer?: number;
  serverHostname?: string;
  bootFileName?: string;
  options?: CfgOption;
  /** Classes the client joins when this reservation is found (`client-classes`). */
  classes?: readonly string[];
}

export class Host4 {
  readonly identifierType: IdentifierType;
  readonly identifier: Buffer;
  readonly subnetId: number;
  readonly ipv4: number;
  readonly hostname: string;
  readonly nextServer: number;
  readonly serverHostname: string;
  readonly bootFileName: string;
  readonly options: CfgOption;
  readonly classes: readonly string[];

  constructor(p: Host4Params) {
    this.identifierType = p.identifierType;
    this.identifier = Buffer.from(p.identifier);
    this.subnetId = p.subnetId;
    this.ipv4 = (p.ipv4 ?? 0) >>> 0;
    this.hostname = p.hostname ?? "";
    this.nextServer = p.nextServer ?? 0;
    this.serverHostname = p.serverHostname ?? "";
    this.bootFileName = p.bootFileName ?? "";
    this.options = p.options ?? CfgOption.EMPTY4;
    this.classes = p.classes ?? [];
  }

  get key(): string {
    return hostKey(this.subnetId, this.identifierType, this.identifier);
  }
}

function hostKey(subnetId: number, type: IdentifierType, id: Uint8Array): string {
  return `${subnetId}/${type}/${toHex(id)}`;
}

export class HostStore4 {
  private readonly byId = new Map<string, Host4>();
  /** "subnetId/address" -> the reservations of that address (several when not unique). */
  private readonly byAddress = new Map<string, Host4[]>();

  add(host: Host4): void {
    this.byId.set(host.key, host);
    if (host.ipv4 !== 0) addTo(this.byAddress, `${host.subnetId}/${host.ipv4}`, host);
  }

  /** The reservation of a client identifier in a subnet (0 = global), or undefined. */
  find(subnetId: number, type: IdentifierType, id: Uint8Array): Host4 | undefined {
    return this.byId.get(hostKey(subnetId, type, id));
  }

  /** The (first) reservation holding this address in the subnet, or undefined. */
  findByAddress(subnetId: number, addr: number): Host4 | undefined {
    return this.findAllByAddress(subnetId, addr)[0];
  }

  /**
   * Every reservation of this address in the subnet: one at most, unless
   * `ip-reservations-unique` is false.
   */
  findAllByAddress(subnetId: number, addr: number): readonly Host4[] {
    // Asked for every candidate address: without address reservations, no key to build.
    if (this.byAddress.size === 0) return NO_HOSTS;
    return this.byAddress.get(`${subnetId}/${addr >>> 0}`) ?? NO_HOSTS;
  }

  get size(): number {
    return this.byId.size;
  }

  all(): IterableIterator<Host4> {
    return this.byId.values();
  }
}

const NO_HOSTS: readonly Host4[] = [];

function addTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
