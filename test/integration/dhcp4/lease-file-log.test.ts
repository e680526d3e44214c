import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Dhcp4Server } from "../../../src/dhcp4/server.ts";
import { LEASE4_HEADER_2_2 } from "../../../src/dhcpsrv/leases/csv-lease-file4.ts";
import { LogManager } from "../../../src/log/logger.ts";

test("at start the server logs the lease file it loads with its rows and discarded rows (DHCPSRV_MEMFILE_LEASE_FILE_LOAD)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-dhcp4-"));
  const expire = Math.floor(Date.now() / 1000) + 3600;
  writeFileSync(
    join(dir, "leases4.csv"),
    [
      LEASE4_HEADER_2_2,
      `198.51.100.10,02:00:00:00:05:01,,4000,${expire},1,0,0,,0,`,
      `198.51.100.11,02:00:00:00:05:02,,4000,${expire},1,0,0,,0,`,
      `198.51.100.11,02:00:00:00:05:02,,0,${expire - 4000},1,0,0,,0,`,
      "not a lease row",
      "",
    ].join("\n"),
  );
  const file = join(dir, "kea-dhcp4.conf");
  writeFileSync(
    file,
    JSON.stringify({
      Dhcp4: {
        "interfaces-config": { interfaces: ["lo"] },
        "lease-database": { type: "memfile", name: "leases4.csv", "lfc-interval": 0 },
        subnet4: [
          { id: 1, subnet: "198.51.100.0/24", pools: [{ pool: "198.51.100.10 - 198.51.100.20" }] },
        ],
        loggers: [
          { name: "kea-dhcp4", severity: "INFO", "output-options": [{ output: "nestor.log" }] },
        ],
      },
    }),
  );
  const logs = new LogManager("nestor-dhcp4");
  const server = await Dhcp4Server.start({ configFile: file, serverPort: 0, clientPort: 0, logs });
  try {
    assert.equal(server.leaseStore.size, 1);
  } finally {
    await server.stop();
  }
  const log = readFileSync(join(dir, "nestor.log"), "utf8");
  assert.match(
    log,
    /INFO +\[nestor-dhcp4\.dhcpsrv\/\d+\] DHCPSRV_MEMFILE_LEASE_FILE_LOAD .*leases4\.csv: 4 rows, 1 discarded/,
  );
  assert.match(
    log,
    /ERROR .*DHCPSRV_MEMFILE_LEASE_LOAD_ROW_ERROR discarding row 5 of .*leases4\.csv/,
  );
});
