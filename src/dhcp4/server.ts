/**
 * nestor-dhcp4 at run time: the shared server runtime (src/dhcpsrv/runtime/server-runtime.ts:
 * configuration load and reload, config-set, libreload, sockets, group commit, reclaimer,
 * dhcp-disable, shutdown) with what is truly DHCPv4: the v4 model and memfile store, the
 * message processing (dhcp4-srv.ts), the server identifier taken from the addresses of the
 * arrival interface, and replies that may go to a hardware address.
 */
import os from "node:os";
import { buildDhcp4Model, type Dhcp4Model } from "../dhcpsrv/model/cfg4.ts";
import type { OutgoingPacket } from "../dhcpsrv/iface/packet-socket.ts";
import { MemfileLeaseStore4 } from "../dhcpsrv/leases/memfile-lease-store4.ts";
import { PgsqlLeaseStore4 } from "../dhcpsrv/leases/pgsql-lease-store4.ts";
import type { LeaseStore4, LostLeases } from "../dhcpsrv/leases/lease-store4.ts";
import { parseDbAccess } from "../dhcpsrv/db/db-access.ts";
import { ipv4ToString } from "../dhcp/ioaddress.ts";
import { ServerRuntime, type ServerOptions } from "../dhcpsrv/runtime/server-runtime.ts";
import type { FamilyAdapter, FamilyTypesOf } from "../dhcpsrv/runtime/server-runtime.ts";
import type { ProcessingDeps, ReclaimerDeps } from "../dhcpsrv/runtime/server-runtime.ts";
import { Dhcp4Srv } from "./dhcp4-srv.ts";
import type { Reply4 } from "./exchange.ts";
import { registerDhcp4Hooks, type Dhcp4Hooks } from "./hook-points.ts";
import { Reclaimer4 } from "./reclaimer.ts";
import { Dhcp4ServerAccess } from "./server-access.ts";
import { query4o6, systemIfindex } from "../dhcpsrv/iface/dhcp4o6-ipc.ts";
import type { Pkt4o6 } from "../dhcp/pkt4o6.ts";
import { defineMessages } from "../log/logger.ts";
import type { Pool4 } from "../dhcpsrv/model/subnet4.ts";
import { spreadCursors, spreadWithPeers } from "../dhcpsrv/alloc/spread-cursors.ts";
import type { CursorSpreading } from "../dhcpsrv/alloc/spread-cursors.ts";

defineMessages({
  DHCP4_DHCP4O6_RECEIVE_FAIL: "failed to receive DHCPv4o6 packet: %1",
  DHCP4_DHCP4O6_BAD_PACKET: "received malformed DHCPv4o6 packet: %1",
  DHCP4_DHCP4O6_NO_SOCKET:
    "%1: dropped DHCPv4o6 query: interface %2 has no IPv4 address of this server (server identifier)",
});

export { DEFAULT_DATA_DIR, VERSION } from "../dhcpsrv/runtime/server-runtime.ts";
export type Dhcp4ServerOptions = ServerOptions;

type Dhcp4Types = FamilyTypesOf<4, Dhcp4Model, LeaseStore4, Dhcp4Srv, Reply4, Dhcp4Hooks>;

export class Dhcp4Server extends ServerRuntime<Dhcp4Types> {
  /** Reads the configuration and starts serving; throws (ConfigError...) when it cannot. */
  static start(options: ServerOptions): Promise<Dhcp4Server> {
    return new Dhcp4Server(new Family4(), options).begin();
  }
}

/**
 * Active/active on one lease database (src/dhcpsrv/alloc/spread-cursors.ts): the iterative
 * search of each address pool starts at a random place once another server shares the database.
 */
const SPREAD4: CursorSpreading<Dhcp4Model, Pool4, number> = {
  *pools(model) {
    for (const subnet of model.subnets) yield* subnet.pools;
  },
  holds: (pool, address) => address >= pool.start && address <= pool.end,
  spread(pool) {
    const size = pool.end - pool.start + 1;
    pool.cursor = pool.start - 1 + Math.floor(Math.random() * size);
  },
};

class Family4 implements FamilyAdapter<Dhcp4Types> {
  readonly family = 4;
  readonly defaultServerPort = 67;
  /** The IPv4 addresses of each configured interface (the first is its server identifier). */
  private addressesByIface = new Map<string, string[]>();
  /** Every IPv4 address of this machine: a query naming one of them names us. */
  private allAddresses: string[] = [];
  /** The PostgreSQL lease store in use, if that is the lease database. */
  private pgStore: PgsqlLeaseStore4 | null = null;
  /** The message processing in use (DHCPv4-over-DHCPv6 queries go to it). */
  private processing: Dhcp4Srv | null = null;

  /** How a DHCPV4-RESPONSE leaves: set when the runtime exists (createProcessing). */
  private sendTo6: (data: Uint8Array) => void = () => {};

