/**
 * The state of one DHCPv4 query while it is processed: what both families keep
 * (src/dhcpsrv/processing/query-exchange.ts) and the v4 lease decisions. One shape for every
 * packet: every field is set when the exchange is made.
 */
import type { Pkt4 } from "../dhcp/pkt4.ts";
import type { AllocEngine4, ClientContext4, Pick4 } from "../dhcpsrv/alloc/alloc-engine4.ts";
import type { LeaseStore4 } from "../dhcpsrv/leases/lease-store4.ts";
import type { Dhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import type { Host4 } from "../dhcpsrv/model/host4.ts";
import type { Lease4 } from "../dhcpsrv/leases/lease4.ts";
import type { Subnet4 } from "../dhcpsrv/model/subnet4.ts";
import type { LayeredHosts, ReceivedDatagram } from "../dhcpsrv/processing/exchange-rules.ts";
import type { HookPoint } from "../dhcpsrv/processing/hook-point.ts";
import { QueryExchange } from "../dhcpsrv/processing/query-exchange.ts";
import type { ServerContext } from "../dhcpsrv/processing/query-processor.ts";
import type { Dhcp4HookName } from "./hook-points.ts";
import type { Dhcp4Stats } from "./stats4.ts";

/** Where a reply goes: the socket layer sends `data` to `address:port` out of `iface`. */
export interface Reply4 {
  data: Buffer;
  /** The message type (DHCPACK...) after pkt4_send: the sent statistics count it when it leaves. */
  type: number;
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
  /**
   * DHCPv4-over-DHCPv6: `data` is the DHCPV4-RESPONSE for the DHCPv6 server, which carries this
   * DHCPv4 reply.
   */
  dhcp4o6?: Buffer;
}

/** A received datagram with what the socket layer knows of it. */
export type Received4 = ReceivedDatagram;

/** The hook points a query goes through, each described once per server (dhcp4-srv.ts). */
export type Points4 = Readonly<
  Record<
    Exclude<Dhcp4HookName, "dhcp4_srv_configured" | "lease4_expire" | "lease4_recover">,
    HookPoint<Exchange4>
  >
>;

/**
 * What the processing steps read of the server: one object per configuration (a reload makes a
 * new one), so a query finishes under the configuration it started with.
 */
export interface Srv4 extends ServerContext<
  Dhcp4Model,
  LeaseStore4,
  AllocEngine4,
  Dhcp4Stats,
  Exchange4,
  Points4
> {
  /** The IPv4 addresses of an interface, first one used as server identifier. */
  readonly ifaceAddresses: (iface: string) => readonly string[];
  /** True when a reply can go to a client's hardware address without ARP. */
  readonly directResponse: () => boolean;
}

export class Exchange4 extends QueryExchange<Srv4, Pkt4, Subnet4, Host4, Lease4> {
  /** DISCOVER and REQUEST: what the allocation engine was asked, read again by the hooks. */
  client: ClientContext4 | null = null;
  pick: Pick4 | null = null;
  /** RELEASE and DECLINE: the client's lease they are about. */
  target: Lease4 | null = null;
  /** With a hosts database: the reservations this query's lookups read (select.ts findHost). */
  hosts: LayeredHosts<Host4, number> | null = null;
  /** The server identifier: our first address on the arrival interface, else where it came to. */
  serverId: string = this.srv.ifaceAddresses(this.query.iface)[0] ?? this.query.localAddr;

  /** Kea's v4 packet label: the exchange is handed to log calls, built only when written. */
  override toString(): string {
    return this.query.getLabel();
  }
}
