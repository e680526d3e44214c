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
 *
 * The leases are records of columns, as in the v6 store (memfile-lease-store6.ts): typed arrays
 * indexed by record number, the hardware addresses and client ids slices of a byte arena. The
 * indexes hold record numbers: by address (a hash of the address), by hardware address and by
 * client id (each a hash of the identifier's bytes, the leases of one identifier chained in the
 * order they were filed, whatever their subnet; a lookup in one subnet takes the first of that
 * subnet), by hostname, each subnet's leases in Kea's order, the address order, the counts per
 * subnet and state, and the expiry heap.
 */
import { HWAddr } from "../../dhcp/hwaddr.ts";
import { ipv4ToString, tryParseIPv4 } from "../../dhcp/ioaddress.ts";
import type { JsonObject } from "../../hooks/types.ts";
import { InvalidOperation } from "../../util/errors.ts";
import { ArenaProbe, ByteArena, ByteRefs, arenaKeys } from "./byte-arena.ts";
import { ownedContext } from "./csv-columns.ts";
import {
  Lease4Row,
  parseLease4Header,
  readLease4RowBytes,
  writeLease4Fields,
} from "./csv-lease-file4.ts";
import { INFINITY_LFT, Lease4, type Lease4Init, LeaseState } from "./lease4.ts";
import { type FileLoadReport, type LeaseFileSet, type LoadOptions } from "./lease-files.ts";
import {
  type CheckedLease,
  JournaledLeaseStore,
  LeaseJournal,
  type LoadedLeases,
  type MemfileConfig,
  type MemfileHooks,
} from "./lease-journal.ts";
import {
  type LeaseCursor4,
  type LeaseStatsRow,
  type LeaseStore4,
  NoSuchLease,
} from "./lease-store4.ts";
import type { LeaseWatcher } from "./lease-store.ts";
import { RecordHashIndex, type RecordProbe } from "./record-hash.ts";
import type { RowBytes } from "./row-bytes.ts";
import { RecordExpiryHeap } from "./record-heap.ts";
import { NameIndex, SubnetLists } from "./record-lists.ts";
import { RecordOrder } from "./record-order.ts";
import { loadRecords } from "./record-load.ts";
import {
  RecordAllocator,
  SmallColumn,
  grown,
  radixSortRecords,
  takeCommon,
} from "./record-table.ts";

export const DEFAULT_LEASE_FILE4 = "/var/lib/nestor/kea-leases4.csv";
export { DEFAULT_LFC_INTERVAL } from "./lease-journal.ts";
export type { MemfileConfig, MemfileHooks } from "./lease-journal.ts";

const FWD = 1;
const REV = 2;
const INITIAL_RECORDS = 1024;

/** A 32-bit mix of an address: the address index's hash. */
function hashAddress(a: number): number {
  return Math.imul(a ^ (a >>> 16), 0x45d9f3b) >>> 0;
}

/** A lookup's address. */
class AddressProbe implements RecordProbe {
  address = 0;
  private readonly store: { addr: Uint32Array };
  constructor(store: { addr: Uint32Array }) {
    this.store = store;
  }
  matches(r: number): boolean {
    return this.store.addr[r] === this.address;
  }
}

/**
 * The load's sanity check, and the statistics' recount, see each record through this one object.
 */
class CheckedRecord implements CheckedLease, LeaseCursor4 {
  r = 0;
  private readonly store: MemfileLeaseStore4;
  constructor(store: MemfileLeaseStore4) {
    this.store = store;
  }
  get address(): string {
    return ipv4ToString(this.store.addr[this.r]!);
  }
  get subnetId(): number {
    return this.store.subnet[this.r]!;
  }
  set subnetId(id: number) {
    this.store.subnet[this.r] = id;
  }
  get addressNumber(): number {
    return this.store.addr[this.r]!;
  }
  get state(): number {
    return this.store.state.get(this.r);
  }
  get poolId(): number {
    return this.store.pool.get(this.r);
  }
}

/** The address of a lookup (text or number) as an unsigned number; -1 when not an address. */
function addressOf(address: string | number): number {
  return typeof address === "number" ? address >>> 0 : tryParseIPv4(address);
}

