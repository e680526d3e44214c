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
 */
import { StepRunner, type Step } from "../dhcpsrv/step-runner.ts";
import { carryCursors } from "../dhcpsrv/allocator-state.ts";
import { DHCPv6MessageType as M, D6O } from "../dhcp/constants.ts";
import { PacketParseError } from "../dhcp/errors.ts";
import { HWAddr } from "../dhcp/hwaddr.ts";
import { Option } from "../dhcp/option.ts";
import type { OptionDescriptor } from "../dhcp/option-data.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "../dhcp/option6-ia.ts";
import { Option6StatusCode, StatusCode } from "../dhcp/option6-status-code.ts";
import { Pkt6 } from "../dhcp/pkt6.ts";
import type { CalloutHandle } from "../hooks/callout-handle.ts";
import type { HooksManager } from "../hooks/hooks-manager.ts";
import { NextStep } from "../hooks/next-step.ts";
import { defineMessages, type LogManager, type Logger } from "../log/logger.ts";
import { AllocEngine6, type ClientContext6, type Hint6 } from "../dhcpsrv/alloc-engine6.ts";
import type { CfgOption } from "../dhcpsrv/cfg-option.ts";
import type { Dhcp6Model } from "../dhcpsrv/cfg6.ts";
import { callHook, statusName, type HookAfter, type HookSetup } from "../dhcpsrv/hook-call.ts";
import { IdentifierType } from "../dhcpsrv/host.ts";
import { HWAddrSource, LeaseState, LeaseType6, type Lease6 } from "../dhcpsrv/lease6.ts";
import type { LeaseStore6 } from "../dhcpsrv/lease-store6.ts";
import { type PdPool6, type Pool6, type Subnet6, ipv6ToBig } from "../dhcpsrv/subnet6.ts";
import {
  ClientNameParams,
  answerData,
  fqdnOption,
  parseFqdn6,
  setGenerated,
} from "../dhcpsrv/client-name.ts";
import type { StatsManager } from "../stats/stats-manager.ts";
import { Exchange6, IaWork, type Received6, type Reply6 } from "./exchange.ts";
import type { Dhcp6Hooks } from "./hook-points.ts";
import { Dhcp6Stats } from "./stats6.ts";

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

const DHCP6_CLIENT_PORT = 546;
const DHCP6_SERVER_PORT = 547;
const { IA_NA, IA_PD } = LeaseType6;

/** Client message types a server answers. */
const ANSWERED = new Set<number>([
  M.DHCPV6_SOLICIT,
  M.DHCPV6_REQUEST,
  M.DHCPV6_CONFIRM,
  M.DHCPV6_RENEW,
  M.DHCPV6_REBIND,
  M.DHCPV6_RELEASE,
  M.DHCPV6_DECLINE,
  M.DHCPV6_INFORMATION_REQUEST,
]);

/** RFC 8415 section 16: messages that carry our Server Identifier (others must not, but IR). */
const SERVER_ID_MANDATORY = new Set<number>([
  M.DHCPV6_REQUEST,
  M.DHCPV6_RENEW,
  M.DHCPV6_RELEASE,
  M.DHCPV6_DECLINE,
]);
const SERVER_ID_FORBIDDEN = new Set<number>([M.DHCPV6_SOLICIT, M.DHCPV6_CONFIRM, M.DHCPV6_REBIND]);
/** RFC 8415 section 18.4: answered with UseMulticast when received by unicast. */
const MULTICAST_ONLY_REPLY = SERVER_ID_MANDATORY;
/** Dropped when received by unicast from a client (Kea's testUnicast). */
const MULTICAST_ONLY_DROP = new Set<number>([
  M.DHCPV6_SOLICIT,
  M.DHCPV6_CONFIRM,
  M.DHCPV6_REBIND,
  M.DHCPV6_INFORMATION_REQUEST,
]);
/** Messages whose lease changes leases6_committed reports (and SOLICIT with rapid commit). */
const COMMITTING = new Set<number>([
  M.DHCPV6_REQUEST,
  M.DHCPV6_RENEW,
  M.DHCPV6_REBIND,
  M.DHCPV6_RELEASE,
  M.DHCPV6_DECLINE,
]);

export class Dhcp6Srv {
  private model: Dhcp6Model;
  private readonly leases: LeaseStore6;
  private readonly hooks: HooksManager;
  private readonly H: Dhcp6Hooks;
  readonly stats6: Dhcp6Stats;
  private readonly engine: AllocEngine6;
  private serverDuid: Buffer;
  private readonly serverPort: number;
  private readonly clientPort: number | undefined;
  private readonly log: Logger;
  private readonly badLog: Logger;
  private readonly leaseLog: Logger;
  private readonly runner: StepRunner<Exchange6, Reply6 | null>;
  // Per-IA work and hook continuations, bound once (no closure per packet).
  private readonly processIA: (ex: Exchange6, w: IaWork) => void | Promise<void>;
  private readonly extendOne: (ex: Exchange6, lease: Lease6) => void | Promise<void>;
  private readonly releaseOne: (ex: Exchange6, hint: Hint6) => void | Promise<void>;
  private readonly declineOne: (ex: Exchange6, hint: Hint6) => void | Promise<void>;
  private readonly afterSubnetSelect: HookAfter<Exchange6>;
  private readonly afterSelect: HookAfter<Exchange6>;
  private readonly afterExtend: HookAfter<Exchange6>;
  private readonly afterRelease: HookAfter<Exchange6>;
  private readonly afterDecline: HookAfter<Exchange6>;
  private readonly afterCommitted: HookAfter<Exchange6>;
  private readonly afterPkt6Send: HookAfter<Exchange6>;
  private readonly afterBuffer6Send: HookAfter<Exchange6>;
  private readonly afterBuffer6Receive: HookAfter<Exchange6>;
  private readonly afterPkt6Receive: HookAfter<Exchange6>;
  private readonly setupSubnetSelect: HookSetup<Exchange6>;

