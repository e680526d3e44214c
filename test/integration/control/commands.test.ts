import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DHCPMessageType as T } from "../../../src/dhcp/constants.ts";
import type { ControlAnswer, JsonObject } from "../../../src/hooks/types.ts";
import {
  body4,
  dora,
  mac,
  startBed,
  unixCommand,
  httpCommand,
  type Bed,
  type Send,
} from "./helpers.ts";

type Check = (a: ControlAnswer, bed: Bed) => void | Promise<void>;

const args = (a: ControlAnswer) => a.arguments as JsonObject;

/** Every built-in command, in an order where each leaves the server serving for the next. */
const COMMANDS: [string, JsonObject | undefined, Check][] = [
  [
    "list-commands",
    undefined,
    (a) => {
      assert.equal(a.result, 0);
      for (const c of ["config-set", "dhcp-disable", "statistic-get", "libreload", "shutdown"]) {
        assert.ok((a.arguments as string[]).includes(c), c);
      }
    },
  ],
  ["version-get", undefined, (a) => assert.match(String(args(a)["extended"]), /Nestor DHCPv4/)],
  ["build-report", undefined, (a) => assert.match(a.text!, /Node\.js/)],
  [
    "status-get",
    undefined,
    (a) => {
      assert.equal(args(a)["pid"], process.pid);
      assert.equal(typeof args(a)["uptime"], "number");
      assert.equal(typeof args(a)["reload"], "number");
    },
  ],
  ["server-tag-get", undefined, (a) => assert.deepEqual(a.arguments, { "server-tag": "" })],
  [
    "config-get",
    undefined,
    (a) => {
      assert.equal((args(a)["Dhcp4"] as JsonObject)["valid-lifetime"], 4000);
      assert.match(String(args(a)["hash"]), /^[0-9A-F]{64}$/);
    },
  ],
  ["config-hash-get", undefined, (a) => assert.match(String(args(a)["hash"]), /^[0-9A-F]{64}$/)],
  [
    "config-test",
    { Dhcp4: body4({ "valid-lifetime": 10 }) },
    async (a, bed) => {
      assert.equal(a.result, 0, a.text);
      assert.equal(bed.server.configuration["valid-lifetime"], 4000, "config-test applies nothing");
    },
  ],
  [
    "config-set",
    { Dhcp4: body4({ "valid-lifetime": 5000, "server-tag": "set" }) },
    async (a, bed) => {
      assert.equal(a.result, 0, a.text);
      assert.equal(a.text, "Configuration successful.");
      assert.equal(bed.server.configuration["valid-lifetime"], 5000);
      const ack = await dora(bed, mac(1));
      assert.equal(ack?.getType(), T.DHCPACK);
    },
  ],
  [
    "config-write",
    { filename: "written.json" },
    (a, bed) => {
      assert.equal(a.result, 0, a.text);
      const written = JSON.parse(readFileSync(join(bed.dir, "written.json"), "utf8")) as JsonObject;
      assert.equal((written["Dhcp4"] as JsonObject)["server-tag"], "set");
      assert.equal(args(a)["size"], readFileSync(join(bed.dir, "written.json")).length);
    },
  ],
  [
    "config-reload",
    undefined,
    (a, bed) => {
      assert.equal(a.result, 0, a.text);
      assert.equal(bed.server.configuration["valid-lifetime"], 4000, "back to the file");
    },
  ],
  ["libreload", undefined, (a) => assert.equal(a.text, "Hooks libraries successfully reloaded.")],
  ["leases-reclaim", { remove: true }, (a) => assert.equal(a.result, 0, a.text)],
  [
    "statistic-get",
    { name: "pkt4-received" },
    (a) => {
      const samples = args(a)["pkt4-received"] as [number, string][];
      assert.ok(samples[0]![0] >= 2, "the DORA above was counted");
    },
  ],
  ["statistic-get-all", undefined, (a) => assert.ok("pkt4-ack-sent" in args(a))],
  [
    "statistic-global-get-all",
    undefined,
    (a) => assert.ok(!("subnet[1].total-addresses" in args(a))),
  ],
  ["statistic-sample-count-set", { name: "pkt4-received", "max-samples": 3 }, ok],
  ["statistic-sample-age-set", { name: "pkt4-received", duration: 60 }, ok],
  ["statistic-sample-count-set-all", { "max-samples": 5 }, ok],
  ["statistic-sample-age-set-all", { duration: 120 }, ok],
  [
    "statistic-reset",
    { name: "pkt4-received" },
    (a, bed) => {
      assert.equal(a.text, "Statistic 'pkt4-received' reset.");
      assert.equal(bed.server.stats.get("pkt4-received")!.value, 0);
    },
  ],
  ["statistic-reset-all", undefined, ok],
  [
    "statistic-remove",
    { name: "pkt4-ack-sent" },
    (a, bed) => {
      assert.equal(a.result, 0);
      assert.equal(bed.server.stats.get("pkt4-ack-sent"), undefined);
    },
  ],
  ["statistic-remove-all", undefined, (_a, bed) => assert.equal(bed.server.stats.size(), 0)],
  [
    "dhcp-disable",
    undefined,
    async (a, bed) => {
      assert.equal(a.text, "DHCPv4 service disabled");
      assert.equal(await dora(bed, mac(2), 300), null, "no answer while disabled");
    },
  ],
  [
    "dhcp-enable",
    undefined,
    async (a, bed) => {
      assert.equal(a.result, 0);
      assert.equal((await dora(bed, mac(3)))?.getType(), T.DHCPACK);
    },
  ],
  [
    "shutdown",
    { "exit-value": 3 },
    async (a, bed) => {
      assert.equal(a.text, "Shutting down.");
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(bed.shutdowns, [3]);
    },
  ],
];

