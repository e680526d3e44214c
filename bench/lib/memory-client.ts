/**
 * The DHCP side of bench/memory.ts, run inside the client namespace (`ip netns exec`): it acts as
 * a relay agent, so that both servers answer it by unicast at its own address.
 *
 *   node memory-client.ts probe <4|6> <server> <bind> <link> <timeout-ms>
 *       sends a relayed DISCOVER (v4) or SOLICIT (v6) every 20 ms until the first OFFER or
 *       ADVERTISE comes back; prints `answer <epoch ms>` (or `none`) and exits.
 *   node memory-client.ts fuzz <4|6> <server> <count> <rate> <seed> <first-index>
 *       sends `count` fuzzed packets (test/fuzz's mutations of the captured wire vectors of the
 *       family, client-to-server ones), `rate` a second at most; prints `sent <n>` and exits.
 */
import { createSocket, type Socket } from "node:dgram";

import { allVectors } from "../../test/fixtures/wire/vectors.ts";
import { fuzzCase } from "../../test/fuzz/harness.ts";

const [mode, familyText, server, ...rest] = process.argv.slice(2);
const family = familyText === "6" ? 6 : 4;
const port = family === 4 ? 67 : 547;

function ipv4Bytes(a: string): number[] {
  return a.split(".").map(Number);
}

function ipv6Bytes(a: string): Buffer {
  const [head, tail] = a.includes("::") ? a.split("::") : [a, undefined];
  const h = head === "" ? [] : head!.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function discover(relay: string, xid: number): Buffer {
  const b = Buffer.alloc(244);
  b[0] = 1; // BOOTREQUEST
  b[1] = 1;
  b[2] = 6;
  b[3] = 1; // hops: relayed
  b.writeUInt32BE(xid, 4);
  Buffer.from(ipv4Bytes(relay)).copy(b, 24); // giaddr
  Buffer.from([0x02, 0x00, 0x5e, 0x10, 0x00, xid & 0xff]).copy(b, 28); // chaddr
  b.writeUInt32BE(0x63825363, 236); // magic cookie
  b[240] = 53; // DHCP message type DISCOVER
  b[241] = 1;
  b[242] = 1;
  b[243] = 255;
  return b;
}

function relayedSolicit(relay: string, xid: number): Buffer {
  const duid = Buffer.from([0, 3, 0, 1, 0x02, 0x00, 0x5e, 0x10, 0x00, xid & 0xff]);
  const opt = (code: number, data: Buffer) => {
    const h = Buffer.alloc(4);
    h.writeUInt16BE(code, 0);
    h.writeUInt16BE(data.length, 2);
    return Buffer.concat([h, data]);
  };
  const ia = Buffer.alloc(12);
  ia.writeUInt32BE(1, 0);
  const inner = Buffer.concat([
    Buffer.from([1, (xid >> 16) & 0xff, (xid >> 8) & 0xff, xid & 0xff]), // SOLICIT
    opt(1, duid),
    opt(3, ia),
    opt(8, Buffer.alloc(2)),
  ]);
  return Buffer.concat([
    Buffer.from([12, 0]), // RELAY-FORW, hop count 0
    ipv6Bytes(relay), // link-address: in the subnet
    ipv6Bytes("fe80::1"), // peer-address: the client
    opt(9, inner),
  ]);
}

function open(bindAddress: string, bindPort: number): Promise<Socket> {
  const sock = createSocket({ type: family === 4 ? "udp4" : "udp6", recvBufferSize: 1 << 20 });
  return new Promise((resolve, reject) => {
    sock.once("error", reject);
    sock.bind(bindPort, bindAddress, () => {
      sock.off("error", reject);
      resolve(sock);
    });
  });
}

/** From `bind` (the relay's own address); `relay`: the giaddr or the link-address. */
async function probe(bind: string, relay: string, timeoutMs: number): Promise<void> {
  const sock = await open(bind, port);
  const answer = family === 4 ? 2 : 13; // an OFFER (op BOOTREPLY) or a RELAY-REPL
  const got = new Promise<number>((resolve) => {
    sock.on("message", (m) => {
      if (m[0] === answer) resolve(Date.now());
    });
  });
  let xid = 1;
  const send = () => {
    const p = family === 4 ? discover(relay, xid++) : relayedSolicit(relay, xid++);
    sock.send(p, port, server);
  };
  send();
  const timer = setInterval(send, 20);
  const t = await Promise.race([
    got,
    new Promise<null>((r) => setTimeout(() => r(null), timeoutMs).unref()),
  ]);
  clearInterval(timer);
  console.log(t === null ? "none" : `answer ${t}`);
  sock.close();
}

async function fuzz(count: number, rate: number, seed: number, first: number): Promise<void> {
  const vectors = allVectors().filter(
    (v) => v.family === family && v.direction === "client-to-server",
  );
  const sock = await open(family === 4 ? "0.0.0.0" : "::", 0);
  sock.on("error", () => {}); // ICMP unreachable and the like: keep sending
  const batch = 100;
  const start = performance.now();
  let sent = 0;
  while (sent < count) {
    const n = Math.min(batch, count - sent);
    await Promise.all(
      Array.from({ length: n }, (_, k) => {
        const c = fuzzCase(vectors, seed, first + sent + k);
        return new Promise<void>((resolve) => sock.send(c.data, port, server, () => resolve()));
      }),
    );
    sent += n;
    const ahead = (sent / rate) * 1000 - (performance.now() - start);
    if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
  }
  console.log(`sent ${sent}`);
  sock.close();
}

if (mode === "probe") {
  await probe(rest[0]!, rest[1]!, Number(rest[2]));
} else if (mode === "fuzz") {
  await fuzz(Number(rest[0]), Number(rest[1]), Number(rest[2]), Number(rest[3]));
} else {
  console.error("usage: memory-client.ts probe|fuzz ...");
  process.exitCode = 2;
}
