/**
 * nestor-dhcp6 at run time: the shared server runtime (src/dhcpsrv/runtime/server-runtime.ts:
 * configuration load and reload, config-set, libreload, sockets, group commit, reclaimer,
 * dhcp-disable, shutdown) with what is truly DHCPv6: the v6 model and memfile store, the message
 * processing (dhcp6-srv.ts), and the server DUID (configured, or generated once and kept in the
 * data directory). The sockets join ff02::1:2 on every configured interface (src/dhcpsrv/iface).
 * The lease database is memfile or Kea's PostgreSQL `lease6` table (pgsql-lease-store6.ts).
 */
import os from "node:os";
import { dirname, resolve } from "node:path";
import type { Logger } from "../log/logger.ts";
import { defineMessages } from "../log/logger.ts";
import { buildDhcp6Model, type Dhcp6Model } from "../dhcpsrv/model/cfg6.ts";
import type { Dhcp6Config } from "../dhcpsrv/config/types.ts";
import type { OutgoingPacket } from "../dhcpsrv/iface/packet-socket.ts";
import { MemfileLeaseStore6 } from "../dhcpsrv/leases/memfile-lease-store6.ts";
import { PgsqlLeaseStore6 } from "../dhcpsrv/leases/pgsql-lease-store6.ts";
import type { LostLeases } from "../dhcpsrv/leases/lease-store.ts";
import type { LeaseStore6 } from "../dhcpsrv/leases/lease-store6.ts";
import type { RuntimeLeaseStore } from "../dhcpsrv/runtime/server-runtime.ts";
import { parseDbAccess } from "../dhcpsrv/db/db-access.ts";
import type { Pool6, PdPool6 } from "../dhcpsrv/model/subnet6.ts";
import { grantsLease6 } from "./granted-leases.ts";
import { DEFAULT_DATA_DIR, ServerRuntime } from "../dhcpsrv/runtime/server-runtime.ts";
import { ipv6ToBig } from "../dhcpsrv/model/subnet6.ts";
import { LeaseType6 } from "../dhcpsrv/leases/lease6.ts";
import type { FamilyAdapter, FamilyTypesOf } from "../dhcpsrv/runtime/server-runtime.ts";
import type { ProcessingDeps, ReclaimerDeps } from "../dhcpsrv/runtime/server-runtime.ts";
import type { ServerOptions } from "../dhcpsrv/runtime/server-runtime.ts";
import { Dhcp6Srv } from "./dhcp6-srv.ts";
import type { Reply6 } from "./exchange.ts";
import { registerDhcp6Hooks, type Dhcp6Hooks } from "./hook-points.ts";
import { Reclaimer6 } from "./reclaimer.ts";
import { Dhcp6ServerAccess } from "./server-access.ts";
import { serverDuid } from "./server-id.ts";
import { packIpc, systemIfindex, unpackIpc } from "../dhcpsrv/iface/dhcp4o6-ipc.ts";
import type { Pkt6 } from "../dhcp/pkt6.ts";
import { DHCPv6MessageType } from "../dhcp/constants.ts";
import { NextStep } from "../hooks/next-step.ts";
import { response4o6Port } from "./processing/send.ts";
import { spreadCursors, spreadWithPeers } from "../dhcpsrv/alloc/spread-cursors.ts";
import type { CursorSpreading } from "../dhcpsrv/alloc/spread-cursors.ts";

export { DEFAULT_DATA_DIR, VERSION } from "../dhcpsrv/runtime/server-runtime.ts";
export type Dhcp6ServerOptions = ServerOptions;

defineMessages({
  DHCP6_SERVERID: "server DUID is %1",
  DHCP6_DHCP4O6_RECEIVE_FAIL: "failed to receive DHCPv4o6 packet: %1",
  DHCP6_DHCP4O6_PACKET_RECEIVED:
    "received DHCPv4o6 packet of type %1 for %2 port %3 on interface %4",
  DHCP6_DHCP4O6_RESPONSE_SEND_FAIL: "failed to send the DHCPV4-RESPONSE to %1: %2",
  DHCP6_HOOK_BUFFER_SEND_SKIP:
    "%1: buffer6_send callout set status %2: the DHCPV4-RESPONSE is not sent",
});

type Store6 = LeaseStore6 & RuntimeLeaseStore;
type Dhcp6Types = FamilyTypesOf<6, Dhcp6Model, Store6, Dhcp6Srv, Reply6, Dhcp6Hooks>;

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

/**
 * Active/active on one lease database (src/dhcpsrv/alloc/spread-cursors.ts): the iterative
 * search of each address and prefix pool starts at a random place once another server shares
 * the database.
 */
const SPREAD6: CursorSpreading<Dhcp6Model, Pool6 | PdPool6, string> = {
  *pools(model) {
    for (const subnet of model.subnets) {
      yield* subnet.pools;
      yield* subnet.pdPools;
    }
  },
  holds: (pool, address) => pool.inRange(ipv6ToBig(address)),
  spread(pool) {
    // A random step among the first 2^53 of the pool (a /64 has more than a double can count).
    const size = pool.capacity < 1n << 53n ? Number(pool.capacity) : 2 ** 53;
    const step = BigInt(Math.floor(Math.random() * size));
    if (pool.type === LeaseType6.IA_PD) {
      const pd = pool as PdPool6;
      pd.cursor = step === 0n ? pd.last : pd.prefix + (step - 1n) * pd.step;
    } else {
      const p = pool as Pool6;
      p.cursor = step === 0n ? p.end : p.start + step - 1n;
    }
  },
};

