/** Helpers for DHCPv4 server tests: a server on an in-memory lease store and real packets. */
import { DHCPMessageType, DHO } from "../../src/dhcp/constants.ts";
import { HWAddr } from "../../src/dhcp/hwaddr.ts";
import { Option } from "../../src/dhcp/option.ts";
import { Pkt4 } from "../../src/dhcp/pkt4.ts";
import { parseConfigText } from "../../src/dhcpsrv/config/index.ts";
import { buildDhcp4Model } from "../../src/dhcpsrv/model/cfg4.ts";
import { MemfileLeaseStore4 } from "../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { HooksManager } from "../../src/hooks/hooks-manager.ts";
import { ServerHooks } from "../../src/hooks/server-hooks.ts";
import { registerProduct } from "../../src/dhcpsrv/runtime/product.ts";
import { parseHooksLibraries } from "../../src/hooks/config.ts";
import { LogManager } from "../../src/log/logger.ts";
import { StatsManager } from "../../src/stats/stats-manager.ts";
import { Dhcp4Srv } from "../../src/dhcp4/dhcp4-srv.ts";
import type { Received4, Reply4 } from "../../src/dhcp4/exchange.ts";
import { registerDhcp4Hooks } from "../../src/dhcp4/hook-points.ts";
import type { JsonObject } from "../../src/hooks/types.ts";

export const SERVER_ADDR = "198.51.100.1";

/** A Dhcp4 configuration: one subnet 198.51.100.0/24 with a small pool, relay 198.51.100.254. */
export function config4(extra: JsonObject = {}, subnet: JsonObject = {}): string {
  return JSON.stringify({
    Dhcp4: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", persist: false },
      "valid-lifetime": 4000,
      "renew-timer": 1000,
      "rebind-timer": 2000,
      subnet4: [
        {
          id: 1,
          subnet: "198.51.100.0/24",
          pools: [{ pool: "198.51.100.10 - 198.51.100.12" }],
          "option-data": [{ name: "routers", data: "198.51.100.1" }],
          ...subnet,
        },
      ],
      ...extra,
    },
  });
}

export interface Server4Bed {
  srv: Dhcp4Srv;
  leases: MemfileLeaseStore4;
  stats: StatsManager;
  hooks: HooksManager;
  lines: string[];
}

export async function server4(
  configText: string,
  libraries: JsonObject[] = [],
  severity: "DEBUG" | "INFO" = "DEBUG",
  directResponse = false,
): Promise<Server4Bed> {
  registerProduct();
  const { config } = parseConfigText(configText, 4, "test.json");
  const model = buildDhcp4Model(config, "test.json");
  const leases = MemfileLeaseStore4.open({ persist: false });
  const stats = new StatsManager();
  const lines: string[] = [];
  const logs = new LogManager("nestor-dhcp4");
  logs.configure([
    { name: "nestor-dhcp4", severity, debuglevel: 99, outputs: [(l) => lines.push(l)] },
  ]);
  const serverHooks = new ServerHooks();
  const hookIdx = registerDhcp4Hooks(serverHooks);
  const hooks = new HooksManager({ serverHooks, logManager: logs, statistics: stats });
  if (libraries.length > 0) await hooks.loadLibraries(parseHooksLibraries(libraries));
  const srv = new Dhcp4Srv({
    model,
    leases,
    hooks,
    hookIdx,
    stats,
    logs,
    serverPort: 67,
    clientPort: undefined,
    ifaceAddresses: () => [SERVER_ADDR],
    directResponse: () => directResponse,
  });
  return { srv, leases, stats, hooks, lines };
}

export interface QueryOptions {
  mac?: string;
  xid?: number;
  ciaddr?: string;
  giaddr?: string;
  requested?: string;
  serverId?: string;
  clientId?: Buffer;
  prl?: number[];
  broadcast?: boolean;
}

/** A client query as a client sends it, packed to wire form. */
export function query4(type: number, o: QueryOptions = {}): Buffer {
  const p = Pkt4.create(type, o.xid ?? 0x1234);
  p.setHWAddr(HWAddr.fromText(o.mac ?? "02:00:00:00:00:01"));
  if (o.ciaddr !== undefined) p.ciaddr = o.ciaddr;
  if (o.giaddr !== undefined) {
    p.giaddr = o.giaddr;
    p.setHops(1);
  }
  if (o.broadcast === true) p.setBroadcast(true);
  if (o.requested !== undefined) p.addOption(addr(DHO.DHCP_REQUESTED_ADDRESS, o.requested));
  if (o.serverId !== undefined) p.addOption(addr(DHO.DHCP_SERVER_IDENTIFIER, o.serverId));
  if (o.clientId !== undefined) p.addOption(new Option(4, DHO.DHCP_CLIENT_IDENTIFIER, o.clientId));
  p.addOption(
    new Option(4, DHO.DHCP_PARAMETER_REQUEST_LIST, Buffer.from(o.prl ?? [1, 3, 6, 15, 51, 54])),
  );
  return p.pack();
}

function addr(code: number, a: string): Option {
  return new Option(4, code, Buffer.from(a.split(".").map(Number)));
}

export function received(data: Buffer, from = "0.0.0.0", to = "255.255.255.255"): Received4 {
  return {
    data,
    srcAddr: from,
    srcPort: 68,
    dstAddr: to,
    iface: "eth0",
    ifindex: 2,
    receivedAt: Date.now(),
  };
}

/**
 * Runs one query through the server, flushes the lease store, sends the reply (counted sent, as
 * the server's reply pipeline counts it) and parses it.
 */
export async function exchange(bed: Server4Bed, data: Buffer, from?: string, to?: string) {
  const reply: Reply4 | null = await bed.srv.processQuery(received(data, from, to));
  bed.leases.flush();
  if (reply !== null) bed.srv.replySent(reply.type);
  return reply === null ? null : { reply, pkt: Pkt4.parse(reply.data) };
}

export const T = DHCPMessageType;
