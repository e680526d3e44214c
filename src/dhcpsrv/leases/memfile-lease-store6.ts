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
 * The leases are records of columns (struct of arrays, record-table.ts): each field a typed array
 * indexed by the record's number, the DUIDs and hardware addresses slices of a byte arena
 * (byte-arena.ts), hostnames and user contexts in maps of the few records that have one. A
 * Lease6 is made from a record only when asked, as Kea's memfile hands out copies.
 *
 * Indexes, all of record numbers: by address (unique, as in Kea: an address has one lease
 * whatever its type; an open-addressing hash of its 16 bytes, record-hash.ts), by DUID (the
 * records of one DUID chained in the order they were filed; the IA lookups filter a client's
 * few leases by type and IAID), by hostname, each subnet's records in Kea's order
 * (record-lists.ts), the address order (record-order.ts) for pages, counts per subnet, type and
 * state, and the expiry heap for reclamation (record-heap.ts).
 */
import { HWAddr } from "../../dhcp/hwaddr.ts";
import { ipv6ToString, tryParseIPv6 } from "../../dhcp/ioaddress.ts";
import type { JsonObject } from "../../hooks/types.ts";
import { InvalidOperation } from "../../util/errors.ts";
import { ArenaProbe, ByteArena, ByteRefs, arenaKeys } from "./byte-arena.ts";
import { ownedContext } from "./csv-columns.ts";
import {
  Lease6Row,
  parseLease6Header,
  readLease6RowBytes,
  writeLease6Fields,
} from "./csv-lease-file6.ts";
import type { FileLoadReport, LeaseFileSet, LoadOptions } from "./lease-files.ts";
import {
  type CheckedLease,
  JournaledLeaseStore,
  LeaseJournal,
  type LoadedLeases,
} from "./lease-journal.ts";
import { NoSuchLease, type LeaseWatcher } from "./lease-store.ts";
import type { LeaseCursor6, LeaseStats6Row, LeaseStore6 } from "./lease-store6.ts";
import { INFINITY_LFT, Lease6, type Lease6Init, LeaseState } from "./lease6.ts";
import type { MemfileConfig, MemfileHooks } from "./lease-journal.ts";
import { RecordHashIndex, type RecordKeys, type RecordProbe } from "./record-hash.ts";
import { RecordExpiryHeap } from "./record-heap.ts";
import type { RowBytes } from "./row-bytes.ts";
import { loadRecords } from "./record-load.ts";
import { RecordOrder } from "./record-order.ts";
import { NameIndex, SubnetLists } from "./record-lists.ts";
import {
  RecordAllocator,
  SmallColumn,
  compareBytes,
  grown,
  hashBytes,
  radixSortRecords,
  takeCommon,
} from "./record-table.ts";

export type { MemfileConfig, MemfileHooks };

// Log messages: Kea's DHCPSRV_MEMFILE_* IDs, defined by the v4 store's module imported above.

export const DEFAULT_LEASE_FILE6 = "/var/lib/nestor/kea-leases6.csv";

/** bits: type | prefixLen << 2 | fqdnFwd << 10 | fqdnRev << 11 */
const FWD = 1 << 10;
const REV = 1 << 11;
const INITIAL_RECORDS = 1024;

/** A lookup's address: 16 bytes of `key` (a scratch, or a row's). */
class AddressProbe implements RecordProbe {
  key: Uint8Array = new Uint8Array(16);
  private readonly store: { addr: Uint8Array };
  constructor(store: { addr: Uint8Array }) {
    this.store = store;
  }
  matches(r: number): boolean {
    return compareBytes(this.store.addr, r * 16, this.key, 0, 16) === 0;
  }
}

/**
 * One record seen through an object, without a Lease: the load's sanity check and the statistics'
 * recount see each record through one of these.
 */
