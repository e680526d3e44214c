/**
 * Errors that point at the library author's code: a syntax error names its file, line and
 * column; a throw in load() or in a callout logs its stack at DEBUG; an export that looks meant
 * as a callout but names no hook point of this server is warned about at load.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { scratchDir, testBed, writeLibrary } from "../../helpers/hooks.ts";
import { HooksManager } from "../../../src/hooks/hooks-manager.ts";
import { ServerHooks } from "../../../src/hooks/server-hooks.ts";
import { LogManager } from "../../../src/log/logger.ts";

/** A manager whose log (DEBUG 99) is captured, with the hook points `names`. */
function debugBed(names: string[]) {
  const lines: string[] = [];
  const logManager = new LogManager("nestor-test");
  logManager.configure([
    { name: "nestor-test", severity: "DEBUG", debuglevel: 99, outputs: [(l) => lines.push(l)] },
  ]);
  const serverHooks = new ServerHooks();
  const indexes = names.map((n) => serverHooks.registerHook(n));
  return { manager: new HooksManager({ serverHooks, logManager }), lines, indexes };
}

const HEADER = `import { HOOKS_VERSION } from "nestor/hooks";\nexport const version = () => HOOKS_VERSION;\n`;

test("a syntax error in a TypeScript library names its file, line and column", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "broken.ts",
    `${HEADER}export function load(h: number {\n  return 0;\n}\n`,
  );
  const bed = testBed();
  await assert.rejects(bed.manager.loadLibraries([lib]), (e: Error) => {
    const column = "export function load(h: number ".length + 1;
    assert.match(e.message, new RegExp(`import failed: SyntaxError at ${lib.path}:3:${column}: `));
    return true;
  });
  // -t / config-test report the same.
  const [err] = await bed.manager.validateLibraries([lib]);
  assert.match(err!, new RegExp(`SyntaxError at ${lib.path}:3:\\d+`));
});

test("a syntax error in a JavaScript library, or in a file it imports, names that file, line and column", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "broken.mjs",
    `${HEADER}export function load(h {\n  return 0;\n}\n`,
  );
  const bed = testBed();
  await assert.rejects(bed.manager.loadLibraries([lib]), (e: Error) => {
    const column = "export function load(h ".length + 1;
    assert.equal(
      e.message,
      `hooks library ${lib.path} failed to load: import failed: ` +
        `SyntaxError at ${lib.path}:3:${column}: Unexpected token '{'`,
    );
    return true;
  });
  writeFileSync(join(dir, "helper.mjs"), `export const x = 1;\n\nexport const y = (;\n`);
  const entry = writeLibrary(dir, "entry.mjs", `${HEADER}import { x } from "./helper.mjs";\n`);
  await assert.rejects(
    bed.manager.loadLibraries([entry]),
    new RegExp(`SyntaxError at ${join(dir, "helper.mjs")}:3:\\d+: Unexpected token`),
  );
});

test("a throw in load() logs the library's stack at DEBUG, pointing at the author's line", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "throws.mjs",
    `${HEADER}function helper() {\n  throw new Error("no database");\n}\nexport function load() {\n  helper();\n}\n`,
  );
  const bed = debugBed(["alpha"]);
  await assert.rejects(bed.manager.loadLibraries([lib]), /load\(\) threw: no database/);
  const stack = bed.lines.find((l) => l.includes("HOOKS_LIBRARY_STACK"));
  assert.ok(stack !== undefined, bed.lines.join(""));
  assert.match(stack, /DEBUG/);
  assert.match(stack, /Error: no database/);
  assert.match(stack, new RegExp(`at helper \\(.*throws\\.mjs[^:]*:4:9\\)`));
});

test("a throw in a callout logs its stack at DEBUG besides the ERROR line", async () => {
  const dir = scratchDir();
  const lib = writeLibrary(
    dir,
    "callout-throws.mjs",
    `${HEADER}export function alpha() {\n  null.x;\n}\n`,
  );
  const bed = debugBed(["alpha"]);
  await bed.manager.loadLibraries([lib]);
  const handle = bed.manager.createCalloutHandle();
  bed.manager.callCallouts(bed.indexes[0]!, handle);
  const error = bed.lines.find((l) => l.includes("HOOKS_CALLOUT_EXCEPTION "));
  assert.ok(error !== undefined && /ERROR/.test(error), bed.lines.join(""));
  const stack = bed.lines.find((l) => l.includes("HOOKS_CALLOUT_EXCEPTION_STACK"));
  assert.ok(stack !== undefined, bed.lines.join(""));
  assert.match(stack, /TypeError: Cannot read properties of null/);
  assert.match(stack, /at \S*alpha .*callout-throws\.mjs[^:]*:4:8\)/);
  await bed.manager.unloadLibraries();
});

test("exports close to a hook point's name, or naming the other family's, are warned about at load", async () => {
  const dir = scratchDir();
  const v4 = writeLibrary(
    dir,
    "misnamed.mjs",
    `${HEADER}
export function pkt4_recieve() { return 0; }
export function PKT4_SEND() { return 0; }
export function pkt4_receive() { return 0; }
export function lease6_renew() { return 0; }
export function formatAddress() { return ""; }
export const parametersSchema = { type: "object" };
`,
  );
  const v6 = writeLibrary(
    dir,
    "v6-only.mjs",
    `${HEADER}
export function pkt6_receive() { return 0; }
export function lease6_rebind() { return 0; }
`,
  );
  const bed = debugBed(["pkt4_receive", "pkt4_send", "lease4_renew"]);
  await bed.manager.loadLibraries([v4, v6]);
  const warnings = bed.lines.filter((l) => l.includes("HOOKS_EXPORT_NOT_A_HOOK"));
  assert.equal(warnings.length, 4, warnings.join(""));
  assert.ok(warnings.every((w) => / WARN /.test(w)));
  const text = warnings.join("");
  assert.match(
    text,
    /exports pkt4_recieve, which is not a hook point: did you mean pkt4_receive\?/,
  );
  assert.match(text, /exports PKT4_SEND, which is not a hook point: did you mean pkt4_send\?/);
  assert.match(
    text,
    /v6-only\.mjs exports pkt6_receive, which is not a hook point: it names a DHCPv6 hook point and this server is DHCPv4/,
  );
  assert.match(text, /v6-only\.mjs exports lease6_rebind, .*DHCPv6 hook point/);
  // A library with callouts of both families (as run_script) is written for both: lease6_renew
  // of misnamed.mjs, which has pkt4_receive, is not warned about.
  assert.doesNotMatch(
    text,
    /formatAddress|exports pkt4_receive,|misnamed\.mjs exports lease6_renew/,
  );
  await bed.manager.unloadLibraries();
});
