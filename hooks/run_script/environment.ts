/**
 * The environment a script gets: Kea 2.2's run_script variables, built from the hook point's
 * arguments, with Kea's names and value formats (see README.md for the list per hook point).
 *
 * Formats, as Kea 2.2 prints them:
 * - integers in decimal, booleans `true`/`false`;
 * - addresses as the server prints them (dotted quad, RFC 5952 IPv6);
 * - hardware addresses as lower-case colon hex without the type, the type in `..._TYPE`;
 * - client identifiers and DUIDs as lower-case colon hex;
 * - options as `0x` and upper-case hex of their payload (sub-options included);
 * - lease states `default`, `declined`, `expired-reclaimed`; lease types `IA_NA`, `IA_PD`...;
 * - an absent object (a null argument) gives each of its variables with an empty value.
 */
import { DHO, RAI, toColonHex } from "nestor/dhcp";
import type { Option, Option6IA, Pkt4, Pkt6 } from "nestor/dhcp";
import type { Lease4, Subnet4 } from "nestor/dhcp4";
import type { Lease6 } from "nestor/dhcp6";

/** Variable name → value, in the order Kea builds them. */
export type Env = Record<string, string>;

function put(env: Env, name: string, value: string | number | boolean): void {
  env[name] = typeof value === "string" ? value : String(value);
}

/** `P=aa:bb:..` and `P_TYPE=1`; both empty when there is no hardware address. */
export function addHWAddr(
  env: Env,
  prefix: string,
  hw: { hwaddr: Uint8Array; htype: number } | null | undefined,
): void {
  if (hw === null || hw === undefined) {
    put(env, prefix, "");
    put(env, `${prefix}_TYPE`, "");
    return;
  }
  put(env, prefix, toColonHex(hw.hwaddr));
  put(env, `${prefix}_TYPE`, hw.htype);
}

/** Colon hex of an identifier (client-id, DUID), empty when absent. */
export function addId(env: Env, name: string, id: Uint8Array | null | undefined): void {
  put(env, name, id === null || id === undefined ? "" : toColonHex(id));
}

/** Kea 2.2's Lease::basicStatesToText (and Kea 2.7's "released" for 3). */
export function leaseStateText(state: number): string {
  switch (state) {
    case 0:
      return "default";
    case 1:
      return "declined";
    case 2:
      return "expired-reclaimed";
    case 3:
      return "released";
    default:
      return `unknown (${state})`;
  }
}

/** Kea's Lease::typeToText. */
export function leaseTypeText(type: number): string {
  switch (type) {
    case 0:
      return "IA_NA";
    case 1:
      return "IA_TA";
    case 2:
      return "IA_PD";
    case 3:
      return "V4";
    default:
      return `unknown (${type})`;
  }
}

const LEASE4_FIELDS = [
  "ADDRESS",
  "CLTT",
  "HOSTNAME",
  "HWADDR",
  "HWADDR_TYPE",
  "STATE",
  "SUBNET_ID",
  "VALID_LIFETIME",
  "CLIENT_ID",
] as const;

export function addLease4(env: Env, prefix: string, lease: Lease4 | null | undefined): void {
  if (lease === null || lease === undefined) {
    for (const f of LEASE4_FIELDS) put(env, `${prefix}_${f}`, "");
    return;
  }
  put(env, `${prefix}_ADDRESS`, lease.address);
  put(env, `${prefix}_CLTT`, lease.cltt);
  put(env, `${prefix}_HOSTNAME`, lease.hostname);
  // A v4 lease without a hardware address (a declined one) stands for Kea's empty HWAddr, whose
  // type is Ethernet: Kea prints "" and 1.
  addHWAddr(env, `${prefix}_HWADDR`, lease.hwaddr ?? { hwaddr: new Uint8Array(0), htype: 1 });
  put(env, `${prefix}_STATE`, leaseStateText(lease.state));
  put(env, `${prefix}_SUBNET_ID`, lease.subnetId);
  put(env, `${prefix}_VALID_LIFETIME`, lease.validLifetime);
  addId(env, `${prefix}_CLIENT_ID`, lease.clientId);
}

