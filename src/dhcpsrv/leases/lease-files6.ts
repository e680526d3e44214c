/**
 * The files of one DHCPv6 memfile lease database and how they are replayed at load: the same
 * file set, order and rules as v4 (lease-files.ts), with v6 rows keyed by canonical address.
 */
import { type Lease6FileLayout, parseLease6Header, parseLease6Row } from "./csv-lease-file6.ts";
import {
  type FileLoadReport,
  type LeaseFileSet,
  type LeaseRowCodec,
  type LoadOptions,
  loadLeaseFiles,
  replayLeaseFile,
} from "./lease-files.ts";
import type { Lease6 } from "./lease6.ts";

export const LEASE6_CODEC: LeaseRowCodec<string, Lease6, Lease6FileLayout> = {
  parseHeader: parseLease6Header,
  parseRow: parseLease6Row,
  // parseLease6Row writes the address in RFC 5952 form: the store's key.
  keyOf: (lease) => lease.address,
  isDeletion: (lease) => lease.validLifetime === 0,
};

/**
 * Replays one v6 file into `storage` (canonical address -> lease). Returns null when the file
 * does not exist. Throws LeaseFileFormatError.
 */
export function replayLeaseFile6(
  file: string,
  storage: Map<string, Lease6>,
  options: LoadOptions,
): FileLoadReport | null {
  return replayLeaseFile(file, storage, options, LEASE6_CODEC);
}

/** Replays the cleanup files then the main file, in Kea's order. */
export function loadLeaseFiles6(
  set: LeaseFileSet,
  options: LoadOptions,
): { leases: Map<string, Lease6>; reports: FileLoadReport[] } {
  return loadLeaseFiles(set, options, LEASE6_CODEC);
}
