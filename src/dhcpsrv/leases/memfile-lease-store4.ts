/**
 * Kea's memfile lease database for DHCPv4: every lease in memory, indexed for the server's
 * lookups, and an append-only CSV lease file in Kea's format (csv-lease-file4.ts) that Kea 2.2
 * and Nestor can each load from the other.
 *
 * Configuration (Kea's `lease-database` map with `"type": "memfile"`):
 *   name            lease file path (default /var/lib/nestor/kea-leases4.csv)
 *   persist         false keeps leases in memory only (default true)
 *   lfc-interval    seconds between lease file cleanups, 0 = never (default 3600)
 *   max-row-errors  bad rows tolerated per file when loading, 0 = no limit (default 0)
 *
 * Loading at open replays the files in Kea's order (lease-files.ts). A file whose header is not
 * Kea 2.2's (an older Kea, or Kea 3's `pool_id`) is converted by a cleanup at start-up, as Kea
 * does; Nestor never appends its rows below another header. Writes are group-committed (see
 * lease-store.ts): `flush()` appends everything queued with one write.
 */
import type { HWAddr } from "../../dhcp/hwaddr.ts";
import { tryParseIPv4 } from "../../dhcp/ioaddress.ts";
import { InvalidOperation } from "../../util/errors.ts";
import { formatLease4Row } from "./csv-lease-file4.ts";
import { INFINITY_LFT, Lease4, LeaseState } from "./lease4.ts";
import { LeaseExpiryQueue } from "./lease-expiry-queue.ts";
import { SortedIndex } from "./sorted-index.ts";
import { addToSubnet, moveToSubnet } from "./subnet-order.ts";
import { loadLeaseFiles4 } from "./lease-files4.ts";
import {
  JournaledLeaseStore,
  LeaseJournal,
  type MemfileConfig,
  type MemfileHooks,
} from "./lease-journal.ts";
import { type LeaseStatsRow, type LeaseStore4, NoSuchLease } from "./lease-store4.ts";
import type { LeaseWatcher } from "./lease-store.ts";

export const DEFAULT_LEASE_FILE4 = "/var/lib/nestor/kea-leases4.csv";
export { DEFAULT_LFC_INTERVAL } from "./lease-journal.ts";
export type { MemfileConfig, MemfileHooks } from "./lease-journal.ts";

/** The store's record of a lease: the lease and the index keys it was filed under. */
class Entry {
  lease: Lease4;
  /** addressKey() of the lease's address. */
  readonly key: number;
  /** Hex of the hardware address, "" when none. */
  hwKey: string;
  /** Hex of the client identifier, "" when none. */
  cidKey: string;
  /** The hostname, "" when none. */
  hostKey: string;
  subnetId: number;
  state: number;
  /** Bumped on every change and on removal: older expiry queue entries become stale. */
  version = 0;

  constructor(lease: Lease4, key: number) {
    this.lease = lease;
    this.key = key;
    this.hwKey = hwKeyOf(lease);
    this.cidKey = lease.clientId === null ? "" : lease.clientId.toString("hex");
    this.hostKey = lease.hostname;
    this.subnetId = lease.subnetId;
    this.state = lease.state;
  }
}

type Bucket = Entry | Entry[];

/**
 * An index keyed by subnet id then by the hex of an identifier (hardware address or client id):
 * flat strings from Buffer#toString, no concatenated key to hash on every lookup.
 */
type SubnetIndex = Map<number, Map<string, Bucket>>;

function hwKeyOf(lease: Lease4): string {
  const hw = lease.hwaddr;
  return hw === null || hw.hwaddr.length === 0 ? "" : hw.hwaddr.toString("hex");
}

function hexOf(bytes: Uint8Array): string {
  return (
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  ).toString("hex");
}

function bucketAdd(index: SubnetIndex, subnetId: number, key: string, e: Entry): void {
  if (key === "") return;
  let map = index.get(subnetId);
  if (map === undefined) index.set(subnetId, (map = new Map()));
  const cur = map.get(key);
  if (cur === undefined) map.set(key, e);
  else if (cur instanceof Entry) map.set(key, [cur, e]);
  else cur.push(e);
}

function bucketRemove(index: SubnetIndex, subnetId: number, key: string, e: Entry): void {
  if (key === "") return;
  const map = index.get(subnetId);
  const cur = map?.get(key);
  if (cur === e) {
    map!.delete(key);
  } else if (Array.isArray(cur)) {
    const i = cur.indexOf(e);
    if (i >= 0) cur.splice(i, 1);
    if (cur.length === 1) map!.set(key, cur[0]!);
  }
}

