/**
 * DHCPv6 message processing: one received datagram in, at most one reply out, with every v6
 * hook point at its place (Kea's order, ../docs/hooks/dhcp6-hook-points.md):
 *
 *   buffer6_receive -> unpack -> pkt6_receive -> subnet6_select -> reservations ->
 *   per IA: lease6_select (SOLICIT, REQUEST) | lease6_renew (RENEW) | lease6_rebind (REBIND) |
 *           lease6_release (RELEASE) | lease6_decline (DECLINE) ->
 *   lease store -> leases6_committed -> pkt6_send -> pack -> buffer6_send -> reply
 *
 * Each IA_NA and IA_PD of a message is handled on its own (one lease per IA); the reply carries
 * one IA per IA of the query, with its address or prefix or a status code. The path is
 * synchronous as long as no callout returns a Promise; lease changes go to the store's write
 * queue and the caller flushes it before sending the replies (src/dhcp6/server.ts).
 *
 * This file assembles the steps (src/dhcp6/processing/, by concern) into one table, on the
 * shared core of src/dhcpsrv/processing/ (query-processor.ts: the context, processQuery;
 * family.ts: the steps and hook points both families have). Each hook point is described once:
 * the shared ones in family.ts, v6's own next to their steps (IA_POINTS, RELEASE_POINTS).
 */
