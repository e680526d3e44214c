/**
 * The grammar: tokens to a typed tree. As in Kea's parser, the checks that need the configuration
 * (option names, the universe, known classes) are made while parsing, so that an expression is
 * refused at the first problem in reading order whatever its kind.
 */
import type { OptionDefLookup } from "../../../dhcp/option-definition.ts";
import { ipv6FromString, tryParseIPv4 } from "../../../dhcp/ioaddress.ts";
import { isConverter, uint32, type ConverterName } from "./builtins.ts";
import { PKT4_FIELDS, PKT6_FIELDS, PKT_FIELDS, type OptionRepr, type PktHead } from "./fields.ts";
import { ExpressionError, KIND_NAMES, lex, T, type Token, type TokenKind } from "./lexer.ts";

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

/** Where an option is read from. */
export type OptionRef =
  | { kind: "option"; code: number }
  /** option[P].option[N], and relay4[N] (P = 82). */
  | { kind: "subOption"; parent: number; code: number }
  | { kind: "relay6"; level: number; code: number }
  /** vendor[E] / vendor-class[E] (option `code`), enterprise 0 for `*`. */
  | { kind: "vendor"; code: number; enterprise: number }
  | { kind: "vendorSub"; vendor: VendorRef; code: number };
export type VendorRef = Extract<OptionRef, { kind: "vendor" }>;

export type BoolNode =
  | { kind: "or" | "and"; left: BoolNode; right: BoolNode }
  | { kind: "not"; operand: BoolNode }
  | { kind: "equal"; left: StringNode; right: StringNode }
  | { kind: "member"; name: string }
  | { kind: "exists"; ref: OptionRef }
  /** Later Kea's `match('regex', value)`: the whole value matches the regular expression. */
  | { kind: "match"; regex: RegExp; value: StringNode };

export type StringNode =
  | { kind: "literal"; value: Buffer }
  /** `a + b` and `concat(a, b)`. */
  | { kind: "concat"; left: StringNode; right: StringNode }
  /** `stringType`: the option's definition is a (non-array) string, shown as its bytes. */
  | { kind: "option"; ref: OptionRef; repr: OptionRepr; stringType: boolean }
  | { kind: "pktField"; head: PktHead; field: string }
  | { kind: "relay6Field"; level: number; field: "peeraddr" | "linkaddr" }
  | { kind: "vendorEnterprise"; code: number }
  | { kind: "vendorClassData"; vendor: VendorRef; v4: boolean; index: number }
  | { kind: "substring"; value: StringNode; start: number; length: number | "all" }
  | { kind: "split"; value: StringNode; delims: StringNode; field: number }
  | { kind: "hexstring"; value: StringNode; separator: StringNode }
  | { kind: "ifelse"; cond: BoolNode; then: StringNode; else: StringNode }
  | { kind: "convert"; name: ConverterName; value: StringNode }
  /** Later Kea's `lcase(v)` / `ucase(v)`: ASCII letters to lower or upper case. */
  | { kind: "case"; upper: boolean; value: StringNode };

type OptionNode = Extract<StringNode, { kind: "option" }>;

const PKT_TABLES: Record<PktHead, readonly string[]> = {
  pkt: PKT_FIELDS,
  pkt4: PKT4_FIELDS,
  pkt6: PKT6_FIELDS,
};

/** The tree of a whole test, which must be a boolean. */
export function parseExpression(src: string, options: CompileOptions): BoolNode {
  return new Parser(src, options).parse();
}

/**
 * The tree of a whole string expression (Kea's string parser, as flex_option's `add` and
 * `supersede` and a class's `template-test` use it): a value, not a test.
 */
export function parseStringExpression(src: string, options: CompileOptions): StringNode {
  return new Parser(src, options).parseString();
}

/** Token access and the syntax error messages; the grammar is in Parser. */
class TokenCursor {
  protected pos = 0;
  private readonly toks: Token[];

  constructor(src: string) {
    this.toks = lex(src);
  }

