/**
 * Enforces the dependency rule of Nestor's architecture (the layout described in the README):
 * which module of src/ may import which, and what a shipped hook library (hooks/<name>/) may
 * import. Run as `npm run check:deps`; prints one line per violation and exits 1, or a one-line
 * summary and exits 0.
 *
 * Every import counts: `import`, `import type`, `export ... from`, `import("...")` (also in
 * type positions) and `require("...")`; a type-only import still ties the reader to its target.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

// ---------------------------------------------------------------------------------------------
// The rule table: the architecture described in the README ("Layout"). Keep it in step with it.
// ---------------------------------------------------------------------------------------------

/**
 * Rule 1 – the layers of src/, lowest first. A module imports only from its own layer and the
 * layers before it. Layers sharing a rank (dhcp4, dhcp6) are siblings and never import each
 * other (rule 2).
 */
const LAYERS: readonly (readonly string[])[] = [
  ["util"], //                typed errors
  ["log"], //                 Kea-style loggers
  ["stats"], //               statistics
  ["hooks"], //               the hooks framework: knows nothing of DHCP
  ["dhcp"], //                wire protocol: packets, options, option definitions
  ["dhcpsrv"], //             what both servers share: configuration, allocation, leases, sockets
  ["dhcp4", "dhcp6"], //      the two servers, which never import each other
  ["control"], //             the control channel
  ["testing"], //             nestor/testing: both servers in memory, for libraries' tests
  ["cli"], //                 entry points; nobody imports them
];

/**
 * Rule 3 – the two protocol families stay apart: a v6 file never imports a v4 file and vice
 * versa. A file is v4 if it lives under src/dhcp4/ or its base name contains "4" (and not "6"),
 * v6 if it lives under src/dhcp6/ or its base name contains "6" (and not "4").
 */
const FAMILY_DIRS: Readonly<Record<string, "4" | "6">> = { "src/dhcp4": "4", "src/dhcp6": "6" };

/**
 * Rule 5 – a shipped library (hooks/<name>/, its test/ folder excepted) imports only what a
 * user's library could: node built-ins, the public `nestor/...` entries listed in package.json
 * "exports", the packages listed in package.json "dependencies", and its own files.
 */
const LIBRARIES_DIR = "hooks";
const LIBRARY_TEST_DIR = "test";

/** The trees checked, relative to the project root. */
const CHECKED_ROOTS = ["src", LIBRARIES_DIR];
const SKIPPED_DIRS = new Set(["node_modules", "dist"]);

const RULE = {
  layer: (from: string, to: string) => `layer ${from} must not import ${to}`,
  siblings: (from: string, to: string) => `${from} and ${to} never import each other`,
  family: (from: string, to: string) => `a v${from} file must not import a v${to} file`,
  outside: "src must not import outside src",
  cycle: (cycle: string) => `import cycle ${cycle}`,
  library:
    "a shipped library imports only node:*, the nestor/... exports, package.json dependencies and its own files",
};

// ---------------------------------------------------------------------------------------------

export interface Violation {
  /** Importing file, relative to the root, with forward slashes. */
  file: string;
  line: number;
  rule: string;
  /** The imported module: a root-relative path for relative imports, else the specifier. */
  target: string;
}

export interface CheckResult {
  violations: Violation[];
  files: number;
  imports: number;
}

