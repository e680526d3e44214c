/**
 * nestor-dhcp4's real query processing in memory, for a hook library's tests: no socket, no root,
 * no lease file. A query goes through every step and hook point the server runs, and the leases
 * it grants are in an in-memory lease store the test reads.
 */
import { Pkt4 } from "../dhcp/pkt4.ts";
import { Dhcp4Srv } from "../dhcp4/dhcp4-srv.ts";
import { registerDhcp4Hooks } from "../dhcp4/hook-points.ts";
import { Reclaimer4 } from "../dhcp4/reclaimer.ts";
import type { Lease4 } from "../dhcpsrv/leases/lease4.ts";
import { MemfileLeaseStore4 } from "../dhcpsrv/leases/memfile-lease-store4.ts";
import { buildDhcp4Model, type Dhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import { Dhcp4ServerAccess } from "../dhcp4/server-access.ts";
import { ServerHooks } from "../hooks/server-hooks.ts";
import { TestServerBase, type Arrival, type Sent, type TestServerOptions } from "./test-server.ts";

export interface TestServer4Options extends TestServerOptions {
  /** The server's address on the interface (its server identifier); 198.51.100.1 by default. */
  serverAddress?: string;
}

/** Where a query came from and arrived; a broadcast from 0.0.0.0 on eth0 by default. */
export type Arrival4 = Arrival;

/** A reply as the server sends it. */
export type Sent4 = Sent<Pkt4>;

export class TestServer4 extends TestServerBase<4> {
  readonly leases: MemfileLeaseStore4;
  private readonly srv: Dhcp4Srv;
  private readonly model: Dhcp4Model;
  private readonly hookIdx;
  private readonly serverAddress: string;

  private constructor(options: TestServer4Options) {
    const serverHooks = new ServerHooks();
    const hookIdx = registerDhcp4Hooks(serverHooks);
    super(4, options, serverHooks);
    this.hookIdx = hookIdx;
    this.serverAddress = options.serverAddress ?? "198.51.100.1";
    this.leases = MemfileLeaseStore4.open({ persist: false });
    const model = buildDhcp4Model(this.loaded.config, "<test>", this.loaded.source);
    this.model = model;
    this.srv = new Dhcp4Srv({
      model,
      leases: this.leases,
      hooks: this.hooks,
      hookIdx,
      stats: this.stats,
      logs: this.logs,
      serverPort: 67,
      clientPort: undefined,
      ifaceAddresses: () => [this.serverAddress],
      directResponse: () => false,
    });
  }

  protected libraryAccess(): Dhcp4ServerAccess {
    return new Dhcp4ServerAccess(
      () => this.leases,
      () => this.model.subnets,
      () => this.model.subnetsById,
    );
  }

  /** A server on `options.config`, with its libraries loaded. */
  static async start(options: TestServer4Options): Promise<TestServer4> {
    return TestServerBase.loaded(new TestServer4(options), options);
  }

  /**
   * The same as query(), with the reply as the server would send it: its bytes, the parsed
   * packet, and the address and port it goes to (null when the server sends none).
   */
  async exchange(packet: Pkt4 | Uint8Array, arrival: Arrival4 = {}): Promise<Sent4 | null> {
    const defaults = { from: "0.0.0.0", to: "255.255.255.255", port: 68 };
    return this.send(this.srv, this.leases, Pkt4, packet, arrival, defaults);
  }

  /**
   * Runs one query through the server (asynchronous callouts awaited) and answers its reply,
   * parsed, or null when the server sent none. The lease changes are stored before it returns.
   */
  async query(packet: Pkt4 | Uint8Array, arrival: Arrival4 = {}): Promise<Pkt4 | null> {
    return (await this.exchange(packet, arrival))?.pkt ?? null;
  }

  /** Every lease in the store. */
  allLeases(): Lease4[] {
    return this.leases.getAllLeases4();
  }

  /** The lease of an address, if any. */
  lease(address: string): Lease4 | undefined {
    return this.leases.getLease4(address) ?? undefined;
  }

  /**
   * Reclaims the leases expired by now (the clock's now, with a ManualClock), as the server's
   * reclamation timer does: lease4_expire callouts, statistics, removal or expired-reclaimed
   * state. Answers how many.
   */
  async reclaimExpired(): Promise<number> {
    const config = this.loaded.config["expired-leases-processing"];
    const reclaimer = new Reclaimer4({
      leases: this.leases,
      hooks: this.hooks,
      hookIdx: this.hookIdx,
      stats: this.srv.stats4,
      log: this.logs.getLogger("alloc-engine"),
      config,
    });
    const n = await reclaimer.reclaimOnce();
    this.leases.flush();
    return n;
  }
}
