/**
 * The state of one DHCPv4 query while it is processed: the query, the response being built,
 * the subnet, the lease decisions, the callout handle that follows it through every hook point,
 * and the server context it is processed under. One shape for every packet: all fields are set
 * in the constructor.
 */
import type { Pkt4 } from "../dhcp/pkt4.ts";
import type { CalloutHandle } from "../hooks/callout-handle.ts";
import type { CalloutManager } from "../hooks/callout-manager.ts";
import type { AllocEngine4, ClientContext4, Pick4 } from "../dhcpsrv/alloc/alloc-engine4.ts";
import type { LeaseStore4 } from "../dhcpsrv/leases/lease-store4.ts";
import type { Dhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import type { Host4 } from "../dhcpsrv/model/host4.ts";
import type { Lease4 } from "../dhcpsrv/leases/lease4.ts";
import type { Subnet4 } from "../dhcpsrv/model/subnet4.ts";
import type { ClientFqdn, ClientName } from "../dhcpsrv/processing/client-name.ts";
import type { HookPoint } from "../dhcpsrv/processing/hook-point.ts";
import type { QueryCore } from "../dhcpsrv/processing/query-core.ts";
import type { Dhcp4HookName } from "./hook-points.ts";
import type { Dhcp4Stats } from "./stats4.ts";

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

/** The hook points a query goes through, each described once per server (dhcp4-srv.ts). */
export type Points4 = Readonly<
  Record<
    Exclude<
      Dhcp4HookName,
      "dhcp4_srv_configured" | "host4_identifier" | "lease4_expire" | "lease4_recover"
    >,
    HookPoint<Exchange4>
  >
>;

/**
 * What the processing steps read of the server: one object per configuration (a reload makes a
 * new one), so a query finishes under the configuration it started with.
 */
export interface Srv4 {
  readonly model: Dhcp4Model;
  readonly leases: LeaseStore4;
  readonly engine: AllocEngine4;
  readonly stats: Dhcp4Stats;
  readonly core: QueryCore<Exchange4>;
  readonly points: Points4;
  /** -P: every reply goes to this port; undefined = 68 for clients, 67 for relays (Kea). */
  readonly clientPort: number | undefined;
  /** The IPv4 addresses of an interface, first one used as server identifier. */
  readonly ifaceAddresses: (iface: string) => readonly string[];
  /** True when a reply can go to a client's hardware address without ARP. */
  readonly directResponse: () => boolean;
}

export class Exchange4 {
  /** The server context this query is processed under. */
  readonly srv: Srv4;
  readonly query: Pkt4;
  /** The library generation this query uses from start to end. */
  readonly gen: CalloutManager;
  handle: CalloutHandle | null;
  response: Pkt4 | null;
  subnet: Subnet4 | null;
  host: Host4 | undefined;
  /** DISCOVER and REQUEST: what the allocation engine was asked, read again by the hooks. */
  client: ClientContext4 | null;
  pick: Pick4 | null;
  /** RELEASE and DECLINE: the client's lease they are about. */
  target: Lease4 | null;
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

  constructor(srv: Srv4, query: Pkt4, gen: CalloutManager, serverId: string, now: number) {
    this.srv = srv;
    this.query = query;
    this.gen = gen;
    this.handle = null;
    this.response = null;
    this.subnet = null;
    this.host = undefined;
    this.client = null;
    this.pick = null;
    this.target = null;
    this.leases = [];
    this.deleted = [];
    this.fqdn = null;
    this.name = null;
    this.dropped = false;
    this.skipUnpack = false;
    this.serverId = serverId;
    this.now = now;
  }

  /** Kea's v4 packet label: the exchange is handed to log calls, built only when written. */
  toString(): string {
    return this.query.getLabel();
  }
}