export class MemfileLeaseStore4 extends JournaledLeaseStore implements LeaseStore4 {
  // ---- the columns ---------------------------------------------------------------------------
  /** The address as an unsigned number. */
  addr = new Uint32Array(INITIAL_RECORDS);
  subnet = new Uint32Array(INITIAL_RECORDS);
  private readonly arena = new ByteArena();
  private readonly hws = new ByteRefs(INITIAL_RECORDS);
  private readonly cids = new ByteRefs(INITIAL_RECORDS);
  private hwtype = new Uint16Array(INITIAL_RECORDS);
  valid = new Uint32Array(INITIAL_RECORDS);
  cltt = new Float64Array(INITIAL_RECORDS);
  readonly pool = new SmallColumn(INITIAL_RECORDS);
  /** fqdnFwd | fqdnRev << 1 */
  private bits = new Uint8Array(INITIAL_RECORDS);
  readonly state = new SmallColumn(INITIAL_RECORDS);
  /** Bumped on every change and on removal: older expiry heap entries become stale. */
  private version = new Int32Array(INITIAL_RECORDS);
  /** As stored: only records with a hostname. */
  private readonly hostnames = new Map<number, string>();
  readonly contexts = new Map<number, JsonObject>();
  private readonly records: RecordAllocator;

  // ---- indexes -------------------------------------------------------------------------------
  private readonly byAddress: RecordHashIndex;
  /** Records with a hardware address of at least one byte. */
  private readonly byHwAddr: RecordHashIndex;
  /** Records with a client id of at least one byte. */
  private readonly byClientId: RecordHashIndex;
  private readonly byHostname = new NameIndex();
  private readonly bySubnet = new SubnetLists(INITIAL_RECORDS);
  /** The address order; record -1 stands for `pageKey`. */
  private readonly byOrder: RecordOrder;
  private pageKey = 0;
  /** subnet id -> state -> count */
  private readonly counts = new Map<number, number[]>();
  private readonly expiry = new RecordExpiryHeap();

  private watcher: LeaseWatcher<Lease4> | null = null;
  private readonly row = new Lease4Row();
  private lastAddress = -1;
  /** The values of the lease leaseOf makes (read by Lease4's constructor, then let go). */
  private readonly init: Lease4Init = { address: "", validLifetime: 0, cltt: 0, subnetId: 0 };
  private lastAddressText = "";
  private readonly addressProbe = new AddressProbe(this);
  private readonly hwProbe: ArenaProbe;
  private readonly cidProbe: ArenaProbe;

