/**
 * What a DHCPv4 and a DHCPv6 server (Dhcp4Srv, Dhcp6Srv) do alike around their step tables: the
 * server context the steps read, one per configuration (a reload makes a new one, so a query
 * finishes under the configuration it started with), and processQuery: a received datagram
 * becomes a query and an exchange, which runs through the family's steps. A family gives its
 * packet, its exchange and where a reply goes (`FamilyProcessing`), all made once per server.
 */
import type { Pkt } from "../../dhcp/pkt.ts";
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import type { CalloutManager } from "../../hooks/callout-manager.ts";
import type { HooksManager } from "../../hooks/hooks-manager.ts";
import type { LogManager } from "../../log/logger.ts";
import type { PacketStats } from "../../stats/packet-stats.ts";
import { carryCursors } from "../alloc/allocator-state.ts";
import type { ClientClasses } from "../classify/client-classes.ts";
import { endQuery, receivedQuery, type ReceivedDatagram } from "./exchange-rules.ts";
import type { FamilyRules } from "./family.ts";
import type { HookedExchange, HookPoint } from "./hook-point.ts";
import { coreMessages, QueryCore, type CoreExchange } from "./query-core.ts";
import { StepRunner, type Step } from "./step-runner.ts";

/**
 * What the steps read of the server, for one configuration: `M` the model, `L` the lease store,
 * `A` the allocation engine, `S` the statistics, `E` the exchange, `P` the hook points.
 */
export interface ServerContext<M, L, A, S, E extends CoreExchange, P> {
  readonly model: M;
  readonly leases: L;
  readonly engine: A;
  readonly stats: S;
  readonly core: QueryCore<E>;
  readonly points: P;
  /** What the shared steps need to know of the family (its hook argument names...). */
  readonly family: FamilyRules;
  /** -P: every reply goes to this port; undefined = the protocol's (Kea). */
  readonly clientPort: number | undefined;
}

/** What a server context is made of, from the server's dependencies. */
export interface ContextDeps<M, L> {
  model: M;
  leases: L;
  logs: LogManager;
  clientPort: number | undefined;
}

/** The first server context of a family; `extras` are the family's own fields. */
export function firstContext<M, L, A, S extends PacketStats, E extends CoreExchange, P, X>(
  family: FamilyRules,
  deps: ContextDeps<M, L>,
  engine: A,
  stats: S,
  points: P,
  extras: X,
): ServerContext<M, L, A, S, E, P> & X {
  return {
    model: deps.model,
    leases: deps.leases,
    engine,
    stats,
    core: new QueryCore<E>(deps.logs, stats, coreMessages(`DHCP${family.n}`)),
    points,
    family,
    clientPort: deps.clientPort,
    ...extras,
  };
}

/** A pool whose allocation cursor survives a reconfiguration. */
interface CursorPool {
  cursor: unknown;
  toText(): string;
}

/** What the processor reads of a family's server context. */
export interface ProcessedContext<C extends ProcessedContext<C>> {
  readonly model: {
    readonly subnets: readonly { readonly id: number; readonly pools: readonly CursorPool[] }[];
    readonly hosts: unknown;
    readonly classes: ClientClasses | null;
    readonly optionDefs: OptionDefLookup;
  };
  readonly leases: unknown;
  readonly engine: {
    setHosts(hosts: C["model"]["hosts"]): void;
    /** The allocators of the new subnets set up (free lease queues filled from the store). */
    setSubnets(subnets: C["model"]["subnets"]): void;
  };
  readonly stats: { configure(model: C["model"], leases: C["leases"]): void };
  readonly core: Pick<QueryCore<never>, "reportClassErrors" | "stats" | "bufferReceived">;
  readonly points: unknown;
}

/** What the processor reads of a family's exchange. */
export interface ProcessedExchange<E extends ProcessedExchange<E>> extends CoreExchange {
  readonly srv: { readonly core: QueryCore<E> };
}

/** A family's steps of a query, in their order: plain steps and hook points. */
export type Steps<E extends HookedExchange> = readonly (Step<E> | HookPoint<E>)[];

