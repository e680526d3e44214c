/**
 * The state of one DHCPv6 query while it is processed: what both families keep
 * (src/dhcpsrv/processing/query-exchange.ts), the client's identifiers, the IAs and their lease
 * decisions. One shape for every packet: every field is set when the exchange is made.
 */
import type { LayeredHosts, ReceivedDatagram } from "../dhcpsrv/processing/exchange-rules.ts";
import type { HookPoint } from "../dhcpsrv/processing/hook-point.ts";
import { QueryExchange } from "../dhcpsrv/processing/query-exchange.ts";
import type { ServerContext } from "../dhcpsrv/processing/query-processor.ts";
import type { HWAddr } from "../dhcp/hwaddr.ts";
import { toColonHex } from "../dhcp/ioaddress.ts";
import type { Option } from "../dhcp/option.ts";
import type { Option6IA } from "../dhcp/option6-ia.ts";
import type { Pkt6 } from "../dhcp/pkt6.ts";
import type { AllocEngine6, ClientContext6, Hint6, Pick6 } from "../dhcpsrv/alloc/alloc-engine6.ts";
import type { Dhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import type { Host6 } from "../dhcpsrv/model/host6.ts";
import type { LeaseStore6 } from "../dhcpsrv/leases/lease-store6.ts";
import type { Lease6 } from "../dhcpsrv/leases/lease6.ts";
import type { Subnet6 } from "../dhcpsrv/model/subnet6.ts";
import type { Dhcp6HookName } from "./hook-points.ts";
import type { Dhcp6Stats } from "./stats6.ts";

/** A received datagram with what the socket layer knows of it. */
export type Received6 = ReceivedDatagram;

/** Where a reply goes: the socket layer sends `data` to `address:port` out of `ifindex`. */
export interface Reply6 {
  data: Buffer;
  /** The message type (REPLY...) after pkt6_send: the sent statistics count it when it leaves. */
  type: number;
  address: string;
  port: number;
  iface: string;
  ifindex: number;
}

/** The hook points a query goes through, each described once per server (src/dhcp6/dhcp6-srv.ts). */
export type Points6 = Readonly<
  Record<
    Exclude<Dhcp6HookName, "dhcp6_srv_configured" | "lease6_expire" | "lease6_recover">,
    HookPoint<Exchange6>
  >
>;

/**
 * What the processing steps read of the server: one object per configuration (a reload makes a
 * new one), so a query finishes under the configuration it started with.
 */
export interface Srv6 extends ServerContext<
  Dhcp6Model,
  LeaseStore6,
  AllocEngine6,
  Dhcp6Stats,
  Exchange6,
  Points6
> {
  /** The server's DUID (option 2). */
  readonly serverDuid: Buffer;
  /** Option 2 with that DUID: one object for every response (options are never written in place). */
  readonly serverIdOption: Option;
  /** DHCPv4-over-DHCPv6: hands a DHCPV4-QUERY to the DHCPv4 server; throws when it cannot. */
  readonly to4o6: (query: Pkt6) => void;
}

/** One IA_NA or IA_PD of the query and the IA of the same IAID in the response. */
export class IaWork {
  readonly opt: Option6IA;
  /** LeaseType6.IA_NA or IA_PD. */
  readonly type: number;
  readonly iaid: number;
  readonly rsp: Option6IA;
  readonly hints: Hint6[];
  ctx: ClientContext6 | null;
  /** The lease being decided (lease6_renew / release / decline), the store's own object. */
  lease: Lease6 | null;
  /** The extended copy of `lease` offered to lease6_renew / lease6_rebind. */
  extended: Lease6 | null;

  constructor(opt: Option6IA, type: number, rsp: Option6IA, hints: Hint6[]) {
    this.opt = opt;
    this.type = type;
    this.iaid = opt.getIAID();
    this.rsp = rsp;
    this.hints = hints;
    this.ctx = null;
    this.lease = null;
    this.extended = null;
  }
}

export class Exchange6 extends QueryExchange<Srv6, Pkt6, Subnet6, Host6, Lease6> {
  /** The client's DUID bytes (option 1), null when absent. */
  duid: Buffer | null = null;
  /** With a hosts database: the reservations this query's lookups read (select.ts findHost). */
  hosts: LayeredHosts<Host6, string> | null = null;
  hwaddr: HWAddr | null = null;
  /** HWAddrSource of `hwaddr`. */
  hwaddrSource = 0;
  ias: IaWork[] = [];
  /** The IA being processed (hook arguments of the per-IA points come from it). */
  ia: IaWork | null = null;
  pick: Pick6 | null = null;
  /** SOLICIT answered by an ADVERTISE: choose leases, store nothing. */
  fake = false;
  /** SOLICIT answered by a REPLY (both the client and the subnet allow rapid commit). */
  rapidCommit = false;
  /** A message that must come by multicast came by unicast: REPLY with UseMulticast. */
  useMulticast = false;
  /** RELEASE: the summary status (Success, or NoBinding when an IA had no lease). */
  generalStatus = 0;

  /**
   * Kea's v6 packet label, "duid=[00:01:..], tid=0x1234": the exchange is handed to log calls
   * as it is, so the label is built only when a line is written.
   */
  override toString(): string {
    return label6(this.query);
  }
}

/** Kea's v6 packet label for a packet alone (a class test that fails on it, an exchange). */
export function label6(pkt: Pick<Pkt6, "transid" | "getNonCopiedOption">): string {
  const d = pkt.getNonCopiedOption(1)?.getData();
  const duid = d === undefined ? "no info" : toColonHex(d);
  return `duid=[${duid}], tid=0x${pkt.transid.toString(16)}`;
}