  private constructor(config: MemfileConfig, hooks: MemfileHooks) {
    super(new LeaseJournal(config, hooks, 4, DEFAULT_LEASE_FILE4));
    this.records = new RecordAllocator(INITIAL_RECORDS, (cap) => this.growColumns(cap));
    this.byAddress = new RecordHashIndex(
      {
        hashOf: (r) => hashAddress(this.addr[r]!),
        sameKey: (a, b) => this.addr[a] === this.addr[b],
      },
      false,
      INITIAL_RECORDS,
    );
    this.byHwAddr = new RecordHashIndex(arenaKeys(this.arena, this.hws), true, INITIAL_RECORDS);
    this.byClientId = new RecordHashIndex(arenaKeys(this.arena, this.cids), true, INITIAL_RECORDS);
    this.hwProbe = new ArenaProbe(this.arena, this.hws);
    this.cidProbe = new ArenaProbe(this.arena, this.cids);
    this.byOrder = new RecordOrder((a, b) => {
      const x = a < 0 ? this.pageKey : this.addr[a]!;
      const y = b < 0 ? this.pageKey : this.addr[b]!;
      return x < y ? -1 : x > y ? 1 : 0;
    });
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
  static open(config: MemfileConfig = {}, hooks: MemfileHooks = {}): MemfileLeaseStore4 {
    return new MemfileLeaseStore4(config, hooks);
  }

  private growColumns(cap: number): void {
    this.addr = grown(this.addr, cap);
    this.subnet = grown(this.subnet, cap);
    this.hws.grow(cap);
    this.cids.grow(cap);
    this.hwtype = grown(this.hwtype, cap);
    this.valid = grown(this.valid, cap);
    this.cltt = grown(this.cltt, cap);
    this.pool.grow(cap);
    this.bits = grown(this.bits, cap);
    this.state.grow(cap);
    this.version = grown(this.version, cap);
    this.byHwAddr.growRecords(cap);
    this.byClientId.growRecords(cap);
    this.bySubnet.growRecords(cap);
  }

  // ---- loading -------------------------------------------------------------------------------

  /**
   * Replays the files in Kea's order straight into records (record-table.ts's loadRecords):
   * each row's bytes into the columns, keyed by the address index alone.
   */
  private load(
    set: LeaseFileSet,
    options: LoadOptions,
  ): { leases: LoadedLeases; reports: FileLoadReport[] } {
    const view = new CheckedRecord(this);
    return loadRecords(set, options, {
      records: this.records,
      addresses: this.byAddress,
      bytesPerRow: 48, // a v4 row takes some 60 bytes
      parseHeader: parseLease4Header,
      row: this.row,
      readRow: readLease4RowBytes,
      find: (row) => this.findAddress(row.address),
      assign: (r, row) => this.assign(r, row),
      clear: (r) => this.clear(r),
      view: (r) => ((view.r = r), view),
    });
  }

  /** Files the loaded records in the other indexes, in the order they were first loaded. */
  private indexLoaded(): void {
    const { used, top } = this.records;
    this.records.reuse();
    const live = new Int32Array(this.byAddress.size);
    let n = 0;
    for (let r = 0; r < top; r++) {
      if (used[r] === 0) continue;
      live[n++] = r;
      this.fileOthers(r);
    }
    this.rebuildExpiry();
    const bytes = new Uint8Array(this.addr.buffer, this.addr.byteOffset, this.addr.byteLength);
    const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    this.byOrder.rebuildSorted(radixSortRecords(live, bytes, 4, little));
  }

  // ---- lookups -------------------------------------------------------------------------------
  // Every lease handed out is a new Lease4 made from the store's record (as Kea's copies).

  get size(): number {
    return this.byAddress.size;
  }

  getLease4(address: string | number): Lease4 | null {
    const a = addressOf(address);
    const r = a < 0 ? -1 : this.findAddress(a);
    return r < 0 ? null : this.leaseOf(r);
  }

  private findAddress(address: number): number {
    this.addressProbe.address = address;
    return this.byAddress.find(hashAddress(address), this.addressProbe);
  }

  getLease4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId: number): Lease4 | null {
    const r = this.firstIn(this.byHwAddr, this.hwProbe, hwBytes(hwaddr), subnetId);
    return r < 0 ? null : this.leaseOf(r);
  }

  getLeases4ByHwAddr(hwaddr: HWAddr | Uint8Array, subnetId?: number): Lease4[] {
    return this.allOf(this.byHwAddr, this.hwProbe, hwBytes(hwaddr), subnetId);
  }

  getLease4ByClientId(clientId: Uint8Array, subnetId: number): Lease4 | null {
    const r = this.firstIn(this.byClientId, this.cidProbe, clientId, subnetId);
    return r < 0 ? null : this.leaseOf(r);
  }

  getLeases4ByClientId(clientId: Uint8Array, subnetId?: number): Lease4[] {
    return this.allOf(this.byClientId, this.cidProbe, clientId, subnetId);
  }

  /** The first record filed under an identifier in one subnet; -1 when none. */
  private firstIn(
    index: RecordHashIndex,
    probe: ArenaProbe,
    key: Uint8Array,
    subnetId: number,
  ): number {
    if (key.length === 0) return -1;
    const next = index.next;
    for (let r = index.find(probe.set(key), probe); r >= 0; r = next[r]!) {
      if (this.subnet[r] === subnetId) return r;
    }
    return -1;
  }

  /**
   * The leases of an identifier in one subnet, in the order they were filed; without a subnet,
   * subnet by subnet in id order, as Kea.
   */
  private allOf(
    index: RecordHashIndex,
    probe: ArenaProbe,
    key: Uint8Array,
    subnetId: number | undefined,
  ): Lease4[] {
    if (key.length === 0) return [];
    const found: number[] = [];
    const next = index.next;
    for (let r = index.find(probe.set(key), probe); r >= 0; r = next[r]!) {
      if (subnetId === undefined || this.subnet[r] === subnetId) found.push(r);
    }
    if (subnetId === undefined) found.sort((a, b) => this.subnet[a]! - this.subnet[b]!); // stable
    return found.map((r) => this.leaseOf(r));
  }

  getLeases4ByHostname(hostname: string): Lease4[] {
    return this.byHostname.records(hostname).map((r) => this.leaseOf(r));
  }

