/**
 * A DHCPv4-over-DHCPv6 client (RFC 7341) for end-to-end comparisons, run inside a namespace:
 *
 *   node dhcp4o6-queries.ts <queries.json>
 *
 * Sends each query of the file (see Query4o6) one after the other: a DHCPV4-QUERY carrying a
 * DHCPv4 message in option 87 (or another DHCPv6 message, an INFORMATION-REQUEST asking for
 * option 88), straight from [from]:546 to [to]:547, or wrapped by a relay agent in a RELAY-FORW
 * from [from]:547. It waits up to `waitMs` for the answer with the query's transaction id and
 * prints one JSON list: for each query the DHCPv6 answer (its type, whether it came through the
 * relay and with which interface-id, its other options as code -> hex) and the DHCPv4 reply of
 * its option 87 (relay4-queries.ts's Answer4, with flags, ciaddr and xid), or null when there was
 * no answer.
 */
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { D6O } from "../../../src/dhcp/constants.ts";
import { HWAddr } from "../../../src/dhcp/hwaddr.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";
import { Pkt6, RelayInfo } from "../../../src/dhcp/pkt6.ts";
import { answer, type Answer4 } from "./relay4-queries.ts";

export interface Inner4 {
  type: number;
  mac: string;
  xid: number;
  ciaddr?: string;
  /** The BOOTP flags (0x8000: broadcast). */
  flags?: number;
  /** [code, hex] options after the message type, in order. */
  options?: [number, string][];
  /** A BOOTP request: no message type option. */
  bootp?: boolean;
}

export interface Query4o6 {
  /** "direct": from [from]:546; "relay": a relay agent at [from]:547 (link address `link`). */
  via: "direct" | "relay";
  from: string;
  to: string;
  /** The DHCPv6 message type: 20 (DHCPV4-QUERY) unless given. */
  type6?: number;
  /** The transaction id, for a DHCPV4-QUERY its flags field (0x800000: unicast, RFC 7341). */
  transid: number;
  /** [code, hex] DHCPv6 options besides option 87, in order. */
  options6?: [number, string][];
  /** The DHCPv4 message of option 87. */
  v4?: Inner4;
  /** The relay's interface-id option (18), as text. */
  interfaceId?: string;
  /** The relay's link address (`from` when not given). */
  link?: string;
  /** How long to wait for its answer (milliseconds; 2000 when not given). */
  waitMs?: number;
}

export interface Answer4o6 {
  type6: number;
  relayed: boolean;
  interfaceId: string | null;
  options6: Record<string, string>;
  v4: (Answer4 & { flags: number; ciaddr: string; xid: number }) | null;
}

function inner(q: Inner4): Buffer {
  const p = Pkt4.create(q.type, q.xid);
  if (q.bootp === true) p.delOption(53);
  p.setHWAddr(HWAddr.fromText(q.mac));
  if (q.ciaddr !== undefined) p.ciaddr = q.ciaddr;
  if (q.flags !== undefined) p.flags = q.flags;
  for (const [code, hex] of q.options ?? [])
    p.addOption(new Option(4, code, Buffer.from(hex, "hex")));
  return p.pack();
}

function pack(q: Query4o6): Buffer {
  const p = Pkt6.create(q.type6 ?? 20, q.transid);
  for (const [code, hex] of q.options6 ?? [])
    p.addOption(new Option(6, code, Buffer.from(hex, "hex")));
  if (q.v4 !== undefined) p.addOption(new Option(6, 87, inner(q.v4)));
  if (q.via === "relay") {
    const relay = new RelayInfo(12, 0, q.link ?? q.from, "fe80::1");
    if (q.interfaceId !== undefined) {
      relay.options.push(new Option(6, D6O.INTERFACE_ID, Buffer.from(q.interfaceId)));
    }
    p.addRelayInfo(relay);
  }
  return p.pack();
}

function answer6(p: Pkt6): Answer4o6 {
  const options6: Record<string, string> = {};
  let v4: Answer4o6["v4"] = null;
  for (const o of p.getOptions()) {
    const code = o.getType();
    if (code === 87) {
      const data = o.getData();
      const r = Pkt4.parse(data);
      v4 = { ...answer(data), flags: r.flags, ciaddr: r.ciaddr, xid: r.getTransid() };
    } else if (code !== D6O.SERVERID && code !== D6O.CLIENTID) {
      options6[String(code)] = o.pack().subarray(4).toString("hex");
    }
  }
  const relayed = p.relayInfo.length > 0;
  const id = relayed ? p.getRelayOption(D6O.INTERFACE_ID, 0)?.getData().toString() : undefined;
  return { type6: p.getType(), relayed, interfaceId: id ?? null, options6, v4 };
}

async function main(): Promise<void> {
  const queries = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as Query4o6[];
  const out: (Answer4o6 | null)[] = [];
  for (const q of queries) {
    const s = createSocket("udp6");
    s.bind(q.via === "direct" ? 546 : 547, q.from);
    await once(s, "listening");
    let got: Pkt6 | null = null;
    s.on("message", (m: Buffer) => {
      try {
        const p = Pkt6.parse(m);
        if (p.getTransid() === q.transid) got = p;
      } catch {
        // not an answer
      }
    });
    s.send(pack(q), 547, q.to);
    const deadline = Date.now() + Math.min(q.waitMs ?? 2000, 10_000);
    while (got === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    s.close();
    out.push(got === null ? null : answer6(got));
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[1]?.endsWith("dhcp4o6-queries.ts")) await main();
