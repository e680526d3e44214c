/** The v4 lease files: rows keyed by address as a signed 32-bit number (the store's key). */
import { tryParseIPv4 } from "../../dhcp/ioaddress.ts";
import { type Lease4FileLayout, parseLease4Header, parseLease4Row } from "./csv-lease-file4.ts";
import type { Lease4 } from "./lease4.ts";
import {
  type FileLoadReport,
  type LeaseFileSet,
  type LeaseRowCodec,
  type LoadOptions,
  loadLeaseFiles,
  replayLeaseFile,
} from "./lease-files.ts";

const LEASE4_CODEC: LeaseRowCodec<number, Lease4, Lease4FileLayout> = {
  parseHeader: parseLease4Header,
  parseRow: parseLease4Row,
  keyOf: (lease) => tryParseIPv4(lease.address) | 0, // the store's key: see memfile-lease-store4.ts
  isDeletion: (lease) => lease.validLifetime === 0,
};

/**
 * Replays one file into `storage` (address as a signed 32-bit number -> lease). Returns null when the file does not
 * exist. An empty file holds no leases (Kea recreates it). Throws LeaseFileFormatError.
 */
export function replayLeaseFile4(
  file: string,
  storage: Map<number, Lease4>,
  options: LoadOptions,
): FileLoadReport | null {
  return replayLeaseFile(file, storage, options, LEASE4_CODEC);
}

/** Replays the cleanup files then the main file; see the top comment for the order. */
export function loadLeaseFiles4(
  set: LeaseFileSet,
  options: LoadOptions,
): { leases: Map<number, Lease4>; reports: FileLoadReport[] } {
  return loadLeaseFiles(set, options, LEASE4_CODEC);
}
