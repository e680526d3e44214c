import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { D6O } from "../../../src/dhcp/constants.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { Pkt6 } from "../../../src/dhcp/pkt6.ts";
import { ControlChannel } from "../../../src/control/control-channel.ts";
import { Dhcp6Server } from "../../../src/dhcp6/server.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { CLIENT_DUID, M, ia, iasOf, leasesIn } from "../../helpers/dhcp6.ts";
import { Relay6 } from "../../helpers/relay6.ts";
import { unixCommand } from "../control/helpers.ts";

const CLI = fileURLToPath(new URL("../../../src/cli/nestor-dhcp6.ts", import.meta.url));

function writeConfig(dir: string, pool = "2001:db8:1::10 - 2001:db8:1::20"): string {
  const file = join(dir, "kea-dhcp6.conf");
  writeFileSync(
    file,
    JSON.stringify({
      Dhcp6: {
        "interfaces-config": { interfaces: ["lo"] },
        "data-directory": dir,
        "lease-database": { type: "memfile", name: "leases6.csv", "lfc-interval": 0 },
        "control-socket": { "socket-type": "unix", "socket-name": join(dir, "ctl.sock") },
        subnet6: [
          { id: 1, subnet: "2001:db8:1::/64", "interface-id": "lo-test", pools: [{ pool }] },
        ],
        loggers: [{ name: "kea-dhcp6", severity: "WARN" }],
      },
    }),
  );
  return file;
}

function solicit(): Pkt6 {
  const p = Pkt6.create(M.DHCPV6_SOLICIT, 0x77);
  p.addOption(new Option(6, D6O.CLIENTID, CLIENT_DUID));
  p.addOption(ia({}));
  return p;
}

test("nestor-dhcp6 serves Kea's commands on its control socket: statistics, dhcp-disable, config-set, config-reload", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp6-ctl-"));
  const file = writeConfig(dir);
  const server = await Dhcp6Server.start({
    configFile: file,
    serverPort: 0,
    logs: new LogManager("nestor-dhcp6"),
  });
  const channel = await ControlChannel.start(server, {});
  const relay = await Relay6.open();
  const sock = join(dir, "ctl.sock");
  try {
    assert.ok(await relay.ask(server.port, solicit()));
    const stat = await unixCommand(sock, {
      command: "statistic-get",
      arguments: { name: "pkt6-solicit-received" },
    });
    assert.equal(stat.result, 0);
    assert.match(JSON.stringify(stat.arguments), /pkt6-solicit-received/);
    assert.equal((await unixCommand(sock, { command: "dhcp-disable" })).result, 0);
    assert.equal(await relay.ask(server.port, solicit(), undefined, undefined, 300), null);
    assert.equal((await unixCommand(sock, { command: "dhcp-enable" })).result, 0);
    assert.ok(await relay.ask(server.port, solicit()));
    const got = await unixCommand(sock, { command: "config-get" });
    assert.equal(got.result, 0);
    const doc = got.arguments as {
      Dhcp6: { subnet6: { pools: { pool: string }[] }[] };
      hash?: string;
    };
    delete doc.hash; // config-get's, not a configuration key
    doc.Dhcp6.subnet6[0]!.pools[0]!.pool = "2001:db8:1::50 - 2001:db8:1::51";
    const set = await unixCommand(sock, { command: "config-set", arguments: doc });
    assert.equal(set.result, 0, JSON.stringify(set));
    const adv = await relay.ask(server.port, solicit());
    assert.deepEqual(leasesIn(iasOf(adv!)[0]!), ["2001:db8:1::50"]);
    // config-reload (SIGHUP) reads the file again.
    writeConfig(dir, "2001:db8:1::70 - 2001:db8:1::71");
    assert.equal((await unixCommand(sock, { command: "config-reload" })).result, 0);
    const again = await relay.ask(server.port, solicit());
    assert.deepEqual(leasesIn(iasOf(again!)[0]!), ["2001:db8:1::70"]);
    // A bad file is refused and the running configuration stays.
    writeFileSync(file, "{ not json");
    assert.equal((await unixCommand(sock, { command: "config-reload" })).result, 1);
    const still = await relay.ask(server.port, solicit());
    // (the iterative allocator moves on between two SOLICITs: either address of the pool)
    assert.match(leasesIn(iasOf(still!)[0]!)[0]!, /^2001:db8:1::7[01]$/);
  } finally {
    relay.close();
    await channel.close();
    await server.stop();
  }
});

test("nestor-dhcp6 -c serves relayed clients until SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp6-cli-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, [CLI, "-c", writeConfig(dir), "-p", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const relay = await Relay6.open();
  try {
    let out = "";
    child.stdout.setEncoding("utf8");
    while (!out.includes("serving")) {
      const [chunk] = (await once(child.stdout, "data")) as [string];
      out += chunk;
    }
    const adv = await relay.ask(port, solicit());
    assert.equal(adv!.getType(), M.DHCPV6_ADVERTISE);
    child.kill("SIGTERM");
    const [code] = (await once(child, "exit")) as [number];
    assert.equal(code, 0);
  } finally {
    relay.close();
    if (child.exitCode === null) child.kill("SIGKILL");
  }
});
