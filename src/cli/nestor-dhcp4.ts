#!/usr/bin/env node
/**
 * nestor-dhcp4, the DHCPv4 server (dhcp4-main.ts). This entry imports nothing of Nestor
 * statically, because static imports are evaluated before a line of the importing module runs:
 * a Node.js too old for Nestor would fail in some module with a SyntaxError instead of this
 * one line. Keep the check in step with package.json "engines" and node-check.mjs.
 */
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`Nestor needs Node.js >= 22.18, this is v${process.versions.node}\n`);
  process.exit(1);
}
await import("./dhcp4-main.ts");
