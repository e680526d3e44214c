/**
 * nestor-dhcp6 at run time: the shared server runtime (src/dhcpsrv/runtime/server-runtime.ts:
 * configuration load and reload, config-set, libreload, sockets, group commit, reclaimer,
 * dhcp-disable, shutdown) with what is truly DHCPv6: the v6 model and memfile store, the message
 * processing (dhcp6-srv.ts), and the server DUID (configured, or generated once and kept in the
 * data directory). The sockets join ff02::1:2 on every configured interface (src/dhcpsrv/iface).
 */
import os from "node:os";
import { dirname, resolve } from "node:path";
import type { Logger } from "../log/logger.ts";
import { defineMessages } from "../log/logger.ts";
import { buildDhcp6Model, type Dhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import type { Dhcp6Config } from "../dhcpsrv/config/types.ts";
import type { OutgoingPacket } from "../dhcpsrv/iface/packet-socket.ts";
import { MemfileLeaseStore6 } from "../dhcpsrv/leases/memfile-lease-store6.ts";
import { DEFAULT_DATA_DIR, ServerRuntime } from "../dhcpsrv/runtime/server-runtime.ts";
import type { FamilyAdapter, FamilyTypesOf } from "../dhcpsrv/runtime/server-runtime.ts";
import type { ProcessingDeps, ReclaimerDeps } from "../dhcpsrv/runtime/server-runtime.ts";
import type { ServerOptions } from "../dhcpsrv/runtime/server-runtime.ts";
import { Dhcp6Srv } from "./dhcp6-srv.ts";
import type { Reply6 } from "./exchange.ts";
import { registerDhcp6Hooks, type Dhcp6Hooks } from "./hook-points.ts";
import { Reclaimer6 } from "./reclaimer.ts";
import { Dhcp6ServerAccess } from "./server-access.ts";
import { serverDuid } from "./server-id.ts";

export { DEFAULT_DATA_DIR, VERSION } from "../dhcpsrv/runtime/server-runtime.ts";
export type Dhcp6ServerOptions = ServerOptions;

defineMessages({
  DHCP6_SERVERID: "server DUID is %1",
});

type Dhcp6Types = FamilyTypesOf<6, Dhcp6Model, MemfileLeaseStore6, Dhcp6Srv, Reply6, Dhcp6Hooks>;

export class Dhcp6Server extends ServerRuntime<Dhcp6Types> {
  /** Reads the configuration and starts serving; throws (ConfigError...) when it cannot. */
  static start(options: ServerOptions): Promise<Dhcp6Server> {
    return new Dhcp6Server(new Family6(), options).begin();
  }

  /** The server DUID in use (option 2 of every reply). */
  get serverId(): Buffer {
    return this.srv.getServerDuid();
  }
}

class Family6 implements FamilyAdapter<Dhcp6Types> {
  readonly family = 6;
  readonly defaultServerPort = 547;
  /** The DUID of the configuration being applied (prepare), then in use. */
  private duid: Buffer = Buffer.alloc(0);

  readonly registerHooks = registerDhcp6Hooks;
  readonly buildModel = buildDhcp6Model;
  readonly openLeases = MemfileLeaseStore6.open;

  libraryAccess(server: ServerRuntime<Dhcp6Types>): Dhcp6ServerAccess {
    return new Dhcp6ServerAccess(
      () => server.leaseStore,
      () => server.model.subnets,
      () => server.model.subnetsById,
    );
  }

  // Before anything changes: a DUID that cannot be read or kept refuses the configuration.
  prepare(config: Dhcp6Config, file: string): void {
    this.duid = serverDuid({
      config: config["server-id"],
      dataDirectory: resolve(dirname(file), config["data-directory"] ?? DEFAULT_DATA_DIR),
      hwaddr: machineHwaddr(),
    }).duid;
  }

  createProcessing(deps: ProcessingDeps<Dhcp6Types>): Dhcp6Srv {
    return new Dhcp6Srv({ ...deps, serverDuid: this.duid });
  }

  reconfigure(srv: Dhcp6Srv, model: Dhcp6Model): void {
    srv.setModel(model, this.duid);
  }

  createReclaimer(deps: ReclaimerDeps<Dhcp6Types>): Reclaimer6 {
    return new Reclaimer6({ ...deps, stats: deps.processing.stats6 });
  }

  // Kea logs the server DUID once the configuration is in place.
  configured(_config: Dhcp6Config, log: Logger): void {
    log.info("DHCP6_SERVERID", this.duid.toString("hex").replace(/(..)(?!$)/g, "$1:"));
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
