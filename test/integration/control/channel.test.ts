import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlChannel } from "../../../src/control/control-channel.ts";
import type { ControlledServer } from "../../../src/control/controlled-server.ts";
import { HooksManager } from "../../../src/hooks/hooks-manager.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { StatsManager } from "../../../src/stats/stats-manager.ts";
import { httpCommand, startBed, unixCommand } from "./helpers.ts";

/** A DHCPv6 server as the channel sees it: the interface, nothing else. */
function fakeDhcp6(dir: string) {
  const calls: string[] = [];
  const logs = new LogManager("nestor-dhcp6");
  logs.configure([{ name: "nestor-dhcp6", severity: "FATAL" }]);
  const server: ControlledServer & { calls: string[] } = {
    calls,
    serviceName: "dhcp6",
    configKey: "Dhcp6",
    version: "9.9.9",
    hooks: new HooksManager({ logManager: logs }),
    stats: new StatsManager(),
    logs,
    configFile: join(dir, "kea-dhcp6.conf"),
    startedAt: Date.now(),
    configuredAt: Date.now(),
    configuration: {
      "server-tag": "six",
      "control-sockets": [
        { "socket-type": "unix", "socket-name": "six.sock" },
        { "socket-type": "http", "socket-port": 0 },
      ],
    },
    testConfig: async (d: JsonObject) => void calls.push(`test ${Object.keys(d).join()}`),
    setConfig: async (d: JsonObject) => void calls.push(`set ${Object.keys(d).join()}`),
    reload: async () => void calls.push("reload"),
    reloadLibraries: async () => void calls.push("libreload"),
    reclaimNow: async (remove?: boolean) => (calls.push(`reclaim ${remove}`), 0),
    setServiceEnabled: (enabled: boolean) => void calls.push(`enabled ${enabled}`),
  };
  return server;
}

test("the channel serves any server through ControlledServer: a DHCPv6 one answers as Dhcp6", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-control-v6-"));
  const server = fakeDhcp6(dir);
  const channel = await ControlChannel.start(server);
  try {
    const sock = join(dir, "six.sock");
    const port = channel.endpoints.http[0]!.port;
    assert.equal((await unixCommand(sock, { command: "version-get" })).text, "9.9.9");
    const tag = await unixCommand(sock, { command: "server-tag-get" });
    assert.deepEqual(tag.arguments, { "server-tag": "six" });
    const set = await unixCommand(sock, { command: "config-set", arguments: { Dhcp6: {} } });
    assert.equal(set.result, 0, set.text);
    const wrong = await unixCommand(sock, { command: "config-set", arguments: { Dhcp4: {} } });
    assert.equal(wrong.text, "Unsupported 'Dhcp4' parameter");
    const off = await httpCommand(port, { command: "dhcp-disable", service: ["dhcp6"] });
    assert.equal(off.text, "DHCPv6 service disabled");
    const other = await httpCommand(port, { command: "dhcp-enable", service: ["dhcp4"] });
    assert.equal(other.result, 1);
    await httpCommand(port, { command: "dhcp-enable" });
    await httpCommand(port, { command: "leases-reclaim", arguments: { remove: false } });
    await httpCommand(port, { command: "libreload" });
    assert.deepEqual(server.calls, [
      "set Dhcp6",
      "enabled false",
      "enabled true",
      "reclaim false",
      "libreload",
    ]);
  } finally {
    await channel.close();
  }
});

test("closing the channel does not wait for a client that holds its connection silent", async () => {
  const bed = await startBed(); // the default 10 s idle timeout
  const idle = connect(bed.socketPath);
  const idleHttp = connect(bed.httpPort, "127.0.0.1");
  idle.on("error", () => {});
  idleHttp.on("error", () => {});
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  await bed.close();
  const took = Date.now() - t0;
  assert.ok(took < 4000, `close took ${took} ms`);
  idle.destroy();
  idleHttp.destroy();
});
