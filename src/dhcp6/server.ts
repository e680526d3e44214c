/**
 * nestor-dhcp6 at run time: the shared server runtime (src/dhcpsrv/runtime/server-runtime.ts:
 * configuration load and reload, config-set, libreload, sockets, group commit, reclaimer,
 * dhcp-disable, shutdown) with what is truly DHCPv6: the v6 model and memfile store, the message
 * processing (dhcp6-srv.ts), and the server DUID (configured, or generated once and kept in the
 * data directory). The sockets join ff02::1:2 on every configured interface (src/dhcpsrv/iface).
 */
import os from "node:os";
import { dirname, resolve } from "node:path";
import type { LogManager } from "../log/logger.ts";
import { defineMessages } from "../log/logger.ts";
import type { ServerHooks } from "../hooks/server-hooks.ts";
import { buildDhcp6Model, type Dhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import type { Dhcp6Config, LeaseDatabase } from "../dhcpsrv/config/types.ts";
import type { ConfigSource } from "../dhcpsrv/config/source.ts";
import type { OutgoingPacket } from "../dhcpsrv/iface/packet-socket.ts";
import { MemfileLeaseStore6 } from "../dhcpsrv/leases/memfile-lease-store6.ts";
import {
  DEFAULT_DATA_DIR,
  ServerRuntime,
  type FamilyAdapter,
  type ServerOptions,
} from "../dhcpsrv/runtime/server-runtime.ts";
import { Dhcp6Srv } from "./dhcp6-srv.ts";
import type { Reply6 } from "./exchange.ts";
import { registerDhcp6Hooks, type Dhcp6Hooks } from "./hook-points.ts";
import { Reclaimer6 } from "./reclaimer.ts";
import { serverDuid } from "./server-id.ts";

export { DEFAULT_DATA_DIR, VERSION } from "../dhcpsrv/runtime/server-runtime.ts";
export type Dhcp6ServerOptions = ServerOptions;

defineMessages({
  DHCP6_SERVERID: "server DUID is %1",
});

interface Dhcp6Types {
  family: 6;
  model: Dhcp6Model;
  store: MemfileLeaseStore6;
  processing: Dhcp6Srv;
  reply: Reply6;
  hooks: Dhcp6Hooks;
}

export class Dhcp6Server extends ServerRuntime<Dhcp6Types> {
  private constructor(options: ServerOptions) {
    const family = new Family6();
    super(family, options);
    family.server = this;
  }

  /** Reads the configuration and starts serving; throws (ConfigError...) when it cannot. */
  static async start(options: ServerOptions): Promise<Dhcp6Server> {
    const server = new Dhcp6Server(options);
    await server.begin();
    return server;
  }

  /** The server DUID in use (option 2 of every reply). */
  get serverId(): Buffer {
    return this.srv.getServerDuid();
  }

  /** The processing of a new lease store (the adapter's createProcessing). */
  newProcessing(model: Dhcp6Model, duid: Buffer): Dhcp6Srv {
    return new Dhcp6Srv({
      model,
      leases: this.leaseStore,
      hooks: this.hooks,
      hookIdx: this.hookIdx,
      stats: this.stats,
      logs: this.logs,
      serverDuid: duid,
      serverPort: this.options.serverPort ?? 547,
      clientPort: this.options.clientPort,
    });
  }

  newReclaimer(srv: Dhcp6Srv, config: Dhcp6Config): Reclaimer6 {
    return new Reclaimer6(
      this.leaseStore,
      this.hooks,
      this.hookIdx,
      srv.stats6,
      this.logs.getLogger("alloc-engine"),
      config["expired-leases-processing"],
    );
  }

  logServerId(duid: Buffer): void {
    this.log.info("DHCP6_SERVERID", duid.toString("hex").replace(/(..)(?!$)/g, "$1:"));
  }
}

class Family6 implements FamilyAdapter<Dhcp6Types> {
  readonly family = 6;
  readonly prefix = "DHCP6";
  readonly defaultServerPort = 547;
  readonly defaultLeaseFile = "kea-leases6.csv";
  readonly srvConfiguredHook = "dhcp6_srv_configured";
  /** The server this adapter serves, set once it is built. */
  server!: Dhcp6Server;
  /** The DUID of the configuration being applied (prepare), then in use. */
  private duid: Buffer = Buffer.alloc(0);

  registerHooks(serverHooks: ServerHooks): Dhcp6Hooks {
    return registerDhcp6Hooks(serverHooks);
  }

  buildModel(config: Dhcp6Config, file: string, source: ConfigSource): Dhcp6Model {
    return buildDhcp6Model(config, file, source);
  }

  // Before anything changes: a DUID that cannot be read or kept refuses the configuration.
  prepare(config: Dhcp6Config, file: string): void {
    this.duid = serverDuid({
      config: config["server-id"],
      dataDirectory: resolve(dirname(file), config["data-directory"] ?? DEFAULT_DATA_DIR),
      hwaddr: machineHwaddr(),
    }).duid;
  }

  openLeases(db: LeaseDatabase & { name: string }, logs: LogManager): MemfileLeaseStore6 {
    return MemfileLeaseStore6.open(db, { logger: logs.getLogger("dhcpsrv") });
  }

  createProcessing(model: Dhcp6Model): Dhcp6Srv {
    return this.server.newProcessing(model, this.duid);
  }

  reconfigure(srv: Dhcp6Srv, model: Dhcp6Model): void {
    srv.setModel(model, this.duid);
  }

  createReclaimer(srv: Dhcp6Srv, config: Dhcp6Config): Reclaimer6 {
    return this.server.newReclaimer(srv, config);
  }

  configured(): void {
    this.server.logServerId(this.duid);
  }

  outgoing(r: Reply6): OutgoingPacket {
    return {
      data: r.data,
      dstAddr: r.address,
      dstPort: r.port,
      ifindex: r.ifindex > 0 ? r.ifindex : undefined,
    };
  }
}

/** The first Ethernet address of this machine (for a generated DUID-LLT/LL), or null. */
function machineHwaddr(): Buffer | null {
  for (const [name, list] of Object.entries(os.networkInterfaces())) {
    if (name === "lo") continue;
    for (const a of list ?? []) {
      if (a.mac !== "00:00:00:00:00:00") return Buffer.from(a.mac.replaceAll(":", ""), "hex");
    }
  }
  return null;
}
