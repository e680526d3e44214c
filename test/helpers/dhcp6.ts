/** Helpers for DHCPv6 server tests: a server on an in-memory lease store and real packets. */
import { DHCPv6MessageType, D6O } from "../../src/dhcp/constants.ts";
import { Option } from "../../src/dhcp/option.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "../../src/dhcp/option6-ia.ts";
import { Pkt6, RelayInfo } from "../../src/dhcp/pkt6.ts";
import { parseConfigText } from "../../src/dhcpsrv/config/index.ts";
import { buildDhcp6Model } from "../../src/dhcpsrv/model/cfg6.ts";
import { MemfileLeaseStore6 } from "../../src/dhcpsrv/leases/memfile-lease-store6.ts";
import { HooksManager } from "../../src/hooks/hooks-manager.ts";
import { ServerHooks } from "../../src/hooks/server-hooks.ts";
import { registerProduct } from "../../src/dhcpsrv/runtime/product.ts";
import { parseHooksLibraries } from "../../src/hooks/config.ts";
import { LogManager } from "../../src/log/logger.ts";
import { StatsManager } from "../../src/stats/stats-manager.ts";
import { Dhcp6Srv } from "../../src/dhcp6/dhcp6-srv.ts";
import type { Received6, Reply6 } from "../../src/dhcp6/exchange.ts";
import { registerDhcp6Hooks, type Dhcp6Hooks } from "../../src/dhcp6/hook-points.ts";
import type { JsonObject } from "../../src/hooks/types.ts";

export const M = DHCPv6MessageType;
export const SERVER_DUID = Buffer.from("000100012a2b2c2d020000000099", "hex");
export const CLIENT_DUID = Buffer.from("00010001aabbccdd020000000001", "hex");
export const RELAY_ADDR = "2001:db8:1::1";
export const MULTICAST = "ff02::1:2";

/** A Dhcp6 configuration: subnet 2001:db8:1::/64 with a small pool and a pd-pool. */
export function config6(extra: JsonObject = {}, subnet: Record<string, unknown> = {}): string {
  return JSON.stringify({
    Dhcp6: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", persist: false },
      "preferred-lifetime": 3000,
      "valid-lifetime": 4000,
      "renew-timer": 1000,
      "rebind-timer": 2000,
      subnet6: [
        {
          id: 1,
          subnet: "2001:db8:1::/64",
          interface: "eth0",
          pools: [{ pool: "2001:db8:1::10 - 2001:db8:1::12" }],
          "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 56, "delegated-len": 60 }],
          "option-data": [{ name: "dns-servers", data: "2001:db8:1::53" }],
          ...subnet,
        },
      ],
      ...extra,
    },
  });
}

export interface Server6Bed {
  srv: Dhcp6Srv;
  leases: MemfileLeaseStore6;
  stats: StatsManager;
  hooks: HooksManager;
  hookIdx: Dhcp6Hooks;
  logs: LogManager;
  lines: string[];
}

export async function server6(
  configText: string,
  libraries: JsonObject[] = [],
  clientPort?: number,
): Promise<Server6Bed> {
  registerProduct();
  const { config } = parseConfigText(configText, 6, "test.json");
  const model = buildDhcp6Model(config, "test.json");
  const leases = MemfileLeaseStore6.open({ persist: false });
  const stats = new StatsManager();
  const lines: string[] = [];
  const logs = new LogManager("nestor-dhcp6");
  logs.configure([
    { name: "nestor-dhcp6", severity: "DEBUG", debuglevel: 99, outputs: [(l) => lines.push(l)] },
  ]);
  const serverHooks = new ServerHooks();
  const hookIdx = registerDhcp6Hooks(serverHooks);
  const hooks = new HooksManager({ serverHooks, logManager: logs, statistics: stats });
  if (libraries.length > 0) await hooks.loadLibraries(parseHooksLibraries(libraries));
  const srv = new Dhcp6Srv({
    model,
    leases,
    hooks,
    hookIdx,
    stats,
    logs,
    serverDuid: SERVER_DUID,
    serverPort: 547,
    clientPort,
  });
  return { srv, leases, stats, hooks, hookIdx, logs, lines };
}

