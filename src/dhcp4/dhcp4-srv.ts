/**
 * DHCPv4 message processing: one received datagram in, at most one reply out, with every v4
 * hook point at its place (Kea's order, ../docs/hooks/dhcp4-hook-points.md):
 *
 *   buffer4_receive -> unpack -> pkt4_receive -> subnet4_select -> reservations ->
 *   lease4_select | lease4_renew (DISCOVER, REQUEST), lease4_release, lease4_decline ->
 *   lease store -> lease4_offer (DISCOVER) | leases4_committed (REQUEST, RELEASE, DECLINE) ->
 *   pkt4_send -> pack -> buffer4_send -> reply
 *
 * The path is synchronous as long as no callout returns a Promise: processQuery() then returns
 * the reply (or null) directly, and only a query whose callout awaits something becomes a
 * Promise, while the others go on. Lease changes go to the store's write queue; the caller
 * flushes it before sending the replies (src/dhcp4/server.ts).
 *
 * This file assembles the steps (src/dhcp4/processing/, by concern: accept, select, allocate,
 * release, response, send, destination) into one table, on the shared core of
 * src/dhcpsrv/processing/ (query-processor.ts: the context, processQuery; family.ts: the steps
 * and hook points both families have). Each hook point is described once: the shared ones in
 * family.ts, v4's own next to their steps (ALLOCATE_POINTS, RELEASE_POINTS, OFFER_POINTS).
 */