  protected peek(k = 0): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }

  protected next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }

  protected expect(kind: TokenKind, what?: string): Token {
    const t = this.peek();
    if (t.kind !== kind) this.unexpected(t, what ?? KIND_NAMES[kind]);
    return this.next();
  }

  protected expectWord(word: string): Token {
    const t = this.peek();
    if (t.kind !== T.WORD || t.text !== word) this.unexpected(t, `"${word}"`);
    return this.next();
  }

  protected isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === T.WORD && t.text === w;
  }

  protected unexpected(t: Token, expecting: string): never {
    const found = t.kind === T.END ? "end of expression" : `"${t.text}"`;
    throw new ExpressionError(`syntax error, unexpected ${found}, expecting ${expecting}`, t.at);
  }

  /** `name(...)`: the arguments are what `inner` reads. */
  protected call<R>(inner: () => R): R {
    this.next();
    this.expect(T.LPAREN);
    const r = inner();
    this.expect(T.RPAREN);
    return r;
  }
}

class Parser extends TokenCursor {
  private readonly o: CompileOptions;

  constructor(src: string, o: CompileOptions) {
    super(src);
    this.o = o;
  }

  parseString(): StringNode {
    const node = this.stringExpr();
    const t = this.peek();
    if (t.kind !== T.END) this.unexpected(t, '"+" or end of expression');
    return node;
  }

  parse(): BoolNode {
    const node = this.orExpr();
    const t = this.peek();
    if (t.kind !== T.END) {
      this.unexpected(t, t.kind === T.EQUAL ? "and, or or end of expression" : "end of expression");
    }
    return node;
  }

  // `not` binds tighter than `and`, which binds tighter than `or`; both are left-associative.
  private orExpr(): BoolNode {
    let left = this.andExpr();
    while (this.isWord("or")) {
      this.next();
      left = { kind: "or", left, right: this.andExpr() };
    }
    return left;
  }

  private andExpr(): BoolNode {
    let left = this.notExpr();
    while (this.isWord("and")) {
      this.next();
      left = { kind: "and", left, right: this.notExpr() };
    }
    return left;
  }

  private notExpr(): BoolNode {
    if (this.isWord("not")) {
      this.next();
      return { kind: "not", operand: this.notExpr() };
    }
    return this.boolPrimary();
  }

  private boolPrimary(): BoolNode {
    const t = this.peek();
    if (t.kind === T.LPAREN) return this.parenthesized();
    if (this.isWord("member")) return this.member();
    if (this.isWord("match") && this.peek(1).kind === T.LPAREN) return this.match();
    // option[...].exists, relay4[...].exists, relay6[...].option[...].exists, vendor...exists
    const exists = this.tryExists();
    if (exists !== null) return exists;
    return this.comparison();
  }

  /**
   * A boolean in parentheses, or a comparison starting with a string in parentheses: the reading
   * that parses; when neither does, the error found further in.
   */
  private parenthesized(): BoolNode {
    const start = this.pos;
    try {
      this.next();
      const node = this.orExpr();
      this.expect(T.RPAREN);
      return node;
    } catch (asBool) {
      if (!(asBool instanceof ExpressionError)) throw asBool;
      this.pos = start;
      try {
        return this.comparison();
      } catch (asString) {
        if (!(asString instanceof ExpressionError)) throw asString;
        throw asString.offset > asBool.offset ? asString : asBool;
      }
    }
  }

  private member(): BoolNode {
    const nameTok = this.call(() => this.expect(T.STRING));
    const name = nameTok.text;
    if (this.o.classKnown !== undefined && !this.o.classKnown(name)) {
      throw new ExpressionError(`Not defined client class '${name}'`, nameTok.at);
    }
    return { kind: "member", name };
  }

