/**
 * nestor-dhcp4 at run time: the shared server runtime (src/dhcpsrv/runtime/server-runtime.ts:
 * configuration load and reload, config-set, libreload, sockets, group commit, reclaimer,
 * dhcp-disable, shutdown) with what is truly DHCPv4: the v4 model and memfile store, the
 * message processing (dhcp4-srv.ts), the server identifier taken from the addresses of the
 * arrival interface, and replies that may go to a hardware address.
 */
import os from "node:os";
import type { LogManager } from "../log/logger.ts";
import type { ServerHooks } from "../hooks/server-hooks.ts";
import { buildDhcp4Model, type Dhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import type { Dhcp4Config, LeaseDatabase } from "../dhcpsrv/config/types.ts";
import type { ConfigSource } from "../dhcpsrv/config/source.ts";
import type { OutgoingPacket } from "../dhcpsrv/iface/packet-socket.ts";
import { MemfileLeaseStore4 } from "../dhcpsrv/leases/memfile-lease-store4.ts";
import {
  ServerRuntime,
  type FamilyAdapter,
  type ServerOptions,
} from "../dhcpsrv/runtime/server-runtime.ts";
import { Dhcp4Srv } from "./dhcp4-srv.ts";
import type { Reply4 } from "./exchange.ts";
import { registerDhcp4Hooks, type Dhcp4Hooks } from "./hook-points.ts";
import { Reclaimer4 } from "./reclaimer.ts";

export { DEFAULT_DATA_DIR, VERSION } from "../dhcpsrv/runtime/server-runtime.ts";
export type Dhcp4ServerOptions = ServerOptions;

interface Dhcp4Types {
  family: 4;
  model: Dhcp4Model;
  store: MemfileLeaseStore4;
  processing: Dhcp4Srv;
  reply: Reply4;
  hooks: Dhcp4Hooks;
}

export class Dhcp4Server extends ServerRuntime<Dhcp4Types> {
  /** The IPv4 addresses of each configured interface (the first is its server identifier). */
  private addressesByIface = new Map<string, string[]>();
  /** Every IPv4 address of this machine: a query naming one of them names us. */
  private allAddresses: string[] = [];

  private constructor(options: ServerOptions) {
    const family = new Family4();
    super(family, options);
    family.server = this;
  }

  /** Reads the configuration and starts serving; throws (ConfigError...) when it cannot. */
  static async start(options: ServerOptions): Promise<Dhcp4Server> {
    const server = new Dhcp4Server(options);
    await server.begin();
    return server;
  }

  /** The processing of a new lease store (the adapter's createProcessing). */
  newProcessing(model: Dhcp4Model): Dhcp4Srv {
    return new Dhcp4Srv({
      model,
      leases: this.leaseStore,
      hooks: this.hooks,
      hookIdx: this.hookIdx,
      stats: this.stats,
      logs: this.logs,
      serverPort: this.options.serverPort ?? 67,
      clientPort: this.options.clientPort,
      directResponse: () =>
        this.configuration["interfaces-config"]["dhcp-socket-type"] === "raw" &&
        this.iface.canSendToHwaddr,
      ifaceAddresses: (name) =>
        name === "" ? this.allAddresses : (this.addressesByIface.get(name) ?? []),
    });
  }

  newReclaimer(srv: Dhcp4Srv, config: Dhcp4Config): Reclaimer4 {
    return new Reclaimer4(
      this.leaseStore,
      this.hooks,
      this.hookIdx,
      srv.stats4,
      this.logs.getLogger("alloc-engine"),
      config["expired-leases-processing"],
    );
  }

  /** The addresses of the configured interfaces (their `only` ones when given) and the host's. */
  learnAddresses(): void {
    this.addressesByIface.clear();
    const all = new Set<string>();
    for (const s of this.iface.interfaces()) {
      const list = s.only.length > 0 ? [...s.only] : s.addresses.map((a) => a.address);
      this.addressesByIface.set(s.name, list);
      for (const a of list) all.add(a);
    }
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) if (a.family === "IPv4") all.add(a.address);
    }
    this.allAddresses = [...all];
  }
}

class Family4 implements FamilyAdapter<Dhcp4Types> {
  readonly family = 4;
  readonly prefix = "DHCP4";
  readonly defaultServerPort = 67;
  readonly defaultLeaseFile = "kea-leases4.csv";
  readonly srvConfiguredHook = "dhcp4_srv_configured";
  /** The server this adapter serves, set once it is built. */
  server!: Dhcp4Server;

  registerHooks(serverHooks: ServerHooks): Dhcp4Hooks {
    return registerDhcp4Hooks(serverHooks);
  }

  buildModel(config: Dhcp4Config, file: string, source: ConfigSource): Dhcp4Model {
    return buildDhcp4Model(config, file, source);
  }

  openLeases(db: LeaseDatabase & { name: string }, logs: LogManager): MemfileLeaseStore4 {
    return MemfileLeaseStore4.open(db, { logger: logs.getLogger("dhcpsrv") });
  }

  createProcessing(model: Dhcp4Model): Dhcp4Srv {
    return this.server.newProcessing(model);
  }

  reconfigure(srv: Dhcp4Srv, model: Dhcp4Model): void {
    srv.setModel(model);
  }

  createReclaimer(srv: Dhcp4Srv, config: Dhcp4Config): Reclaimer4 {
    return this.server.newReclaimer(srv, config);
  }

  socketsOpened(): void {
    this.server.learnAddresses();
  }

  outgoing(r: Reply4): OutgoingPacket {
    return {
      hwaddr: r.hwaddr,
      data: r.data,
      dstAddr: r.address,
      dstPort: r.port,
      srcAddr: r.source,
      ifindex: r.ifindex > 0 ? r.ifindex : undefined,
    };
  }
}
