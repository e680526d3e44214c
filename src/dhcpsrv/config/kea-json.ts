/**
 * Kea's configuration file syntax: JSON plus `#`, `//` and `/* *\/` comments, `<?include "path"?>`
 * directives spliced in where a token may stand, and trailing commas accepted with a warning.
 *
 * The JSON itself is read by jsonc-parser (which knows `//` and `/* *\/`). What it does not know is
 * done around it, without moving a character: `#` comments are blanked to spaces, and included
 * files are spliced into one text whose segments remember which file and offset each stretch came
 * from, so every value (and every key) keeps the file, line and column it was written at, inside
 * included files too. The rules and messages follow Kea 2.2's lexer and parser
 * (`src/bin/dhcp4/dhcp4_lexer.ll`, `dhcp4_parser.yy`), checked with `kea-dhcp4 -t`.
 */

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { printParseErrorCode, visit, type ParseErrorCode } from "jsonc-parser";
import { ConfigFileError, makeWarning, type ConfigWarning, type SourcePosition } from "./errors.ts";

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonMap;
export interface JsonMap {
  [key: string]: JsonValue;
}
export type PathSegment = string | number;
export type KeyPath = readonly PathSegment[];

/**
 * Kea's deepest include chain: `kea-dhcp4` refuses to open a file when more than 10 are already
 * being read beneath the main one ("Too many nested include."), so the main file may include
 * files 11 levels deep and the 12th level is refused. Measured on Kea 2.2.
 */
export const MAX_INCLUDE_DEPTH = 11;

/** `Dhcp4.subnet4[0].pools[1].pool`; keys that are not plain words are quoted. */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

interface Located {
  readonly value: SourcePosition;
  readonly key: SourcePosition | undefined;
  /** A number written with a point or an exponent: Kea's lexer makes it a float, never an integer. */
  readonly float?: boolean;
}

/** The source position of every value (and of its key, in a map), by key path. */
export class SourcePositions {
  readonly #byPath = new Map<string, Located>();

  set(path: KeyPath, located: Located): void {
    this.#byPath.set(JSON.stringify(path), located);
  }

  /** Where the value at `path` starts; for a value not in the source, its nearest ancestor. */
  valueAt(path: KeyPath): SourcePosition | undefined {
    return this.#nearest(path)?.value;
  }

  /** Where the key of the entry at `path` is written (the value's position for a list item). */
  keyAt(path: KeyPath): SourcePosition | undefined {
    const found = this.#nearest(path);
    return found?.key ?? found?.value;
  }

  /** Whether the number at `path` was written as a float (`10.0`, `1e2`). */
  writtenAsFloat(path: KeyPath): boolean {
    return this.#byPath.get(JSON.stringify(path))?.float === true;
  }

  /** Whether the value at exactly `path` was written in the source (not a default). */
  has(path: KeyPath): boolean {
    return this.#byPath.has(JSON.stringify(path));
  }

  /** Re-files the positions under `from` (the value and everything in it) under `to`. */
  move(from: KeyPath, to: KeyPath): void {
    const prefix = JSON.stringify(from).slice(0, -1);
    for (const [key, located] of [...this.#byPath]) {
      if (key === `${prefix}]` || key.startsWith(`${prefix},`)) {
        const rest =
          key === `${prefix}]`
            ? []
            : (JSON.parse(`[${key.slice(prefix.length + 1)}`) as PathSegment[]);
        this.#byPath.set(JSON.stringify([...to, ...rest]), located);
      }
    }
  }

  #nearest(path: KeyPath): Located | undefined {
    for (let n = path.length; n >= 0; n--) {
      const found = this.#byPath.get(JSON.stringify(path.slice(0, n)));
      if (found !== undefined) return found;
    }
    return undefined;
  }
}

export interface KeaDocument {
  readonly value: JsonValue;
  readonly positions: SourcePositions;
  readonly warnings: ConfigWarning[];
  /** Every file read, the main one first, as named (include paths as written). */
  readonly files: string[];
}

