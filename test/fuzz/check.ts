// The property every mutated packet must satisfy: it parses (and its parse packs without
// throwing), or parsing throws PacketParseError with an offset inside the buffer. Anything else
// (another exception type, a hang, an offset outside the data) is a parser bug. A packet that
// parsed must also pack into bytes that parse again and pack to the same bytes: what Nestor
// sends after accepting a packet is something it (and so a peer) can read back unchanged.
// Finally, round trips are exact where the parser promises it: every DHCPv6 packet, and every
// DHCPv4 packet that has none of the forms the parser canonicalizes (see exactV4).
import { PacketParseError, Pkt4, Pkt6 } from "../../src/dhcp/index.ts";

export type Verdict =
  { kind: "parsed" } | { kind: "rejected"; reason: string } | { kind: "bug"; error: string };

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}`;
  return `non-Error thrown: ${String(e)}`;
}

export function check(data: Buffer, family: 4 | 6): Verdict {
  let packet: Pkt4 | Pkt6;
  try {
    packet = family === 4 ? Pkt4.parse(data) : Pkt6.parse(data);
  } catch (e) {
    if (!(e instanceof PacketParseError))
      return { kind: "bug", error: `parse threw ${describe(e)}` };
    if (!Number.isInteger(e.offset) || e.offset < 0 || e.offset > data.length) {
      return {
        kind: "bug",
        error: `PacketParseError offset ${e.offset} outside 0..${data.length}: ${e.reason}`,
      };
    }
    return { kind: "rejected", reason: e.reason };
  }
  let packed: Buffer;
  try {
    packed = Buffer.from(packet.pack());
  } catch (e) {
    return { kind: "bug", error: `parsed, then pack() threw ${describe(e)}` };
  }
  try {
    const again = (family === 4 ? Pkt4.parse(packed) : Pkt6.parse(packed)).pack();
    if (!again.equals(packed)) {
      return {
        kind: "bug",
        error: `pack() is not stable: ${packed.toString("hex")} re-packs as ${again.toString("hex")}`,
      };
    }
  } catch (e) {
    return {
      kind: "bug",
      error: `pack() wrote ${packed.toString("hex")}, which does not parse: ${describe(e)}`,
    };
  }
  const exact =
    family === 6 ? packed : exactV4(data) ? Buffer.from(packet.pack(data.length)) : null;
  if (exact !== null && !exact.equals(data)) {
    return { kind: "bug", error: `round trip not exact: packs as ${exact.toString("hex")}` };
  }
  return { kind: "parsed" };
}

/**
 * Whether a DHCPv4 packet must pack back byte for byte (with pack(its length), which restores
 * zero padding after END): it has options ending with END, and no PAD (dropped), no repeated
 * option code (joined, RFC 3396), no option 52 (overload: sname/file options are moved into
 * the options field), and option 82, if any, last (pack() moves it there, RFC 3046).
 */
function exactV4(d: Buffer): boolean {
  const seen = new Set<number>();
  let off = 240;
  while (off < d.length) {
    const code = d[off]!;
    if (code === 255) return true;
    if (code === 0 || code === 52 || seen.has(code) || seen.has(82) || off + 1 >= d.length) {
      return false;
    }
    seen.add(code);
    off += 2 + d[off + 1]!;
  }
  return false;
}
