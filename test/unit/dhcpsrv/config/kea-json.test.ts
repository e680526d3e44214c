// Kea's configuration file syntax: JSON with three comment styles, includes, trailing commas
// (warned), duplicate keys (refused) and every position given as file:line:column, inside
// included files too. Expected messages and limits were checked against kea-dhcp4 -t (2.2).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ConfigError } from "../../../../src/util/errors.ts";
import { ConfigFileError } from "../../../../src/dhcpsrv/config/errors.ts";
import {
  MAX_INCLUDE_DEPTH,
  formatKeyPath,
  parseKeaText,
  readKeaFile,
  type KeaParseOptions,
} from "../../../../src/dhcpsrv/config/kea-json.ts";

const dir = mkdtempSync(join(tmpdir(), "nestor-kea-json-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const inDir: KeaParseOptions = { cwd: dir };

function write(name: string, text: string): void {
  writeFileSync(join(dir, name), text);
}

function refusal(fn: () => unknown): ConfigFileError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, `expected a ConfigFileError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the configuration to be refused");
}

function parse(text: string) {
  return parseKeaText(text, "kea.conf", inDir);
}

describe("comments", () => {
  test("#, // and /* */ comments are ignored wherever whitespace may stand", () => {
    const doc = parse(
      [
        "# hash comment",
        '{ "Dhcp4": { // line comment',
        "  /* block",
        '     comment */ "valid-lifetime": /* inline */ 4000 # trailing',
        "} }",
      ].join("\n"),
    );
    assert.deepEqual(doc.value, { Dhcp4: { "valid-lifetime": 4000 } });
  });

  test("comment markers inside strings are part of the string", () => {
    const doc = parse('{ "a": "x # y // z /* w */" }');
    assert.deepEqual(doc.value, { a: "x # y // z /* w */" });
  });

  test("positions after comments stay exact", () => {
    const doc = parse('# one\n/* two\n three */ { "Dhcp4": { "valid-lifetime": 5 } }');
    assert.deepEqual(doc.positions.valueAt(["Dhcp4", "valid-lifetime"]), {
      file: "kea.conf",
      line: 3,
      column: 42,
    });
  });

  test("an unterminated /* comment is refused at its start", () => {
    const err = refusal(() => parse('{ "Dhcp4": {\n  "valid-lifetime": 10 /* x }}'));
    assert.equal(err.line, 2);
    assert.equal(err.column, 24);
    assert.match(err.reason, /comment not closed/);
    assert.equal(err.message, 'kea.conf:2:24: comment not closed: this "/*" has no "*/" after it');
  });
});

describe("includes", () => {
  test("an included file's text is spliced in where the directive stands", () => {
    write("part.json", '"valid-lifetime": 5,\n"renew-timer": 2');
    const doc = parse('{ "Dhcp4": { <?include "part.json"?> } }');
    assert.deepEqual(doc.value, { Dhcp4: { "valid-lifetime": 5, "renew-timer": 2 } });
    assert.deepEqual(doc.files, ["kea.conf", "part.json"]);
  });

  test("values from an included file carry that file's line and column", () => {
    write("part2.json", '\n  "valid-lifetime": 5');
    const doc = parse(
      '{ "Dhcp4": {\n "renew-timer": 1, <?include "part2.json"?>, "rebind-timer": 2 } }',
    );
    assert.deepEqual(doc.positions.valueAt(["Dhcp4", "valid-lifetime"]), {
      file: "part2.json",
      line: 2,
      column: 21,
    });
    assert.deepEqual(doc.positions.valueAt(["Dhcp4", "rebind-timer"]), {
      file: "kea.conf",
      line: 2,
      column: 62,
    });
  });

  test("a syntax error inside an included file is reported in that file", () => {
    write("broken.json", '"valid-lifetime": 5\n"renew-timer": 2');
    const err = refusal(() => parse('{ "Dhcp4": { <?include "broken.json"?> } }'));
    assert.equal(err.file, "broken.json");
    assert.equal(err.line, 2);
    assert.equal(err.column, 1);
  });

  test("an include may stand for a single value and be written without spaces", () => {
    write("value.json", "42");
    const doc = parse('{ "v": <?include"value.json"?> }');
    assert.deepEqual(doc.value, { v: 42 });
  });

  test("include paths are relative to the working directory, not to the including file", () => {
    write("top-level-target.json", '"x": 1');
    rmSync(join(dir, "sub"), { recursive: true, force: true });
    write("nested-from-sub.json", "");
    writeFileSync(join(dir, "nested-from-sub.json"), '<?include "top-level-target.json"?>');
    const doc = parse('{ <?include "nested-from-sub.json"?> }');
    assert.deepEqual(doc.value, { x: 1 });
  });

  test("an include inside a comment or a string is not followed", () => {
    const doc = parse('{ "a": "<?include \\"nope.json\\"?>" } # <?include "nope.json"?>');
    assert.deepEqual(doc.value, { a: '<?include "nope.json"?>' });
  });

  test("a missing include file is refused at the directive", () => {
    const err = refusal(() => parse('{ "Dhcp4": {\n   <?include "missing.json"?> } }'));
    assert.equal(err.message, 'kea.conf:2:4: cannot open include file "missing.json" (ENOENT)');
  });

  test(`includes nest ${MAX_INCLUDE_DEPTH} levels deep, as in Kea 2.2`, () => {
    for (let i = 1; i <= MAX_INCLUDE_DEPTH; i++) {
      write(
        `chain${i}.json`,
        i < MAX_INCLUDE_DEPTH ? `<?include "chain${i + 1}.json"?>` : '"x": 1',
      );
    }
    assert.deepEqual(parse('{ <?include "chain1.json"?> }').value, { x: 1 });
  });

  test("one more level of includes is refused", () => {
    for (let i = 1; i <= MAX_INCLUDE_DEPTH + 1; i++) {
      write(`deep${i}.json`, i <= MAX_INCLUDE_DEPTH ? `<?include "deep${i + 1}.json"?>` : '"x": 1');
    }
    const err = refusal(() => parse('{ <?include "deep1.json"?> }'));
    assert.equal(err.file, `deep${MAX_INCLUDE_DEPTH}.json`);
    assert.match(err.reason, /too many nested includes/);
  });

  test("a file including itself is stopped by the nesting limit", () => {
    write("self.json", '<?include "self.json"?>');
    assert.match(refusal(() => parse('{ <?include "self.json"?> }')).reason, /too many nested/);
  });

  test("a malformed directive is refused", () => {
    const err = refusal(() => parse("{ <?include missing-quotes?> }"));
    assert.match(err.reason, /malformed include/);
  });
});

describe("trailing commas and duplicates", () => {
  test("a trailing comma is accepted with a warning at the comma", () => {
    const doc = parse('{ "Dhcp4": {\n  "valid-lifetime": 10,\n} }');
    assert.deepEqual(doc.value, { Dhcp4: { "valid-lifetime": 10 } });
    assert.equal(doc.warnings.length, 1);
    assert.equal(
      doc.warnings[0]!.text,
      "kea.conf:2:23: Dhcp4: extraneous comma; a piece of configuration may have been omitted",
    );
  });

  test("a trailing comma in a list is warned about too", () => {
    const doc = parse('{ "l": [1, 2, ] }');
    assert.deepEqual(doc.value, { l: [1, 2] });
    assert.equal(doc.warnings[0]!.path, "l");
  });

  test("a repeated comma counts as one, with a warning, as in Kea", () => {
    const doc = parse('{ "a": 5,, "b": [1,, 2] }');
    assert.deepEqual(doc.value, { a: 5, b: [1, 2] });
    assert.deepEqual(
      doc.warnings.map((w) => w.position?.column),
      [9, 19],
    );
  });

  test("an included file of comments only between two commas is one comma", () => {
    write("comments-only.json", "# nothing here\n");
    const doc = parse('{ "a": 5, <?include "comments-only.json"?>, "b": 1 }');
    assert.deepEqual(doc.value, { a: 5, b: 1 });
    assert.equal(doc.warnings.length, 1);
  });

  test("a comma before the first entry is still an error", () => {
    assert.match(refusal(() => parse('{ , "a": 1 }')).reason, /syntax error/);
  });

  test("a duplicate key is refused naming both positions", () => {
    const err = refusal(() => parse('{"Dhcp4":{"valid-lifetime":10,"valid-lifetime":20}}'));
    assert.equal(
      err.message,
      'kea.conf:1:31: Dhcp4.valid-lifetime: duplicate "valid-lifetime" entries in Dhcp4 map (previous at kea.conf:1:11)',
    );
  });

  test("a duplicate across an include names both files", () => {
    write("dup.json", '"valid-lifetime": 6');
    const err = refusal(() => parse('{"Dhcp4":{ "valid-lifetime": 5, <?include "dup.json"?> }}'));
    assert.equal(err.file, "dup.json");
    assert.match(err.reason, /previous at kea\.conf:1:12/);
  });

  test("duplicates are refused in free-form maps too", () => {
    const err = refusal(() => parse('{"Dhcp4":{"user-context":{"a":1,"a":2}}}'));
    assert.match(err.reason, /duplicate "a" entries in user-context map/);
  });

  test('a "__proto__" key is plain data', () => {
    const doc = parse('{ "__proto__": { "x": 1 } }');
    assert.deepEqual(Object.keys(doc.value as object), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(doc.value), Object.prototype);
  });
});

describe("syntax errors", () => {
  test("a missing comma names line, column and what was found", () => {
    const err = refusal(() => parse('{"Dhcp4":{\n"valid-lifetime":100 "renew-timer": 5}}'));
    assert.equal(err.line, 2);
    assert.equal(err.column, 22);
    assert.match(err.reason, /^syntax error, .*found "renew-timer"/);
  });

  test("an unterminated map reports the end of the file", () => {
    const err = refusal(() => parse('{"Dhcp4":{"valid-lifetime":100'));
    assert.match(err.reason, /found end of file/);
  });

  test("an unquoted word is refused", () => {
    const err = refusal(() => parse('{"a": yes}'));
    assert.equal(err.column, 7);
  });

  test("text after the configuration is refused", () => {
    assert.match(refusal(() => parse('{"a": 1} {"b": 2}')).reason, /after the end/);
  });

  test("an empty file is refused", () => {
    assert.match(refusal(() => parse("# only a comment\n")).reason, /expected a value/);
  });

  test("the error is a ConfigError with file, path and reason", () => {
    const err = refusal(() => parse("{"));
    assert.ok(err instanceof ConfigError);
    assert.equal(err.file, "kea.conf");
    assert.equal(err.code, "NESTOR_CONFIG_ERROR");
  });

  test("numbers written as Kea's lexer takes them (.5, 5., +5, 0100) are read", () => {
    const doc = parse('{"a": .5, "b": 5., "c": +5, "d": 0100, "e": -.25, "f": 1e2}');
    assert.deepEqual(doc.value, { a: 0.5, b: 5, c: 5, d: 100, e: -0.25, f: 100 });
  });

  test("a number too large for a double is refused", () => {
    assert.equal(
      refusal(() => parse('{"a": 1e400}')).message,
      "kea.conf:1:7: number out of range: 1e400",
    );
  });

  test("positions after a rewritten number stay exact", () => {
    const doc = parse('{"a": .5, "b": 1}');
    assert.equal(doc.positions.valueAt(["b"])?.column, 16);
  });
});

describe("files", () => {
  test("readKeaFile reads the file and names it in positions", () => {
    write("main.json", '{\n "Dhcp4": {} }');
    const doc = readKeaFile("main.json", inDir);
    assert.equal(doc.positions.valueAt(["Dhcp4"])?.line, 2);
    assert.equal(doc.positions.valueAt(["Dhcp4"])?.file, "main.json");
  });

  test("a byte order mark at the start is ignored", () => {
    assert.deepEqual(parse('\uFEFF{ "a": 1 }').value, { a: 1 });
  });

  test("a missing configuration file is a ConfigFileError", () => {
    const err = refusal(() => readKeaFile("nowhere.json", inDir));
    assert.equal(err.message, "nowhere.json: cannot read the configuration file (ENOENT)");
  });

  test("key paths print in Kea's style", () => {
    assert.equal(
      formatKeyPath(["Dhcp4", "subnet4", 0, "pools", 1, "pool"]),
      "Dhcp4.subnet4[0].pools[1].pool",
    );
    assert.equal(formatKeyPath(["Dhcp4", "user-context", "a.b"]), 'Dhcp4.user-context["a.b"]');
  });
});