  constructor(deps: Dhcp6SrvDeps) {
    this.model = deps.model;
    this.leases = deps.leases;
    this.hooks = deps.hooks;
    this.H = deps.hookIdx;
    this.stats6 = new Dhcp6Stats(deps.stats);
    this.engine = new AllocEngine6(deps.leases, deps.model.hosts);
    this.serverDuid = deps.serverDuid;
    this.serverPort = deps.serverPort;
    this.clientPort = deps.clientPort;
    this.log = deps.logs.getLogger("packets");
    this.badLog = deps.logs.getLogger("bad-packets");
    this.leaseLog = deps.logs.getLogger("leases");
    this.stats6.configure(deps.model, deps.leases);
    this.reportClassErrors(deps.model);
    const steps: Step<Exchange6>[] = [
      this.buffer6Receive,
      this.unpack,
      this.classify,
      this.accept,
      this.pkt6Receive,
      this.selectSubnet,
      this.findHost,
      this.classifyKnown,
      this.buildResponse,
      this.processIAs,
      this.confirm,
      this.finishResponse,
      this.committed,
      this.pkt6Send,
      this.buffer6Send,
    ].map((f) => f.bind(this));
    this.runner = new StepRunner(steps, this.failed.bind(this), this.finish.bind(this));
    this.processIA = this.processIAImpl.bind(this);
    this.extendOne = this.extendOneImpl.bind(this);
    this.releaseOne = this.releaseOneImpl.bind(this);
    this.declineOne = this.declineOneImpl.bind(this);
    this.afterSubnetSelect = this.afterSubnetSelectImpl.bind(this);
    this.afterSelect = this.afterSelectImpl.bind(this);
    this.afterExtend = this.afterExtendImpl.bind(this);
    this.afterRelease = this.afterReleaseImpl.bind(this);
    this.afterDecline = this.afterDeclineImpl.bind(this);
    this.afterCommitted = this.afterCommittedImpl.bind(this);
    this.afterPkt6Send = this.afterPkt6SendImpl.bind(this);
    this.afterBuffer6Send = this.afterBuffer6SendImpl.bind(this);
    this.afterBuffer6Receive = this.afterBuffer6ReceiveImpl.bind(this);
    this.afterPkt6Receive = this.afterPkt6ReceiveImpl.bind(this);
    this.setupSubnetSelect = this.setupSubnetSelectImpl.bind(this);
  }

  /** Installs a new configuration model (after a successful reload). */
  setModel(model: Dhcp6Model, serverDuid?: Buffer): void {
    carryCursors(this.model.subnets, model.subnets);
    carryCursors(
      this.model.subnets.map((s) => ({ id: s.id, pools: s.pdPools })),
      model.subnets.map((s) => ({ id: s.id, pools: s.pdPools })),
    );
    this.model = model;
    if (serverDuid !== undefined) this.serverDuid = serverDuid;
    this.engine.setHosts(model.hosts);
    this.stats6.configure(model, this.leases);
    this.reportClassErrors(model);
  }

  /** A class test that fails on a packet (a conversion of a value of the wrong size) is logged. */
  private reportClassErrors(model: Dhcp6Model): void {
    if (model.classes === null) return;
    model.classes.onError = (pkt, cls, err) =>
      this.log.error(
        "DHCP6_CLASS_EVAL_ERROR",
        label6(pkt),
        cls,
        err instanceof Error ? err.message : String(err),
      );
  }

  getModel(): Dhcp6Model {
    return this.model;
  }

  getServerDuid(): Buffer {
    return this.serverDuid;
  }

  /** Processes one datagram; a Promise only when a callout of this query is asynchronous. */
  processQuery(rx: Received6): Reply6 | null | Promise<Reply6 | null> {
    const query = new Pkt6(rx.data, this.model.optionDefs);
    query.remoteAddr = rx.srcAddr;
    query.remotePort = rx.srcPort;
    query.localAddr = rx.dstAddr;
    query.localPort = this.serverPort;
    query.iface = rx.iface;
    query.ifindex = rx.ifindex;
    query.timestamp = rx.receivedAt;
    const ex = new Exchange6(query, this.hooks.callouts, Math.floor(rx.receivedAt / 1000));
    return this.runner.run(ex);
  }

  private failed(ex: Exchange6, err: unknown): void {
    ex.dropped = true;
    this.stats6.receiveDrop.add(1);
    this.log.error(
      "DHCP6_PACKET_PROCESSING_FAILED",
      ex,
      err instanceof Error ? err.message : String(err),
    );
  }

  /** Ends the request (context_destroy) and returns the reply, if any. */
  private finish(ex: Exchange6): Reply6 | null | Promise<Reply6 | null> {
    const reply = ex.dropped ? null : this.destination(ex);
    if (reply !== null) this.stats6.countSent(ex.response!.getType());
    const done = ex.handle?.release();
    if (done !== undefined) return done.then(() => reply);
    return reply;
  }

  private drop(ex: Exchange6, reason: string): void {
    ex.dropped = true;
    this.stats6.receiveDrop.add(1);
    this.log.debug(15, "DHCP6_PACKET_DROP_0002", ex, reason);
  }

  private hookDrop(ex: Exchange6, hook: string, status: number): void {
    ex.dropped = true;
    this.log.debug(40, "DHCP6_HOOK_DROP", ex, hook, statusName(status));
  }

  // ---- receive ---------------------------------------------------------------------------

  // buffer6_receive: SKIP = the callout parsed the packet; DROP = drop it.
  private buffer6Receive(ex: Exchange6): void | Promise<void> {
    return callHook(ex, this.H.buffer6_receive, setQuery, this.afterBuffer6Receive);
  }

  private afterBuffer6ReceiveImpl(ex: Exchange6, status: number): void {
    if (status === NextStep.DROP) this.hookDrop(ex, "buffer6_receive", status);
    else if (status === NextStep.SKIP) ex.skipUnpack = true;
  }

  private unpack(ex: Exchange6): void {
    const q = ex.query;
    if (ex.skipUnpack) return;
    try {
      q.unpack();
    } catch (err) {
      if (!(err instanceof PacketParseError)) throw err;
      this.dropMalformed(ex, err.message);
      return;
    }
    // Kea's Option6ClientFqdn refuses an empty option, N and S both set or a malformed name,
    // and with it the packet.
    const fqdn = q.getNonCopiedOption(D6O.CLIENT_FQDN);
    if (fqdn === undefined) return;
    ex.fqdn = parseFqdn6(fqdn.getData());
    if (ex.fqdn === null) this.dropMalformed(ex, "invalid Client FQDN option (39)");
  }

  /** A query that does not parse: dropped, counted, logged (Kea's DHCP6_PACKET_DROP_PARSE_FAIL). */
  private dropMalformed(ex: Exchange6, reason: string): void {
    const q = ex.query;
    ex.dropped = true;
    this.stats6.parseFailed.add(1);
    this.stats6.receiveDrop.add(1);
    this.badLog.debug(
      15,
      "DHCP6_PACKET_DROP_PARSE_FAIL",
      q.iface,
      q.remoteAddr,
      q.localAddr,
      reason,
    );
  }