export interface KeaParseOptions {
  /** Directory include paths are relative to; Kea uses the process working directory. */
  readonly cwd?: string;
}

/** Reads and parses a configuration file (and the files it includes). */
export function readKeaFile(file: string, options: KeaParseOptions = {}): KeaDocument {
  return parseKeaText(readSource(file, options, undefined), file, options);
}

/** Parses configuration text that came from `fileName` (used in positions and messages). */
export function parseKeaText(
  text: string,
  fileName: string,
  options: KeaParseOptions = {},
): KeaDocument {
  const combined = new CombinedText();
  expand(text, fileName, 0, combined, options);
  return buildDocument(combined);
}

function readSource(file: string, options: KeaParseOptions, from?: SourcePosition): string {
  try {
    return readFileSync(resolve(options.cwd ?? process.cwd(), file), "utf8");
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? String(err);
    const reason =
      from === undefined
        ? `cannot read the configuration file (${why})`
        : `cannot open include file "${file}" (${why})`;
    throw new ConfigFileError(reason, "", from ?? { file }, { cause: err });
  }
}

// ---------------------------------------------------------------------------------------------
// Splicing: one text made of stretches of several files

class SourceFile {
  readonly name: string;
  readonly #lineStarts: number[] = [0];

  constructor(name: string, text: string) {
    this.name = name;
    for (let i = 0; i < text.length; i++)
      if (text.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
  }

  position(offset: number): SourcePosition {
    const starts = this.#lineStarts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.name, line: lo + 1, column: offset - starts[lo]! + 1 };
  }
}

interface Segment {
  readonly start: number;
  readonly file: SourceFile;
  readonly fileOffset: number;
}

class CombinedText {
  text = "";
  readonly segments: Segment[] = [];
  readonly files: string[] = [];

  append(piece: string, file: SourceFile, fileOffset: number): void {
    if (piece === "") return;
    this.segments.push({ start: this.text.length, file, fileOffset });
    this.text += piece;
  }

  position(offset: number): SourcePosition {
    const segs = this.segments;
    if (segs.length === 0) return { file: this.files[0] ?? "", line: 1, column: 1 };
    let lo = 0;
    let hi = segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segs[mid]!.start <= offset) lo = mid;
      else hi = mid - 1;
    }
    const seg = segs[lo]!;
    return seg.file.position(seg.fileOffset + offset - seg.start);
  }
}

const EXTRA_COMMA = "extraneous comma; a piece of configuration may have been omitted";

const INCLUDE = /<\?include\s*"([^"]*)"\s*\?>/y;