function plainAdd(index: Map<string, Bucket>, key: string, e: Entry): void {
  if (key === "") return;
  const cur = index.get(key);
  if (cur === undefined) index.set(key, e);
  else if (cur instanceof Entry) index.set(key, [cur, e]);
  else cur.push(e);
}

function plainRemove(index: Map<string, Bucket>, key: string, e: Entry): void {
  if (key === "") return;
  const cur = index.get(key);
  if (cur === e) {
    index.delete(key);
  } else if (Array.isArray(cur)) {
    const i = cur.indexOf(e);
    if (i >= 0) cur.splice(i, 1);
    if (cur.length === 1) index.set(key, cur[0]!);
  }
}

/**
 * Every lease of one identifier in every subnet: subnet by subnet in id order, as Kea. Read from
 * the per-subnet index (a lease_cmds query, not the packet path): no second index to keep up.
 */
function inSubnetOrder(index: SubnetIndex, key: string): Lease4[] {
  const ids: number[] = [];
  for (const [id, map] of index) if (map.has(key)) ids.push(id);
  if (ids.length > 1) ids.sort((a, b) => a - b);
  const out: Lease4[] = [];
  for (const id of ids) for (const l of bucketAll(index.get(id)!.get(key))) out.push(l);
  return out;
}

/** The unsigned address: the order of the page queries. */
function orderKey(e: Entry): number {
  return e.key >>> 0;
}

function compareNumbers(a: number, b: number): number {
  return a - b;
}

function bucketOf(index: SubnetIndex, subnetId: number, bytes: Uint8Array): Bucket | undefined {
  return index.get(subnetId)?.get(hexOf(bytes));
}

function bucketFirst(b: Bucket | undefined): Lease4 | null {
  if (b === undefined) return null;
  return b instanceof Entry ? b.lease : b[0]!.lease;
}

function bucketAll(b: Bucket | undefined): Lease4[] {
  if (b === undefined) return [];
  return b instanceof Entry ? [b.lease] : b.map((e) => e.lease);
}

/**
 * The address as a signed 32-bit number: a small integer to V8, which a Map hashes faster than
 * an unsigned number above 2^31. NaN (never a key) for text that is not an address.
 */
/** When a lease is due for reclamation; null when never (infinite, or already reclaimed). */
function expiryOf(e: Entry): number | null {
  if (e.state === LeaseState.EXPIRED_RECLAIMED) return null;
  return e.lease.validLifetime === INFINITY_LFT ? null : e.lease.expire;
}

function addressKey(address: string | number): number {
  if (typeof address === "number") return address | 0;
  const n = tryParseIPv4(address);
  return n < 0 ? Number.NaN : n | 0;
}

export class MemfileLeaseStore4 extends JournaledLeaseStore implements LeaseStore4 {
  private watcher: LeaseWatcher<Lease4> | null = null;
  private readonly byAddress = new Map<number, Entry>();
  private readonly byHwAddr: SubnetIndex = new Map();
  private readonly byClientId: SubnetIndex = new Map();
  private readonly byHostname = new Map<string, Bucket>();
  private readonly bySubnet = new Map<number, Set<Entry>>();
  private readonly byOrder = new SortedIndex<number, Entry>(orderKey, compareNumbers);
  private readonly counts = new Map<number, number[]>();
  private readonly expiry = new LeaseExpiryQueue<Entry>();

  private constructor(config: MemfileConfig, hooks: MemfileHooks) {
    super(new LeaseJournal(config, hooks, 4, DEFAULT_LEASE_FILE4));
    this.journal.open(loadLeaseFiles4, (leases) => {
      for (const [key, lease] of leases) this.insert(new Entry(lease, key), false);
      this.expiry.rebuild(this.byAddress.values(), expiryOf);
      this.byOrder.rebuild(this.byAddress.values());
    });
  }

  /**
   * Opens the lease database: loads the files (throws LeaseFileFormatError when a header is bad,
   * a file has more than `max-row-errors` bad rows, or a cleanup process holds `<name>.pid`),
   * prepares the main file for appends and starts the cleanup timer.
   */
  static open(config: MemfileConfig = {}, hooks: MemfileHooks = {}): MemfileLeaseStore4 {
    return new MemfileLeaseStore4(config, hooks);
  }

  // ---- lookups -------------------------------------------------------------------------------

  get size(): number {
    return this.byAddress.size;
  }

  getLease4(address: string | number): Lease4 | null {
    return this.byAddress.get(addressKey(address))?.lease ?? null;
  }

