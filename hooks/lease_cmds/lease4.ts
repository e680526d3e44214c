/** The DHCPv4 commands of lease_cmds, on nestor-dhcp4's lease store and subnets. */
import type { ControlAnswer, JsonObject, JsonValue, StatsManager } from "nestor/hooks";
import { HWAddr, ipv4FromString } from "nestor/dhcp";
import { Lease4, LeaseState, type Dhcp4ServerAccess } from "nestor/dhcp4";
import {
  answer,
  byParameter,
  hostnameParameter,
  leaseList,
  pageParameters,
  queryParameters,
  RESULT_EMPTY,
  RESULT_SUCCESS,
  resendDdns,
  subnetList,
  wipeSubnet,
  type Handler,
} from "./common.ts";
import { commit } from "./common.ts";
import {
  colonHex,
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

/** A lease as Kea's Lease4::toElement gives it. */
export function lease4ToJson(l: Lease4): JsonObject {
  const out: JsonObject = {
    "ip-address": l.address,
    "hw-address": l.hwaddr === null ? "" : colonHex(l.hwaddr.hwaddr),
    "valid-lft": l.validLifetime,
    cltt: l.cltt,
    "subnet-id": l.subnetId,
    "fqdn-fwd": l.fqdnFwd,
    "fqdn-rev": l.fqdnRev,
    hostname: l.hostname,
    state: l.state,
  };
  if (l.clientId !== null) out["client-id"] = colonHex(l.clientId);
  if (l.userContext !== null) out["user-context"] = l.userContext;
  return out;
}

/** A lease from the arguments of lease4-add / lease4-update (Kea's Lease4Parser). */
export function parseLease4(
  server: Dhcp4ServerAccess,
  args: JsonObject,
  now: number,
): { lease: Lease4; forceCreate: boolean } {
  const addr = getAddress(args, "ip-address");
  if (addr.family !== 4) fail(`Non-IPv4 address specified: ${addr.text}`);
  const hw = decodeColonHex(getString(args, "hw-address"));
  const n = ipv4FromString(addr.text);
  let subnetId = 0;
  if (Object.hasOwn(args, "subnet-id")) subnetId = getUint32(args, "subnet-id");
  let subnet;
  if (subnetId !== 0) {
    subnet = server.getSubnet(subnetId);
    if (subnet === undefined) {
      fail(`Invalid subnet-id: No IPv4 subnet with subnet-id=${subnetId} currently configured.`);
    }
    if (!subnet.inRange(n)) {
      fail(
        `The address ${addr.text} does not belong to subnet ${subnet.toText()}, subnet-id=${subnetId}`,
      );
    }
  } else {
    subnet = server.subnetFor(n);
    if (subnet === undefined) {
      fail(`subnet-id not specified and failed to find a subnet for address ${addr.text}`);
    }
    subnetId = subnet.id;
  }
  let clientId: Buffer | null = null;
  if (Object.hasOwn(args, "client-id")) clientId = decodeIdentifier(getString(args, "client-id"));
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
  const state = Object.hasOwn(args, "state") ? getUint8(args, "state") : 0;
  if (state > LeaseState.EXPIRED_RECLAIMED) {
    fail(
      `Invalid state value: ${state}, supported values are: 0 (default), 1 (declined) and 2 (expired-reclaimed)`,
    );
  }
  const context = userContext(args);
  const forceCreate = Object.hasOwn(args, "force-create")
    ? getBoolean(args, "force-create")
    : false;
  const lease = new Lease4({
    address: addr.text,
    hwaddr: new HWAddr(hw),
    clientId,
    validLifetime: valid,
    cltt,
    subnetId,
    fqdnFwd,
    fqdnRev,
    hostname,
    state,
    userContext: context,
  });
  return { lease, forceCreate };
}

// ---- statistics, as Kea's lease_cmds keeps them -------------------------------------------------

function subnetStat(id: number, name: string): string {
  return `subnet[${id}].${name}`;
}

/**
 * Where a lease counts: its subnet, and the pool holding its address as Kea 3 names it
 * (`subnet[id].pool[pid].`, pid its `pool-id`) when one does.
 */
function scopes(server: Dhcp4ServerAccess, lease: Lease4): string[] {
  const subnet = `subnet[${lease.subnetId}].`;
  const pool = server.getSubnet(lease.subnetId)?.poolOfAddress(lease.address, lease.poolId);
  return pool === undefined ? [subnet] : [subnet, `${subnet}pool[${pool.statsId}].`];
}

function addIn(stats: StatsManager, where: string[], name: string, delta: number): void {
  for (const prefix of where) stats.addValue(prefix + name, delta);
}

function count(stats: StatsManager, server: Dhcp4ServerAccess, lease: Lease4, delta: number): void {
  if (lease.state === LeaseState.EXPIRED_RECLAIMED) return;
  const where = scopes(server, lease);
  addIn(stats, where, "assigned-addresses", delta);
  if (lease.state === LeaseState.DECLINED) {
    stats.addValue("declined-addresses", delta);
    addIn(stats, where, "declined-addresses", delta);
  }
}

function countUpdate(
  stats: StatsManager,
  server: Dhcp4ServerAccess,
  old: Lease4,
  lease: Lease4,
): void {
  const reclaimed = LeaseState.EXPIRED_RECLAIMED;
  const declined = LeaseState.DECLINED;
  if (old.state !== reclaimed) {
    const was = scopes(server, old);
    const is = scopes(server, lease);
    const moved = old.subnetId !== lease.subnetId;
    if (moved) addIn(stats, was, "assigned-addresses", -1);
    if (old.state === declined) {
      stats.addValue("declined-addresses", -1);
      addIn(stats, was, "declined-addresses", -1);
    }
    if (lease.state !== reclaimed) {
      if (moved) addIn(stats, is, "assigned-addresses", 1);
      if (lease.state === declined) {
        stats.addValue("declined-addresses", 1);
        addIn(stats, is, "declined-addresses", 1);
      }
    }
  } else if (lease.state !== reclaimed) {
    count(stats, server, lease, 1);
  }
}

// ---- the commands -------------------------------------------------------------------------------

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Finds the lease a lease4-get / lease4-del query names; null when there is none. */
function findLease(server: Dhcp4ServerAccess, args: JsonValue | undefined, verb: string) {
  const q = queryParameters(4, args);
  const leases = server.leases;
  if (q.by === "address") return leases.getLease4(q.address);
  if (q.by === "duid") fail(`${verb} by duid is not allowed in v4.`);
  if (q.by === "hw-address") {
    return leases.getLease4ByHwAddr(decodeColonHex(q.identifier), q.subnetId);
  }
  return leases.getLease4ByClientId(decodeIdentifier(q.identifier), q.subnetId);
}

export function commands4(
  server: Dhcp4ServerAccess,
  stats: () => StatsManager,
): Record<string, Handler> {
  const add = (args: JsonValue | undefined): ControlAnswer => {
    if (args === undefined) fail("no parameters specified for the command");
    if (!isMap(args)) fail("no parameters specified for the command");
    const { lease } = parseLease4(server, args, nowSeconds());
    const store = server.leases;
    if (!store.addLease4(lease)) fail("IPv4 lease already exists.");
    commit(store);
    count(stats(), server, lease, 1);
    return answer(
      RESULT_SUCCESS,
      `Lease for address ${lease.address}, subnet-id ${lease.subnetId} added.`,
    );
  };

  const update = (args: JsonValue | undefined): ControlAnswer => {
    if (!isMap(args)) fail("no parameters specified for lease4-update command");
    const { lease, forceCreate } = parseLease4(server, args, nowSeconds());
    const store = server.leases;
    const existing = store.getLease4(lease.address);
    if (existing === null) {
      if (!forceCreate) {
        fail(
          `failed to update the lease with address ${lease.address} either because the lease has been deleted or it has changed in the database, in both cases a retry might succeed`,
        );
      }
      if (!store.addLease4(lease)) fail(`lost race to add the lease ${lease.address}`);
      commit(store);
      count(stats(), server, lease, 1);
      return answer(RESULT_SUCCESS, "IPv4 lease added.");
    }
    const old = existing.clone();
    store.updateLease4(lease);
    commit(store);
    countUpdate(stats(), server, old, lease);
    return answer(RESULT_SUCCESS, "IPv4 lease updated.");
  };

  const get = (args: JsonValue | undefined): ControlAnswer => {
    const lease = findLease(server, args, "Query");
    if (lease === null) return answer(RESULT_EMPTY, "Lease not found.");
    return answer(RESULT_SUCCESS, "IPv4 lease found.", lease4ToJson(lease));
  };

  const del = (args: JsonValue | undefined): ControlAnswer => {
    const lease = findLease(server, args, "Delete");
    if (lease === null) return answer(RESULT_EMPTY, "IPv4 lease not found.");
    const store = server.leases;
    if (!store.deleteLease4(lease)) return answer(RESULT_EMPTY, "IPv4 lease not found.");
    commit(store);
    count(stats(), server, lease, -1);
    return answer(RESULT_SUCCESS, "IPv4 lease deleted.");
  };

  const getAll = (args: JsonValue | undefined): ControlAnswer => {
    const ids = subnetList(args);
    const store = server.leases;
    const leases =
      ids === null ? store.getAllLeases4() : ids.flatMap((id) => store.getLeases4BySubnet(id));
    return leaseList(4, leases.map(lease4ToJson));
  };

  const getPage = (args: JsonValue | undefined): ControlAnswer => {
    const { from, limit } = pageParameters(4, "lease4-get-page", args);
    const leases = server.leases.getLeases4Page(from, limit).map(lease4ToJson);
    return leaseList(4, leases, { count: leases.length });
  };

  const byHwAddress = (args: JsonValue | undefined): ControlAnswer => {
    const hw = decodeColonHex(byParameter(args, "hw-address"));
    return leaseList(4, server.leases.getLeases4ByHwAddr(hw).map(lease4ToJson));
  };

  const byClientId = (args: JsonValue | undefined): ControlAnswer => {
    const id = decodeIdentifier(byParameter(args, "client-id"));
    return leaseList(4, server.leases.getLeases4ByClientId(id).map(lease4ToJson));
  };

  const byHostname = (args: JsonValue | undefined): ControlAnswer => {
    const name = hostnameParameter(args);
    return leaseList(4, server.leases.getLeases4ByHostname(name).map(lease4ToJson));
  };

  const wipe = (args: JsonValue | undefined): ControlAnswer => {
    const id = wipeSubnet(args);
    const ids = id !== 0 ? [id] : server.subnets.map((s) => s.id).sort((a, b) => a - b);
    const store = server.leases;
    const st = stats();
    let deleted = 0;
    for (const sid of ids) {
      for (const lease of store.getLeases4BySubnet(sid)) {
        if (store.deleteLease4(lease)) {
          deleted++;
          if (lease.state === LeaseState.DECLINED) st.addValue("declined-addresses", -1);
        }
      }
      // As Kea: the wiped subnet's counters (and its pools') start again from zero.
      st.setValue(subnetStat(sid, "assigned-addresses"), 0);
      st.setValue(subnetStat(sid, "declined-addresses"), 0);
      for (const pool of server.getSubnet(sid)?.pools ?? []) {
        st.setValue(subnetStat(sid, `pool[${pool.statsId}].assigned-addresses`), 0);
        st.setValue(subnetStat(sid, `pool[${pool.statsId}].declined-addresses`), 0);
      }
    }
    commit(store);
    return answer(
      deleted > 0 ? RESULT_SUCCESS : RESULT_EMPTY,
      `Deleted ${deleted} IPv4 lease(s) from subnet(s) ${ids.join(" ")}`,
    );
  };

  return {
    "lease4-add": add,
    "lease4-update": update,
    "lease4-get": get,
    "lease4-del": del,
    "lease4-get-all": getAll,
    "lease4-get-page": getPage,
    "lease4-get-by-hw-address": byHwAddress,
    "lease4-get-by-client-id": byClientId,
    "lease4-get-by-hostname": byHostname,
    "lease4-wipe": wipe,
    "lease4-resend-ddns": (args) => resendDdns(4, args),
  };
}
