/** Where a DHCPv4 reply goes (Kea's adjustRemoteAddr and adjustIfaceData). */
import { DHCPMessageType } from "../../dhcp/constants.ts";
import type { Pkt4 } from "../../dhcp/pkt4.ts";
import { Pkt4o6 } from "../../dhcp/pkt4o6.ts";
import { packIpc } from "../../dhcpsrv/iface/dhcp4o6-ipc.ts";
import type { Exchange4, Reply4 } from "../exchange.ts";

const BROADCAST = "255.255.255.255";
const ZERO = "0.0.0.0";
const DHCP4_CLIENT_PORT = 68;
const DHCP4_SERVER_PORT = 67;

/**
 * RFC 2131 section 4.1 as Kea applies it (adjustRemoteAddr, adjustIfaceData): INFORM to ciaddr,
 * else via the relay, else the source; others to the relay, else ciaddr (RENEWING, REBINDING),
 * else broadcast for a NAK or when the client set the broadcast flag, else to the new address
 * yiaddr when the server can reach a client that has no address yet (a raw socket), broadcast
 * when it cannot. Port: -P when given; the client port for direct clients; 67 for relays.
 *
 * Link layer: a query read through a raw socket is answered as Kea's raw socket does, with a
 * frame to the response's remote hardware address (the query's Ethernet source, the client's
 * or the relay's, unless a callout changed it) whatever the IP destination, so no ARP is needed,
 * not even for a renewing client's ciaddr. A query read through a UDP socket gets a UDP reply;
 * only a new address (yiaddr) goes to chaddr through the raw sender, when there is one.
 */
export function destination(ex: Exchange4, r: Pkt4): Reply4 | null {
  const q = ex.query;
  const data = r.getBuffer();
  if (data.length === 0) return null;
  if (q instanceof Pkt4o6) return destination4o6(ex, q, r, data);
  const srv = ex.srv;
  const relayed = q.giaddrInt !== 0;
  const inform = q.getType() === DHCPMessageType.DHCPINFORM;
  let address: string;
  let hwaddr: string | undefined;
  if (inform) {
    address = q.ciaddrInt !== 0 ? q.ciaddr : relayed ? q.giaddr : q.remoteAddr;
  } else if (relayed) {
    address = q.giaddr;
  } else if (q.ciaddrInt !== 0) {
    address = q.ciaddr;
  } else if (r.getType() === DHCPMessageType.DHCPNAK || ex.pick === null) {
    // A NAK (ex.pick is null: no lease) is broadcast, also when a pkt4_send callout removed
    // its message type (a BOOTP reply); Kea chooses the destination before pkt4_send.
    address = BROADCAST;
  } else if (r.yiaddrInt !== 0) {
    // The client has no address yet: unicast to its hardware address when we can, as asked.
    if (!q.isBroadcast() && srv.directResponse() && (q.link !== null || q.hlen > 0)) {
      address = r.yiaddr;
      if (q.link === null) hwaddr = q.getHWAddr().toText(false);
    } else {
      address = BROADCAST;
    }
  } else {
    address = q.remoteAddr;
  }
  if (q.link !== null) hwaddr = r.getRemoteHWAddr()?.toText(false);
  const direct = inform ? q.ciaddrInt !== 0 || (!relayed && q.remoteAddr !== ZERO) : !relayed;
  const port = srv.clientPort ?? (direct ? DHCP4_CLIENT_PORT : DHCP4_SERVER_PORT);
  r.remoteAddr = address;
  r.remotePort = port;
  r.localAddr = ex.serverId;
  return {
    data,
    type: r.getType(),
    address,
    port,
    iface: q.iface,
    ifindex: q.ifindex,
    source: ex.serverId,
    broadcast: address === BROADCAST,
    hwaddr,
  };
}

/**
 * DHCPv4-over-DHCPv6: the reply goes back to the DHCPv6 server in a DHCPV4-RESPONSE, which
 * names the client's address and port as the query's DHCPv6 message had them (Kea's
 * adjustRemoteAddr: "DHCPv4-over-DHCPv6 is simple").
 */
function destination4o6(ex: Exchange4, q: Pkt4o6, r: Pkt4, data: Buffer): Reply4 {
  const q6 = q.getPkt6();
  // The DHCPV4-RESPONSE with the reply as packed (Pkt4o6.pack); a callout may have replaced the
  // response by a plain Pkt4, which goes in as its bytes are now.
  const r6 = r instanceof Pkt4o6 ? r.getPkt6() : Pkt4o6.withReply(q.response6(), data);
  r.remoteAddr = q6.remoteAddr;
  r.remotePort = q6.remotePort;
  r.localAddr = ex.serverId;
  return {
    data: packIpc(r6),
    type: r.getType(),
    address: q6.remoteAddr,
    port: q6.remotePort,
    iface: q.iface,
    ifindex: q.ifindex,
    source: ex.serverId,
    broadcast: false,
    hwaddr: undefined,
    dhcp4o6: data,
  };
}
