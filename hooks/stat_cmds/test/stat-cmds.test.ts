/**
 * stat_cmds: the selection of subnets and its refusals (Kea's texts), the timestamp, and
 * stat-lease4-get in nestor-dhcp4 (no interfaces, a unix control socket, no root) counting the
 * leases lease_cmds added, by state, from the lease store.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { controlCommand } from "../../../test/e2e/lib/control-client.ts";
import { CLI } from "../../../test/e2e/lib/nestor.ts";
import { selection, StatsQueryError, timestamp } from "../result-set.ts";

test("the selection: all subnets, one, a range; each malformed request refused with Kea's text", () => {
  assert.deepEqual(selection(undefined), { mode: "all" });
  assert.deepEqual(selection({}), { mode: "all" });
  assert.deepEqual(selection({ "subnet-id": 4 }), { mode: "one", id: 4 });
  assert.deepEqual(selection({ "subnet-range": { "first-subnet-id": 2, "last-subnet-id": 2 } }), {
    mode: "range",
    first: 2,
    last: 2,
  });
  const refused: [unknown, string][] = [
    [5, "'arguments' parameter is not a map"],
    [{ "subnet-id": 0 }, "'subnet-id' parameter must be > 0"],
    [{ "subnet-id": "1" }, "'subnet-id' parameter is not integer"],
    [{ "subnet-id": 1, "subnet-range": {} }, "cannot specify both subnet-id and subnet-range"],
    [{ "subnet-range": [] }, "subnet-range parameter is not a map"],
    [{ "subnet-range": {} }, "'first-subnet-id' parameter missing or not an integer"],
    [
      { "subnet-range": { "first-subnet-id": 3, "last-subnet-id": 1 } },
      "'last-subnet-id' must be greater than 'first-subnet-id'",
    ],
  ];
  for (const [args, text] of refused) {
    assert.throws(
      () => selection(args as never),
      (e: unknown) => e instanceof StatsQueryError && e.message === text,
    );
  }
});

test("the timestamp is Kea's: UTC with microseconds", () => {
  assert.equal(
    timestamp(new Date(Date.UTC(2026, 11, 6, 17, 5, 9, 42))),
    "2026-12-06 17:05:09.042000",
  );
});

test("stat-lease4-get in nestor-dhcp4 counts assigned and declined leases per subnet", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-stat-cmds-"));
  const socket = join(dir, "c.sock");
  const file = join(dir, "config.json");
  writeFileSync(
    file,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: [] },
        "lease-database": { type: "memfile", name: join(dir, "l.csv"), "lfc-interval": 0 },
        "control-socket": { "socket-type": "unix", "socket-name": socket },
        "hooks-libraries": [
          { library: "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so" },
          { library: "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_stat_cmds.so" },
        ],
        subnet4: [
          { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.0/25" }] },
          { id: 7, subnet: "203.0.113.0/24", pools: [] },
        ],
      },
    }),
  );
  const child = spawn(process.execPath, [CLI, "-c", file], {
    stdio: "ignore",
    env: { ...process.env, NESTOR_PIDFILE_DIR: dir },
  });
  const exited = new Promise<void>((r) => child.on("close", () => r()));
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await controlCommand(socket, { command: "version-get" });
        break;
      } catch (e) {
        if (child.exitCode !== null || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (const [a, state] of [
      ["198.51.100.1", 0],
      ["198.51.100.2", 0],
      ["198.51.100.3", 1],
      ["198.51.100.4", 2],
    ] as const) {
      const r = await controlCommand(socket, {
        command: "lease4-add",
        arguments: { "ip-address": a, "hw-address": "02:00:00:00:00:01", state },
      });
      assert.equal(r.result, 0, JSON.stringify(r));
    }
    const r = await controlCommand(socket, { command: "stat-lease4-get" });
    assert.equal(r.result, 0);
    assert.equal(r.text, "stat-lease4-get[all subnets]: 2 rows found");
    const set = (r.arguments as { "result-set": { rows: number[][]; columns: string[] } })[
      "result-set"
    ];
    assert.deepEqual(set.columns, [
      "subnet-id",
      "total-addresses",
      "cumulative-assigned-addresses",
      "assigned-addresses",
      "declined-addresses",
    ]);
    assert.deepEqual(set.rows, [
      [1, 128, 0, 2, 1],
      [7, 0, 0, 0, 0],
    ]);
  } finally {
    child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