  /**
   * `match('regex', value)` (later Kea): the regular expression is a constant, compiled now (an
   * invalid one is a syntax error, as in Kea); it must match the whole value (Kea's regex_match,
   * ECMAScript syntax), read byte by byte.
   */
  private match(): BoolNode {
    return this.call(() => {
      const re = this.expect(T.STRING, "a constant string");
      this.expect(T.COMMA);
      const value = this.stringExpr();
      const source = Buffer.from(re.text, "utf8").toString("latin1");
      let regex: RegExp;
      try {
        regex = new RegExp(`^(?:${source})$`);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new ExpressionError(`invalid regular expression '${re.text}': ${why}`, re.at);
      }
      return { kind: "match", regex, value };
    });
  }

  /** An option or vendor reference ending in `.exists`; null (nothing consumed) otherwise. */
  private tryExists(): BoolNode | null {
    const start = this.pos;
    const t = this.peek();
    if (t.kind !== T.WORD) return null;
    let node: StringNode;
    if (t.text === "option" || t.text === "relay4") node = this.optionRef();
    else if (t.text === "relay6" && !this.isRelay6Field()) node = this.optionRef();
    else if (t.text === "vendor" || t.text === "vendor-class") node = this.vendorRef();
    else return null;
    if (node.kind === "option" && node.repr === "exists") return { kind: "exists", ref: node.ref };
    this.pos = start;
    return null;
  }

  private comparison(): BoolNode {
    const left = this.stringExpr();
    const eq = this.peek();
    if (eq.kind !== T.EQUAL) this.unexpected(eq, '"==" or "+"');
    this.next();
    return { kind: "equal", left, right: this.stringExpr() };
  }

  /** `.hex`, `.text` or `.exists` after an option reference. */
  private repr(): OptionRepr {
    this.expect(T.DOT);
    const r = this.expect(T.WORD, "hex, text or exists");
    if (r.text !== "hex" && r.text !== "text" && r.text !== "exists") {
      this.unexpected(r, "hex, text or exists");
    }
    return r.text;
  }

  /** `option[..].repr`, `relay4[..].repr`, `relay6[..].option[..].repr`. */
  private optionRef(): OptionNode {
    const head = this.next();
    const universe = this.o.universe;
    if (head.text === "option") return this.dhcpOption();
    let ref: OptionRef;
    let stringType: boolean;
    if (head.text === "relay4") {
      if (universe !== 4) throw new ExpressionError("relay4 can only be used in DHCPv4.", head.at);
      // Kea takes codes only here, not names.
      let code: number;
      [code, stringType] = this.optionCode("dhcp-agent-options-space", false);
      ref = { kind: "subOption", parent: 82, code };
    } else {
      if (universe !== 6) throw new ExpressionError("relay6 can only be used in DHCPv6.", head.at);
      const level = this.relay6Level();
      this.expectWord("option");
      // Kea takes codes only here, not names.
      let code: number;
      [code, stringType] = this.optionCode("dhcp6", false);
      ref = { kind: "relay6", level, code };
    }
    return { kind: "option", ref, repr: this.repr(), stringType };
  }

