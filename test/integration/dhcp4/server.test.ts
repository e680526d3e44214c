import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { DHCPMessageType as T, DHO } from "../../../src/dhcp/constants.ts";
import { Dhcp4Server } from "../../../src/dhcp4/server.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { Relay4, clientQuery } from "../../helpers/relay4.ts";
import { startForRelay } from "../../helpers/relayed-start.ts";

const TUTORIAL = fileURLToPath(
  new URL("../../../examples/hooks/tutorial/tutorial.ts", import.meta.url),
);
const CLI = fileURLToPath(new URL("../../../src/cli/nestor-dhcp4.ts", import.meta.url));

function writeConfig(
  dir: string,
  extra: object = {},
  pool = "198.51.100.10 - 198.51.100.20",
): string {
  const file = join(dir, "kea-dhcp4.conf");
  writeFileSync(
    file,
    `// Nestor integration test: loopback only, relay 127.0.0.1
    {
      "Dhcp4": {
        "interfaces-config": { "interfaces": [ "lo" ] },
        "lease-database": { "type": "memfile", "name": "leases4.csv", "lfc-interval": 0 },
        "valid-lifetime": 4000,
        "subnet4": [ {
          "id": 1, "subnet": "198.51.100.0/24", "relay": { "ip-addresses": [ "127.0.0.1" ] },
          "pools": [ { "pool": "${pool}" } ]
        } ],
        ${Object.entries(extra)
          .map(([k, v]) => `"${k}": ${JSON.stringify(v)},`)
          .join("\n")}
        "loggers": [ { "name": "kea-dhcp4", "severity": "WARN" } ]
      }
    }`,
  );
  return file;
}

/** The server for the relay's client port; a refused configuration closes the relay and throws. */
async function start(file: string, relay: Relay4) {
  const logs = new LogManager("nestor-dhcp4");
  return startForRelay(relay, () =>
    Dhcp4Server.start({ configFile: file, serverPort: 0, clientPort: relay.port, logs }),
  );
}

async function dora(server: Dhcp4Server, relay: Relay4, mac: string) {
  const offer = await relay.ask(server.port, clientQuery(T.DHCPDISCOVER, mac));
  assert.ok(offer, "no OFFER");
  const sid = offer.getOption(DHO.DHCP_SERVER_IDENTIFIER)!.getData();
  const ack = await relay.ask(
    server.port,
    clientQuery(T.DHCPREQUEST, mac, offer.yiaddr, [...sid].join(".")),
  );
  assert.ok(ack, "no ACK");
  return ack;
}

test("a refused configuration fails the start at once with the server's error, and closes the relay (no open socket keeps the file's process alive)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  const relay = await Relay4.open();
  const closed = new Promise<boolean>((resolve) => {
    relay.socket.once("close", () => resolve(true));
    setTimeout(() => resolve(false), 5_000).unref();
  });
  await assert.rejects(
    start(writeConfig(dir, { "valid-lifetime": "forever" }), relay),
    (e: Error) => /valid-lifetime/.test(e.message) && e.message.includes("kea-dhcp4.conf"),
  );
  assert.equal(await closed, true, "the relay's socket was closed");
});

test("a relayed client gets a lease over loopback, and the lease is on disk when the ACK arrives", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  const relay = await Relay4.open();
  const server = await start(writeConfig(dir), relay);
  try {
    const ack = await dora(server, relay, "02:00:00:00:01:01");
    assert.equal(ack.getType(), T.DHCPACK);
    const file = readFileSync(join(dir, "leases4.csv"), "utf8");
    assert.match(
      file,
      new RegExp(`^${ack.yiaddr.replaceAll(".", "\\.")},02:00:00:00:01:01,,4000,`, "m"),
    );
  } finally {
    await server.stop();
    relay.close();
  }
});

