/**
 * Nestor's own schema keywords (schema-common.ts says what each means), defined as ajv code
 * generators so that the validators can be compiled ahead of time (`npm run build` writes them
 * next to validate.js: scripts/build-validators.ts) as well as at run time, with the same code.
 *
 * The generated code asks the caller about the document through `this` (ajv's `passContext`):
 * a validator is called as `validate.call(context, body)` with a {@link SchemaContext}.
 */

import type { Ajv, KeywordCxt } from "ajv";
// ajv's code generator alone (a few small modules): the server loads all of ajv only when it
// compiles a validator.
import { _, Name, str } from "ajv/dist/compile/codegen/index.js";
import type { JsonValue } from "./kea-json.ts";

/** What the generated code asks while it validates one document. */
export interface SchemaContext {
  /** A key of an `x-ignored` spec was written with a value other than its default. */
  ignored(pointer: string, spec: unknown): void;
  /** Whether the number at this JSON pointer was written as a float (`10.0`, `1e3`). */
  writtenAsFloat(pointer: string): boolean;
}

/** The options the configuration validators are compiled with, ahead of time or not. */
export const VALIDATOR_OPTIONS = {
  allErrors: true,
  useDefaults: true,
  verbose: true,
  strict: true,
  passContext: true,
} as const;

const THIS = new Name("this");
const INSTANCE_PATH = new Name("instancePath");

/** The JSON pointer of the value a keyword validates, as generated code. */
function pointerOf(cxt: KeywordCxt) {
  return str`${INSTANCE_PATH}${cxt.it.errorPath}`;
}

/** The same text as JSON.stringify(value) in generated code, for a comparison with a constant. */
function jsonText(value: JsonValue | undefined): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

export function addSchemaKeywords(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: "x-unsupported",
    schemaType: "object",
    code(cxt: KeywordCxt) {
      const allowed = jsonText((cxt.schema as { allowed?: JsonValue }).allowed);
      if (allowed === undefined) cxt.fail();
      else cxt.fail(_`JSON.stringify(${cxt.data}) !== ${allowed}`);
    },
  });
  // A note for the key list (scripts/config-key-list.ts): refused by the semantic checks.
  ajv.addKeyword("x-refused");
  ajv.addKeyword({
    keyword: "x-ignored",
    schemaType: "object",
    code(cxt: KeywordCxt) {
      const def = jsonText((cxt.schema as { default?: JsonValue }).default);
      const report = _`${THIS}.ignored(${pointerOf(cxt)}, ${cxt.schemaValue})`;
      if (def === undefined) cxt.gen.code(report);
      else cxt.gen.if(_`JSON.stringify(${cxt.data}) !== ${def}`, () => cxt.gen.code(report));
    },
  });
  ajv.addKeyword({
    keyword: "x-integer",
    schemaType: "boolean",
    code(cxt: KeywordCxt) {
      cxt.fail(_`${THIS}.writtenAsFloat(${pointerOf(cxt)})`);
    },
  });
}