class Family6 implements FamilyAdapter<Dhcp6Types> {
  readonly family = 6;
  readonly defaultServerPort = 547;
  /** The DUID of the configuration being applied (prepare), then in use. */
  private duid: Buffer = Buffer.alloc(0);
  /** The message processing in use (its statistics count the DHCPV4-RESPONSEs sent). */
  private processing: Dhcp6Srv | null = null;

  readonly registerHooks = registerDhcp6Hooks;
  readonly buildModel = buildDhcp6Model;
  /** The PostgreSQL lease store in use, if that is the lease database. */
  private pgStore: PgsqlLeaseStore6 | null = null;
  readonly openLeases: FamilyAdapter<Dhcp6Types>["openLeases"] = (db, o) => {
    if (db.type !== "postgresql") return MemfileLeaseStore6.open(db, o);
    return PgsqlLeaseStore6.open(parseDbAccess({ ...db }, "Dhcp6/lease-database", o.file), {
      logger: o.logger,
      family: 6,
      applicationName: "nestor-dhcp6",
      ...o.server,
    });
  };

  /** A reply grants a lease another server took (an address or prefix of its IAs). */
  grants(r: Reply6, lost: LostLeases): boolean {
    return grantsLease6(r.data, lost);
  }

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

  createProcessing(deps: ProcessingDeps<Dhcp6Types>, server: ServerRuntime<Dhcp6Types>): Dhcp6Srv {
    const store = deps.leases;
    this.pgStore = store instanceof PgsqlLeaseStore6 ? store : null;
    if (store instanceof PgsqlLeaseStore6) {
      // Several servers on one database: each searches its pools from its own place.
      spreadWithPeers(store, SPREAD6, () => server.model, deps.model);
    }
    const srv = new Dhcp6Srv({
      ...deps,
      serverDuid: this.duid,
      to4o6: (q) => server.dhcp4o6.send(packIpc(q)),
    });
    // A lease another server committed first was never granted here: counted back out.
    if (store instanceof PgsqlLeaseStore6)
      store.onLeasesLost = (lost) => srv.stats6.leasesLost(lost);
    this.processing = srv;
    return srv;
  }

  /**
   * A DHCPV4-RESPONSE of the DHCPv4 server (Kea's Dhcp6to4Ipc::handler): sent to the client
   * (the relay, for a relayed one) named in it, through buffer6_send; counted as sent.
   */
  dhcp4o6Received(server: ServerRuntime<Dhcp6Types>, data: Buffer): void {
    const log = server.logs.getLogger("packets");
    let pkt: Pkt6;
    try {
      pkt = unpackIpc(data, systemIfindex);
    } catch (e) {
      log.debug(50, "DHCP6_DHCP4O6_RECEIVE_FAIL", (e as Error).message);
      server.dhcp4o6Malformed();
      return;
    }
    log.debug(
      15,
      "DHCP6_DHCP4O6_PACKET_RECEIVED",
      pkt.getType(),
      pkt.remoteAddr,
      pkt.remotePort,
      pkt.iface,
    );
    pkt.remotePort = response4o6Port(pkt);
    pkt.pack();
    const sent = this.bufferSend(server, pkt);
    if (sent instanceof Promise) void sent.then((ok) => ok && this.send4o6(server, pkt));
    else if (sent) this.send4o6(server, pkt);
  }

  /** buffer6_send for a DHCPV4-RESPONSE (no query: pkt6_send is not called, as in Kea). */
  private bufferSend(server: ServerRuntime<Dhcp6Types>, pkt: Pkt6): boolean | Promise<boolean> {
    const gen = server.hooks.callouts;
    const index = server.hookIdx.buffer6_send;
    if (!gen.calloutsPresent(index)) return true;
    const h = gen.createCalloutHandle();
    h.setArgument("response6", pkt);
    const after = (): boolean => {
      const status = h.getStatus();
      void h.release();
      if (status === NextStep.SKIP || status === NextStep.DROP) {
        server.logs
          .getLogger("hooks")
          .debug(40, "DHCP6_HOOK_BUFFER_SEND_SKIP", pkt.remoteAddr, status);
        return false;
      }
      return true;
    };
    const called = gen.callCallouts(index, h);
    return called instanceof Promise ? called.then(after) : after();
  }

  private send4o6(server: ServerRuntime<Dhcp6Types>, pkt: Pkt6): void {
    try {
      server.iface.send({
        data: pkt.getBuffer(),
        dstAddr: pkt.remoteAddr,
        dstPort: pkt.remotePort,
        ifindex: pkt.ifindex > 0 ? pkt.ifindex : undefined,
      });
    } catch (e) {
      server.logs
        .getLogger("packets")
        .warn("DHCP6_DHCP4O6_RESPONSE_SEND_FAIL", pkt.remoteAddr, (e as Error).message);
      return;
    }
    this.processing?.stats6.countSent(DHCPv6MessageType.DHCPV6_DHCPV4_RESPONSE);
  }

  reconfigure(srv: Dhcp6Srv, model: Dhcp6Model): void {
    srv.setModel(model, this.duid);
    if (this.pgStore?.peerSeen === true) spreadCursors(SPREAD6, model);
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