  /**
   * Kea's classifyPacket, after unpacking and before pkt6_receive: ALL, VENDOR_CLASS_<option 16>
   * and the class tests that do not depend on KNOWN/UNKNOWN. Nothing without classes configured.
   */
  private classify(ex: Exchange6): void {
    const classes = this.model.classes;
    if (classes === null) return;
    const q = ex.query;
    classes.classify(q, vendorClass6(q));
    this.logClasses(ex);
  }

  private logClasses(ex: Exchange6): void {
    if (!this.log.isEnabled("DEBUG", 40)) return;
    const q = ex.query;
    this.log.debug(40, "DHCP6_CLASS_ASSIGNED", ex, q.getClasses().join(", "));
  }

  /** After the reservation lookup: the host's classes, KNOWN or UNKNOWN, the dependent tests. */
  private classifyKnown(ex: Exchange6): void {
    const classes = this.model.classes;
    if (classes === null) return;
    const host = ex.host;
    classes.classifyKnown(ex.query, host !== undefined, host?.classes ?? NO_CLASSES);
    this.logClasses(ex);
  }

  /** Counts the query and drops what RFC 8415 section 16 says a server discards (Kea's sanityCheck). */
  private accept(ex: Exchange6): void {
    const q = ex.query;
    const type = q.getType();
    this.stats6.countReceived(type);
    if (!ANSWERED.has(type))
      return this.drop(ex, `message type ${q.getName()} is not handled by a server`);
    const cid = q.getNonCopiedOption(D6O.CLIENTID);
    if (cid !== undefined) {
      const d = cid.getData();
      if (d.length < 3 || d.length > 130) return this.drop(ex, "malformed client identifier");
      ex.duid = d;
    } else if (type !== M.DHCPV6_INFORMATION_REQUEST) {
      return this.drop(ex, `${q.getName()} without a client identifier`);
    }
    const sid = q.getNonCopiedOption(D6O.SERVERID);
    if (sid !== undefined) {
      if (SERVER_ID_FORBIDDEN.has(type))
        return this.drop(ex, `${q.getName()} with a server identifier`);
      if (!sid.getData().equals(this.serverDuid)) {
        return this.drop(ex, "server identifier is not ours (the client chose another server)");
      }
    } else if (SERVER_ID_MANDATORY.has(type)) {
      return this.drop(ex, `${q.getName()} without a server identifier`);
    }
    if (
      type === M.DHCPV6_INFORMATION_REQUEST &&
      (q.getNonCopiedOption(D6O.IA_NA) !== undefined ||
        q.getNonCopiedOption(D6O.IA_PD) !== undefined ||
        q.getNonCopiedOption(D6O.IA_TA) !== undefined)
    ) {
      return this.drop(ex, "INFORMATION-REQUEST with an IA");
    }
    if (q.relayInfo.length === 0 && isUnicast(q.localAddr) && !this.model.unicast.has(q.iface)) {
      if (MULTICAST_ONLY_DROP.has(type)) return this.drop(ex, `${q.getName()} received by unicast`);
      if (MULTICAST_ONLY_REPLY.has(type)) ex.useMulticast = true;
    }
    // The client's hardware address: from its DUID (LLT, LL), else from a relay (RFC 6939).
    ex.hwaddr = hwaddrFromDuid(ex.duid);
    if (ex.hwaddr !== null) ex.hwaddrSource = HWAddrSource.DUID;
    else {
      ex.hwaddr = hwaddrFromRelay(q);
      if (ex.hwaddr !== null) ex.hwaddrSource = HWAddrSource.CLIENT_ADDR_RELAY_OPTION;
    }
    ex.fake = type === M.DHCPV6_SOLICIT;
  }

  // pkt6_receive: SKIP or DROP = drop the packet.
  private pkt6Receive(ex: Exchange6): void | Promise<void> {
    return callHook(ex, this.H.pkt6_receive, setQuery, this.afterPkt6Receive);
  }

  private afterPkt6ReceiveImpl(ex: Exchange6, status: number): void {
    if (status === NextStep.DROP || status === NextStep.SKIP)
      this.hookDrop(ex, "pkt6_receive", status);
  }

  // ---- subnet and host -------------------------------------------------------------------

  // subnet6_select: SKIP = no subnet; DROP = drop the packet.
  private selectSubnet(ex: Exchange6): void | Promise<void> {
    // The DROP class (from a test or a pkt6_receive callout) drops the query, as in Kea.
    if (ex.query.classes.size !== 0 && ex.query.inClass("DROP")) {
      return this.drop(ex, "the query is in the DROP class");
    }
    ex.subnet = this.findSubnet(ex.query);
    return callHook(ex, this.H.subnet6_select, this.setupSubnetSelect, this.afterSubnetSelect);
  }

  private setupSubnetSelectImpl(h: CalloutHandle, ex: Exchange6): void {
    h.setArgument("query6", ex.query);
    h.setArgument("subnet6", ex.subnet);
    h.setArgument("subnet6collection", this.model.subnets);
  }

  private afterSubnetSelectImpl(ex: Exchange6, status: number): void {
    if (status === NextStep.DROP) return this.hookDrop(ex, "subnet6_select", status);
    if (status === NextStep.SKIP) ex.subnet = null;
    else if (ex.handle !== null && ex.gen.calloutsPresent(this.H.subnet6_select)) {
      const chosen = ex.handle.getArgument("subnet6") as Subnet6 | null;
      if (chosen === null || this.model.subnets.includes(chosen)) ex.subnet = chosen;
    }
    if (ex.subnet === null) this.log.debug(40, "DHCP6_SUBNET_SELECTION_FAILED", ex);
    else if (ex.rapidCommit === false && ex.fake) {
      // SOLICIT with Rapid Commit, and the subnet allows it: REPLY with committed leases.
      ex.rapidCommit =
        ex.subnet.rapidCommit && ex.query.getNonCopiedOption(D6O.RAPID_COMMIT) !== undefined;
      ex.fake = !ex.rapidCommit;
    }
  }

