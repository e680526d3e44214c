/**
 * The state of one DHCPv4 query while it is processed: the query, the response being built,
 * the subnet, the lease decisions and the callout handle that follows it through every hook
 * point. One shape for every packet: all fields are set in the constructor.
 */
import type { Pkt4 } from "../dhcp/pkt4.ts";
import type { CalloutHandle } from "../hooks/callout-handle.ts";
import type { CalloutManager } from "../hooks/callout-manager.ts";
import type { Pick4 } from "../dhcpsrv/alloc-engine4.ts";
import type { Host4 } from "../dhcpsrv/host.ts";
import type { Lease4 } from "../dhcpsrv/lease.ts";
import type { Subnet4 } from "../dhcpsrv/subnet4.ts";
import type { ClientFqdn, ClientName } from "../dhcpsrv/client-name.ts";

/** Where a reply goes: the socket layer sends `data` to `address:port` out of `iface`. */
export interface Reply4 {
  data: Buffer;
  address: string;
  port: number;
  iface: string;
  ifindex: number;
  /** The address the reply is sent from (the server identifier). */
  source: string;
  /** True when the destination is the limited broadcast address. */
  broadcast: boolean;
  /** The client's hardware address, when the reply goes straight to it (no ARP). */
  hwaddr: string | undefined;
}

/** A received datagram with what the socket layer knows of it. */
export interface Received4 {
  data: Buffer;
  srcAddr: string;
  srcPort: number;
  dstAddr: string;
  iface: string;
  ifindex: number;
  /** Milliseconds since the epoch. */
  receivedAt: number;
}

export class Exchange4 {
  readonly query: Pkt4;
  /** The library generation this query uses from start to end. */
  readonly gen: CalloutManager;
  handle: CalloutHandle | null;
  response: Pkt4 | null;
  subnet: Subnet4 | null;
  host: Host4 | undefined;
  pick: Pick4 | null;
  /** Leases written for leases4_committed, and leases removed. */
  leases: Lease4[];
  deleted: Lease4[];
  /** The client's option 81 as read when unpacking, or null. */
  fqdn: ClientFqdn | null;
  /** The client name answered (option 12 or 81) and stored in the lease, or null. */
  name: ClientName | null;
  /** Set when the query is dropped; the reason is logged once. */
  dropped: boolean;
  /** buffer4_receive SKIP: a callout parsed the packet, the server does not unpack it. */
  skipUnpack: boolean;
  /** The server identifier (our address on the arrival interface). */
  serverId: string;
  /** Seconds since the epoch when processing started. */
  now: number;

  constructor(query: Pkt4, gen: CalloutManager, serverId: string, now: number) {
    this.query = query;
    this.gen = gen;
    this.handle = null;
    this.response = null;
    this.subnet = null;
    this.host = undefined;
    this.pick = null;
    this.leases = [];
    this.deleted = [];
    this.fqdn = null;
    this.name = null;
    this.dropped = false;
    this.skipUnpack = false;
    this.serverId = serverId;
    this.now = now;
  }
}
