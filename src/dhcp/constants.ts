/** Protocol numbers of DHCPv4 (RFC 2131/2132) and DHCPv6 (RFC 8415), with Kea's names. */

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const BOOTP_BROADCAST = 0x8000;
export const DHCP_OPTIONS_COOKIE = 0x63825363;
export const DHCP4_CLIENT_PORT = 68;
export const DHCP4_SERVER_PORT = 67;
export const DHCP6_CLIENT_PORT = 546;
export const DHCP6_SERVER_PORT = 547;
/** BOOTP header length without options and without the magic cookie. */
export const DHCPV4_PKT_HDR_LEN = 236;
/** RFC 951: a BOOTP message is at least 300 bytes; BOOTP relays and clients expect that. */
export const BOOTP_MIN_LEN = 300;
export const MAX_CHADDR_LEN = 16;
export const MAX_SNAME_LEN = 64;
export const MAX_FILE_LEN = 128;
/** RFC 8415 HOP_COUNT_LIMIT: more relay encapsulations than this are refused. */
export const HOP_COUNT_LIMIT = 32;

export const DHCPMessageType = {
  DHCP_NOTYPE: 0,
  DHCPDISCOVER: 1,
  DHCPOFFER: 2,
  DHCPREQUEST: 3,
  DHCPDECLINE: 4,
  DHCPACK: 5,
  DHCPNAK: 6,
  DHCPRELEASE: 7,
  DHCPINFORM: 8,
  DHCPLEASEQUERY: 10,
  DHCPLEASEUNASSIGNED: 11,
  DHCPLEASEUNKNOWN: 12,
  DHCPLEASEACTIVE: 13,
  DHCPBULKLEASEQUERY: 14,
  DHCPLEASEQUERYDONE: 15,
  DHCPLEASEQUERYSTATUS: 17,
  DHCPTLS: 18,
} as const;

/** DHCPv4 option codes used by the wire layer itself. */
export const DHO = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTERS: 3,
  DOMAIN_NAME_SERVERS: 6,
  HOST_NAME: 12,
  DOMAIN_NAME: 15,
  VENDOR_ENCAPSULATED_OPTIONS: 43,
  DHCP_REQUESTED_ADDRESS: 50,
  DHCP_LEASE_TIME: 51,
  DHCP_OPTION_OVERLOAD: 52,
  DHCP_MESSAGE_TYPE: 53,
  DHCP_SERVER_IDENTIFIER: 54,
  DHCP_PARAMETER_REQUEST_LIST: 55,
  DHCP_MESSAGE: 56,
  DHCP_MAX_MESSAGE_SIZE: 57,
  DHCP_RENEWAL_TIME: 58,
  DHCP_REBINDING_TIME: 59,
  VENDOR_CLASS_IDENTIFIER: 60,
  DHCP_CLIENT_IDENTIFIER: 61,
  USER_CLASS: 77,
  FQDN: 81,
  DHCP_AGENT_OPTIONS: 82,
  SUBNET_SELECTION: 118,
  DOMAIN_SEARCH: 119,
  CLASSLESS_STATIC_ROUTE: 121,
  VIVCO_SUBOPTIONS: 124,
  VIVSO_SUBOPTIONS: 125,
  END: 255,
} as const;

/** Relay agent information (option 82) sub-option codes. */
export const RAI = {
  AGENT_CIRCUIT_ID: 1,
  REMOTE_ID: 2,
  LINK_SELECTION: 5,
  SUBSCRIBER_ID: 6,
  SERVER_ID_OVERRIDE: 11,
  RELAY_ID: 12,
  RELAY_PORT: 19,
} as const;

export const DHCPv6MessageType = {
  DHCPV6_NOTYPE: 0,
  DHCPV6_SOLICIT: 1,
  DHCPV6_ADVERTISE: 2,
  DHCPV6_REQUEST: 3,
  DHCPV6_CONFIRM: 4,
  DHCPV6_RENEW: 5,
  DHCPV6_REBIND: 6,
  DHCPV6_REPLY: 7,
  DHCPV6_RELEASE: 8,
  DHCPV6_DECLINE: 9,
  DHCPV6_RECONFIGURE: 10,
  DHCPV6_INFORMATION_REQUEST: 11,
  DHCPV6_RELAY_FORW: 12,
  DHCPV6_RELAY_REPL: 13,
  DHCPV6_LEASEQUERY: 14,
  DHCPV6_LEASEQUERY_REPLY: 15,
  DHCPV6_LEASEQUERY_DONE: 16,
  DHCPV6_LEASEQUERY_DATA: 17,
  DHCPV6_RECONFIGURE_REQUEST: 18,
  DHCPV6_RECONFIGURE_REPLY: 19,
  DHCPV6_DHCPV4_QUERY: 20,
  DHCPV6_DHCPV4_RESPONSE: 21,
} as const;

/** DHCPv6 option codes used by the wire layer itself. */
export const D6O = {
  CLIENTID: 1,
  SERVERID: 2,
  IA_NA: 3,
  IA_TA: 4,
  IAADDR: 5,
  ORO: 6,
  PREFERENCE: 7,
  ELAPSED_TIME: 8,
  RELAY_MSG: 9,
  STATUS_CODE: 13,
  RAPID_COMMIT: 14,
  USER_CLASS: 15,
  VENDOR_CLASS: 16,
  VENDOR_OPTS: 17,
  INTERFACE_ID: 18,
  NAME_SERVERS: 23,
  DOMAIN_SEARCH: 24,
  IA_PD: 25,
  IAPREFIX: 26,
  REMOTE_ID: 37,
  SUBSCRIBER_ID: 38,
  CLIENT_FQDN: 39,
  PD_EXCLUDE: 67,
  CLIENT_LINKLAYER_ADDR: 79,
  RELAY_SOURCE_PORT: 135,
} as const;

const V4_NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries(DHCPMessageType)) V4_NAMES[v] = k;
const V6_NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries(DHCPv6MessageType)) V6_NAMES[v] = k.replace("DHCPV6_", "");
// Kea has no names for these two.
delete V6_NAMES[DHCPv6MessageType.DHCPV6_RECONFIGURE_REQUEST];
delete V6_NAMES[DHCPv6MessageType.DHCPV6_RECONFIGURE_REPLY];

/** "DHCPDISCOVER" for 1, "UNKNOWN" for a type with no name, 0 included (Kea's getName). */
export function dhcp4TypeName(type: number): string {
  return type === 0 ? "UNKNOWN" : (V4_NAMES[type] ?? "UNKNOWN");
}

/** "SOLICIT" for 1, "RELAY_FORW" for 12, "UNKNOWN" otherwise (Kea's Pkt6::getName). */
export function dhcp6TypeName(type: number): string {
  return V6_NAMES[type] ?? "UNKNOWN";
}
