/**
 * A DHCPv6 relay agent for end-to-end comparisons, run inside a namespace:
 *
 *   node relay6-queries.ts <relay address> <server address> <queries.json>
 *
 * Wraps each query of the file (see Query6) in a RELAY-FORW with link-address <relay address>,
 * sends it from [<relay address>]:547 to [<server address>]:547, waits up to a second for the
 * RELAY-REPL and prints one JSON list: for each query the inner reply's type, IAs (addresses or
 * prefixes with their lifetimes and PD exclude option, status code) and other options (code ->
 * hex; a second option of a code as "code#2"; the server identifier and the client identifier
 * left out), or null when there was no answer. A query with
 * `serverId: true` carries the server identifier of the last answer.
 */
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { D6O } from "../../../src/dhcp/constants.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "../../../src/dhcp/option6-ia.ts";
import { Pkt6, RelayInfo } from "../../../src/dhcp/pkt6.ts";

export interface Query6 {
  type: number;
  duid: string;
  ias: { pd?: boolean; iaid: number; hints?: string[] }[];
  /** [code, hex] options, in order. */
  options?: [number, string][];
  serverId?: boolean;
  /** Milliseconds to wait before sending it (a lease growing older). */
  delayMs?: number;
  /** [code, hex] options of the relay agent's RELAY-FORW (interface-id, remote-id...), in order. */
  relayOptions?: [number, string][];
  /** The relay-forward's link address, when not the relay's own (another subnet's link). */
  link?: string;
  /** How long to wait for its answer (milliseconds; 1000 when not given). */
  waitMs?: number;
}

export interface Ia6Answer {
  code: number;
  iaid: number;
  /** "address preferred valid" or "prefix/len preferred valid". */
  leases: string[];
  status: number | null;
}

export interface Answer6 {
  type: number;
  ias: Ia6Answer[];
  status: number | null;
  options: Record<string, string>;
}

function pack(q: Query6, link: string, xid: number, serverId: Buffer | null): Buffer {
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
  const relay = new RelayInfo(12, 0, q.link ?? link, "fe80::1");
  for (const [code, hex] of q.relayOptions ?? [])
    relay.options.push(new Option(6, code, Buffer.from(hex, "hex")));
  p.addRelayInfo(relay);
  return p.pack();
}

function statusOf(o: { getOption(code: number): Option | undefined }): number | null {
  const s = o.getOption(D6O.STATUS_CODE);
  return s === undefined ? null : s.getData().readUInt16BE(0);
}

function answer(p: Pkt6): Answer6 {
  const ias: Ia6Answer[] = [];
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
          // A PD exclude option (67) in the prefix shows as " 67=<hex>".
          const exclude = s.getOption(D6O.PD_EXCLUDE);
          const ex = exclude === undefined ? "" : ` 67=${exclude.getData().toString("hex")}`;
          leases.push(
            `${s.getAddress()}/${s.getLength()} ${s.getPreferred()} ${s.getValid()}${ex}`,
          );
        }
      }
      ias.push({ code, iaid: o.getIAID(), leases, status: statusOf(o) });
    } else if (code !== D6O.SERVERID && code !== D6O.CLIENTID && code !== D6O.STATUS_CODE) {
      let key = String(code);
      for (let n = 2; key in options; n++) key = `${code}#${n}`;
      options[key] = o.pack().subarray(4).toString("hex");
    }
  }
  return { type: p.getType(), ias, status: statusOf(p), options };
}

async function main(): Promise<void> {
  const [relay, server, file] = process.argv.slice(2);
  const queries = JSON.parse(readFileSync(file!, "utf8")) as Query6[];
  const s = createSocket("udp6");
  s.bind(547, relay);
  await once(s, "listening");
  const inbox = new Map<number, Pkt6>();
  s.on("message", (m: Buffer) => {
    try {
      const p = Pkt6.parse(m);
      inbox.set(p.transid, p);
    } catch {
      // not an answer
    }
  });
  const out: (Answer6 | null)[] = [];
  let serverId: Buffer | null = null;
  let xid = 0x5e0000;
  for (const q of queries) {
    xid++;
    if (q.delayMs !== undefined)
      await new Promise((r) => setTimeout(r, Math.min(q.delayMs!, 30_000)));
    s.send(pack(q, relay!, xid, serverId), 547, server);
    const deadline = Date.now() + (q.waitMs ?? 1000);
    while (!inbox.has(xid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const p = inbox.get(xid);
    if (p !== undefined) serverId = p.getOption(D6O.SERVERID)?.getData() ?? serverId;
    out.push(p === undefined ? null : answer(p));
  }
  s.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[1]?.endsWith("relay6-queries.ts")) await main();