class CheckedRecord implements CheckedLease, LeaseCursor6 {
  r = 0;
  private readonly store: MemfileLeaseStore6;
  constructor(store: MemfileLeaseStore6) {
    this.store = store;
  }
  get address(): string {
    return ipv6ToString(this.store.addr, this.r * 16);
  }
  get subnetId(): number {
    return this.store.subnet[this.r]!;
  }
  set subnetId(id: number) {
    this.store.subnet[this.r] = id;
  }
  get addressBytes(): Uint8Array {
    return this.store.addr;
  }
  get addressOffset(): number {
    return this.r * 16;
  }
  get type(): number {
    return this.store.bits[this.r]! & 3;
  }
  get prefixLen(): number {
    return (this.store.bits[this.r]! >>> 2) & 0xff;
  }
  get state(): number {
    return this.store.state.get(this.r);
  }
  get poolId(): number {
    return this.store.pool.get(this.r);
  }
}

export class MemfileLeaseStore6 extends JournaledLeaseStore implements LeaseStore6 {
  // ---- the columns (internal: read by the index helpers of this module) ----------------------
  /** The address's (or prefix's) 16 bytes at r * 16. */
  addr = new Uint8Array(INITIAL_RECORDS * 16);
  subnet = new Uint32Array(INITIAL_RECORDS);
  readonly arena = new ByteArena();
  readonly duids = new ByteRefs(INITIAL_RECORDS);
  private readonly hws = new ByteRefs(INITIAL_RECORDS);
  private hwtype = new Uint16Array(INITIAL_RECORDS);
  private readonly hwsrc = new SmallColumn(INITIAL_RECORDS);
  private iaid = new Uint32Array(INITIAL_RECORDS);
  private pref = new Uint32Array(INITIAL_RECORDS);
  valid = new Uint32Array(INITIAL_RECORDS);
  cltt = new Float64Array(INITIAL_RECORDS);
  readonly pool = new SmallColumn(INITIAL_RECORDS);
  bits = new Uint32Array(INITIAL_RECORDS);
  readonly state = new SmallColumn(INITIAL_RECORDS);
  /** Bumped on every change and on removal: older expiry heap entries become stale. */
  private version = new Int32Array(INITIAL_RECORDS);
  /** As stored (not lower-cased): only records with a hostname. */
  private readonly hostnames = new Map<number, string>();
  readonly contexts = new Map<number, JsonObject>();
  private readonly records: RecordAllocator;

  // ---- indexes -------------------------------------------------------------------------------
  private readonly byAddress: RecordHashIndex;
  private readonly byDuid: RecordHashIndex;
  private readonly byHostname = new NameIndex();
  private readonly bySubnet = new SubnetLists(INITIAL_RECORDS);
  /** The address order; record -1 stands for `pageKey`. */
  private readonly byOrder: RecordOrder;
  private readonly pageKey = new Uint8Array(16);
  /** subnet id -> lease type -> state -> count */
  private readonly counts = new Map<number, number[][]>();
  private readonly expiry = new RecordExpiryHeap();

  private watcher: LeaseWatcher<Lease6> | null = null;
  private readonly row = new Lease6Row();
  private readonly lastAddress = new Uint8Array(16);
  private lastAddressText = "";
  /** The values of the lease leaseOf makes (read by Lease6's constructor, then let go). */
  private readonly init: Lease6Init = {
    address: "",
    duid: new Uint8Array(0),
    iaid: 0,
    preferredLifetime: 0,
    validLifetime: 0,
    cltt: 0,
    subnetId: 0,
  };

  private readonly addressProbe = new AddressProbe(this);
  private readonly duidProbe = new ArenaProbe(this.arena, this.duids);

  private constructor(config: MemfileConfig, hooks: MemfileHooks) {
    super(new LeaseJournal(config, hooks, 6, DEFAULT_LEASE_FILE6));
    this.records = new RecordAllocator(INITIAL_RECORDS, (cap) => this.growColumns(cap));
    const addresses: RecordKeys = {
      hashOf: (r) => hashBytes(this.addr, r * 16, 16),
      sameKey: (a, b) => compareBytes(this.addr, a * 16, this.addr, b * 16, 16) === 0,
    };
    this.byAddress = new RecordHashIndex(addresses, false, INITIAL_RECORDS);
    this.byDuid = new RecordHashIndex(arenaKeys(this.arena, this.duids), true, INITIAL_RECORDS);
    this.byOrder = new RecordOrder((a, b) =>
      compareBytes(
        a < 0 ? this.pageKey : this.addr,
        a < 0 ? 0 : a * 16,
        b < 0 ? this.pageKey : this.addr,
        b < 0 ? 0 : b * 16,
        16,
      ),
    );
    this.journal.open(
      (set, options) => this.load(set, options),
      () => this.indexLoaded(),
    );
  }

