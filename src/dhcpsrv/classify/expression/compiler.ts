/**
 * The tree to closures, once per configuration: evaluating a packet only calls them, nothing is
 * looked up or allocated beyond the values themselves.
 */
import {
  asciiCase,
  converted,
  hexstring,
  split,
  substring,
  type BoolFn,
  type StringFn,
} from "./builtins.ts";
import {
  optionExists,
  optionValue,
  pktField,
  relay6Field,
  relay6Option,
  subOption,
  topOption,
  vendorClassData,
  vendorEnterprise,
  vendorOption,
  vendorSubOption,
  type OptionGetter,
} from "./fields.ts";
import { ExpressionError } from "./lexer.ts";
import {
  parseExpression,
  parseStringExpression,
  type BoolNode,
  type CompileOptions,
  type OptionRef,
  type StringNode,
} from "./parser.ts";

export interface CompiledExpression {
  readonly evaluate: BoolFn;
  /** The classes named by member(), in order. */
  readonly members: readonly string[];
}

/**
 * Compiles a boolean expression; an ExpressionError (message and offset) when it is not valid or
 * uses what Nestor does not implement.
 */
export function compileExpression(src: string, options: CompileOptions): CompiledExpression {
  if (src.trim() === "") throw new ExpressionError("the expression is empty", 0);
  const members: string[] = [];
  const evaluate = compileBool(parseExpression(src, options), members);
  return { evaluate, members };
}

/** A compiled string expression (flex_option's `add` and `supersede`, a class's `template-test`). */
export interface CompiledStringExpression {
  readonly evaluate: StringFn;
  readonly members: readonly string[];
}

/** Compiles a string expression; an ExpressionError (message and offset) when it is not valid. */
export function compileStringExpression(
  src: string,
  options: CompileOptions,
): CompiledStringExpression {
  if (src.trim() === "") throw new ExpressionError("the expression is empty", 0);
  const members: string[] = [];
  const evaluate = compileString(parseStringExpression(src, options), members);
  return { evaluate, members };
}

/** `members` collects the member() names, in reading order (left operands compiled first). */
export function compileBool(node: BoolNode, members: string[]): BoolFn {
  switch (node.kind) {
    case "or": {
      const a = compileBool(node.left, members);
      const b = compileBool(node.right, members);
      return (p) => a(p) || b(p);
    }
    case "and": {
      const a = compileBool(node.left, members);
      const b = compileBool(node.right, members);
      return (p) => a(p) && b(p);
    }
    case "not": {
      const a = compileBool(node.operand, members);
      return (p) => !a(p);
    }
    case "equal": {
      const a = compileString(node.left, members);
      const b = compileString(node.right, members);
      return (p) => a(p).equals(b(p));
    }
    case "member": {
      const name = node.name;
      members.push(name);
      return (p) => p.classes.has(name);
    }
    case "exists":
      return optionExists(optionGetter(node.ref));
    case "match": {
      const v = compileString(node.value, members);
      const re = node.regex;
      return (p) => re.test(v(p).toString("latin1"));
    }
  }
}

export function compileString(node: StringNode, members: string[]): StringFn {
  switch (node.kind) {
    case "literal": {
      const v = node.value;
      return () => v;
    }
    case "concat": {
      const a = compileString(node.left, members);
      const b = compileString(node.right, members);
      return (p) => Buffer.concat([a(p), b(p)]);
    }
    case "option":
      return optionValue(optionGetter(node.ref), node.repr, node.stringType);
    case "pktField":
      return pktField(node.head, node.field);
    case "relay6Field":
      return relay6Field(node.level, node.field);
    case "vendorEnterprise":
      return vendorEnterprise(node.code);
    case "vendorClassData":
      return vendorClassData(optionGetter(node.vendor), node.v4, node.index);
    default:
      return compileFunction(node, members);
  }
}

type FunctionNode = Extract<
  StringNode,
  { kind: "substring" | "split" | "hexstring" | "ifelse" | "convert" | "case" }
>;

function compileFunction(node: FunctionNode, members: string[]): StringFn {
  switch (node.kind) {
    case "substring": {
      const v = compileString(node.value, members);
      const { start, length } = node;
      return (p) => substring(v(p), start, length);
    }
    case "split": {
      const v = compileString(node.value, members);
      const delims = compileString(node.delims, members);
      const field = node.field;
      return (p) => split(v(p), delims(p), field);
    }
    case "hexstring": {
      const v = compileString(node.value, members);
      const sep = compileString(node.separator, members);
      return (p) => hexstring(v(p), sep(p));
    }
    case "ifelse": {
      const c = compileBool(node.cond, members);
      const a = compileString(node.then, members);
      const b = compileString(node.else, members);
      return (p) => (c(p) ? a(p) : b(p));
    }
    case "convert":
      return converted(node.name, compileString(node.value, members));
    case "case": {
      const v = compileString(node.value, members);
      const upper = node.upper;
      return (p) => asciiCase(v(p), upper);
    }
  }
}

function optionGetter(ref: OptionRef): OptionGetter {
  switch (ref.kind) {
    case "option":
      return topOption(ref.code);
    case "subOption":
      return subOption(ref.parent, ref.code);
    case "relay6":
      return relay6Option(ref.level, ref.code);
    case "vendor":
      return vendorOption(ref.code, ref.enterprise);
    case "vendorSub":
      return vendorSubOption(vendorOption(ref.vendor.code, ref.vendor.enterprise), ref.code);
  }
}
