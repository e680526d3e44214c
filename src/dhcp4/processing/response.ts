/**
 * Building the DHCPv4 response: OFFER or ACK for a lease, ACK for INFORM, NAK; the classes the
 * subnet and pool require, the fixed fields, the lease times, the client name and the configured
 * options from the most specific level that has them.
 */
import { BOOTREPLY, DHCPMessageType, DHO } from "../../dhcp/constants.ts";
import { ipv4FromString } from "../../dhcp/ioaddress.ts";
import { Option } from "../../dhcp/option.ts";
import { Pkt4 } from "../../dhcp/pkt4.ts";
import { Pkt4o6 } from "../../dhcp/pkt4o6.ts";
import type { CfgOption } from "../../dhcpsrv/model/cfg-option.ts";
import type { Subnet4 } from "../../dhcpsrv/model/subnet4.ts";
import { INFINITY_LFT, type Lease4 } from "../../dhcpsrv/leases/lease4.ts";
import { answerData } from "../../dhcpsrv/processing/client-name.ts";
import {
  addAlwaysSendOptions,
  addConfiguredOption,
  addVendorOptions,
  optionLevels,
  vendorOptionOf,
} from "../../dhcpsrv/processing/option-levels.ts";
import type { Exchange4 } from "../exchange.ts";

const { DHCPDISCOVER, DHCPOFFER, DHCPREQUEST, DHCPACK, DHCPINFORM } = DHCPMessageType;
/**
 * The client class of BOOTP queries (set by the bootp hook library, which turns them into
 * REQUESTs): their leases never expire and their responses are in the class too.
 */
export const BOOTP_CLASS = "BOOTP";
/** Options Kea adds to every lease response when configured, asked for or not. */
const BASIC_OPTIONS = [DHO.ROUTERS, DHO.DOMAIN_NAME_SERVERS, DHO.DOMAIN_NAME];
/** The E flag of option 81: the name in wire form. */
const FQDN_E = 0x04;
const EMPTY = Buffer.alloc(0);

export function buildResponse(ex: Exchange4): void {
  buildResponseFor(ex);
  // As Kea's processRequest: the answer to a BOOTP query (ACK or NAK) is in the BOOTP class.
  if (ex.response !== null && ex.query.inClass(BOOTP_CLASS)) ex.response.addClass(BOOTP_CLASS);
}

function buildResponseFor(ex: Exchange4): void {
  if (ex.response !== null) return; // a NAK is already built
  const type = ex.query.getType();
  if (type === DHCPDISCOVER || type === DHCPREQUEST) {
    if (ex.pick !== null) leaseResponse(ex, type);
  } else if (type === DHCPINFORM) {
    const resp = makeResponse(ex, DHCPACK);
    resp.ciaddr = ex.query.ciaddr;
    // Kea's adjustRemoteAddr: a relayed INFORM without ciaddr is answered through the relay,
    // which may only broadcast it to the client.
    if (ex.query.giaddrInt !== 0 && ex.query.ciaddrInt === 0)
      resp.setFlags(resp.getFlags() | 0x8000);
    requiredClassify(ex, 0);
    appendConfiguredOptions(ex, resp, levelsOf(ex));
    ex.response = resp;
  }
}

/** OFFER (DISCOVER) or ACK (REQUEST) of the lease picked. */
function leaseResponse(ex: Exchange4, type: number): void {
  const resp = makeResponse(ex, type === DHCPDISCOVER ? DHCPOFFER : DHCPACK);
  const lease = ex.pick!.lease;
  const name = ex.name;
  if (name !== null) {
    const ascii = name.code === 12 || (name.flags & FQDN_E) === 0;
    resp.addOption(new Option(4, name.code, answerData(name, ascii)));
  }
  // The lease's address as a number, once: the pool's required classes, yiaddr, the option levels.
  const address = ipv4FromString(lease.address);
  requiredClassify(ex, address);
  appendLeaseOptions(ex, resp, lease, address);
  ex.response = resp;
  // At INFO, as Kea: one line per lease offered or given (the label is built only if written).
  const leaseLog = ex.srv.core.leaseLog;
  if (leaseLog.isEnabled("INFO")) {
    const id = type === DHCPDISCOVER ? "DHCP4_LEASE_ADVERT" : "DHCP4_LEASE_ALLOC";
    // Kea's Lease::lifetimeToText: an infinite lease is "allocated for infinity seconds".
    const lft = lease.validLifetime === INFINITY_LFT ? "infinity" : lease.validLifetime;
    leaseLog.info(id, ex, lease.address, lft);
  }
}

