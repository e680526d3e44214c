/**
 * `store-extended-info`: the relay information of the query a lease was granted for, kept in the
 * lease's user context under the `ISC` entry, as Kea 2.2 writes it (and so as it shows in the
 * lease file's `user_context` column and in lease_cmds' `user-context`):
 *
 *   v4: { "ISC": { "relay-agent-info": "0x<option 82's payload, upper-case hex>" } }
 *   v6: { "ISC": { "relays": [ { "hop": 0, "link": "...", "options": "0x...", "peer": "..." } ] } }
 *
 * One v6 entry per relay, the outermost (the relay next to the server) first; `options` (the
 * relay's options other than relay-msg, packed) is left out when the relay sent none. The
 * sub-options and relay options are packed in the order of their codes, as Kea keeps them (a
 * map by code, equal codes in the order received). A query without relay information leaves
 * the lease's user context as it was; one with it replaces the whole `ISC` entry and keeps the
 * user context's other entries.
 */
import type { Option } from "../../dhcp/option.ts";
import type { RelayInfo } from "../../dhcp/pkt6.ts";
import type { JsonObject } from "../../hooks/types.ts";

/** Kea's "0x" + upper-case hex of the bytes. */
function hexText(bytes: Buffer): string {
  return `0x${bytes.toString("hex").toUpperCase()}`;
}

/** Options packed in the order of their codes, equal codes in the order given. */
function packByCode(options: readonly Option[]): Buffer {
  const sorted = options
    .map((o, i) => ({ o, i }))
    .sort((a, b) => a.o.getType() - b.o.getType() || a.i - b.i);
  return Buffer.concat(sorted.map((e) => e.o.pack()));
}

/**
 * DHCPv4 sub-options (code, length, data) of a payload in code order; the payload as it is when
 * it does not read as a list of sub-options.
 */
function sortSubOptions4(payload: Buffer): Buffer {
  const parts: { code: number; i: number; bytes: Buffer }[] = [];
  let off = 0;
  while (off < payload.length) {
    if (off + 2 > payload.length) return payload;
    const len = payload[off + 1]!;
    if (off + 2 + len > payload.length) return payload;
    parts.push({
      code: payload[off]!,
      i: parts.length,
      bytes: payload.subarray(off, off + 2 + len),
    });
    off += 2 + len;
  }
  parts.sort((a, b) => a.code - b.code || a.i - b.i);
  return Buffer.concat(parts.map((p) => p.bytes));
}

/** The v4 `ISC` entry for a query's relay agent information option (82), or null without one. */
export function extendedInfo4(rai: Option | undefined): JsonObject | null {
  if (rai === undefined) return null;
  const payload = Buffer.concat([rai.getData(), ...rai.getOptions().map((o) => o.pack())]);
  return { "relay-agent-info": hexText(sortSubOptions4(payload)) };
}

/** The v6 `ISC` entry for a query's relays, or null when it came directly from the client. */
export function extendedInfo6(relays: readonly RelayInfo[]): JsonObject | null {
  if (relays.length === 0) return null;
  return {
    relays: relays.map((r) => {
      const entry: JsonObject = { hop: r.hopCount, link: r.linkAddr };
      if (r.options.length > 0) entry["options"] = hexText(packByCode(r.options));
      entry["peer"] = r.peerAddr;
      return entry;
    }),
  };
}

/**
 * The user context of a lease with `info` as its `ISC` entry (a new object; `context` is not
 * changed); `context` itself when `info` is null.
 */
export function withExtendedInfo(
  context: JsonObject | null,
  info: JsonObject | null,
): JsonObject | null {
  if (info === null) return context;
  return { ...(context ?? {}), ISC: info };
}
