/**
 * The user check outcome file: one record per lease granted, in Kea's format, appended and
 * written with one write(2) per record so that an external reader sees whole records at once:
 *
 *   id_type=HW_ADDR
 *   client=hwtype=1 0c:0e:0a:01:ff:04
 *   addr=198.51.100.10
 *   registered=yes
 *   (blank line)
 */
import { closeSync, openSync, writeSync } from "node:fs";

export interface OutcomeRecord {
  /** "HW_ADDR" or "DUID". */
  idType: string;
  /** The client as Kea prints it: "hwtype=1 0c:0e:..." or the DUID in colon hex. */
  client: string;
  /** The address, or "prefix/length" for a delegated prefix. */
  addr: string;
  registered: boolean;
}

export function formatOutcome(r: OutcomeRecord): string {
  return (
    `id_type=${r.idType}\n` +
    `client=${r.client}\n` +
    `addr=${r.addr}\n` +
    `registered=${r.registered ? "yes" : "no"}\n\n`
  );
}

export class OutcomeWriter {
  readonly path: string;
  private fd: number | null;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /** Opens (creating it if needed) the file for appending; throws when it cannot. */
  static open(path: string): OutcomeWriter {
    return new OutcomeWriter(path, openSync(path, "a", 0o644));
  }

  /** Appends one record; throws the file system's error (the caller logs it). */
  write(record: OutcomeRecord): void {
    if (this.fd === null) throw new Error("the outcome file is closed");
    const data = Buffer.from(formatOutcome(record));
    let off = 0;
    // A regular file takes the whole record in one write; the loop only guards a short write.
    for (let i = 0; off < data.length && i < 16; i++) off += writeSync(this.fd, data, off);
    if (off < data.length) throw new Error(`short write (${off} of ${data.length} bytes)`);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
