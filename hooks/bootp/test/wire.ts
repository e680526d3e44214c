/**
 * BOOTP messages as bytes, for the tests: a client's BOOTREQUEST built by hand (no server code
 * involved) and a reply taken apart field by field, so assertions are about what is on the wire.
 */
export const MAGIC_COOKIE = 0x63825363;

export interface BootpRequest {
  xid?: number;
  mac?: string;
  ciaddr?: string;
  giaddr?: string;
  hops?: number;
  secs?: number;
  flags?: number;
  /** Vendor extensions (RFC 1497), as [code, bytes]; END is added. */
  options?: [number, Uint8Array][];
  /** Pad to this size with zeros after END (BOOTP clients send 300 octets). */
  size?: number;
  /** Override op (1 = BOOTREQUEST). */
  op?: number;
}

export function ipBytes(a: string): number[] {
  return a.split(".").map(Number);
}

function ipText(b: Buffer, off: number): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** A BOOTREQUEST with the RFC 1497 magic cookie, as a BOOTP client sends it. */
export function bootpRequest(r: BootpRequest = {}): Buffer {
  const opts: number[] = [];
  for (const [code, data] of r.options ?? []) opts.push(code, data.length, ...data);
  opts.push(255);
  const size = Math.max(240 + opts.length, r.size ?? 300);
  const b = Buffer.alloc(size);
  b[0] = r.op ?? 1;
  b[1] = 1;
  b[2] = 6;
  b[3] = r.hops ?? 0;
  b.writeUInt32BE(r.xid ?? 0x0b00_7b01, 4);
  b.writeUInt16BE(r.secs ?? 0, 8);
  b.writeUInt16BE(r.flags ?? 0, 10);
  Buffer.from(ipBytes(r.ciaddr ?? "0.0.0.0")).copy(b, 12);
  Buffer.from(ipBytes(r.giaddr ?? "0.0.0.0")).copy(b, 24);
  Buffer.from((r.mac ?? "02:00:00:00:b0:01").split(":").map((x) => parseInt(x, 16))).copy(b, 28);
  b.writeUInt32BE(MAGIC_COOKIE, 236);
  Buffer.from(opts).copy(b, 240);
  return b;
}

export interface WireOption {
  code: number;
  data: Buffer;
}

export interface WireReply {
  length: number;
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  chaddr: string;
  sname: string;
  file: string;
  cookie: number;
  options: WireOption[];
  /** The bytes after END: all zeros in a padded BOOTP reply. */
  padding: Buffer;
}

/** Takes a BOOTP/DHCP message apart; throws on a truncated option. */
export function parseWire(b: Buffer): WireReply {
  if (b.length < 240) throw new Error(`message of ${b.length} octets`);
  const options: WireOption[] = [];
  let p = 240;
  let end = b.length;
  while (p < b.length) {
    const code = b[p]!;
    if (code === 0) {
      p++;
      continue;
    }
    if (code === 255) {
      end = p + 1;
      break;
    }
    const len = b[p + 1]!;
    if (p + 2 + len > b.length) throw new Error(`option ${code} runs past the end`);
    options.push({ code, data: Buffer.from(b.subarray(p + 2, p + 2 + len)) });
    p += 2 + len;
  }
  const text = (from: number, len: number) => {
    const f = b.subarray(from, from + len);
    const nul = f.indexOf(0);
    return f.toString("latin1", 0, nul < 0 ? len : nul);
  };
  return {
    length: b.length,
    op: b[0]!,
    htype: b[1]!,
    hlen: b[2]!,
    hops: b[3]!,
    xid: b.readUInt32BE(4),
    secs: b.readUInt16BE(8),
    flags: b.readUInt16BE(10),
    ciaddr: ipText(b, 12),
    yiaddr: ipText(b, 16),
    siaddr: ipText(b, 20),
    giaddr: ipText(b, 24),
    chaddr: b.subarray(28, 44).toString("hex"),
    sname: text(44, 64),
    file: text(108, 128),
    cookie: b.readUInt32BE(236),
    options,
    padding: Buffer.from(b.subarray(end)),
  };
}

export function optionCodes(r: WireReply): number[] {
  return r.options.map((o) => o.code);
}

export function option(r: WireReply, code: number): Buffer | undefined {
  return r.options.find((o) => o.code === code)?.data;
}
