/**
 * Module resolution for hook libraries, installed with Node's synchronous module hooks the first
 * time a library is loaded.
 *
 * 1. `import ... from "nestor/hooks"` (and any other public entry registered with
 *    exposePublicModule) resolves to the very module instance the running server uses, wherever
 *    the library file lives and whether or not it has a package.json or node_modules of its own.
 *    The library therefore shares the server's classes, constants and HOOKS_VERSION.
 * 2. Reload: every generation of libraries imports its files with a `?nestor-generation=N`
 *    query, and the query is carried to the relative imports of those files (outside
 *    node_modules, or inside the library's own package when it is one), so an edited library
 *    file, or a file it imports, is read afresh. ES modules cannot be unloaded: each reload keeps
 *    the old instances in memory until the process ends.
 * 3. resolvePackage(): a library named as an npm package is resolved exactly as Node resolves an
 *    import of it from the hooks directory (its package.json "exports", "main", conditions).
 */
import { registerHooks } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

// The framework's own entry, relative to this file; the extension follows this file's own
// (".ts" when the server runs from source, ".js" from dist/), so libraries get the instance the
// server loaded. The entries of the later layers are registered by them (exposePublicModule):
// this layer knows no other module of the product.
const EXT = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
export const HOOKS_ENTRY = "nestor/hooks";
const PUBLIC = new Map<string, string>([
  [HOOKS_ENTRY, new URL(`./index${EXT}`, import.meta.url).href],
]);
export const GENERATION_PARAM = "nestor-generation";
/** `RESOLVE_FROM + JSON.stringify([parentURL, specifier])`: resolve specifier from parentURL. */
const RESOLVE_FROM = "nestor-resolve-from:";
let installed = false;

/**
 * The file an `import specifier` (an npm package, optionally with a subpath) made from the
 * directory `dir` would load, by Node's own resolution: `dir/node_modules/<package>` with its
 * package.json "exports" (the "import" / "node" / "default" conditions) or "main". Throws
 * Node's error (code ERR_MODULE_NOT_FOUND, ERR_PACKAGE_PATH_NOT_EXPORTED...) when it cannot.
 */
export function resolvePackage(specifier: string, dir: string): string {
  installResolver();
  const parent = pathToFileURL(dir.endsWith("/") ? dir : `${dir}/`).href;
  const url = import.meta.resolve(RESOLVE_FROM + JSON.stringify([parent, specifier]));
  if (!url.startsWith("file:")) throw new Error(`'${specifier}' did not resolve to a file: ${url}`);
  return fileURLToPath(url);
}

/** `/x/node_modules/@a/b/lib/c.js` -> `/x/node_modules/@a/b/`; undefined outside node_modules. */
function packageRoot(url: string): string | undefined {
  const at = url.lastIndexOf("/node_modules/");
  if (at < 0) return undefined;
  const rest = url.slice(at + "/node_modules/".length).split("/");
  const segments = rest[0]?.startsWith("@") === true ? 2 : 1;
  return url.slice(0, at) + "/node_modules/" + rest.slice(0, segments).join("/") + "/";
}

/**
 * Makes `specifier` (a bare specifier such as `nestor/x`) resolve to `url` for hook libraries:
 * the public entries of the layers above this one, registered by the product before its
 * libraries load. Registering a specifier again replaces its URL.
 */
export function exposePublicModule(specifier: string, url: string | URL): void {
  if (specifier === HOOKS_ENTRY) {
    throw new Error(`${HOOKS_ENTRY} is the hooks framework's own entry and cannot be replaced`);
  }
  const href = url instanceof URL ? url.href : new URL(url).href;
  PUBLIC.set(specifier, href);
}

/** The URL a hook library's `import specifier` resolves to, when it is a public entry. */
export function publicModule(specifier: string): string | undefined {
  return PUBLIC.get(specifier);
}

export function installResolver(): void {
  if (installed) return;
  installed = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const pub = PUBLIC.get(specifier);
      if (pub !== undefined) return { url: pub, shortCircuit: true };
      if (specifier.startsWith(RESOLVE_FROM)) {
        const [parentURL, target] = JSON.parse(specifier.slice(RESOLVE_FROM.length)) as [
          string,
          string,
        ];
        return nextResolve(target, { ...context, parentURL });
      }
      const result = nextResolve(specifier, context);
      const parent = context.parentURL;
      if (parent === undefined || !parent.includes(`${GENERATION_PARAM}=`)) return result;
      const url = result.url;
      if (!url.startsWith("file:") || url.includes("?")) return result;
      // A dependency in node_modules is shared by every generation; the library's own package
      // (a library installed as a package imports its own files) is read afresh like a file.
      const root = packageRoot(url);
      if (root !== undefined && root !== packageRoot(parent)) return result;
      const generation = new URL(parent).searchParams.get(GENERATION_PARAM) ?? "0";
      return { ...result, url: `${url}?${GENERATION_PARAM}=${generation}` };
    },
  });
}
