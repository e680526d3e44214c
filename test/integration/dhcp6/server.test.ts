import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { D6O } from "../../../src/dhcp/constants.ts";
import { Option } from "../../../src/dhcp/option.ts";
import { StatusCode } from "../../../src/dhcp/option6-status-code.ts";
import { Pkt6 } from "../../../src/dhcp/pkt6.ts";
import { Dhcp6Server } from "../../../src/dhcp6/server.ts";
import { SERVER_ID_FILE } from "../../../src/dhcp6/server-id.ts";
import { LogManager } from "../../../src/log/logger.ts";
import { CLIENT_DUID, M, ia, iasOf, leasesIn, statusOf } from "../../helpers/dhcp6.ts";
import { Relay6 } from "../../helpers/relay6.ts";
import { startForRelay } from "../../helpers/relayed-start.ts";

const CLI = fileURLToPath(new URL("../../../src/cli/nestor-dhcp6.ts", import.meta.url));
const LIB = fileURLToPath(new URL("../../fixtures/dhcp6-hooks/set-status.ts", import.meta.url));

function writeConfig(dir: string, extra: object = {}): string {
  const file = join(dir, "kea-dhcp6.conf");
  writeFileSync(
    file,
    `// Nestor integration test: loopback only, relays on ::1
    {
      "Dhcp6": {
        "interfaces-config": { "interfaces": [ "lo" ] },
        "data-directory": "${dir}",
        "lease-database": { "type": "memfile", "name": "leases6.csv", "lfc-interval": 0 },
        "preferred-lifetime": 3000,
        "valid-lifetime": 4000,
        "subnet6": [ {
          "id": 1, "subnet": "2001:db8:1::/64", "interface-id": "lo-test",
          "pools": [ { "pool": "2001:db8:1::10 - 2001:db8:1::20" } ],
          "pd-pools": [ { "prefix": "2001:db8:8::", "prefix-len": 56, "delegated-len": 60 } ]
        } ],
        ${Object.entries(extra)
          .map(([k, v]) => `"${k}": ${JSON.stringify(v)},`)
          .join("\n")}
        "loggers": [ { "name": "kea-dhcp6", "severity": "WARN" } ]
      }
    }`,
  );
  return file;
}

async function start(file: string): Promise<Dhcp6Server> {
  return Dhcp6Server.start({
    configFile: file,
    serverPort: 0,
    logs: new LogManager("nestor-dhcp6"),
  });
}

let xid = 1;
function message(type: number, serverId: Buffer | null, pd = false, hints: string[] = []): Pkt6 {
  const p = Pkt6.create(type, xid++);
  p.addOption(new Option(6, D6O.CLIENTID, CLIENT_DUID));
  if (serverId !== null) p.addOption(new Option(6, D6O.SERVERID, serverId));
  p.addOption(new Option(6, D6O.ELAPSED_TIME, Buffer.alloc(2)));
  p.addOption(ia({ pd, hints }));
  return p;
}

async function withServer(
  extra: object,
  body: (server: Dhcp6Server, relay: Relay6, dir: string) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp6-"));
  const relay = await Relay6.open();
  const server = await startForRelay(relay, () => start(writeConfig(dir, extra)));
  try {
    await body(server, relay, dir);
  } finally {
    await server.stop();
    relay.close();
  }
}

test("a relayed client gets an address through SOLICIT/REQUEST over loopback, on disk when the RELAY-REPL arrives", async () => {
  await withServer({}, async (server, relay, dir) => {
    const adv = await relay.ask(server.port, message(M.DHCPV6_SOLICIT, null));
    assert.ok(adv, "no ADVERTISE");
    assert.equal(adv.getType(), M.DHCPV6_ADVERTISE);
    assert.equal(adv.relayInfo.length, 1);
    assert.equal(adv.relayInfo[0]!.msgType, M.DHCPV6_RELAY_REPL);
    assert.deepEqual(adv.getRelayOption(D6O.INTERFACE_ID, 0)!.getData(), Buffer.from("lo-test"));
    const offered = leasesIn(iasOf(adv)[0]!);
    const sid = adv.getOption(D6O.SERVERID)!.getData();
    const reply = await relay.ask(server.port, message(M.DHCPV6_REQUEST, sid, false, offered));
    assert.ok(reply, "no REPLY");
    assert.equal(reply.getType(), M.DHCPV6_REPLY);
    assert.deepEqual(leasesIn(iasOf(reply)[0]!), offered);
    const file = readFileSync(join(dir, "leases6.csv"), "utf8");
    assert.match(file, new RegExp(`^${offered[0]!.replaceAll(":", "\\:")},00:01:00:01:aa:bb`, "m"));
  });
});

