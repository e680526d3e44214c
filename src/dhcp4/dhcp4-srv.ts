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
 * src/dhcpsrv/processing/; each hook point is described once, here.
 */
import { Pkt4 } from "../dhcp/pkt4.ts";
import type { HooksManager } from "../hooks/hooks-manager.ts";
import { defineMessages, type LogManager } from "../log/logger.ts";
import { AllocEngine4 } from "../dhcpsrv/alloc/alloc-engine4.ts";
import { carryCursors } from "../dhcpsrv/alloc/allocator-state.ts";
import type { LeaseStore4 } from "../dhcpsrv/leases/lease-store4.ts";
import type { Dhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import type { Subnet4 } from "../dhcpsrv/model/subnet4.ts";
import { hookPoint } from "../dhcpsrv/processing/hook-point.ts";
import { QueryCore, coreMessages } from "../dhcpsrv/processing/query-core.ts";
import { StepRunner } from "../dhcpsrv/processing/step-runner.ts";
import type { StatsManager } from "../stats/stats-manager.ts";
import { Exchange4, type Points4, type Received4, type Reply4, type Srv4 } from "./exchange.ts";
import type { Dhcp4Hooks } from "./hook-points.ts";
import { Dhcp4Stats } from "./stats4.ts";
import {
  accept,
  afterBuffer4Receive,
  afterPkt4Receive,
  classify,
  label4,
  setQuery,
  unpack,
} from "./processing/accept.ts";
import {
  afterLeaseRenew,
  afterLeaseSelect,
  allocate,
  setupLeaseRenew,
  setupLeaseSelect,
} from "./processing/allocate.ts";
import { failed, finish } from "./processing/destination.ts";
import {
  afterDecline,
  afterRelease,
  releaseOrDecline,
  setupLeaseTarget,
} from "./processing/release.ts";
import { buildResponse } from "./processing/response.ts";
import {
  afterSubnetSelect,
  classifyKnown,
  findHost,
  findSubnet,
  selectSubnet,
  setupSubnetSelect,
} from "./processing/select.ts";
import {
  afterBuffer4Send,
  afterCommitted,
  afterOffer,
  afterPkt4Send,
  committed,
  nothingToSend,
  setupBuffer4Send,
  setupCommitted,
  setupOffer,
  setupPkt4Send,
} from "./processing/send.ts";

export { teeTimes } from "./processing/response.ts";

defineMessages({
  DHCP4_PACKET_DROP_0001: "%1: failed to parse packet from %2 to %3: %4",
  DHCP4_PACKET_DROP_0002: "%1: packet dropped: %2",
  DHCP4_HOOK_DROP: "%1: %2 callout set status %3: packet dropped",
  DHCP4_SUBNET_SELECTION_FAILED: "%1: failed to select subnet for the client",
  DHCP4_ALLOC_FAIL: "%1: no address available in subnet %2 (all pools exhausted or in use)",
  DHCP4_LEASE_ALLOC: "%1: lease %2 has been allocated for %3 seconds",
  DHCP4_LEASE_ADVERT: "%1: lease %2 will be advertised",
  DHCP4_LEASE_REUSE: "%1: lease %2 never expires: reused as stored, not written again",
  DHCP4_NAK: "%1: NAK: %2",
  DHCP4_RELEASE: "%1: address %2 was released properly",
  DHCP4_RELEASE_FAIL: "%1: failed to release lease for address %2: %3",
  DHCP4_DECLINE_LEASE: "%1: lease %2 was declined and set aside for %3 seconds",
  DHCP4_DECLINE_FAIL: "%1: failed to process decline of %2: %3",
  DHCP4_CLASS_EVAL_ERROR: "%1: failed to evaluate the test of class %2: %3",
  DHCP4_CLASS_ASSIGNED: "%1: client packet has been assigned to the following class(es): %2",
  DHCP4_PACKET_PROCESSING_FAILED: "%1: processing failed: %2",
  DHCP4_RESPONSE_DATA: "%1: responding with %2 to %3:%4 on %5",
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

/** Each v4 hook point as the steps call it: its index, its arguments, what its status does. */
function points4(H: Dhcp4Hooks): Points4 {
  return {
    buffer4_receive: hookPoint("buffer4_receive", H.buffer4_receive, setQuery, afterBuffer4Receive),
    pkt4_receive: hookPoint("pkt4_receive", H.pkt4_receive, setQuery, afterPkt4Receive),
    subnet4_select: hookPoint(
      "subnet4_select",
      H.subnet4_select,
      setupSubnetSelect,
      afterSubnetSelect,
    ),
    lease4_select: hookPoint("lease4_select", H.lease4_select, setupLeaseSelect, afterLeaseSelect),
    lease4_renew: hookPoint("lease4_renew", H.lease4_renew, setupLeaseRenew, afterLeaseRenew),
    lease4_release: hookPoint("lease4_release", H.lease4_release, setupLeaseTarget, afterRelease),
    lease4_decline: hookPoint("lease4_decline", H.lease4_decline, setupLeaseTarget, afterDecline),
    lease4_offer: hookPoint("lease4_offer", H.lease4_offer, setupOffer, afterOffer),
    leases4_committed: hookPoint(
      "leases4_committed",
      H.leases4_committed,
      setupCommitted,
      afterCommitted,
    ),
    pkt4_send: hookPoint("pkt4_send", H.pkt4_send, setupPkt4Send, afterPkt4Send),
    buffer4_send: hookPoint("buffer4_send", H.buffer4_send, setupBuffer4Send, afterBuffer4Send),
  };
}

export class Dhcp4Srv {
  readonly stats4: Dhcp4Stats;
  private readonly hooks: HooksManager;
  private readonly serverPort: number;
  private readonly runner: StepRunner<Exchange4, Reply4 | null>;
  /** What the steps read, for the configuration in force: replaced by setModel. */
  private srv: Srv4;

  constructor(deps: Dhcp4SrvDeps) {
    this.hooks = deps.hooks;
    this.serverPort = deps.serverPort;
    this.stats4 = new Dhcp4Stats(deps.stats);
    const points = points4(deps.hookIdx);
    this.srv = {
      model: deps.model,
      leases: deps.leases,
      engine: new AllocEngine4(deps.leases, deps.model.hosts),
      stats: this.stats4,
      core: new QueryCore<Exchange4>(deps.logs, this.stats4, coreMessages("DHCP4")),
      points,
      clientPort: deps.clientPort,
      ifaceAddresses: deps.ifaceAddresses,
      directResponse: deps.directResponse ?? never,
    };
    this.configure();
    this.runner = new StepRunner<Exchange4, Reply4 | null>(
      [
        points.buffer4_receive, // buffer4_receive: SKIP = a callout parsed it; DROP = dropped
        unpack, //                 malformed queries (and option 81) dropped
        classify, //               ALL, VENDOR_CLASS_, the tests not about KNOWN
        accept, //                 counted; what a server does not answer is dropped
        points.pkt4_receive, //    pkt4_receive: SKIP or DROP = dropped
        selectSubnet, //           DROP class, the subnet, then subnet4_select
        findHost, //               the client's reservation
        classifyKnown, //          KNOWN / UNKNOWN and the tests that depend on them
        allocate, //               DISCOVER, REQUEST: lease4_select | lease4_renew
        releaseOrDecline, //       lease4_release | lease4_decline
        buildResponse, //          OFFER or ACK (a NAK is built when refused), INFORM's ACK
        committed, //              lease4_offer (DISCOVER) | leases4_committed: DROP = not sent
        nothingToSend, //          RELEASE, DECLINE or no answer: the query ends
        points.pkt4_send, //       pkt4_send: SKIP = a callout packed it; DROP = not sent
        points.buffer4_send, //    buffer4_send: SKIP or DROP = not sent
      ],
      failed,
      finish,
    );
  }

  /** Installs a new configuration model (after a successful reload). */
  setModel(model: Dhcp4Model): void {
    const old = this.srv;
    carryCursors(old.model.subnets, model.subnets);
    old.engine.setHosts(model.hosts);
    // Written out (not spread) so every context has the same shape as the first.
    this.srv = {
      model,
      leases: old.leases,
      engine: old.engine,
      stats: old.stats,
      core: old.core,
      points: old.points,
      clientPort: old.clientPort,
      ifaceAddresses: old.ifaceAddresses,
      directResponse: old.directResponse,
    };
    this.configure();
  }

  /** What a configuration sets outside the context: statistics, class evaluation errors. */
  private configure(): void {
    const { model, leases, core } = this.srv;
    this.stats4.configure(model, leases);
    core.reportClassErrors(model.classes, label4);
  }

  getModel(): Dhcp4Model {
    return this.srv.model;
  }

  /** Kea's selectSubnet4 for a query (src/dhcp4/processing/select.ts). */
  findSubnet(q: Pkt4): Subnet4 | null {
    return findSubnet(this.srv, q);
  }

  /** Processes one datagram; a Promise only when a callout of this query is asynchronous. */
  processQuery(rx: Received4): Reply4 | null | Promise<Reply4 | null> {
    const srv = this.srv;
    const query = new Pkt4(rx.data, srv.model.optionDefs);
    query.remoteAddr = rx.srcAddr;
    query.remotePort = rx.srcPort;
    query.localAddr = rx.dstAddr;
    query.localPort = this.serverPort;
    query.iface = rx.iface;
    query.ifindex = rx.ifindex;
    query.timestamp = rx.receivedAt;
    const serverId = srv.ifaceAddresses(rx.iface)[0] ?? rx.dstAddr;
    const now = Math.floor(rx.receivedAt / 1000);
    const ex = new Exchange4(srv, query, this.hooks.callouts, serverId, now);
    return this.runner.run(ex);
  }
}

function never(): boolean {
  return false;
}
