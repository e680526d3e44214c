/** Tokens of the expression language, and the error every stage reports with its position. */

export class ExpressionError extends Error {
  /** 0-based offset in the expression text. */
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(message);
    this.name = "ExpressionError";
    this.offset = offset;
  }
}

export const T = {
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
export type TokenKind = (typeof T)[keyof typeof T];

export interface Token {
  kind: TokenKind;
  /** The token as written; a string without its quotes. */
  text: string;
  /** 0-based offset in the expression text. */
  at: number;
}

/** How error messages name what was expected. */
export const KIND_NAMES: Record<TokenKind, string> = {
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

const SINGLE: Readonly<Record<string, TokenKind>> = {
  "(": T.LPAREN,
  ")": T.RPAREN,
  "[": T.LBRACKET,
  "]": T.RBRACKET,
  ".": T.DOT,
  ",": T.COMMA,
  "+": T.PLUS,
  "*": T.STAR,
};

/**
 * Tried in order: a dotted quad before an integer, and the IPv6 form (anything with a colon)
 * before an integer or a name, since `fe80::1` and `2001:db8::` start like them.
 */
const PATTERNS: readonly (readonly [RegExp, TokenKind])[] = [
  [/0[xX][0-9a-fA-F]+/y, T.HEX],
  [/[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/y, T.IP],
  [/[0-9a-fA-F]*:[0-9a-fA-F:.]*/y, T.IP],
  [/-?[0-9]+/y, T.INTEGER],
  [/[A-Za-z_][A-Za-z0-9_-]*/y, T.WORD],
];

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r";
}

/** A quoted string: it may not span lines. */
function stringToken(src: string, i: number): Token {
  const end = src.indexOf("'", i + 1);
  const nl = src.indexOf("\n", i + 1);
  if (end < 0 || (nl >= 0 && nl < end)) {
    throw new ExpressionError("unterminated string (a quote ' is missing)", i);
  }
  return { kind: T.STRING, text: src.slice(i + 1, end), at: i };
}

/** The token starting at `i` (not a space). */
function tokenAt(src: string, i: number): Token {
  const c = src[i]!;
  if (c === "'") return stringToken(src, i);
  if (c === "=") {
    if (src[i + 1] !== "=") throw new ExpressionError('"=" is not an operator (use "==")', i);
    return { kind: T.EQUAL, text: "==", at: i };
  }
  const s = SINGLE[c];
  if (s !== undefined) return { kind: s, text: c, at: i };
  for (const [re, kind] of PATTERNS) {
    re.lastIndex = i;
    const m = re.exec(src);
    if (m !== null) return { kind, text: m[0], at: i };
  }
  throw new ExpressionError(`invalid character '${c}'`, i);
}

/** The tokens of `src`, ending with one END token at its length. */
export function lex(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    if (isSpace(src[i]!)) {
      i++;
      continue;
    }
    const t = tokenAt(src, i);
    out.push(t);
    // A string's text lacks its two quotes.
    i += t.kind === T.STRING ? t.text.length + 2 : t.text.length;
  }
  out.push({ kind: T.END, text: "", at: src.length });
  return out;
}
