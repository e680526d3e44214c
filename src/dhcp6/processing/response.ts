/**
 * The DHCPv6 response: the ADVERTISE or REPLY with its identifiers and one IA per IA of the
 * query, the client's name (option 39), then the timers, the summary status, the required
 * classes and the configured options.
 */
import { DHCPv6MessageType as M, D6O } from "../../dhcp/constants.ts";
import { Option } from "../../dhcp/option.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "../../dhcp/option6-ia.ts";
import { Option6StatusCode, StatusCode } from "../../dhcp/option6-status-code.ts";
import { Pkt6 } from "../../dhcp/pkt6.ts";
import type { CfgOption } from "../../dhcpsrv/model/cfg-option.ts";
import { LeaseType6 } from "../../dhcpsrv/leases/lease6.ts";
import type { PdPool6, Pool6, Subnet6 } from "../../dhcpsrv/model/subnet6.ts";
import {
  ClientNameParams,
  answerData,
  fqdnOption,
  setGenerated,
} from "../../dhcpsrv/processing/client-name.ts";
import {
  addAlwaysSendOptions,
  addConfiguredOption,
  addVendorOptions,
  optionLevels,
  vendorOptionOf,
} from "../../dhcpsrv/processing/option-levels.ts";
import { type Exchange6, IaWork } from "../exchange.ts";
import { addPdExcludes, addressNumber, hintsOf, setTeeTimes } from "./ia-options.ts";

const { IA_NA, IA_PD } = LeaseType6;

/** The ADVERTISE (SOLICIT without rapid commit) or REPLY, with an empty IA per IA of the query. */
export function buildResponse(ex: Exchange6): void {
  const q = ex.query;
  const type = ex.fake ? M.DHCPV6_ADVERTISE : M.DHCPV6_REPLY;
  const r = Pkt6.create(type, q.transid, ex.srv.model.optionDefs);
  r.copyRelayInfo(q);
  r.iface = q.iface;
  r.ifindex = q.ifindex;
  const cid = q.getNonCopiedOption(D6O.CLIENTID);
  if (cid !== undefined) r.addOption(cid);
  r.addOption(ex.srv.serverIdOption);
  ex.response = r;
  if (ex.useMulticast) {
    r.addOption(Option6StatusCode.create(StatusCode.UseMulticast, "Please use multicast"));
    return;
  }
  if (ex.rapidCommit) r.addOption(new Option(6, D6O.RAPID_COMMIT));
  const qt = q.getType();
  if (qt === M.DHCPV6_CONFIRM || qt === M.DHCPV6_INFORMATION_REQUEST) return;
  // The IA_NAs, then the IA_PDs (DECLINE is about addresses only, RFC 8415 section 18.3.8),
  // each in the query's order, as Kea walks the query's options (by code); read by code, the
  // query's other options are not made into objects for it.
  for (const code of IA_CODES) {
    if (code === D6O.IA_PD && qt === M.DHCPV6_DECLINE) continue;
    for (const opt of q.getNonCopiedOptions(code)) {
      if (!(opt instanceof Option6IA)) continue;
      const rsp = Option6IA.create(code, opt.getIAID());
      r.addOption(rsp);
      ex.ias.push(new IaWork(opt, code === D6O.IA_PD ? IA_PD : IA_NA, rsp, hintsOf(opt)));
    }
  }
}

const IA_CODES = [D6O.IA_NA, D6O.IA_PD] as const;

/**
 * Kea's processClientFqdn, before the leases: option 39 answered (SOLICIT, REQUEST, RENEW,
 * REBIND), and its name for the leases.
 */
export function answerFqdn(ex: Exchange6): void {
  if (ex.useMulticast || ex.fqdn === null) return;
  const qt = ex.query.getType();
  if (
    qt === M.DHCPV6_SOLICIT ||
    qt === M.DHCPV6_REQUEST ||
    qt === M.DHCPV6_RENEW ||
    qt === M.DHCPV6_REBIND
  ) {
    const params = ex.subnet === null ? ClientNameParams.DEFAULT : ex.subnet.clientNames;
    ex.name = fqdnOption(true, ex.fqdn, ex.host === undefined ? "" : ex.host.hostname, params);
  }
}

