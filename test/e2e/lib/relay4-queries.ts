/**
 * A DHCPv4 relay agent for end-to-end comparisons, run inside a namespace:
 *
 *   node relay4-queries.ts <giaddr> <server> <queries.json>
 *
 * Sends each query of the file (see Query4) as a relay would (giaddr, hops 1) from <giaddr>:67 to
 * <server>:67 (or from the query's own giaddr, another address of the namespace), after the
 * query's delay if it has one, waits up to a second for the answer, and prints one JSON list: for each query the
 * reply's type, yiaddr, siaddr, sname, file and options (code -> hex), or null when there was
 * none. The queries go one after the other, so the answers can be compared server to server.
 */
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { HWAddr } from "../../../src/dhcp/hwaddr.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Pkt4 } from "../../../src/dhcp/pkt4.ts";

export interface Query4 {
  type: number;
  mac: string;
  ciaddr?: string;
  /** [code, hex] options after the message type, in order. */
  options?: [number, string][];
  /** Sub-options of option 82, [code, hex]. */
  rai?: [number, string][];
  /** Sent as these bytes (hex) instead (a malformed datagram); type and mac are ignored. */
  raw?: string;
  /** Another relay address for this query (an address of the relay's namespace too). */
  giaddr?: string;
  /** Milliseconds to wait before sending it (a lease's probation running out). */
  delayMs?: number;
}

export interface Answer4 {
  type: number;
  yiaddr: string;
  siaddr: string;
  sname: string;
  file: string;
  options: Record<string, string>;
}

export function pack(q: Query4, giaddr: string, xid: number): Buffer {
  const p = Pkt4.create(q.type, xid);
  p.setHWAddr(HWAddr.fromText(q.mac));
  p.giaddr = giaddr;
  p.setHops(1);
  if (q.ciaddr !== undefined) p.ciaddr = q.ciaddr;
  for (const [code, hex] of q.options ?? [])
    p.addOption(new Option(4, code, Buffer.from(hex, "hex")));
  if (q.rai !== undefined) {
    const rai = new Option(4, 82);
    for (const [code, hex] of q.rai) rai.addOption(new Option(4, code, Buffer.from(hex, "hex")));
    p.addOption(rai);
  }
  return p.pack();
}

export function answer(data: Buffer): Answer4 {
  const p = Pkt4.parse(data);
  const options: Record<string, string> = {};
  for (const o of p.getOptions())
    options[String(o.getType())] = o.pack().subarray(2).toString("hex");
  return {
    type: p.getType(),
    yiaddr: p.yiaddr,
    siaddr: p.siaddr,
    sname: p.sname,
    file: p.file,
    options,
  };
}

async function main(): Promise<void> {
  const [giaddr, server, file] = process.argv.slice(2);
  const queries = JSON.parse(readFileSync(file!, "utf8")) as Query4[];
  const s = createSocket("udp4");
  // Answers to another relay address of the namespace come back on any of its addresses.
  const several = queries.some((q) => q.giaddr !== undefined && q.giaddr !== giaddr);
  s.bind(67, several ? "0.0.0.0" : giaddr);
  await once(s, "listening");
  const inbox = new Map<number, Buffer>();
  s.on("message", (m: Buffer) => {
    if (m.length >= 8) inbox.set(m.readUInt32BE(4), m);
  });
  const out: (Answer4 | null)[] = [];
  let xid = 0x5eed0000;
  for (const q of queries) {
    xid++;
    if (q.delayMs !== undefined)
      await new Promise((r) => setTimeout(r, Math.min(q.delayMs!, 30_000)));
    s.send(
      q.raw !== undefined ? Buffer.from(q.raw, "hex") : pack(q, q.giaddr ?? giaddr!, xid),
      67,
      server,
    );
    const deadline = Date.now() + 1000;
    while (!inbox.has(xid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const m = inbox.get(xid);
    out.push(m === undefined ? null : answer(m));
  }
  s.close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

if (process.argv[1]?.endsWith("relay4-queries.ts")) await main();
