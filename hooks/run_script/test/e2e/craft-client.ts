/**
 * A scripted DHCP client for the differential test, run inside the client's namespace with
 * `ip netns exec NS node craft-client.ts '<json>'`. It sends the same messages, with the same
 * transaction ids, to whichever server is on the link, so Kea and Nestor see identical queries.
 *
 * v4 (as a relay agent at `relay`, port 67, with option 82):
 *   { "family": 4, "relay": "198.51.100.254", "mac": "...", "xid": 4096, "steps": ["dora", "decline"] }
 * v6 (a client on the link, from its link-local address, port 546):
 *   { "family": 6, "iface": "eth0", "duid": "hex", "xid": 4096, "pd": true,
 *     "steps": ["solicit-request", "rebind", "decline"] }
 * Prints one JSON line per step with what the server gave; exits non-zero when a reply is missing.
 */
import { createSocket, type Socket } from "node:dgram";
import {
  DHO,
  Option,
  Option6IA,
  Option6IAAddr,
  Option6IAPrefix,
  Pkt4,
  Pkt6,
  HWAddr,
  RelayInfo,
} from "nestor/dhcp";

interface Spec4 {
  family: 4;
  relay: string;
  server: string;
  mac: string;
  xid: number;
  steps: ("dora" | "decline")[];
}

interface Spec6 {
  family: 6;
  iface: string;
  duid: string;
  xid: number;
  pd?: boolean;
  /** Sends every message as a relay agent would (RELAY-FORW from port 547), with options 18/37/38. */
  relay?: { link: string; peer: string };
  steps: ("solicit-request" | "rebind" | "decline")[];
}

const spec = JSON.parse(process.argv[2] ?? "{}") as Spec4 | Spec6;

/** Sends `data` and waits for the first datagram `accept` takes; 3 tries of 2 s. */
async function ask<T>(
  sock: Socket,
  data: Buffer,
  port: number,
  addr: string,
  accept: (b: Buffer) => T | null,
): Promise<T> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const got = await new Promise<T | null>((resolve) => {
      const onMessage = (b: Buffer) => {
        const v = accept(b);
        if (v !== null) {
          clearTimeout(timer);
          sock.off("message", onMessage);
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        sock.off("message", onMessage);
        resolve(null);
      }, 2000);
      sock.on("message", onMessage);
      sock.send(data, port, addr);
    });
    if (got !== null) return got;
  }
  throw new Error(`no answer from ${addr}:${port}`);
}

function ip4(code: number, a: string): Option {
  return new Option(4, code, Buffer.from(a.split(".").map(Number)));
}

async function v4(s: Spec4): Promise<void> {
  const sock = createSocket({ type: "udp4", reuseAddr: true });
  await new Promise<void>((r) => sock.bind(67, s.relay, r));
  const query = (type: number, xid: number, extra: Option[]): Pkt4 => {
    const p = Pkt4.create(type, xid);
    p.setHWAddr(HWAddr.fromText(s.mac));
    p.giaddr = s.relay;
    p.setHops(1);
    for (const o of extra) p.addOption(o);
    const rai = new Option(4, DHO.DHCP_AGENT_OPTIONS);
    rai.addOption(new Option(4, 1, Buffer.from("port7")));
    rai.addOption(new Option(4, 2, Buffer.from([0x02, 0x00, 0x5e, 0x10, 0x20, 0x30])));
    p.addOption(rai);
    return p;
  };
  const reply = (xid: number) => (b: Buffer) => {
    const p = Pkt4.parse(b);
    return p.getTransid() === xid ? p : null;
  };
  let addr = "";
  let xid = s.xid;
  for (const step of s.steps) {
    if (step === "dora") {
      const prl = new Option(4, DHO.DHCP_PARAMETER_REQUEST_LIST, Buffer.from([1, 3, 51, 54]));
      const offer = await ask(sock, query(1, xid, [prl]).pack(), 67, s.server, reply(xid));
      addr = offer.yiaddr;
      xid += 1;
      const req = query(3, xid, [
        ip4(DHO.DHCP_REQUESTED_ADDRESS, addr),
        ip4(DHO.DHCP_SERVER_IDENTIFIER, s.server),
        prl,
      ]);
      const ack = await ask(sock, req.pack(), 67, s.server, reply(xid));
      if (ack.getType() !== 5) throw new Error(`REQUEST got ${ack.getName()}`);
      console.log(JSON.stringify({ step, address: addr }));
    } else {
      const dec = query(4, xid, [
        ip4(DHO.DHCP_REQUESTED_ADDRESS, addr),
        ip4(DHO.DHCP_SERVER_IDENTIFIER, s.server),
      ]);
      sock.send(dec.pack(), 67, s.server);
      await new Promise((r) => setTimeout(r, 300));
      console.log(JSON.stringify({ step, address: addr }));
    }
    xid += 1;
  }
  sock.close();
}

