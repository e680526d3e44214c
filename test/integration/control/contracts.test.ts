/**
 * The contracts operators' tools read, on a running nestor-dhcp4 over its control socket:
 * status-get's threading keys, statistics made with one sample and made afresh on a
 * reconfiguration (Kea 2.2's way), the statistic-* texts, and the reload lines of the log.
 * The side-by-side proof against Kea 2.2 is test/e2e/contracts-kea.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { DHCPMessageType as T } from "../../../src/dhcp/constants.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { body4, dora, mac, startBed, unixCommand } from "./helpers.ts";

type Samples = Record<string, [number, string][]>;

async function all(socket: string): Promise<Samples> {
  const a = await unixCommand(socket, { command: "statistic-get-all" });
  assert.equal(a.result, 0);
  return a.arguments as Samples;
}

test("status-get: multi-threading disabled says only so, as Kea 2.2", async () => {
  const bed = await startBed();
  try {
    const a = await unixCommand(bed.socketPath, { command: "status-get" });
    const s = a.arguments as JsonObject;
    assert.equal(s["multi-threading-enabled"], false);
    for (const k of ["thread-pool-size", "packet-queue-size", "packet-queue-statistics"]) {
      assert.equal(k in s, false, k);
    }
    assert.equal(s["pid"], process.pid);
    assert.deepEqual(s["sockets"], { status: "ready" });
  } finally {
    await bed.close();
  }
});

test("status-get: multi-threading enabled gives the pool, the queue size and the queue statistics", async () => {
  const bed = await startBed({
    "multi-threading": {
      "enable-multi-threading": true,
      "thread-pool-size": 0,
      "packet-queue-size": 16,
    },
  });
  try {
    assert.equal((await dora(bed, mac(1)))?.getType(), T.DHCPACK);
    const s = (await unixCommand(bed.socketPath, { command: "status-get" }))
      .arguments as JsonObject;
    assert.equal(s["multi-threading-enabled"], true);
    assert.equal(s["thread-pool-size"], availableParallelism(), "0 is one thread per CPU");
    assert.equal(s["packet-queue-size"], 16);
    const q = s["packet-queue-statistics"] as number[];
    assert.equal(q.length, 3);
    for (const v of q) assert.equal(typeof v, "number");
  } finally {
    await bed.close();
  }
});

test("subnet statistics are made afresh on a reconfiguration, one sample each; a removed subnet's are gone", async () => {
  const two: JsonObject = {
    subnet4: [
      {
        id: 1,
        subnet: "198.51.100.0/24",
        relay: { "ip-addresses": ["127.0.0.1"] },
        pools: [{ pool: "198.51.100.10 - 198.51.100.19" }],
      },
      { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.29" }] },
    ],
  };
  const bed = await startBed(two);
  try {
    let s = await all(bed.socketPath);
    assert.deepEqual(
      s["subnet[1].total-addresses"]!.map((x) => x[0]),
      [10],
    );
    assert.deepEqual(
      s["subnet[1].assigned-addresses"]!.map((x) => x[0]),
      [0],
    );
    assert.equal("subnet[1].v4-allocation-fail" in s, false, "made when first counted, as Kea");
    assert.equal("pkt4-lease-query-received" in s, false, "the leasequery library's");
    assert.deepEqual(
      s["declined-addresses"]!.map((x) => x[0]),
      [0],
    );
    assert.equal((await dora(bed, mac(2)))?.getType(), T.DHCPACK);
    s = await all(bed.socketPath);
    assert.deepEqual(
      s["subnet[1].assigned-addresses"]!.map((x) => x[0]),
      [1, 0],
    );

    writeFileSync(
      bed.file,
      JSON.stringify({ Dhcp4: body4({ subnet4: [(two.subnet4 as JsonObject[])[0]!] }) }),
    );
    const r = await unixCommand(bed.socketPath, { command: "config-reload" });
    assert.equal(r.result, 0, JSON.stringify(r));
    s = await all(bed.socketPath);
    // Made afresh at 0, then the lease recounted: Kea 2.2's two samples, not the old series.
    assert.deepEqual(
      s["subnet[1].assigned-addresses"]!.map((x) => x[0]),
      [1, 0],
    );
    assert.deepEqual(
      s["subnet[1].total-addresses"]!.map((x) => x[0]),
      [10],
    );
    assert.deepEqual(
      Object.keys(s).filter((n) => n.startsWith("subnet[2].")),
      ["subnet[2].v4-reservation-conflicts"],
      "the removed subnet's statistics are gone, but the one Kea 2.2 leaves",
    );
  } finally {
    await bed.close();
  }
});

test("statistic-* texts are Kea 2.2's", async () => {
  const bed = await startBed();
  try {
    const send = (command: string, a?: JsonObject) =>
      unixCommand(bed.socketPath, a === undefined ? { command } : { command, arguments: a });
    assert.equal(
      (await send("statistic-sample-count-set", { name: "pkt4-received", "max-samples": 2 })).text,
      "Statistic 'pkt4-received' count limit is set.",
    );
    for (const command of ["statistic-sample-count-set-all", "statistic-sample-count-set"]) {
      const a = await send(command, { name: "pkt4-received", "max-samples": 0 });
      assert.deepEqual([a.result, a.text], [1, "'max-samples' parameter must not be zero"]);
    }
    assert.equal(
      (await send("statistic-remove-all")).text,
      "Warning: statistic-remove-all command is deprecated. All statistics removed.",
    );
    assert.deepEqual(await all(bed.socketPath), {});
  } finally {
    await bed.close();
  }
});

test("config-reload logs DHCP4_DYNAMIC_RECONFIGURATION and _SUCCESS with the file, or _FAIL", async () => {
  const bed = await startBed({ loggers: [{ name: "kea-dhcp4", severity: "INFO" }] });
  const lines: string[] = [];
  bed.server.logs.configure([
    { name: "nestor-dhcp4", severity: "INFO", outputs: [(l) => lines.push(l)] },
  ]);
  try {
    // The reload applies the file's loggers (stdout at INFO): capture again after it.
    const done = unixCommand(bed.socketPath, { command: "config-reload" });
    assert.equal((await done).result, 0);
    assert.ok(
      lines.some((l) =>
        l.includes(
          `INFO  [nestor-dhcp4.dhcp4/${process.pid}] DHCP4_DYNAMIC_RECONFIGURATION reconfiguring from file ${bed.file}`,
        ),
      ),
      lines.join(""),
    );
    bed.server.logs.configure([
      { name: "nestor-dhcp4", severity: "INFO", outputs: [(l) => lines.push(l)] },
    ]);
    writeFileSync(bed.file, "{ not json");
    assert.equal((await unixCommand(bed.socketPath, { command: "config-reload" })).result, 1);
    const failed = lines.map((l) => /(ERROR|FATAL) \[[^\]]+\] (\S+) (.*)/.exec(l)).filter((m) => m);
    assert.deepEqual(
      failed.map((m) => [m![1], m![2]]),
      [
        ["ERROR", "DHCP4_CONFIG_LOAD_FAIL"],
        ["FATAL", "DHCP4_DYNAMIC_RECONFIGURATION_FAIL"],
      ],
      lines.join(""),
    );
    assert.ok(failed[0]![3]!.startsWith(`configuration error using file: ${bed.file}, reason: `));
  } finally {
    await bed.close();
  }
});

test("config-test and config-set refuse an interface the machine does not have; the running configuration stays", async () => {
  const bed = await startBed();
  try {
    const before = await unixCommand(bed.socketPath, { command: "config-hash-get" });
    const doc = { Dhcp4: body4({ "interfaces-config": { interfaces: ["nestor-none0"] } }) };
    for (const command of ["config-test", "config-set"]) {
      const a = await unixCommand(bed.socketPath, { command, arguments: doc });
      assert.equal(a.result, 1, `${command}: ${JSON.stringify(a)}`);
      assert.match(
        a.text ?? "",
        /Dhcp4\.interfaces-config\.interfaces\[0\]: interface 'nestor-none0' does not exist/,
      );
    }
    const after = await unixCommand(bed.socketPath, { command: "config-hash-get" });
    assert.deepEqual(after.arguments, before.arguments);
    assert.equal((await dora(bed, mac(30)))?.getType(), T.DHCPACK, "still serving");
  } finally {
    await bed.close();
  }
});