  /**
   * Kea's selectSubnet6: a relayed query by the interface-id of the relay closest to the client,
   * then by that relay's link address (relay.ip-addresses first, then the subnet's prefix); a
   * direct one by its global source address, then by the arrival interface. A subnet guarded by
   * client classes is skipped for a query in none of them.
   */
  findSubnet(q: Pkt6): Subnet6 | null {
    const subnets = this.model.subnets;
    const cls = q.classes;
    const n = q.relayInfo.length;
    if (n > 0) {
      const first = q.relayInfo[n - 1]!;
      const ifaceId = first.getOption(D6O.INTERFACE_ID)?.getData();
      if (ifaceId !== undefined) {
        for (const s of subnets) {
          if (s.interfaceId !== null && s.interfaceId.equals(ifaceId) && s.allows(cls)) return s;
        }
      }
      const link = first.linkAddr;
      if (link !== "::") {
        for (const s of subnets) if (s.relayAddresses.includes(link) && s.allows(cls)) return s;
        const a = ipv6ToBig(link);
        for (const s of subnets) if (s.inRange(a) && s.allows(cls)) return s;
      }
      return null;
    }
    const src = q.remoteAddr;
    if (src !== "" && !src.toLowerCase().startsWith("fe80")) {
      const a = ipv6ToBig(src);
      if (a > 0n) for (const s of subnets) if (s.inRange(a) && s.allows(cls)) return s;
    }
    for (const s of subnets) {
      if (s.interface !== "" && s.interface === q.iface && s.allows(cls)) return s;
    }
    return null;
  }

  /** The client's reservation, identifiers tried in host-reservation-identifiers order. */
  private findHost(ex: Exchange6): void {
    const model = this.model;
    if (model.hosts.size === 0) return;
    const s = ex.subnet;
    const scopes: number[] = [];
    if (s !== null && model.reservationsInSubnet) scopes.push(s.id);
    if (model.hasGlobalHosts && (model.reservationsGlobal || s === null)) scopes.push(0);
    for (const scope of scopes) {
      for (const type of model.hostReservationIdentifiers) {
        const id =
          type === IdentifierType.DUID
            ? ex.duid
            : type === IdentifierType.HW_ADDRESS
              ? (ex.hwaddr?.hwaddr ?? null)
              : null;
        if (id === null) continue;
        const host = model.hosts.find(scope, type, id);
        if (host !== undefined) {
          ex.host = host;
          return;
        }
      }
    }
  }

  // ---- the response and its IAs ----------------------------------------------------------

  private buildResponse(ex: Exchange6): void {
    const q = ex.query;
    const type = ex.fake ? M.DHCPV6_ADVERTISE : M.DHCPV6_REPLY;
    const r = Pkt6.create(type, q.transid, this.model.optionDefs);
    r.copyRelayInfo(q);
    r.iface = q.iface;
    r.ifindex = q.ifindex;
    const cid = q.getNonCopiedOption(D6O.CLIENTID);
    if (cid !== undefined) r.addOption(cid);
    r.addOption(new Option(6, D6O.SERVERID, this.serverDuid));
    ex.response = r;
    if (ex.useMulticast) {
      r.addOption(Option6StatusCode.create(StatusCode.UseMulticast, "Please use multicast"));
      return;
    }
    if (ex.rapidCommit) r.addOption(new Option(6, D6O.RAPID_COMMIT));
    const qt = q.getType();
    if (qt === M.DHCPV6_CONFIRM || qt === M.DHCPV6_INFORMATION_REQUEST) return;
    for (const opt of q.getNonCopiedOptions()) {
      if (!(opt instanceof Option6IA)) continue;
      const code = opt.getType();
      if (code !== D6O.IA_NA && code !== D6O.IA_PD) continue;
      // DECLINE is about addresses only (RFC 8415 section 18.3.8).
      if (code === D6O.IA_PD && qt === M.DHCPV6_DECLINE) continue;
      const rsp = Option6IA.create(code, opt.getIAID());
      r.addOption(rsp);
      ex.ias.push(new IaWork(opt, code === D6O.IA_PD ? IA_PD : IA_NA, rsp, hintsOf(opt)));
    }
  }

  private processIAs(ex: Exchange6): void | Promise<void> {
    if (ex.useMulticast) return;
    // Kea's processClientFqdn, before the leases: option 39 answered, its name for the leases.
    if (ex.fqdn !== null) {
      const qt = ex.query.getType();
      if (
        qt === M.DHCPV6_SOLICIT ||
        qt === M.DHCPV6_REQUEST ||
        qt === M.DHCPV6_RENEW ||
        qt === M.DHCPV6_REBIND
      ) {
        const params = ex.subnet === null ? ClientNameParams.DEFAULT : ex.subnet.clientNames;
        ex.name = fqdnOption(true, ex.fqdn, ex.host === undefined ? "" : ex.host.hostname, params);
      }
    }
    return each(ex, ex.ias, 0, this.processIA);
  }

  private processIAImpl(ex: Exchange6, w: IaWork): void | Promise<void> {
    ex.ia = w;
    w.ctx = this.context(ex, w);
    switch (ex.query.getType()) {
      case M.DHCPV6_SOLICIT:
      case M.DHCPV6_REQUEST:
        return this.assign(ex, w);
      case M.DHCPV6_RENEW:
      case M.DHCPV6_REBIND:
        return this.extendIA(ex, w);
      case M.DHCPV6_RELEASE:
        return each(ex, w.hints, 0, this.releaseOne);
      case M.DHCPV6_DECLINE:
        return each(ex, w.hints, 0, this.declineOne);
    }
  }

  private context(ex: Exchange6, w: IaWork): ClientContext6 | null {
    if (ex.subnet === null || ex.duid === null) return null;
    return {
      subnet: ex.subnet,
      duid: ex.duid,
      iaid: w.iaid,
      type: w.type,
      hints: w.hints,
      fakeAllocation: ex.fake,
      host: ex.host,
      hwaddr: ex.hwaddr,
      hwaddrSource: ex.hwaddrSource,
      // The FQDN answer's name; without option 39, the reservation's hostname as it is.
      hostname: ex.name !== null ? ex.name.hostname : (ex.host?.hostname ?? ""),
      now: ex.now,
      classes: ex.query.classes,
      classValid: this.model.classes?.validLifetime(ex.query),
      classPreferred: this.model.classes?.preferredLifetime(ex.query),
    };
  }

  // lease6_select (SOLICIT, REQUEST): SKIP = this lease is not assigned; other IAs go on.
  private assign(ex: Exchange6, w: IaWork): void | Promise<void> {
    const ctx = w.ctx;
    const pick = ctx === null ? null : this.engine.pick(ctx);
    if (pick === null) {
      if (ctx !== null) this.stats6.allocationFailed(ctx.subnet.id);
      this.leaseLog.debug(50, "DHCP6_LEASE_ALLOC_FAIL", ex, w.type, w.iaid);
      return noLease(w);
    }
    ex.pick = pick;
    return callHook(ex, this.H.lease6_select, setupSelect, this.afterSelect);
  }

