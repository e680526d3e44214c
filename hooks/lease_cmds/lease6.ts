/** The DHCPv6 commands of lease_cmds, on nestor-dhcp6's lease store and subnets. */
import type { ControlAnswer, JsonObject, JsonValue, StatsManager } from "nestor/hooks";
import { HWAddr, ipv6FromString } from "nestor/dhcp";
import { Lease6, LeaseState, LeaseType6, type Dhcp6ServerAccess } from "nestor/dhcp6";
import {
  answer,
  byParameter,
  hostnameParameter,
  leaseList,
  pageParameters,
  queryParameters,
  RESULT_EMPTY,
  RESULT_ERROR,
  RESULT_SUCCESS,
  resendDdns,
  subnetList,
  wipeSubnet,
  type Handler,
  type Query,
} from "./common.ts";
import { commit } from "./common.ts";
import {
  colonHex,
  CommandFailure,
  decodeColonHex,
  decodeIdentifier,
  fail,
  getAddress,
  getBoolean,
  getInteger,
  getString,
  getUint32,
  getUint8,
  isMap,
} from "./params.ts";
import { userContext } from "./user-context.ts";

const TYPE_NAMES = ["IA_NA", "IA_TA", "IA_PD", "V4"];

/** A lease as Kea's Lease6::toElement gives it. */
export function lease6ToJson(l: Lease6): JsonObject {
  const out: JsonObject = {
    "ip-address": l.address,
    type: TYPE_NAMES[l.type] ?? String(l.type),
    iaid: l.iaid,
    duid: colonHex(l.duid),
    "preferred-lft": l.preferredLifetime,
    "valid-lft": l.validLifetime,
    cltt: l.cltt,
    "subnet-id": l.subnetId,
    "fqdn-fwd": l.fqdnFwd,
    "fqdn-rev": l.fqdnRev,
    hostname: l.hostname,
    state: l.state,
  };
  if (l.type === LeaseType6.IA_PD) out["prefix-len"] = l.prefixLen;
  if (l.hwaddr !== null) out["hw-address"] = colonHex(l.hwaddr.hwaddr);
  if (l.userContext !== null) out["user-context"] = l.userContext;
  return out;
}

function toBig(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
}

/** A lease from the arguments of lease6-add / lease6-update / bulk apply (Kea's Lease6Parser). */
export function parseLease6(
  server: Dhcp6ServerAccess,
  args: JsonObject,
  now: number,
): { lease: Lease6; forceCreate: boolean } {
  const addr = getAddress(args, "ip-address");
  if (addr.family !== 6) fail(`Non-IPv6 address specified: ${addr.text}`);
  const duid = decodeIdentifier(getString(args, "duid"));
  if (duid.length === 0) fail("Empty DUIDs are not allowed");
  let type: number = LeaseType6.IA_NA;
  let prefixLen = 128;
  if (Object.hasOwn(args, "type")) {
    const t = getString(args, "type");
    if (t === "IA_NA") type = LeaseType6.IA_NA;
    else if (t === "IA_TA") type = LeaseType6.IA_TA;
    else if (t === "IA_PD") {
      type = LeaseType6.IA_PD;
      prefixLen = getUint8(args, "prefix-len");
    } else fail(`Incorrect lease type: ${t}, the only supported values are: na, ta and pd`);
  }
  const iaid = getUint32(args, "iaid");
  let subnetId = 0;
  if (Object.hasOwn(args, "subnet-id")) subnetId = getUint32(args, "subnet-id");
  const n = toBig(ipv6FromString(addr.text));
  let subnet;
  if (subnetId !== 0) {
    subnet = server.getSubnet(subnetId);
    if (subnet === undefined) {
      fail(`Invalid subnet-id: No IPv6 subnet with subnet-id=${subnetId} currently configured.`);
    }
    if (type !== LeaseType6.IA_PD && !subnet.inRange(n)) {
      fail(
        `The address ${addr.text} does not belong to subnet ${subnet.toText()}, subnet-id=${subnetId}`,
      );
    }
  } else {
    if (type !== LeaseType6.IA_NA) {
      fail(
        "Subnet-id is 0 or not specified. This is allowed for address leases only, not prefix leases.",
      );
    }
    subnet = server.subnetFor(n);
    if (subnet === undefined) {
      fail(`subnet-id not specified and failed to find a subnet for address ${addr.text}`);
    }
    subnetId = subnet.id;
  }
  // Kea 2.2 takes the subnet's valid lifetime, not its preferred one, when none is given.
  const preferred = Object.hasOwn(args, "preferred-lft")
    ? getUint32(args, "preferred-lft")
    : subnet.validLifetime.default;
  const valid = Object.hasOwn(args, "valid-lft")
    ? getUint32(args, "valid-lft")
    : subnet.validLifetime.default;
  let cltt = now;
  if (Object.hasOwn(args, "expire")) {
    const expire = getInteger(args, "expire");
    if (expire <= 0) fail(`expiration time must be positive for address ${addr.text}`);
    if (expire < valid) {
      fail(`expiration time must be greater than valid lifetime for address ${addr.text}`);
    }
    cltt = expire - valid;
  }
  const fqdnFwd = Object.hasOwn(args, "fqdn-fwd") ? getBoolean(args, "fqdn-fwd") : false;
  const fqdnRev = Object.hasOwn(args, "fqdn-rev") ? getBoolean(args, "fqdn-rev") : false;
  const hostname = Object.hasOwn(args, "hostname") ? getString(args, "hostname") : "";
  if ((fqdnFwd || fqdnRev) && hostname === "") {
    fail("No hostname specified and either forward or reverse fqdn was set to true.");
  }
  let hwaddr: HWAddr | null = null;
  if (Object.hasOwn(args, "hw-address")) {
    hwaddr = new HWAddr(decodeColonHex(getString(args, "hw-address")));
  }
  const state = Object.hasOwn(args, "state") ? getUint8(args, "state") : 0;
  if (state > LeaseState.EXPIRED_RECLAIMED) {
    fail(
      `Invalid state value: ${state}, supported values are: 0 (default), 1 (declined) and 2 (expired-reclaimed)`,
    );
  }
  if (type === LeaseType6.IA_PD && state === LeaseState.DECLINED) {
    fail("Invalid declined state for PD prefix.");
  }
  const context = userContext(args);
  const forceCreate = Object.hasOwn(args, "force-create")
    ? getBoolean(args, "force-create")
    : false;
  const lease = new Lease6({
    address: addr.text,
    type,
    prefixLen,
    duid,
    iaid,
    preferredLifetime: preferred,
    validLifetime: valid,
    cltt,
    subnetId,
    fqdnFwd,
    fqdnRev,
    hostname,
    hwaddr,
    state,
    userContext: context,
  });
  return { lease, forceCreate };
}

