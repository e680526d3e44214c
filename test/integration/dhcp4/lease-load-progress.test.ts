/**
 * A large lease file at start: the server logs its progress while it loads
 * (DHCPSRV_MEMFILE_LEASE_LOAD_PROGRESS, every NESTOR_LEASE_LOAD_PROGRESS_INTERVAL seconds), then
 * each file's rows and duration and the whole load's duration; the per-pool statistics are
 * recounted from what was loaded.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Dhcp4Server } from "../../../src/dhcp4/server.ts";
import { ipv4ToString } from "../../../src/dhcp/ioaddress.ts";
import { LEASE4_HEADER_2_2 } from "../../../src/dhcpsrv/leases/csv-lease-file4.ts";
import { LogManager } from "../../../src/log/logger.ts";

const ROWS = 300_000;
/** 198.18.0.0/15: 131072 addresses, each written two or three times (renewals). */
const BASE = (198 << 24) | (18 << 16);
const ADDRESSES = 1 << 17;

function writeLargeLeaseFile(file: string): void {
  const expire = Math.floor(Date.now() / 1000) + 3600;
  const rows = [LEASE4_HEADER_2_2];
  for (let i = 0; i < ROWS; i++) {
    const n = i % ADDRESSES;
    const mac = `02:00:00:${((n >> 16) & 0xff).toString(16).padStart(2, "0")}:${((n >> 8) & 0xff)
      .toString(16)
      .padStart(2, "0")}:${(n & 0xff).toString(16).padStart(2, "0")}`;
    rows.push(`${ipv4ToString((BASE + n) >>> 0)},${mac},,4000,${expire},1,0,0,,0,`);
  }
  rows.push("");
  writeFileSync(file, rows.join("\n"));
}

test("a large lease file: progress lines while it loads, its duration, and the pools recounted from it", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeLargeLeaseFile(join(dir, "leases4.csv"));
  const file = join(dir, "kea-dhcp4.conf");
  writeFileSync(
    file,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: ["lo"] },
        "lease-database": { type: "memfile", name: "leases4.csv", "lfc-interval": 0 },
        "valid-lifetime": 4000,
        subnet4: [
          {
            id: 1,
            subnet: "198.18.0.0/15",
            pools: [
              { pool: "198.18.0.0/16", "pool-id": 1 },
              { pool: "198.19.0.0/17", "pool-id": 2 },
            ],
          },
        ],
        loggers: [
          { name: "kea-dhcp4", severity: "INFO", "output-options": [{ output: "nestor.log" }] },
        ],
      },
    }),
  );
  const saved = process.env.NESTOR_LEASE_LOAD_PROGRESS_INTERVAL;
  process.env.NESTOR_LEASE_LOAD_PROGRESS_INTERVAL = "0.01";
  const logs = new LogManager("nestor-dhcp4");
  let server: Dhcp4Server;
  try {
    server = await Dhcp4Server.start({ configFile: file, serverPort: 0, clientPort: 0, logs });
  } finally {
    if (saved === undefined) delete process.env.NESTOR_LEASE_LOAD_PROGRESS_INTERVAL;
    else process.env.NESTOR_LEASE_LOAD_PROGRESS_INTERVAL = saved;
  }
  try {
    assert.equal(server.leaseStore.size, ADDRESSES);
    const value = (name: string) => server.stats.get(name)?.value;
    assert.equal(value("subnet[1].assigned-addresses"), ADDRESSES);
    assert.equal(value("subnet[1].pool[1].assigned-addresses"), 1 << 16);
    assert.equal(value("subnet[1].pool[2].assigned-addresses"), 1 << 15);
    assert.equal(value("subnet[1].pool[2].total-addresses"), 1 << 15);
  } finally {
    await server.stop();
  }
  const log = readFileSync(join(dir, "nestor.log"), "utf8");
  const progress = [
    ...log.matchAll(
      /INFO +\[nestor-dhcp4\.dhcpsrv\/\d+\] DHCPSRV_MEMFILE_LEASE_LOAD_PROGRESS loading leases from file (\S+): (\d+) rows read so far \((\d+)% of the file\) in (\d+\.\d{3}) s/g,
    ),
  ];
  assert.ok(progress.length >= 2, `progress lines:\n${log}`);
  let last = 0;
  for (const [, name, rows, percent, secs] of progress) {
    assert.match(name!, /leases4\.csv$/);
    assert.ok(Number(rows) > last && Number(rows) < ROWS, `rows grow: ${rows}`);
    assert.ok(Number(percent) < 100);
    assert.ok(Number(secs) >= 0.01);
    last = Number(rows);
  }
  const loaded =
    /DHCPSRV_MEMFILE_LEASE_FILE_LOAD loading leases from file \S+leases4\.csv: 300000 rows, 0 discarded, in (\d+\.\d{3}) s/.exec(
      log,
    );
  assert.ok(loaded, log);
  const total =
    /DHCPSRV_MEMFILE_LEASES_LOADED 131072 leases loaded from 300000 rows of 1 file\(s\) in (\d+\.\d{3}) s/.exec(
      log,
    );
  assert.ok(total, log);
  assert.ok(Number(total[1]) >= Number(loaded[1]), "the whole load includes the file's");
  assert.ok(
    Number(loaded[1]) >= Number(progress.at(-1)![4]),
    "the file took longer than its last report",
  );
});