test("a relayed client gets a delegated prefix, renews it, and releases it", async () => {
  await withServer({}, async (server, relay) => {
    const adv = await relay.ask(server.port, message(M.DHCPV6_SOLICIT, null, true));
    const prefix = leasesIn(iasOf(adv!)[0]!);
    assert.deepEqual(prefix, ["2001:db8:8::/60"]);
    const sid = adv!.getOption(D6O.SERVERID)!.getData();
    await relay.ask(server.port, message(M.DHCPV6_REQUEST, sid, true, prefix));
    const renewed = await relay.ask(server.port, message(M.DHCPV6_RENEW, sid, true, prefix));
    assert.deepEqual(leasesIn(iasOf(renewed!)[0]!), prefix);
    const rebound = await relay.ask(server.port, message(M.DHCPV6_REBIND, null, true, prefix));
    assert.deepEqual(leasesIn(iasOf(rebound!)[0]!), prefix);
    const released = await relay.ask(server.port, message(M.DHCPV6_RELEASE, sid, true, prefix));
    assert.equal(statusOf(iasOf(released!)[0]!), StatusCode.Success);
    assert.equal(server.leaseStore.size, 0);
  });
});

test("DECLINE, CONFIRM and INFORMATION-REQUEST are answered through the relay", async () => {
  await withServer({}, async (server, relay) => {
    const adv = await relay.ask(server.port, message(M.DHCPV6_SOLICIT, null));
    const sid = adv!.getOption(D6O.SERVERID)!.getData();
    const addr = leasesIn(iasOf(adv!)[0]!);
    await relay.ask(server.port, message(M.DHCPV6_REQUEST, sid, false, addr));
    const confirm = await relay.ask(server.port, message(M.DHCPV6_CONFIRM, null, false, addr));
    assert.equal(statusOf(confirm!), StatusCode.Success);
    const declined = await relay.ask(server.port, message(M.DHCPV6_DECLINE, sid, false, addr));
    assert.equal(statusOf(iasOf(declined!)[0]!), StatusCode.Success);
    const ir = Pkt6.create(M.DHCPV6_INFORMATION_REQUEST, xid++);
    ir.addOption(new Option(6, D6O.CLIENTID, CLIENT_DUID));
    const info = await relay.ask(server.port, ir);
    assert.equal(info!.getType(), M.DHCPV6_REPLY);
  });
});

test("the generated server DUID is kept in the data directory and used again after a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp6-"));
  const file = writeConfig(dir);
  const first = await start(file);
  const duid = first.serverId;
  await first.stop();
  assert.equal(
    readFileSync(join(dir, SERVER_ID_FILE), "utf8").trim().split(":").length,
    duid.length,
  );
  const second = await start(file);
  try {
    assert.deepEqual(second.serverId, duid);
  } finally {
    await second.stop();
  }
});

test("server-id of type EN uses the configured enterprise id and identifier", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp6-"));
  const server = await start(
    writeConfig(dir, {
      "server-id": { type: "EN", "enterprise-id": 2495, identifier: "0102030405" },
    }),
  );
  try {
    assert.equal(server.serverId.toString("hex"), "0002000009bf0102030405");
  } finally {
    await server.stop();
  }
});

test("leases survive a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp6-"));
  const file = writeConfig(dir);
  const relay = await Relay6.open();
  let server = await startForRelay(relay, () => start(file));
  try {
    const adv = await relay.ask(server.port, message(M.DHCPV6_SOLICIT, null));
    const sid = adv!.getOption(D6O.SERVERID)!.getData();
    await relay.ask(server.port, message(M.DHCPV6_REQUEST, sid, false, leasesIn(iasOf(adv!)[0]!)));
    await server.stop();
    server = await start(file);
    assert.equal(server.leaseStore.size, 1);
    const renewed = await relay.ask(server.port, message(M.DHCPV6_RENEW, sid, false));
    assert.equal(leasesIn(iasOf(renewed!)[0]!).length, 1);
  } finally {
    await server.stop();
    relay.close();
  }
});