import { Pkt4 } from "../dhcp/pkt4.ts";
import type { HooksManager } from "../hooks/hooks-manager.ts";
import { defineMessages, type LogManager } from "../log/logger.ts";
import { AllocEngine4 } from "../dhcpsrv/alloc/alloc-engine4.ts";
import type { LeaseStore4 } from "../dhcpsrv/leases/lease-store4.ts";
import type { Dhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import type { Subnet4 } from "../dhcpsrv/model/subnet4.ts";
import * as shared from "../dhcpsrv/processing/family.ts";
import {
  afterHostIdentifier,
  setHostIdentifierArguments,
} from "../dhcpsrv/processing/host-steps.ts";
import { firstContext, QueryProcessor } from "../dhcpsrv/processing/query-processor.ts";
import type { FamilyProcessing, Steps } from "../dhcpsrv/processing/query-processor.ts";
import type { StatsManager } from "../stats/stats-manager.ts";
import { Exchange4, type Points4, type Reply4, type Srv4 } from "./exchange.ts";
import type { Dhcp4Hooks } from "./hook-points.ts";
import { Dhcp4Stats } from "./stats4.ts";
import { accept, label4, RULES4 } from "./processing/accept.ts";
import { allocate, ALLOCATE_POINTS } from "./processing/allocate.ts";
import { destination } from "./processing/destination.ts";
import { deferredUnpack } from "./processing/deferred-unpack.ts";
import { releaseOrDecline, RELEASE_POINTS } from "./processing/release.ts";
import { buildResponse } from "./processing/response.ts";
import { earlyGlobalHost, findHost, findSubnet, selectSubnet } from "./processing/select.ts";
import { committed, nothingToSend, OFFER_POINTS } from "./processing/send.ts";

export { teeTimes } from "./processing/response.ts";

defineMessages({
  DHCP4_PACKET_DROP_0001: "failed to parse a packet from %1 to %2 on interface %3: %4",
  DHCP4_PACKET_DROP_0002: "%1: packet dropped: %2",
  DHCP4_HOOK_DROP: "%1: %2 callout set status %3: packet dropped",
  DHCP4_SUBNET_SELECTION_FAILED: "%1: failed to select subnet for the client",
  DHCP4_ALLOC_FAIL: "%1: no address available in subnet %2 (all pools exhausted or in use)",
  DHCP4_LEASE_ALLOC: "%1: lease %2 has been allocated for %3 seconds",
  DHCP4_LEASE_ADVERT: "%1: lease %2 will be advertised",
  DHCP4_LEASE_REUSE: "%1: lease %2 has been reused for %3 seconds",
  DHCP4_PACKET_NAK_0001: "%1: NAK: no subnet for the query from %2 (%3)",
  DHCP4_PACKET_NAK_0002: "%1: NAK: the client in INIT-REBOOT cannot have %2",
  DHCP4_PACKET_NAK_0003: "%1: no OFFER: the DISCOVER (ciaddr %2) gets no lease: %3",
  DHCP4_PACKET_NAK_0004: "%1: NAK: the REQUEST (ciaddr %2, requested %3) cannot be granted",
  DHCP4_INIT_REBOOT: "%1: INIT-REBOOT: the client asks for %2",
  DHCP4_NO_LEASE_INIT_REBOOT: "%1: no answer: INIT-REBOOT for %2 from a client without a lease",
  DHCP4_UNKNOWN_ADDRESS_REQUESTED: "%1: no answer: ciaddr %2 / requested %3 is in no pool",
  DHCP4_RELEASE: "%1: address %2 was released properly",
  DHCP4_RELEASE_FAIL_NO_LEASE: "%1: RELEASE of %2 ignored: no lease of that address",
  DHCP4_RELEASE_FAIL_WRONG_CLIENT: "%1: RELEASE of %2 ignored: the lease is another client's",
  DHCP4_DECLINE_LEASE: "%1: lease %2 was declined and set aside for %3 seconds",
  DHCP4_DECLINE_LEASE_NOT_FOUND: "DECLINE of %1 from %2 ignored: no lease of that address",
  DHCP4_DECLINE_LEASE_MISMATCH:
    "DECLINE of %1 from %2 ignored: not the client's lease (hwaddr %3, lease's %4; client-id %5, lease's %6)",
  DHCP4_PACKET_DROP_0007: "%1: packet dropped: %2",
  DHCP4_CLASS_EVAL_ERROR: "%1: failed to evaluate the test of class %2: %3",
  DHCP4_CLASS_ASSIGNED: "%1: client packet has been assigned to the following class(es): %2",
  DHCP4_PACKET_PROCESSING_FAILED: "%1: processing failed: %2",
});

export interface Dhcp4SrvDeps {
  model: Dhcp4Model;
  leases: LeaseStore4;
  hooks: HooksManager;
  hookIdx: Dhcp4Hooks;
  stats: StatsManager;
  logs: LogManager;
  /** The port the server listens on (67, or -p). */
  serverPort: number;
  /** -P: every reply goes to this port; undefined = 68 for clients, 67 for relays (Kea). */
  clientPort: number | undefined;
  /** The IPv4 addresses of an interface, first one used as server identifier. */
  ifaceAddresses: (iface: string) => readonly string[];
  /**
   * True when a reply can go to a client's hardware address without ARP (Kea's "raw" socket
   * type with a raw sender): new addresses are then unicast to yiaddr, else broadcast.
   */
  directResponse?: () => boolean;
}

/** Each v4 hook point: those both families have (src/dhcpsrv/processing/family.ts), v4's own. */
function points4(H: Dhcp4Hooks): Points4 {
  const specs = shared.sharedSpecs<"4", Exchange4>("4", shared.afterSubnetSelect);
  const own = {
    ...ALLOCATE_POINTS,
    ...RELEASE_POINTS,
    ...OFFER_POINTS,
    host4_identifier: [setHostIdentifierArguments, afterHostIdentifier] as const,
  };
  return shared.hookPoints<keyof Points4, Exchange4>(H, { ...specs, ...own });
}

/** The first server context, from the server's dependencies. */
function context4(deps: Dhcp4SrvDeps): Srv4 {
  const engine = new AllocEngine4(deps.leases, deps.model.hosts);
  engine.setSubnets(deps.model.subnets);
  const stats = new Dhcp4Stats(deps.stats);
  engine.setPoolUsage(stats);
  return firstContext(RULES4, deps, engine, stats, points4(deps.hookIdx), {
    ifaceAddresses: deps.ifaceAddresses,
    directResponse: deps.directResponse ?? never,
  });
}

/** The steps of a query, in Kea's order; those both families have are in family.ts. */
function steps4(points: Points4): Steps<Exchange4> {
  return [
    points.buffer4_receive,
    shared.unpack,
    shared.classify,
    deferredUnpack, //    option 43 and 224-254 read with the classes' definitions
    accept, //            counted; what a server does not answer is dropped
    points.pkt4_receive,
    earlyGlobalHost, //   early-global-reservations-lookup: host4_identifier, global reservation
    selectSubnet, //      DROP class, the subnet, then subnet4_select
    findHost, //          host4_identifier, the client's reservations
    shared.classifyKnown,
    allocate, //          DISCOVER, REQUEST: lease4_select | lease4_renew
    releaseOrDecline, //  lease4_release | lease4_decline
    buildResponse, //     OFFER or ACK (a NAK is built when refused), INFORM's ACK
    committed, //         lease4_offer (DISCOVER) | leases4_committed: DROP = not sent
    nothingToSend, //     RELEASE, DECLINE or no answer: the query ends
    points.pkt4_send,
    points.buffer4_send,
  ];
}

/** What is v4's own in processing a query. */
const FAMILY4: FamilyProcessing<Srv4, Exchange4, Reply4> = {
  label: label4,
  Packet: Pkt4,
  Exchange: Exchange4,
  steps: steps4,
  destination,
};

export class Dhcp4Srv extends QueryProcessor<Srv4, Exchange4, Reply4> {
  constructor(deps: Dhcp4SrvDeps) {
    super(deps, FAMILY4, context4(deps));
  }

  /** The server's statistics (one object for every configuration). */
  get stats4(): Dhcp4Stats {
    return this.context.stats;
  }

  /** Installs a new configuration model (after a successful reload). */
  setModel(model: Dhcp4Model): void {
    this.reconfigure(model);
  }

  /** Kea's selectSubnet4 for a query (src/dhcp4/processing/select.ts). */
  findSubnet(q: Pkt4): Subnet4 | null {
    return findSubnet(this.context, q);
  }
}

function never(): boolean {
  return false;
}
