/**
 * A DHCPv6 client (and, query by query, a relay agent) for end-to-end comparisons, run inside a
 * namespace:
 *
 *   node proc6-queries.ts <queries.json>
 *
 * Sends each query of the file (see DirectQuery6) to its own destination: multicast to
 * ff02::1:2 on an interface, unicast to a global or link-local address of the server, from
 * port 546 as a client; or wrapped in RELAY-FORWs (one or more relays, with their options) from
 * port 547 as a relay. Waits up to a second for each answer (and up to 4 more seconds at the end
 * for late ones, matched by transaction id) and prints one JSON list: for each query the reply's
 * type, IAs (addresses or prefixes with their lifetimes, status code and message), the top-level
 * status code and message, and the other options (code -> hex; the server and client
 * identifiers left out), or null when there was no answer. A query with `serverId: true` carries
 * the server identifier of the last answer.
 */
import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { D6O } from "../../../src/dhcp/constants.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "../../../src/dhcp/option6-ia.ts";
import { Pkt6, RelayInfo } from "../../../src/dhcp/pkt6.ts";

export interface DirectQuery6 {
  type: number;
  duid: string;
  ias: { pd?: boolean; iaid: number; hints?: string[] }[];
  /** [code, hex] options, in order. */
  options?: [number, string][];
  serverId?: boolean;
  /** Where it goes: "ff02::1:2%eth0", "2001:db8:1::2", "fe80::1%eth0". */
  to: string;
  /**
   * Sent by a relay agent: the RELAY-FORW's link and peer addresses and its options; a list for
   * relays in a row, the one closest to the client first.
   */
  relay?: Relay6 | Relay6[];
}

export interface Relay6 {
  link: string;
  peer: string;
  options?: [number, string][];
}

export interface IaAnswer {
  code: number;
  iaid: number;
  /** "address preferred valid" or "prefix/len preferred valid". */
  leases: string[];
  /** "code message" of the IA's status code option, or null. */
  status: string | null;
}

export interface DirectAnswer6 {
  type: number;
  ias: IaAnswer[];
  /** "code message" of the top-level status code option, or null. */
  status: string | null;
  options: Record<string, string>;
}

function pack(q: DirectQuery6, xid: number, serverId: Buffer | null): Buffer {
  const p = Pkt6.create(q.type, xid);
  p.addOption(new Option(6, D6O.CLIENTID, Buffer.from(q.duid, "hex")));
  if (q.serverId === true && serverId !== null) p.addOption(new Option(6, D6O.SERVERID, serverId));
  p.addOption(new Option(6, D6O.ELAPSED_TIME, Buffer.alloc(2)));
  for (const [code, hex] of q.options ?? [])
    p.addOption(new Option(6, code, Buffer.from(hex, "hex")));
  for (const spec of q.ias) {
    const ia = Option6IA.create(spec.pd === true ? D6O.IA_PD : D6O.IA_NA, spec.iaid);
    for (const h of spec.hints ?? []) {
      if (spec.pd === true) {
        const [a, l] = h.split("/");
        ia.addOption(Option6IAPrefix.create(a!, Number(l), 0, 0));
      } else {
        ia.addOption(Option6IAAddr.create(h, 0, 0));
      }
    }
    p.addOption(ia);
  }
  const relays = q.relay === undefined ? [] : Array.isArray(q.relay) ? q.relay : [q.relay];
  relays.forEach((spec, hops) => {
    const r = new RelayInfo(12, hops, spec.link, spec.peer);
    for (const [code, hex] of spec.options ?? []) {
      r.options.push(new Option(6, code, Buffer.from(hex, "hex")));
    }
    p.addRelayInfo(r);
  });
  return p.pack();
}

function statusOf(o: { getOption(code: number): Option | undefined }): string | null {
  const s = o.getOption(D6O.STATUS_CODE);
  if (s === undefined) return null;
  const d = s.getData();
  return `${d.readUInt16BE(0)} ${d.toString("utf8", 2)}`;
}

function answer(p: Pkt6): DirectAnswer6 {
  const ias: IaAnswer[] = [];
  const options: Record<string, string> = {};
  for (const o of p.getOptions()) {
    const code = o.getType();
    if (o instanceof Option6IA) {
      const leases: string[] = [];
      for (const s of o.getOptions()) {
        if (s instanceof Option6IAAddr) {
          leases.push(`${s.getAddress()} ${s.getPreferred()} ${s.getValid()}`);
        }
        if (s instanceof Option6IAPrefix) {
          leases.push(`${s.getAddress()}/${s.getLength()} ${s.getPreferred()} ${s.getValid()}`);
        }
      }
      ias.push({ code, iaid: o.getIAID(), leases, status: statusOf(o) });
    } else if (code !== D6O.SERVERID && code !== D6O.CLIENTID && code !== D6O.STATUS_CODE) {
      options[String(code)] = o.pack().subarray(4).toString("hex");
    }
  }
  return { type: p.getType(), ias, status: statusOf(p), options };
}

async function bound(port: number): Promise<Socket> {
  const s = createSocket({ type: "udp6", reuseAddr: true });
  s.bind(port, "::");
  await once(s, "listening");
  return s;
}

async function main(): Promise<void> {
  const [file] = process.argv.slice(2);
  const queries = JSON.parse(readFileSync(file!, "utf8")) as DirectQuery6[];
  const client = await bound(546);
  const relay = await bound(547);
  const inbox = new Map<number, Pkt6>();
  const onMessage = (m: Buffer) => {
    try {
      const p = Pkt6.parse(m);
      inbox.set(p.transid, p);
    } catch {
      // not an answer
    }
  };
  client.on("message", onMessage);
  relay.on("message", onMessage);
  const sleep = () => new Promise((r) => setTimeout(r, 10));
  let serverId: Buffer | null = null;
  const first = 0x6d0001;
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i]!;
    const xid = first + i;
    const s = q.relay === undefined ? client : relay;
    s.send(pack(q, xid, serverId), 547, q.to);
    const deadline = Date.now() + 1000;
    while (!inbox.has(xid) && Date.now() < deadline) await sleep();
    const p = inbox.get(xid);
    if (p !== undefined) serverId = p.getOption(D6O.SERVERID)?.getData() ?? serverId;
  }
  // A server that stalled a moment (a busy machine) still has its late answers counted: they
  // are matched by transaction id.
  const late = Date.now() + 4000;
  while (inbox.size < queries.length && Date.now() < late) await sleep();
  const out = queries.map((_, i) => {
    const p = inbox.get(first + i);
    return p === undefined ? null : answer(p);
  });
  client.close();
  relay.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[1]?.endsWith("proc6-queries.ts")) await main();