  getLeases4Page(after: string | number | null, limit: number): Lease4[] {
    let from: number | null = null;
    if (after !== null) {
      const a = addressOf(after);
      if (a < 0) throw new InvalidOperation(`'${String(after)}' is not an IPv4 address`);
      this.pageKey = a;
      from = -1;
    }
    return this.byOrder.page(from, limit).map((r) => this.leaseOf(r));
  }

  getLeases4BySubnet(subnetId: number): Lease4[] {
    return Array.from(this.bySubnet.records(subnetId), (r) => this.leaseOf(r));
  }

  *eachLease4InSubnet(subnetId: number): IterableIterator<Lease4> {
    for (const r of this.bySubnet.records(subnetId)) yield this.leaseOf(r);
  }

  visitLeases4InSubnet(subnetId: number, visit: (lease: LeaseCursor4) => void): void {
    const cursor = new CheckedRecord(this);
    this.bySubnet.each(subnetId, (r) => {
      cursor.r = r;
      visit(cursor);
    });
  }

  getAllLeases4(): Lease4[] {
    return Array.from(this.byOrder.values(), (r) => this.leaseOf(r));
  }

  getExpiredLeases4(now: number, max: number): Lease4[] {
    if (this.expiry.length > 2 * this.size + 1024) this.rebuildExpiry(); // drop stale entries
    return this.expiry.expired(now, max, this.version).map((r) => this.leaseOf(r));
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

  /**
   * An address's text: the last one is kept, as a query looks up and writes one address several
   * times (the text is immutable, so leases share it).
   */
  private addressText(a: number): string {
    if (a !== this.lastAddress) {
      this.lastAddress = a;
      this.lastAddressText = ipv4ToString(a);
    }
    return this.lastAddressText;
  }

  /** A new Lease4 holding record `r`'s values (its user context is the record's, not a copy). */
  private leaseOf(r: number): Lease4 {
    const bits = this.bits[r]!;
    // Each scratch is copied by its constructor before the next one is made.
    const hw = this.arena.scratch(this.hws, r);
    const hwaddr = hw === null ? null : new HWAddr(hw, this.hwtype[r]!);
    const cid = this.arena.scratch(this.cids, r);
    const init = this.init;
    init.address = this.addressText(this.addr[r]!);
    init.hwaddr = hwaddr;
    init.clientId = cid === null || cid.length === 0 ? null : cid;
    takeCommon(init, this, r, (bits & FWD) !== 0, (bits & REV) !== 0);
    const lease = new Lease4(init);
    init.hwaddr = null;
    init.clientId = null;
    init.userContext = null;
    lease.hostname = this.hostnames.get(r) ?? ""; // as stored: the constructor would lower-case it
    return lease;
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
    const row = this.rowOf(lease);
    if (this.findAddress(row.address) >= 0) return false;
    const r = this.records.alloc();
    this.assign(r, row);
    this.byAddress.insert(r);
    this.fileOthers(r);
    this.byOrder.insert(r);
    this.fileExpiry(r);
    this.written(r);
    return true;
  }

  updateLease4(lease: Lease4): void {
    const row = this.rowOf(lease);
    const r = this.findAddress(row.address);
    if (r < 0) throw new NoSuchLease(lease.address);
    const oldSubnet = this.subnet[r]!;
    const moved = row.subnetId !== oldSubnet;
    // A lease filed again under a changed identifier (or subnet) goes after the others of it.
    const newHw = moved || !this.sameBytes(this.hws, r, row.hw, row.hwLen);
    const newCid = moved || !this.sameBytes(this.cids, r, row.cid, row.cidLen || -1);
    const oldName = this.hostnames.get(r) ?? "";
    this.count(r, -1);
    if (newHw) this.unfileUnder(this.byHwAddr, this.hws, r);
    if (newCid) this.unfileUnder(this.byClientId, this.cids, r);
    if (row.hostname !== oldName) {
      this.byHostname.remove(oldName, r);
      this.byHostname.add(row.hostname, r);
    }
    if (moved) this.bySubnet.move(r, oldSubnet, row.subnetId);
    this.assign(r, row);
    if (newHw) this.fileUnder(this.byHwAddr, this.hws, r);
    if (newCid) this.fileUnder(this.byClientId, this.cids, r);
    this.count(r, 1);
    this.fileExpiry(r);
    this.written(r);
  }

  deleteLease4(lease: Lease4): boolean {
    const a = addressOf(lease.address);
    const r = a < 0 ? -1 : this.findAddress(a);
    if (r < 0) return false;
    this.remove(r);
    return true;
  }

  deleteExpiredReclaimedLeases4(now: number, secs: number): number {
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

  /** Whether record r's identifier in `refs` is `len` bytes of `bytes` (-1: none). */
  private sameBytes(refs: ByteRefs, r: number, bytes: Uint8Array, len: number): boolean {
    const have = refs.len[r]!;
    if (len < 0 || have === 0xffff) return len < 0 && have === 0xffff;
    return this.arena.equals(refs.off[r]!, have, bytes, 0, len);
  }

  /** Files record r under its identifier in `refs` when it has one of at least one byte. */
  private fileUnder(index: RecordHashIndex, refs: ByteRefs, r: number): void {
    const len = refs.len[r]!;
    if (len !== 0 && len !== 0xffff) index.insert(r);
  }

  private unfileUnder(index: RecordHashIndex, refs: ByteRefs, r: number): void {
    const len = refs.len[r]!;
    if (len !== 0 && len !== 0xffff) index.remove(r);
  }

  /**
   * A caller's lease as the store's scratch row (its identifiers as they are, a copy of its user
   * context), once checked as a lease file could hold it.
   */
  private rowOf(lease: Lease4): Lease4Row {
    const row = this.row;
    const a = tryParseIPv4(lease.address);
    if (a < 0) throw new InvalidOperation(`'${lease.address}' is not an IPv4 address`);
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
    row.address = a;
    row.fromLease(lease, ownedContext(lease.userContext));
    return row;
  }

  /** Writes a row's values into record `r` (its address included); bumps its version. */
  private assign(r: number, row: Lease4Row): void {
    this.addr[r] = row.address;
    this.arena.set(this.hws, r, row.hw, 0, row.hwLen);
    this.arena.set(this.cids, r, row.cid, 0, row.cidLen === 0 ? -1 : row.cidLen);
    this.hwtype[r] = row.hwtype;
    this.valid[r] = row.validLifetime;
    this.cltt[r] = row.cltt;
    this.subnet[r] = row.subnetId;
    this.pool.set(r, row.poolId);
    this.bits[r] = (row.fqdnFwd ? FWD : 0) | (row.fqdnRev ? REV : 0);
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
    this.arena.clear(this.hws, r);
    this.arena.clear(this.cids, r);
    this.state.set(r, 0);
    this.pool.set(r, 0);
    this.hostnames.delete(r);
    this.contexts.delete(r);
    this.records.release(r);
    this.arena.compactIfWasteful([this.hws, this.cids], this.records.used, this.records.top);
  }

  /** Files a record in every index but the address index and the address order. */
  private fileOthers(r: number): void {
    this.fileUnder(this.byHwAddr, this.hws, r);
    this.fileUnder(this.byClientId, this.cids, r);
    this.byHostname.add(this.hostnames.get(r) ?? "", r);
    this.bySubnet.add(this.subnet[r]!, r);
    this.count(r, 1);
  }

  /** Takes a record out of every index, writes its deletion row and tells the watcher. */
  private remove(r: number): void {
    this.byAddress.remove(r);
    this.unfileUnder(this.byHwAddr, this.hws, r);
    this.unfileUnder(this.byClientId, this.cids, r);
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
    const state = this.state.get(r);
    let perState = this.counts.get(subnetId);
    if (perState === undefined) this.counts.set(subnetId, (perState = []));
    perState[state] = (perState[state] ?? 0) + delta;
  }

  // ---- lease file --------------------------------------------------------------------------

  protected writeRowBytes(w: RowBytes, r: number, deletion: boolean): void {
    const bits = this.bits[r]!;
    w.ipv4(this.addr[r]!);
    writeLease4Fields(
      w,
      this.arena.bytes,
      this.hws.off[r]!,
      this.hws.bytesOf(r),
      this.arena.bytes,
      this.cids.off[r]!,
      this.cids.bytesOf(r),
      deletion ? 0 : this.valid[r]!,
      this.cltt[r]!,
      this.subnet[r]!,
      (bits & FWD) !== 0,
      (bits & REV) !== 0,
      this.hostnames.get(r) ?? "",
      this.state.get(r),
      this.contexts.get(r) ?? null,
    );
  }
}

function hwBytes(hwaddr: HWAddr | Uint8Array): Uint8Array {
  return hwaddr instanceof Uint8Array ? hwaddr : hwaddr.hwaddr;
}
