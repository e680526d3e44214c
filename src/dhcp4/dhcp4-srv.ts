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
 */
import { StepRunner, type Step } from "../dhcpsrv/step-runner.ts";
import { DHCPMessageType, DHO, RAI, BOOTREPLY } from "../dhcp/constants.ts";
import { PacketParseError } from "../dhcp/errors.ts";
import { ipv4FromString, ipv4ToString, tryParseIPv4 } from "../dhcp/ioaddress.ts";
import { Option } from "../dhcp/option.ts";
import type { OptionDescriptor } from "../dhcp/option-data.ts";
import { Pkt4 } from "../dhcp/pkt4.ts";
import type { CalloutHandle } from "../hooks/callout-handle.ts";
import type { HooksManager } from "../hooks/hooks-manager.ts";
import { NextStep } from "../hooks/next-step.ts";
import { defineMessages, type LogManager, type Logger } from "../log/logger.ts";
import {
  AllocEngine4,
  PickKind,
  belongsToClient,
  type ClientContext4,
} from "../dhcpsrv/alloc-engine4.ts";
import type { CfgOption } from "../dhcpsrv/cfg-option.ts";
import type { Dhcp4Model } from "../dhcpsrv/cfg4.ts";
import { carryCursors } from "../dhcpsrv/allocator-state.ts";
import { callHook, statusName, type HookAfter, type HookSetup } from "../dhcpsrv/hook-call.ts";
import { IdentifierType } from "../dhcpsrv/host.ts";
import { INFINITY_LFT, LeaseState, type Lease4 } from "../dhcpsrv/lease.ts";
import type { LeaseStore4 } from "../dhcpsrv/lease-store.ts";
import type { Subnet4 } from "../dhcpsrv/subnet4.ts";
import {
  answerData,
  fqdnOption,
  hostnameOption4,
  parseFqdn4,
  setGenerated,
  type ClientName,
} from "../dhcpsrv/client-name.ts";
import type { StatsManager } from "../stats/stats-manager.ts";
import { Exchange4, type Received4, type Reply4 } from "./exchange.ts";
import type { Dhcp4Hooks } from "./hook-points.ts";
import { Dhcp4Stats } from "./stats4.ts";

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

const {
  DHCPDISCOVER,
  DHCPOFFER,
  DHCPREQUEST,
  DHCPDECLINE,
  DHCPACK,
  DHCPNAK,
  DHCPRELEASE,
  DHCPINFORM,
} = DHCPMessageType;
const BROADCAST = "255.255.255.255";
const ZERO = "0.0.0.0";
const DHCP4_CLIENT_PORT = 68;
const DHCP4_SERVER_PORT = 67;
/**
 * The client class of BOOTP queries (set by the bootp hook library, which turns them into
 * REQUESTs): their leases never expire and their responses are in the class too.
 */
const BOOTP_CLASS = "BOOTP";
/** Options Kea adds to every lease response when configured, asked for or not. */
const BASIC_OPTIONS = [DHO.ROUTERS, DHO.DOMAIN_NAME_SERVERS, DHO.DOMAIN_NAME];

export class Dhcp4Srv {
  private model: Dhcp4Model;
  private readonly leases: LeaseStore4;
  private readonly hooks: HooksManager;
  private readonly H: Dhcp4Hooks;
  readonly stats4: Dhcp4Stats;
  private readonly engine: AllocEngine4;
  private readonly serverPort: number;
  private readonly clientPort: number | undefined;
  private readonly ifaceAddresses: (iface: string) => readonly string[];
  private readonly directResponse: () => boolean;
  private readonly log: Logger;
  private readonly badLog: Logger;
  private readonly leaseLog: Logger;
  private readonly runner: StepRunner<Exchange4, Reply4 | null>;

  constructor(deps: Dhcp4SrvDeps) {
    this.model = deps.model;
    this.leases = deps.leases;
    this.hooks = deps.hooks;
    this.H = deps.hookIdx;
    this.stats4 = new Dhcp4Stats(deps.stats);
    this.engine = new AllocEngine4(deps.leases, deps.model.hosts);
    this.serverPort = deps.serverPort;
    this.clientPort = deps.clientPort;
    this.ifaceAddresses = deps.ifaceAddresses;
    this.directResponse = deps.directResponse ?? never;
    this.log = deps.logs.getLogger("packets");
    this.badLog = deps.logs.getLogger("bad-packets");
    this.leaseLog = deps.logs.getLogger("leases");
    this.stats4.configure(deps.model, deps.leases);
    this.reportClassErrors(deps.model);
    const steps: Step<Exchange4>[] = [
      this.buffer4Receive,
      this.unpack,
      this.classify,
      this.accept,
      this.pkt4Receive,
      this.selectSubnet,
      this.findHost,
      this.classifyKnown,
      this.allocate,
      this.releaseOrDecline,
      this.buildResponse,
      this.committed,
      this.pkt4Send,
      this.buffer4Send,
    ].map((f) => f.bind(this));
    this.runner = new StepRunner(steps, this.failed.bind(this), this.finish.bind(this));
  }

