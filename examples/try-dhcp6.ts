/**
 * Asks a running nestor-dhcp6 for an address and a delegated prefix over loopback, the way a
 * relay agent would: SOLICIT, ADVERTISE, REQUEST, REPLY, then RELEASE and its REPLY. Each
 * message goes in a RELAY-FORW from ::1 with the link address 2001:db8:1::1 (which selects the
 * sample subnet) and the relay-source-port option (RFC 8357) naming this script's port. For the
 * sample configuration (`npm run start:dhcp6`):
 *
 *   npm run try:dhcp6 [-- --server-port 10547 --client-port 10546 --duid 00:03:00:01:02:00:00:00:00:01]
 */
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { D6O, DHCPv6MessageType as M } from "../src/dhcp/constants.ts";
import { Option } from "../src/dhcp/option.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "../src/dhcp/option6-ia.ts";
import { Pkt6, RelayInfo } from "../src/dhcp/pkt6.ts";

const { values } = parseArgs({
  options: {
    "server-port": { type: "string", default: "10547" },
    "client-port": { type: "string", default: "10546" },
    duid: { type: "string", default: "00:03:00:01:02:00:00:00:00:01" },
    link: { type: "string", default: "2001:db8:1::1" },
  },
});
const SERVER = "::1";
const serverPort = Number(values["server-port"]);
const clientPort = Number(values["client-port"]);
const duid = Buffer.from(values.duid!.replaceAll(":", ""), "hex");
const sock = createSocket("udp6");
sock.bind(clientPort, SERVER);
await once(sock, "listening");

/** A client message, with the IA_NA and IA_PD (their leases as hints), in a RELAY-FORW. */
function query(type: number, serverId: Option | undefined, leases: Leases = {}): Buffer {
  const p = Pkt6.create(type, 0x4e5336);
  p.addOption(new Option(6, D6O.CLIENTID, duid));
  if (serverId !== undefined) p.addOption(serverId);
  p.addOption(new Option(6, D6O.ELAPSED_TIME, Buffer.alloc(2)));
  p.addOption(new Option(6, D6O.ORO, Buffer.from([0, 23, 0, 24]))); // dns-servers, domain-search
  const na = Option6IA.create(D6O.IA_NA, 1);
  if (leases.address !== undefined) na.addOption(Option6IAAddr.create(leases.address, 0, 0));
  p.addOption(na);
  const pd = Option6IA.create(D6O.IA_PD, 2);
  if (leases.prefix !== undefined) {
    const [prefix, length] = leases.prefix.split("/");
    pd.addOption(Option6IAPrefix.create(prefix!, Number(length), 0, 0));
  }
  p.addOption(pd);
  const relay = new RelayInfo(M.DHCPV6_RELAY_FORW, 0, values.link!, "fe80::2");
  const port = Buffer.alloc(2);
  port.writeUInt16BE(sock.address().port);
  relay.options.push(new Option(6, D6O.RELAY_SOURCE_PORT, port));
  p.addRelayInfo(relay);
  return p.pack();
}

interface Leases {
  address?: string;
  prefix?: string;
}

/** The address and the prefix a reply gives (non-zero valid lifetime), and its status texts. */
function leasesOf(p: Pkt6): Leases & { status: string[] } {
  const out: Leases & { status: string[] } = { status: [] };
  const status = (o: Option | undefined) => {
    if (o === undefined) return;
    const d = o.getData();
    out.status.push(`${d.readUInt16BE(0)} ${d.toString("utf8", 2)}`.trim());
  };
  status(p.getOption(D6O.STATUS_CODE));
  for (const ia of p.getOptions()) {
    if (!(ia instanceof Option6IA)) continue;
    status(ia.getOption(D6O.STATUS_CODE));
    for (const o of ia.getOptions()) {
      if (o instanceof Option6IAAddr && o.getValid() > 0) out.address = o.getAddress();
      if (o instanceof Option6IAPrefix && o.getValid() > 0)
        out.prefix = `${o.getAddress()}/${o.getLength()}`;
    }
  }
  return out;
}

async function ask(type: number, serverId?: Option, leases?: Leases): Promise<Pkt6> {
  sock.send(query(type, serverId, leases), serverPort, SERVER);
  const timer = setTimeout(() => {
    console.error(`no answer from [${SERVER}]:${serverPort} within 3 s: is nestor-dhcp6 running?`);
    process.exit(1);
  }, 3000);
  const [msg] = (await once(sock, "message")) as [Buffer];
  clearTimeout(timer);
  const reply = Pkt6.parse(msg); // the client's message, its relay levels in relayInfo
  const got = leasesOf(reply);
  console.log(
    `<- ${reply.getName()} address ${got.address ?? "none"} prefix ${got.prefix ?? "none"}` +
      (got.status.length > 0 ? ` status ${got.status.join(", ")}` : ""),
  );
  return reply;
}

console.log(
  `-> SOLICIT (IA_NA, IA_PD) for DUID ${values.duid} via relay ${SERVER} ` +
    `(link ${values.link}) to port ${serverPort}`,
);
const advertise = await ask(M.DHCPV6_SOLICIT);
const sid = advertise.getOption(D6O.SERVERID);
if (sid === undefined) {
  console.error("the ADVERTISE has no server identifier");
  process.exit(1);
}
const offered = leasesOf(advertise);
console.log(`-> REQUEST ${offered.address ?? "no address"}, ${offered.prefix ?? "no prefix"}`);
const reply = await ask(M.DHCPV6_REQUEST, sid, offered);
console.log(reply.toText());
const leased = leasesOf(reply);
console.log(`-> RELEASE ${leased.address ?? "no address"}, ${leased.prefix ?? "no prefix"}`);
await ask(M.DHCPV6_RELEASE, sid, leased);
sock.close();
