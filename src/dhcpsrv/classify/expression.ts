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
 * `not`, `and`, `or` (and binds tighter than or, not tighter than both) and parentheses. Later
 * Kea's `lcase(v)`, `ucase(v)` and `match('regex', v)`; a class's `template-test` is a string
 * expression (compileStringExpression).
 *
 * As Kea's parser does, the whole test must be a boolean; `member()` of a class neither built in
 * nor defined earlier is refused; `pkt4`/`relay4` only in DHCPv4, `pkt6`/`relay6` only in DHCPv6.
 * `vendor[E|*].exists`, `vendor[E|*].option[N].hex|text|exists`, `vendor.enterprise`,
 * `vendor-class[E|*].exists`, `vendor-class[E|*].data`, `vendor-class[E|*].data[I]` and
 * `vendor-class.enterprise` read options 125/124 (v4) and 17/16 (v6). Anything else is refused
 * with the position where it starts.
 *
 * The stages are in expression/: lexer, parser (to a tree), compiler (to closures), builtins
 * (values and functions) and fields (what is read from a packet).
 */
export { EvalTypeError, split, substring } from "./expression/builtins.ts";
export type { BoolFn, StringFn } from "./expression/builtins.ts";
export { ExpressionError } from "./expression/lexer.ts";
export type { CompileOptions } from "./expression/parser.ts";
export { compileExpression, compileStringExpression } from "./expression/compiler.ts";
export type { CompiledExpression, CompiledStringExpression } from "./expression/compiler.ts";