test("a lease file that loads quickly gets no progress line at the default interval, only its duration", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const expire = Math.floor(Date.now() / 1000) + 3600;
  writeFileSync(
    join(dir, "leases4.csv"),
    [LEASE4_HEADER_2_2, `198.51.100.10,02:00:00:00:05:01,,4000,${expire},1,0,0,,0,`, ""].join("\n"),
  );
  const file = join(dir, "kea-dhcp4.conf");
  writeFileSync(
    file,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: ["lo"] },
        "lease-database": { type: "memfile", name: "leases4.csv", "lfc-interval": 0 },
        subnet4: [{ id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10/31" }] }],
        loggers: [
          { name: "kea-dhcp4", severity: "INFO", "output-options": [{ output: "nestor.log" }] },
        ],
      },
    }),
  );
  const logs = new LogManager("nestor-dhcp4");
  const server = await Dhcp4Server.start({ configFile: file, serverPort: 0, clientPort: 0, logs });
  try {
    assert.equal(server.stats.get("subnet[1].pool[0].assigned-addresses")?.value, 1);
  } finally {
    await server.stop();
  }
  const log = readFileSync(join(dir, "nestor.log"), "utf8");
  assert.doesNotMatch(log, /DHCPSRV_MEMFILE_LEASE_LOAD_PROGRESS/);
  assert.match(
    log,
    /DHCPSRV_MEMFILE_LEASE_FILE_LOAD .*leases4\.csv: 1 rows, 0 discarded, in \d+\.\d{3} s/,
  );
  assert.match(
    log,
    /DHCPSRV_MEMFILE_LEASES_LOADED 1 leases loaded from 1 rows of 1 file\(s\) in \d+\.\d{3} s/,
  );
});

test("a bad NESTOR_LEASE_LOAD_PROGRESS_INTERVAL refuses the start with the variable and the reason", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "kea-dhcp4.conf");
  writeFileSync(
    file,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: ["lo"] },
        "lease-database": { type: "memfile", name: "leases4.csv", "lfc-interval": 0 },
        subnet4: [],
        loggers: [{ name: "kea-dhcp4", severity: "FATAL" }],
      },
    }),
  );
  const saved = process.env.NESTOR_LEASE_LOAD_PROGRESS_INTERVAL;
  process.env.NESTOR_LEASE_LOAD_PROGRESS_INTERVAL = "soon";
  try {
    const started = Dhcp4Server.start({
      configFile: file,
      serverPort: 0,
      clientPort: 0,
      logs: new LogManager("nestor-dhcp4"),
    });
    // A server that starts anyway is stopped, so that the test fails instead of hanging.
    void started.then((server) => server.stop()).catch(() => {});
    await assert.rejects(
      started,
      /NESTOR_LEASE_LOAD_PROGRESS_INTERVAL must be a positive number of seconds, not 'soon'/,
    );
  } finally {
    if (saved === undefined) delete process.env.NESTOR_LEASE_LOAD_PROGRESS_INTERVAL;
    else process.env.NESTOR_LEASE_LOAD_PROGRESS_INTERVAL = saved;
  }
});
