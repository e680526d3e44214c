/**
 * Kea's expression language for client classification (`client-classes[].test`), the part of it
 * Nestor implements, compiled once at configuration time into closures.
 *
 * Values are byte strings, as in Kea: literals `'text'`, `0x0102` (an odd number of digits gets a
 * leading zero), integers (4 bytes, network order), IPv4 and IPv6 addresses (4 or 16 bytes);
 * `option[N|name].hex|text|exists`, `relay4[N].hex|text|exists` (sub-options of option 82),
 * `option[N].option[M].hex|text|exists` (a sub-option), `relay6[L].option[N].hex|text|exists`,
 * `relay6[L].peeraddr|linkaddr`, `pkt.iface|src|dst|len`,
 * `pkt4.mac|hlen|htype|ciaddr|giaddr|yiaddr|siaddr|msgtype|transid`, `pkt6.msgtype|transid`,
 * `substring(v, start, length|all)`, `split(v, delimiters, field)`, `concat(a, b)`, `a + b`,
 * `ifelse(cond, a, b)`, `hexstring(v, separator)`, `addrtotext(v)`, `int8totext(v)` ...
 * `uint32totext(v)`, and parentheses. Booleans: `a == b` (byte equality), `member('class')`,
 * `not`, `and`, `or` (and binds tighter than or, not tighter than both) and parentheses.
 *
 * As Kea's parser does, the whole test must be a boolean; `member()` of a class neither built in
 * nor defined earlier is refused; `pkt4`/`relay4` only in DHCPv4, `pkt6`/`relay6` only in DHCPv6.
 * `vendor[E|*].exists`, `vendor[E|*].option[N].hex|text|exists`, `vendor.enterprise`,
 * `vendor-class[E|*].exists`, `vendor-class[E|*].data`, `vendor-class[E|*].data[I]` and
 * `vendor-class.enterprise` read options 125/124 (v4) and 17/16 (v6). Anything else is refused
 * with the position where it starts.
 */
import type { Pkt } from "../../dhcp/pkt.ts";
import type { Pkt4 } from "../../dhcp/pkt4.ts";
import type { Pkt6 } from "../../dhcp/pkt6.ts";
import type { Option } from "../../dhcp/option.ts";
import type { OptionDefLookup } from "../../dhcp/option-definition.ts";
import { ipv4ToString, ipv6FromString, ipv6ToString, tryParseIPv4 } from "../../dhcp/ioaddress.ts";

/** A compiled string (byte) expression. */
export type StringFn = (pkt: Pkt) => Buffer;
/** A compiled boolean expression. */
export type BoolFn = (pkt: Pkt) => boolean;

export class ExpressionError extends Error {
  /** 0-based offset in the expression text. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = "ExpressionError";
    this.offset = offset;
  }
}

export interface CompileOptions {
  universe: 4 | 6;
  /** Option definitions, for `option[name]`. */
  defs: OptionDefLookup;
  /**
   * Whether `member('name')` may name this class: built-in, or defined before the class being
   * parsed (Kea's "Not defined client class" otherwise). Omitted: every name is accepted.
   */
  classKnown?: (name: string) => boolean;
}