/**
 * Kea's requiredClassify, before the options: the classes the subnet, then the pool of the
 * address given, require (require-client-classes), tested now.
 */
function requiredClassify(ex: Exchange4, address: number): void {
  const classes = ex.srv.model.classes;
  const s = ex.subnet;
  if (classes === null || s === null) return;
  const q = ex.query;
  // Kea: the shared network's required classes first, then the subnet's, then the pool's.
  const net = s.network;
  if (net !== null && net.requiredClasses.length > 0) {
    classes.classifyRequired(q, net.requiredClasses);
  }
  if (s.requiredClasses.length > 0) classes.classifyRequired(q, s.requiredClasses);
  const pool = address === 0 ? undefined : s.poolFor(address);
  if (pool !== undefined && pool.requiredClasses.length > 0) {
    classes.classifyRequired(q, pool.requiredClasses);
  }
}

/** The fields and options every response of this query carries (NAK included). */
export function makeResponse(ex: Exchange4, type: number): Pkt4 {
  const q = ex.query;
  const model = ex.srv.model;
  // DHCPv4-over-DHCPv6: the response is a Pkt4o6 too (Kea's initResponse4o6).
  const r =
    q instanceof Pkt4o6
      ? q.createResponse(type, model.optionDefs)
      : Pkt4.create(type, q.transid, model.optionDefs);
  r.setOp(BOOTREPLY);
  r.setHWAddr(q.getHWAddr());
  r.setFlags(q.getFlags());
  r.giaddrInt = q.giaddrInt;
  r.setHops(q.getHops());
  r.iface = q.iface;
  r.ifindex = q.ifindex;
  r.link = q.link; // the frame's hardware addresses, as Kea's copyDefaultFields
  r.addOption(addressOption(DHO.DHCP_SERVER_IDENTIFIER, ex.serverId));
  if (model.echoClientId) {
    const cid = q.getOption(DHO.DHCP_CLIENT_IDENTIFIER);
    if (cid !== undefined) r.addOption(cid);
  }
  const rai = q.getOption(DHO.DHCP_AGENT_OPTIONS);
  if (rai !== undefined && q.giaddrInt !== 0) r.addOption(subOptionsByCode(rai));
  return r;
}

/**
 * The relay agent information echoed with its sub-options in the order of their codes, as Kea
 * keeps and packs them (a map by code); the option itself when they already are.
 */
function subOptionsByCode(rai: Option): Option {
  const subs = rai.getOptions();
  let sorted = true;
  for (let i = 1; i < subs.length && sorted; i++) sorted = subs[i - 1]!.type <= subs[i]!.type;
  if (sorted) return rai;
  const copy = new Option(4, rai.type, rai.getData());
  const order = subs.map((o, i) => ({ o, i }));
  order.sort((a, b) => a.o.type - b.o.type || a.i - b.i);
  for (const e of order) copy.addOption(e.o);
  return copy;
}

function appendLeaseOptions(ex: Exchange4, r: Pkt4, lease: Lease4, address: number): void {
  const subnet = ex.subnet!;
  r.yiaddrInt = address;
  if (ex.query.getType() === DHCPREQUEST && ex.query.ciaddrInt !== 0) r.ciaddr = ex.query.ciaddr;
  const host = ex.host;
  // Kea's setFixedFields: the reservation's, else the first class's, else the subnet's.
  const classes = ex.srv.model.classes;
  const cls = classes !== null && classes.hasBootFields ? classes.bootFields(ex.query) : null;
  const next = host?.nextServer || cls?.nextServer || subnet.nextServer;
  if (next !== 0) r.siaddrInt = next;
  const sname = host?.serverHostname || cls?.serverHostname || subnet.serverHostname;
  if (sname !== "") r.sname = sname;
  const file = host?.bootFileName || cls?.bootFileName || subnet.bootFileName;
  if (file !== "") r.file = file;
  r.addOption(uint32Option(DHO.DHCP_LEASE_TIME, lease.validLifetime));
  const [t1, t2] = teeTimes(subnet, lease.validLifetime);
  if (t1 > 0) r.addOption(uint32Option(DHO.DHCP_RENEWAL_TIME, t1));
  if (t2 > 0) r.addOption(uint32Option(DHO.DHCP_REBINDING_TIME, t2));
  r.addOption(uint32Option(DHO.SUBNET_MASK, subnet.mask));
  const levels = levelsOf(ex, address);
  appendConfiguredOptions(ex, r, levels);
  for (const code of BASIC_OPTIONS) addConfiguredOption(r, levels, code, ex.query.classes);
}

