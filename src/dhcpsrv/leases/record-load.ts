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

export interface RecordLoad<
  Layout extends { readonly needsConversion: boolean },
> extends LeaseRowSink<Layout> {
  records: RecordAllocator;
  /** The address index: the load's only index. */
  addresses: RecordHashIndex;
  /** Fewer bytes than a row of the format usually takes: room for the rows the files hold. */
  bytesPerRow: number;
  /** Record r as the sanity check reads it. */
  view(r: number): CheckedLease;
  /** Takes record r out (the check dropped it). */
  drop(r: number): void;
}

export function loadRecords<Layout extends { readonly needsConversion: boolean }>(
  set: LeaseFileSet,
  options: LoadOptions,
  load: RecordLoad<Layout>,
): { leases: LoadedLeases; reports: FileLoadReport[] } {
  const { records, addresses } = load;
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
    const report = readLeaseFileRows(file, options, load);
    if (report !== null) reports.push(report);
  }
  const leases: LoadedLeases = {
    get size() {
      return addresses.size;
    },
    retain: (check) => {
      const { used, top } = records;
      for (let r = 0; r < top; r++) if (used[r] === 1 && !check(load.view(r))) load.drop(r);
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
