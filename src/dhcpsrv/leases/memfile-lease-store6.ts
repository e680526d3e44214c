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
 * (hex; the IA lookups filter a client's few leases by type and IAID), by subnet, counts per
 * subnet, type and state, and the expiry queue for reclamation.
 */
import { InvalidOperation } from "../../util/errors.ts";
import { address6Key, address6OfKey } from "./address6-key.ts";
import { formatLease6Row } from "./csv-lease-file6.ts";
import { LeaseExpiryQueue } from "./lease-expiry-queue.ts";
import { SortedIndex } from "./sorted-index.ts";
import { addToSubnet, moveToSubnet } from "./subnet-order.ts";
import { loadLeaseFiles6 } from "./lease-files6.ts";
import { JournaledLeaseStore, LeaseJournal } from "./lease-journal.ts";
import { NoSuchLease, type LeaseWatcher } from "./lease-store.ts";
import type { LeaseStats6Row, LeaseStore6 } from "./lease-store6.ts";
import { INFINITY_LFT, type Lease6, LeaseState } from "./lease6.ts";
import type { MemfileConfig, MemfileHooks } from "./lease-journal.ts";

export type { MemfileConfig, MemfileHooks };

// Log messages: Kea's DHCPSRV_MEMFILE_* IDs, defined by the v4 store's module imported above.

export const DEFAULT_LEASE_FILE6 = "/var/lib/nestor/kea-leases6.csv";

/** The store's record of a lease: the lease and the index keys it was filed under. */
class Entry {
  lease: Lease6;
  /** address6Key() of the address: the address index's key and the address order. */
  readonly key: string;
  /** Hex of the DUID. */
  duidKey: string;
  /** The hostname, "" when none. */
  hostKey: string;
  subnetId: number;
  type: number;
  state: number;
  /** Bumped on every change and on removal: older expiry queue entries become stale. */
  version = 0;

  constructor(lease: Lease6, key: string) {
    this.lease = lease;
    this.key = key;
    this.duidKey = lease.duid.toString("hex");
    this.hostKey = lease.hostname;
    this.subnetId = lease.subnetId;
    this.type = lease.type;
    this.state = lease.state;
  }
}

/** When a lease is due for reclamation; null when never (infinite, or already reclaimed). */
function expiryOf(e: Entry): number | null {
  if (e.state === LeaseState.EXPIRED_RECLAIMED) return null;
  return e.lease.validLifetime === INFINITY_LFT ? null : e.lease.expire;
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

function hexOf(bytes: Uint8Array): string {
  return (
    Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)
  ).toString("hex");
}

export class MemfileLeaseStore6 extends JournaledLeaseStore implements LeaseStore6 {
  private watcher: LeaseWatcher<Lease6> | null = null;
  private readonly byAddress = new Map<string, Entry>();
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
    this.journal.open(loadLeaseFiles6, (leases) => {
      for (const lease of leases.values()) {
        const key = address6Key(lease.address);
        if (key !== null) this.insert(new Entry(lease, key), false);
      }
      this.expiry.rebuild(this.byAddress.values(), expiryOf);
      this.byOrder.rebuild(this.byAddress.values());
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

  get size(): number {
    return this.byAddress.size;
  }

  getLease6(type: number, address: string): Lease6 | null {
    const e = this.entryOf(address);
    return e !== undefined && e.type === type ? e.lease : null;
  }

  /** The entry of an address, whatever its spelling. */
  private entryOf(address: string): Entry | undefined {
    const key = address6Key(address);
    return key === null ? undefined : this.byAddress.get(key);
  }

  getLeases6ByDuidIaid(type: number, duid: Uint8Array, iaid: number): Lease6[] {
    const out: Lease6[] = [];
    const b = this.byDuid.get(hexOf(duid));
    if (b instanceof Entry) {
      if (b.type === type && b.lease.iaid === iaid) out.push(b.lease);
    } else if (b !== undefined) {
      for (const e of b) if (e.type === type && e.lease.iaid === iaid) out.push(e.lease);
    }
    return out;
  }

  getLeases6ByDuidIaidSubnet(
    type: number,
    duid: Uint8Array,
    iaid: number,
    subnetId: number,
  ): Lease6[] {
    const out: Lease6[] = [];
    for (const l of this.getLeases6ByDuidIaid(type, duid, iaid)) {
      if (l.subnetId === subnetId) out.push(l);
    }
    return out;
  }

  getLeases6ByDuid(duid: Uint8Array): Lease6[] {
    const b = this.byDuid.get(hexOf(duid));
    if (b === undefined) return [];
    return b instanceof Entry ? [b.lease] : Array.from(b, (e) => e.lease);
  }

  getLeases6BySubnet(subnetId: number): Lease6[] {
    const set = this.bySubnet.get(subnetId);
    return set === undefined ? [] : Array.from(set, (e) => e.lease);
  }

  getAllLeases6(): Lease6[] {
    return Array.from(this.byOrder.values(), (e) => e.lease);
  }

  getLeases6ByHostname(hostname: string): Lease6[] {
    const b = this.byHostname.get(hostname);
    if (b === undefined) return [];
    return b instanceof Entry ? [b.lease] : b.map((e) => e.lease);
  }

  getLeases6Page(after: string | null, limit: number): Lease6[] {
    let from: string | null = null;
    if (after !== null) {
      from = address6Key(after);
      if (from === null) throw new InvalidOperation(`'${after}' is not an IPv6 address`);
    }
    return this.byOrder.page(from, limit).map((e) => e.lease);
  }

  getExpiredLeases6(now: number, max: number): Lease6[] {
    if (this.expiry.length > 2 * this.byAddress.size + 1024) {
      this.expiry.rebuild(this.byAddress.values(), expiryOf); // drop the stale entries
    }
    return this.expiry.expired(now, max).map((e) => e.lease);
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
    const stored = lease.clone();
    stored.address = address6OfKey(key);
    const e = new Entry(stored, key);
    this.insert(e);
    this.fileExpiry(e);
    this.append(formatLease6Row(stored));
    this.watcher?.(stored, true);
    return true;
  }

  updateLease6(lease: Lease6): void {
    const e = this.entryOf(lease.address);
    if (e === undefined) throw new NoSuchLease(lease.address);
    checkLease(lease, e.key);
    const stored = lease.clone();
    stored.address = e.lease.address;
    const duidKey = stored.duid.toString("hex");
    if (duidKey === e.duidKey && stored.subnetId === e.subnetId && stored.type === e.type) {
      // A renewal: same client, subnet and type; only the state count (and the name) may move.
      this.count(e, -1);
      if (stored.hostname !== e.hostKey) {
        bucketRemove(this.byHostname, e.hostKey, e);
        e.hostKey = stored.hostname;
        bucketAdd(this.byHostname, e.hostKey, e);
      }
      e.lease = stored;
      e.state = stored.state;
      e.version++;
      this.count(e, 1);
      this.fileExpiry(e);
    } else {
      this.refile(e, stored, duidKey);
      this.fileExpiry(e);
    }
    this.append(formatLease6Row(stored));
    this.watcher?.(stored, true);
  }

  deleteLease6(lease: Lease6): boolean {
    const e = this.entryOf(lease.address);
    if (e === undefined) return false;
    this.remove(e);
    this.append(formatLease6Row(e.lease, true));
    this.watcher?.(e.lease, false);
    return true;
  }

  deleteExpiredReclaimedLeases6(now: number, secs: number): number {
    const doomed: Entry[] = [];
    for (const e of this.byAddress.values()) {
      if (e.state === LeaseState.EXPIRED_RECLAIMED && e.lease.expire < now - secs) doomed.push(e);
    }
    for (const e of doomed) {
      this.remove(e);
      this.append(formatLease6Row(e.lease, true));
      this.watcher?.(e.lease, false);
    }
    return doomed.length;
  }

  /** Files an entry in every index (the address order too, unless the caller rebuilds it). */
  private insert(e: Entry, ordered = true): void {
    this.byAddress.set(e.key, e);
    bucketAdd(this.byHostname, e.hostKey, e);
    if (ordered) this.byOrder.insert(e);
    this.fileDuid(e);
    addToSubnet(this.bySubnet, e.subnetId, e);
    this.count(e, 1);
  }

  /**
   * Files a changed lease again under its new keys, in place: the address order is untouched and
   * the subnet's order moves as Kea's does (subnet-order.ts).
   */
  private refile(e: Entry, stored: Lease6, duidKey: string): void {
    if (duidKey !== e.duidKey) {
      this.unfileDuid(e);
      e.duidKey = duidKey;
      this.fileDuid(e);
    }
    if (stored.hostname !== e.hostKey) {
      bucketRemove(this.byHostname, e.hostKey, e);
      bucketAdd(this.byHostname, stored.hostname, e);
      e.hostKey = stored.hostname;
    }
    this.count(e, -1);
    if (stored.subnetId !== e.subnetId) {
      moveToSubnet(this.bySubnet, e, e.subnetId, stored.subnetId);
    }
    e.subnetId = stored.subnetId;
    e.type = stored.type;
    e.lease = stored;
    e.state = stored.state;
    e.version++;
    this.count(e, 1);
  }

  private fileDuid(e: Entry): void {
    const client = this.byDuid.get(e.duidKey);
    if (client === undefined) this.byDuid.set(e.duidKey, e);
    else if (client instanceof Entry) this.byDuid.set(e.duidKey, new Set([client, e]));
    else client.add(e);
  }

  private unfileDuid(e: Entry): void {
    const client = this.byDuid.get(e.duidKey);
    if (client === e) {
      this.byDuid.delete(e.duidKey);
    } else if (client instanceof Set) {
      client.delete(e);
      if (client.size === 1) this.byDuid.set(e.duidKey, client.values().next().value!);
    }
  }

  private remove(e: Entry): void {
    e.version++;
    this.byAddress.delete(e.key);
    this.unfileDuid(e);
    bucketRemove(this.byHostname, e.hostKey, e);
    this.byOrder.remove(e);
    this.bySubnet.get(e.subnetId)?.delete(e);
    this.count(e, -1);
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
