/**
 * Lease file rows written as bytes: a growable, reusable byte buffer with writers for the
 * pieces of Kea's CSV rows (decimal numbers, dotted quads, RFC 5952 IPv6 text, colon hex, text
 * as UTF-8). The memfile stores write each row of a batch straight from their columns into the
 * journal's buffer, and the group commit hands its bytes to one write: no string per field,
 * per row or per batch.
 */
import { ipv6IsMapped, ipv6ZeroRun, readU32 } from "../../dhcp/ioaddress.ts";
import type { JsonObject } from "../../hooks/types.ts";
import { escapeField, keaJsonText } from "./csv-columns.ts";

const HEX_DIGITS = new Uint8Array([
  48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102,
]);
const COMMA = 44;
const COLON = 58;
const DOT = 46;
const NEWLINE = 10;
const INITIAL = 1 << 14;

export class RowBytes {
  /** The bytes written so far are buf[0..length). */
  buf: Buffer;
  length = 0;

  constructor(capacity = INITIAL) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  /**
   * Forgets the bytes written (the buffer stays for the next ones, unless an unusual batch grew
   * it past `keep` bytes).
   */
  clear(keep = 1 << 20): void {
    this.length = 0;
    if (this.buf.length > keep) this.buf = Buffer.allocUnsafe(INITIAL);
  }

  /** Forgets the first `n` bytes, keeping the rest at the start. */
  consume(n: number): void {
    this.buf.copy(this.buf, 0, n, this.length);
    this.length -= n;
  }

  /** The bytes written, as a string (UTF-8). */
  toString(): string {
    return this.buf.toString("utf8", 0, this.length);
  }

  comma(): void {
    this.ensure(1);
    this.buf[this.length++] = COMMA;
  }

  newline(): void {
    this.ensure(1);
    this.buf[this.length++] = NEWLINE;
  }

  /** `1` or `0`. */
  flag(on: boolean): void {
    this.ensure(1);
    this.buf[this.length++] = on ? 49 : 48;
  }

  /** A number as JavaScript prints it (`${n}`): digits for a non-negative safe integer. */
  number(n: number): void {
    if (n >= 0 && Number.isSafeInteger(n)) this.digits(n);
    else this.text(String(n));
  }

  /** The decimal digits of a non-negative safe integer. */
  private digits(n: number): void {
    let count = 1;
    for (let v = n; v >= 10; v = Math.floor(v / 10)) count++;
    this.ensure(count);
    const b = this.buf;
    let at = this.length + count;
    this.length = at;
    let v = n;
    do {
      const q = Math.floor(v / 10);
      b[--at] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
  }

  /** An unsigned 32-bit address as a dotted quad. */
  ipv4(a: number): void {
    this.digits(a >>> 24);
    this.dot();
    this.digits((a >>> 16) & 255);
    this.dot();
    this.digits((a >>> 8) & 255);
    this.dot();
    this.digits(a & 255);
  }

  private dot(): void {
    this.ensure(1);
    this.buf[this.length++] = DOT;
  }

  /**
   * The 16 bytes at `off` of `b` as RFC 5952 text, as `ipv6ToString` gives it (an IPv4-mapped
   * address keeps its dotted tail).
   */
  ipv6(b: Uint8Array, off: number): void {
    const run = ipv6ZeroRun(b, off);
    this.ensure(41);
    const out = this.buf;
    if (ipv6IsMapped(b, off, run)) {
      out.write("::ffff:", this.length, "latin1");
      this.length += 7;
      this.ipv4(readU32(b, off + 12));
      return;
    }
    const bestStart = run < 0 ? -1 : run >> 4;
    const bestLen = run & 15;
    let at = this.length;
    for (let g = 0; g < 8; g++) {
      if (g === bestStart) {
        out[at++] = COLON;
        out[at++] = COLON;
        g += bestLen - 1;
        continue;
      }
      if (at > this.length && out[at - 1] !== COLON) out[at++] = COLON;
      const v = (b[off + 2 * g]! << 8) | b[off + 2 * g + 1]!;
      if (v >= 0x1000) out[at++] = HEX_DIGITS[v >>> 12]!;
      if (v >= 0x100) out[at++] = HEX_DIGITS[(v >>> 8) & 15]!;
      if (v >= 0x10) out[at++] = HEX_DIGITS[(v >>> 4) & 15]!;
      out[at++] = HEX_DIGITS[v & 15]!;
    }
    this.length = at;
  }

  /** `len` bytes of `b` from `off` as Kea's lower-case colon hex ("0a:1b"); nothing for none. */
  colonHex(b: Uint8Array, off: number, len: number): void {
    if (len <= 0) return;
    this.ensure(len * 3);
    const out = this.buf;
    let at = this.length;
    for (let i = 0; i < len; i++) {
      if (i > 0) out[at++] = COLON;
      const v = b[off + i]!;
      out[at++] = HEX_DIGITS[v >>> 4]!;
      out[at++] = HEX_DIGITS[v & 15]!;
    }
    this.length = at;
  }

  /** Text as UTF-8. */
  text(s: string): void {
    if (s.length === 0) return;
    this.ensure(s.length * 3);
    this.length += this.buf.write(s, this.length, "utf8");
  }
}

/** `,valid,expire,subnet`: the lifetime columns both families write in this order. */
export function writeLifetimes(w: RowBytes, valid: number, cltt: number, subnetId: number): void {
  w.comma();
  w.number(valid);
  w.comma();
  w.number(cltt + valid);
  w.comma();
  w.number(subnetId);
}

/** `,fqdn_fwd,fqdn_rev,hostname` (the hostname escaped). */
export function writeDns(w: RowBytes, fwd: boolean, rev: boolean, hostname: string): void {
  w.comma();
  w.flag(fwd);
  w.comma();
  w.flag(rev);
  w.comma();
  if (hostname !== "") w.text(escapeField(hostname));
}

/** `,state,user_context` (the context as Kea's JSON text, escaped). */
export function writeStateContext(w: RowBytes, state: number, ctx: JsonObject | null): void {
  w.comma();
  w.number(state);
  w.comma();
  if (ctx !== null) w.text(escapeField(keaJsonText(ctx)));
}

/** No bytes: the identifier a row writes as an empty field. */
export const NO_BYTES = new Uint8Array(0);

const SCRATCH = new RowBytes(512);

/**
 * A row as text (the lease file cleanup, tests): a shared scratch holding the row's address, for
 * the family's field writer; its toString() is the row. Overwritten by the next call.
 */
export function rowScratch(address: string): RowBytes {
  SCRATCH.clear();
  SCRATCH.text(address);
  return SCRATCH;
}
