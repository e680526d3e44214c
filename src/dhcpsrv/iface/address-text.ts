/**
 * Text of the raw addresses the native socket reports. A server sees few distinct destination
 * addresses and, for DHCPv4, few sources (0.0.0.0, its relays), so IPv4 text is cached by value.
 */

const V4_CACHE_LIMIT = 4096;
const v4Cache = new Map<number, string>();

/** `bytes[at..at+4]` as dotted quad; `key` is the same 4 bytes read as one integer. */
export function ipv4Text(bytes: Uint8Array, at: number, key: number): string {
  let text = v4Cache.get(key);
  if (text === undefined) {
    text = `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
    if (v4Cache.size >= V4_CACHE_LIMIT) v4Cache.clear();
    v4Cache.set(key, text);
  }
  return text;
}

/** `bytes[at..at+16]` in RFC 5952 form (lower case, longest run of zero groups as "::"). */
export function ipv6Text(bytes: Uint8Array, at: number): string {
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++) groups[i] = (bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1];
  if (
    groups[0] === 0 &&
    groups[1] === 0 &&
    groups[2] === 0 &&
    groups[3] === 0 &&
    groups[4] === 0 &&
    groups[5] === 0xffff
  ) {
    return `::ffff:${bytes[at + 12]}.${bytes[at + 13]}.${bytes[at + 14]}.${bytes[at + 15]}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not shortened
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.map(hex).join(":");
  const head = groups.slice(0, bestStart).map(hex).join(":");
  const tail = groups
    .slice(bestStart + bestLen)
    .map(hex)
    .join(":");
  return `${head}::${tail}`;
}

function hex(n: number): string {
  return n.toString(16);
}