// ---- statistics, as Kea's lease_cmds keeps them -------------------------------------------------

function subnetStat(id: number, name: string): string {
  return `subnet[${id}].${name}`;
}

/** Where a lease counts: its subnet, and its pool or pd-pool as Kea 3 names it, if any. */
interface Scopes {
  all: string[];
  /** Those that count declined leases (not a pd-pool). */
  declinable: string[];
}

function scopes(server: Dhcp6ServerAccess, lease: Lease6): Scopes {
  const subnet = `subnet[${lease.subnetId}].`;
  const pool = server
    .getSubnet(lease.subnetId)
    ?.poolOfLease(lease.type, lease.address, lease.prefixLen, lease.poolId);
  if (pool === undefined) return { all: [subnet], declinable: [subnet] };
  if (pool.type === LeaseType6.IA_PD) {
    return { all: [subnet, `${subnet}pd-pool[${pool.statsId}].`], declinable: [subnet] };
  }
  const both = [subnet, `${subnet}pool[${pool.statsId}].`];
  return { all: both, declinable: both };
}

function kind(lease: Lease6): string {
  return lease.type === LeaseType6.IA_PD ? "assigned-pds" : "assigned-nas";
}

function addIn(stats: StatsManager, where: string[], name: string, delta: number): void {
  for (const prefix of where) stats.addValue(prefix + name, delta);
}

function countDeclined(stats: StatsManager, lease: Lease6, where: Scopes, delta: number): void {
  if (lease.state !== LeaseState.DECLINED) return;
  stats.addValue("declined-addresses", delta);
  addIn(stats, where.declinable, "declined-addresses", delta);
}

function count(stats: StatsManager, server: Dhcp6ServerAccess, lease: Lease6, delta: number): void {
  if (lease.state === LeaseState.EXPIRED_RECLAIMED) return;
  const where = scopes(server, lease);
  addIn(stats, where.all, kind(lease), delta);
  countDeclined(stats, lease, where, delta);
}

function countUpdate(
  stats: StatsManager,
  server: Dhcp6ServerAccess,
  old: Lease6,
  lease: Lease6,
): void {
  const reclaimed = LeaseState.EXPIRED_RECLAIMED;
  if (old.state !== reclaimed) {
    const was = scopes(server, old);
    const is = scopes(server, lease);
    const moved = old.subnetId !== lease.subnetId;
    if (moved) addIn(stats, was.all, kind(old), -1);
    countDeclined(stats, old, was, -1);
    if (lease.state !== reclaimed) {
      if (moved) addIn(stats, is.all, kind(lease), 1);
      countDeclined(stats, lease, is, 1);
    }
  } else if (lease.state !== reclaimed) {
    count(stats, server, lease, 1);
  }
}

