/**
 * nestor-dhcp6's real query processing in memory, for a hook library's tests: no socket, no root,
 * no lease file, a fixed server DUID.
 */
import { Pkt6 } from "../dhcp/pkt6.ts";
import { Dhcp6Srv } from "../dhcp6/dhcp6-srv.ts";
import { registerDhcp6Hooks } from "../dhcp6/hook-points.ts";
import { Reclaimer6 } from "../dhcp6/reclaimer.ts";
import type { Lease6 } from "../dhcpsrv/leases/lease6.ts";
import { MemfileLeaseStore6 } from "../dhcpsrv/leases/memfile-lease-store6.ts";
import { buildDhcp6Model, type Dhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import { Dhcp6ServerAccess } from "../dhcp6/server-access.ts";
import { ServerHooks } from "../hooks/server-hooks.ts";
import { TestServerBase, type Arrival, type Sent, type TestServerOptions } from "./test-server.ts";

import { TEST_SERVER_DUID } from "./queries6.ts";

export { TEST_SERVER_DUID };

/** Where a query came from and arrived; from fe80::2 to ff02::1:2 on eth0 by default. */
export type Arrival6 = Arrival;

/** A reply as the server sends it. */
export type Sent6 = Sent<Pkt6>;

export class TestServer6 extends TestServerBase<6> {
  readonly leases: MemfileLeaseStore6;
  /** The server's DUID, as hex (TEST_SERVER_DUID). */
  readonly duid = TEST_SERVER_DUID;
  private readonly srv: Dhcp6Srv;
  private readonly model: Dhcp6Model;
  private readonly hookIdx;

  private constructor(options: TestServerOptions) {
    const serverHooks = new ServerHooks();
    const hookIdx = registerDhcp6Hooks(serverHooks);
    super(6, options, serverHooks);
    this.hookIdx = hookIdx;
    this.leases = MemfileLeaseStore6.open({ persist: false });
    const model = buildDhcp6Model(this.loaded.config, "<test>", this.loaded.source);
    this.model = model;
    this.srv = new Dhcp6Srv({
      model,
      leases: this.leases,
      hooks: this.hooks,
      hookIdx,
      stats: this.stats,
      logs: this.logs,
      serverDuid: Buffer.from(TEST_SERVER_DUID, "hex"),
      serverPort: 547,
      clientPort: undefined,
    });
  }

  protected libraryAccess(): Dhcp6ServerAccess {
    return new Dhcp6ServerAccess(
      () => this.leases,
      () => this.model.subnets,
      () => this.model.subnetsById,
    );
  }

  /** A server on `options.config`, with its libraries loaded. */
  static async start(options: TestServerOptions): Promise<TestServer6> {
    return TestServerBase.loaded(new TestServer6(options), options);
  }

  /**
   * The same as query(), with the reply as the server would send it: its bytes, the parsed
   * packet, and the address and port it goes to (null when the server sends none).
   */
  async exchange(packet: Pkt6 | Uint8Array, arrival: Arrival6 = {}): Promise<Sent6 | null> {
    const defaults = { from: "fe80::2", to: "ff02::1:2", port: 546 };
    return this.send(this.srv, this.leases, Pkt6, packet, arrival, defaults);
  }

  /**
   * Runs one query through the server (asynchronous callouts awaited) and answers its reply,
   * parsed, or null when the server sent none. The lease changes are stored before it returns.
   */
  async query(packet: Pkt6 | Uint8Array, arrival: Arrival6 = {}): Promise<Pkt6 | null> {
    return (await this.exchange(packet, arrival))?.pkt ?? null;
  }

  /** Every lease in the store. */
  allLeases(): Lease6[] {
    return this.leases.getAllLeases6();
  }

  /** The lease of an address (type 0, IA_NA) or prefix (type 2, IA_PD), if any. */
  lease(address: string, type: 0 | 2 = 0): Lease6 | undefined {
    return this.leases.getLease6(type, address) ?? undefined;
  }

  /** Reclaims the leases expired by now, as the server's reclamation timer does. */
  async reclaimExpired(): Promise<number> {
    const reclaimer = new Reclaimer6({
      leases: this.leases,
      hooks: this.hooks,
      hookIdx: this.hookIdx,
      stats: this.srv.stats6,
      log: this.logs.getLogger("alloc-engine"),
      config: this.loaded.config["expired-leases-processing"],
    });
    const n = await reclaimer.reclaimOnce();
    this.leases.flush();
    return n;
  }
}
