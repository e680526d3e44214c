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
 * shared core of src/dhcpsrv/processing/; each hook point is described once, here.
 */
import { carryCursors } from "../dhcpsrv/alloc/allocator-state.ts";
import { Pkt6 } from "../dhcp/pkt6.ts";
import type { HooksManager } from "../hooks/hooks-manager.ts";
import { defineMessages, type LogManager } from "../log/logger.ts";
import { AllocEngine6 } from "../dhcpsrv/alloc/alloc-engine6.ts";
import type { Dhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import type { LeaseStore6 } from "../dhcpsrv/leases/lease-store6.ts";
import type { Subnet6 } from "../dhcpsrv/model/subnet6.ts";
import { receivedQuery } from "../dhcpsrv/processing/exchange-rules.ts";
import { hookPoint } from "../dhcpsrv/processing/hook-point.ts";
import { QueryCore, coreMessages } from "../dhcpsrv/processing/query-core.ts";
import { StepRunner } from "../dhcpsrv/processing/step-runner.ts";
import type { StatsManager } from "../stats/stats-manager.ts";
import {
  Exchange6,
  label6,
  type Points6,
  type Received6,
  type Reply6,
  type Srv6,
} from "./exchange.ts";
import type { Dhcp6Hooks } from "./hook-points.ts";
import { Dhcp6Stats } from "./stats6.ts";
import {
  accept,
  afterBuffer6Receive,
  afterPkt6Receive,
  classify,
  setQuery,
  unpack,
} from "./processing/accept.ts";
import {
  afterExtend,
  afterSelect,
  processIAs,
  setupExtend,
  setupSelect,
} from "./processing/ias.ts";
import { afterDecline, afterRelease, confirm, setupLease } from "./processing/release.ts";
import { answerFqdn, buildResponse, finishResponse } from "./processing/response.ts";
import {
  afterSubnetSelect,
  classifyKnown,
  findHost,
  findSubnet,
  selectSubnet,
  setupSubnetSelect,
} from "./processing/select.ts";
import {
  afterBuffer6Send,
  afterCommitted,
  afterPkt6Send,
  committed,
  failed,
  finish,
  setupBuffer6Send,
  setupCommitted,
  setupPkt6Send,
} from "./processing/send.ts";

defineMessages({
  DHCP6_PACKET_DROP_PARSE_FAIL: "%1: failed to parse packet from %2 to %3: %4",
  DHCP6_PACKET_DROP_0002: "%1: packet dropped: %2",
  DHCP6_HOOK_DROP: "%1: %2 callout set status %3: packet dropped",
  DHCP6_SUBNET_SELECTION_FAILED: "%1: failed to select subnet for the client",
  DHCP6_LEASE_ADVERT: "%1: lease %2 will be advertised",
  DHCP6_LEASE_ALLOC: "%1: lease %2 has been allocated for %3 seconds",
  DHCP6_LEASE_RENEW: "%1: lease %2 has been renewed for %3 seconds",
  DHCP6_LEASE_ALLOC_FAIL: "%1: failed to allocate a lease of type %2 for IAID %3",
  DHCP6_RELEASE: "%1: lease %2 was released",
  DHCP6_DECLINE_LEASE: "%1: lease %2 was declined and set aside for %3 seconds",
  DHCP6_CLASS_EVAL_ERROR: "%1: failed to evaluate the test of class %2: %3",
  DHCP6_CLASS_ASSIGNED: "%1: client packet has been assigned to the following class(es): %2",
  DHCP6_PACKET_PROCESSING_FAILED: "%1: processing failed: %2",
  DHCP6_RESPONSE_DATA: "%1: responding with %2 to [%3]:%4 on %5",
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
}

/** Each v6 hook point as the steps call it: its index, its arguments, what its status does. */
function points6(H: Dhcp6Hooks): Points6 {
  return {
    buffer6_receive: hookPoint("buffer6_receive", H.buffer6_receive, setQuery, afterBuffer6Receive),
    pkt6_receive: hookPoint("pkt6_receive", H.pkt6_receive, setQuery, afterPkt6Receive),
    subnet6_select: hookPoint(
      "subnet6_select",
      H.subnet6_select,
      setupSubnetSelect,
      afterSubnetSelect,
    ),
    lease6_select: hookPoint("lease6_select", H.lease6_select, setupSelect, afterSelect),
    lease6_renew: hookPoint("lease6_renew", H.lease6_renew, setupExtend, afterExtend),
    lease6_rebind: hookPoint("lease6_rebind", H.lease6_rebind, setupExtend, afterExtend),
    lease6_release: hookPoint("lease6_release", H.lease6_release, setupLease, afterRelease),
    lease6_decline: hookPoint("lease6_decline", H.lease6_decline, setupLease, afterDecline),
    leases6_committed: hookPoint(
      "leases6_committed",
      H.leases6_committed,
      setupCommitted,
      afterCommitted,
    ),
    pkt6_send: hookPoint("pkt6_send", H.pkt6_send, setupPkt6Send, afterPkt6Send),
    buffer6_send: hookPoint("buffer6_send", H.buffer6_send, setupBuffer6Send, afterBuffer6Send),
  };
}

export class Dhcp6Srv {
  readonly stats6: Dhcp6Stats;
  private readonly hooks: HooksManager;
  private readonly serverPort: number;
  private readonly runner: StepRunner<Exchange6, Reply6 | null>;
  /** What the steps read, for the configuration in force: replaced by setModel. */
  private srv: Srv6;

  constructor(deps: Dhcp6SrvDeps) {
    this.hooks = deps.hooks;
    this.serverPort = deps.serverPort;
    this.stats6 = new Dhcp6Stats(deps.stats);
    const points = points6(deps.hookIdx);
    this.srv = {
      model: deps.model,
      serverDuid: deps.serverDuid,
      leases: deps.leases,
      engine: new AllocEngine6(deps.leases, deps.model.hosts),
      stats: this.stats6,
      core: new QueryCore<Exchange6>(deps.logs, this.stats6, coreMessages("DHCP6")),
      points,
      clientPort: deps.clientPort,
    };
    this.configure();
    this.runner = new StepRunner<Exchange6, Reply6 | null>(
      [
        points.buffer6_receive, // buffer6_receive: SKIP = a callout parsed it; DROP = dropped
        unpack, //                 malformed queries (and option 39) dropped
        classify, //               ALL, VENDOR_CLASS_, the tests not about KNOWN
        accept, //                 RFC 8415 section 16 sanity check, hardware address
        points.pkt6_receive, //    pkt6_receive: SKIP or DROP = dropped
        selectSubnet, //           DROP class, the subnet, then subnet6_select
        findHost, //               the client's reservation
        classifyKnown, //          KNOWN / UNKNOWN and the tests that depend on them
        buildResponse, //          ADVERTISE or REPLY, one IA per IA of the query
        answerFqdn, //             option 39 answered, the name for the leases
        processIAs, //             per IA: lease6_select | renew | rebind | release | decline
        confirm, //                CONFIRM: on link or not
        finishResponse, //         timers, summary status, required classes, options
        committed, //              leases6_committed: DROP = not sent
        points.pkt6_send, //       pkt6_send: SKIP = a callout packed it; DROP = not sent
        points.buffer6_send, //    buffer6_send: SKIP or DROP = not sent
      ],
      failed,
      finish,
    );
  }

  /** Installs a new configuration model (after a successful reload). */
  setModel(model: Dhcp6Model, serverDuid?: Buffer): void {
    const old = this.srv;
    carryCursors(old.model.subnets, model.subnets);
    carryCursors(
      old.model.subnets.map((s) => ({ id: s.id, pools: s.pdPools })),
      model.subnets.map((s) => ({ id: s.id, pools: s.pdPools })),
    );
    old.engine.setHosts(model.hosts);
    this.srv = {
      model,
      serverDuid: serverDuid ?? old.serverDuid,
      leases: old.leases,
      engine: old.engine,
      stats: old.stats,
      core: old.core,
      points: old.points,
      clientPort: old.clientPort,
    };
    this.configure();
  }

  /** What a configuration sets outside the context: statistics, class evaluation errors. */
  private configure(): void {
    const { model, leases, core } = this.srv;
    this.stats6.configure(model, leases);
    core.reportClassErrors(model.classes, label6);
  }

  getModel(): Dhcp6Model {
    return this.srv.model;
  }

  getServerDuid(): Buffer {
    return this.srv.serverDuid;
  }

  /** Kea's selectSubnet6 for a query (src/dhcp6/processing/select.ts). */
  findSubnet(q: Pkt6): Subnet6 | null {
    return findSubnet(this.srv.model, q);
  }

  /** Processes one datagram; a Promise only when a callout of this query is asynchronous. */
  processQuery(rx: Received6): Reply6 | null | Promise<Reply6 | null> {
    const srv = this.srv;
    const query = receivedQuery(new Pkt6(rx.data, srv.model.optionDefs), rx, this.serverPort);
    const ex = new Exchange6(srv, query, this.hooks.callouts, Math.floor(rx.receivedAt / 1000));
    return this.runner.run(ex);
  }
}