const LEASE6_FIELDS = [
  "ADDRESS",
  "CLTT",
  "HOSTNAME",
  "HWADDR",
  "HWADDR_TYPE",
  "STATE",
  "SUBNET_ID",
  "VALID_LIFETIME",
  "DUID",
  "IAID",
  "PREFERRED_LIFETIME",
  "PREFIX_LEN",
  "TYPE",
] as const;

export function addLease6(env: Env, prefix: string, lease: Lease6 | null | undefined): void {
  if (lease === null || lease === undefined) {
    for (const f of LEASE6_FIELDS) put(env, `${prefix}_${f}`, "");
    return;
  }
  put(env, `${prefix}_ADDRESS`, lease.address);
  put(env, `${prefix}_CLTT`, lease.cltt);
  put(env, `${prefix}_HOSTNAME`, lease.hostname);
  addHWAddr(env, `${prefix}_HWADDR`, lease.hwaddr);
  put(env, `${prefix}_STATE`, leaseStateText(lease.state));
  put(env, `${prefix}_SUBNET_ID`, lease.subnetId);
  put(env, `${prefix}_VALID_LIFETIME`, lease.validLifetime);
  addId(env, `${prefix}_DUID`, lease.duid);
  put(env, `${prefix}_IAID`, lease.iaid);
  put(env, `${prefix}_PREFERRED_LIFETIME`, lease.preferredLifetime);
  put(env, `${prefix}_PREFIX_LEN`, lease.prefixLen);
  put(env, `${prefix}_TYPE`, leaseTypeText(lease.type));
}

/** `P_SIZE`, then `P_AT<i>_...` for each lease; a null collection is `P_SIZE=0`. */
export function addLeases4(env: Env, prefix: string, leases: readonly Lease4[] | null | undefined) {
  const list = leases ?? [];
  put(env, `${prefix}_SIZE`, list.length);
  list.forEach((l, i) => addLease4(env, `${prefix}_AT${i}`, l));
}

export function addLeases6(env: Env, prefix: string, leases: readonly Lease6[] | null | undefined) {
  const list = leases ?? [];
  put(env, `${prefix}_SIZE`, list.length);
  list.forEach((l, i) => addLease6(env, `${prefix}_AT${i}`, l));
}

export function addSubnet4(env: Env, prefix: string, subnet: Subnet4 | null | undefined): void {
  if (subnet === null || subnet === undefined) {
    for (const f of ["ID", "NAME", "PREFIX", "PREFIX_LEN"]) put(env, `${prefix}_${f}`, "");
    return;
  }
  const text = subnet.toText(); // "198.51.100.0/24"
  const slash = text.lastIndexOf("/");
  put(env, `${prefix}_ID`, subnet.id);
  put(env, `${prefix}_NAME`, text);
  put(env, `${prefix}_PREFIX`, text.slice(0, slash));
  put(env, `${prefix}_PREFIX_LEN`, subnet.prefixLen);
}

/** `P_OPTION_<code>=0x..` when the option is there (nothing otherwise). */
function addOption(env: Env, prefix: string, option: Option | undefined): void {
  if (option === undefined) return;
  put(env, `${prefix}_OPTION_${option.getType()}`, option.toHexString());
}

/** What Kea gives of any query, v4 or v6. */
const PKT_COMMON = [
  "TYPE",
  "TXID",
  "LOCAL_ADDR",
  "LOCAL_PORT",
  "REMOTE_ADDR",
  "REMOTE_PORT",
  "IFACE_INDEX",
  "IFACE_NAME",
] as const;

function addPktCommon(env: Env, prefix: string, pkt: Pkt4 | Pkt6): void {
  put(env, `${prefix}_TYPE`, pkt.getName());
  put(env, `${prefix}_TXID`, pkt.getTransid());
  put(env, `${prefix}_LOCAL_ADDR`, pkt.getLocalAddr());
  put(env, `${prefix}_LOCAL_PORT`, pkt.getLocalPort());
  put(env, `${prefix}_REMOTE_ADDR`, pkt.getRemoteAddr());
  put(env, `${prefix}_REMOTE_PORT`, pkt.getRemotePort());
  put(env, `${prefix}_IFACE_INDEX`, pkt.getIndex());
  put(env, `${prefix}_IFACE_NAME`, pkt.getIface());
}

