/** Builders for raw packets used by the wire tests. */

/** A BOOTP header (236 bytes) with recognisable values in every field. */
export function bootpHeader(): Buffer {
  const b = Buffer.alloc(236);
  b[0] = 1; // op BOOTREQUEST
  b[1] = 1; // htype Ethernet
  b[2] = 6; // hlen
  b[3] = 2; // hops
  b.writeUInt32BE(0xdeadbeef, 4); // xid
  b.writeUInt16BE(7, 8); // secs
  b.writeUInt16BE(0x8000, 10); // flags: broadcast
  Buffer.from([192, 0, 2, 1]).copy(b, 12); // ciaddr
  Buffer.from([192, 0, 2, 2]).copy(b, 16); // yiaddr
  Buffer.from([192, 0, 2, 3]).copy(b, 20); // siaddr
  Buffer.from([192, 0, 2, 4]).copy(b, 24); // giaddr
  Buffer.from([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]).copy(b, 28); // chaddr
  b.write("server.example", 44, "latin1"); // sname
  b.write("pxelinux.0", 108, "latin1"); // file
  return b;
}

export const COOKIE = Buffer.from([0x63, 0x82, 0x53, 0x63]);

/** A DHCPv4 packet: header, cookie, then the given option bytes verbatim. */
export function dhcp4(options: number[], header: Buffer = bootpHeader()): Buffer {
  return Buffer.concat([header, COOKIE, Buffer.from(options)]);
}

/** A DHCPv6 client message: type, 24-bit xid, option bytes. */
export function dhcp6(type: number, xid: number, options: number[]): Buffer {
  return Buffer.from([type, (xid >>> 16) & 255, (xid >>> 8) & 255, xid & 255, ...options]);
}

/** A v6 option TLV. */
export function opt6(code: number, payload: number[] | Buffer): number[] {
  const p = [...payload];
  return [code >>> 8, code & 255, p.length >>> 8, p.length & 255, ...p];
}

/** A RELAY-FORW layer around `inner`, with relay options before and after relay-msg. */
export function relayForw(
  inner: Buffer,
  hop: number,
  before: number[] = [],
  after: number[] = [],
  link = 0x20,
): Buffer {
  const linkAddr = Buffer.alloc(16);
  linkAddr[0] = 0x20;
  linkAddr[1] = 0x01;
  linkAddr[2] = 0x0d;
  linkAddr[3] = 0xb8;
  linkAddr[15] = link;
  const peer = Buffer.alloc(16);
  peer[0] = 0xfe;
  peer[1] = 0x80;
  peer[15] = 1;
  return Buffer.concat([
    Buffer.from([12, hop]),
    linkAddr,
    peer,
    Buffer.from(before),
    Buffer.from(opt6(9, inner)),
    Buffer.from(after),
  ]);
}