// ---- the commands -------------------------------------------------------------------------------

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The lease a lease6-get / lease6-del query names; null when there is none. */
function findLease(server: Dhcp6ServerAccess, q: Query, verb: string): Lease6 | null {
  const leases = server.leases;
  if (q.by === "address") return leases.getLease6(q.type, q.address);
  if (q.by !== "duid") fail(`${verb} by ${q.by} is not allowed in v6.`);
  const duid = decodeIdentifier(q.identifier);
  return leases.getLeases6ByDuidIaidSubnet(q.type, duid, q.iaid, q.subnetId)[0] ?? null;
}

export function commands6(
  server: Dhcp6ServerAccess,
  stats: () => StatsManager,
): Record<string, Handler> {
  /** Adds the lease, or updates the one at its address: true when it was added. */
  const addOrUpdate = (lease: Lease6, forceCreate: boolean): boolean => {
    const store = server.leases;
    const any = findAnyType(server, lease.address);
    if (any === null) {
      if (!forceCreate) {
        fail(
          `failed to update the lease with address ${lease.address} either because the lease has been deleted or it has changed in the database, in both cases a retry might succeed`,
        );
      }
      if (!store.addLease6(lease)) fail(`lost race to add the lease ${lease.address}`);
      commit(store);
      count(stats(), server, lease, 1);
      return true;
    }
    const old = any.clone();
    store.updateLease6(lease);
    commit(store);
    countUpdate(stats(), server, old, lease);
    return false;
  };

  const add = (args: JsonValue | undefined): ControlAnswer => {
    if (!isMap(args)) fail("no parameters specified for the command");
    const { lease } = parseLease6(server, args, nowSeconds());
    const store = server.leases;
    if (!store.addLease6(lease)) fail("IPv6 lease already exists.");
    commit(store);
    count(stats(), server, lease, 1);
    const what =
      lease.type === LeaseType6.IA_PD
        ? `prefix ${lease.address}/${lease.prefixLen}`
        : `address ${lease.address}`;
    return answer(RESULT_SUCCESS, `Lease for ${what}, subnet-id ${lease.subnetId} added.`);
  };

  const update = (args: JsonValue | undefined): ControlAnswer => {
    if (!isMap(args)) fail("no parameters specified for lease6-update command");
    const { lease, forceCreate } = parseLease6(server, args, nowSeconds());
    const added = addOrUpdate(lease, forceCreate);
    return answer(RESULT_SUCCESS, added ? "IPv6 lease added." : "IPv6 lease updated.");
  };

  const get = (args: JsonValue | undefined): ControlAnswer => {
    const lease = findLease(server, queryParameters(6, args), "Query");
    if (lease === null) return answer(RESULT_EMPTY, "Lease not found.");
    return answer(RESULT_SUCCESS, "IPv6 lease found.", lease6ToJson(lease));
  };

  const remove = (lease: Lease6): boolean => {
    const store = server.leases;
    if (!store.deleteLease6(lease)) return false;
    commit(store);
    count(stats(), server, lease, -1);
    return true;
  };

  const del = (args: JsonValue | undefined): ControlAnswer => {
    const lease = findLease(server, queryParameters(6, args), "Delete");
    if (lease === null || !remove(lease)) return answer(RESULT_EMPTY, "IPv6 lease not found.");
    return answer(RESULT_SUCCESS, "IPv6 lease deleted.");
  };

  const getAll = (args: JsonValue | undefined): ControlAnswer => {
    const ids = subnetList(args);
    const store = server.leases;
    const leases =
      ids === null ? store.getAllLeases6() : ids.flatMap((id) => store.getLeases6BySubnet(id));
    return leaseList(6, leases.map(lease6ToJson));
  };

  const getPage = (args: JsonValue | undefined): ControlAnswer => {
    const { from, limit } = pageParameters(6, "lease6-get-page", args);
    const leases = server.leases.getLeases6Page(from, limit).map(lease6ToJson);
    return leaseList(6, leases, { count: leases.length });
  };

  const byDuid = (args: JsonValue | undefined): ControlAnswer => {
    const duid = decodeIdentifier(byParameter(args, "duid"));
    return leaseList(6, server.leases.getLeases6ByDuid(duid).map(lease6ToJson));
  };

  const byHostname = (args: JsonValue | undefined): ControlAnswer => {
    const name = hostnameParameter(args);
    return leaseList(6, server.leases.getLeases6ByHostname(name).map(lease6ToJson));
  };

  const wipe = (args: JsonValue | undefined): ControlAnswer => {
    const id = wipeSubnet(args);
    const ids = id !== 0 ? [id] : server.subnets.map((s) => s.id).sort((a, b) => a - b);
    const store = server.leases;
    const st = stats();
    let deleted = 0;
    for (const sid of ids) {
      for (const lease of store.getLeases6BySubnet(sid)) {
        if (store.deleteLease6(lease)) {
          deleted++;
          if (lease.state === LeaseState.DECLINED) st.addValue("declined-addresses", -1);
        }
      }
      // As Kea: the wiped subnet's counters start again from zero.
      st.setValue(subnetStat(sid, "assigned-nas"), 0);
      st.setValue(subnetStat(sid, "assigned-pds"), 0);
      st.setValue(subnetStat(sid, "declined-addresses"), 0);
      const subnet = server.getSubnet(sid);
      for (const pool of subnet?.pools ?? []) {
        st.setValue(subnetStat(sid, `pool[${pool.statsId}].assigned-nas`), 0);
        st.setValue(subnetStat(sid, `pool[${pool.statsId}].declined-addresses`), 0);
      }
      for (const pool of subnet?.pdPools ?? []) {
        st.setValue(subnetStat(sid, `pd-pool[${pool.statsId}].assigned-pds`), 0);
      }
    }
    commit(store);
    return answer(
      deleted > 0 ? RESULT_SUCCESS : RESULT_EMPTY,
      `Deleted ${deleted} IPv6 lease(s) from subnet(s) ${ids.join(" ")}`,
    );
  };

  const bulkApply = (args: JsonValue | undefined): ControlAnswer => {
    if (!isMap(args)) fail("Command arguments missing or a not a map.");
    const leases = args.leases;
    const deleted = args["deleted-leases"];
    if (leases === undefined && deleted === undefined) {
      fail("neither 'deleted-leases' nor 'leases' parameter specified");
    }
    if (deleted !== undefined && !Array.isArray(deleted)) {
      fail("the 'deleted-leases' parameter must be a list");
    }
    if (leases !== undefined && !Array.isArray(leases)) {
      fail("the 'leases' parameter must be a list");
    }
    // Everything is parsed first: one malformed lease fails the command, and nothing changes.
    const toDelete = (deleted ?? []).map((p) => queryParameters(6, p));
    const now = nowSeconds();
    const toApply = (leases ?? []).map((p) => {
      if (!isMap(p)) fail("lease information not specified");
      return parseLease6(server, p, now).lease;
    });
    let done = 0;
    const failedDeleted: JsonObject[] = [];
    for (const q of toDelete) {
      const address = q.by === "address" ? q.address : "::";
      try {
        const lease = findLease(server, q, "Delete");
        if (lease !== null && remove(lease)) {
          done++;
        } else {
          failedDeleted.push(failure(q.type, address, null, RESULT_EMPTY, "lease not found"));
        }
      } catch (err) {
        failedDeleted.push(failure(q.type, address, null, RESULT_ERROR, messageOf(err)));
      }
    }
    const failed: JsonObject[] = [];
    for (const lease of toApply) {
      try {
        addOrUpdate(lease, true);
        done++;
      } catch (err) {
        const result = err instanceof CommandFailure ? err.result : RESULT_ERROR;
        failed.push(failure(lease.type, lease.address, lease.duid, result, messageOf(err)));
      }
    }
    const text = `Bulk apply of ${done} IPv6 leases completed.`;
    const result = done > 0 ? RESULT_SUCCESS : RESULT_EMPTY;
    if (failedDeleted.length === 0 && failed.length === 0) return answer(result, text);
    return answer(result, text, {
      "failed-deleted-leases": failedDeleted,
      "failed-leases": failed,
    });
  };

  return {
    "lease6-add": add,
    "lease6-update": update,
    "lease6-bulk-apply": bulkApply,
    "lease6-get": get,
    "lease6-del": del,
    "lease6-get-all": getAll,
    "lease6-get-page": getPage,
    "lease6-get-by-duid": byDuid,
    "lease6-get-by-hostname": byHostname,
    "lease6-wipe": wipe,
    "lease6-resend-ddns": (args) => resendDdns(6, args),
  };
}

/** The lease at an address whatever its type (leases are keyed by address alone). */
function findAnyType(server: Dhcp6ServerAccess, address: string): Lease6 | null {
  const store = server.leases;
  for (const t of [LeaseType6.IA_NA, LeaseType6.IA_TA, LeaseType6.IA_PD]) {
    const l = store.getLease6(t, address);
    if (l !== null) return l;
  }
  return null;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One entry of bulk apply's failed lists (Kea's createFailedLeaseMap). */
function failure(
  type: number,
  address: string,
  duid: Uint8Array | null,
  result: number,
  message: string,
): JsonObject {
  const out: JsonObject = { type: TYPE_NAMES[type] ?? String(type), "ip-address": address };
  if (duid !== null) out.duid = colonHex(duid);
  out.result = result;
  if (message !== "") out["error-message"] = message;
  return out;
}