/** Timers of every IA, the summary status of a RELEASE, and the configured options. */
export function finishResponse(ex: Exchange6): void {
  const r = ex.response!;
  if (ex.useMulticast) return;
  const s = ex.subnet;
  for (const w of ex.ias) if (s !== null) setTeeTimes(w.rsp, s);
  if (s !== null && s.hasPdExclude && PD_EXCLUDE_MESSAGES.has(ex.query.getType())) {
    if (requestedInOro(ex.query, D6O.PD_EXCLUDE)) {
      for (const w of ex.ias) if (w.type === IA_PD) addPdExcludes(w, s);
    }
  }
  if (ex.query.getType() === M.DHCPV6_RELEASE) {
    r.addOption(
      Option6StatusCode.create(ex.generalStatus, "Summary status for all processed IA_NAs"),
    );
  }
  requiredClassify(ex);
  const name = ex.name;
  if (name !== null) {
    if (name.hostname === "" && !ex.fake) generateName(ex);
    r.addOption(new Option(6, D6O.CLIENT_FQDN, answerData(name, false)));
  }
  appendRequestedOptions(ex, r);
  relaySupplied(ex, r);
}

/** Option 66, RSOO (RFC 6422). */
const RSOO = 66;

/**
 * Kea's processRSOO, once the server's own options are in: the options relays supplied in their
 * RSOO that `relay-supplied-options` enables, unless the response already has one of that code;
 * relay by relay from the one closest to the client, each RSOO's options by code.
 */
function relaySupplied(ex: Exchange6, r: Pkt6): void {
  const relays = ex.query.relayInfo;
  const enabled = ex.srv.model.rsoo;
  for (let i = relays.length - 1; i >= 0; i--) {
    const rsoo = relays[i]!.getOption(RSOO);
    if (rsoo === undefined) continue;
    const supplied = [...rsoo.getOptions()].sort((a, b) => a.getType() - b.getType());
    for (const o of supplied) {
      const code = o.getType();
      if (enabled.has(code) && r.getOption(code) === undefined) r.addOption(o);
    }
  }
}

/**
 * Kea's generateFqdn, for an empty name in the answer: from the first address of the first
 * IA_NA, when that address has a lease in the store, which gets the name ("myhost-2001-db8-
 * 1--10.", qualified); the other leases keep none. Not for an ADVERTISE.
 */
function generateName(ex: Exchange6): void {
  const leases = ex.srv.leases;
  let addr: string | undefined;
  for (const w of ex.ias) {
    if (w.type !== IA_NA) continue;
    const a = w.rsp.getOption(D6O.IAADDR);
    if (a instanceof Option6IAAddr) addr = a.getAddress();
    break;
  }
  if (addr === undefined) return;
  const stored = leases.getLease6(IA_NA, addr);
  if (stored === null) return;
  const generated = (ex.subnet?.clientNames ?? ClientNameParams.DEFAULT).generate(addr, true);
  const updated = stored.clone();
  updated.hostname = generated;
  leases.updateLease6(updated);
  // leases6_committed callouts see it too, as with Kea (lease6_select / lease6_renew did not).
  for (const l of ex.leases) {
    if (l.type === IA_NA && l.address === addr) l.hostname = generated;
  }
  setGenerated(ex.name!, generated);
}

/**
 * Kea's requiredClassify, before the options: the classes the subnet, then the pools of the
 * addresses and prefixes given, require (require-client-classes), tested now.
 */
function requiredClassify(ex: Exchange6): void {
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
  for (const w of ex.ias) {
    for (const o of w.rsp.getOptions()) {
      const pool = poolOf(s, o);
      if (pool !== undefined && pool.requiredClasses.length > 0) {
        classes.classifyRequired(q, pool.requiredClasses);
      }
    }
  }
}

