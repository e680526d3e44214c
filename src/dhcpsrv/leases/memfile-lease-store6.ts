/**
 * Kea's memfile lease database for DHCPv6: every address and prefix lease in memory, indexed for
 * the server's lookups, and an append-only CSV lease file in Kea's v6 format
 * (csv-lease-file6.ts) that Kea 2.2's kea-dhcp6 and Nestor can each load from the other.
 *
 * Configuration, loading, conversion of older headers at start-up, group commit and lease file
 * cleanup are those of the v4 store (memfile-lease-store4.ts): the same `lease-database` keys
 * (default file /var/lib/nestor/kea-leases6.csv), the same replay order (lease-files6.ts), the
 * same crash-safe cleanup protocol (lfc.ts, universe 6).
 *
 * Indexes: by address (unique, as in Kea: an address has one lease whatever its type; keyed
 * by the address's 16 bytes, address6-key.ts, which also give the address order), by DUID
 * (its bytes as latin1 text; the IA lookups filter a client's few leases by type and IAID), by subnet, counts per
 * subnet, type and state, and the expiry queue for reclamation.
 */
import { HWAddr } from "../../dhcp/hwaddr.ts";
import type { JsonObject } from "../../hooks/types.ts";
import { InvalidOperation } from "../../util/errors.ts";
import { address6Key, address6OfKey } from "./address6-key.ts";
import { latin1Of, ownedContext } from "./csv-columns.ts";
import {
  type Lease6FileLayout,
  type Lease6Values,
  formatLease6Row,
  parseLease6Header,
  readLease6Row,
} from "./csv-lease-file6.ts";
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
import { JournaledLeaseStore, LeaseJournal } from "./lease-journal.ts";
import { NoSuchLease, type LeaseWatcher } from "./lease-store.ts";
import type { LeaseStats6Row, LeaseStore6 } from "./lease-store6.ts";
import { INFINITY_LFT, Lease6, LeaseState } from "./lease6.ts";
import type { MemfileConfig, MemfileHooks } from "./lease-journal.ts";

export type { MemfileConfig, MemfileHooks };

// Log messages: Kea's DHCPSRV_MEMFILE_* IDs, defined by the v4 store's module imported above.

export const DEFAULT_LEASE_FILE6 = "/var/lib/nestor/kea-leases6.csv";

/**
 * The store's record of a lease: its fields as numbers and flat strings, no Lease6, no Buffer
 * and no HWAddr per lease (a Lease6 with its Buffers, HWAddr and address text took about 3 times
 * the bytes). Leases are made from it when asked (leaseOf), as Kea's memfile hands out copies.
 * The record is also what every index files: its key, DUID and hostname are the index keys.
 */
class Entry {
  /** address6Key() of the address: the address index's key and the address order. */
  readonly key: string;
  /** The DUID's bytes as a latin1 string (one character per byte): the DUID index's key. */
  duid: string;
  /** The hardware address's bytes as latin1, null without one ("" for an empty one). */
  hw: string | null;
  /** As stored: "" when none. */
  hostname: string;
  userContext: JsonObject | null;
  iaid: number;
  preferredLifetime: number;
  validLifetime: number;
  cltt: number;
  subnetId: number;
  poolId: number;
  /** type | prefixLen << 2 | fqdnFwd << 10 | fqdnRev << 11 | hwtype << 12  */
  bits: number;
  hwaddrSource: number;
  state: number;
  /** Bumped on every change and on removal: older expiry queue entries become stale. */
  version = 0;

