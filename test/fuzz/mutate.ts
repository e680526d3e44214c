// Seeded mutations of wire vectors, shared by the fuzz script and the bounded CI fuzz test.
// Every case is a pure function of (seed, case index), so one failing case can be replayed alone.

export interface Mutated {
  /** What was done, in order, e.g. "bitflip@245.3, dup-option@250+7". */
  steps: string[];
  data: Buffer;
}

/** Mulberry32: tiny, fast, good enough for choosing mutations. */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** The PRNG seed of case `index` under run seed `seed` (cases are independent). */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Where an option's length field is and how wide it is, found on the unmutated vector. */
export interface OptionSpan {
  start: number; // first byte of the option (its code)
  end: number; // one past its last byte
  lenAt: number; // offset of the length field
  lenSize: 1 | 2;
  /** One past the last byte of what encloses the option: the packet or the parent option. */
  limit: number;
}

const V4_OPTIONS_START = 240;

function v4Options(buf: Buffer): OptionSpan[] {
  const spans: OptionSpan[] = [];
  let off = V4_OPTIONS_START;
  while (off + 1 < buf.length) {
    const code = buf[off]!;
    if (code === 255) break;
    if (code === 0) {
      off++;
      continue;
    }
    const end = off + 2 + buf[off + 1]!;
    if (end > buf.length) break;
    spans.push({ start: off, end, lenAt: off + 1, lenSize: 1, limit: buf.length });
    off = end;
  }
  return spans;
}

// DHCPv6 options whose payload holds options after a fixed header, and that header's size.
const V6_CONTAINERS = new Map<number, number>([
  [3, 12], // IA_NA
  [4, 4], // IA_TA
  [25, 12], // IA_PD
  [5, 24], // IAADDR
  [26, 25], // IAPREFIX
]);
const V6_RELAY_MSG = 9;

function v6Message(buf: Buffer, base: number, end: number, out: OptionSpan[], depth: number): void {
  const type = buf[base];
  const header = type === 12 || type === 13 ? 34 : 4;
  v6Options(buf, base + header, end, out, depth);
}

function v6Options(buf: Buffer, off: number, end: number, out: OptionSpan[], depth: number): void {
  if (depth > 8) return;
  while (off + 4 <= end) {
    const code = buf.readUInt16BE(off);
    const optEnd = off + 4 + buf.readUInt16BE(off + 2);
    if (optEnd > end) return;
    out.push({ start: off, end: optEnd, lenAt: off + 2, lenSize: 2, limit: end });
    const header = V6_CONTAINERS.get(code);
    if (header !== undefined) v6Options(buf, off + 4 + header, optEnd, out, depth + 1);
    if (code === V6_RELAY_MSG && optEnd > off + 4) v6Message(buf, off + 4, optEnd, out, depth + 1);
    off = optEnd;
  }
}

export function optionSpans(buf: Buffer, family: 4 | 6): OptionSpan[] {
  if (family === 4) return v4Options(buf);
  const out: OptionSpan[] = [];
  if (buf.length >= 4) v6Message(buf, 0, buf.length, out, 0);
  return out;
}

const INTERESTING = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff];

type Mutator = (buf: Buffer, spans: OptionSpan[], rng: Prng) => [Buffer, string];

const bitFlip: Mutator = (buf, _spans, rng) => {
  if (buf.length === 0) return [buf, "bitflip(empty)"];
  const at = rng.int(buf.length);
  const bit = rng.int(8);
  const out = Buffer.from(buf);
  out[at] = out[at]! ^ (1 << bit);
  return [out, `bitflip@${at}.${bit}`];
};

const byteChange: Mutator = (buf, _spans, rng) => {
  if (buf.length === 0) return [buf, "byte(empty)"];
  const at = rng.int(buf.length);
  const value = rng.next() < 0.5 ? rng.pick(INTERESTING) : rng.int(256);
  const out = Buffer.from(buf);
  out[at] = value;
  return [out, `byte@${at}=${value}`];
};

const truncate: Mutator = (buf, spans, rng) => {
  // Half the cuts land on or next to an option boundary, where parsers most often slip.
  let at: number;
  if (spans.length > 0 && rng.next() < 0.5) {
    const s = rng.pick(spans);
    at = rng.pick([s.start, s.start + 1, s.lenAt + s.lenSize, s.end - 1]);
  } else {
    at = rng.int(buf.length + 1);
  }
  at = Math.max(0, Math.min(at, buf.length));
  return [Buffer.from(buf.subarray(0, at)), `truncate@${at}`];
};

const lengthTweak: Mutator = (buf, spans, rng) => {
  if (spans.length === 0) return byteChange(buf, spans, rng);
  const s = rng.pick(spans);
  // An earlier step may have cut the packet short of this option.
  if (s.lenAt + s.lenSize > buf.length) return byteChange(buf, spans, rng);
  const out = Buffer.from(buf);
  const max = s.lenSize === 1 ? 0xff : 0xffff;
  const old = s.lenSize === 1 ? out[s.lenAt]! : out.readUInt16BE(s.lenAt);
  const choice = rng.int(6);
  const value = [old + 1, old - 1, 0, max, old + 1 + rng.int(8), rng.int(max + 1)][choice]!;
  const v = Math.max(0, Math.min(max, value));
  if (s.lenSize === 1) out[s.lenAt] = v;
  else out.writeUInt16BE(v, s.lenAt);
  return [out, `len@${s.lenAt}:${old}->${v}`];
};

const insert: Mutator = (buf, _spans, rng) => {
  const at = rng.int(buf.length + 1);
  const n = 1 + rng.int(8);
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i++) bytes[i] = rng.next() < 0.3 ? rng.pick(INTERESTING) : rng.int(256);
  return [Buffer.concat([buf.subarray(0, at), bytes, buf.subarray(at)]), `insert@${at}+${n}`];
};

