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
import { HWAddr } from "../../dhcp/hwaddr.ts";
import { ipv4ToString, tryParseIPv4 } from "../../dhcp/ioaddress.ts";
import type { JsonObject } from "../../hooks/types.ts";
import { InvalidOperation } from "../../util/errors.ts";
import {
  type Lease4FileLayout,
  type Lease4Values,
  formatLease4Row,
  parseLease4Header,
  readLease4Row,
} from "./csv-lease-file4.ts";
import { INFINITY_LFT, Lease4, LeaseState } from "./lease4.ts";
import { latin1Of, ownedContext } from "./csv-columns.ts";
import { LeaseExpiryQueue } from "./lease-expiry-queue.ts";
import { SortedIndex } from "./sorted-index.ts";
import { addToSubnet, moveToSubnet } from "./subnet-order.ts";
import {
  type FileLoadReport,
  type LeaseFileSet,
  type LeaseRowCodec,
  type LoadOptions,
  loadLeaseFiles,
} from "./lease-files.ts";
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

/**
 * The store's record of a lease: its fields as numbers and flat strings, no Lease4, no Buffer
 * and no HWAddr per lease. Leases are made from it when asked (leaseOf), as Kea's memfile hands
 * out copies. The record is what every index files: its hardware address, client id and
 * hostname are the index keys.
 */
class Entry {
  /** addressKey() of the lease's address. */
  readonly key: number;
  /** The hardware address's bytes as latin1 (one character per byte); null without one. */
  hw: string | null;
  /** The client identifier's bytes as latin1; "" when none. */
  cid: string;
  /** As stored: "" when none. */
  hostname: string;
  userContext: JsonObject | null;
  validLifetime: number;
  cltt: number;
  subnetId: number;
  poolId: number;
  /** fqdnFwd | fqdnRev << 1 | htype << 2. */
  bits: number;
  state: number;
  /** Bumped on every change and on removal: older expiry queue entries become stale. */
  version = 0;

  constructor(v: Lease4Values) {
    this.key = v.key;
    this.hw = v.hw;
    this.cid = v.cid;
    this.hostname = v.hostname;
    this.userContext = v.userContext;
    this.validLifetime = v.validLifetime;
    this.cltt = v.cltt;
    this.subnetId = v.subnetId;
    this.poolId = v.poolId;
    this.bits = (v.fqdnFwd ? 1 : 0) | (v.fqdnRev ? 2 : 0) | ((v.hwtype & 0xffff) << 2);
    this.state = v.state;
  }

  /** The hardware address index's key: "" when none. */
  get hwKey(): string {
    return this.hw ?? "";
  }

  /** The address text; for the sanity checks at load. */
  get address(): string {
    return ipv4ToString(this.key >>> 0);
  }

  get expire(): number {
    return this.cltt + this.validLifetime;
  }
}

/** A caller's lease as a record's values, with a user context the store owns. */
function valuesOf(lease: Lease4, key: number): Lease4Values {
  const hw = lease.hwaddr;
  return {
    key,
    hw: hw === null ? null : latin1Of(hw.hwaddr),
    hwtype: hw === null ? 0 : hw.htype,
    cid: lease.clientId === null ? "" : latin1Of(lease.clientId),
    validLifetime: lease.validLifetime,
    cltt: lease.cltt,
    subnetId: lease.subnetId,
    fqdnFwd: lease.fqdnFwd,
    fqdnRev: lease.fqdnRev,
    hostname: lease.hostname,
    state: lease.state,
    userContext: ownedContext(lease.userContext),
    poolId: lease.poolId,
  };
}

/** A new Lease4 holding the record's values (its user context is the record's, not a copy). */
function leaseOf(e: Entry): Lease4 {
  const bits = e.bits;
  const lease = new Lease4({
    address: ipv4ToString(e.key >>> 0),
    hwaddr: e.hw === null ? null : new HWAddr(Buffer.from(e.hw, "latin1"), bits >>> 2),
    clientId: e.cid === "" ? null : Buffer.from(e.cid, "latin1"),
    validLifetime: e.validLifetime,
    cltt: e.cltt,
    subnetId: e.subnetId,
    poolId: e.poolId,
    fqdnFwd: (bits & 1) !== 0,
    fqdnRev: (bits & 2) !== 0,
    state: e.state,
    userContext: e.userContext,
  });
  lease.hostname = e.hostname; // as stored: the constructor would lower-case it
  return lease;
}

/** Copies a changed lease's values (`next`, a record of the same address) into its entry. */
function assign(e: Entry, next: Entry): void {
  e.hw = next.hw;
  e.cid = next.cid;
  e.hostname = next.hostname;
  e.userContext = next.userContext;
  e.validLifetime = next.validLifetime;
  e.cltt = next.cltt;
  e.subnetId = next.subnetId;
  e.poolId = next.poolId;
  e.bits = next.bits;
  e.state = next.state;
  e.version++;
}

