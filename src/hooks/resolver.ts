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
 *    node_modules), so an edited library file, or a file it imports, is read afresh. ES modules
 *    cannot be unloaded: each reload keeps the old instances in memory until the process ends.
 */
import { registerHooks } from "node:module";

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
let installed = false;

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
      const result = nextResolve(specifier, context);
      const parent = context.parentURL;
      if (parent === undefined || !parent.includes(`${GENERATION_PARAM}=`)) return result;
      const url = result.url;
      if (!url.startsWith("file:") || url.includes("/node_modules/") || url.includes("?")) {
        return result;
      }
      const generation = new URL(parent).searchParams.get(GENERATION_PARAM) ?? "0";
      return { ...result, url: `${url}?${GENERATION_PARAM}=${generation}` };
    },
  });
}