/** What is a family's own in processing a query. */
export interface FamilyProcessing<
  C extends { readonly points: unknown },
  E extends ProcessedExchange<E>,
  R,
> {
  /** A packet's label in log lines (a class test that fails on it). */
  readonly label: (pkt: Pkt) => string;
  /** The family's packet class: the query of a received datagram, not unpacked yet. */
  readonly Packet: new (data: Buffer, defs: OptionDefLookup) => E["query"];
  /** The family's exchange class: a query received by the server of `srv`, `now` in seconds. */
  readonly Exchange: new (srv: C, query: E["query"], gen: CalloutManager, now: number) => E;
  /** The steps of a query, in their order, with the server's hook points. */
  readonly steps: (points: C["points"]) => Steps<E>;
  /** Where the response of a query that was not dropped goes, or null: not sent. */
  readonly destination: (ex: E, response: NonNullable<E["response"]>) => R | null;
}

/** What a processor needs of the server beyond its context. */
export interface ProcessorDeps {
  hooks: HooksManager;
  /** The port the server listens on. */
  serverPort: number;
}

/** A step threw: the query is dropped and counted, the server goes on. */
function failQuery<E extends ProcessedExchange<E>>(ex: E, err: unknown): void {
  ex.srv.core.failed(ex, err);
}

/** A family's server (Dhcp4Srv, Dhcp6Srv) is a QueryProcessor with its own context and steps. */
export class QueryProcessor<C extends ProcessedContext<C>, E extends ProcessedExchange<E>, R> {
  private readonly hooks: HooksManager;
  private readonly serverPort: number;
  private readonly family: FamilyProcessing<C, E, R>;
  private readonly runner: StepRunner<E, R | null>;
  /** What the steps read, for the configuration in force: replaced by setModel. */
  private srv: C;

  constructor(deps: ProcessorDeps, family: FamilyProcessing<C, E, R>, srv: C) {
    this.hooks = deps.hooks;
    this.serverPort = deps.serverPort;
    this.family = family;
    this.srv = srv;
    this.configure();
    const destination = family.destination;
    this.runner = new StepRunner<E, R | null>(family.steps(srv.points), failQuery, (ex) =>
      endQuery(ex, ex.srv.core, destination),
    );
  }

  /** The context of the configuration in force. */
  protected get context(): C {
    return this.srv;
  }

  getModel(): C["model"] {
    return this.srv.model;
  }

  /** Installs a new configuration model, with the family's `changes` to the context. */
  protected reconfigure(model: C["model"], changes?: Partial<C>): void {
    const old = this.srv;
    carryCursors(old.model.subnets, model.subnets);
    old.engine.setHosts(model.hosts);
    old.engine.setSubnets(model.subnets);
    // A spread keeps the keys and their order: every context has the hidden class of the first.
    this.srv = { ...old, ...changes, model };
    this.configure();
  }

  /**
   * Processes one datagram; a Promise only when a callout of this query is asynchronous.
   * `packet`: the query already made (DHCPv4-over-DHCPv6), not unpacked yet.
   */
  processQuery(rx: ReceivedDatagram, packet?: E["query"]): R | null | Promise<R | null> {
    const srv = this.srv;
    srv.core.bufferReceived(rx.srcAddr, rx.srcPort, rx.dstAddr, this.serverPort, rx.iface);
    const { Packet, Exchange } = this.family;
    const made = packet ?? new Packet(rx.data, srv.model.optionDefs);
    const query = receivedQuery(made, rx, this.serverPort);
    const now = Math.floor(rx.receivedAt / 1000);
    return this.runner.run(new Exchange(srv, query, this.hooks.callouts, now));
  }

  /**
   * A reply of this message type left: `pktN-sent` and its per-type counter. Counted when the
   * reply is sent (the reply pipeline), as Kea counts after sendPacket: a reply whose lease write
   * failed, whose lease another server took or whose send failed is not counted.
   */
  replySent(type: number): void {
    this.srv.core.stats.countSent(type);
  }

  /** What a configuration sets outside the context: statistics, class evaluation errors. */
  private configure(): void {
    const { model, leases, stats, core } = this.srv;
    stats.configure(model, leases);
    core.reportClassErrors(model.classes, this.family.label);
  }
}