  constructor(v: Lease6Values) {
    this.key = v.key;
    this.duid = v.duid;
    this.hw = v.hw;
    this.hostname = v.hostname;
    this.userContext = v.userContext;
    this.iaid = v.iaid;
    this.preferredLifetime = v.preferredLifetime;
    this.validLifetime = v.validLifetime;
    this.cltt = v.cltt;
    this.subnetId = v.subnetId;
    this.poolId = v.poolId;
    this.bits =
      (v.type & 3) |
      ((v.prefixLen & 0xff) << 2) |
      (v.fqdnFwd ? 1 << 10 : 0) |
      (v.fqdnRev ? 1 << 11 : 0) |
      ((v.hwtype & 0xffff) << 12);
    this.hwaddrSource = v.hwaddrSource;
    this.state = v.state;
  }

  get type(): number {
    return this.bits & 3;
  }

  /** The address text (RFC 5952); for the sanity checks at load. */
  get address(): string {
    return address6OfKey(this.key);
  }

  get expire(): number {
    return this.cltt + this.validLifetime;
  }
}

/** A caller's lease as a record's values, with a user context the store owns. */
function valuesOf(lease: Lease6, key: string): Lease6Values {
  const hw = lease.hwaddr;
  return {
    key,
    duid: latin1Of(lease.duid),
    hw: hw === null ? null : latin1Of(hw.hwaddr),
    hwtype: hw === null ? 0 : hw.htype,
    hwaddrSource: lease.hwaddrSource,
    validLifetime: lease.validLifetime,
    cltt: lease.cltt,
    subnetId: lease.subnetId,
    preferredLifetime: lease.preferredLifetime,
    type: lease.type,
    iaid: lease.iaid,
    prefixLen: lease.prefixLen,
    fqdnFwd: lease.fqdnFwd,
    fqdnRev: lease.fqdnRev,
    hostname: lease.hostname,
    state: lease.state,
    userContext: ownedContext(lease.userContext),
    poolId: lease.poolId,
  };
}

/** A new Lease6 holding the record's values (its user context is the record's, not a copy). */
function leaseOf(e: Entry): Lease6 {
  const bits = e.bits;
  const lease = new Lease6({
    address: address6OfKey(e.key),
    type: bits & 3,
    prefixLen: (bits >>> 2) & 0xff,
    duid: Buffer.from(e.duid, "latin1"),
    iaid: e.iaid,
    preferredLifetime: e.preferredLifetime,
    validLifetime: e.validLifetime,
    cltt: e.cltt,
    subnetId: e.subnetId,
    poolId: e.poolId,
    fqdnFwd: (bits & (1 << 10)) !== 0,
    fqdnRev: (bits & (1 << 11)) !== 0,
    hwaddr: e.hw === null ? null : new HWAddr(Buffer.from(e.hw, "latin1"), bits >>> 12),
    hwaddrSource: e.hwaddrSource,
    state: e.state,
    userContext: e.userContext,
  });
  lease.hostname = e.hostname; // as stored: the constructor would lower-case it
  return lease;
}

/** Lease file rows straight into records: no Lease6, no Buffer per row. */
const ENTRY6_CODEC: LeaseRowCodec<string, Entry, Lease6FileLayout> = {
  parseHeader: parseLease6Header,
  parseRow: (row, layout) => new Entry(readLease6Row(row, layout)),
  keyOf: (e) => e.key,
  isDeletion: (e) => e.validLifetime === 0,
};

function loadEntries6(
  set: LeaseFileSet,
  options: LoadOptions,
): { leases: Map<string, Entry>; reports: FileLoadReport[] } {
  return loadLeaseFiles(set, options, ENTRY6_CODEC);
}

/** When a lease is due for reclamation; null when never (infinite, or already reclaimed). */
function expiryOf(e: Entry): number | null {
  if (e.state === LeaseState.EXPIRED_RECLAIMED) return null;
  return e.validLifetime === INFINITY_LFT ? null : e.expire;
}