/**
 * The options the client asked for (ORO) plus always-send ones, most specific level first;
 * then, for the messages Kea gives them to, the sub-options of option 17.
 */
function appendRequestedOptions(ex: Exchange6, r: Pkt6): void {
  const model = ex.srv.model;
  const s = ex.subnet;
  const q = ex.query;
  const classes = q.classes;
  // The pool of the first address or prefix given (ADVERTISE included).
  const pool = s === null ? undefined : firstPool(ex, s);
  const levels = optionLevels(q, ex.host, pool, s, model.classes, model.globalOptions);
  const oro = q.getNonCopiedOptionData(D6O.ORO);
  if (oro !== undefined) {
    for (let i = 0; i + 1 < oro.length; i += 2) {
      addConfiguredOption(r, levels, (oro[i]! << 8) | oro[i + 1]!, classes);
    }
  }
  addAlwaysSendOptions(r, levels, classes);
  if (s !== null && VENDOR_MESSAGES.has(q.getType())) appendVendorOptions(q, r, levels, classes);
}

/** The queries whose delegated prefixes Kea gives option 67 (assigned or extended). */
const PD_EXCLUDE_MESSAGES: ReadonlySet<number> = new Set([
  M.DHCPV6_SOLICIT,
  M.DHCPV6_REQUEST,
  M.DHCPV6_RENEW,
  M.DHCPV6_REBIND,
]);

/** Whether the query's ORO lists `code`. */
function requestedInOro(q: Pkt6, code: number): boolean {
  const oro = q.getNonCopiedOptionData(D6O.ORO);
  if (oro === undefined) return false;
  for (let i = 0; i + 1 < oro.length; i += 2)
    if (((oro[i]! << 8) | oro[i + 1]!) === code) return true;
  return false;
}

/** The queries whose answers Kea gives vendor sub-options. */
const VENDOR_MESSAGES: ReadonlySet<number> = new Set([
  M.DHCPV6_SOLICIT,
  M.DHCPV6_REQUEST,
  M.DHCPV6_RENEW,
  M.DHCPV6_REBIND,
  M.DHCPV6_INFORMATION_REQUEST,
]);

/**
 * Kea 2.2's appendRequestedVendorOptions (v6): the enterprise is the one of the option 17 the
 * response has, else of the client's option 17 (whose CableLabs ORO then counts), else of its
 * vendor class (option 16).
 */
function appendVendorOptions(
  q: Pkt6,
  r: Pkt6,
  levels: readonly CfgOption[],
  classes: ReadonlySet<string>,
): void {
  let vendorId = vendorOptionOf(r, D6O.VENDOR_OPTS)?.getVendorId() ?? 0;
  let request;
  if (vendorId === 0) {
    request = vendorOptionOf(q, D6O.VENDOR_OPTS);
    if (request !== undefined) vendorId = request.getVendorId();
  }
  if (vendorId === 0) {
    const vc = q.getNonCopiedOptionData(D6O.VENDOR_CLASS);
    if (vc !== undefined && vc.length >= 4) vendorId = vc.readUInt32BE(0);
  }
  if (vendorId !== 0) addVendorOptions(r, levels, 6, vendorId, request, classes);
}

/** The pool of an address or prefix granted (valid lifetime above 0), if the option is one. */
function poolOf(s: Subnet6, o: unknown): Pool6 | PdPool6 | undefined {
  if (o instanceof Option6IAAddr && o.getValid() > 0) return s.poolFor(addressNumber(o));
  if (o instanceof Option6IAPrefix && o.getValid() > 0)
    return s.pdPoolFor(addressNumber(o), o.getLength());
  return undefined;
}

function firstPool(ex: Exchange6, s: Subnet6): Pool6 | PdPool6 | undefined {
  for (const w of ex.ias) {
    for (const o of w.rsp.getOptions()) {
      if ((o instanceof Option6IAAddr || o instanceof Option6IAPrefix) && o.getValid() > 0)
        return poolOf(s, o);
    }
  }
  return undefined;
}