/** Lease file rows straight into records: no Lease4, no Buffer per row. */
const ENTRY4_CODEC: LeaseRowCodec<number, Entry, Lease4FileLayout> = {
  parseHeader: parseLease4Header,
  parseRow: (row, layout) => new Entry(readLease4Row(row, layout)),
  keyOf: (e) => e.key,
  isDeletion: (e) => e.validLifetime === 0,
};

function loadEntries4(
  set: LeaseFileSet,
  options: LoadOptions,
): { leases: Map<number, Entry>; reports: FileLoadReport[] } {
  return loadLeaseFiles(set, options, ENTRY4_CODEC);
}

type Bucket = Entry | Entry[];

/**
 * An index keyed by subnet id then by the hex of an identifier (hardware address or client id):
 * flat strings from Buffer#toString, no concatenated key to hash on every lookup.
 */
type SubnetIndex = Map<number, Map<string, Bucket>>;

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
  return index.get(subnetId)?.get(latin1Of(bytes));
}

function bucketFirst(b: Bucket | undefined): Lease4 | null {
  if (b === undefined) return null;
  return leaseOf(b instanceof Entry ? b : b[0]!);
}

function bucketAll(b: Bucket | undefined): Lease4[] {
  if (b === undefined) return [];
  return b instanceof Entry ? [leaseOf(b)] : b.map(leaseOf);
}

/** When a lease is due for reclamation; null when never (infinite, or already reclaimed). */
function expiryOf(e: Entry): number | null {
  if (e.state === LeaseState.EXPIRED_RECLAIMED) return null;
  return e.validLifetime === INFINITY_LFT ? null : e.expire;
}

/**
 * The address as a signed 32-bit number: a small integer to V8, which a Map hashes faster than
 * an unsigned number above 2^31. NaN (never a key) for text that is not an address.
 */
function addressKey(address: string | number): number {
  if (typeof address === "number") return address | 0;
  const n = tryParseIPv4(address);
  return n < 0 ? Number.NaN : n | 0;
}

export class MemfileLeaseStore4 extends JournaledLeaseStore implements LeaseStore4 {
  private watcher: LeaseWatcher<Lease4> | null = null;
  private byAddress = new Map<number, Entry>();
  private readonly byHwAddr: SubnetIndex = new Map();
  private readonly byClientId: SubnetIndex = new Map();
  private readonly byHostname = new Map<string, Bucket>();
  private readonly bySubnet = new Map<number, Set<Entry>>();
  private readonly byOrder = new SortedIndex<number, Entry>(orderKey, compareNumbers);
  private readonly counts = new Map<number, number[]>();
  private readonly expiry = new LeaseExpiryQueue<Entry>();

  private constructor(config: MemfileConfig, hooks: MemfileHooks) {
    super(new LeaseJournal(config, hooks, 4, DEFAULT_LEASE_FILE4));
    this.journal.open(loadEntries4, (entries) => {
      // The loaded map is the address index; the other indexes are filed in its order.
      this.byAddress = entries;
      for (const e of entries.values()) this.fileOthers(e);
      this.expiry.rebuild(entries.values(), expiryOf);
      this.byOrder.rebuild(entries.values());
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
    const e = this.byAddress.get(addressKey(address));
    return e === undefined ? null : leaseOf(e);
  }

  getLease4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId: number): Lease4 | null {
    return bucketFirst(bucketOf(this.byHwAddr, subnetId, hwBytes(hwaddr)));
  }

  getLeases4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId?: number): Lease4[] {
    if (subnetId === undefined) return inSubnetOrder(this.byHwAddr, latin1Of(hwBytes(hwaddr)));
    return bucketAll(bucketOf(this.byHwAddr, subnetId, hwBytes(hwaddr)));
  }

  getLease4ByClientId(clientId: Uint8Array, subnetId: number): Lease4 | null {
    return bucketFirst(bucketOf(this.byClientId, subnetId, clientId));
  }

  getLeases4ByClientId(clientId: Uint8Array, subnetId?: number): Lease4[] {
    if (subnetId === undefined) return inSubnetOrder(this.byClientId, latin1Of(clientId));
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
    return this.byOrder.page(from, limit).map(leaseOf);
  }

  getLeases4BySubnet(subnetId: number): Lease4[] {
    const set = this.bySubnet.get(subnetId);
    return set === undefined ? [] : Array.from(set, leaseOf);
  }

