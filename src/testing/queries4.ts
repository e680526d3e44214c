/**
 * DHCPv4 queries for tests, from a few fields: what a client (or a relay in front of it) sends.
 * Each returns a Pkt4 to adjust further or hand to TestServer4.query().
 */
import { DHCPMessageType, DHO } from "../dhcp/constants.ts";
import { HWAddr } from "../dhcp/hwaddr.ts";
import { Option } from "../dhcp/option.ts";
import { Pkt4 } from "../dhcp/pkt4.ts";

export interface Query4Fields {
  /** Client hardware address, "02:00:00:00:00:01" by default. */
  mac?: string;
  xid?: number;
  /** Option 61, as hex ("01020000000001") or bytes. */
  clientId?: string | Uint8Array;
  /** Option 12. */
  hostname?: string;
  /** Option 50. */
  requested?: string;
  /** Option 54. */
  serverId?: string;
  ciaddr?: string;
  /** Sent through a relay agent with this address (giaddr, hops 1). */
  relay?: string;
  broadcast?: boolean;
  /** Option 55; [1, 3, 6, 15, 51, 54] by default. */
  prl?: readonly number[];
  /** Other options, as [code, hex data] or Option objects. */
  options?: readonly (readonly [number, string] | Option)[];
}

let nextXid = 0x4e530000;

function ip(code: number, a: string): Option {
  return new Option(4, code, Buffer.from(a.split(".").map(Number)));
}

function bytes(v: string | Uint8Array): Buffer {
  return typeof v === "string" ? Buffer.from(v.replace(/[:\s]/g, ""), "hex") : Buffer.from(v);
}

/** Any DHCPv4 message type with the fields above. */
export function query4(type: number, f: Query4Fields = {}): Pkt4 {
  const p = Pkt4.create(type, f.xid ?? nextXid++);
  p.setHWAddr(HWAddr.fromText(f.mac ?? "02:00:00:00:00:01"));
  if (f.ciaddr !== undefined) p.ciaddr = f.ciaddr;
  if (f.relay !== undefined) {
    p.giaddr = f.relay;
    p.setHops(1);
  }
  if (f.broadcast === true) p.setBroadcast(true);
  if (f.clientId !== undefined) {
    p.addOption(new Option(4, DHO.DHCP_CLIENT_IDENTIFIER, bytes(f.clientId)));
  }
  if (f.hostname !== undefined) {
    p.addOption(new Option(4, DHO.HOST_NAME, Buffer.from(f.hostname)));
  }
  if (f.requested !== undefined) p.addOption(ip(DHO.DHCP_REQUESTED_ADDRESS, f.requested));
  if (f.serverId !== undefined) p.addOption(ip(DHO.DHCP_SERVER_IDENTIFIER, f.serverId));
  p.addOption(
    new Option(4, DHO.DHCP_PARAMETER_REQUEST_LIST, Buffer.from(f.prl ?? [1, 3, 6, 15, 51, 54])),
  );
  for (const o of f.options ?? []) {
    p.addOption(o instanceof Option ? o : new Option(4, o[0], bytes(o[1])));
  }
  return p;
}

export const discover = (f: Query4Fields = {}): Pkt4 => query4(DHCPMessageType.DHCPDISCOVER, f);
/** A REQUEST: SELECTING with `requested` and `serverId`, RENEWING with `ciaddr`. */
export const request = (f: Query4Fields = {}): Pkt4 => query4(DHCPMessageType.DHCPREQUEST, f);
export const release = (f: Query4Fields = {}): Pkt4 => query4(DHCPMessageType.DHCPRELEASE, f);
export const decline = (f: Query4Fields = {}): Pkt4 => query4(DHCPMessageType.DHCPDECLINE, f);
export const inform = (f: Query4Fields = {}): Pkt4 => query4(DHCPMessageType.DHCPINFORM, f);