  /** Installs a new configuration model (after a successful reload). */
  setModel(model: Dhcp4Model): void {
    carryCursors(this.model.subnets, model.subnets);
    this.model = model;
    this.engine.setHosts(model.hosts);
    this.stats4.configure(model, this.leases);
    this.reportClassErrors(model);
  }

  /** A class test that fails on a packet (a conversion of a value of the wrong size) is logged. */
  private reportClassErrors(model: Dhcp4Model): void {
    if (model.classes === null) return;
    model.classes.onError = (pkt, cls, err) =>
      this.log.error(
        "DHCP4_CLASS_EVAL_ERROR",
        (pkt as Pkt4).getLabel(),
        cls,
        err instanceof Error ? err.message : String(err),
      );
  }

  getModel(): Dhcp4Model {
    return this.model;
  }

  /** Processes one datagram; a Promise only when a callout of this query is asynchronous. */
  processQuery(rx: Received4): Reply4 | null | Promise<Reply4 | null> {
    const query = new Pkt4(rx.data, this.model.optionDefs);
    query.remoteAddr = rx.srcAddr;
    query.remotePort = rx.srcPort;
    query.localAddr = rx.dstAddr;
    query.localPort = this.serverPort;
    query.iface = rx.iface;
    query.ifindex = rx.ifindex;
    query.timestamp = rx.receivedAt;
    const serverId = this.ifaceAddresses(rx.iface)[0] ?? rx.dstAddr;
    const ex = new Exchange4(
      query,
      this.hooks.callouts,
      serverId,
      Math.floor(rx.receivedAt / 1000),
    );
    return this.runner.run(ex);
  }

  private failed(ex: Exchange4, err: unknown): void {
    ex.dropped = true;
    this.stats4.receiveDrop.add(1);
    this.log.error(
      "DHCP4_PACKET_PROCESSING_FAILED",
      ex.query.getLabel(),
      err instanceof Error ? err.message : String(err),
    );
  }

  /** Ends the request (context_destroy) and returns the reply, if any. */
  private finish(ex: Exchange4): Reply4 | null | Promise<Reply4 | null> {
    const reply = ex.dropped ? null : this.destination(ex);
    if (reply !== null) this.stats4.countSent(ex.response!.getType());
    const done = ex.handle?.release();
    if (done !== undefined) return done.then(() => reply);
    return reply;
  }

  // ---- hook plumbing ---------------------------------------------------------------------

  /** Calls a hook point if it has callouts (src/dhcpsrv/hook-call.ts). */
  private hook(
    ex: Exchange4,
    index: number,
    setup: HookSetup<Exchange4>,
    after: HookAfter<Exchange4>,
  ): void | Promise<void> {
    return callHook(ex, index, setup, after);
  }

  private drop(ex: Exchange4, reason: string): void {
    ex.dropped = true;
    this.stats4.receiveDrop.add(1);
    this.log.debug(15, "DHCP4_PACKET_DROP_0002", ex.query.getLabel(), reason);
  }

  private hookDrop(ex: Exchange4, hook: string, status: number): void {
    ex.dropped = true;
    this.log.debug(40, "DHCP4_HOOK_DROP", ex.query.getLabel(), hook, statusName(status));
  }

  // ---- steps -----------------------------------------------------------------------------

  // buffer4_receive: SKIP = the callout parsed the packet; DROP = drop it.
  private buffer4Receive(ex: Exchange4): void | Promise<void> {
    return this.hook(ex, this.H.buffer4_receive, setQuery, (e, status) => {
      if (status === NextStep.DROP) this.hookDrop(e, "buffer4_receive", status);
      else if (status === NextStep.SKIP) e.skipUnpack = true;
    });
  }

  private unpack(ex: Exchange4): void {
    const q = ex.query;
    if (ex.skipUnpack) return;
    try {
      q.unpack();
    } catch (err) {
      if (!(err instanceof PacketParseError)) throw err;
      this.dropMalformed(ex, err.message);
      return;
    }
    // Kea's Option4ClientFqdn refuses a truncated option, N and S both set or a malformed name,
    // and with it the packet.
    const fqdn = q.getNonCopiedOption(DHO.FQDN);
    if (fqdn === undefined) return;
    ex.fqdn = parseFqdn4(fqdn.getData());
    if (ex.fqdn === null) this.dropMalformed(ex, "invalid Client FQDN option (81)");
  }

  /** A query that does not parse: dropped, counted, logged (Kea's DHCP4_PACKET_DROP_0001). */
  private dropMalformed(ex: Exchange4, reason: string): void {
    const q = ex.query;
    ex.dropped = true;
    this.stats4.parseFailed.add(1);
    this.stats4.receiveDrop.add(1);
    this.badLog.debug(15, "DHCP4_PACKET_DROP_0001", q.iface, q.remoteAddr, q.localAddr, reason);
  }