  private afterSelectImpl(ex: Exchange6, status: number): void {
    const w = ex.ia!;
    const pick = ex.pick!;
    ex.pick = null;
    if (status === NextStep.SKIP) return noLease(w);
    const lease = leaseArgument(ex, this.H.lease6_select, pick.lease);
    pick.lease = lease;
    if (!ex.fake) {
      this.engine.commit(pick);
      ex.leases.push(lease);
      for (const old of pick.replaced) {
        ex.deleted.push(old);
        this.stats6.leaseReleased(old);
      }
      if (pick.kind === "new") this.stats6.leaseAssigned(lease, pick.previous);
    }
    addLease(w, lease);
    if (this.leaseLog.isEnabled("INFO")) {
      const id = ex.fake ? "DHCP6_LEASE_ADVERT" : "DHCP6_LEASE_ALLOC";
      this.leaseLog.info(id, ex, leaseText(lease), lease.validLifetime);
    }
  }

  /**
   * RENEW, REBIND: every lease of the IA extended, hints that are not the client's zeroed. As
   * Kea's renewLeases6, a lease the client may no longer have (outside the pools its classes
   * allow and not reserved for it, or reserved for another client) is removed and sent with
   * lifetimes 0, and an IA left without a lease gets a new one.
   */
  private extendIA(ex: Exchange6, w: IaWork): void | Promise<void> {
    const ctx = w.ctx;
    const own = ctx === null ? [] : this.engine.iaLeases(ctx);
    if (own.length === 0) {
      // RFC 8415 18.3.5: on REBIND, addresses that are not appropriate for the link get lifetimes
      // 0; otherwise (and on RENEW, 18.3.4) the IA says NoBinding.
      if (ex.query.getType() === M.DHCPV6_REBIND && offLinkHints(w, ex.subnet) > 0) {
        for (const h of w.hints) {
          if (!onLink(ex.subnet, h.address)) addZeroed(w, h.address, h.prefixLen);
        }
        return;
      }
      w.rsp.addOption(
        Option6StatusCode.create(
          StatusCode.NoBinding,
          "Sorry, no known leases for this duid/iaid.",
        ),
      );
      return;
    }
    let keepAll = true;
    for (const l of own) {
      if (!this.engine.mayKeep(ctx!, l)) {
        keepAll = false;
        break;
      }
    }
    if (keepAll) {
      // As Kea's extendIA_NA / extendIA_PD: the leases extended first, then the hints that are
      // not the client's, with lifetimes 0.
      const extended = each(ex, own, 0, this.extendOne);
      if (extended === undefined) return zeroUnheld(w, own);
      return extended.then(() => zeroUnheld(w, own));
    }
    const kept: Lease6[] = [];
    const removed: Lease6[] = [];
    for (const l of own) {
      if (this.engine.mayKeep(ctx!, l)) {
        kept.push(l);
        continue;
      }
      if (this.leases.deleteLease6(l)) {
        ex.deleted.push(l);
        this.stats6.leaseReleased(l);
      }
      removed.push(l);
    }
    // As Kea: the leases granted first, then those the client no longer has, lifetimes 0.
    const done = kept.length > 0 ? each(ex, kept, 0, this.extendOne) : this.assign(ex, w);
    if (done === undefined) return zeroNotGranted(w, removed);
    return done.then(() => zeroNotGranted(w, removed));
  }

  // lease6_renew / lease6_rebind: SKIP = the lease is not renewed (the IA keeps its old values).
  private extendOneImpl(ex: Exchange6, lease: Lease6): void | Promise<void> {
    const w = ex.ia!;
    const extended = this.engine.extend(w.ctx!, lease);
    if (extended === null) {
      addZeroed(w, lease.address, lease.prefixLen);
      return;
    }
    w.lease = lease;
    w.extended = extended;
    const index =
      ex.query.getType() === M.DHCPV6_RENEW ? this.H.lease6_renew : this.H.lease6_rebind;
    return callHook(ex, index, setupExtend, this.afterExtend);
  }

  private afterExtendImpl(ex: Exchange6, status: number): void {
    const w = ex.ia!;
    const old = w.lease!;
    if (status === NextStep.SKIP) {
      addLease(w, old);
      return;
    }
    const index =
      ex.query.getType() === M.DHCPV6_RENEW ? this.H.lease6_renew : this.H.lease6_rebind;
    const lease = leaseArgument(ex, index, w.extended!);
    this.leases.updateLease6(lease);
    ex.leases.push(lease);
    if (old.state === LeaseState.EXPIRED_RECLAIMED) this.stats6.leaseAssigned(lease, null);
    addLease(w, lease);
    this.leaseLog.debug(45, "DHCP6_LEASE_RENEW", ex, leaseText(lease), lease.validLifetime);
  }

  /** The client's own lease at a hinted address of the IA, or null. */
  private ownLease(ex: Exchange6, w: IaWork, h: Hint6): Lease6 | null {
    const lease = this.leases.getLease6(w.type, h.address);
    if (lease === null || ex.duid === null) return null;
    if (!lease.duid.equals(ex.duid) || lease.iaid !== w.iaid) return null;
    return lease;
  }

  // lease6_release: SKIP (or DROP) = the lease is kept until it expires; the reply is the same.
  private releaseOneImpl(ex: Exchange6, h: Hint6): void | Promise<void> {
    const w = ex.ia!;
    const lease = this.ownLease(ex, w, h);
    if (lease === null) {
      ex.generalStatus = StatusCode.NoBinding;
      setIaStatus(
        w,
        StatusCode.NoBinding,
        "Sorry, no known leases for this duid/iaid, can't release.",
      );
      return;
    }
    w.lease = lease;
    return callHook(ex, this.H.lease6_release, setupLease, this.afterRelease);
  }

  private afterReleaseImpl(ex: Exchange6, status: number): void {
    const w = ex.ia!;
    const lease = w.lease!;
    if (status !== NextStep.SKIP && status !== NextStep.DROP && this.leases.deleteLease6(lease)) {
      ex.deleted.push(lease);
      this.stats6.leaseReleased(lease);
      this.leaseLog.info("DHCP6_RELEASE", ex, leaseText(lease));
    }
    setIaStatus(w, StatusCode.Success, "Lease released. Thank you, please come again.");
  }