async function v6(s: Spec6): Promise<void> {
  const sock = createSocket({ type: "udp6", reuseAddr: true });
  await new Promise<void>((r) => sock.bind(s.relay === undefined ? 546 : 547, "::", r));
  const server = `ff02::1:2%${s.iface}`;
  const relayed = (p: Pkt6): Pkt6 => {
    if (s.relay === undefined) return p;
    const info = new RelayInfo(12, 0, s.relay.link, s.relay.peer);
    info.options.push(new Option(6, 18, Buffer.from("port9")));
    info.options.push(new Option(6, 37, Buffer.from([0, 0, 0x0d, 0xe9, 0xca, 0xfe])));
    info.options.push(new Option(6, 38, Buffer.from("subscriber-1")));
    p.addRelayInfo(info);
    return p;
  };
  const duid = Buffer.from(s.duid, "hex");
  let serverId: Buffer | null = null;
  let na = "";
  let pd = "";
  const query = (type: number, xid: number, withServerId: boolean): Pkt6 => {
    const p = Pkt6.create(type, xid);
    p.addOption(new Option(6, 1, duid));
    if (withServerId && serverId !== null) p.addOption(new Option(6, 2, serverId));
    p.addOption(new Option(6, 8, Buffer.alloc(2)));
    const ia = Option6IA.create(3, 1);
    if (na !== "") ia.addOption(Option6IAAddr.create(na, 0, 0));
    p.addOption(ia);
    if (s.pd === true) {
      const iapd = Option6IA.create(25, 2);
      if (pd !== "") {
        const [a, l] = pd.split("/");
        iapd.addOption(Option6IAPrefix.create(a!, Number(l), 0, 0));
      }
      p.addOption(iapd);
    }
    return relayed(p);
  };
  const reply = (xid: number) => (b: Buffer) => {
    const p = Pkt6.parse(b);
    return p.getTransid() === xid ? p : null;
  };
  const take = (p: Pkt6) => {
    for (const o of p.getOptions()) {
      if (!(o instanceof Option6IA)) continue;
      for (const sub of o.getOptions()) {
        if (sub instanceof Option6IAAddr) na = sub.getAddress();
        if (sub instanceof Option6IAPrefix) pd = `${sub.getAddress()}/${sub.getLength()}`;
      }
    }
  };
  let xid = s.xid;
  for (const step of s.steps) {
    if (step === "solicit-request") {
      const adv = await ask(sock, query(1, xid, false).pack(), 547, server, reply(xid));
      serverId = adv.getOption(2)?.getData() ?? null;
      take(adv);
      xid += 1;
      take(await ask(sock, query(3, xid, true).pack(), 547, server, reply(xid)));
    } else if (step === "rebind") {
      take(await ask(sock, query(6, xid, false).pack(), 547, server, reply(xid)));
    } else {
      const dec = Pkt6.create(9, xid);
      dec.addOption(new Option(6, 1, duid));
      dec.addOption(new Option(6, 2, serverId!));
      dec.addOption(new Option(6, 8, Buffer.alloc(2)));
      const ia = Option6IA.create(3, 1);
      ia.addOption(Option6IAAddr.create(na, 0, 0));
      dec.addOption(ia);
      await ask(sock, relayed(dec).pack(), 547, server, reply(xid));
    }
    console.log(JSON.stringify({ step, na, pd }));
    xid += 1;
  }
  sock.close();
}

try {
  if (spec.family === 4) await v4(spec);
  else await v6(spec);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