import { carryCursors } from "../dhcpsrv/alloc/allocator-state.ts";
import { D6O } from "../dhcp/constants.ts";
import { Option } from "../dhcp/option.ts";
import { Pkt6 } from "../dhcp/pkt6.ts";
import type { HooksManager } from "../hooks/hooks-manager.ts";
import { defineMessages, type LogManager } from "../log/logger.ts";
import { AllocEngine6 } from "../dhcpsrv/alloc/alloc-engine6.ts";
import type { Dhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import type { LeaseStore6 } from "../dhcpsrv/leases/lease-store6.ts";
import type { Subnet6 } from "../dhcpsrv/model/subnet6.ts";
import * as shared from "../dhcpsrv/processing/family.ts";
import {
  afterHostIdentifier,
  setHostIdentifierArguments,
} from "../dhcpsrv/processing/host-steps.ts";
import { firstContext, QueryProcessor } from "../dhcpsrv/processing/query-processor.ts";
import type { FamilyProcessing, Steps } from "../dhcpsrv/processing/query-processor.ts";
import type { StatsManager } from "../stats/stats-manager.ts";
import { Exchange6, label6, type Points6, type Reply6, type Srv6 } from "./exchange.ts";
import type { Dhcp6Hooks } from "./hook-points.ts";
import { Dhcp6Stats } from "./stats6.ts";
import { accept, afterPkt6Receive, RULES6 } from "./processing/accept.ts";
import { IA_POINTS, processIAs } from "./processing/ias.ts";
import { confirm, RELEASE_POINTS } from "./processing/release.ts";
import { answerFqdn, buildResponse, finishResponse } from "./processing/response.ts";
import {
  afterSubnet6Select,
  earlyGlobalHost,
  findHost,
  findSubnet,
  selectSubnet,
} from "./processing/select.ts";
import { committed, destination, forward4o6 } from "./processing/send.ts";

defineMessages({
  DHCP6_DHCP4O6_SEND_FAIL: "%1: failed to forward the DHCPV4-QUERY to the DHCPv4 server: %2",
  DHCP6_PACKET_DROP_PARSE_FAIL: "failed to parse a packet from %1 to %2 on interface %3: %4",
  DHCP6_PACKET_DROP_0002: "%1: packet dropped: %2",
  DHCP6_HOOK_DROP: "%1: %2 callout set status %3: packet dropped",
  DHCP6_SUBNET_SELECTION_FAILED: "%1: failed to select subnet for the client",
  DHCP6_LEASE_ADVERT: "%1: lease %2 will be advertised",
  DHCP6_LEASE_ALLOC: "%1: lease %2 has been allocated for %3 seconds",
  DHCP6_LEASE_RENEW: "%1: lease %2 has been renewed for %3 seconds",
  DHCP6_LEASE_REUSE: "%1: lease %2 has been reused for %3 seconds",
  DHCP6_PD_LEASE_REUSE: "%1: prefix lease %2 has been reused for %3 seconds",
  DHCP6_PD_LEASE_ADVERT: "%1: prefix lease %2 will be advertised",
  DHCP6_PD_LEASE_ALLOC: "%1: prefix lease %2 has been allocated for %3 seconds",
  DHCP6_PD_LEASE_RENEW: "%1: prefix lease %2 has been renewed for %3 seconds",
  DHCP6_LEASE_DATA: "%1: the lease of IAID %2 in full: %3",
  DHCP6_PROCESS_IA_NA_REQUEST: "%1: processing IA_NA %2 (hint %3)",
  DHCP6_PROCESS_IA_PD_REQUEST: "%1: processing IA_PD %2 (hint %3)",
  DHCP6_PROCESS_IA_NA_EXTEND: "%1: extending the leases of IA_NA %2",
  DHCP6_PROCESS_IA_PD_EXTEND: "%1: extending the leases of IA_PD %2",
  DHCP6_PROCESS_IA_NA_RELEASE: "%1: releasing the leases of IA_NA %2",
  DHCP6_PROCESS_IA_PD_RELEASE: "%1: releasing the leases of IA_PD %2",
  DHCP6_LEASE_ALLOC_FAIL: "%1: failed to allocate a lease of type %2 for IAID %3",
  DHCP6_RELEASE: "%1: lease %2 was released",
  DHCP6_DECLINE_LEASE: "%1: lease %2 was declined and set aside for %3 seconds",
  DHCP6_CLASS_EVAL_ERROR: "%1: failed to evaluate the test of class %2: %3",
  DHCP6_CLASS_ASSIGNED: "%1: client packet has been assigned to the following class(es): %2",
  DHCP6_PACKET_PROCESSING_FAILED: "%1: processing failed: %2",
});

export interface Dhcp6SrvDeps {
  model: Dhcp6Model;
  leases: LeaseStore6;
  hooks: HooksManager;
  hookIdx: Dhcp6Hooks;
  stats: StatsManager;
  logs: LogManager;
  /** The server's DUID (option 2). */
  serverDuid: Buffer;
  /** The port the server listens on (547, or -p). */
  serverPort: number;
  /** -P: every reply goes to this port; undefined = 546 for clients, 547 for relays (Kea). */
  clientPort: number | undefined;
  /** DHCPv4-over-DHCPv6: hands a DHCPV4-QUERY to the DHCPv4 server; throws when it cannot. */
  to4o6?: (query: Pkt6) => void;
}

/** Each v6 hook point: those both families have (src/dhcpsrv/processing/family.ts), v6's own. */
function points6(H: Dhcp6Hooks): Points6 {
  const specs = shared.sharedSpecs<"6", Exchange6>("6", afterSubnet6Select);
  const own = {
    ...IA_POINTS,
    ...RELEASE_POINTS,
    host6_identifier: [setHostIdentifierArguments, afterHostIdentifier] as const,
    pkt6_receive: [shared.setQueryArgument, afterPkt6Receive] as const,
  };
  return shared.hookPoints<keyof Points6, Exchange6>(H, { ...specs, ...own });
}

/** The first server context, from the server's dependencies. */
function context6(deps: Dhcp6SrvDeps): Srv6 {
  const engine = new AllocEngine6(deps.leases, deps.model.hosts);
  engine.setSubnets(deps.model.subnets);
  const stats = new Dhcp6Stats(deps.stats);
  engine.setPoolUsage(stats);
  return firstContext(RULES6, deps, engine, stats, points6(deps.hookIdx), {
    ...serverId(deps.serverDuid),
    to4o6: deps.to4o6 ?? noIpc,
  });
}

/**
 * The steps of a query, in Kea's order; those both families have are in family.ts. Each IA_NA
 * and IA_PD is handled on its own (processIAs).
 */
function steps6(points: Points6): Steps<Exchange6> {
  return [
    points.buffer6_receive,
    shared.unpack,
    shared.classify,
    accept, //            RFC 8415 section 16 sanity check, hardware address
    points.pkt6_receive,
    earlyGlobalHost, //   early-global-reservations-lookup: host6_identifier, global reservation
    forward4o6, //        DHCPV4-QUERY: to the DHCPv4 server (RFC 7341), not answered here
    selectSubnet, //      DROP class, the subnet, then subnet6_select
    findHost, //          host6_identifier, the client's reservations
    shared.classifyKnown,
    buildResponse, //     ADVERTISE or REPLY, one IA per IA of the query
    answerFqdn, //        option 39 answered, the name for the leases
    processIAs, //        per IA: lease6_select | renew | rebind | release | decline
    confirm, //           CONFIRM: on link or not
    finishResponse, //    timers, summary status, required classes, options
    committed, //         leases6_committed: DROP = not sent
    points.pkt6_send,
    points.buffer6_send,
  ];
}

/** The prefix pools of each subnet, for carrying their cursors over a reload. */
function pdPools(m: Dhcp6Model): { id: number; pools: Subnet6["pdPools"] }[] {
  return m.subnets.map((s) => ({ id: s.id, pools: s.pdPools }));
}

/** What is v6's own in processing a query. */
const FAMILY6: FamilyProcessing<Srv6, Exchange6, Reply6> = {
  label: label6,
  Packet: Pkt6,
  Exchange: Exchange6,
  steps: steps6,
  destination,
};

export class Dhcp6Srv extends QueryProcessor<Srv6, Exchange6, Reply6> {
  constructor(deps: Dhcp6SrvDeps) {
    super(deps, FAMILY6, context6(deps));
  }

  getServerDuid(): Buffer {
    return this.context.serverDuid;
  }

  /** The server's statistics (one object for every configuration). */
  get stats6(): Dhcp6Stats {
    return this.context.stats;
  }

  /** Installs a new configuration model (after a successful reload), and a new DUID if given. */
  setModel(model: Dhcp6Model, serverDuid?: Buffer): void {
    carryCursors(pdPools(this.context.model), pdPools(model));
    this.reconfigure(model, serverDuid === undefined ? undefined : serverId(serverDuid));
  }

  /** Kea's selectSubnet6 for a query (src/dhcp6/processing/select.ts). */
  findSubnet(q: Pkt6): Subnet6 | null {
    return findSubnet(this.context.model, q);
  }
}

/** The server's DUID and the server identifier option of its responses. */
function serverId(serverDuid: Buffer): { serverDuid: Buffer; serverIdOption: Option } {
  return { serverDuid, serverIdOption: new Option(6, D6O.SERVERID, serverDuid) };
}

function noIpc(): void {
  throw new Error("DHCPv4-over-DHCPv6 is off (dhcp4o6-port is 0)");
}
