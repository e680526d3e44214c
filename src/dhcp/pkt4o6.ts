/**
 * DHCPv4-over-DHCPv6 (RFC 7341): a DHCPv4 message that came in the DHCPv4 Message option (87)
 * of a DHCPV4-QUERY, with that DHCPv6 message attached, as Kea's Pkt4o6. The DHCPv4 server
 * processes it as any query; hook libraries see it as `query4` and reach the DHCPv6 message with
 * getPkt6(). Its reply is a DHCPV4-RESPONSE built here (Kea's initResponse4o6).
 */
import { BOOTREPLY, D6O, DHCPv6MessageType } from "./constants.ts";
import { Option } from "./option.ts";
import type { OptionDefLookup } from "./option-definition.ts";
import { Pkt4 } from "./pkt4.ts";
import { Pkt6, RelaySearchOrder } from "./pkt6.ts";
import { getStdOptionDefs } from "./std-option-defs.ts";

/** The DHCPv4 Message option of RFC 7341. */
export const D6O_DHCPV4_MSG = 87;
/** The DHCP4o6 Server Address option of RFC 7341. */
export const D6O_DHCP4O6_SERVER_ADDR = 88;

const EMPTY = new Uint8Array(0);

export class Pkt4o6 extends Pkt4 {
  private readonly pkt6: Pkt6;

  /**
   * The DHCPv4 message `data4` (not unpacked yet) of the DHCPv6 message `pkt6`, which loses its
   * option 87; the query takes the DHCPv6 message's interface and remote address, as Kea's.
   */
  constructor(data4: Uint8Array, pkt6: Pkt6, defs: OptionDefLookup = getStdOptionDefs()) {
    super(data4, defs);
    pkt6.delOption(D6O_DHCPV4_MSG);
    this.pkt6 = pkt6;
    this.iface = pkt6.iface;
    this.ifindex = pkt6.ifindex;
    this.remoteAddr = pkt6.remoteAddr;
  }

  override isDhcp4o6(): boolean {
    return true;
  }

  /**
   * Packs the DHCPv4 message and, as Kea's Pkt4o6::pack, puts a copy of it in the DHCPv6
   * message's option 87: a response leaves with the reply as packed here (a buffer4_send
   * callout's later change to the bytes does not reach the client, as in Kea).
   */
  override pack(minSize = 0): Buffer {
    const out = super.pack(minSize);
    Pkt4o6.withReply(this.pkt6, Buffer.from(out));
    return out;
  }

  /** The DHCPv6 message that carried the query (Kea's getPkt6()). */
  getPkt6(): Pkt6 {
    return this.pkt6;
  }

  /**
   * The interface-id (option 18) of the relay closest to the client, as Kea's 4o6 subnet
   * selector reads it; null for a query that was not relayed or has none.
   */
  relayInterfaceId(): Buffer | null {
    if (this.pkt6.relayInfo.length === 0) return null;
    const o = this.pkt6.getNonCopiedAnyRelayOption(
      D6O.INTERFACE_ID,
      RelaySearchOrder.RELAY_GET_FIRST,
    );
    return o === undefined ? null : o.getData();
  }

  /**
   * The DHCPV4-RESPONSE of this query without its DHCPv4 message yet (Kea's initResponse4o6):
   * the query's transaction id (its flags field), its relay layers as RELAY-REPL, no client or
   * server identifier; it goes back where the query came from.
   */
  response6(): Pkt6 {
    const q6 = this.pkt6;
    const r = Pkt6.create(DHCPv6MessageType.DHCPV6_DHCPV4_RESPONSE, q6.getTransid());
    if (q6.relayInfo.length > 0) r.copyRelayInfo(q6);
    r.iface = q6.iface;
    r.ifindex = q6.ifindex;
    r.remoteAddr = q6.remoteAddr;
    r.remotePort = q6.remotePort;
    return r;
  }

  /**
   * The DHCPv4 response to this query, as Kea's: a Pkt4o6 too, whose DHCPv6 message is the
   * DHCPV4-RESPONSE (response6()); the reply goes into its option 87 when it is sent (withReply).
   */
  createResponse(msgType: number, defs?: OptionDefLookup): Pkt4o6 {
    const r = new Pkt4o6(EMPTY, this.response6(), defs);
    r.transid = this.transid;
    r.op = BOOTREPLY;
    r.setType(msgType);
    return r;
  }

  /** A DHCPV4-RESPONSE with the packed DHCPv4 reply in its option 87 (Kea's Pkt4o6::pack). */
  static withReply(response6: Pkt6, reply4: Uint8Array): Pkt6 {
    response6.delAllOptions(D6O_DHCPV4_MSG);
    response6.addOption(new Option(6, D6O_DHCPV4_MSG, reply4));
    return response6;
  }
}