  /**
   * Opens the lease database: loads the files (throws LeaseFileFormatError when a header is bad,
   * a file has more than `max-row-errors` bad rows, or a cleanup process holds `<name>.pid`),
   * prepares the main file for appends and starts the cleanup timer.
   */
  static open(config: MemfileConfig = {}, hooks: MemfileHooks = {}): MemfileLeaseStore6 {
    return new MemfileLeaseStore6(config, hooks);
  }

  private growColumns(cap: number): void {
    this.addr = grown(this.addr, cap, 16);
    this.subnet = grown(this.subnet, cap);
    this.duids.grow(cap);
    this.hws.grow(cap);
    this.hwtype = grown(this.hwtype, cap);
    this.hwsrc.grow(cap);
    this.iaid = grown(this.iaid, cap);
    this.pref = grown(this.pref, cap);
    this.valid = grown(this.valid, cap);
    this.cltt = grown(this.cltt, cap);
    this.pool.grow(cap);
    this.bits = grown(this.bits, cap);
    this.state.grow(cap);
    this.version = grown(this.version, cap);
    this.byDuid.growRecords(cap);
    this.bySubnet.growRecords(cap);
  }

  // ---- loading -------------------------------------------------------------------------------

  /**
   * Replays the files in Kea's order straight into records (record-load.ts): each row's bytes
   * into the columns, keyed by the address index alone.
   */
  private load(
    set: LeaseFileSet,
    options: LoadOptions,
  ): { leases: LoadedLeases; reports: FileLoadReport[] } {
    const view = new CheckedRecord(this);
    return loadRecords(set, options, {
      records: this.records,
      addresses: this.byAddress,
      bytesPerRow: 96, // a v6 row takes some 120 bytes
      parseHeader: parseLease6Header,
      row: this.row,
      readRow: readLease6RowBytes,
      find: (row) => this.findAddress(row.addr),
      assign: (r, row) => this.assign(r, row),
      clear: (r) => this.clear(r),
      view: (r) => ((view.r = r), view),
    });
  }

  /** Files the loaded records in the other indexes, in the order they were first loaded. */
  private indexLoaded(): void {
    const { used, top } = this.records;
    this.records.reuse();
    this.byDuid.reserve(this.byAddress.size);
    const live = new Int32Array(this.byAddress.size);
    let n = 0;
    for (let r = 0; r < top; r++) {
      if (used[r] === 0) continue;
      live[n++] = r;
      this.fileOthers(r);
    }
    this.expiry.rebuild(top, (r) => (used[r] === 1 ? this.expiryOf(r) : null), this.version);
    this.byOrder.rebuildSorted(radixSortRecords(live, this.addr, 16));
  }

  // ---- lookups -------------------------------------------------------------------------------
  // Every lease handed out is a new Lease6 made from the store's record (as Kea's copies).

  get size(): number {
    return this.byAddress.size;
  }

  getLease6(type: number, address: string): Lease6 | null {
    const r = this.recordOf(address);
    return r >= 0 && (this.bits[r]! & 3) === type ? this.leaseOf(r) : null;
  }

  /** The record of an address, whatever its spelling; -1 when none. */
  private recordOf(address: string): number {
    const key = this.addressProbe.key;
    return tryParseIPv6(address, key) ? this.findAddress(key) : -1;
  }

  private findAddress(bytes: Uint8Array): number {
    const probe = this.addressProbe;
    const scratch = probe.key;
    probe.key = bytes;
    const r = this.byAddress.find(hashBytes(bytes, 0, 16), probe);
    probe.key = scratch;
    return r;
  }

  /** The first record of a DUID's chain; -1 when none. */
  private firstOfDuid(duid: Uint8Array): number {
    return this.byDuid.find(this.duidProbe.set(duid), this.duidProbe);
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
    const next = this.byDuid.next;
    for (let r = this.firstOfDuid(duid); r >= 0; r = next[r]!) {
      if (
        (this.bits[r]! & 3) === type &&
        this.iaid[r] === iaid &&
        (subnetId < 0 || this.subnet[r] === subnetId)
      ) {
        out.push(this.leaseOf(r));
      }
    }
    return out;
  }