  // lease6_decline: SKIP = reply as if declined, the database keeps the lease; DROP = no decline,
  // no reply.
  private declineOneImpl(ex: Exchange6, h: Hint6): void | Promise<void> {
    const w = ex.ia!;
    const lease = this.ownLease(ex, w, h);
    if (lease === null || lease.state === LeaseState.DECLINED) {
      setIaStatus(w, StatusCode.NoBinding, "Server does not know about such an address.");
      return;
    }
    w.lease = lease;
    return callHook(ex, this.H.lease6_decline, setupLease, this.afterDecline);
  }

  private afterDeclineImpl(ex: Exchange6, status: number): void {
    const w = ex.ia!;
    if (status === NextStep.DROP) return this.hookDrop(ex, "lease6_decline", status);
    if (status !== NextStep.SKIP) {
      const declined = leaseArgument(ex, this.H.lease6_decline, w.lease!).clone();
      const period = this.model.declineProbationPeriod;
      declined.decline(period, ex.now);
      this.leases.updateLease6(declined);
      ex.leases.push(declined); // Kea 2.2: the declined lease is among the leases written
      this.stats6.leaseDeclined(declined);
      this.leaseLog.info("DHCP6_DECLINE_LEASE", ex, declined.address, period);
    }
    setIaStatus(w, StatusCode.Success, "Lease declined. Hopefully the next one will be better.");
  }

  /** CONFIRM (RFC 8415 18.3.3): Success when every address is on the link, else NotOnLink. */
  private confirm(ex: Exchange6): void {
    const q = ex.query;
    if (q.getType() !== M.DHCPV6_CONFIRM || ex.useMulticast) return;
    const addrs: bigint[] = [];
    for (const ia of q.getNonCopiedOptions(D6O.IA_NA)) {
      for (const a of ia.getOptions(D6O.IAADDR)) {
        if (a instanceof Option6IAAddr) addrs.push(ipv6ToBig(a.getAddress()));
      }
    }
    if (addrs.length === 0) return this.drop(ex, "CONFIRM without addresses");
    const s = ex.subnet;
    if (s === null) return this.drop(ex, "CONFIRM from a link without a subnet");
    const onLink = addrs.every((a) => s.inRange(a));
    ex.response!.addOption(
      onLink
        ? Option6StatusCode.create(StatusCode.Success, "All addresses are on-link.")
        : Option6StatusCode.create(StatusCode.NotOnLink, "Some of the addresses are not on link."),
    );
  }

  /** Timers of every IA, the summary status of a RELEASE, and the configured options. */
  private finishResponse(ex: Exchange6): void {
    const r = ex.response!;
    if (ex.useMulticast) return;
    const s = ex.subnet;
    for (const w of ex.ias) if (s !== null) setTeeTimes(w.rsp, s);
    if (ex.query.getType() === M.DHCPV6_RELEASE) {
      r.addOption(
        Option6StatusCode.create(ex.generalStatus, "Summary status for all processed IA_NAs"),
      );
    }
    this.requiredClassify(ex);
    const name = ex.name;
    if (name !== null) {
      if (name.hostname === "" && !ex.fake) this.generateName(ex);
      r.addOption(new Option(6, D6O.CLIENT_FQDN, answerData(name, false)));
    }
    this.appendRequestedOptions(ex, r);
  }

  /**
   * Kea's generateFqdn, for an empty name in the answer: from the first address of the first
   * IA_NA, when that address has a lease in the store, which gets the name ("myhost-2001-db8-
   * 1--10.", qualified); the other leases keep none. Not for an ADVERTISE.
   */
  private generateName(ex: Exchange6): void {
    let addr: string | undefined;
    for (const w of ex.ias) {
      if (w.type !== IA_NA) continue;
      const a = w.rsp.getOption(D6O.IAADDR);
      if (a instanceof Option6IAAddr) addr = a.getAddress();
      break;
    }
    if (addr === undefined) return;
    const stored = this.leases.getLease6(IA_NA, addr);
    if (stored === null) return;
    const generated = (ex.subnet?.clientNames ?? ClientNameParams.DEFAULT).generate(addr, true);
    const updated = stored.clone();
    updated.hostname = generated;
    this.leases.updateLease6(updated);
    // leases6_committed callouts see it too, as with Kea (lease6_select / lease6_renew did not).
    for (const l of ex.leases) {
      if (l.type === IA_NA && l.address === addr) l.hostname = generated;
    }
    setGenerated(ex.name!, generated);
  }

  /**
   * Kea's requiredClassify, before the options: the classes the subnet, then the pools of the
   * addresses and prefixes given, require (require-client-classes), tested now.
   */
  private requiredClassify(ex: Exchange6): void {
    const classes = this.model.classes;
    const s = ex.subnet;
    if (classes === null || s === null) return;
    const q = ex.query;
    if (s.requiredClasses.length > 0) classes.classifyRequired(q, s.requiredClasses);
    for (const w of ex.ias) {
      for (const o of w.rsp.getOptions()) {
        let pool: Pool6 | PdPool6 | undefined;
        if (o instanceof Option6IAAddr && o.getValid() > 0) {
          pool = s.poolFor(ipv6ToBig(o.getAddress()));
        } else if (o instanceof Option6IAPrefix && o.getValid() > 0) {
          pool = s.pdPoolFor(ipv6ToBig(o.getAddress()), o.getLength());
        }
        if (pool !== undefined && pool.requiredClasses.length > 0) {
          classes.classifyRequired(q, pool.requiredClasses);
        }
      }
    }
  }

  /** The options the client asked for (ORO) plus always-send ones, most specific level first. */
  private appendRequestedOptions(ex: Exchange6, r: Pkt6): void {
    const levels: CfgOption[] = [];
    if (ex.host !== undefined) levels.push(ex.host.options);
    const s = ex.subnet;
    if (s !== null) {
      // The pool of the first address or prefix given (ADVERTISE included).
      const pool = firstPool(ex, s);
      if (pool !== undefined) levels.push(pool.options);
      levels.push(s.options);
    }
    // The client's classes, in the order it joined them, between the subnet and the globals.
    this.model.classes?.optionLevels(ex.query, levels);
    levels.push(this.model.globalOptions);
    const oro = ex.query.getNonCopiedOption(D6O.ORO)?.getData();
    if (oro !== undefined) {
      for (let i = 0; i + 1 < oro.length; i += 2) {
        const code = (oro[i]! << 8) | oro[i + 1]!;
        if (r.getNonCopiedOption(code) !== undefined) continue;
        const d = findOption(levels, code);
        if (d !== undefined && !d.neverSend) r.addOption(d.option);
      }
    }
    for (const level of levels) {
      for (const d of level.alwaysSend) {
        if (r.getNonCopiedOption(d.code) === undefined && !d.neverSend) r.addOption(d.option);
      }
    }
  }