interface ImportRef {
  specifier: string;
  line: number;
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line}: ${v.rule}: imports ${v.target}`;
}

/** Every module specifier a TypeScript file refers to, with the line it is on. */
export function readImports(fileName: string, text: string): ImportRef[] {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const refs: ImportRef[] = [];
  const add = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      refs.push({ specifier: node.text, line });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      if (node.moduleSpecifier) add(node.moduleSpecifier);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      add(node.moduleReference.expression);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const callee = node.expression;
      if (
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && callee.text === "require")
      ) {
        add(node.arguments[0]!);
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

function listFiles(root: string, dir: string, out: string[]): void {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return;
  for (const entry of readdirSync(abs, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (SKIPPED_DIRS.has(entry.name)) continue;
      // A library's tests are not shipped, so they are not checked.
      if (dir.split("/").length === 2 && dir.startsWith(`${LIBRARIES_DIR}/`)) {
        if (entry.name === LIBRARY_TEST_DIR) continue;
      }
      listFiles(root, rel, out);
    } else if (entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
      out.push(rel);
    }
  }
}

/** Resolves a relative specifier to a root-relative path (the file need not exist). */
function resolveRelative(root: string, fromFile: string, specifier: string): string {
  const abs = path.resolve(root, path.dirname(fromFile), specifier);
  const candidates = [abs, abs.replace(/\.js$/, ".ts"), `${abs}.ts`, path.join(abs, "index.ts")];
  const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return toPosix(path.relative(root, found ?? abs));
}

function srcLayer(rel: string): string | undefined {
  const parts = rel.split("/");
  return parts[0] === "src" && parts.length > 2 ? parts[1] : undefined;
}

function layerRank(layer: string): number {
  return LAYERS.findIndex((rank) => rank.includes(layer));
}

function family(rel: string): "4" | "6" | undefined {
  for (const [dir, fam] of Object.entries(FAMILY_DIRS)) {
    if (rel.startsWith(`${dir}/`)) return fam;
  }
  const base = path.posix.basename(rel).replace(/\.ts$/, "");
  const has4 = base.includes("4");
  const has6 = base.includes("6");
  return has4 && !has6 ? "4" : has6 && !has4 ? "6" : undefined;
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/**
 * The cycles of the graph, each once: for every edge u -> v inside a strongly connected
 * component, the shortest cycle through it (so every edge that takes part in a cycle is shown,
 * without enumerating the possibly exponential set of all elementary cycles).
 */
function findCycles(graph: Map<string, Map<string, number>>): string[][] {
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const sccOf = new Map<string, number>();
  let sccCount = 0;
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        sccOf.set(w, sccCount);
      } while (w !== v);
      sccCount++;
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);

  const cycles = new Map<string, string[]>();
  for (const u of [...graph.keys()].sort()) {
    for (const v of [...graph.get(u)!.keys()].sort()) {
      if (sccOf.get(u) === undefined || sccOf.get(u) !== sccOf.get(v)) continue;
      // The shortest path v -> ... -> u inside the component closes the cycle through u -> v.
      const prev = new Map<string, string>([[v, v]]);
      const queue = [v];
      while (queue.length > 0 && !prev.has(u)) {
        const x = queue.shift()!;
        for (const y of [...graph.get(x)!.keys()].sort()) {
          if (sccOf.get(y) !== sccOf.get(u) || prev.has(y)) continue;
          prev.set(y, x);
          queue.push(y);
        }
      }
      const path: string[] = [];
      for (let x = u; x !== v; x = prev.get(x)!) path.push(x);
      path.push(v);
      path.reverse(); // v ... u
      path.unshift(path.pop()!); // u v ... (back to u)
      // Canonical rotation: start at the smallest file.
      const start = path.indexOf([...path].sort()[0]!);
      const cycle = [...path.slice(start), ...path.slice(0, start)];
      cycles.set(cycle.join("\n"), cycle);
    }
  }
  return [...cycles.values()].sort((a, b) => a.join("\n").localeCompare(b.join("\n")));
}

/** Checks the tree rooted at `root` (which holds package.json, src/ and hooks/). */
export function checkDeps(root: string): CheckResult {
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    exports?: Record<string, unknown>;
    dependencies?: Record<string, string>;
  };
  const publicEntries = new Set(
    Object.keys(pkg.exports ?? {})
      .filter((k) => k.startsWith("./"))
      .map((k) => `nestor/${k.slice(2)}`),
  );
  const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));

  const files: string[] = [];
  for (const dir of CHECKED_ROOTS) listFiles(root, dir, files);

  const violations: Violation[] = [];
  const graph = new Map<string, Map<string, number>>(); // src file -> (src target -> line)
  let imports = 0;

  for (const file of files) {
    const refs = readImports(file, readFileSync(path.join(root, file), "utf8"));
    imports += refs.length;
    const inSrc = file.startsWith("src/");
    if (inSrc) graph.set(file, graph.get(file) ?? new Map());
    const libParts = file.split("/");
    const library =
      libParts[0] === LIBRARIES_DIR && libParts.length > 2 ? `${libParts[0]}/${libParts[1]}` : "";

    for (const { specifier, line } of refs) {
      const relative = specifier.startsWith("./") || specifier.startsWith("../");
      const target = relative ? resolveRelative(root, file, specifier) : specifier;
      const flag = (rule: string) => violations.push({ file, line, rule, target });

      // Where the target sits among the layers: a src file, or a public nestor/... entry.
      const targetLayer = relative
        ? srcLayer(target)
        : specifier.startsWith("nestor/")
          ? specifier.split("/")[1]
          : undefined;

      if (inSrc) {
        const fromLayer = srcLayer(file);
        if (relative && !target.startsWith("src/")) {
          flag(RULE.outside);
        } else if (fromLayer !== undefined && targetLayer !== undefined) {
          const from = layerRank(fromLayer);
          const to = layerRank(targetLayer);
          if (fromLayer !== targetLayer && from >= 0 && to >= 0) {
            if (to > from) flag(RULE.layer(fromLayer, targetLayer));
            else if (to === from) flag(RULE.siblings(fromLayer, targetLayer));
          }
        }
        if (relative && target.startsWith("src/") && target !== file) {
          const edges = graph.get(file)!;
          if (!edges.has(target)) edges.set(target, line);
        }
      }

      // Rule 3, unless rule 2 (dhcp4 <-> dhcp6) already said it.
      const fromFamily = family(file);
      const targetFamily = relative
        ? target.startsWith("src/")
          ? family(target)
          : undefined
        : specifier === "nestor/dhcp4"
          ? "4"
          : specifier === "nestor/dhcp6"
            ? "6"
            : undefined;
      const siblingsFlagged =
        inSrc &&
        srcLayer(file) !== targetLayer &&
        layerRank(srcLayer(file) ?? "") >= 0 &&
        layerRank(srcLayer(file) ?? "") === layerRank(targetLayer ?? "");
      if (fromFamily && targetFamily && fromFamily !== targetFamily && !siblingsFlagged) {
        flag(RULE.family(fromFamily, targetFamily));
      }

      if (library) {
        const ok = relative
          ? target.startsWith(`${library}/`) &&
            !target.startsWith(`${library}/${LIBRARY_TEST_DIR}/`)
          : specifier.startsWith("node:") ||
            publicEntries.has(specifier) ||
            dependencies.has(packageName(specifier));
        if (!ok) flag(RULE.library);
      }
    }
  }

  // Rule 4: no cycle among the files of src/.
  for (const cycle of findCycles(graph)) {
    const [first, second] = [cycle[0]!, cycle[1]!];
    violations.push({
      file: first,
      line: graph.get(first)!.get(second)!,
      rule: RULE.cycle([...cycle, first].join(" -> ")),
      target: second,
    });
  }

  return { violations, files: files.length, imports };
}

function main(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const { violations, files, imports } = checkDeps(root);
  for (const v of violations) console.log(formatViolation(v));
  if (violations.length > 0) {
    console.error(
      `check-deps: ${violations.length} violation(s) in ${files} files (${imports} imports)`,
    );
    process.exit(1);
  }
  console.log(`check-deps: ${files} files, ${imports} imports checked, no violations`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