const PKT4_EMPTY = [
  ...PKT_COMMON,
  "HOPS",
  "SECS",
  "FLAGS",
  "CIADDR",
  "SIADDR",
  "YIADDR",
  "GIADDR",
  "RELAYED",
  "HWADDR",
  "HWADDR_TYPE",
  "LOCAL_HWADDR",
  "LOCAL_HWADDR_TYPE",
  "REMOTE_HWADDR",
  "REMOTE_HWADDR_TYPE",
] as const;

/**
 * The query. `P_LOCAL_HWADDR` and `P_REMOTE_HWADDR` are the Ethernet destination and source of
 * the frame, known when the server reads raw frames (`dhcp-socket-type` "raw", the default);
 * empty, type included, for a query that came through a UDP socket, as in Kea.
 */
export function addPkt4(env: Env, prefix: string, pkt: Pkt4 | null | undefined): void {
  if (pkt === null || pkt === undefined) {
    for (const f of PKT4_EMPTY) put(env, `${prefix}_${f}`, "");
    return;
  }
  addPktCommon(env, prefix, pkt);
  put(env, `${prefix}_HOPS`, pkt.getHops());
  put(env, `${prefix}_SECS`, pkt.getSecs());
  put(env, `${prefix}_FLAGS`, pkt.getFlags());
  put(env, `${prefix}_CIADDR`, pkt.getCiaddr());
  put(env, `${prefix}_SIADDR`, pkt.getSiaddr());
  put(env, `${prefix}_YIADDR`, pkt.getYiaddr());
  put(env, `${prefix}_GIADDR`, pkt.getGiaddr());
  put(env, `${prefix}_RELAYED`, pkt.isRelayed());
  addHWAddr(env, `${prefix}_HWADDR`, pkt.getHWAddr());
  addHWAddr(env, `${prefix}_LOCAL_HWADDR`, pkt.getLocalHWAddr());
  addHWAddr(env, `${prefix}_REMOTE_HWADDR`, pkt.getRemoteHWAddr());
  const rai = pkt.getNonCopiedOption(DHO.DHCP_AGENT_OPTIONS);
  addOption(env, prefix, rai);
  if (rai !== undefined) {
    addOption(env, `${prefix}_OPTION_82_SUB`, rai.getOption(RAI.AGENT_CIRCUIT_ID));
    addOption(env, `${prefix}_OPTION_82_SUB`, rai.getOption(RAI.REMOTE_ID));
  }
}

const PKT6_EMPTY = [
  ...PKT_COMMON,
  "REMOTE_HWADDR",
  "REMOTE_HWADDR_TYPE",
  "PROTO",
  "CLIENT_ID",
] as const;

/**
 * The query. `P_TYPE` is the client's message (inside any relay layers). `P_REMOTE_HWADDR` is
 * empty, as in Kea 2.2, whose UDP sockets do not see the link layer either.
 */
export function addPkt6(env: Env, prefix: string, pkt: Pkt6 | null | undefined): void {
  if (pkt === null || pkt === undefined) {
    for (const f of PKT6_EMPTY) put(env, `${prefix}_${f}`, "");
    return;
  }
  addPktCommon(env, prefix, pkt);
  addHWAddr(env, `${prefix}_REMOTE_HWADDR`, null);
  put(env, `${prefix}_PROTO`, "UDP");
  addId(env, `${prefix}_CLIENT_ID`, pkt.getClientId()?.duid);
}

/** `P_IAID`, `P_IA_TYPE` (3 IA_NA, 25 IA_PD), `P_IA_T1`, `P_IA_T2`; empty without an IA. */
export function addOptionIA(env: Env, prefix: string, ia: Option6IA | null | undefined): void {
  if (ia === null || ia === undefined) {
    for (const f of ["IAID", "IA_TYPE", "IA_T1", "IA_T2"]) put(env, `${prefix}_${f}`, "");
    return;
  }
  put(env, `${prefix}_IAID`, ia.getIAID());
  put(env, `${prefix}_IA_TYPE`, ia.getType());
  put(env, `${prefix}_IA_T1`, ia.getT1());
  put(env, `${prefix}_IA_T2`, ia.getT2());
}
