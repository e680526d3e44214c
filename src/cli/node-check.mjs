/**
 * Runs a Nestor entry from the sources once Node.js is known to be new enough for it:
 *
 *   node src/cli/node-check.mjs src/cli/nestor-dhcp4.ts -c examples/nestor-dhcp4.json ...
 *
 * (the npm scripts). An older Node.js cannot even load a .ts file, so this check is plain
 * JavaScript; it prints one line and exits 1. The entry then runs with its own arguments, as if
 * started directly. The built bins (dist/cli/nestor-*.js) make the same check themselves
 * (src/cli/nestor-dhcp4.ts); keep the two in step with package.json "engines".
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`Nestor needs Node.js >= 22.18, this is v${process.versions.node}\n`);
  process.exit(1);
}
const entry = process.argv[2];
if (entry === undefined) {
  process.stderr.write("Usage: node src/cli/node-check.mjs ENTRY [ARGUMENTS...]\n");
  process.exit(1);
}
process.argv.splice(1, 1); // the entry sees process.argv as if it had been started directly
await import(pathToFileURL(resolve(entry)).href);