/** A number as Kea's lexer reads it: optional sign, digits with an optional point, exponent. */
const NUMBER = /[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?/y;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/;

function toJsonNumber(token: string): string {
  if (JSON_NUMBER.test(token)) return token;
  const m = /^([-+]?)([0-9]*)(?:\.([0-9]*))?([eE][-+]?[0-9]+)?$/.exec(token)!;
  const sign = m[1] === "-" ? "-" : "";
  const whole = (m[2] ?? "").replace(/^0+(?=[0-9])/, "") || "0";
  // Kea's lexer reads "+5" and "5." as floats: keep them floats.
  const point = m[3] !== undefined || (m[1] === "+" && m[4] === undefined);
  const fraction = !point ? "" : m[3] === undefined || m[3] === "" ? ".0" : `.${m[3]}`;
  return `${sign}${whole}${fraction}${m[4] ?? ""}`;
}

/**
 * Blanks `#` comments, checks that block comments are closed and splices included files. Strings
 * and comments are skipped so that a `#` or an include inside them is left alone.
 */
function expand(
  text: string,
  name: string,
  depth: number,
  out: CombinedText,
  options: KeaParseOptions,
): void {
  const file = new SourceFile(name, text);
  out.files.push(name);
  const chars = text.split("");
  // A byte order mark is not JSON; blank it rather than refuse an editor's habit.
  if (chars[0] === "\uFEFF") chars[0] = " ";
  let emitted = 0;
  let i = 0;
  const flush = (end: number): void => {
    out.append(chars.slice(emitted, end).join(""), file, emitted);
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
      i++;
    } else if (c === "#" || (c === "/" && text[i + 1] === "/")) {
      const end = text.indexOf("\n", i);
      const stop = end === -1 ? text.length : end;
      if (c === "#") for (let k = i; k < stop; k++) chars[k] = " ";
      i = stop;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end === -1) {
        throw new ConfigFileError(
          'comment not closed: this "/*" has no "*/" after it',
          "",
          file.position(i),
        );
      }
      i = end + 2;
    } else if (c === "<" && text.startsWith("<?include", i)) {
      INCLUDE.lastIndex = i;
      const m = INCLUDE.exec(text);
      const at = file.position(i);
      if (m === null) {
        throw new ConfigFileError('malformed include, expected <?include "path"?>', "", at);
      }
      if (depth + 1 > MAX_INCLUDE_DEPTH) {
        throw new ConfigFileError(
          `too many nested includes (Kea reads at most ${MAX_INCLUDE_DEPTH} levels of included files)`,
          "",
          at,
        );
      }
      const included = readSource(m[1]!, options, at);
      flush(i);
      // A space on each side keeps the included tokens apart from their neighbours.
      out.append(" ", file, i);
      expand(included, m[1]!, depth + 1, out, options);
      out.append(" ", file, i);
      i += m[0].length;
      emitted = i;
    } else if (/[-+.0-9]/.test(c!)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) {
        i++;
        continue;
      }
      const json = toJsonNumber(m[0]);
      if (json !== m[0]) {
        // Kea's lexer takes numbers JSON does not (.5, 5., +5, 0100): write them as JSON.
        flush(i);
        out.append(json, file, i);
        emitted = i + m[0].length;
      }
      i += m[0].length;
    } else {
      i++;
    }
  }
  flush(text.length);
}

/**
 * Kea's parser takes a comma repeated after a value (`5,, 6`, also when an included file between
 * them holds only comments) as one comma, with a warning. Blanks the repeats in place.
 */
function collapseCommas(combined: CombinedText): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  const { text } = combined;
  let out: string[] | undefined;
  let comma = -1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end;
      continue;
    }
    if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end === -1 ? text.length : end + 2;
      continue;
    }
    if (c === ",") {
      if (comma !== -1) {
        out ??= text.split("");
        out[i] = " ";
        warnings.push(makeWarning(EXTRA_COMMA, "", combined.position(comma)));
      } else {
        comma = i;
      }
    } else if (c === '"') {
      comma = -1;
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
    } else if (!/\s/.test(c)) {
      comma = -1;
    }
    i++;
  }
  if (out !== undefined) combined.text = out.join("");
  return warnings;
}

// ---------------------------------------------------------------------------------------------
// Building values with their positions

type Frame =
  | { kind: "map"; value: JsonMap; path: KeyPath; keys: Map<string, number>; pending?: string }
  | { kind: "list"; value: JsonValue[]; path: KeyPath };

const REASONS: Record<string, string> = {
  InvalidSymbol: "unexpected character",
  InvalidNumberFormat: "malformed number",
  PropertyNameExpected: "expected a key in double quotes",
  ValueExpected: "expected a value",
  ColonExpected: 'expected ":" after the key',
  CommaExpected: 'expected "," between entries',
  CloseBraceExpected: 'expected "," or "}"',
  CloseBracketExpected: 'expected "," or "]"',
  EndOfFileExpected: "unexpected text after the end of the configuration",
  InvalidCommentToken: "malformed comment",
  UnexpectedEndOfComment: "comment not closed",
  UnexpectedEndOfString: "string not closed before the end of the line",
  UnexpectedEndOfNumber: "malformed number",
  InvalidUnicode: "malformed \\u escape in a string",
  InvalidEscapeCharacter: "unknown escape sequence in a string",
  InvalidCharacter: "control character in a string",
};

