/**
 * What DHCPv4 and DHCPv6 keep alike of one query while it is processed: the server context it
 * is processed under, the query, the response being built, the subnet, the reservation, the
 * lease decisions, and the callout handle that follows it through every hook point. A family's
 * exchange (Exchange4, Exchange6) adds its own fields: every field is set when the exchange is
 * made (initializers run in declaration order), one shape for every packet of a family.
 */
import type { Pkt } from "../../dhcp/pkt.ts";
import type { CalloutHandle } from "../../hooks/callout-handle.ts";
import type { CalloutManager } from "../../hooks/callout-manager.ts";
import type { ClientFqdn, ClientName } from "./client-name.ts";

/** `C` the server context, `P` the packet, `S` the subnet, `H` the host, `L` the lease. */
export class QueryExchange<C, P extends Pkt, S, H, L> {
  /** The server context this query is processed under, from start to end. */
  readonly srv: C;
  readonly query: P;
  /** The library generation this query uses from start to end. */
  readonly gen: CalloutManager;
  handle: CalloutHandle | null = null;
  response: P | null = null;
  subnet: S | null = null;
  /** The reservation the client is served from (the subnet's, else the global one). */
  host: H | undefined = undefined;
  /** The client's global reservation, when the global reservations apply. */
  globalHost: H | undefined = undefined;
  /** The flex-id a hostN_identifier callout computed, or null. */
  flexId: Buffer | null = null;
  /** The client's identifiers are known (hostN_identifier called when it must be). */
  identified = false;
  /** Leases written (leasesN_committed), and leases removed (or declined). */
  leases: L[] = [];
  deleted: L[] = [];
  /** The client's FQDN option as read when unpacking, or null. */
  fqdn: ClientFqdn | null = null;
  /** The client name answered and stored in the leases, or null. */
  name: ClientName | null = null;
  /** Set when the query is dropped; the reason is logged once. */
  dropped = false;
  /** bufferN_receive SKIP: a callout parsed the packet, the server does not unpack it. */
  skipUnpack = false;
  /** Seconds since the epoch when processing started. */
  now: number;

  constructor(srv: C, query: P, gen: CalloutManager, now: number) {
    this.srv = srv;
    this.query = query;
    this.gen = gen;
    this.now = now;
  }
}