  /** Counts the query and drops what this server does not answer (Kea's accept()). */
  private accept(ex: Exchange4): void {
    const q = ex.query;
    const type = q.getType();
    this.stats4.countReceived(type);
    if (type === 0)
      return this.drop(ex, "no DHCP message type (BOOTP needs the bootp hook library)");
    if (
      type !== DHCPDISCOVER &&
      type !== DHCPREQUEST &&
      type !== DHCPRELEASE &&
      type !== DHCPDECLINE &&
      type !== DHCPINFORM
    ) {
      return this.drop(ex, `message type ${q.getName()} is not handled by a server`);
    }
    if (q.hlen === 0 && q.getClientId() === null) {
      return this.drop(ex, "no hardware address and no client identifier");
    }
    const sid = q.getOption(DHO.DHCP_SERVER_IDENTIFIER);
    if (sid !== undefined && type !== DHCPDISCOVER && type !== DHCPINFORM) {
      const d = sid.getData();
      const text = d.length === 4 ? ipv4ToString(d.readUInt32BE(0)) : "";
      if (text !== ex.serverId && !this.isOurAddress(text)) {
        return this.drop(
          ex,
          `server identifier ${text} is not ours (the client chose another server)`,
        );
      }
    }
  }

  /**
   * Kea's classifyPacket, after unpacking and before pkt4_receive: ALL, VENDOR_CLASS_<option 60>
   * and the class tests that do not depend on KNOWN/UNKNOWN. Nothing without classes configured.
   */
  private classify(ex: Exchange4): void {
    const classes = this.model.classes;
    if (classes === null) return;
    const q = ex.query;
    classes.classify(q, vendorClass4(q));
    this.logClasses(ex);
  }

  private logClasses(ex: Exchange4): void {
    if (!this.log.isEnabled("DEBUG", 40)) return;
    const q = ex.query;
    this.log.debug(40, "DHCP4_CLASS_ASSIGNED", q.getLabel(), q.getClasses().join(", "));
  }

  /** After the reservation lookup: the host's classes, KNOWN or UNKNOWN, the dependent tests. */
  private classifyKnown(ex: Exchange4): void {
    const classes = this.model.classes;
    if (classes === null) return;
    const host = ex.host;
    classes.classifyKnown(ex.query, host !== undefined, host?.classes ?? NO_CLASSES);
    this.logClasses(ex);
  }

  private isOurAddress(addr: string): boolean {
    return addr !== "" && this.ifaceAddresses("").includes(addr);
  }

  // pkt4_receive: SKIP or DROP = drop the packet.
  private pkt4Receive(ex: Exchange4): void | Promise<void> {
    return this.hook(ex, this.H.pkt4_receive, setQuery, (e, status) => {
      if (status === NextStep.DROP || status === NextStep.SKIP)
        this.hookDrop(e, "pkt4_receive", status);
    });
  }

  private selectSubnet(ex: Exchange4): void | Promise<void> {
    // As Kea: only DISCOVER, REQUEST and INFORM select a subnet; RELEASE and DECLINE use the
    // lease's.
    // The DROP class (from a test or a pkt4_receive callout) drops the query, as in Kea.
    if (ex.query.classes.size !== 0 && ex.query.inClass("DROP")) {
      return this.drop(ex, "the query is in the DROP class");
    }
    const type = ex.query.getType();
    if (type === DHCPRELEASE || type === DHCPDECLINE) return;
    ex.subnet = this.findSubnet(ex.query);
    // subnet4_select: SKIP = no subnet; DROP = drop the packet.
    return this.hook(
      ex,
      this.H.subnet4_select,
      (h, e) => {
        h.setArgument("query4", e.query);
        h.setArgument("subnet4", e.subnet);
        h.setArgument("subnet4collection", this.model.subnets);
      },
      (e, status) => {
        if (status === NextStep.DROP) return this.hookDrop(e, "subnet4_select", status);
        if (status === NextStep.SKIP) {
          e.subnet = null;
          return;
        }
        if (e.handle !== null && e.gen.calloutsPresent(this.H.subnet4_select)) {
          const chosen = e.handle.getArgument("subnet4") as Subnet4 | null;
          e.subnet =
            chosen !== null && this.model.subnets.includes(chosen)
              ? chosen
              : chosen === null
                ? null
                : e.subnet;
        }
      },
    );
  }

  /**
   * Kea's selectSubnet4: by relay (giaddr), by ciaddr of a unicast query, by interface; a subnet
   * guarded by client classes is skipped for a query in none of them.
   */
  findSubnet(q: Pkt4): Subnet4 | null {
    const subnets = this.model.subnets;
    const cls = q.classes;
    const giaddr = q.giaddrInt;
    if (giaddr !== 0) {
      for (const s of subnets) if (s.relayAddresses.includes(giaddr) && s.allows(cls)) return s;
      for (const s of subnets) if (s.inRange(giaddr) && s.allows(cls)) return s;
      return null;
    }
    const ciaddr = q.ciaddrInt;
    if (ciaddr !== 0 && q.localAddr !== BROADCAST) {
      for (const s of subnets) if (s.inRange(ciaddr) && s.allows(cls)) return s;
    }
    for (const s of subnets) {
      if (s.interface !== "" && s.interface === q.iface && s.allows(cls)) return s;
    }
    for (const a of this.ifaceAddresses(q.iface)) {
      const n = tryParseIPv4(a);
      for (const s of subnets) if (n >= 0 && s.inRange(n) && s.allows(cls)) return s;
    }
    return null;
  }