/** The name of the map or list a path ends in, as Kea names contexts: "Dhcp4", "pools", "JSON". */
export function contextName(path: KeyPath): string {
  for (let n = path.length - 1; n >= 0; n--) {
    const seg = path[n];
    if (typeof seg === "string") return seg;
  }
  return "top-level";
}

function setEntry(map: JsonMap, key: string, value: JsonValue): void {
  // defineProperty so that a "__proto__" key is data, not a prototype change.
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

function buildDocument(combined: CombinedText): KeaDocument {
  const warnings = collapseCommas(combined);
  const { text } = combined;
  const positions = new SourcePositions();
  const stack: Frame[] = [];
  let root: JsonValue | undefined;
  let hasRoot = false;
  let pendingComma: number | undefined;

  const pos = (offset: number): SourcePosition => combined.position(offset);

  const add = (value: JsonValue, offset: number, float = false): KeyPath => {
    pendingComma = undefined;
    const top = stack[stack.length - 1];
    if (top === undefined) {
      root = value;
      hasRoot = true;
      positions.set([], { value: pos(offset), key: undefined, float });
      return [];
    }
    if (top.kind === "list") {
      const path = [...top.path, top.value.length];
      top.value.push(value);
      positions.set(path, { value: pos(offset), key: undefined, float });
      return path;
    }
    const key = top.pending ?? "";
    const path = [...top.path, key];
    setEntry(top.value, key, value);
    positions.set(path, { value: pos(offset), key: pos(top.keys.get(key) ?? offset), float });
    return path;
  };

  const close = (): void => {
    if (pendingComma !== undefined) {
      const top = stack[stack.length - 1];
      const path = top === undefined ? [] : top.path;
      warnings.push(makeWarning(EXTRA_COMMA, formatKeyPath(path), pos(pendingComma)));
      pendingComma = undefined;
    }
    stack.pop();
  };

  visit(
    text,
    {
      onObjectBegin(offset) {
        const value: JsonMap = {};
        const path = add(value, offset);
        stack.push({ kind: "map", value, path, keys: new Map() });
      },
      onObjectEnd: close,
      onArrayBegin(offset) {
        const value: JsonValue[] = [];
        const path = add(value, offset);
        stack.push({ kind: "list", value, path });
      },
      onArrayEnd: close,
      onObjectProperty(property, offset) {
        pendingComma = undefined;
        const top = stack[stack.length - 1];
        if (top?.kind !== "map") return;
        const previous = top.keys.get(property);
        if (previous !== undefined) {
          const prev = pos(previous);
          throw new ConfigFileError(
            `duplicate "${property}" entries in ${contextName(top.path)} map ` +
              `(previous at ${prev.file}:${prev.line}:${prev.column})`,
            formatKeyPath([...top.path, property]),
            pos(offset),
          );
        }
        top.keys.set(property, offset);
        top.pending = property;
      },
      onLiteralValue(value: JsonValue, offset, length) {
        if (typeof value === "number" && !Number.isFinite(value)) {
          throw new ConfigFileError(
            `number out of range: ${text.slice(offset, offset + length)}`,
            "",
            pos(offset),
          );
        }
        const float =
          typeof value === "number" && /[.eE]/.test(text.slice(offset, offset + length));
        add(value, offset, float);
      },
      onSeparator(character, offset) {
        if (character === ",") pendingComma = offset;
      },
      onError(error: ParseErrorCode, offset, length) {
        const name = printParseErrorCode(error);
        const near = text.slice(offset, offset + Math.min(length, 40)).trim();
        const quoted = near.startsWith('"') ? near : `"${near}"`;
        const found = offset >= text.length || near === "" ? "end of file" : quoted;
        throw new ConfigFileError(
          `syntax error, ${REASONS[name] ?? name}, found ${found}`,
          "",
          pos(offset),
        );
      },
    },
    { allowTrailingComma: true, disallowComments: false },
  );

  if (!hasRoot || root === undefined) {
    throw new ConfigFileError("the configuration is empty", "", pos(text.length));
  }
  return { value: root, positions, warnings, files: combined.files };
}
