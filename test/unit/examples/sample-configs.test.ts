/**
 * The sample configurations and the try scripts of examples/: both files pass -t, and each
 * server, started on a copy of its sample (var/ moved to a temporary directory, free ports),
 * leases through its try script from the configured pools and ends the lease on the RELEASE.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const example = (file: string) => join(ROOT, "examples", file);
const cli = (family: 4 | 6) => join(ROOT, "src", "cli", `nestor-dhcp${family}.ts`);

/** A UDP port free on loopback right now (for udp4 or udp6). */
async function freePort(family: 4 | 6): Promise<number> {
  const s = createSocket(family === 4 ? "udp4" : "udp6");
  s.bind(0, family === 4 ? "127.0.0.1" : "::1");
  await once(s, "listening");
  const { port } = s.address();
  s.close();
  return port;
}

/** The sample configuration, its ../var/ paths pointing into a fresh temporary directory. */
function copyOfSample(family: 4 | 6): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), `nestor-example${family}-`));
  const text = readFileSync(example(`nestor-dhcp${family}.json`), "utf8");
  assert.ok(text.includes('"../var'), "the sample keeps its files in ../var");
  const file = join(dir, `nestor-dhcp${family}.json`);
  // The repository's var/ is there in a checkout; a copy's is made as an operator would.
  mkdirSync(join(dir, "var"));
  writeFileSync(file, text.replaceAll('"../var', `"${dir}/var`));
  return { dir, file };
}

/** Starts the server (as npm start does, with -p/-P) and waits for its try hint. */
async function startServer(family: 4 | 6, file: string, serverPort: number, clientPort: number) {
  const child = spawn(
    process.execPath,
    [cli(family), "-c", file, "-p", String(serverPort), "-P", String(clientPort)],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const hint = `npm run try:dhcp${family} -- --server-port ${serverPort} --client-port ${clientPort}`;
  const deadline = Date.now() + 15_000;
  while (!out.includes(hint)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGTERM");
      assert.fail(`nestor-dhcp${family} did not print "${hint}":\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out };
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await once(child, "exit");
}

/** Runs a try script as `npm run try:dhcpN -- ...` would, and returns its output. */
async function tryScript(family: 4 | 6, serverPort: number, clientPort: number): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "src", "cli", "node-check.mjs"),
      example(`try-dhcp${family}.ts`),
      "--server-port",
      String(serverPort),
      "--client-port",
      String(clientPort),
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 0, out);
  return out;
}

/** The last row of a lease file for a key (its first column), split; polls for the flush. */
async function lastRow(file: string, key: string, valid: (row: string[]) => boolean) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const rows = existsSync(file)
      ? readFileSync(file, "utf8")
          .split("\n")
          .filter((l) => l.startsWith(`${key},`))
          .map((l) => l.split(","))
      : [];
    const last = rows.at(-1);
    if ((last !== undefined && valid(last)) || Date.now() > deadline) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const family of [4, 6] as const) {
  test(`examples/nestor-dhcp${family}.json passes -t`, () => {
    const r = spawnSync(
      process.execPath,
      [cli(family), "-t", example(`nestor-dhcp${family}.json`)],
      {
        cwd: ROOT,
        encoding: "utf8",
      },
    );
    assert.equal(r.stderr, "");
    assert.equal(r.stdout, "Syntax check OK\n");
    assert.equal(r.status, 0);
  });
}

test("npm run try:dhcp4 leases an address of the sample pool from nestor-dhcp4 on the sample, then releases it", async () => {
  const { dir, file } = copyOfSample(4);
  const serverPort = await freePort(4);
  const clientPort = await freePort(4);
  const server = await startServer(4, file, serverPort, clientPort);
  try {
    const out = await tryScript(4, serverPort, clientPort);
    const acked = /^<- DHCPACK yiaddr (\S+)$/m.exec(out)?.[1];
    assert.ok(acked !== undefined, out);
    const host = Number(acked.split(".")[3]);
    assert.ok(acked.startsWith("198.51.100.") && host >= 10 && host <= 250, acked);
    assert.match(out, new RegExp(`^-> DHCPRELEASE ${acked.replaceAll(".", "\\.")}$`, "m"));
    // The RELEASE has no answer: the lease file gets the row ending the lease (valid 0).
    const row = await lastRow(join(dir, "var", "kea-leases4.csv"), acked, (r) => r[3] === "0");
    assert.equal(row?.[3], "0", `the lease of ${acked} is released`);
    assert.match(server.output(), new RegExp(`DHCP4_RELEASE .*${acked.replaceAll(".", "\\.")}`));
  } finally {
    await stopServer(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run try:dhcp6 gets an address and a prefix of the sample pools from nestor-dhcp6 on the sample, then releases them", async () => {
  const { dir, file } = copyOfSample(6);
  const serverPort = await freePort(6);
  const clientPort = await freePort(6);
  const server = await startServer(6, file, serverPort, clientPort);
  try {
    const out = await tryScript(6, serverPort, clientPort);
    const reply = /^<- REPLY address (\S+) prefix (\S+)$/m.exec(out);
    assert.ok(reply !== null, out);
    const [, address, prefix] = reply;
    // pool 2001:db8:1::100 - 2001:db8:1::1ff; pd-pool 2001:db8:8000::/48 delegating /56s
    assert.match(address!, /^2001:db8:1::1[0-9a-f]{2}$/);
    assert.match(prefix!, /^2001:db8:8000:(?:[0-9a-f]{1,2}00:)?:\/56$/);
    const released = /^-> RELEASE (\S+), (\S+)$/m.exec(out);
    assert.deepEqual(released?.slice(1), [address, prefix]);
    assert.match(out, /^<- REPLY address none prefix none status 0 /m);
    const leases = join(dir, "var", "kea-leases6.csv");
    const row = await lastRow(leases, address!, (r) => r[2] === "0");
    assert.equal(row?.[2], "0", `the lease of ${address} is released`);
    const pd = await lastRow(leases, prefix!.split("/")[0]!, (r) => r[2] === "0");
    assert.equal(pd?.[2], "0", `the lease of ${prefix} is released`);
    assert.ok(
      existsSync(join(dir, "var", "kea-dhcp6-serverid")),
      "the server DUID is kept in var/",
    );
  } finally {
    await stopServer(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
});
