/**
 * The state of one DHCPv6 query while it is processed: the query, the response being built, the
 * subnet, the IAs and their lease decisions, and the callout handle that follows it through every
 * hook point, and the server context it is processed under. One shape for every packet: all
 * fields are set in the constructor.
 */
import type { ClientFqdn, ClientName } from "../dhcpsrv/processing/client-name.ts";
import type { HookPoint } from "../dhcpsrv/processing/hook-point.ts";
import type { QueryCore } from "../dhcpsrv/processing/query-core.ts";
import type { HWAddr } from "../dhcp/hwaddr.ts";
import { toColonHex } from "../dhcp/ioaddress.ts";
import type { Option6IA } from "../dhcp/option6-ia.ts";
import type { Pkt6 } from "../dhcp/pkt6.ts";
import type { CalloutHandle } from "../hooks/callout-handle.ts";
import type { CalloutManager } from "../hooks/callout-manager.ts";
import type { AllocEngine6, ClientContext6, Hint6, Pick6 } from "../dhcpsrv/alloc/alloc-engine6.ts";
import type { Dhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import type { Host6 } from "../dhcpsrv/model/host6.ts";
import type { LeaseStore6 } from "../dhcpsrv/leases/lease-store6.ts";
import type { Lease6 } from "../dhcpsrv/leases/lease6.ts";
import type { Subnet6 } from "../dhcpsrv/model/subnet6.ts";
import type { Dhcp6HookName } from "./hook-points.ts";
import type { Dhcp6Stats } from "./stats6.ts";

/** A received datagram with what the socket layer knows of it. */
export interface Received6 {
  data: Buffer;
  srcAddr: string;
  srcPort: number;
  /** ff02::1:2, a unicast address, or "" when the socket cannot tell. */
  dstAddr: string;
  iface: string;
  ifindex: number;
  /** Milliseconds since the epoch. */
  receivedAt: number;
}

/** Where a reply goes: the socket layer sends `data` to `address:port` out of `ifindex`. */
export interface Reply6 {
  data: Buffer;
  address: string;
  port: number;
  iface: string;
  ifindex: number;
}

/** The hook points a query goes through, each described once per server (src/dhcp6/dhcp6-srv.ts). */
export type Points6 = Readonly<
  Record<
    Exclude<
      Dhcp6HookName,
      "dhcp6_srv_configured" | "host6_identifier" | "lease6_expire" | "lease6_recover"
    >,
    HookPoint<Exchange6>
  >
>;

/**
 * What the processing steps read of the server: one object per configuration (a reload makes a
 * new one), so a query finishes under the configuration it started with.
 */
export interface Srv6 {
  readonly model: Dhcp6Model;
  /** The server's DUID (option 2). */
  readonly serverDuid: Buffer;
  readonly leases: LeaseStore6;
  readonly engine: AllocEngine6;
  readonly stats: Dhcp6Stats;
  readonly core: QueryCore<Exchange6>;
  readonly points: Points6;
  /** -P: every reply goes to this port; undefined = 546 for clients, 547 for relays (Kea). */
  readonly clientPort: number | undefined;
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

export class Exchange6 {
  /** The server context this query is processed under, from start to end. */
  readonly srv: Srv6;
  readonly query: Pkt6;
  readonly gen: CalloutManager;
  handle: CalloutHandle | null;
  response: Pkt6 | null;
  subnet: Subnet6 | null;
  host: Host6 | undefined;
  /** The client's DUID bytes (option 1), null when absent. */
  duid: Buffer | null;
  hwaddr: HWAddr | null;
  /** HWAddrSource of `hwaddr`. */
  hwaddrSource: number;
  ias: IaWork[];
  /** The IA being processed (hook arguments of the per-IA points come from it). */
  ia: IaWork | null;
  pick: Pick6 | null;
  /** Leases written (leases6_committed), and leases removed or declined. */
  leases: Lease6[];
  deleted: Lease6[];
  /** The client's option 39 as read when unpacking, or null. */
  fqdn: ClientFqdn | null;
  /** The option 39 answered and the name stored in the leases, or null. */
  name: ClientName | null;
  dropped: boolean;
  /** buffer6_receive SKIP: a callout parsed the packet, the server does not unpack it. */
  skipUnpack: boolean;
  /** SOLICIT answered by an ADVERTISE: choose leases, store nothing. */
  fake: boolean;
  /** SOLICIT answered by a REPLY (both the client and the subnet allow rapid commit). */
  rapidCommit: boolean;
  /** A message that must come by multicast came by unicast: REPLY with UseMulticast. */
  useMulticast: boolean;
  /** RELEASE: the summary status (Success, or NoBinding when an IA had no lease). */
  generalStatus: number;
  /** Seconds since the epoch when processing started. */
  now: number;

  constructor(srv: Srv6, query: Pkt6, gen: CalloutManager, now: number) {
    this.srv = srv;
    this.query = query;
    this.gen = gen;
    this.handle = null;
    this.response = null;
    this.subnet = null;
    this.host = undefined;
    this.duid = null;
    this.hwaddr = null;
    this.hwaddrSource = 0;
    this.ias = [];
    this.ia = null;
    this.pick = null;
    this.leases = [];
    this.deleted = [];
    this.fqdn = null;
    this.name = null;
    this.dropped = false;
    this.skipUnpack = false;
    this.fake = false;
    this.rapidCommit = false;
    this.useMulticast = false;
    this.generalStatus = 0;
    this.now = now;
  }

  /**
   * Kea's v6 packet label, "duid=[00:01:..], tid=0x1234": the exchange is handed to log calls
   * as it is, so the label is built only when a line is written.
   */
  toString(): string {
    return label6(this.query);
  }
}

/** Kea's v6 packet label for a packet alone (a class test that fails on it, an exchange). */
export function label6(pkt: Pick<Pkt6, "transid" | "getNonCopiedOption">): string {
  const d = pkt.getNonCopiedOption(1)?.getData();
  const duid = d === undefined ? "no info" : toColonHex(d);
  return `duid=[${duid}], tid=0x${pkt.transid.toString(16)}`;
}
