#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * nestor-dhcp4, the DHCPv4 server (dhcp4-main.ts). This entry imports nothing of Nestor
 * statically, because static imports are evaluated before a line of the importing module runs:
 * a Node.js too old for Nestor would fail in some module with a SyntaxError instead of this
 * one line. Keep the check in step with package.json "engines" and node-check.mjs.
 *
 * The first line starts Node.js with a young generation of at most 4 MiB a semi-space (V8's
 * default is 16 MiB here): a server's garbage is short-lived packets, and a smaller young
 * generation keeps RSS from growing for minutes under load until V8 has grown it to its
 * largest (README, "Start-up garbage and the young generation"). V8 reads the flag only at
 * start, hence the line; a command started otherwise (`node dist/cli/nestor-dhcp4.js`) runs
 * with V8's default.
 */
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`Nestor needs Node.js >= 22.18, this is v${process.versions.node}\n`);
  process.exit(1);
}
await import("./dhcp4-main.ts");
