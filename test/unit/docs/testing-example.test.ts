// docs/hooks/testing.md's complete example, run as written: its two code blocks (the library
// and its test) are written to a directory inside the project, where `nestor/testing` and
// `nestor/hooks` resolve to the built package as they would for an installed Nestor, and run
// with `node --test`. The example's own assertions must pass.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The ```ts blocks of a page whose first line is `// <file name>`. */
function namedBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of markdown.matchAll(/```ts\n(\/\/ ([\w.-]+\.ts)\n[\s\S]*?)```/g)) {
    blocks.set(m[2]!, m[1]!);
  }
  return blocks;
}

test("docs/hooks/testing.md: the example library's test passes under node --test", () => {
  assert.ok(existsSync(join(ROOT, "dist/testing/index.js")), "run `npm run build` first");
  const blocks = namedBlocks(readFileSync(join(ROOT, "docs/hooks/testing.md"), "utf8"));
  assert.deepEqual([...blocks.keys()], ["quarantine.ts", "quarantine.test.ts"]);
  mkdirSync(join(ROOT, "var"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, "var", "docs-example-"));
  try {
    for (const [name, text] of blocks) writeFileSync(join(dir, name), text);
    // A run of its own, not a subtest of this one: without the runner's NODE_TEST_CONTEXT.
    const env = { ...process.env };
    delete env["NODE_TEST_CONTEXT"];
    const r = spawnSync(
      process.execPath,
      ["--test", "--test-reporter=tap", join(dir, "quarantine.test.ts")],
      { cwd: dir, encoding: "utf8", timeout: 60_000, env },
    );
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /# pass 1\n/);
    assert.match(r.stdout, /# fail 0\n/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