  getLeases6ByDuid(duid: Uint8Array): Lease6[] {
    const out: Lease6[] = [];
    const next = this.byDuid.next;
    for (let r = this.firstOfDuid(duid); r >= 0; r = next[r]!) out.push(this.leaseOf(r));
    return out;
  }

  getLeases6BySubnet(subnetId: number): Lease6[] {
    return Array.from(this.bySubnet.records(subnetId), (r) => this.leaseOf(r));
  }

  *eachLease6InSubnet(subnetId: number): IterableIterator<Lease6> {
    for (const r of this.bySubnet.records(subnetId)) yield this.leaseOf(r);
  }

  visitLeases6InSubnet(subnetId: number, visit: (lease: LeaseCursor6) => void): void {
    const cursor = new CheckedRecord(this);
    this.bySubnet.each(subnetId, (r) => {
      cursor.r = r;
      visit(cursor);
    });
  }

  getAllLeases6(): Lease6[] {
    return Array.from(this.byOrder.values(), (r) => this.leaseOf(r));
  }

  getLeases6ByHostname(hostname: string): Lease6[] {
    return this.byHostname.records(hostname).map((r) => this.leaseOf(r));
  }

  getLeases6Page(after: string | null, limit: number): Lease6[] {
    let from: number | null = null;
    if (after !== null) {
      if (!tryParseIPv6(after, this.pageKey)) {
        throw new InvalidOperation(`'${after}' is not an IPv6 address`);
      }
      from = -1;
    }
    return this.byOrder.page(from, limit).map((r) => this.leaseOf(r));
  }

