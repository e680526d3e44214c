// The property every mutated packet must satisfy: it parses (and its parse packs without
// throwing), or parsing throws PacketParseError with an offset inside the buffer. Anything else
// (another exception type, a hang, an offset outside the data) is a parser bug. A packet that
// parsed must also pack into bytes that parse again and pack to the same bytes: what Nestor
// sends after accepting a packet is something it (and so a peer) can read back unchanged.
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
  return { kind: "parsed" };
}