  /** The client's reservation, identifiers tried in host-reservation-identifiers order. */
  private findHost(ex: Exchange4): void {
    const s = ex.subnet;
    const model = this.model;
    if (model.hosts.size === 0) return;
    const ids = model.hostReservationIdentifiers;
    const scopes: number[] = [];
    if (s !== null && model.reservationsInSubnet) scopes.push(s.id);
    if (model.hasGlobalHosts && (model.reservationsGlobal || s === null)) scopes.push(0);
    for (const scope of scopes) {
      for (const type of ids) {
        const id = identifierOf(ex.query, type);
        if (id === null) continue;
        const host = model.hosts.find(scope, type, id);
        if (host !== undefined) {
          ex.host = host;
          return;
        }
      }
    }
  }

  private clientContext(ex: Exchange4, subnet: Subnet4, fake: boolean): ClientContext4 {
    const q = ex.query;
    const cid = subnet.matchClientId ? q.getClientId() : null;
    const hostname = ex.name === null ? "" : ex.name.hostname;
    return {
      subnet,
      hwaddr: q.hlen > 0 ? q.getHWAddr() : null,
      clientId: cid === null ? null : cid.clientId,
      requestedAddress: requestedAddress(q),
      fakeAllocation: fake,
      host: ex.host,
      requestedLifetime: uint32Option(q, DHO.DHCP_LEASE_TIME),
      hostname,
      now: ex.now,
      bootp: q.inClass(BOOTP_CLASS),
      classes: q.classes,
      classLifetime: this.model.classes?.validLifetime(q),
    };
  }

  /** DISCOVER and REQUEST: choose the lease, let lease4_select / lease4_renew see it, store it. */
  private allocate(ex: Exchange4): void | Promise<void> {
    const type = ex.query.getType();
    if (type !== DHCPDISCOVER && type !== DHCPREQUEST) return;
    const subnet = ex.subnet;
    if (subnet === null) {
      this.log.debug(15, "DHCP4_SUBNET_SELECTION_FAILED", ex.query.getLabel());
      if (type === DHCPDISCOVER || !this.model.config.authoritative)
        return this.drop(ex, "no subnet for the client");
      return this.nak(ex, "no subnet for the client and the server is authoritative");
    }
    ex.name = this.clientName(ex, subnet);
    const ctx = this.clientContext(ex, subnet, type === DHCPDISCOVER);
    const pick = this.engine.pick(ctx);
    if (pick === null) {
      // The pools were searched (a DISCOVER, or a REQUEST naming no address and with no
      // reservation, such as a BOOTP request) and are full: an allocation failure, as in Kea.
      const reserved = ex.host !== undefined && ex.host.ipv4 !== 0;
      const searched = type === DHCPDISCOVER || (ctx.requestedAddress === 0 && !reserved);
      if (searched) {
        this.stats4.allocationFailed(subnet.id);
        this.leaseLog.warn("DHCP4_ALLOC_FAIL", ex.query.getLabel(), subnet.toText());
      }
      if (type === DHCPDISCOVER) return this.drop(ex, "no address available");
      return this.requestRefused(ex, ctx);
    }
    ex.pick = pick;
    const renew = pick.kind === PickKind.RENEW;
    // lease4_renew (the client's lease extended) or lease4_select (a new lease):
    // SKIP = for select, no lease at all; for renew, the store keeps the old values.
    return this.hook(
      ex,
      renew ? this.H.lease4_renew : this.H.lease4_select,
      (h, e) => {
        h.setArgument("query4", e.query);
        h.setArgument("subnet4", subnet);
        if (renew) {
          h.setArgument("clientid", ctx.clientId);
          h.setArgument("hwaddr", ctx.hwaddr);
        } else {
          h.setArgument("fake_allocation", ctx.fakeAllocation);
          h.setArgument("offer_lft", 0);
        }
        h.setArgument("lease4", pick.lease);
      },
      (e, status) => {
        if (status === NextStep.SKIP) {
          if (!renew) return this.noLease(e, "lease4_select callout set SKIP");
          if (!ctx.fakeAllocation) this.keepOldLease(e);
          return;
        }
        this.generateName(e);
        if (!ctx.fakeAllocation) this.commit(e);
      },
    );
  }

  /**
   * Kea's processClientName, before the allocation: option 81 when the client sent it, else
   * option 12; a reservation's hostname wins. null when the answer carries neither.
   */
  private clientName(ex: Exchange4, subnet: Subnet4): ClientName | null {
    const reserved = ex.host === undefined ? "" : ex.host.hostname;
    const params = subnet.clientNames;
    if (ex.fqdn !== null) return fqdnOption(false, ex.fqdn, reserved, params);
    const hn = ex.query.getNonCopiedOption(DHO.HOST_NAME);
    if (hn === undefined && reserved === "" && !params.generatesUnasked) return null;
    return hostnameOption4(hn?.getData(), reserved, params);
  }

  /**
   * Kea's postAllocateNameUpdate: an answer with an empty name gets one generated from the
   * address ("myhost-198-51-100-10", qualified), in the lease and in the option.
   */
  private generateName(ex: Exchange4): void {
    const name = ex.name;
    const lease = ex.pick!.lease;
    if (name === null || lease.hostname !== "") return;
    const generated = ex.subnet!.clientNames.generate(lease.address, name.code !== 12);
    lease.hostname = generated;
    setGenerated(name, generated);
  }

