/**
 * Loading a store kept as columns (memfile-lease-store4.ts, memfile-lease-store6.ts): the files
 * of a lease database replayed in Kea's order (lease-files.ts) straight into records, each row's
 * bytes read into the columns by the store (`applyRow`), keyed by the address index alone; the
 * other indexes are built once the sanity check has gone through the records.
 */
import fs from "node:fs";
import {
  type FileLoadReport,
  type LeaseFileSet,
  type LeaseRowSink,
  type LoadOptions,
  cleanupFilesToLoad,
  readLeaseFileRows,
} from "./lease-files.ts";
import type { CheckedLease, LoadedLeases } from "./lease-journal.ts";
import type { RecordHashIndex } from "./record-hash.ts";
import type { RecordAllocator } from "./record-table.ts";

/**
 * What a store kept as columns states of its family for the load: its row reader and scratch
 * row, how it finds a row's address among its records, and how it writes and clears a record.
 * `loadRecords` does the rest (each row replaces the lease of its address, or deletes it).
 */
export interface RecordLoad<Row extends { validLifetime: number }, Layout extends LoadLayout> {
  records: RecordAllocator;
  /** The address index: the load's only index. */
  addresses: RecordHashIndex;
  /** Fewer bytes than a row of the format usually takes: room for the rows the files hold. */
  bytesPerRow: number;
  /** Checks a file's header line (throws LeaseFileFormatError). */
  parseHeader(line: string, file: string): Layout;
  /** The scratch row each line is read into. */
  row: Row;
  /** Reads the line from `start` to `end` into `row` (throws LeaseRowError). */
  readRow(buf: Uint8Array, start: number, end: number, layout: Layout, row: Row): void;
  /** The record holding the row's address, or -1. */
  find(row: Row): number;
  /** Writes the row's values into record r. */
  assign(r: number, row: Row): void;
  /** Record r holds nothing any more. */
  clear(r: number): void;
  /** Record r as the sanity check reads it. */
  view(r: number): CheckedLease;
}

type LoadLayout = { readonly needsConversion: boolean };

export function loadRecords<Row extends { validLifetime: number }, Layout extends LoadLayout>(
  set: LeaseFileSet,
  options: LoadOptions,
  load: RecordLoad<Row, Layout>,
): { leases: LoadedLeases; reports: FileLoadReport[] } {
  const { records, addresses, row } = load;
  /** A loaded record taken out again (a deletion row, the sanity check). */
  const drop = (r: number): void => {
    addresses.remove(r);
    load.clear(r);
  };
  const sink: LeaseRowSink<Layout> = {
    parseHeader: (line, file) => load.parseHeader(line, file),
    // One row: replaces the lease of its address, or deletes it.
    applyRow: (buf, start, end, layout) => {
      load.readRow(buf, start, end, layout, row);
      const r = load.find(row);
      if (row.validLifetime === 0) {
        if (r >= 0) drop(r);
      } else if (r >= 0) {
        load.assign(r, row);
      } else {
        const n = records.alloc();
        load.assign(n, row);
        addresses.insert(n);
      }
    },
  };
  // Records removed while loading are not reused: the records stay in the order their
  // addresses first came, as Kea's replay into a map keeps them.
  records.holdFreed();
  // Room for about as many leases as the files hold rows at once, instead of doubling through
  // every size (room never written costs no memory).
  const files = [...cleanupFilesToLoad(set), set.main];
  let bytes = 0;
  for (const file of files) bytes += fileSize(file);
  records.reserve(Math.ceil(bytes / load.bytesPerRow));
  addresses.reserve(Math.ceil(bytes / (load.bytesPerRow * 1.5)));
  const reports: FileLoadReport[] = [];
  for (const file of files) {
    const report = readLeaseFileRows(file, options, sink);
    if (report !== null) reports.push(report);
  }
  const leases: LoadedLeases = {
    get size() {
      return addresses.size;
    },
    retain: (check) => {
      const { used, top } = records;
      for (let r = 0; r < top; r++) if (used[r] === 1 && !check(load.view(r))) drop(r);
    },
  };
  return { leases, reports };
}

/** A file's size in bytes; 0 when it cannot be read (the load then says why). */
function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