  getLease4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId: number): Lease4 | null {
    return bucketFirst(bucketOf(this.byHwAddr, subnetId, hwBytes(hwaddr)));
  }

  getLeases4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId?: number): Lease4[] {
    if (subnetId === undefined) return inSubnetOrder(this.byHwAddr, hexOf(hwBytes(hwaddr)));
    return bucketAll(bucketOf(this.byHwAddr, subnetId, hwBytes(hwaddr)));
  }

  getLease4ByClientId(clientId: Uint8Array, subnetId: number): Lease4 | null {
    return bucketFirst(bucketOf(this.byClientId, subnetId, clientId));
  }

  getLeases4ByClientId(clientId: Uint8Array, subnetId?: number): Lease4[] {
    if (subnetId === undefined) return inSubnetOrder(this.byClientId, hexOf(clientId));
    return bucketAll(bucketOf(this.byClientId, subnetId, clientId));
  }

  getLeases4ByHostname(hostname: string): Lease4[] {
    return bucketAll(this.byHostname.get(hostname));
  }

  getLeases4Page(after: string | number | null, limit: number): Lease4[] {
    let from: number | null = null;
    if (after !== null) {
      const key = addressKey(after);
      if (Number.isNaN(key))
        throw new InvalidOperation(`'${String(after)}' is not an IPv4 address`);
      from = key >>> 0;
    }
    return this.byOrder.page(from, limit).map((e) => e.lease);
  }

  getLeases4BySubnet(subnetId: number): Lease4[] {
    const set = this.bySubnet.get(subnetId);
    return set === undefined ? [] : Array.from(set, (e) => e.lease);
  }

  getAllLeases4(): Lease4[] {
    return Array.from(this.byOrder.values(), (e) => e.lease);
  }

  getExpiredLeases4(now: number, max: number): Lease4[] {
    if (this.expiry.length > 2 * this.byAddress.size + 1024) {
      this.expiry.rebuild(this.byAddress.values(), expiryOf); // drop the stale entries
    }
    return this.expiry.expired(now, max).map((e) => e.lease);
  }

  countLeases4(subnetId: number, state: number): number {
    return this.counts.get(subnetId)?.[state] ?? 0;
  }

  leaseStats4(): LeaseStatsRow[] {
    const rows: LeaseStatsRow[] = [];
    for (const [subnetId, perState] of this.counts) {
      perState.forEach((count, state) => {
        if (count > 0) rows.push({ subnetId, state, count });
      });
    }
    return rows.sort((a, b) => a.subnetId - b.subnetId || a.state - b.state);
  }

  // ---- changes -------------------------------------------------------------------------------

  /**
   * Tells `watcher` of every lease added, changed or deleted from now on (the free lease queue
   * allocator keeps its queues with it); null stops.
   */
  watch(watcher: LeaseWatcher<Lease4> | null): void {
    this.watcher = watcher;
  }

  addLease4(lease: Lease4): boolean {
    const key = checkLease(lease);
    if (this.byAddress.has(key)) return false;
    const stored = lease.clone();
    const e = new Entry(stored, key);
    this.insert(e);
    this.fileExpiry(e);
    this.append(formatLease4Row(stored));
    this.watcher?.(stored, true);
    return true;
  }

  updateLease4(lease: Lease4): void {
    const key = checkLease(lease);
    const e = this.byAddress.get(key);
    if (e === undefined) throw new NoSuchLease(lease.address);
    const stored = lease.clone();
    const hw = hwKeyOf(stored);
    const cid = stored.clientId === null ? "" : stored.clientId.toString("hex");
    if (hw === e.hwKey && cid === e.cidKey && stored.subnetId === e.subnetId) {
      // A renewal: same client, same subnet; only the state count (and the name) may move.
      this.count(e.subnetId, e.state, -1);
      if (stored.hostname !== e.hostKey) {
        plainRemove(this.byHostname, e.hostKey, e);
        e.hostKey = stored.hostname;
        plainAdd(this.byHostname, e.hostKey, e);
      }
      e.lease = stored;
      e.state = stored.state;
      e.version++;
      this.count(e.subnetId, e.state, 1);
      this.fileExpiry(e);
    } else {
      this.refile(e, stored, hw, cid);
      this.fileExpiry(e);
    }
    this.append(formatLease4Row(stored));
    this.watcher?.(stored, true);
  }

  deleteLease4(lease: Lease4): boolean {
    const e = this.byAddress.get(addressKey(lease.address));
    if (e === undefined) return false;
    this.remove(e);
    this.append(formatLease4Row(e.lease, 0));
    this.watcher?.(e.lease, false);
    return true;
  }

  deleteExpiredReclaimedLeases4(now: number, secs: number): number {
    const doomed: Entry[] = [];
    for (const e of this.byAddress.values()) {
      if (e.state === LeaseState.EXPIRED_RECLAIMED && e.lease.expire < now - secs) doomed.push(e);
    }
    for (const e of doomed) {
      this.remove(e);
      this.append(formatLease4Row(e.lease, 0));
      this.watcher?.(e.lease, false);
    }
    return doomed.length;
  }

  /** Files an entry in every index (the address order too, unless the caller rebuilds it). */
  private insert(e: Entry, ordered = true): void {
    this.byAddress.set(e.key, e);
    bucketAdd(this.byHwAddr, e.subnetId, e.hwKey, e);
    bucketAdd(this.byClientId, e.subnetId, e.cidKey, e);
    plainAdd(this.byHostname, e.hostKey, e);
    if (ordered) this.byOrder.insert(e);
    addToSubnet(this.bySubnet, e.subnetId, e);
    this.count(e.subnetId, e.state, 1);
  }

  /**
   * Files a changed lease again under its new keys, in place: the address order is untouched and
   * the subnet's order moves as Kea's does (subnet-order.ts).
   */
  private refile(e: Entry, stored: Lease4, hw: string, cid: string): void {
    const sid = stored.subnetId;
    if (hw !== e.hwKey || sid !== e.subnetId) {
      bucketRemove(this.byHwAddr, e.subnetId, e.hwKey, e);
      bucketAdd(this.byHwAddr, sid, hw, e);
    }
    if (cid !== e.cidKey || sid !== e.subnetId) {
      bucketRemove(this.byClientId, e.subnetId, e.cidKey, e);
      bucketAdd(this.byClientId, sid, cid, e);
    }
    if (stored.hostname !== e.hostKey) {
      plainRemove(this.byHostname, e.hostKey, e);
      plainAdd(this.byHostname, stored.hostname, e);
    }
    this.count(e.subnetId, e.state, -1);
    if (sid !== e.subnetId) moveToSubnet(this.bySubnet, e, e.subnetId, sid);
    e.hwKey = hw;
    e.cidKey = cid;
    e.hostKey = stored.hostname;
    e.subnetId = sid;
    e.lease = stored;
    e.state = stored.state;
    e.version++;
    this.count(sid, e.state, 1);
  }

  private remove(e: Entry): void {
    e.version++;
    this.byAddress.delete(e.key);
    bucketRemove(this.byHwAddr, e.subnetId, e.hwKey, e);
    bucketRemove(this.byClientId, e.subnetId, e.cidKey, e);
    plainRemove(this.byHostname, e.hostKey, e);
    this.byOrder.remove(e);
    this.bySubnet.get(e.subnetId)?.delete(e);
    this.count(e.subnetId, e.state, -1);
  }

  private fileExpiry(e: Entry): void {
    const expire = expiryOf(e);
    if (expire !== null) this.expiry.push(expire, e);
    // Without reclamation queries stale entries would pile up: bound them here too.
    if (this.expiry.length > 4 * this.byAddress.size + 4096) {
      this.expiry.rebuild(this.byAddress.values(), expiryOf);
    }
  }

  private count(subnetId: number, state: number, delta: number): void {
    let perState = this.counts.get(subnetId);
    if (perState === undefined) this.counts.set(subnetId, (perState = []));
    perState[state] = (perState[state] ?? 0) + delta;
  }

  // ---- lease file --------------------------------------------------------------------------

  private append(row: string): void {
    this.journal.append(row);
  }
}

function hwBytes(hwaddr: HWAddr | Uint8Array): Uint8Array {
  return hwaddr instanceof Uint8Array ? hwaddr : hwaddr.hwaddr;
}

/** Refuses leases a lease file could not hold; returns the address key. */
function checkLease(lease: Lease4): number {
  const key = addressKey(lease.address);
  if (Number.isNaN(key)) throw new InvalidOperation(`'${lease.address}' is not an IPv4 address`);
  if (lease.validLifetime <= 0) {
    // In the lease file a row with valid_lifetime 0 deletes the lease.
    throw new InvalidOperation(`lease ${lease.address} has no valid lifetime`);
  }
  const noHw = lease.hwaddr === null || lease.hwaddr.hwaddr.length === 0;
  if (noHw && lease.clientId === null && lease.state !== LeaseState.DECLINED) {
    throw new InvalidOperation(
      `lease ${lease.address} has neither hardware address nor client id and is not declined`,
    );
  }
  return key;
}
