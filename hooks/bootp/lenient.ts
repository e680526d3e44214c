/**
 * Kea's packet parser is lenient where Nestor's is strict, and old BOOTP clients rely on it: a
 * boot PROM may leave its 64-octet vendor area uninitialised after END, or cut the last option
 * short. Kea ignores the bytes after END and stops, silently, at an option that runs past the
 * end of the message; Nestor refuses both. For a BOOTP request (and only for one: DHCP queries
 * keep Nestor's rule) the library reads such a message the way Kea does.
 */
import { BOOTREQUEST, DHCP_OPTIONS_COOKIE, DHCPMessageType, DHO } from "nestor/dhcp";
import type { Pkt4 } from "nestor/dhcp";

const OPTIONS_OFF = 240;

/**
 * The message cut where Kea's parser stops reading it: after END, or before an option running
 * past the end (END put in its place). Null when Kea would read it as Nestor does (no magic
 * cookie, or nothing to cut).
 */
export function keaReading(data: Buffer): Buffer | null {
  if (data.length <= OPTIONS_OFF || data.readUInt32BE(236) !== DHCP_OPTIONS_COOKIE) return null;
  let p = OPTIONS_OFF;
  // Bounded: p grows by at least one octet per round.
  while (p < data.length) {
    const code = data[p]!;
    if (code === DHO.PAD) {
      p++;
    } else if (code === DHO.END) {
      return p + 1 < data.length ? data.subarray(0, p + 1) : null;
    } else if (p + 1 >= data.length || p + 2 + data[p + 1]! > data.length) {
      const cut = Buffer.alloc(p + 1);
      data.copy(cut, 0, 0, p);
      cut[p] = DHO.END;
      return cut;
    } else {
      p += 2 + data[p + 1]!;
    }
  }
  return null;
}

/**
 * After Nestor's parser refused `query`: parses it again as Kea reads it. True, with `query`
 * parsed from the cut message, when that makes it a BOOTP request (a BOOTREQUEST without a DHCP
 * message type); false, with `query.data` as received, otherwise.
 */
export function reparseAsBootp(query: Pkt4): boolean {
  const received = query.data;
  const cut = keaReading(received);
  if (cut === null) return false;
  query.data = cut;
  try {
    query.unpack();
    if (query.op === BOOTREQUEST && query.getType() === DHCPMessageType.DHCP_NOTYPE) return true;
  } catch {
    // refused either way
  }
  query.data = received;
  return false;
}
