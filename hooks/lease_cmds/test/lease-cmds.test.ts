/**
 * lease_cmds in the servers an operator runs (nestor-dhcp4 / nestor-dhcp6 -c FILE), with no
 * interfaces and a unix control socket, without root: the configuration names Kea's
 * libdhcp_lease_cmds.so, which loads hooks/lease_cmds. A lease added by a command is in the
 * lease file when the answer comes, survives a restart with its user context, is counted in
 * the statistics, and the page and identifier queries find what they should.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

import { controlCommand, type ControlAnswer } from "../../../test/e2e/lib/control-client.ts";
import { CLI } from "../../../test/e2e/lib/nestor.ts";
import { CLI6 } from "../../../test/e2e/lib/nestor6.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Server {
  send(command: string, args?: unknown): Promise<ControlAnswer>;
  stop(): Promise<void>;
  leaseFile: string;
}

/** Starts a server on `settings` in `dir` and waits for its control socket. */
async function start(family: 4 | 6, dir: string, settings: object): Promise<Server> {
  const socket = join(dir, "c.sock");
  const leaseFile = join(dir, `leases${family}.csv`);
  const file = join(dir, "config.json");
  const config = {
    [`Dhcp${family}`]: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", name: leaseFile, "lfc-interval": 0 },
      "control-socket": { "socket-type": "unix", "socket-name": socket },
      "hooks-libraries": [{ library: "/usr/lib/x86_64-linux-gnu/kea/hooks/libdhcp_lease_cmds.so" }],
      ...settings,
    },
  };
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, [family === 4 ? CLI : CLI6, "-c", file], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NESTOR_PIDFILE_DIR: dir },
  });
  let output = "";
  child.stdout!.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (output += b.toString()));
  const exited = new Promise<void>((r) => child.on("close", () => r()));
  const send = (command: string, args?: unknown) =>
    controlCommand(socket, args === undefined ? { command } : { command, arguments: args });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await send("version-get");
      break;
    } catch {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`the server did not start:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    send,
    leaseFile,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

const SUBNETS4 = {
  subnet4: [
    { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.200" }] },
    { id: 2, subnet: "203.0.113.0/24", pools: [{ pool: "203.0.113.10 - 203.0.113.20" }] },
  ],
};

test("v4: a lease added by a command is on disk at the answer, counted, and survives a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-lease-cmds-"));
  dirs.push(dir);
  let server = await start(4, dir, SUBNETS4);
  try {
    const added = await server.send("lease4-add", {
      "ip-address": "198.51.100.7",
      "hw-address": "02:00:00:00:00:07",
      hostname: "Seven.Example.org",
      "user-context": { owner: "lab", tags: [1, 2] },
    });
    assert.deepEqual(added, {
      result: 0,
      text: "Lease for address 198.51.100.7, subnet-id 1 added.",
    });
    assert.match(readFileSync(server.leaseFile, "utf8"), /^198\.51\.100\.7,02:00:00:00:00:07,/m);
    const stats = await server.send("statistic-get", { name: "subnet[1].assigned-addresses" });
    const samples = (stats.arguments as Record<string, [number, string][]>)[
      "subnet[1].assigned-addresses"
    ]!;
    assert.equal(samples[0]![0], 1);
  } finally {
    await server.stop();
  }
  server = await start(4, dir, SUBNETS4);
  try {
    const got = await server.send("lease4-get", { "ip-address": "198.51.100.7" });
    assert.equal(got.result, 0);
    const lease = got.arguments as Record<string, unknown>;
    assert.equal(lease.hostname, "seven.example.org");
    assert.deepEqual(lease["user-context"], { owner: "lab", tags: [1, 2] });
  } finally {
    await server.stop();
  }
});

test("v4: pages walk every lease once in address order; identifiers are found in every subnet", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-lease-cmds-"));
  dirs.push(dir);
  const server = await start(4, dir, SUBNETS4);
  try {
    const addresses = ["203.0.113.15", "198.51.100.30", "203.0.113.11", "198.51.100.4"];
    for (let i = 0; i < 20; i++) addresses.push(`198.51.100.${100 + ((i * 37) % 100)}`);
    for (const a of addresses) {
      const r = await server.send("lease4-add", {
        "ip-address": a,
        "hw-address": "02:aa:00:00:00:01",
      });
      assert.equal(r.result, 0, JSON.stringify(r));
    }
    const seen: string[] = [];
    let from = "start";
    for (let pages = 0; pages < 20; pages++) {
      const r = await server.send("lease4-get-page", { from, limit: 5 });
      const args = r.arguments as { leases: { "ip-address": string }[]; count: number };
      assert.equal(args.count, args.leases.length);
      if (args.count === 0) {
        assert.equal(r.result, 3);
        break;
      }
      seen.push(...args.leases.map((l) => l["ip-address"]));
      from = seen[seen.length - 1]!;
    }
    const key = (a: string) => a.split(".").reduce((n, p) => n * 256 + Number(p), 0);
    assert.deepEqual(
      seen,
      [...new Set(addresses)].sort((a, b) => key(a) - key(b)),
    );
    const byHw = await server.send("lease4-get-by-hw-address", {
      "hw-address": "02:aa:00:00:00:01",
    });
    const subnets = (byHw.arguments as { leases: { "subnet-id": number }[] }).leases.map(
      (l) => l["subnet-id"],
    );
    assert.equal(subnets.length, new Set(addresses).size);
    assert.deepEqual(subnets, [...subnets].sort(), "subnet by subnet");
  } finally {
    await server.stop();
  }
});

test("v6: lease6-bulk-apply applies what it can and lists what failed; nothing when one is malformed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-lease-cmds-"));
  dirs.push(dir);
  const server = await start(6, dir, {
    "server-id": { type: "LLT", persist: false },
    subnet6: [{ id: 1, subnet: "2001:db8:1::/64", pools: [{ pool: "2001:db8:1::/120" }] }],
  });
  try {
    const lease = (a: string) => ({ "ip-address": a, duid: "01:02:03", iaid: 1 });
    const malformed = await server.send("lease6-bulk-apply", {
      leases: [lease("2001:db8:1::1"), { "ip-address": "2001:db8:1::2", iaid: 1 }],
    });
    assert.deepEqual(malformed, { result: 1, text: "missing parameter 'duid'" });
    assert.equal((await server.send("lease6-get-all")).result, 3, "nothing was applied");
    const applied = await server.send("lease6-bulk-apply", {
      "deleted-leases": [{ "ip-address": "2001:db8:1::9" }],
      leases: [lease("2001:db8:1::1"), lease("2001:db8:1::2")],
    });
    assert.deepEqual(applied, {
      result: 0,
      text: "Bulk apply of 2 IPv6 leases completed.",
      arguments: {
        "failed-deleted-leases": [
          {
            type: "IA_NA",
            "ip-address": "2001:db8:1::9",
            result: 3,
            "error-message": "lease not found",
          },
        ],
        "failed-leases": [],
      },
    });
    assert.match(readFileSync(server.leaseFile, "utf8"), /^2001:db8:1::2,01:02:03,/m);
    const page = await server.send("lease6-get-page", { from: "2001:db8:1::1", limit: 10 });
    assert.deepEqual(
      (page.arguments as { leases: { "ip-address": string }[] }).leases.map((l) => l["ip-address"]),
      ["2001:db8:1::2"],
    );
  } finally {
    await server.stop();
  }
});

/** The latest value of each named statistic (undefined when it does not exist). */
async function statValues(server: Server, names: string[]): Promise<(number | undefined)[]> {
  const all = (await server.send("statistic-get-all")).arguments as Record<
    string,
    [number, string][]
  >;
  return names.map((n) => all[n]?.[0]?.[0]);
}

test("v4: lease commands keep the pool statistics (Kea 3's subnet[id].pool[pid].*) in step, and a restart recounts them from the file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-lease-cmds-"));
  dirs.push(dir);
  const settings = {
    subnet4: [
      {
        id: 1,
        subnet: "198.51.100.0/24",
        pools: [
          { pool: "198.51.100.10 - 198.51.100.19", "pool-id": 4 },
          { pool: "198.51.100.32/28", "pool-id": 5 },
        ],
      },
    ],
  };
  const names = [
    "subnet[1].pool[4].assigned-addresses",
    "subnet[1].pool[4].declined-addresses",
    "subnet[1].pool[5].assigned-addresses",
    "subnet[1].assigned-addresses",
  ];
  let server = await start(4, dir, settings);
  try {
    const add = (ip: string, extra = {}) =>
      server.send("lease4-add", { "ip-address": ip, "hw-address": "02:00:00:00:00:07", ...extra });
    assert.equal((await add("198.51.100.11")).result, 0);
    assert.equal((await add("198.51.100.33")).result, 0);
    assert.equal((await add("198.51.100.34")).result, 0);
    assert.equal((await add("198.51.100.250")).result, 0, "outside the pools");
    assert.deepEqual(await statValues(server, names), [1, 0, 2, 4]);
    const declined = await server.send("lease4-update", {
      "ip-address": "198.51.100.11",
      "hw-address": "02:00:00:00:00:07",
      state: 1,
    });
    assert.equal(declined.result, 0);
    assert.deepEqual(await statValues(server, names), [1, 1, 2, 4]);
    assert.equal((await server.send("lease4-del", { "ip-address": "198.51.100.34" })).result, 0);
    assert.deepEqual(await statValues(server, names), [1, 1, 1, 3]);
  } finally {
    await server.stop();
  }
  server = await start(4, dir, settings);
  try {
    assert.deepEqual(await statValues(server, names), [1, 1, 1, 3]);
    const wiped = await server.send("lease4-wipe", { "subnet-id": 1 });
    assert.equal(wiped.result, 0);
    assert.deepEqual(await statValues(server, names), [0, 0, 0, 0]);
  } finally {
    await server.stop();
  }
});

test("v6: lease commands keep pool and pd-pool statistics in step; a restart recounts them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-lease-cmds-"));
  dirs.push(dir);
  const settings = {
    "server-id": { type: "LLT", persist: false },
    subnet6: [
      {
        id: 1,
        subnet: "2001:db8:1::/64",
        pools: [{ pool: "2001:db8:1::/120", "pool-id": 2 }],
        "pd-pools": [{ prefix: "2001:db8:8::", "prefix-len": 56, "delegated-len": 64 }],
      },
    ],
  };
  const names = [
    "subnet[1].pool[2].assigned-nas",
    "subnet[1].pool[2].declined-addresses",
    "subnet[1].pd-pool[0].assigned-pds",
  ];
  let server = await start(6, dir, settings);
  try {
    const na = { "ip-address": "2001:db8:1::5", duid: "01:02:03", iaid: 1 };
    assert.equal((await server.send("lease6-add", na)).result, 0);
    const pd = {
      "ip-address": "2001:db8:8:3::",
      "prefix-len": 64,
      type: "IA_PD",
      "subnet-id": 1,
      duid: "01:02:03",
      iaid: 2,
    };
    const addedPd = await server.send("lease6-add", pd);
    assert.equal(addedPd.result, 0, JSON.stringify(addedPd));
    assert.deepEqual(await statValues(server, names), [1, 0, 1]);
    assert.equal((await server.send("lease6-update", { ...na, state: 1 })).result, 0);
    assert.deepEqual(await statValues(server, names), [1, 1, 1]);
  } finally {
    await server.stop();
  }
  server = await start(6, dir, settings);
  try {
    assert.deepEqual(await statValues(server, names), [1, 1, 1]);
    const del = await server.send("lease6-del", { "ip-address": "2001:db8:8:3::", type: "IA_PD" });
    assert.equal(del.result, 0);
    assert.deepEqual(await statValues(server, names), [1, 1, 0]);
  } finally {
    await server.stop();
  }
});