export interface IaSpec {
  /** Default IA_NA. */
  pd?: boolean;
  iaid?: number;
  /** Addresses (IA_NA) or "prefix/len" (IA_PD) put in the IA. */
  hints?: string[];
}

export interface Query6Options {
  xid?: number;
  duid?: Buffer | null;
  serverId?: Buffer | null;
  ias?: IaSpec[];
  oro?: number[];
  rapidCommit?: boolean;
  /** Relay levels, outermost first: link addresses (interface-id optional). */
  relays?: { link: string; peer?: string; interfaceId?: string }[];
}

export function ia(spec: IaSpec): Option6IA {
  const code = spec.pd === true ? D6O.IA_PD : D6O.IA_NA;
  const o = Option6IA.create(code, spec.iaid ?? 1);
  for (const h of spec.hints ?? []) {
    if (spec.pd === true) {
      const [a, l] = h.split("/");
      o.addOption(Option6IAPrefix.create(a!, Number(l ?? 0), 0, 0));
    } else {
      o.addOption(Option6IAAddr.create(h, 0, 0));
    }
  }
  return o;
}

/** A client message as a client (or its relays) sends it, packed to wire form. */
export function query6(type: number, o: Query6Options = {}): Buffer {
  const p = Pkt6.create(type, o.xid ?? 0x1234);
  const duid = o.duid === undefined ? CLIENT_DUID : o.duid;
  if (duid !== null) p.addOption(new Option(6, D6O.CLIENTID, duid));
  const sid =
    o.serverId === undefined
      ? (
          [M.DHCPV6_REQUEST, M.DHCPV6_RENEW, M.DHCPV6_RELEASE, M.DHCPV6_DECLINE] as number[]
        ).includes(type)
        ? SERVER_DUID
        : null
      : o.serverId;
  if (sid !== null) p.addOption(new Option(6, D6O.SERVERID, sid));
  p.addOption(new Option(6, D6O.ELAPSED_TIME, Buffer.alloc(2)));
  if (o.rapidCommit === true) p.addOption(new Option(6, D6O.RAPID_COMMIT));
  const oro = o.oro ?? [23];
  const od = Buffer.alloc(oro.length * 2);
  oro.forEach((c, i) => od.writeUInt16BE(c, i * 2));
  p.addOption(new Option(6, D6O.ORO, od));
  const ias = o.ias ?? (type === M.DHCPV6_INFORMATION_REQUEST ? [] : [{}]);
  for (const spec of ias) p.addOption(ia(spec));
  for (const r of [...(o.relays ?? [])].reverse()) {
    const info = new RelayInfo(M.DHCPV6_RELAY_FORW, 0, r.link, r.peer ?? "fe80::1");
    if (r.interfaceId !== undefined) {
      info.options.push(new Option(6, D6O.INTERFACE_ID, Buffer.from(r.interfaceId)));
    }
    p.addRelayInfo(info);
  }
  p.relayInfo.forEach((r, i) => (r.hopCount = p.relayInfo.length - 1 - i));
  return p.pack();
}

export function received6(data: Buffer, from = "fe80::2", to = MULTICAST): Received6 {
  return {
    data,
    srcAddr: from,
    srcPort: 546,
    dstAddr: to,
    iface: "eth0",
    ifindex: 2,
    receivedAt: Date.now(),
  };
}

export interface Exchanged6 {
  reply: Reply6;
  pkt: Pkt6;
}

/**
 * Runs one query through the server, flushes the lease store, sends the reply (counted sent, as
 * the server's reply pipeline counts it) and parses it.
 */
export async function exchange6(
  bed: Server6Bed,
  data: Buffer,
  from?: string,
  to?: string,
): Promise<Exchanged6 | null> {
  const reply: Reply6 | null = await bed.srv.processQuery(received6(data, from, to));
  bed.leases.flush();
  if (reply !== null) bed.srv.replySent(reply.type);
  return reply === null ? null : { reply, pkt: Pkt6.parse(reply.data) };
}

// How to read a reply's IAs: the same functions as nestor/testing's.
export { iasOf, leasesIn, statusOf } from "../../src/testing/inspect6.ts";