  private noLease(ex: Exchange4, why: string): void {
    ex.pick = null;
    if (ex.query.getType() === DHCPDISCOVER) this.drop(ex, why);
    else this.nak(ex, why);
  }

  /** lease4_renew SKIP on REQUEST: acknowledge the lease as the store has it. */
  private keepOldLease(ex: Exchange4): void {
    const stored = this.leases.getLease4(ex.pick!.lease.address);
    if (stored !== null) ex.pick!.lease = stored.clone();
  }

  private commit(ex: Exchange4): void {
    const pick = ex.pick!;
    // As Kea: an infinite lease renewed is reused as stored, not written again.
    const reused = this.engine.reusedLease(pick);
    if (reused !== null) {
      pick.lease = reused;
      this.leaseLog.debug(40, "DHCP4_LEASE_REUSE", ex.query.getLabel(), reused.address);
      return;
    }
    const wasNew = pick.kind === PickKind.NEW;
    const prev = pick.previous;
    this.engine.commit(pick);
    ex.leases.push(pick.lease);
    if (prev !== null) ex.deleted.push(prev);
    if (pick.replaced !== null) ex.deleted.push(pick.replaced);
    if (wasNew) this.stats4.leaseAssigned(pick.lease, prev, pick.replaced);
  }

  /** REQUEST that cannot be granted: NAK, or silence for an unknown INIT-REBOOT client. */
  private requestRefused(ex: Exchange4, ctx: ClientContext4): void {
    const q = ex.query;
    // INIT-REBOOT as Kea tells it: no server identifier and a requested address option (a BOOTP
    // request has neither, and is NAKed like any REQUEST that cannot be granted).
    const initReboot =
      q.getOption(DHO.DHCP_SERVER_IDENTIFIER) === undefined &&
      q.getOption(DHO.DHCP_REQUESTED_ADDRESS) !== undefined;
    if (initReboot && !ctx.subnet.authoritative && this.engine.findClientLease(ctx) === null) {
      return this.drop(ex, "INIT-REBOOT client unknown to this non-authoritative server");
    }
    this.nak(ex, `address ${ipv4ToString(ctx.requestedAddress)} cannot be given to this client`);
  }

  private nak(ex: Exchange4, why: string): void {
    ex.pick = null;
    ex.response = this.makeResponse(ex, DHCPNAK);
    this.log.debug(40, "DHCP4_NAK", ex.query.getLabel(), why);
  }

  private releaseOrDecline(ex: Exchange4): void | Promise<void> {
    const type = ex.query.getType();
    if (type === DHCPRELEASE) return this.release(ex);
    if (type === DHCPDECLINE) return this.decline(ex);
  }

  private release(ex: Exchange4): void | Promise<void> {
    const q = ex.query;
    const addr = q.ciaddr;
    const lease = this.leases.getLease4(addr);
    if (lease === null || !this.ownedBy(lease, ex)) {
      this.leaseLog.debug(40, "DHCP4_RELEASE_FAIL", q.getLabel(), addr, "no lease of this client");
      ex.dropped = true;
      return;
    }
    // lease4_release: SKIP or DROP = the lease is kept (it expires normally).
    return this.hook(
      ex,
      this.H.lease4_release,
      (h, e) => {
        h.setArgument("query4", e.query);
        h.setArgument("lease4", lease);
      },
      (e, status) => {
        if (status === NextStep.SKIP || status === NextStep.DROP) return;
        if (this.leases.deleteLease4(lease)) {
          e.deleted.push(lease);
          this.stats4.leaseReleased(lease);
          this.leaseLog.info("DHCP4_RELEASE", e.query.getLabel(), lease.address);
        }
      },
    );
  }

  private decline(ex: Exchange4): void | Promise<void> {
    const q = ex.query;
    const addr = requestedAddress(q);
    const lease = addr === 0 ? null : this.leases.getLease4(addr);
    if (lease === null || lease.state === LeaseState.DECLINED || !this.ownedBy(lease, ex)) {
      this.leaseLog.debug(
        40,
        "DHCP4_DECLINE_FAIL",
        q.getLabel(),
        ipv4ToString(addr),
        "no lease of this client",
      );
      ex.dropped = true;
      return;
    }
    // lease4_decline: SKIP or DROP = the lease is not declined.
    return this.hook(
      ex,
      this.H.lease4_decline,
      (h, e) => {
        h.setArgument("query4", e.query);
        h.setArgument("lease4", lease);
      },
      (e, status) => {
        if (status === NextStep.SKIP || status === NextStep.DROP) return;
        const declined = lease.clone();
        const period = this.model.declineProbationPeriod;
        declined.decline(period, e.now);
        this.leases.updateLease4(declined);
        e.leases.push(declined);
        this.stats4.leaseDeclined(declined);
        this.leaseLog.info("DHCP4_DECLINE_LEASE", e.query.getLabel(), declined.address, period);
      },
    );
  }

  private ownedBy(lease: Lease4, ex: Exchange4): boolean {
    const subnet = this.model.subnetsById.get(lease.subnetId);
    const matchCid = subnet?.matchClientId ?? true;
    const q = ex.query;
    const cid = matchCid ? q.getClientId() : null;
    return belongsToClient(lease, {
      hwaddr: q.hlen > 0 ? q.getHWAddr() : null,
      clientId: cid === null ? null : cid.clientId,
    } as ClientContext4);
  }

