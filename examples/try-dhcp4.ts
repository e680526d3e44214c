/**
 * Asks a running nestor-dhcp4 for a lease over loopback, the way a relay agent would: DISCOVER,
 * OFFER, REQUEST, ACK, then RELEASE. For the sample configuration (`npm start`):
 *
 *   npm run try:dhcp4 [-- --server-port 10067 --client-port 10068 --mac 02:00:00:00:00:01]
 */
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { DHCPMessageType, DHO } from "../src/dhcp/constants.ts";
import { HWAddr } from "../src/dhcp/hwaddr.ts";
import { Option } from "../src/dhcp/option.ts";
import { Pkt4 } from "../src/dhcp/pkt4.ts";

const { values } = parseArgs({
  options: {
    "server-port": { type: "string", default: "10067" },
    "client-port": { type: "string", default: "10068" },
    mac: { type: "string", default: "02:00:00:00:00:01" },
  },
});
const SERVER = "127.0.0.1";
const serverPort = Number(values["server-port"]);
const sock = createSocket("udp4");
sock.bind(Number(values["client-port"]), SERVER);
await once(sock, "listening");

function query(type: number, extra: Option[] = [], ciaddr?: string): Buffer {
  const p = Pkt4.create(type, 0x4e53);
  p.setHWAddr(HWAddr.fromText(values.mac!));
  if (ciaddr !== undefined) p.ciaddr = ciaddr;
  p.giaddr = SERVER; // as a relay agent on this host
  p.setHops(1);
  for (const o of extra) p.addOption(o);
  p.addOption(new Option(4, DHO.DHCP_PARAMETER_REQUEST_LIST, Buffer.from([1, 3, 6, 15, 51, 54])));
  return p.pack();
}

async function ask(type: number, extra: Option[] = []): Promise<Pkt4> {
  sock.send(query(type, extra), serverPort, SERVER);
  const timer = setTimeout(() => {
    console.error(`no answer from ${SERVER}:${serverPort} within 3 s: is nestor-dhcp4 running?`);
    process.exit(1);
  }, 3000);
  const [msg] = (await once(sock, "message")) as [Buffer];
  clearTimeout(timer);
  const reply = Pkt4.parse(msg);
  console.log(`<- ${reply.getName()} yiaddr ${reply.yiaddr}`);
  return reply;
}

const ip = (code: number, a: string) => new Option(4, code, Buffer.from(a.split(".").map(Number)));
console.log(`-> DHCPDISCOVER for ${values.mac} via relay ${SERVER} to port ${serverPort}`);
const offer = await ask(DHCPMessageType.DHCPDISCOVER);
const sid = offer.getOption(DHO.DHCP_SERVER_IDENTIFIER)!;
console.log(`-> DHCPREQUEST ${offer.yiaddr}`);
const ack = await ask(DHCPMessageType.DHCPREQUEST, [
  ip(DHO.DHCP_REQUESTED_ADDRESS, offer.yiaddr),
  sid,
]);
console.log(ack.toText());
// A RELEASE has no answer: the server ends the lease (a row with valid lifetime 0 in its file).
console.log(`-> DHCPRELEASE ${ack.yiaddr}`);
sock.send(query(DHCPMessageType.DHCPRELEASE, [sid], ack.yiaddr), serverPort, SERVER, () =>
  sock.close(),
);