function ok(a: ControlAnswer): void {
  assert.equal(a.result, 0, a.text);
}

for (const transport of ["unix", "http"] as const) {
  test(`every built-in command answers over ${transport}, while DHCP is served`, async () => {
    const bed = await startBed();
    const send: Send =
      transport === "unix"
        ? (c) => unixCommand(bed.socketPath, c)
        : (c) => httpCommand(bed.httpPort, c);
    try {
      for (const [command, a, check] of COMMANDS) {
        const answer = await send(a === undefined ? { command } : { command, arguments: a });
        try {
          await check(answer, bed);
        } catch (e) {
          assert.fail(
            `${command}: ${e instanceof Error ? e.message : e}: ${JSON.stringify(answer)}`,
          );
        }
      }
    } finally {
      await bed.close();
    }
  });
}

test("dhcp-disable with max-period answers again once the period is over", async () => {
  const bed = await startBed();
  try {
    const a = await unixCommand(bed.socketPath, {
      command: "dhcp-disable",
      arguments: { "max-period": 1 },
    });
    assert.equal(a.text, "DHCPv4 service disabled for 1 seconds");
    assert.equal(await dora(bed, mac(10), 200), null);
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await dora(bed, mac(11)))?.getType(), T.DHCPACK);
    const status = await unixCommand(bed.socketPath, { command: "status-get" });
    const state = (status.arguments as JsonObject)["dhcp-state"] as JsonObject;
    assert.equal(state["globally-disabled"], false);
  } finally {
    await bed.close();
  }
});

test("dhcp-disable by two origins needs both to enable", async () => {
  const bed = await startBed();
  try {
    const send = (command: string, a: JsonObject) =>
      unixCommand(bed.socketPath, { command, arguments: a });
    await send("dhcp-disable", {});
    await send("dhcp-disable", { "origin-id": 2002 });
    await send("dhcp-enable", {});
    assert.equal(await dora(bed, mac(20), 200), null, "still disabled by origin 2002");
    await send("dhcp-enable", { origin: 2002 });
    assert.equal((await dora(bed, mac(21)))?.getType(), T.DHCPACK);
  } finally {
    await bed.close();
  }
});

test("config-set that fails leaves the running configuration and says why", async () => {
  const bed = await startBed();
  try {
    const before = await unixCommand(bed.socketPath, { command: "config-hash-get" });
    const bad = body4({ "valid-lifetime": "long" });
    const a = await unixCommand(bed.socketPath, {
      command: "config-set",
      arguments: { Dhcp4: bad },
    });
    assert.equal(a.result, 1);
    assert.match(a.text!, /valid-lifetime/);
    const after = await unixCommand(bed.socketPath, { command: "config-hash-get" });
    assert.deepEqual(after, before);
    assert.equal((await dora(bed, mac(30)))?.getType(), T.DHCPACK);
  } finally {
    await bed.close();
  }
});

