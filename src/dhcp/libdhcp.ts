/**
 * Parsing of option lists (Kea's LibDHCP::unpackOptions4/6). Offsets in errors are absolute
 * positions in the buffer being parsed, so the packet parser can report them as they are.
 *
 * Also the factory table (Kea's LibDHCP option factories): this module imports the dedicated
 * option classes and installs them, with the parsers, into option-definition.ts, which builds
 * options without importing them. Whatever parses or builds options (the packets, option-data,
 * the public entry points) imports this module, so the table is installed before first use.
 */
import { PacketParseError } from "./errors.ts";
import { Option } from "./option.ts";
import type { UniverseValue } from "./option.ts";
import { OptionClientFqdn } from "./option-client-fqdn.ts";
import { setOptionFactory } from "./option-definition.ts";
import type { OptionDefLookup, OptionDefinition } from "./option-definition.ts";
import { OptionVendor, vendorSpace } from "./option-vendor.ts";
import { Option6IA, Option6IAAddr, Option6IAPrefix } from "./option6-ia.ts";
import { Option6StatusCode } from "./option6-status-code.ts";

export { vendorSpace };

/**
 * What a parser enters a packet's options into (Pkt's `wire` and `slots`): one per parser, kept
 * from packet to packet (parsing is synchronous), `count` entries used; Pkt.setWireOptions copies
 * them out and empties it.
 */
export interface WireScratch {
  readonly wire: number[];
  readonly slots: (Option | OptionDefinition | undefined)[];
  count: number;
}

export function newWireScratch(): WireScratch {
  return { wire: [], slots: [], count: 0 };
}

/** Enters one option: its code, where its payload is (start -1: made), and its slot. */
export function enterWire(
  s: WireScratch,
  code: number,
  start: number,
  length: number,
  slot: Option | OptionDefinition | undefined,
): void {
  const k = s.count++;
  s.wire[3 * k] = code;
  s.wire[3 * k + 1] = start;
  s.wire[3 * k + 2] = length;
  s.slots[k] = slot;
}

/** Sub-options nested deeper than this are refused (bounds recursion on hostile input). */
export const MAX_OPTION_DEPTH = 32;

export const DHCP4_OPTION_SPACE = "dhcp4";
export const DHCP6_OPTION_SPACE = "dhcp6";
export const VENDOR_ENCAPSULATED_OPTION_SPACE = "vendor-encapsulated-options-space";

/**
 * Parses the options in buf[start..end) of an option space. In "dhcp4" (and, as Kea does, in
 * the space of option 43) code 0 is PAD and code 255 is END, after which parsing stops.
 *
 * DHCPv6 with `lazy` (a packet's own options, see Pkt's `wire` and `slots`): every option is
 * entered there instead; the options canWait allows stay bytes (their slot: their definition),
 * the others are made now (their slot: the object; start -1).
 */
export function unpackOptions(
  universe: UniverseValue,
  space: string,
  buf: Buffer,
  start: number,
  end: number,
  defs: OptionDefLookup,
  depth: number,
  lazy?: WireScratch,
): Option[] {
  if (depth > MAX_OPTION_DEPTH) {
    throw new PacketParseError(start, `options nested deeper than ${MAX_OPTION_DEPTH} levels`);
  }
  const out: Option[] = [];
  let p = start;
  if (universe === 6) {
    while (p < end) {
      if (end - p < 4) {
        throw new PacketParseError(p, `truncated option header (${end - p} bytes left)`);
      }
      const code = (buf[p]! << 8) | buf[p + 1]!;
      const len = (buf[p + 2]! << 8) | buf[p + 3]!;
      if (p + 4 + len > end) {
        throw new PacketParseError(p, `option ${code} length ${len} runs past ${where(depth)}`);
      }
      if (lazy === undefined) {
        createOption(6, space, code, buf, p + 4, p + 4 + len, defs, depth, out);
      } else {
        const def = defs.get(space, code, 6);
        if (canWait(def)) enterWire(lazy, code, p + 4, len, def);
        else {
          const o = makeOption(6, code, def, buf, p + 4, p + 4 + len, defs, depth);
          enterWire(lazy, code, -1, len, o);
        }
      }
      p += 4 + len;
    }
    return out;
  }
  const padEnd = space === DHCP4_OPTION_SPACE || space === VENDOR_ENCAPSULATED_OPTION_SPACE;
  while (p < end) {
    const code = buf[p]!;
    if (padEnd && code === 0) {
      p++;
      continue;
    }
    if (padEnd && code === 255) break;
    if (end - p < 2) throw new PacketParseError(p, `option ${code} has no length byte`);
    const len = buf[p + 1]!;
    if (p + 2 + len > end) {
      throw new PacketParseError(p, `option ${code} length ${len} runs past ${where(depth)}`);
    }
    createOption(4, space, code, buf, p + 2, p + 2 + len, defs, depth, out);
    p += 2 + len;
  }
  return out;
}

function where(depth: number): string {
  return depth === 0 ? "end of buffer" : "end of enclosing option";
}

/** Builds the option(s) for one TLV and appends to `out`. */
export function createOption(
  universe: UniverseValue,
  space: string,
  code: number,
  buf: Buffer,
  start: number,
  end: number,
  defs: OptionDefLookup,
  depth: number,
  out: Option[],
): void {
  const def = defs.get(space, code, universe);
  if (def !== undefined && universe === 4 && def.isVendor()) {
    // RFC 3925: one option 125 may carry several enterprise blocks; one object per block.
    if (OptionVendor.splitV4(def, buf, start, end, defs, depth, out)) return;
    out.push(new Option(4, code, buf.subarray(start, end)));
    return;
  }
  out.push(makeOption(universe, code, def, buf, start, end, defs, depth));
}

/** The one option of a TLV whose definition (if any) is not a v4 vendor option (125). */
export function makeOption(
  universe: UniverseValue,
  code: number,
  def: OptionDefinition | undefined,
  buf: Buffer,
  start: number,
  end: number,
  defs: OptionDefLookup,
  depth: number,
): Option {
  if (def === undefined) return new Option(universe, code, buf.subarray(start, end));
  return def.optionFactory(buf, start, end, defs, depth);
}

/**
 * Whether a top-level option of this definition may stay bytes until something asks for it:
 * making it can neither fail nor give several objects. Options with sub-options (whose framing
 * errors refuse the packet, as in Kea) and vendor options are made by the parser.
 */
export function canWait(def: OptionDefinition | undefined): boolean {
  return def === undefined || (def.encapsulate === "" && !def.isVendor());
}

setOptionFactory({
  ia: (def, data) => new Option6IA(def, data),
  iaAddr: (def, data) => new Option6IAAddr(def, data),
  iaPrefix: (def, data) => new Option6IAPrefix(def, data),
  statusCode: (def, data) => new Option6StatusCode(def, data),
  vendor: (def, data) => new OptionVendor(def, data),
  clientFqdn: (def, data) => new OptionClientFqdn(def, def.universe, data),
  vendorFromWire: (def, buf, start, end, defs, depth) =>
    OptionVendor.fromWire(def, buf, start, end, defs, depth),
  unpackOptions,
});
