/**
 * Accepting a DHCPv4 query: what unpacking and the first classification read of v4 (the client
 * FQDN option, the vendor class), and Kea's accept(): which queries a server answers.
 */
import { DHCPMessageType, DHO, RAI } from "../../dhcp/constants.ts";
import { ipv4ToString, tryParseIPv4 } from "../../dhcp/ioaddress.ts";
import type { Pkt } from "../../dhcp/pkt.ts";
import type { Pkt4 } from "../../dhcp/pkt4.ts";
import { parseFqdn4 } from "../../dhcpsrv/processing/client-name.ts";
import { familyRules } from "../../dhcpsrv/processing/family.ts";
import type { Exchange4 } from "../exchange.ts";

const { DHCPDISCOVER, DHCPREQUEST, DHCPDECLINE, DHCPRELEASE, DHCPINFORM } = DHCPMessageType;
/** The single-address options the processing reads: requested address, server identifier. */
const ADDRESS_OPTIONS = [DHO.DHCP_REQUESTED_ADDRESS, DHO.DHCP_SERVER_IDENTIFIER];

/**
 * What the shared steps know of v4: option 81 (Kea's Option4ClientFqdn refuses a truncated
 * option, N and S both set or a malformed name, and with it the packet), option 60.
 */
export const RULES4 = familyRules("4", DHO.FQDN, parseFqdn4, vendorClass4);

/** Counts the query and drops what this server does not answer (Kea's accept()). */
export function accept(ex: Exchange4): void {
  const q = ex.query;
  const core = ex.srv.core;
  // An address option of another size than 4 does not parse in Kea (its unpack fails): the
  // packet is malformed, counted in pkt4-parse-failed and not as received.
  for (const code of ADDRESS_OPTIONS) {
    const o = q.getNonCopiedOption(code);
    if (o !== undefined && o.getData().length !== 4) {
      return core.dropMalformed(ex, `option ${code} is ${o.getData().length} bytes long, not 4`);
    }
  }
  const type = q.getType();
  ex.srv.stats.countReceived(type);
  if (type === 0) return core.drop(ex, "no DHCP message type (BOOTP needs the bootp hook library)");
  if (
    type !== DHCPDISCOVER &&
    type !== DHCPREQUEST &&
    type !== DHCPRELEASE &&
    type !== DHCPDECLINE &&
    type !== DHCPINFORM
  ) {
    return core.drop(ex, `message type ${q.getName()} is not handled by a server`);
  }
  if (q.hlen === 0 && q.getClientId() === null) {
    return core.drop(ex, "no hardware address and no client identifier");
  }
  const sid = q.getOption(DHO.DHCP_SERVER_IDENTIFIER);
  if (sid !== undefined && type !== DHCPDISCOVER && type !== DHCPINFORM) {
    const d = sid.getData();
    // Compared as numbers first: the text is made only for another server's identifier.
    if (d.length === 4 && d.readUInt32BE(0) === tryParseIPv4(ex.serverId)) return;
    const text = d.length === 4 ? ipv4ToString(d.readUInt32BE(0)) : "";
    if (text !== ex.serverId && !isOurAddress(ex, text) && !isOverride(q, d)) {
      return core.drop(
        ex,
        `server identifier ${text} is not ours (the client chose another server)`,
      );
    }
  }
}

/** The relay's server identifier override (RFC 5107, RAI sub-option 11) names this address. */
function isOverride(q: Pkt4, sid: Buffer): boolean {
  const o = q.getNonCopiedOption(DHO.DHCP_AGENT_OPTIONS)?.getOption(RAI.SERVER_ID_OVERRIDE);
  return o !== undefined && sid.length === 4 && o.getData().equals(sid);
}

function isOurAddress(ex: Exchange4, addr: string): boolean {
  return addr !== "" && ex.srv.ifaceAddresses("").includes(addr);
}

/** The label of a v4 packet in log lines (class evaluation errors). */
export function label4(pkt: Pkt): string {
  return (pkt as Pkt4).getLabel();
}

/** Option 60 as text without trailing NULs (Kea's OptionString), for VENDOR_CLASS_; or null. */
function vendorClass4(q: Pkt): string | null {
  const o = q.getNonCopiedOption(DHO.VENDOR_CLASS_IDENTIFIER);
  if (o === undefined) return null;
  const d = o.getData();
  let end = d.length;
  while (end > 0 && d[end - 1] === 0) end--;
  return end === 0 ? null : d.toString("utf8", 0, end);
}