  // ---- the response ----------------------------------------------------------------------

  private buildResponse(ex: Exchange4): void {
    this.buildResponseFor(ex);
    // As Kea's processRequest: the answer to a BOOTP query (ACK or NAK) is in the BOOTP class.
    if (ex.response !== null && ex.query.inClass(BOOTP_CLASS)) ex.response.addClass(BOOTP_CLASS);
  }

  private buildResponseFor(ex: Exchange4): void {
    if (ex.response !== null) return; // a NAK is already built
    const type = ex.query.getType();
    if (type === DHCPDISCOVER || type === DHCPREQUEST) {
      if (ex.pick === null) return;
      const resp = this.makeResponse(ex, type === DHCPDISCOVER ? DHCPOFFER : DHCPACK);
      const lease = ex.pick.lease;
      const name = ex.name;
      if (name !== null) {
        const ascii = name.code === 12 || (name.flags & FQDN_E) === 0;
        resp.addOption(new Option(4, name.code, answerData(name, ascii)));
      }
      this.requiredClassify(ex, ipv4FromString(lease.address));
      this.appendLeaseOptions(ex, resp, lease);
      ex.response = resp;
      // At INFO, as Kea: one line per lease offered or given (the label is built only if written).
      if (this.leaseLog.isEnabled("INFO")) {
        const id = type === DHCPDISCOVER ? "DHCP4_LEASE_ADVERT" : "DHCP4_LEASE_ALLOC";
        // Kea's Lease::lifetimeToText: an infinite lease is "allocated for infinity seconds".
        const lft = lease.validLifetime === INFINITY_LFT ? "infinity" : lease.validLifetime;
        this.leaseLog.info(id, ex.query.getLabel(), lease.address, lft);
      }
    } else if (type === DHCPINFORM) {
      const resp = this.makeResponse(ex, DHCPACK);
      resp.ciaddr = ex.query.ciaddr;
      this.requiredClassify(ex, 0);
      this.appendConfiguredOptions(ex, resp);
      ex.response = resp;
    }
  }

  /**
   * Kea's requiredClassify, before the options: the classes the subnet, then the pool of the
   * address given, require (require-client-classes), tested now.
   */
  private requiredClassify(ex: Exchange4, address: number): void {
    const classes = this.model.classes;
    const s = ex.subnet;
    if (classes === null || s === null) return;
    const q = ex.query;
    if (s.requiredClasses.length > 0) classes.classifyRequired(q, s.requiredClasses);
    const pool = address === 0 ? undefined : s.poolFor(address);
    if (pool !== undefined && pool.requiredClasses.length > 0) {
      classes.classifyRequired(q, pool.requiredClasses);
    }
  }

  private makeResponse(ex: Exchange4, type: number): Pkt4 {
    const q = ex.query;
    const r = Pkt4.create(type, q.transid, this.model.optionDefs);
    r.setOp(BOOTREPLY);
    r.setHWAddr(q.getHWAddr());
    r.setFlags(q.getFlags());
    r.giaddr = q.giaddr;
    r.setHops(q.getHops());
    r.iface = q.iface;
    r.ifindex = q.ifindex;
    r.addOption(addressOption(DHO.DHCP_SERVER_IDENTIFIER, ex.serverId));
    if (this.model.echoClientId) {
      const cid = q.getOption(DHO.DHCP_CLIENT_IDENTIFIER);
      if (cid !== undefined) r.addOption(cid);
    }
    const rai = q.getOption(DHO.DHCP_AGENT_OPTIONS);
    if (rai !== undefined && q.giaddrInt !== 0) r.addOption(rai);
    return r;
  }

  private appendLeaseOptions(ex: Exchange4, r: Pkt4, lease: Lease4): void {
    const subnet = ex.subnet!;
    r.yiaddr = lease.address;
    if (ex.query.getType() === DHCPREQUEST && ex.query.ciaddrInt !== 0) r.ciaddr = ex.query.ciaddr;
    const host = ex.host;
    // Kea's setFixedFields: the reservation's, else the first class's, else the subnet's.
    const classes = this.model.classes;
    const cls = classes !== null && classes.hasBootFields ? classes.bootFields(ex.query) : null;
    const next = host?.nextServer || cls?.nextServer || subnet.nextServer;
    if (next !== 0) r.siaddrInt = next;
    const sname = host?.serverHostname || cls?.serverHostname || subnet.serverHostname;
    if (sname !== "") r.sname = sname;
    const file = host?.bootFileName || cls?.bootFileName || subnet.bootFileName;
    if (file !== "") r.file = file;
    r.addOption(uint32Option(DHO.DHCP_LEASE_TIME, lease.validLifetime));
    const [t1, t2] = teeTimes(subnet, lease.validLifetime);
    if (t1 > 0) r.addOption(uint32Option(DHO.DHCP_RENEWAL_TIME, t1));
    if (t2 > 0) r.addOption(uint32Option(DHO.DHCP_REBINDING_TIME, t2));
    r.addOption(addressOption(DHO.SUBNET_MASK, ipv4ToString(subnet.mask)));
    this.appendConfiguredOptions(ex, r);
    const levels = this.optionLevels(ex);
    for (const code of BASIC_OPTIONS) {
      if (r.getOption(code) !== undefined) continue;
      const d = findOption(levels, code);
      if (d !== undefined && !d.neverSend) r.addOption(d.option);
    }
  }