  readonly registerHooks = registerDhcp4Hooks;
  readonly buildModel = buildDhcp4Model;
  readonly openLeases: FamilyAdapter<Dhcp4Types>["openLeases"] = (db, o) => {
    if (db.type !== "postgresql") return MemfileLeaseStore4.open(db, o);
    return PgsqlLeaseStore4.open(parseDbAccess({ ...db }, "Dhcp4/lease-database", o.file), {
      logger: o.logger,
      family: 4,
      applicationName: "nestor-dhcp4",
      ...o.server,
    });
  };

  /** A reply grants the address in its yiaddr (bytes 16-19 of the packet). */
  grants(r: Reply4, lost: LostLeases): boolean {
    const d = r.dhcp4o6 ?? r.data;
    return d.length >= 20 && lost.has(ipv4ToString(d.readUInt32BE(16)));
  }

  libraryAccess(server: ServerRuntime<Dhcp4Types>): Dhcp4ServerAccess {
    return new Dhcp4ServerAccess(
      () => server.leaseStore,
      () => server.model.subnets,
      () => server.model.subnetsById,
    );
  }

  createProcessing(deps: ProcessingDeps<Dhcp4Types>, server: ServerRuntime<Dhcp4Types>): Dhcp4Srv {
    const store = deps.leases;
    this.sendTo6 = (data) => server.dhcp4o6.send(data);
    this.pgStore = store instanceof PgsqlLeaseStore4 ? store : null;
    if (store instanceof PgsqlLeaseStore4) {
      // Several servers on one database: each searches its pools from its own place.
      spreadWithPeers(store, SPREAD4, () => server.model, deps.model);
    }
    const srv = new Dhcp4Srv({
      ...deps,
      directResponse: () =>
        server.configuration["interfaces-config"]["dhcp-socket-type"] === "raw" &&
        server.iface.canSendToHwaddr,
      ifaceAddresses: (name) =>
        name === "" ? this.allAddresses : (this.addressesByIface.get(name) ?? []),
    });
    // A lease another server committed first was never granted here: counted back out.
    if (store instanceof PgsqlLeaseStore4)
      store.onLeasesLost = (lost) => srv.stats4.leasesLost(lost);
    this.processing = srv;
    return srv;
  }

  /**
   * A DHCPV4-QUERY the DHCPv6 server forwarded (Kea's Dhcp4to6Ipc::handler): its DHCPv4 message
   * processed as any query, the reply sent back in a DHCPV4-RESPONSE (destination.ts) once its
   * lease is written. The server identifier is our address on the interface the DHCPv6 server
   * received it on: without one the query is dropped (Kea finds no socket there).
   */
  dhcp4o6Received(server: ServerRuntime<Dhcp4Types>, data: Buffer): void {
    const srv = this.processing;
    if (srv === null) return;
    const log = server.logs.getLogger("packets");
    let q: Pkt4o6;
    try {
      q = query4o6(data, systemIfindex, server.model.optionDefs);
    } catch (e) {
      log.debug(40, "DHCP4_DHCP4O6_BAD_PACKET", (e as Error).message);
      server.dhcp4o6Malformed();
      return;
    }
    if ((this.addressesByIface.get(q.iface) ?? []).length === 0) {
      log.debug(15, "DHCP4_DHCP4O6_NO_SOCKET", q.getPkt6().remoteAddr, q.iface);
      return;
    }
    // As Kea's Pkt4o6: remote address the DHCPv6 client's, ports 67 and 68, local 0.0.0.0.
    const rx = {
      data: q.data,
      srcAddr: q.remoteAddr,
      srcPort: 68,
      dstAddr: "0.0.0.0",
      ifindex: q.ifindex,
      ifname: q.iface,
      receivedAt: Date.now(),
      link: null,
    };
    server.runQuery(rx, (r) => srv.processQuery(r, q));
  }

  reconfigure(srv: Dhcp4Srv, model: Dhcp4Model): void {
    srv.setModel(model);
    if (this.pgStore?.peerSeen === true) spreadCursors(SPREAD4, model);
  }

  createReclaimer(deps: ReclaimerDeps<Dhcp4Types>): Reclaimer4 {
    return new Reclaimer4({ ...deps, stats: deps.processing.stats4 });
  }

  /** The addresses of the configured interfaces (their `only` ones when given) and the host's. */
  socketsOpened(server: ServerRuntime<Dhcp4Types>): void {
    this.addressesByIface.clear();
    const all = new Set<string>();
    for (const s of server.iface.interfaces()) {
      const list = s.only.length > 0 ? [...s.only] : s.addresses.map((a) => a.address);
      this.addressesByIface.set(s.name, list);
      for (const a of list) all.add(a);
    }
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) if (a.family === "IPv4") all.add(a.address);
    }
    this.allAddresses = [...all];
  }

  outgoing(r: Reply4): OutgoingPacket {
    if (r.dhcp4o6 !== undefined) {
      // A DHCPV4-RESPONSE: to the DHCPv6 server, which sends it to the client.
      return { data: r.data, dstAddr: r.address, dstPort: r.port, via: this.sendTo6 };
    }
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