const removeRange: Mutator = (buf, _spans, rng) => {
  if (buf.length === 0) return [buf, "remove(empty)"];
  const at = rng.int(buf.length);
  const n = 1 + rng.int(Math.min(16, buf.length - at));
  return [Buffer.concat([buf.subarray(0, at), buf.subarray(at + n)]), `remove@${at}-${n}`];
};

const duplicateOption: Mutator = (buf, spans, rng) => {
  if (spans.length === 0) return insert(buf, spans, rng);
  // Right after itself (adjacent duplicate), or right after another option in the message.
  const s = rng.pick(spans);
  const opt = buf.subarray(s.start, s.end);
  const where = rng.next() < 0.5 ? s.end : rng.pick(spans).end;
  const out = Buffer.concat([buf.subarray(0, where), opt, buf.subarray(where)]);
  return [out, `dup-option@${s.start}(${s.end - s.start}B)->${where}`];
};

/**
 * Gives an option another code, keeping its payload: the bytes of, say, a client-id are then
 * parsed by the definition of a record, FQDN, vendor or encapsulating option.
 */
const recode: Mutator = (buf, spans, rng) => {
  if (spans.length === 0) return byteChange(buf, spans, rng);
  const s = rng.pick(spans);
  if (s.lenAt > buf.length) return byteChange(buf, spans, rng);
  const out = Buffer.from(buf);
  let code: number;
  if (s.lenSize === 1) {
    code = 1 + rng.int(254);
    out[s.start] = code;
  } else {
    code = 1 + rng.int(rng.next() < 0.8 ? 150 : 65535);
    out.writeUInt16BE(code, s.start);
  }
  return [out, `recode@${s.start}=${code}`];
};

const SNAME = { at: 44, size: 64 };
const FILE = { at: 108, size: 128 };

/**
 * DHCPv4 only: adds option 52 (overload) and writes copies of the packet's own options into
 * the file and/or sname header fields, sometimes without END or running past the field.
 */
const overload: Mutator = (buf, spans, rng) => {
  if (buf.length < V4_OPTIONS_START || spans.length === 0) return duplicateOption(buf, spans, rng);
  const value = rng.next() < 0.9 ? 1 + rng.int(3) : rng.int(256);
  const out = Buffer.concat([
    buf.subarray(0, V4_OPTIONS_START),
    Buffer.from([52, 1, value]),
    buf.subarray(V4_OPTIONS_START),
  ]);
  const fields = value === 1 ? [FILE] : value === 2 ? [SNAME] : [FILE, SNAME];
  for (const field of fields) {
    const tlvs: Buffer[] = [];
    let used = 0;
    for (let n = 1 + rng.int(4); n > 0; n--) {
      const s = rng.pick(spans);
      if (s.end > buf.length) continue;
      tlvs.push(buf.subarray(s.start, s.end));
      used += s.end - s.start;
    }
    if (used < field.size && rng.next() < 0.8) tlvs.push(Buffer.from([255]));
    // Option 52 went in after the header, so the sname and file fields have not moved.
    Buffer.concat(tlvs).copy(out, field.at, 0, field.size);
  }
  return [out, `overload=${value}`];
};

/**
 * DHCPv6 only: wraps the message in relay layers (RELAY-FORW or RELAY-REPL), from one up to a
 * few past the 32 that RFC 8415 allows, some with an interface-id before or after relay-msg.
 */
const relayWrap: Mutator = (buf, _spans, rng) => {
  const levels = rng.pick([1, 1, 2, 3, 31, 32, 33, 1 + rng.int(40)]);
  let inner = buf;
  for (let i = 0; i < levels && inner.length + 64 <= 0xffff; i++) {
    const header = Buffer.alloc(34);
    header[0] = rng.next() < 0.8 ? 12 : 13;
    header[1] = levels - 1 - i;
    header.writeUInt32BE(0x20010db8, 2); // link-address 2001:db8::<i>
    header[17] = i;
    header.writeUInt16BE(0xfe80, 18); // peer-address fe80::<random>
    header[33] = rng.int(256);
    const relayMsg = Buffer.alloc(4);
    relayMsg.writeUInt16BE(9, 0);
    relayMsg.writeUInt16BE(inner.length, 2);
    const parts = [header, relayMsg, inner];
    if (rng.next() < 0.3) {
      const id = Buffer.from([0, 18, 0, 4, 0x70, 0x6f, 0x72, 0x74]); // interface-id "port"
      parts.splice(rng.next() < 0.5 ? 1 : 3, 0, id);
    }
    inner = Buffer.concat(parts);
  }
  return [inner, `relay-wrap x${levels}`];
};

const MUTATORS: readonly Mutator[] = [
  recode,
  recode,
  bitFlip,
  bitFlip,
  byteChange,
  byteChange,
  truncate,
  lengthTweak,
  lengthTweak,
  insert,
  removeRange,
  duplicateOption,
];

/**
 * Applies 1 to 3 mutations to `original`. Option positions come from the unmutated vector, so
 * later steps may act on bytes an earlier step moved: that is fine, it is fuzzing.
 */
export function mutate(original: Buffer, family: 4 | 6, seed: number): Mutated {
  const rng = new Prng(seed);
  const spans = optionSpans(original, family);
  let data = original;
  const steps: string[] = [];
  const count = 1 + rng.int(3);
  const structural = family === 4 ? overload : relayWrap;
  for (let i = 0; i < count; i++) {
    const mutator = rng.next() < 0.1 ? structural : rng.pick(MUTATORS);
    const [next, step] = mutator(data, spans, rng);
    data = next;
    steps.push(step);
  }
  return { steps, data };
}