function orderOf(e: Entry): string {
  return e.key;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A name's leases: one entry, or an array of them in the order they were filed. */
type Bucket = Entry | Entry[];

function bucketAdd(index: Map<string, Bucket>, key: string, e: Entry): void {
  if (key === "") return;
  const cur = index.get(key);
  if (cur === undefined) index.set(key, e);
  else if (cur instanceof Entry) index.set(key, [cur, e]);
  else cur.push(e);
}

function bucketRemove(index: Map<string, Bucket>, key: string, e: Entry): void {
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

export class MemfileLeaseStore6 extends JournaledLeaseStore implements LeaseStore6 {
  private watcher: LeaseWatcher<Lease6> | null = null;
  private byAddress = new Map<string, Entry>();
  /** A client's one lease, or a Set of its leases (most clients hold one or two). */
  private readonly byDuid = new Map<string, Entry | Set<Entry>>();
  private readonly byHostname = new Map<string, Bucket>();
  private readonly bySubnet = new Map<number, Set<Entry>>();
  private readonly byOrder = new SortedIndex<string, Entry>(orderOf, compareText);
  /** subnet id -> lease type -> state -> count */
  private readonly counts = new Map<number, number[][]>();
  private readonly expiry = new LeaseExpiryQueue<Entry>();

  private constructor(config: MemfileConfig, hooks: MemfileHooks) {
    super(new LeaseJournal(config, hooks, 6, DEFAULT_LEASE_FILE6));
    this.journal.open(loadEntries6, (entries) => {
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
  static open(config: MemfileConfig = {}, hooks: MemfileHooks = {}): MemfileLeaseStore6 {
    return new MemfileLeaseStore6(config, hooks);
  }

  // ---- lookups -------------------------------------------------------------------------------
  // Every lease handed out is a new Lease6 made from the store's record (as Kea's copies).

  get size(): number {
    return this.byAddress.size;
  }

  getLease6(type: number, address: string): Lease6 | null {
    const e = this.entryOf(address);
    return e !== undefined && e.type === type ? leaseOf(e) : null;
  }

  /** The entry of an address, whatever its spelling. */
  private entryOf(address: string): Entry | undefined {
    const key = address6Key(address);
    return key === null ? undefined : this.byAddress.get(key);
  }

  getLeases6ByDuidIaid(type: number, duid: Uint8Array, iaid: number): Lease6[] {
    return this.ofClient(type, duid, iaid, -1);
  }

  getLeases6ByDuidIaidSubnet(
    type: number,
    duid: Uint8Array,
    iaid: number,
    subnetId: number,
  ): Lease6[] {
    return this.ofClient(type, duid, iaid, subnetId);
  }

  /** A client's leases of one type and IAID, in one subnet (subnetId -1: in any). */
  private ofClient(type: number, duid: Uint8Array, iaid: number, subnetId: number): Lease6[] {
    const out: Lease6[] = [];
    const b = this.byDuid.get(latin1Of(duid));
    if (b instanceof Entry) {
      if (matches(b, type, iaid, subnetId)) out.push(leaseOf(b));
    } else if (b !== undefined) {
      for (const e of b) if (matches(e, type, iaid, subnetId)) out.push(leaseOf(e));
    }
    return out;
  }

  getLeases6ByDuid(duid: Uint8Array): Lease6[] {
    const b = this.byDuid.get(latin1Of(duid));
    if (b === undefined) return [];
    return b instanceof Entry ? [leaseOf(b)] : Array.from(b, leaseOf);
  }

  getLeases6BySubnet(subnetId: number): Lease6[] {
    const set = this.bySubnet.get(subnetId);
    return set === undefined ? [] : Array.from(set, leaseOf);
  }

  *eachLease6InSubnet(subnetId: number): IterableIterator<Lease6> {
    const set = this.bySubnet.get(subnetId);
    if (set !== undefined) for (const e of set) yield leaseOf(e);
  }

  getAllLeases6(): Lease6[] {
    return Array.from(this.byOrder.values(), leaseOf);
  }

  getLeases6ByHostname(hostname: string): Lease6[] {
    const b = this.byHostname.get(hostname);
    if (b === undefined) return [];
    return b instanceof Entry ? [leaseOf(b)] : b.map(leaseOf);
  }

  getLeases6Page(after: string | null, limit: number): Lease6[] {
    let from: string | null = null;
    if (after !== null) {
      from = address6Key(after);
      if (from === null) throw new InvalidOperation(`'${after}' is not an IPv6 address`);
    }
    return this.byOrder.page(from, limit).map(leaseOf);
  }

  getExpiredLeases6(now: number, max: number): Lease6[] {
    if (this.expiry.length > 2 * this.byAddress.size + 1024) {
      this.expiry.rebuild(this.byAddress.values(), expiryOf); // drop the stale entries
    }
    return this.expiry.expired(now, max).map(leaseOf);
  }

  countLeases6(subnetId: number, type: number, state: number): number {
    return this.counts.get(subnetId)?.[type]?.[state] ?? 0;
  }

  leaseStats6(): LeaseStats6Row[] {
    const rows: LeaseStats6Row[] = [];
    for (const [subnetId, perType] of this.counts) {
      perType.forEach((perState, type) => {
        perState.forEach((count, state) => {
          if (count > 0) rows.push({ subnetId, type, state, count });
        });
      });
    }
    return rows.sort((a, b) => a.subnetId - b.subnetId || a.type - b.type || a.state - b.state);
  }

  // ---- changes -------------------------------------------------------------------------------

  /**
   * Tells `watcher` of every lease added, changed or deleted from now on (the free lease queue
   * allocator keeps its queues with it); null stops.
   */
  watch(watcher: LeaseWatcher<Lease6> | null): void {
    this.watcher = watcher;
  }

  addLease6(lease: Lease6): boolean {
    const key = checkLease(lease);
    if (this.byAddress.has(key)) return false;
    const e = new Entry(valuesOf(lease, key));
    this.insert(e);
    this.fileExpiry(e);
    this.written(e);
    return true;
  }

  updateLease6(lease: Lease6): void {
    const e = this.entryOf(lease.address);
    if (e === undefined) throw new NoSuchLease(lease.address);
    checkLease(lease, e.key);
    const next = new Entry(valuesOf(lease, e.key));
    if (next.duid === e.duid && next.subnetId === e.subnetId && next.type === e.type) {
      // A renewal: same client, subnet and type; only the state count (and the name) may move.
      this.count(e, -1);
      if (next.hostname !== e.hostname) {
        bucketRemove(this.byHostname, e.hostname, e);
        bucketAdd(this.byHostname, next.hostname, e);
      }
      assign(e, next);
      this.count(e, 1);
    } else {
      this.refile(e, next);
    }
    this.fileExpiry(e);
    this.written(e);
  }

  deleteLease6(lease: Lease6): boolean {
    const e = this.entryOf(lease.address);
    if (e === undefined) return false;
    this.remove(e);
    return true;
  }

  deleteExpiredReclaimedLeases6(now: number, secs: number): number {
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
    bucketAdd(this.byHostname, e.hostname, e);
    this.fileDuid(e);
    addToSubnet(this.bySubnet, e.subnetId, e);
    this.count(e, 1);
  }

  /**
   * Files a changed lease again under its new keys, in place: the address order is untouched and
   * the subnet's order moves as Kea's does (subnet-order.ts).
   */
  private refile(e: Entry, next: Entry): void {
    if (next.duid !== e.duid) {
      this.unfileDuid(e);
      e.duid = next.duid;
      this.fileDuid(e);
    }
    if (next.hostname !== e.hostname) {
      bucketRemove(this.byHostname, e.hostname, e);
      bucketAdd(this.byHostname, next.hostname, e);
    }
    this.count(e, -1);
    if (next.subnetId !== e.subnetId) {
      moveToSubnet(this.bySubnet, e, e.subnetId, next.subnetId);
    }
    assign(e, next);
    this.count(e, 1);
  }

  private fileDuid(e: Entry): void {
    const client = this.byDuid.get(e.duid);
    if (client === undefined) this.byDuid.set(e.duid, e);
    else if (client instanceof Entry) this.byDuid.set(e.duid, new Set([client, e]));
    else client.add(e);
  }

  private unfileDuid(e: Entry): void {
    const client = this.byDuid.get(e.duid);
    if (client === e) {
      this.byDuid.delete(e.duid);
    } else if (client instanceof Set) {
      client.delete(e);
      if (client.size === 1) this.byDuid.set(e.duid, client.values().next().value!);
    }
  }

  /** Takes an entry out of every index, writes its deletion row and tells the watcher. */
  private remove(e: Entry): void {
    e.version++;
    this.byAddress.delete(e.key);
    this.unfileDuid(e);
    bucketRemove(this.byHostname, e.hostname, e);
    this.byOrder.remove(e);
    this.bySubnet.get(e.subnetId)?.delete(e);
    this.count(e, -1);
    const lease = leaseOf(e);
    this.append(formatLease6Row(lease, true));
    this.watcher?.(lease, false);
  }

  /** After an add or an update: the lease file row, and the watcher. */
  private written(e: Entry): void {
    const lease = leaseOf(e);
    this.append(formatLease6Row(lease));
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

  private count(e: Entry, delta: number): void {
    let perType = this.counts.get(e.subnetId);
    if (perType === undefined) this.counts.set(e.subnetId, (perType = []));
    const perState = (perType[e.type] ??= []);
    perState[e.state] = (perState[e.state] ?? 0) + delta;
  }

  // ---- lease file --------------------------------------------------------------------------

  private append(row: string): void {
    this.journal.append(row);
  }
}

function matches(e: Entry, type: number, iaid: number, subnetId: number): boolean {
  return e.type === type && e.iaid === iaid && (subnetId < 0 || e.subnetId === subnetId);
}

/** Copies a changed lease's values (`next`, a record of the same address) into its entry. */
function assign(e: Entry, next: Entry): void {
  e.duid = next.duid;
  e.hw = next.hw;
  e.hostname = next.hostname;
  e.userContext = next.userContext;
  e.iaid = next.iaid;
  e.preferredLifetime = next.preferredLifetime;
  e.validLifetime = next.validLifetime;
  e.cltt = next.cltt;
  e.subnetId = next.subnetId;
  e.poolId = next.poolId;
  e.bits = next.bits;
  e.hwaddrSource = next.hwaddrSource;
  e.state = next.state;
  e.version++;
}

/**
 * Refuses leases a lease file could not hold; returns the address's key (`known` when the caller
 * has already found it).
 */
function checkLease(lease: Lease6, known: string | null = null): string {
  const key = known ?? address6Key(lease.address);
  if (key === null) throw new InvalidOperation(`'${lease.address}' is not an IPv6 address`);
  if (lease.validLifetime <= 0) {
    // In the lease file a row with valid_lifetime 0 deletes the lease.
    throw new InvalidOperation(`lease ${address6OfKey(key)} has no valid lifetime`);
  }
  if (lease.type !== 0 && lease.type !== 1 && lease.type !== 2) {
    throw new InvalidOperation(`lease ${address6OfKey(key)} has an unknown type ${lease.type}`);
  }
  if (!Number.isInteger(lease.prefixLen) || lease.prefixLen < 0 || lease.prefixLen > 128) {
    throw new InvalidOperation(
      `lease ${address6OfKey(key)} has a bad prefix length ${lease.prefixLen}`,
    );
  }
  if (lease.duid.length === 0)
    throw new InvalidOperation(`lease ${address6OfKey(key)} has no DUID`);
  if (lease.hasEmptyDuid() && lease.state !== LeaseState.DECLINED) {
    throw new InvalidOperation(
      `lease ${address6OfKey(key)} has the empty DUID and is not declined`,
    );
  }
  return key;
}