test("config-set and config-test refuse arguments that are not one Dhcp4 map", async () => {
  const bed = await startBed();
  try {
    for (const [a, text] of [
      [undefined, "Missing mandatory 'arguments' parameter."],
      [{ Dhcp6: {} }, "Unsupported 'Dhcp6' parameter"],
      [{}, "Missing mandatory 'Dhcp4' parameter"],
      [{ Dhcp4: [] }, "'Dhcp4' parameter expected to be a map."],
    ] as const) {
      for (const command of ["config-set", "config-test"]) {
        const answer = await httpCommand(bed.httpPort, { command, arguments: a });
        assert.deepEqual(answer, { result: 1, text }, `${command} ${JSON.stringify(a)}`);
      }
    }
  } finally {
    await bed.close();
  }
});

test("config-set moves the control sockets: the new socket answers, the old one is gone", async () => {
  const bed = await startBed();
  try {
    const moved = body4({
      "control-socket": { "socket-type": "unix", "socket-name": "moved.sock" },
    });
    const a = await unixCommand(bed.socketPath, {
      command: "config-set",
      arguments: { Dhcp4: moved },
    });
    assert.equal(a.result, 0, a.text);
    await bed.channel.reconcile();
    assert.equal(existsSync(bed.socketPath), false);
    const b = await unixCommand(join(bed.dir, "moved.sock"), { command: "config-hash-get" });
    assert.equal(b.result, 0);
  } finally {
    await bed.close();
  }
});

test("config-write refuses a file outside the configuration's directory, and what it writes loads again", async () => {
  const bed = await startBed({ "server-tag": "written" });
  try {
    const refused = await unixCommand(bed.socketPath, {
      command: "config-write",
      arguments: { filename: "/tmp/../etc/nestor-control-test.json" },
    });
    assert.equal(refused.result, 1);
    assert.match(refused.text!, /not allowed/);
    const a = await unixCommand(bed.socketPath, { command: "config-write" });
    assert.equal(a.result, 0, a.text);
    assert.equal((a.arguments as JsonObject)["filename"], bed.file);
    writeFileSync(bed.file, readFileSync(bed.file, "utf8")); // same bytes, reloaded below
    const r = await unixCommand(bed.socketPath, { command: "config-reload" });
    assert.equal(r.result, 0, r.text);
    assert.equal(bed.server.configuration["server-tag"], "written");
  } finally {
    await bed.close();
  }
});

test("statistic commands check their arguments and report a missing statistic", async () => {
  const bed = await startBed();
  try {
    const send = (command: string, a?: unknown) =>
      unixCommand(bed.socketPath, a === undefined ? { command } : { command, arguments: a });
    assert.deepEqual(await send("statistic-get"), {
      result: 1,
      text: "Missing mandatory 'arguments' parameter.",
    });
    assert.deepEqual(await send("statistic-get", { name: 5 }), {
      result: 1,
      text: "'name' parameter expected to be a string.",
    });
    assert.deepEqual(await send("statistic-get", { name: "nope" }), { result: 0, arguments: {} });
    assert.deepEqual(await send("statistic-reset", { name: "nope" }), {
      result: 1,
      text: "No 'nope' statistic found",
    });
    assert.equal((await send("statistic-sample-count-set-all", { "max-samples": 0 })).result, 1);
    assert.deepEqual(await send("leases-reclaim", { remove: "yes" }), {
      result: 1,
      text: "'remove' parameter expected to be a boolean.",
    });
    assert.equal((await send("dhcp-disable", { "max-period": -1 })).result, 1);
    assert.equal((await send("dhcp-disable", { "max-period": "1" })).result, 1);
    assert.equal((await send("shutdown", { "exit-value": "x" })).result, 1);
    assert.equal((await send("config-write", { filename: 3 })).result, 1);
    assert.equal(bed.shutdowns.length, 0);
  } finally {
    await bed.close();
  }
});