  /** `option[..]` (code or name), possibly `.option[M]` (a sub-option, as Kea's TokenSubOption). */
  private dhcpOption(): OptionNode {
    const universe = this.o.universe;
    const space = universe === 4 ? "dhcp4" : "dhcp6";
    const [code, stringType] = this.optionCode(space, true);
    if (this.peek().kind === T.DOT && this.isWord("option", 1)) {
      this.next();
      this.next();
      const subSpace = this.o.defs.get(space, code, universe)?.encapsulate ?? "";
      const [sub, subString] = this.optionCode(subSpace, false);
      const ref: OptionRef = { kind: "subOption", parent: code, code: sub };
      return { kind: "option", ref, repr: this.repr(), stringType: subString };
    }
    return { kind: "option", ref: { kind: "option", code }, repr: this.repr(), stringType };
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

  /** An option code, checked against the universe's range (Kea's message). */
  private checkedCode(t: Token, max: number): number {
    const code = Number(t.text);
    if (!Number.isInteger(code) || code < 0 || code > max) {
      throw new ExpressionError(
        `Option code has invalid value in ${t.text}. Allowed range: 0..${max}`,
        t.at,
      );
    }
    return code;
  }

  /** `[code]` or `[name]`: the code, and whether the option's definition is a string. */
  private optionCode(space: string, names: boolean): [number, boolean] {
    const universe = this.o.universe;
    this.expect(T.LBRACKET);
    const t = this.next();
    let code: number;
    if (t.kind === T.INTEGER) {
      code = this.checkedCode(t, universe === 4 ? 255 : 65535);
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

  /** `vendor…` / `vendor-class…` (Kea's TokenVendor and TokenVendorClass). */
  private vendorRef(): StringNode {
    const head = this.next();
    const isClass = head.text === "vendor-class";
    const v4 = this.o.universe === 4;
    const code = isClass ? (v4 ? 124 : 16) : v4 ? 125 : 17;
    if (this.peek().kind === T.DOT) {
      this.next();
      this.expectWord("enterprise");
      return { kind: "vendorEnterprise", code };
    }
    const vendor: VendorRef = { kind: "vendor", code, enterprise: this.enterpriseId() };
    const expecting = isClass ? "exists or data" : "exists or option";
    const field = this.expect(T.WORD, expecting);
    if (field.text === "exists") {
      return { kind: "option", ref: vendor, repr: "exists", stringType: false };
    }
    if (!isClass && field.text === "option") {
      this.expect(T.LBRACKET);
      const sub = this.checkedCode(this.expect(T.INTEGER, "an integer"), v4 ? 255 : 65535);
      this.expect(T.RBRACKET);
      const ref: OptionRef = { kind: "vendorSub", vendor, code: sub };
      return { kind: "option", ref, repr: this.repr(), stringType: false };
    }
    if (isClass && field.text === "data") {
      return { kind: "vendorClassData", vendor, v4, index: this.dataIndex() };
    }
    return this.unexpected(field, expecting);
  }

  /** `[E].` or `[*].` after vendor / vendor-class: the enterprise number, 0 for any. */
  private enterpriseId(): number {
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
    return enterprise;
  }

  /** The optional `[I]` after vendor-class[E].data: 0 when absent. */
  private dataIndex(): number {
    if (this.peek().kind !== T.LBRACKET) return 0;
    this.next();
    const iTok = this.expect(T.INTEGER, "an integer");
    const index = Number(iTok.text);
    if (index < 0 || index > 65535) {
      throw new ExpressionError(`Invalid data index ${iTok.text}`, iTok.at);
    }
    this.expect(T.RBRACKET);
    return index;
  }

  private stringExpr(): StringNode {
    let left = this.stringTerm();
    while (this.peek().kind === T.PLUS) {
      this.next();
      left = { kind: "concat", left, right: this.stringTerm() };
    }
    return left;
  }

  private stringTerm(): StringNode {
    const t = this.peek();
    switch (t.kind) {
      case T.STRING:
      case T.HEX:
      case T.INTEGER:
      case T.IP:
        this.next();
        return { kind: "literal", value: literal(t) };
      case T.WORD:
        return this.wordTerm(t);
      case T.LPAREN: {
        this.next();
        const node = this.stringExpr();
        this.expect(T.RPAREN);
        return node;
      }
      default:
        return this.unexpected(t, "a string expression");
    }
  }

  private wordTerm(t: Token): StringNode {
    switch (t.text) {
      case "relay6":
        return this.isRelay6Field() ? this.relay6Field() : this.optionRef();
      case "option":
      case "relay4":
        return this.optionRef();
      case "vendor":
      case "vendor-class":
        return this.vendorRef();
      case "pkt4":
      case "pkt6":
      case "pkt":
        return this.pktField(t.text);
      case "substring":
        return this.substring();
      case "concat":
        return this.call(() => {
          const left = this.stringExpr();
          this.expect(T.COMMA);
          return { kind: "concat", left, right: this.stringExpr() };
        });
      case "ifelse":
        return this.call(() => this.ifelseArgs());
      case "split":
        return this.call(() => this.splitArgs());
      case "lcase":
      case "ucase":
        return this.call(() => ({
          kind: "case",
          upper: t.text === "ucase",
          value: this.stringExpr(),
        }));
      case "hexstring":
        return this.call(() => {
          const value = this.stringExpr();
          this.expect(T.COMMA);
          return { kind: "hexstring", value, separator: this.stringExpr() };
        });
      default:
        return this.otherWord(t);
    }
  }

  /** A conversion such as `addrtotext(v)`, else why the name is refused. */
  private otherWord(t: Token): StringNode {
    const name = t.text;
    if (isConverter(name)) {
      return this.call(() => ({ kind: "convert", name, value: this.stringExpr() }));
    }
    if (name === "member" || name === "not" || name === "match") {
      return this.unexpected(t, "a string expression");
    }
    throw new ExpressionError(`unknown name "${name}"`, t.at);
  }

  private substring(): StringNode {
    this.next();
    this.expect(T.LPAREN);
    const value = this.stringExpr();
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
    return { kind: "substring", value, start, length };
  }

  private ifelseArgs(): StringNode {
    const cond = this.orExpr();
    this.expect(T.COMMA);
    const then = this.stringExpr();
    this.expect(T.COMMA);
    return { kind: "ifelse", cond, then, else: this.stringExpr() };
  }

  private splitArgs(): StringNode {
    const value = this.stringExpr();
    this.expect(T.COMMA);
    const delims = this.stringExpr();
    this.expect(T.COMMA);
    const field = Number(this.expect(T.INTEGER, "an integer").text);
    return { kind: "split", value, delims, field };
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

  /** `relay6[L].peeraddr` / `.linkaddr` (Kea's TokenRelay6Field). */
  private relay6Field(): StringNode {
    const head = this.next();
    if (this.o.universe !== 6) {
      throw new ExpressionError("relay6 can only be used in DHCPv6.", head.at);
    }
    const level = this.relay6Level();
    const field = this.next().text === "peeraddr" ? "peeraddr" : "linkaddr";
    return { kind: "relay6Field", level, field };
  }

  private pktField(head: PktHead): StringNode {
    const h = this.next();
    const universe = head === "pkt4" ? 4 : head === "pkt6" ? 6 : undefined;
    if (universe !== undefined && universe !== this.o.universe) {
      throw new ExpressionError(`${head} can only be used in DHCPv${universe}.`, h.at);
    }
    const fields = PKT_TABLES[head];
    this.expect(T.DOT);
    const f = this.expect(T.WORD, fields.join(", "));
    if (!fields.includes(f.text)) this.unexpected(f, fields.join(", "));
    return { kind: "pktField", head, field: f.text };
  }
}

/** The bytes of a constant: text as UTF-8, hex (an odd digit count gets a leading 0), integers
 * as 4 bytes, addresses as 4 or 16 bytes. */
function literal(t: Token): Buffer {
  if (t.kind === T.STRING) return Buffer.from(t.text, "utf8");
  if (t.kind === T.HEX) {
    let digits = t.text.slice(2);
    if (digits.length % 2 === 1) digits = "0" + digits;
    return Buffer.from(digits, "hex");
  }
  if (t.kind === T.INTEGER) {
    const n = Number(t.text);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw new ExpressionError(`Failed to convert ${t.text} to an unsigned 32-bit integer.`, t.at);
    }
    return uint32(n);
  }
  if (t.text.includes(":")) {
    try {
      return ipv6FromString(t.text);
    } catch {
      throw new ExpressionError(`Failed to convert ${t.text} to an IP address.`, t.at);
    }
  }
  const n = tryParseIPv4(t.text);
  if (n < 0) throw new ExpressionError(`Failed to convert ${t.text} to an IP address.`, t.at);
  return uint32(n);
}