  getExpiredLeases6(now: number, max: number): Lease6[] {
    if (this.expiry.length > 2 * this.size + 1024) this.rebuildExpiry(); // drop stale entries
    return this.expiry.expired(now, max, this.version).map((r) => this.leaseOf(r));
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

  /**
   * Record r's address as text: the last one is kept, as a query looks up and writes one address
   * several times (the text is immutable, so leases share it).
   */
  private addressText(r: number): string {
    const last = this.lastAddress;
    if (this.lastAddressText === "" || compareBytes(this.addr, r * 16, last, 0, 16) !== 0) {
      for (let i = 0; i < 16; i++) last[i] = this.addr[r * 16 + i]!;
      this.lastAddressText = ipv6ToString(last);
    }
    return this.lastAddressText;
  }

  /** A new Lease6 holding record `r`'s values (its user context is the record's, not a copy). */
  private leaseOf(r: number): Lease6 {
    const bits = this.bits[r]!;
    // Each scratch is copied by its constructor before the next one is made.
    const hw = this.arena.scratch(this.hws, r);
    const hwaddr = hw === null ? null : new HWAddr(hw, this.hwtype[r]!);
    const init = this.init;
    init.address = this.addressText(r);
    init.type = bits & 3;
    init.prefixLen = (bits >>> 2) & 0xff;
    init.duid = this.arena.scratch(this.duids, r)!;
    init.iaid = this.iaid[r]!;
    init.preferredLifetime = this.pref[r]!;
    init.hwaddr = hwaddr;
    init.hwaddrSource = this.hwsrc.get(r);
    takeCommon(init, this, r, (bits & FWD) !== 0, (bits & REV) !== 0);
    const lease = new Lease6(init);
    init.hwaddr = null;
    init.userContext = null;
    lease.hostname = this.hostnames.get(r) ?? ""; // as stored: the constructor would lower-case it
    return lease;
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
    const row = this.rowOf(lease);
    if (this.findAddress(row.addr) >= 0) return false;
    const r = this.records.alloc();
    this.assign(r, row);
    this.byAddress.insert(r);
    this.fileOthers(r);
    this.byOrder.insert(r);
    this.fileExpiry(r);
    this.written(r);
    return true;
  }

  updateLease6(lease: Lease6): void {
    const r = this.recordOf(lease.address);
    if (r < 0) throw new NoSuchLease(lease.address);
    const row = this.rowOf(lease);
    const sameDuid = this.arena.equals(
      this.duids.off[r]!,
      this.duids.len[r]!,
      row.duid,
      0,
      row.duidLen,
    );
    const oldName = this.hostnames.get(r) ?? "";
    const oldSubnet = this.subnet[r]!;
    this.count(r, -1);
    if (!sameDuid) this.byDuid.remove(r); // filed again under its new DUID once assigned
    if (row.hostname !== oldName) {
      this.byHostname.remove(oldName, r);
      this.byHostname.add(row.hostname, r);
    }
    // A renewal (same client, subnet and type) keeps its places; a change of subnet moves it
    // as Kea's ordered index does (record-lists.ts).
    if (row.subnetId !== oldSubnet) this.bySubnet.move(r, oldSubnet, row.subnetId);
    this.assign(r, row);
    if (!sameDuid) this.byDuid.insert(r);
    this.count(r, 1);
    this.fileExpiry(r);
    this.written(r);
  }

  deleteLease6(lease: Lease6): boolean {
    const r = this.recordOf(lease.address);
    if (r < 0) return false;
    this.remove(r);
    return true;
  }

  deleteExpiredReclaimedLeases6(now: number, secs: number): number {
    const doomed: number[] = [];
    const { used, top } = this.records;
    for (let r = 0; r < top; r++) {
      if (
        used[r] === 1 &&
        this.state.get(r) === LeaseState.EXPIRED_RECLAIMED &&
        this.cltt[r]! + this.valid[r]! < now - secs
      ) {
        doomed.push(r);
      }
    }
    for (const r of doomed) this.remove(r);
    return doomed.length;
  }

  /**
   * A caller's lease as the store's scratch row (its address's bytes, its DUID and hardware
   * address as they are, a copy of its user context), once checked as a lease file could hold it.
   */
  private rowOf(lease: Lease6): Lease6Row {
    const row = this.row;
    if (!tryParseIPv6(lease.address, row.addr)) {
      throw new InvalidOperation(`'${lease.address}' is not an IPv6 address`);
    }
    const name = (): string => ipv6ToString(row.addr);
    if (lease.validLifetime <= 0) {
      // In the lease file a row with valid_lifetime 0 deletes the lease.
      throw new InvalidOperation(`lease ${name()} has no valid lifetime`);
    }
    if (lease.type !== 0 && lease.type !== 1 && lease.type !== 2) {
      throw new InvalidOperation(`lease ${name()} has an unknown type ${lease.type}`);
    }
    if (!Number.isInteger(lease.prefixLen) || lease.prefixLen < 0 || lease.prefixLen > 128) {
      throw new InvalidOperation(`lease ${name()} has a bad prefix length ${lease.prefixLen}`);
    }
    if (lease.duid.length === 0) throw new InvalidOperation(`lease ${name()} has no DUID`);
    if (lease.hasEmptyDuid() && lease.state !== LeaseState.DECLINED) {
      throw new InvalidOperation(`lease ${name()} has the empty DUID and is not declined`);
    }
    row.fromLease(lease, ownedContext(lease.userContext));
    return row;
  }

  /** Writes a row's values into record `r` (its address included); bumps its version. */
  private assign(r: number, row: Lease6Row): void {
    this.addr.set(row.addr, r * 16);
    this.arena.set(this.duids, r, row.duid, 0, row.duidLen);
    this.arena.set(this.hws, r, row.hw, 0, row.hwLen);
    this.hwtype[r] = row.hwtype;
    this.hwsrc.set(r, row.hwaddrSource);
    this.iaid[r] = row.iaid;
    this.pref[r] = row.preferredLifetime;
    this.valid[r] = row.validLifetime;
    this.cltt[r] = row.cltt;
    this.subnet[r] = row.subnetId;
    this.pool.set(r, row.poolId);
    this.bits[r] =
      (row.type & 3) |
      ((row.prefixLen & 0xff) << 2) |
      (row.fqdnFwd ? FWD : 0) |
      (row.fqdnRev ? REV : 0);
    this.state.set(r, row.state);
    if (row.hostname === "") this.hostnames.delete(r);
    else this.hostnames.set(r, row.hostname);
    if (row.userContext === null) this.contexts.delete(r);
    else this.contexts.set(r, row.userContext);
    this.version[r] = (this.version[r]! + 1) | 0;
  }

  /** Record `r` holds nothing any more and may be handed out again. */
  private clear(r: number): void {
    this.version[r] = (this.version[r]! + 1) | 0;
    this.arena.clear(this.duids, r);
    this.arena.clear(this.hws, r);
    this.state.set(r, 0);
    this.pool.set(r, 0);
    this.hwsrc.set(r, 0);
    this.hostnames.delete(r);
    this.contexts.delete(r);
    this.records.release(r);
    this.arena.compactIfWasteful([this.duids, this.hws], this.records.used, this.records.top);
  }

  /** Files a record in every index but the address index and the address order. */
  private fileOthers(r: number): void {
    this.byHostname.add(this.hostnames.get(r) ?? "", r);
    this.byDuid.insert(r);
    this.bySubnet.add(this.subnet[r]!, r);
    this.count(r, 1);
  }

  /** Takes a record out of every index, writes its deletion row and tells the watcher. */
  private remove(r: number): void {
    this.byAddress.remove(r);
    this.byDuid.remove(r);
    this.byHostname.remove(this.hostnames.get(r) ?? "", r);
    this.byOrder.remove(r);
    this.bySubnet.remove(this.subnet[r]!, r);
    this.count(r, -1);
    const lease = this.watcher === null ? null : this.leaseOf(r);
    this.queueRow(r, true);
    this.clear(r);
    if (lease !== null) this.watcher!(lease, false);
  }

  /** After an add or an update: the lease file row, and the watcher. */
  private written(r: number): void {
    this.queueRow(r, false);
    if (this.watcher !== null) this.watcher(this.leaseOf(r), true);
  }

  /** When a record is due for reclamation; null when never (infinite, or already reclaimed). */
  private expiryOf(r: number): number | null {
    if (this.state.get(r) === LeaseState.EXPIRED_RECLAIMED) return null;
    const valid = this.valid[r]!;
    return valid === INFINITY_LFT ? null : this.cltt[r]! + valid;
  }

  private fileExpiry(r: number): void {
    const expire = this.expiryOf(r);
    if (expire !== null) this.expiry.push(expire, r, this.version[r]!);
    // Without reclamation queries stale entries would pile up: bound them here too.
    if (this.expiry.length > 4 * this.size + 4096) this.rebuildExpiry();
  }

  private rebuildExpiry(): void {
    const used = this.records.used;
    this.expiry.rebuild(
      this.records.top,
      (r) => (used[r] === 1 ? this.expiryOf(r) : null),
      this.version,
    );
  }

  private count(r: number, delta: number): void {
    const subnetId = this.subnet[r]!;
    const type = this.bits[r]! & 3;
    const state = this.state.get(r);
    let perType = this.counts.get(subnetId);
    if (perType === undefined) this.counts.set(subnetId, (perType = []));
    const perState = (perType[type] ??= []);
    perState[state] = (perState[state] ?? 0) + delta;
  }

  // ---- lease file --------------------------------------------------------------------------

  protected writeRowBytes(w: RowBytes, r: number, deletion: boolean): void {
    const bits = this.bits[r]!;
    w.ipv6(this.addr, r * 16);
    writeLease6Fields(
      w,
      this.arena.bytes,
      this.duids.off[r]!,
      this.duids.bytesOf(r),
      deletion ? 0 : this.valid[r]!,
      this.cltt[r]!,
      this.subnet[r]!,
      deletion ? 0 : this.pref[r]!,
      bits & 3,
      this.iaid[r]!,
      (bits >>> 2) & 0xff,
      (bits & FWD) !== 0,
      (bits & REV) !== 0,
      this.hostnames.get(r) ?? "",
      this.arena.bytes,
      this.hws.off[r]!,
      this.hws.bytesOf(r),
      this.hwtype[r]!,
      this.hwsrc.get(r),
      this.state.get(r),
      this.contexts.get(r) ?? null,
    );
  }
}
