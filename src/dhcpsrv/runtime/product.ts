/**
 * What the hooks framework (src/hooks/) is told about Nestor, the product built on it: the
 * public entries a hook library may import, and the Kea hook libraries Nestor ships its own
 * version of. src/hooks/ knows only what is registered here; the servers (and the -t check)
 * call registerProduct() before they parse a `hooks-libraries` list or load a library.
 *
 * This module only computes URLs and paths: it imports none of the modules it names, so the
 * later layers (dhcp4, dhcp6) are loaded by whoever uses them, as the same instances.
 */
import { fileURLToPath } from "node:url";
import { registerShippedLibrary } from "../../hooks/config.ts";
import { exposePublicModule } from "../../hooks/resolver.ts";

// ".ts" when the server runs from its sources, ".js" from dist/: the entries are the very files
// the running server loaded, so a library shares its classes and constants.
const FROM_SOURCES = import.meta.url.endsWith(".ts");
const EXT = FROM_SOURCES ? ".ts" : ".js";

/** Nestor's public entries (package.json "exports"), beside nestor/hooks, the framework's own. */
export const PUBLIC_ENTRIES: Readonly<Record<string, string>> = {
  "nestor/dhcp": new URL(`../../dhcp/index${EXT}`, import.meta.url).href,
  "nestor/dhcp4": new URL(`../../dhcp4/public${EXT}`, import.meta.url).href,
  "nestor/dhcp6": new URL(`../../dhcp6/public${EXT}`, import.meta.url).href,
};

/**
 * Kea's hook libraries that Nestor ships its own version of (in `hooks/<name>/`, written against
 * the public hooks API like any user's library), by Kea's file name. A Kea configuration naming
 * the shared object, under any directory, loads Nestor's library with the same parameters.
 */
export const KEA_LIBRARIES: Readonly<Record<string, string>> = {
  "libdhcp_run_script.so": "run_script",
  "libdhcp_bootp.so": "bootp",
  "libdhcp_user_chk.so": "user_chk",
  "libdhcp_lease_cmds.so": "lease_cmds",
  "libdhcp_stat_cmds.so": "stat_cmds",
  "libdhcp_flex_option.so": "flex_option",
  "libdhcp_flex_id.so": "flex_id",
};

/**
 * Where a shipped library's module is: the TypeScript source in `hooks/` beside `src/` when the
 * server runs from its sources, the compiled module under `dist/libraries/` when it runs from
 * `dist/` (Node does not strip types under node_modules, where an installed Nestor lives).
 */
export function shippedLibraryPath(name: string): string {
  const relative = FROM_SOURCES
    ? `../../../hooks/${name}/index.ts`
    : `../../libraries/${name}/index.js`;
  return fileURLToPath(new URL(relative, import.meta.url));
}

let registered = false;

/** Registers Nestor's public entries and shipped libraries with the hooks framework, once. */
export function registerProduct(): void {
  if (registered) return;
  registered = true;
  for (const [specifier, url] of Object.entries(PUBLIC_ENTRIES)) exposePublicModule(specifier, url);
  for (const [soName, name] of Object.entries(KEA_LIBRARIES)) {
    registerShippedLibrary(soName, shippedLibraryPath(name));
  }
}