export interface CompiledExpression {
  readonly evaluate: BoolFn;
  /** The classes named by member(), in order. */
  readonly members: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Lexer

const T = {
  END: 0,
  LPAREN: 1,
  RPAREN: 2,
  LBRACKET: 3,
  RBRACKET: 4,
  DOT: 5,
  COMMA: 6,
  EQUAL: 7,
  PLUS: 8,
  STRING: 9,
  HEX: 10,
  INTEGER: 11,
  IP: 12,
  WORD: 13,
  STAR: 14,
} as const;
type TokenKind = (typeof T)[keyof typeof T];

interface Token {
  kind: TokenKind;
  text: string;
  at: number;
}

const KIND_NAMES: Record<TokenKind, string> = {
  0: "end of expression",
  1: '"("',
  2: '")"',
  3: '"["',
  4: '"]"',
  5: '"."',
  6: '","',
  7: '"=="',
  8: '"+"',
  9: "a constant string",
  10: "a constant hexstring",
  11: "an integer",
  12: "an IP address",
  13: "a name",
  14: '"*"',
};

function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = src.length;
  const single: Record<string, TokenKind> = {
    "(": T.LPAREN,
    ")": T.RPAREN,
    "[": T.LBRACKET,
    "]": T.RBRACKET,
    ".": T.DOT,
    ",": T.COMMA,
    "+": T.PLUS,
    "*": T.STAR,
  };
  while (i < n) {
    const c = src[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const rest = src.slice(i);
    if (c === "'") {
      const end = src.indexOf("'", i + 1);
      const nl = src.indexOf("\n", i + 1);
      if (end < 0 || (nl >= 0 && nl < end)) {
        throw new ExpressionError("unterminated string (a quote ' is missing)", i);
      }
      out.push({ kind: T.STRING, text: src.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    if (c === "=") {
      if (src[i + 1] !== "=") throw new ExpressionError('"=" is not an operator (use "==")', i);
      out.push({ kind: T.EQUAL, text: "==", at: i });
      i += 2;
      continue;
    }
    const s = single[c];
    if (s !== undefined) {
      out.push({ kind: s, text: c, at: i });
      i++;
      continue;
    }
    let m = /^0[xX][0-9a-fA-F]+/.exec(rest);
    if (m !== null) {
      out.push({ kind: T.HEX, text: m[0], at: i });
      i += m[0].length;
      continue;
    }
    m = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/.exec(rest);
    if (m !== null) {
      out.push({ kind: T.IP, text: m[0], at: i });
      i += m[0].length;
      continue;
    }
    m = /^[0-9a-fA-F]*:[0-9a-fA-F:.]*/.exec(rest);
    if (m !== null && m[0].includes(":")) {
      out.push({ kind: T.IP, text: m[0], at: i });
      i += m[0].length;
      continue;
    }
    m = /^-?[0-9]+/.exec(rest);
    if (m !== null) {
      out.push({ kind: T.INTEGER, text: m[0], at: i });
      i += m[0].length;
      continue;
    }
    m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(rest);
    if (m !== null) {
      out.push({ kind: T.WORD, text: m[0], at: i });
      i += m[0].length;
      continue;
    }
    throw new ExpressionError(`invalid character '${c}'`, i);
  }
  out.push({ kind: T.END, text: "", at: n });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Values

const TRUE_ = Buffer.from("true");
const FALSE_ = Buffer.from("false");
const EMPTY = Buffer.alloc(0);

function uint32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

/** The option's payload with its sub-options packed, as Kea's toBinary(false). */
function optionHex(o: Option): Buffer {
  const data = o.getData();
  if (o.payloadLen() === data.length) return data;
  return o.pack().subarray(o.getHeaderLen());
}

type OptionGetter = (pkt: Pkt) => Option | undefined;
type Repr = "hex" | "text" | "exists";

/** Text of an option: a string option's bytes, else its value as Nestor prints it. */
function optionText(o: Option, stringType: boolean): Buffer {
  if (stringType) return o.getData();
  return Buffer.from(o.valueToText());
}

/** Kea's TokenSubstring. */
export function substring(v: Buffer, start: number, length: number | "all"): Buffer {
  const n = v.length;
  if (n === 0) return EMPTY;
  let len = length === "all" ? n : length;
  let pos = start;
  if (pos < -n || pos >= n) return EMPTY;
  if (pos < 0) pos = n + pos;
  if (len < 0) {
    len = -len;
    if (len <= pos) pos -= len;
    else {
      len = pos;
      pos = 0;
    }
  }
  return v.subarray(pos, Math.min(n, pos + len));
}

/** Kea's TokenSplit: the 1-based field of `v` cut at any of the delimiter bytes. */
export function split(v: Buffer, delims: Buffer, field: number): Buffer {
  if (v.length === 0) return EMPTY;
  if (delims.length === 0) return v;
  let n = 1;
  let start = 0;
  for (let i = 0; i <= v.length; i++) {
    if (i < v.length && !delims.includes(v[i]!)) continue;
    if (n === field) return v.subarray(start, i);
    n++;
    start = i + 1;
  }
  return EMPTY;
}

/**
 * Tuple `index` of a vendor class option's payload, as Kea's OptionVendorClass reads it: v6 (16):
 * the enterprise number, then tuples with two-byte lengths; v4 (124): the enterprise number,
 * then per block a one-byte length and its data (the whole vendor-class-data of RFC 3925 is one
 * tuple), blocks after the first preceded by the enterprise number again. Empty when none.
 */
function vendorClassTuple(d: Buffer, v4: boolean, index: number): Buffer {
  let off = 4;
  for (let i = 0; off < d.length; i++) {
    const len = v4 ? d[off]! : off + 2 <= d.length ? d.readUInt16BE(off) : -1;
    const start = off + (v4 ? 1 : 2);
    if (len < 0 || start + len > d.length) return EMPTY;
    if (i === index) return d.subarray(start, start + len);
    off = start + len;
    if (v4 && off < d.length) off += 4;
  }
  return EMPTY;
}

/** Thrown at evaluation, as Kea's EvalTypeError: the class is not assigned. */
export class EvalTypeError extends Error {}

type Converter = (v: Buffer) => string;

/** Kea's *totext tokens: an empty value stays empty, a value of the wrong size is an error. */
const CONVERTERS: Record<string, Converter> = {
  addrtotext: (v) => {
    if (v.length === 4) return ipv4ToString(v.readUInt32BE(0));
    if (v.length === 16) return ipv6ToString(v);
    throw new EvalTypeError("Can not convert to valid address.");
  },
  int8totext: (v) => String(sized(v, 1, "int8").readInt8(0)),
  int16totext: (v) => String(sized(v, 2, "int16").readInt16BE(0)),
  int32totext: (v) => String(sized(v, 4, "int32").readInt32BE(0)),
  uint8totext: (v) => String(sized(v, 1, "uint8").readUInt8(0)),
  uint16totext: (v) => String(sized(v, 2, "uint16").readUInt16BE(0)),
  uint32totext: (v) => String(sized(v, 4, "uint32").readUInt32BE(0)),
};

function sized(v: Buffer, n: number, what: string): Buffer {
  if (v.length !== n) throw new EvalTypeError(`Can not convert to valid ${what}.`);
  return v;
}

function hexstring(v: Buffer, sep: Buffer): Buffer {
  if (v.length === 0) return EMPTY;
  const sepText = sep.toString("latin1");
  let s = "";
  for (let i = 0; i < v.length; i++) {
    if (i > 0) s += sepText;
    s += (v[i]! < 16 ? "0" : "") + v[i]!.toString(16);
  }
  return Buffer.from(s, "latin1");
}

// ---------------------------------------------------------------------------------------------
// Parser

const PKT4_FIELDS = [
  "mac",
  "hlen",
  "htype",
  "ciaddr",
  "giaddr",
  "yiaddr",
  "siaddr",
  "msgtype",
  "transid",
] as const;
const PKT6_FIELDS = ["msgtype", "transid"] as const;
const PKT_FIELDS = ["iface", "src", "dst", "len"] as const;

/** Names Kea's grammar knows that Nestor does not evaluate: refused as unsupported. */
const UNSUPPORTED_WORDS = new Set(["lcase", "ucase", "match"]);

class Parser {
  private readonly toks: Token[];
  private pos = 0;
  private readonly o: CompileOptions;
  readonly members: string[] = [];

  constructor(src: string, o: CompileOptions) {
    this.toks = lex(src);
    this.o = o;
  }

  private peek(k = 0): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  private expect(kind: TokenKind, what?: string): Token {
    const t = this.peek();
    if (t.kind !== kind) this.unexpected(t, what ?? KIND_NAMES[kind]);
    return this.next();
  }

  private expectWord(word: string): Token {
    const t = this.peek();
    if (t.kind !== T.WORD || t.text !== word) this.unexpected(t, `"${word}"`);
    return this.next();
  }

  private unexpected(t: Token, expecting: string): never {
    const found = t.kind === T.END ? "end of expression" : `"${t.text}"`;
    throw new ExpressionError(`syntax error, unexpected ${found}, expecting ${expecting}`, t.at);
  }

  parse(): BoolFn {
    const f = this.orExpr();
    const t = this.peek();
    if (t.kind !== T.END) {
      this.unexpected(t, t.kind === T.EQUAL ? "and, or or end of expression" : "end of expression");
    }
    return f;
  }

  private orExpr(): BoolFn {
    let left = this.andExpr();
    while (this.isWord("or")) {
      this.next();
      const a = left;
      const b = this.andExpr();
      left = (p) => a(p) || b(p);
    }
    return left;
  }

  private andExpr(): BoolFn {
    let left = this.notExpr();
    while (this.isWord("and")) {
      this.next();
      const a = left;
      const b = this.notExpr();
      left = (p) => a(p) && b(p);
    }
    return left;
  }

  private notExpr(): BoolFn {
    if (this.isWord("not")) {
      this.next();
      const a = this.notExpr();
      return (p) => !a(p);
    }
    return this.boolPrimary();
  }

  private isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === T.WORD && t.text === w;
  }

  private boolPrimary(): BoolFn {
    const t = this.peek();
    if (t.kind === T.LPAREN) {
      // A boolean in parentheses, or a comparison starting with a string in parentheses: the
      // reading that parses; when neither does, the error found further in.
      const pos = this.pos;
      const members = this.members.length;
      try {
        this.next();
        const f = this.orExpr();
        this.expect(T.RPAREN);
        return f;
      } catch (asBool) {
        if (!(asBool instanceof ExpressionError)) throw asBool;
        this.pos = pos;
        this.members.length = members;
        try {
          return this.comparison();
        } catch (asString) {
          if (!(asString instanceof ExpressionError)) throw asString;
          throw asString.offset > asBool.offset ? asString : asBool;
        }
      }
    }
    if (t.kind === T.WORD && t.text === "member") {
      this.next();
      this.expect(T.LPAREN);
      const nameTok = this.expect(T.STRING);
      this.expect(T.RPAREN);
      const name = nameTok.text;
      if (this.o.classKnown !== undefined && !this.o.classKnown(name)) {
        throw new ExpressionError(`Not defined client class '${name}'`, nameTok.at);
      }
      this.members.push(name);
      return (p) => p.classes.has(name);
    }
    // option[...].exists, relay4[...].exists, relay6[...].option[...].exists
    const exists = this.tryOptionExists();
    if (exists !== null) return exists;
    if (t.kind === T.WORD && (t.text === "vendor" || t.text === "vendor-class")) {
      const start = this.pos;
      const ref = this.vendorRef();
      if (ref.exists !== null) return ref.exists;
      this.pos = start;
    }
    return this.comparison();
  }

  /**
   * `vendor…` / `vendor-class…` (Kea's TokenVendor and TokenVendorClass): `exists` set for a
   * boolean form, `value` for a value.
   */
  private vendorRef(): { exists: BoolFn | null; value: StringFn | null } {
    const head = this.next();
    const isClass = head.text === "vendor-class";
    const v4 = this.o.universe === 4;
    const code = isClass ? (v4 ? 124 : 16) : v4 ? 125 : 17;
    if (this.peek().kind === T.DOT) {
      this.next();
      this.expectWord("enterprise");
      return {
        exists: null,
        value: (p) => {
          const o = p.getNonCopiedOption(code);
          return o === undefined || o.getData().length < 4 ? EMPTY : o.getData().subarray(0, 4);
        },
      };
    }
    this.expect(T.LBRACKET);
    const idTok = this.next();
    let enterprise = 0;
    if (idTok.kind === T.INTEGER) {
      enterprise = Number(idTok.text);
      if (!Number.isInteger(enterprise) || enterprise < 0 || enterprise > 0xffffffff) {
        throw new ExpressionError(`Invalid vendor id ${idTok.text}`, idTok.at);
      }
    } else if (idTok.kind !== T.STAR) {
      this.unexpected(idTok, 'an integer or "*"');
    }
    this.expect(T.RBRACKET);
    this.expect(T.DOT);
    /** The vendor option of the enterprise asked for (any for 0), or undefined. */
    const vendorOption = (p: Pkt): Option | undefined => {
      const o = p.getNonCopiedOption(code);
      if (o === undefined || o.getData().length < 4) return undefined;
      if (enterprise !== 0 && o.getData().readUInt32BE(0) !== enterprise) return undefined;
      return o;
    };
    const field = this.expect(T.WORD, isClass ? "exists or data" : "exists or option");
    if (field.text === "exists") {
      return { exists: (p) => vendorOption(p) !== undefined, value: null };
    }
    if (!isClass && field.text === "option") {
      this.expect(T.LBRACKET);
      const subTok = this.expect(T.INTEGER, "an integer");
      const sub = Number(subTok.text);
      if (sub < 0 || sub > (v4 ? 255 : 65535)) {
        throw new ExpressionError(
          `Option code has invalid value in ${subTok.text}. Allowed range: 0..${v4 ? 255 : 65535}`,
          subTok.at,
        );
      }
      this.expect(T.RBRACKET);
      this.expect(T.DOT);
      const r = this.expect(T.WORD, "hex, text or exists");
      const get = (p: Pkt) => vendorOption(p)?.getOption(sub);
      if (r.text === "exists") return { exists: (p) => get(p) !== undefined, value: null };
      if (r.text === "hex") {
        return {
          exists: null,
          value: (p) => {
            const o = get(p);
            return o === undefined ? EMPTY : optionHex(o);
          },
        };
      }
      if (r.text === "text") {
        return {
          exists: null,
          value: (p) => {
            const o = get(p);
            return o === undefined ? EMPTY : optionText(o, false);
          },
        };
      }
      this.unexpected(r, "hex, text or exists");
    }
    if (isClass && field.text === "data") {
      let index = 0;
      if (this.peek().kind === T.LBRACKET) {
        this.next();
        const iTok = this.expect(T.INTEGER, "an integer");
        index = Number(iTok.text);
        if (index < 0 || index > 65535) {
          throw new ExpressionError(`Invalid data index ${iTok.text}`, iTok.at);
        }
        this.expect(T.RBRACKET);
      }
      return {
        exists: null,
        value: (p) => {
          const o = vendorOption(p);
          return o === undefined ? EMPTY : vendorClassTuple(o.getData(), v4, index);
        },
      };
    }
    return this.unexpected(field, isClass ? "exists or data" : "exists or option");
  }

  private comparison(): BoolFn {
    const left = this.stringExpr();
    const eq = this.peek();
    if (eq.kind !== T.EQUAL) this.unexpected(eq, '"==" or "+"');
    this.next();
    const right = this.stringExpr();
    return (p) => left(p).equals(right(p));
  }

  /** An option reference ending in `.exists`, as a boolean; null (nothing consumed) otherwise. */
  private tryOptionExists(): BoolFn | null {
    const start = this.pos;
    const t = this.peek();
    if (t.kind !== T.WORD || !["option", "relay4", "relay6"].includes(t.text)) return null;
    if (t.text === "relay6" && this.isRelay6Field()) return null;
    const ref = this.optionRef();
    if (ref.repr !== "exists") {
      this.pos = start;
      return null;
    }
    const get = ref.get;
    return (p) => get(p) !== undefined;
  }

  /** `option[..].repr`, `relay4[..].repr`, `relay6[..].option[..].repr`. */
  private optionRef(): { get: OptionGetter; repr: Repr; stringType: boolean } {
    const head = this.next();
    const universe = this.o.universe;
    let get: OptionGetter;
    let code: number;
    let stringType: boolean;
    if (head.text === "option") {
      const space = universe === 4 ? "dhcp4" : "dhcp6";
      [code, stringType] = this.optionCode(space, true);
      get = (p) => p.getNonCopiedOption(code);
      if (this.peek().kind === T.DOT && this.isWord("option", 1)) {
        // option[N].option[M]: a sub-option, as Kea's TokenSubOption.
        this.next();
        this.next();
        const parentDef = this.o.defs.get(space, code, universe);
        const subSpace = parentDef?.encapsulate ?? "";
        const parent = code;
        let sub: number;
        [sub, stringType] = this.optionCode(subSpace, false);
        get = (p) => p.getNonCopiedOption(parent)?.getOption(sub);
      }
    } else if (head.text === "relay4") {
      if (universe !== 4) throw new ExpressionError("relay4 can only be used in DHCPv4.", head.at);
      // Kea takes codes only here, not names.
      [code, stringType] = this.optionCode("dhcp-agent-options-space", false);
      get = (p) => p.getNonCopiedOption(82)?.getOption(code);
    } else {
      if (universe !== 6) throw new ExpressionError("relay6 can only be used in DHCPv6.", head.at);
      const level = this.relay6Level();
      this.expectWord("option");
      // Kea takes codes only here, not names.
      [code, stringType] = this.optionCode("dhcp6", false);
      get = (p) => {
        const relays = (p as Pkt6).relayInfo;
        const i = level >= 0 ? level : relays.length + level;
        return i >= 0 && i < relays.length ? relays[i]!.getOption(code) : undefined;
      };
    }
    this.expect(T.DOT);
    const r = this.expect(T.WORD, "hex, text or exists");
    if (r.text !== "hex" && r.text !== "text" && r.text !== "exists") {
      this.unexpected(r, "hex, text or exists");
    }
    return { get, repr: r.text, stringType };
  }

  /** `relay6[L].peeraddr` or `.linkaddr` ahead (not an option of the relay). */
  private isRelay6Field(): boolean {
    const t = this.peek(5);
    return (
      this.peek(4).kind === T.DOT &&
      t.kind === T.WORD &&
      (t.text === "peeraddr" || t.text === "linkaddr")
    );
  }

  /** `[code]` or `[name]`: the code, and whether the option's definition is a string. */
  private optionCode(space: string, names: boolean): [number, boolean] {
    const universe = this.o.universe;
    this.expect(T.LBRACKET);
    const t = this.next();
    let code: number;
    if (t.kind === T.INTEGER) {
      code = Number(t.text);
      const max = universe === 4 ? 255 : 65535;
      if (!Number.isInteger(code) || code < 0 || code > max) {
        throw new ExpressionError(
          `Option code has invalid value in ${t.text}. Allowed range: 0..${max}`,
          t.at,
        );
      }
    } else if (t.kind === T.WORD && names) {
      const def = this.o.defs.getByName(space, t.text, universe);
      if (def === undefined) {
        throw new ExpressionError(`option '${t.text}' is not defined`, t.at);
      }
      code = def.code;
    } else {
      this.unexpected(t, names ? "an option code or name" : "an integer");
    }
    this.expect(T.RBRACKET);
    const def = this.o.defs.get(space, code, universe);
    return [code, def !== undefined && def.type === "string" && !def.array];
  }

  private stringExpr(): StringFn {
    let left = this.stringTerm();
    while (this.peek().kind === T.PLUS) {
      this.next();
      const a = left;
      const b = this.stringTerm();
      left = (p) => Buffer.concat([a(p), b(p)]);
    }
    return left;
  }

  private stringTerm(): StringFn {
    const t = this.peek();
    switch (t.kind) {
      case T.STRING: {
        this.next();
        const v = Buffer.from(t.text, "utf8");
        return () => v;
      }
      case T.HEX: {
        this.next();
        let digits = t.text.slice(2);
        if (digits.length % 2 === 1) digits = "0" + digits;
        const v = Buffer.from(digits, "hex");
        return () => v;
      }
      case T.INTEGER: {
        this.next();
        const n = Number(t.text);
        if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
          throw new ExpressionError(
            `Failed to convert ${t.text} to an unsigned 32-bit integer.`,
            t.at,
          );
        }
        const v = uint32(n);
        return () => v;
      }
      case T.IP: {
        this.next();
        let v: Buffer;
        if (t.text.includes(":")) {
          try {
            v = ipv6FromString(t.text);
          } catch {
            throw new ExpressionError(`Failed to convert ${t.text} to an IP address.`, t.at);
          }
        } else {
          const n = tryParseIPv4(t.text);
          if (n < 0)
            throw new ExpressionError(`Failed to convert ${t.text} to an IP address.`, t.at);
          v = uint32(n);
        }
        return () => v;
      }
      case T.WORD:
        return this.wordTerm(t);
      case T.LPAREN: {
        this.next();
        const f = this.stringExpr();
        this.expect(T.RPAREN);
        return f;
      }
      default:
        return this.unexpected(t, "a string expression");
    }
  }

  private wordTerm(t: Token): StringFn {
    switch (t.text) {
      case "relay6":
        if (this.isRelay6Field()) return this.relay6Field();
        return this.optionValue();
      case "option":
      case "relay4":
        return this.optionValue();
      case "vendor":
      case "vendor-class": {
        const ref = this.vendorRef();
        if (ref.value === null) {
          const e = ref.exists!;
          return (p) => (e(p) ? TRUE_ : FALSE_);
        }
        return ref.value;
      }
      case "pkt4":
        return this.pktField("pkt4", PKT4_FIELDS, 4);
      case "pkt6":
        return this.pktField("pkt6", PKT6_FIELDS, 6);
      case "pkt":
        return this.pktField("pkt", PKT_FIELDS, undefined);
      case "substring": {
        this.next();
        this.expect(T.LPAREN);
        const v = this.stringExpr();
        this.expect(T.COMMA);
        const startTok = this.expect(T.INTEGER, "an integer");
        this.expect(T.COMMA);
        const lenTok = this.next();
        let length: number | "all";
        if (lenTok.kind === T.WORD && lenTok.text === "all") length = "all";
        else if (lenTok.kind === T.INTEGER) length = Number(lenTok.text);
        else this.unexpected(lenTok, "all or integer");
        this.expect(T.RPAREN);
        const start = Number(startTok.text);
        if (!Number.isSafeInteger(start) || (length !== "all" && !Number.isSafeInteger(length))) {
          throw new ExpressionError("substring position out of range", startTok.at);
        }
        return (p) => substring(v(p), start, length);
      }
      case "concat": {
        this.next();
        this.expect(T.LPAREN);
        const a = this.stringExpr();
        this.expect(T.COMMA);
        const b = this.stringExpr();
        this.expect(T.RPAREN);
        return (p) => Buffer.concat([a(p), b(p)]);
      }
      case "ifelse": {
        this.next();
        this.expect(T.LPAREN);
        const c = this.orExpr();
        this.expect(T.COMMA);
        const a = this.stringExpr();
        this.expect(T.COMMA);
        const b = this.stringExpr();
        this.expect(T.RPAREN);
        return (p) => (c(p) ? a(p) : b(p));
      }
      case "split": {
        this.next();
        this.expect(T.LPAREN);
        const v = this.stringExpr();
        this.expect(T.COMMA);
        const delims = this.stringExpr();
        this.expect(T.COMMA);
        const fieldTok = this.expect(T.INTEGER, "an integer");
        this.expect(T.RPAREN);
        const field = Number(fieldTok.text);
        return (p) => split(v(p), delims(p), field);
      }
      case "hexstring": {
        this.next();
        this.expect(T.LPAREN);
        const v = this.stringExpr();
        this.expect(T.COMMA);
        const sep = this.stringExpr();
        this.expect(T.RPAREN);
        return (p) => hexstring(v(p), sep(p));
      }
      default: {
        const convert = CONVERTERS[t.text];
        if (convert !== undefined) {
          this.next();
          this.expect(T.LPAREN);
          const v = this.stringExpr();
          this.expect(T.RPAREN);
          return (p) => {
            const b = v(p);
            return b.length === 0 ? EMPTY : Buffer.from(convert(b));
          };
        }
        if (UNSUPPORTED_WORDS.has(t.text)) {
          throw new ExpressionError(`"${t.text}" is not supported by Nestor yet`, t.at);
        }
        if (t.text === "member" || t.text === "not") {
          return this.unexpected(t, "a string expression");
        }
        throw new ExpressionError(`unknown name "${t.text}"`, t.at);
      }
    }
  }

  /** `option[..]`, `relay4[..]` or `relay6[..].option[..]` as a value: hex, text or exists. */
  private optionValue(): StringFn {
    const ref = this.optionRef();
    const get = ref.get;
    if (ref.repr === "exists") {
      return (p) => (get(p) !== undefined ? TRUE_ : FALSE_);
    }
    if (ref.repr === "hex") {
      return (p) => {
        const o = get(p);
        return o === undefined ? EMPTY : optionHex(o);
      };
    }
    const st = ref.stringType;
    return (p) => {
      const o = get(p);
      return o === undefined ? EMPTY : optionText(o, st);
    };
  }

  /** `[L].` after relay6: the nesting level, -32..31 as Kea allows (negative counts from the client). */
  private relay6Level(): number {
    this.expect(T.LBRACKET);
    const levelTok = this.expect(T.INTEGER, "a nesting level");
    const level = Number(levelTok.text);
    if (level < -32 || level > 31) {
      throw new ExpressionError(
        `Nest level has invalid value in ${levelTok.text}. Allowed range: -32..31`,
        levelTok.at,
      );
    }
    this.expect(T.RBRACKET);
    this.expect(T.DOT);
    return level;
  }

  /** `relay6[L].peeraddr` / `.linkaddr` (Kea's TokenRelay6Field): "" when there is no such relay. */
  private relay6Field(): StringFn {
    const head = this.next();
    if (this.o.universe !== 6) {
      throw new ExpressionError("relay6 can only be used in DHCPv6.", head.at);
    }
    const level = this.relay6Level();
    const field = this.next().text;
    return (p) => {
      const relays = (p as Pkt6).relayInfo;
      const i = level >= 0 ? level : relays.length + level;
      if (i < 0 || i >= relays.length) return EMPTY;
      const r = relays[i]!;
      return ipv6FromString(field === "peeraddr" ? r.peerAddr : r.linkAddr);
    };
  }

  private pktField(head: string, fields: readonly string[], universe: 4 | 6 | undefined): StringFn {
    const h = this.next();
    if (universe !== undefined && universe !== this.o.universe) {
      throw new ExpressionError(`${head} can only be used in DHCPv${universe}.`, h.at);
    }
    this.expect(T.DOT);
    const f = this.expect(T.WORD, fields.join(", "));
    if (!fields.includes(f.text)) this.unexpected(f, fields.join(", "));
    return fieldGetter(head, f.text);
  }
}

function addrBytes(text: string): Buffer {
  if (text.includes(":")) {
    try {
      return ipv6FromString(text);
    } catch {
      return EMPTY;
    }
  }
  const n = tryParseIPv4(text);
  return n < 0 ? EMPTY : uint32(n);
}

function fieldGetter(head: string, field: string): StringFn {
  if (head === "pkt") {
    switch (field) {
      case "iface":
        return (p) => Buffer.from(p.iface);
      case "src":
        return (p) => addrBytes(p.remoteAddr);
      case "dst":
        return (p) => addrBytes(p.localAddr);
      default:
        return (p) => uint32(p.data.length);
    }
  }
  if (head === "pkt6") {
    return field === "msgtype"
      ? (p) => uint32((p as Pkt6).getType())
      : (p) => uint32((p as Pkt6).transid);
  }
  switch (field) {
    case "mac":
      return (p) => (p as Pkt4).getHWAddr().hwaddr as Buffer;
    case "hlen":
      return (p) => uint32((p as Pkt4).hlen);
    case "htype":
      return (p) => uint32((p as Pkt4).htype);
    case "ciaddr":
      return (p) => uint32((p as Pkt4).ciaddrInt);
    case "giaddr":
      return (p) => uint32((p as Pkt4).giaddrInt);
    case "yiaddr":
      return (p) => uint32((p as Pkt4).yiaddrInt);
    case "siaddr":
      return (p) => uint32((p as Pkt4).siaddrInt);
    case "msgtype":
      return (p) => uint32((p as Pkt4).getType());
    default:
      return (p) => uint32((p as Pkt4).transid);
  }
}

/**
 * Compiles a boolean expression; an ExpressionError (message and offset) when it is not valid or
 * uses what Nestor does not implement.
 */
export function compileExpression(src: string, options: CompileOptions): CompiledExpression {
  if (src.trim() === "") throw new ExpressionError("the expression is empty", 0);
  const parser = new Parser(src, options);
  const evaluate = parser.parse();
  return { evaluate, members: parser.members };
}