  *eachLease4InSubnet(subnetId: number): IterableIterator<Lease4> {
    const set = this.bySubnet.get(subnetId);
    if (set !== undefined) for (const e of set) yield leaseOf(e);
  }

  getAllLeases4(): Lease4[] {
    return Array.from(this.byOrder.values(), leaseOf);
  }

  getExpiredLeases4(now: number, max: number): Lease4[] {
    if (this.expiry.length > 2 * this.byAddress.size + 1024) {
      this.expiry.rebuild(this.byAddress.values(), expiryOf); // drop the stale entries
    }
    return this.expiry.expired(now, max).map(leaseOf);
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
    const e = new Entry(valuesOf(lease, key));
    this.insert(e);
    this.fileExpiry(e);
    this.written(e);
    return true;
  }

  updateLease4(lease: Lease4): void {
    const key = checkLease(lease);
    const e = this.byAddress.get(key);
    if (e === undefined) throw new NoSuchLease(lease.address);
    const next = new Entry(valuesOf(lease, key));
    if (next.hw === e.hw && next.cid === e.cid && next.subnetId === e.subnetId) {
      // A renewal: same client, same subnet; only the state count (and the name) may move.
      this.count(e.subnetId, e.state, -1);
      if (next.hostname !== e.hostname) {
        plainRemove(this.byHostname, e.hostname, e);
        plainAdd(this.byHostname, next.hostname, e);
      }
      assign(e, next);
      this.count(e.subnetId, e.state, 1);
    } else {
      this.refile(e, next);
    }
    this.fileExpiry(e);
    this.written(e);
  }

  deleteLease4(lease: Lease4): boolean {
    const e = this.byAddress.get(addressKey(lease.address));
    if (e === undefined) return false;
    this.remove(e);
    return true;
  }

  deleteExpiredReclaimedLeases4(now: number, secs: number): number {
    const doomed: Entry[] = [];
    for (const e of this.byAddress.values()) {
      if (e.state === LeaseState.EXPIRED_RECLAIMED && e.expire < now - secs) doomed.push(e);
    }
    for (const e of doomed) this.remove(e);
    return doomed.length;
  }

  /** Files a new entry in every index. */
  private insert(e: Entry): void {
    this.byAddress.set(e.key, e);
    this.fileOthers(e);
    this.byOrder.insert(e);
  }

  /** Files an entry in every index but the address index and the address order. */
  private fileOthers(e: Entry): void {
    bucketAdd(this.byHwAddr, e.subnetId, e.hwKey, e);
    bucketAdd(this.byClientId, e.subnetId, e.cid, e);
    plainAdd(this.byHostname, e.hostname, e);
    addToSubnet(this.bySubnet, e.subnetId, e);
    this.count(e.subnetId, e.state, 1);
  }

  /**
   * Files a changed lease again under its new keys, in place: the address order is untouched and
   * the subnet's order moves as Kea's does (subnet-order.ts).
   */
  private refile(e: Entry, next: Entry): void {
    const sid = next.subnetId;
    if (next.hw !== e.hw || sid !== e.subnetId) {
      bucketRemove(this.byHwAddr, e.subnetId, e.hwKey, e);
      bucketAdd(this.byHwAddr, sid, next.hwKey, e);
    }
    if (next.cid !== e.cid || sid !== e.subnetId) {
      bucketRemove(this.byClientId, e.subnetId, e.cid, e);
      bucketAdd(this.byClientId, sid, next.cid, e);
    }
    if (next.hostname !== e.hostname) {
      plainRemove(this.byHostname, e.hostname, e);
      plainAdd(this.byHostname, next.hostname, e);
    }
    this.count(e.subnetId, e.state, -1);
    if (sid !== e.subnetId) moveToSubnet(this.bySubnet, e, e.subnetId, sid);
    assign(e, next);
    this.count(sid, e.state, 1);
  }

  /** Takes an entry out of every index, writes its deletion row and tells the watcher. */
  private remove(e: Entry): void {
    e.version++;
    this.byAddress.delete(e.key);
    bucketRemove(this.byHwAddr, e.subnetId, e.hwKey, e);
    bucketRemove(this.byClientId, e.subnetId, e.cid, e);
    plainRemove(this.byHostname, e.hostname, e);
    this.byOrder.remove(e);
    this.bySubnet.get(e.subnetId)?.delete(e);
    this.count(e.subnetId, e.state, -1);
    const lease = leaseOf(e);
    this.append(formatLease4Row(lease, 0));
    this.watcher?.(lease, false);
  }

  /** After an add or an update: the lease file row, and the watcher. */
  private written(e: Entry): void {
    const lease = leaseOf(e);
    this.append(formatLease4Row(lease));
    this.watcher?.(lease, true);
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