/**
 * The options the client asked for (parameter request list) plus always-send ones, each from
 * the most specific level that has it: reservation, pool, subnet, classes, global; then the
 * sub-options of option 125 (Kea's appendRequestedVendorOptions, with a subnet only).
 */
function appendConfiguredOptions(ex: Exchange4, r: Pkt4, levels: readonly CfgOption[]): void {
  const q = ex.query;
  const classes = q.classes;
  const prl = q.getNonCopiedOption(DHO.DHCP_PARAMETER_REQUEST_LIST);
  const requested = prl === undefined ? EMPTY : prl.getData();
  for (let i = 0; i < requested.length; i++) addConfiguredOption(r, levels, requested[i]!, classes);
  addAlwaysSendOptions(r, levels, classes);
  if (ex.subnet === null) return;
  // The enterprise: the one of the 125 the response has (configured), else the client's.
  const request = vendorOptionOf(q, DHO.VIVSO_SUBOPTIONS);
  const current = vendorOptionOf(r, DHO.VIVSO_SUBOPTIONS) ?? request;
  if (current !== undefined) {
    addVendorOptions(r, levels, 4, current.getVendorId(), request, classes);
  }
}

/**
 * The option levels of this response; the pool is the one of the lease picked (at `address`,
 * 0 when none).
 */
function levelsOf(ex: Exchange4, address = 0): CfgOption[] {
  const s = ex.subnet;
  const pool = s === null || address === 0 ? undefined : s.poolFor(address);
  const model = ex.srv.model;
  return optionLevels(ex.query, ex.host, pool, s, model.classes, model.globalOptions);
}

/** T1/T2: configured timers when below the lifetime, else calculated when enabled (Kea v4). */
export function teeTimes(s: Subnet4, valid: number): [number, number] {
  let t2 = 0;
  let t1 = 0;
  if (s.rebindTimer !== undefined) t2 = s.rebindTimer;
  else if (s.calculateTeeTimes) t2 = Math.floor(valid * s.t2Percent);
  if (s.renewTimer !== undefined) t1 = s.renewTimer;
  else if (s.calculateTeeTimes) t1 = Math.floor(valid * s.t1Percent);
  if (t2 >= valid) t2 = 0;
  if (t1 >= (t2 > 0 ? t2 : valid)) t1 = 0;
  return [t1, t2];
}

/**
 * The options every response carries with a 4-byte value (lease time, T1, T2, subnet mask,
 * server identifier): one Option per code and value, shared by the responses, as the configured
 * options are shared. An option of a response is never written in place: the server replaces
 * options rather than changing them, and a callout gets a copy of what it retrieves (copy on
 * retrieve). Bounded: emptied when it holds too many values (adaptive lease times, many server
 * addresses).
 */
const UINT32_OPTIONS = new Map<number, Option>();
const UINT32_OPTIONS_MAX = 1024;

function uint32Option(code: number, value: number): Option {
  const v = value >>> 0;
  // code (8 bits) above the value (32 bits): an exact key below 2^53.
  const key = code * 0x100000000 + v;
  let o = UINT32_OPTIONS.get(key);
  if (o === undefined) {
    if (UINT32_OPTIONS.size >= UINT32_OPTIONS_MAX) UINT32_OPTIONS.clear();
    const d = Buffer.alloc(4);
    d.writeUInt32BE(v, 0);
    o = new Option(4, code, d);
    UINT32_OPTIONS.set(key, o);
  }
  return o;
}

function addressOption(code: number, addr: string): Option {
  return uint32Option(code, addr === "" ? 0 : ipv4FromString(addr));
}