  /**
   * The options the client asked for (parameter request list) plus always-send ones, each from
   * the most specific level that has it: reservation, pool, subnet, global.
   */
  private appendConfiguredOptions(ex: Exchange4, r: Pkt4): void {
    const levels = this.optionLevels(ex);
    const prl = ex.query.getOption(DHO.DHCP_PARAMETER_REQUEST_LIST);
    const requested = prl === undefined ? EMPTY : prl.getData();
    for (let i = 0; i < requested.length; i++) {
      const code = requested[i]!;
      if (r.getOption(code) !== undefined) continue;
      const d = findOption(levels, code);
      if (d !== undefined && !d.neverSend) r.addOption(d.option);
    }
    for (const level of levels) {
      for (const d of level.alwaysSend) {
        if (r.getOption(d.code) === undefined && !d.neverSend) r.addOption(d.option);
      }
    }
  }

  private optionLevels(ex: Exchange4): CfgOption[] {
    const levels: CfgOption[] = [];
    if (ex.host !== undefined) levels.push(ex.host.options);
    const s = ex.subnet;
    if (s !== null) {
      const lease = ex.pick?.lease;
      const pool = lease === undefined ? undefined : s.poolFor(ipv4FromString(lease.address));
      if (pool !== undefined) levels.push(pool.options);
      levels.push(s.options);
    }
    // The client's classes, in the order it joined them, between the subnet and the globals.
    this.model.classes?.optionLevels(ex.query, levels);
    levels.push(this.model.globalOptions);
    return levels;
  }

  // lease4_offer (DISCOVER): DROP = the offer is not sent.
  // leases4_committed (REQUEST, RELEASE, DECLINE): DROP = the response is not sent.
  private committed(ex: Exchange4): void | Promise<void> {
    const type = ex.query.getType();
    if (type === DHCPDISCOVER) {
      if (ex.response === null || ex.pick === null) return;
      return this.hook(
        ex,
        this.H.lease4_offer,
        (h, e) => {
          h.setArgument("query4", e.query);
          h.setArgument("response4", e.response!);
          h.setArgument("leases4", [e.pick!.lease]);
          h.setArgument("offer_lifetime", 0);
          h.setArgument("old_lease", e.pick!.previous);
          h.setArgument("host", e.host ?? null);
        },
        (e, status) => {
          if (status === NextStep.DROP) this.hookDrop(e, "lease4_offer", status);
        },
      );
    }
    if (type !== DHCPREQUEST && type !== DHCPRELEASE && type !== DHCPDECLINE) return;
    return this.hook(
      ex,
      this.H.leases4_committed,
      (h, e) => {
        h.setArgument("query4", e.query);
        h.setArgument("response4", e.response);
        h.setArgument("leases4", e.leases);
        h.setArgument("deleted_leases4", e.deleted);
      },
      (e, status) => {
        if (status === NextStep.DROP) this.hookDrop(e, "leases4_committed", status);
      },
    );
  }

  // pkt4_send: SKIP = the callout packed the response itself; DROP = not sent.
  private pkt4Send(ex: Exchange4): void | Promise<void> {
    if (ex.response === null) {
      ex.dropped = true; // nothing to send (RELEASE, DECLINE, or no answer)
      return;
    }
    return this.hook(
      ex,
      this.H.pkt4_send,
      (h, e) => {
        h.setArgument("query4", e.query);
        h.setArgument("response4", e.response!);
        h.setArgument("subnet4", e.subnet);
      },
      (e, status) => {
        if (status === NextStep.DROP) return this.hookDrop(e, "pkt4_send", status);
        if (status !== NextStep.SKIP) e.response!.pack();
      },
    );
  }

  // buffer4_send: SKIP or DROP = the response is not sent.
  private buffer4Send(ex: Exchange4): void | Promise<void> {
    return this.hook(
      ex,
      this.H.buffer4_send,
      (h, e) => h.setArgument("response4", e.response!),
      (e, status) => {
        if (status === NextStep.SKIP || status === NextStep.DROP)
          this.hookDrop(e, "buffer4_send", status);
      },
    );
  }

