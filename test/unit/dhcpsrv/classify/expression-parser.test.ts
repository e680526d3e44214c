// The expression language's first two stages on their own: the tokens of a test, and the tree the
// grammar builds from them (precedence, where syntax errors are reported).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { getStdOptionDefs } from "../../../../src/dhcp/index.ts";
import { ExpressionError, lex, T } from "../../../../src/dhcpsrv/classify/expression/lexer.ts";
import {
  parseExpression,
  type BoolNode,
} from "../../../../src/dhcpsrv/classify/expression/parser.ts";

const defs = getStdOptionDefs();
const parse4 = (src: string): BoolNode => parseExpression(src, { universe: 4, defs });

/** The tree without literal bytes and option details: only its shape. */
function shape(n: BoolNode): string {
  switch (n.kind) {
    case "or":
    case "and":
      return `(${shape(n.left)} ${n.kind} ${shape(n.right)})`;
    case "not":
      return `(not ${shape(n.operand)})`;
    case "member":
      return n.name;
    case "exists":
      return "exists";
    case "equal":
      return `==`;
    case "match":
      return "match";
  }
}

describe("lexer", () => {
  test("the tokens of a typical test, with their offsets", () => {
    const toks = lex("substring(option[60].hex, 0, 6) == 'Aastra' or pkt4.giaddr == 10.0.0.1");
    assert.deepEqual(
      toks.map((t) => [t.kind, t.text, t.at]),
      [
        [T.WORD, "substring", 0],
        [T.LPAREN, "(", 9],
        [T.WORD, "option", 10],
        [T.LBRACKET, "[", 16],
        [T.INTEGER, "60", 17],
        [T.RBRACKET, "]", 19],
        [T.DOT, ".", 20],
        [T.WORD, "hex", 21],
        [T.COMMA, ",", 24],
        [T.INTEGER, "0", 26],
        [T.COMMA, ",", 27],
        [T.INTEGER, "6", 29],
        [T.RPAREN, ")", 30],
        [T.EQUAL, "==", 32],
        [T.STRING, "Aastra", 35],
        [T.WORD, "or", 44],
        [T.WORD, "pkt4", 47],
        [T.DOT, ".", 51],
        [T.WORD, "giaddr", 52],
        [T.EQUAL, "==", 59],
        [T.IP, "10.0.0.1", 62],
        [T.END, "", 70],
      ],
    );
  });

  test("hex, negative integers, IPv6 addresses and names with dashes", () => {
    const toks = lex("0x0a -3 fe80::1 vendor-class[*]");
    assert.deepEqual(
      toks.map((t) => [t.kind, t.text]),
      [
        [T.HEX, "0x0a"],
        [T.INTEGER, "-3"],
        [T.IP, "fe80::1"],
        [T.WORD, "vendor-class"],
        [T.LBRACKET, "["],
        [T.STAR, "*"],
        [T.RBRACKET, "]"],
        [T.END, ""],
      ],
    );
  });

  test("an invalid character is reported where it is", () => {
    assert.throws(
      () => lex("'a' == 'b' & 'c'"),
      (e) =>
        e instanceof ExpressionError && e.offset === 11 && e.message === "invalid character '&'",
    );
  });
});

describe("parser", () => {
  test("not binds tighter than and, and tighter than or", () => {
    const tree = parse4("not member('a') or member('b') and not member('c') or member('d')");
    assert.equal(shape(tree), "(((not a) or (b and (not c))) or d)");
  });

  test("parentheses override the precedence", () => {
    assert.equal(
      shape(parse4("not (member('a') or member('b')) and member('c')")),
      "((not (a or b)) and c)",
    );
  });

  test("a comparison is a node of the two values; + concatenates left to right", () => {
    const tree = parse4("'a' + 0x62 + 99 == option[60].text");
    assert.equal(tree.kind, "equal");
    if (tree.kind !== "equal") return;
    assert.equal(tree.left.kind, "concat");
    if (tree.left.kind !== "concat") return;
    assert.deepEqual(tree.left.right, { kind: "literal", value: Buffer.from([0, 0, 0, 99]) });
    assert.deepEqual(tree.right, {
      kind: "option",
      ref: { kind: "option", code: 60 },
      repr: "text",
      stringType: true,
    });
  });

  test("option names are resolved to codes while parsing", () => {
    const tree = parse4("option[host-name].exists");
    assert.deepEqual(tree, { kind: "exists", ref: { kind: "option", code: 12 } });
  });

  test("a syntax error names what was found, what was expected, and where", () => {
    assert.throws(
      () => parse4("member('a') and"),
      (e) =>
        e instanceof ExpressionError &&
        e.message === "syntax error, unexpected end of expression, expecting a string expression" &&
        e.offset === 15,
    );
    assert.throws(
      () => parse4("option[60].hex == 'x' 'y'"),
      (e) =>
        e instanceof ExpressionError &&
        e.message === 'syntax error, unexpected "y", expecting end of expression' &&
        e.offset === 22,
    );
  });

  test("a name of Object's prototype is an unknown name, not a conversion", () => {
    assert.throws(
      () => parse4("toString('a') == 'b'"),
      (e) => e instanceof ExpressionError && e.message === 'unknown name "toString"',
    );
  });
});