  // leases6_committed (REQUEST, RENEW, REBIND, RELEASE, DECLINE, SOLICIT with rapid commit):
  // DROP = the response is not sent.
  private committed(ex: Exchange6): void | Promise<void> {
    if (ex.useMulticast) return;
    if (!ex.rapidCommit && !COMMITTING.has(ex.query.getType())) return;
    return callHook(ex, this.H.leases6_committed, setupCommitted, this.afterCommitted);
  }

  private afterCommittedImpl(ex: Exchange6, status: number): void {
    if (status === NextStep.DROP) this.hookDrop(ex, "leases6_committed", status);
  }

  // pkt6_send: SKIP = the callout packed the response itself; DROP = not sent.
  private pkt6Send(ex: Exchange6): void | Promise<void> {
    return callHook(ex, this.H.pkt6_send, setupPkt6Send, this.afterPkt6Send);
  }

  private afterPkt6SendImpl(ex: Exchange6, status: number): void {
    if (status === NextStep.DROP) return this.hookDrop(ex, "pkt6_send", status);
    if (status !== NextStep.SKIP) ex.response!.pack();
  }

  // buffer6_send: SKIP (or DROP) = the response is not sent.
  private buffer6Send(ex: Exchange6): void | Promise<void> {
    return callHook(ex, this.H.buffer6_send, setupBuffer6Send, this.afterBuffer6Send);
  }

  private afterBuffer6SendImpl(ex: Exchange6, status: number): void {
    if (status === NextStep.SKIP || status === NextStep.DROP)
      this.hookDrop(ex, "buffer6_send", status);
  }

  /**
   * A direct client gets the reply at its source address, port 546; a relay gets the
   * RELAY-REPL at its source address, port 547 (its own source port when it sent the
   * relay-source-port option, RFC 8357). -P overrides the port.
   */
  private destination(ex: Exchange6): Reply6 | null {
    const q = ex.query;
    const r = ex.response;
    if (r === null) return null;
    const relayed = q.relayInfo.length > 0;
    let port: number;
    if (this.clientPort !== undefined) port = this.clientPort;
    else if (!relayed) port = DHCP6_CLIENT_PORT;
    else if (q.getNonCopiedRelayOption(D6O.RELAY_SOURCE_PORT, 0) !== undefined) port = q.remotePort;
    else port = DHCP6_SERVER_PORT;
    const address = q.remoteAddr;
    r.remoteAddr = address;
    r.remotePort = port;
    if (this.log.isEnabled("DEBUG", 45))
      this.log.debug(45, "DHCP6_RESPONSE_DATA", ex, r.getName(), address, port, q.iface);
    return { data: r.getBuffer(), address, port, iface: q.iface, ifindex: q.ifindex };
  }
}

// ---- hook argument setters (module-level: no closure per packet) -------------------------

function setQuery(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("query6", ex.query);
}

function setupSelect(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("query6", ex.query);
  h.setArgument("subnet6", ex.subnet);
  h.setArgument("fake_allocation", ex.fake);
  h.setArgument("lease6", ex.pick!.lease);
}

function setupExtend(h: CalloutHandle, ex: Exchange6): void {
  const w = ex.ia!;
  h.setArgument("query6", ex.query);
  h.setArgument("lease6", w.extended!);
  h.setArgument(w.type === IA_PD ? "ia_pd" : "ia_na", w.rsp);
}

function setupLease(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("query6", ex.query);
  h.setArgument("lease6", ex.ia!.lease!);
}

function setupCommitted(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("query6", ex.query);
  h.setArgument("response6", ex.response);
  h.setArgument("leases6", ex.leases);
  h.setArgument("deleted_leases6", ex.deleted);
}

function setupPkt6Send(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("query6", ex.query);
  h.setArgument("response6", ex.response!);
  h.setArgument("subnet6", ex.subnet);
}

function setupBuffer6Send(h: CalloutHandle, ex: Exchange6): void {
  h.setArgument("response6", ex.response!);
}

/** The lease6 argument as the callouts left it (in/out), or `fallback` when none ran. */
function leaseArgument(ex: Exchange6, index: number, fallback: Lease6): Lease6 {
  if (ex.handle === null || !ex.gen.calloutsPresent(index)) return fallback;
  const l = ex.handle.getArgument("lease6") as Lease6 | null;
  return l ?? fallback;
}

/** Runs `fn` on each item in turn; waits only when an item's processing returns a Promise. */
function each<T>(
  ex: Exchange6,
  items: readonly T[],
  from: number,
  fn: (ex: Exchange6, item: T) => void | Promise<void>,
): void | Promise<void> {
  for (let i = from; i < items.length && !ex.dropped; i++) {
    const r = fn(ex, items[i]!);
    if (r !== undefined) return r.then(() => each(ex, items, i + 1, fn));
  }
}

// ---- IA building -------------------------------------------------------------------------

function hintsOf(ia: Option6IA): Hint6[] {
  const out: Hint6[] = [];
  for (const o of ia.getOptions()) {
    if (o instanceof Option6IAAddr) {
      out.push({
        address: o.getAddress(),
        prefixLen: 128,
        preferred: o.getPreferred(),
        valid: o.getValid(),
      });
    } else if (o instanceof Option6IAPrefix) {
      out.push({
        address: o.getAddress(),
        prefixLen: o.getLength(),
        preferred: o.getPreferred(),
        valid: o.getValid(),
      });
    }
  }
  return out;
}

function onLink(s: Subnet6 | null, address: string): boolean {
  return s !== null && s.inRange(ipv6ToBig(address));
}

function offLinkHints(w: IaWork, s: Subnet6 | null): number {
  let n = 0;
  for (const h of w.hints) if (!onLink(s, h.address)) n++;
  return n;
}

function holds(leases: readonly Lease6[], address: string): boolean {
  for (const l of leases) if (l.address === address) return true;
  return false;
}

function addLease(w: IaWork, lease: Lease6): void {
  w.rsp.addOption(
    lease.type === IA_PD
      ? Option6IAPrefix.create(
          lease.address,
          lease.prefixLen,
          lease.preferredLifetime,
          lease.validLifetime,
        )
      : Option6IAAddr.create(lease.address, lease.preferredLifetime, lease.validLifetime),
  );
}

/** An address or prefix the client may no longer use: lifetimes 0 (RFC 8415 18.3.4). */
function addZeroed(w: IaWork, address: string, prefixLen: number): void {
  if (address === "::") return;
  w.rsp.addOption(
    w.type === IA_PD
      ? Option6IAPrefix.create(address, prefixLen === 128 ? 0 : prefixLen, 0, 0)
      : Option6IAAddr.create(address, 0, 0),
  );
}