test("a client class's offer-lifetime: the DISCOVER's lease is on disk with it when the OFFER arrives", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  const relay = await Relay4.open();
  const file = writeConfig(dir, {
    "offer-lifetime": 60,
    "client-classes": [{ name: "short", test: "pkt4.mac == 0x020000000f01", "offer-lifetime": 20 }],
  });
  // Started inside the try: a refused configuration still closes the relay.
  let server: Dhcp4Server | undefined;
  try {
    server = await start(file, relay);
    const port = server.port;
    const stored = async (mac: string) => {
      const offer = await relay.ask(port, clientQuery(T.DHCPDISCOVER, mac));
      assert.equal(offer?.getType(), T.DHCPOFFER);
      const row = new RegExp(`^${offer!.yiaddr.replaceAll(".", "\\.")},${mac},,(\\d+),`, "m");
      return readFileSync(join(dir, "leases4.csv"), "utf8").match(row)?.[1];
    };
    assert.equal(await stored("02:00:00:00:0f:01"), "20");
    assert.equal(await stored("02:00:00:00:0f:02"), "60");
  } finally {
    await server?.stop();
    relay.close();
  }
});

test("a restart keeps every lease: the same clients get the same addresses", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  const relay = await Relay4.open();
  const macs = ["02:00:00:00:02:01", "02:00:00:00:02:02", "02:00:00:00:02:03"];
  const before: string[] = [];
  let server = await start(writeConfig(dir), relay);
  try {
    for (const mac of macs) before.push((await dora(server, relay, mac)).yiaddr);
  } finally {
    await server.stop();
  }
  server = await start(writeConfig(dir), relay);
  try {
    assert.equal(server.leaseStore.size, 3);
    for (const [i, mac] of macs.entries()) {
      const offer = await relay.ask(server.port, clientQuery(T.DHCPDISCOVER, mac));
      assert.equal(offer!.yiaddr, before[i]);
    }
  } finally {
    await server.stop();
    relay.close();
  }
});

test("a reload with a bad configuration is refused and the running one keeps serving; a good one takes effect", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  const relay = await Relay4.open();
  const file = writeConfig(dir);
  const server = await start(file, relay);
  try {
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace('"valid-lifetime": 4000', '"valid-lifetime": "long"'),
    );
    await assert.rejects(server.reload(), /valid-lifetime/);
    const offer = await relay.ask(server.port, clientQuery(T.DHCPDISCOVER, "02:00:00:00:03:01"));
    assert.equal(offer!.getOption(DHO.DHCP_LEASE_TIME)!.getData().readUInt32BE(0), 4000);
    writeConfig(dir, {}, "198.51.100.100 - 198.51.100.110");
    await server.reload();
    const moved = await relay.ask(server.port, clientQuery(T.DHCPDISCOVER, "02:00:00:00:03:02"));
    assert.equal(moved!.yiaddr, "198.51.100.100");
  } finally {
    await server.stop();
    relay.close();
  }
});

test("the tutorial library of the Hooks Developer's Guide, loaded from configuration, logs interesting clients", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  const log = join(dir, "interesting.log");
  const relay = await Relay4.open();
  const file = writeConfig(dir, {
    "hooks-libraries": [{ library: TUTORIAL, parameters: { "log-file": log } }],
  });
  const server = await start(file, relay);
  try {
    // 02+00+00+00+04+02 = 8, a multiple of 4: interesting. 02+00+00+00+04+03 = 9: not.
    const ack = await dora(server, relay, "02:00:00:00:04:02");
    await dora(server, relay, "02:00:00:00:04:03");
    const lines = readFileSync(log, "utf8").trim().split("\n");
    assert.ok(lines.includes(`hwtype=1 02:00:00:00:04:02 ${ack.yiaddr}`), lines.join("|"));
    assert.ok(!lines.some((l) => l.includes("02:00:00:00:04:03")));
  } finally {
    await server.stop();
    relay.close();
  }
});

test("nestor-dhcp4 -t checks a configuration: 0 and 'Syntax check OK', or 1 with file, key and reason", () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  const good = writeConfig(dir);
  const ok = execFileSync(process.execPath, [CLI, "-t", good], { encoding: "utf8" });
  assert.match(ok, /Syntax check OK/);
  const bad = join(dir, "bad.conf");
  writeFileSync(bad, readFileSync(good, "utf8").replace('"id": 1,', '"id": 1, "pools-typo": [],'));
  const r = spawnSync(process.execPath, [CLI, "-t", bad], { encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.conf.*subnet4\[0\].*pools-typo/s);
  const v = execFileSync(process.execPath, [CLI, "-v"], { encoding: "utf8" });
  assert.match(v, /^\d+\.\d+\.\d+\n$/);
});
