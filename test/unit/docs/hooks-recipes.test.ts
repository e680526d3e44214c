/**
 * The typing recipes of docs/hooks/ and the README compile against the declarations Nestor ships
 * (dist/*.d.ts, emitted by `npm run build`), as a library author would check them:
 *
 * - every code block whose info string is `ts typecheck` (optionally `file=NAME.ts`, for a helper
 *   another block imports) is written to a scratch library directory;
 * - the `jsonc typecheck` block of docs/hooks/modules-and-typescript.md is that directory's
 *   tsconfig.json (recipe a: `paths` to the server's installation, here this checkout), and the
 *   blocks are checked with it; then again as recipe b describes, with Nestor installed in the
 *   library's node_modules (no `paths`: the package's "exports" give the types);
 * - `tsc` (node_modules/typescript) must report nothing.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, type ParseError } from "jsonc-parser";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
/** Where recipe a's tsconfig says the server is installed; replaced by this checkout. */
const INSTALLED = "/usr/lib/node_modules/nestor/";

const scratch: string[] = [];
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "nestor-recipes-"));
  scratch.push(dir);
  return dir;
}
after(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

interface Block {
  readonly doc: string;
  readonly line: number;
  readonly lang: string;
  readonly file: string | undefined;
  readonly text: string;
}

/** The fenced blocks of a Markdown file whose info string contains the word `typecheck`. */
function typecheckBlocks(doc: string): Block[] {
  const lines = readFileSync(join(ROOT, doc), "utf8").split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(\S+)(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const indent = open[1]!.length;
    let end = i + 1;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    const words = open[3]!.trim().split(/\s+/);
    if (words.includes("typecheck")) {
      const file = words.find((w) => w.startsWith("file="))?.slice("file=".length);
      const text = lines
        .slice(i + 1, end)
        .map((l) => l.slice(indent))
        .join("\n");
      out.push({ doc, line: i + 1, lang: open[2]!, file, text });
    }
    i = end;
  }
  return out;
}

const DOCS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs/hooks"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/hooks/${f}`),
];
const blocks = DOCS.flatMap(typecheckBlocks);
const sources = blocks.filter((b) => b.lang === "ts");
const configs = blocks.filter((b) => b.lang === "jsonc");

function recipeTsconfig(): Record<string, unknown> {
  assert.equal(configs.length, 1, "one tsconfig recipe marked `jsonc typecheck`");
  const errors: ParseError[] = [];
  const config = parse(configs[0]!.text, errors) as Record<string, unknown>;
  assert.deepEqual(errors, [], "the tsconfig recipe parses");
  return config;
}

/** A library directory with the marked blocks, `@types/node` installed, and `tsconfig`. */
function libraryDir(tsconfig: Record<string, unknown>): string {
  const dir = scratchDir();
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  mkdirSync(join(dir, "node_modules/@types"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules/@types/node"), join(dir, "node_modules/@types/node"));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  // Each block is its own module (the include of the recipe is "*.ts", "*.mts").
  for (const [i, b] of sources.entries()) {
    const name = b.file ?? `${b.doc.replace(/[/.]/g, "_")}_${b.line}_${i}.ts`;
    writeFileSync(join(dir, name), `// ${b.doc}:${b.line}\n${b.text}\n`);
  }
  return dir;
}

function tsc(dir: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [TSC, "-p", dir, "--pretty", "false"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test("the docs mark their compiling recipes: every hooks page with TypeScript has some", () => {
  for (const doc of [
    "README.md",
    "docs/hooks/README.md",
    "docs/hooks/guide.md",
    "docs/hooks/modules-and-typescript.md",
    "docs/hooks/async-and-parking.md",
    "docs/hooks/loading-and-reload.md",
  ]) {
    assert.ok(
      sources.some((b) => b.doc === doc),
      `${doc} has no \`ts typecheck\` block`,
    );
  }
  assert.ok(sources.length >= 20, `only ${sources.length} blocks marked`);
  // The recipe names every public entry a library may import.
  const paths = (recipeTsconfig()["compilerOptions"] as { paths: Record<string, string[]> }).paths;
  assert.deepEqual(Object.keys(paths).sort(), [
    "nestor/dhcp",
    "nestor/dhcp4",
    "nestor/dhcp6",
    "nestor/hooks",
  ]);
});

test("recipe a (tsconfig paths to the server's dist/*.d.ts): every marked block compiles", () => {
  const config = recipeTsconfig();
  const options = config["compilerOptions"] as { paths: Record<string, string[]> };
  for (const [name, targets] of Object.entries(options.paths)) {
    options.paths[name] = targets.map((t) => {
      assert.ok(t.startsWith(INSTALLED), `${name}: ${t}`);
      return join(ROOT, t.slice(INSTALLED.length));
    });
  }
  const r = tsc(libraryDir(config));
  assert.equal(r.output, "");
  assert.equal(r.status, 0);
});

test("recipe b (Nestor installed in the library's node_modules): every marked block compiles", () => {
  const config = recipeTsconfig();
  delete (config["compilerOptions"] as Record<string, unknown>)["paths"];
  const dir = libraryDir(config);
  symlinkSync(ROOT, join(dir, "node_modules/nestor"));
  const r = tsc(dir);
  assert.equal(r.output, "");
  assert.equal(r.status, 0);
});

test("the check can fail: a block with a type error is reported with its place", () => {
  const config = recipeTsconfig();
  delete (config["compilerOptions"] as Record<string, unknown>)["paths"];
  const dir = scratchDir();
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
  mkdirSync(join(dir, "node_modules/@types"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules/@types/node"), join(dir, "node_modules/@types/node"));
  symlinkSync(ROOT, join(dir, "node_modules/nestor"));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
  writeFileSync(
    join(dir, "bad.ts"),
    `import { HOOKS_VERSION } from "nestor/hooks";\nexport const version = (): string => HOOKS_VERSION;\n`,
  );
  const r = tsc(dir);
  assert.notEqual(r.status, 0);
  assert.match(r.output, /bad\.ts\(2,\d+\): error TS2322/);
});