test("a hook library from the configuration acts on relayed traffic (lease6_select SKIP)", async () => {
  await withServer(
    { "hooks-libraries": [{ library: LIB, parameters: { hook: "lease6_select", status: 1 } }] },
    async (server, relay) => {
      const adv = await relay.ask(server.port, message(M.DHCPV6_SOLICIT, null));
      assert.equal(statusOf(iasOf(adv!)[0]!), StatusCode.NoAddrsAvail);
    },
  );
});

function hookLib(hook: string, status: number): object {
  return { "hooks-libraries": [{ library: LIB, parameters: { hook, status } }] };
}

for (const [hook, status] of [
  ["buffer6_receive", 2],
  ["pkt6_receive", 1],
  ["pkt6_receive", 2],
  ["subnet6_select", 2],
  ["pkt6_send", 2],
  ["buffer6_send", 1],
] as const) {
  test(`over loopback, ${hook} ${status === 1 ? "SKIP" : "DROP"}: the relay gets no answer`, async () => {
    await withServer(hookLib(hook, status), async (server, relay) => {
      assert.equal(
        await relay.ask(server.port, message(M.DHCPV6_SOLICIT, null), undefined, undefined, 300),
        null,
      );
    });
  });
}

test("over loopback, leases6_committed DROP: no REPLY, but the lease is on disk", async () => {
  await withServer(hookLib("leases6_committed", 2), async (server, relay, dir) => {
    const sid = server.serverId;
    const r = await relay.ask(
      server.port,
      message(M.DHCPV6_REQUEST, sid),
      undefined,
      undefined,
      300,
    );
    assert.equal(r, null);
    assert.match(readFileSync(join(dir, "leases6.csv"), "utf8"), /^2001:db8:1::10,/m);
  });
});

test("over loopback, lease6_release SKIP: the REPLY says released, the lease stays on disk", async () => {
  await withServer(hookLib("lease6_release", 1), async (server, relay) => {
    const sid = server.serverId;
    await relay.ask(server.port, message(M.DHCPV6_REQUEST, sid, false, ["2001:db8:1::10"]));
    const r = await relay.ask(
      server.port,
      message(M.DHCPV6_RELEASE, sid, false, ["2001:db8:1::10"]),
    );
    assert.equal(statusOf(iasOf(r!)[0]!), StatusCode.Success);
    assert.equal(server.leaseStore.size, 1);
  });
});

test("over loopback, lease6_decline DROP: no REPLY and the lease is not declined", async () => {
  await withServer(hookLib("lease6_decline", 2), async (server, relay) => {
    const sid = server.serverId;
    await relay.ask(server.port, message(M.DHCPV6_REQUEST, sid, false, ["2001:db8:1::10"]));
    const r = await relay.ask(
      server.port,
      message(M.DHCPV6_DECLINE, sid, false, ["2001:db8:1::10"]),
      undefined,
      undefined,
      300,
    );
    assert.equal(r, null);
    assert.equal(server.leaseStore.getAllLeases6()[0]!.state, 0);
  });
});

test("dhcp6_srv_configured DROP refuses the configuration: the server does not start", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp6-"));
  const file = writeConfig(dir, {
    "hooks-libraries": [{ library: LIB, parameters: { hook: "dhcp6_srv_configured", status: 2 } }],
  });
  await assert.rejects(start(file), /dhcp6_srv_configured/);
});

test("nestor-dhcp6 -t checks a configuration: 0 when good, 1 with the position when bad", () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp6-"));
  const good = spawnSync(process.execPath, [CLI, "-t", writeConfig(dir)], { encoding: "utf8" });
  assert.equal(good.status, 0, good.stderr);
  const bad = join(dir, "bad.conf");
  writeFileSync(
    bad,
    `{ "Dhcp6": { "subnet6": [ { "subnet": "2001:db8::/64", "pools": [ { "pool": "nope" } ] } ] } }`,
  );
  const r = spawnSync(process.execPath, [CLI, "-t", bad], { encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /pool/);
});