/** The hints of the IA that are not the client's leases, with lifetimes 0. */
function zeroUnheld(w: IaWork, own: readonly Lease6[]): void {
  for (const h of w.hints) if (!holds(own, h.address)) addZeroed(w, h.address, h.prefixLen);
}

/** The hints and removed leases of the IA that its response does not grant, with lifetimes 0. */
function zeroNotGranted(w: IaWork, removed: readonly Lease6[]): void {
  const granted = new Set<string>();
  for (const o of w.rsp.getOptions()) {
    if ((o instanceof Option6IAAddr || o instanceof Option6IAPrefix) && o.getValid() > 0) {
      granted.add(o.getAddress());
    }
  }
  for (const h of w.hints) {
    if (!granted.has(h.address)) {
      addZeroed(w, h.address, h.prefixLen);
      granted.add(h.address);
    }
  }
  for (const l of removed) if (!granted.has(l.address)) addZeroed(w, l.address, l.prefixLen);
}

function noLease(w: IaWork): void {
  if (w.type === IA_PD)
    setIaStatus(w, StatusCode.NoPrefixAvail, "Sorry, no prefixes could be allocated.");
  else setIaStatus(w, StatusCode.NoAddrsAvail, "Sorry, no address could be allocated.");
}

function setIaStatus(w: IaWork, code: number, message: string): void {
  w.rsp.delOption(D6O.STATUS_CODE);
  w.rsp.addOption(Option6StatusCode.create(code, message));
}

/**
 * T1/T2 of an IA from the shortest preferred lifetime it carries (Kea's setTeeTimes): configured
 * timers, else calculated when calculate-tee-times is on; T1 only when below T2. Left alone when
 * the IA holds no lease or a callout already set them.
 */
function setTeeTimes(ia: Option6IA, s: Subnet6): void {
  if (ia.getT1() !== 0 || ia.getT2() !== 0) return;
  let preferred = -1;
  for (const o of ia.getOptions()) {
    const p = o instanceof Option6IAAddr || o instanceof Option6IAPrefix ? o.getPreferred() : -1;
    if (p > 0 && (preferred < 0 || p < preferred)) preferred = p;
  }
  if (preferred <= 0) return;
  let t2 = 0;
  if (s.rebindTimer !== undefined) t2 = s.rebindTimer;
  else if (s.calculateTeeTimes) t2 = Math.round(preferred * s.t2Percent);
  let t1 = 0;
  if (s.renewTimer !== undefined) t1 = s.renewTimer;
  else if (s.calculateTeeTimes) t1 = Math.round(preferred * s.t1Percent);
  ia.setT2(t2);
  if (t1 < t2 || t2 === 0) ia.setT1(t1);
}

function firstPool(ex: Exchange6, s: Subnet6): Pool6 | PdPool6 | undefined {
  for (const w of ex.ias) {
    for (const o of w.rsp.getOptions()) {
      if (o instanceof Option6IAAddr && o.getValid() > 0)
        return s.poolFor(ipv6ToBig(o.getAddress()));
      if (o instanceof Option6IAPrefix && o.getValid() > 0)
        return s.pdPoolFor(ipv6ToBig(o.getAddress()), o.getLength());
    }
  }
  return undefined;
}

const NO_CLASSES: readonly string[] = [];

/** The label Exchange6 logs, for a packet alone. */
function label6(pkt: { transid: number; getNonCopiedOption(code: number): Option | undefined }) {
  const d = pkt.getNonCopiedOption(D6O.CLIENTID)?.getData();
  const duid =
    d === undefined ? "no info" : [...d].map((b) => b.toString(16).padStart(2, "0")).join(":");
  return `duid=[${duid}], tid=0x${pkt.transid.toString(16)}`;
}
const DOCSIS3_CLASS_MODEM = "docsis3.0";
const DOCSIS3_CLASS_EROUTER = "eRouter1.0";

/**
 * The text for VENDOR_CLASS_ from option 16 (enterprise number, then length-prefixed tuples), as
 * Kea's classifyByVendor: a DOCSIS modem or eRouter tuple when present, else the first tuple; null
 * without a tuple.
 */
function vendorClass6(q: Pkt6): string | null {
  const o = q.getNonCopiedOption(D6O.VENDOR_CLASS);
  if (o === undefined) return null;
  const d = o.getData();
  const tuples: string[] = [];
  for (let off = 4; off + 2 <= d.length;) {
    const len = d.readUInt16BE(off);
    if (off + 2 + len > d.length) break;
    tuples.push(d.toString("utf8", off + 2, off + 2 + len));
    off += 2 + len;
  }
  if (tuples.length === 0) return null;
  if (tuples.includes(DOCSIS3_CLASS_MODEM)) return DOCSIS3_CLASS_MODEM;
  if (tuples.includes(DOCSIS3_CLASS_EROUTER)) return DOCSIS3_CLASS_EROUTER;
  return tuples[0]!;
}

function findOption(levels: CfgOption[], code: number): OptionDescriptor | undefined {
  for (const level of levels) {
    const d = level.get(code);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** A destination that is neither multicast nor unknown. */
function isUnicast(addr: string): boolean {
  return addr !== "" && addr !== "::" && !addr.toLowerCase().startsWith("ff");
}

/** The link-layer address of a DUID-LLT or DUID-LL, else null. */
function hwaddrFromDuid(duid: Buffer | null): HWAddr | null {
  if (duid === null || duid.length < 4) return null;
  const type = (duid[0]! << 8) | duid[1]!;
  const htype = (duid[2]! << 8) | duid[3]!;
  if (type === 1 && duid.length > 8) return new HWAddr(duid.subarray(8), htype);
  if (type === 3 && duid.length > 4) return new HWAddr(duid.subarray(4), htype);
  return null;
}

/** The client link-layer address option (79) of the relay closest to the client, else null. */
function hwaddrFromRelay(q: Pkt6): HWAddr | null {
  const n = q.relayInfo.length;
  if (n > 0) {
    const o = q.relayInfo[n - 1]!.getOption(D6O.CLIENT_LINKLAYER_ADDR)?.getData();
    if (o !== undefined && o.length > 2) return new HWAddr(o.subarray(2), (o[0]! << 8) | o[1]!);
  }
  return null;
}

function leaseText(lease: Lease6): string {
  return lease.type === IA_PD ? `${lease.address}/${lease.prefixLen}` : lease.address;
}