  /**
   * RFC 2131 section 4.1 as Kea applies it (adjustRemoteAddr, adjustIfaceData): INFORM to ciaddr,
   * else via the relay, else the source; others to the relay, else ciaddr, else broadcast (NAK,
   * and new addresses: UDP sockets cannot unicast to a client that has no address yet).
   * Port: -P when given; the client port for direct clients; 67 for relays.
   */
  private destination(ex: Exchange4): Reply4 | null {
    const q = ex.query;
    const r = ex.response;
    if (r === null) return null;
    const data = r.getBuffer();
    if (data.length === 0) return null;
    const relayed = q.giaddrInt !== 0;
    const inform = q.getType() === DHCPINFORM;
    let address: string;
    let hwaddr: string | undefined;
    if (inform) {
      address = q.ciaddrInt !== 0 ? q.ciaddr : relayed ? q.giaddr : q.remoteAddr;
    } else if (relayed) {
      address = q.giaddr;
    } else if (q.ciaddrInt !== 0) {
      address = q.ciaddr;
    } else if (r.getType() === DHCPNAK || ex.pick === null) {
      // A NAK (ex.pick is null: no lease) is broadcast, also when a pkt4_send callout removed
      // its message type (a BOOTP reply); Kea chooses the destination before pkt4_send.
      address = BROADCAST;
    } else if (r.yiaddrInt !== 0) {
      // The client has no address yet: unicast to its hardware address when we can, as asked.
      if (!q.isBroadcast() && q.hlen > 0 && this.directResponse()) {
        address = r.yiaddr;
        hwaddr = q.getHWAddr().toText(false);
      } else {
        address = BROADCAST;
      }
    } else {
      address = q.remoteAddr;
    }
    const direct = inform ? q.ciaddrInt !== 0 || (!relayed && q.remoteAddr !== ZERO) : !relayed;
    const port = this.clientPort ?? (direct ? DHCP4_CLIENT_PORT : DHCP4_SERVER_PORT);
    r.remoteAddr = address;
    r.remotePort = port;
    r.localAddr = ex.serverId;
    // Every reply passes here: build the label only when the line is written.
    if (this.log.isEnabled("DEBUG", 45))
      this.log.debug(45, "DHCP4_RESPONSE_DATA", q.getLabel(), r.getName(), address, port, q.iface);
    return {
      data,
      address,
      port,
      iface: q.iface,
      ifindex: q.ifindex,
      source: ex.serverId,
      broadcast: address === BROADCAST,
      hwaddr,
    };
  }
}

const EMPTY = Buffer.alloc(0);
/** The E flag of option 81: the name in wire form. */
const FQDN_E = 0x04;

const NO_CLASSES: readonly string[] = [];

/** Option 60 as text without trailing NULs (Kea's OptionString), for VENDOR_CLASS_; or null. */
function vendorClass4(q: Pkt4): string | null {
  const o = q.getNonCopiedOption(DHO.VENDOR_CLASS_IDENTIFIER);
  if (o === undefined) return null;
  const d = o.getData();
  let end = d.length;
  while (end > 0 && d[end - 1] === 0) end--;
  return end === 0 ? null : d.toString("utf8", 0, end);
}

function never(): boolean {
  return false;
}

function setQuery(h: CalloutHandle, ex: Exchange4): void {
  h.setArgument("query4", ex.query);
}

/** Option 50, else ciaddr; 0 when neither. */
function requestedAddress(q: Pkt4): number {
  const o = q.getOption(DHO.DHCP_REQUESTED_ADDRESS);
  if (o !== undefined) {
    const d = o.getData();
    if (d.length === 4) return d.readUInt32BE(0);
  }
  return q.ciaddrInt;
}

function uint32Option(q: Pkt4, code: number): number;
function uint32Option(code: number, value: number): Option;
function uint32Option(a: Pkt4 | number, b: number): number | Option {
  if (typeof a === "number") {
    const d = Buffer.allocUnsafe(4);
    d.writeUInt32BE(b >>> 0, 0);
    return new Option(4, a, d);
  }
  const o = a.getOption(b);
  const d = o?.getData();
  return d !== undefined && d.length === 4 ? d.readUInt32BE(0) : 0;
}

function addressOption(code: number, addr: string): Option {
  const d = Buffer.allocUnsafe(4);
  d.writeUInt32BE(addr === "" ? 0 : ipv4FromString(addr), 0);
  return new Option(4, code, d);
}

function findOption(levels: CfgOption[], code: number): OptionDescriptor | undefined {
  for (const level of levels) {
    const d = level.get(code);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** T1/T2: configured timers when below the lifetime, else calculated when enabled (Kea v4). */
export function teeTimes(s: Subnet4, valid: number): [number, number] {
  let t2 = 0;
  let t1 = 0;
  if (s.rebindTimer !== undefined) t2 = s.rebindTimer;
  else if (s.calculateTeeTimes) t2 = Math.floor(valid * s.t2Percent);
  if (s.renewTimer !== undefined) t1 = s.renewTimer;
  else if (s.calculateTeeTimes) t1 = Math.floor(valid * s.t1Percent);
  if (t2 >= valid) t2 = 0;
  if (t1 >= (t2 > 0 ? t2 : valid)) t1 = 0;
  return [t1, t2];
}

/** The bytes of one reservation identifier in the query, or null. */
function identifierOf(q: Pkt4, type: IdentifierType): Uint8Array | null {
  switch (type) {
    case IdentifierType.HW_ADDRESS:
      return q.hlen > 0 ? q.getHWAddr().hwaddr : null;
    case IdentifierType.CLIENT_ID:
      return q.getClientId()?.clientId ?? null;
    case IdentifierType.DUID:
      return q.getClientId()?.getDuid()?.duid ?? null;
    case IdentifierType.CIRCUIT_ID: {
      const rai = q.getOption(DHO.DHCP_AGENT_OPTIONS);
      return rai?.getOption(RAI.AGENT_CIRCUIT_ID)?.getData() ?? null;
    }
    default:
      return null;
  }
}
