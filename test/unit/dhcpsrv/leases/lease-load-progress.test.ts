/**
 * Progress while a lease file loads: the replay reports rows read at the interval asked, the
 * v6 store logs it as the v4 one does, and the interval's environment variable is checked.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { LogManager } from "../../../../src/log/logger.ts";
import { replayLeaseFile4 } from "../../../../src/dhcpsrv/leases/lease-files4.ts";
import { loadProgressIntervalMs } from "../../../../src/dhcpsrv/leases/lease-journal.ts";
import type { LoadProgress } from "../../../../src/dhcpsrv/leases/lease-files.ts";
import type { Lease4 } from "../../../../src/dhcpsrv/leases/lease4.ts";
import { MemfileLeaseStore6 } from "../../../../src/dhcpsrv/leases/memfile-lease-store6.ts";
import { HEADER_2_2, tempDir } from "./lease-helpers.ts";
import { HEADER6_2_2 } from "./lease6-helpers.ts";

const ROWS = 200_000;

function v4File(dir: string): string {
  const file = path.join(dir, "leases4.csv");
  const rows = [HEADER_2_2];
  for (let i = 0; i < ROWS; i++) {
    rows.push(`198.18.${(i >> 8) & 0xff}.${i & 0xff},02:00:00:00:00:01,,3600,1800003600,1,0,0,,0,`);
  }
  fs.writeFileSync(file, rows.join("\n") + "\n");
  return file;
}

describe("lease file load progress", () => {
  it("the replay reports the rows read so far at the interval asked, never past the end", (t) => {
    const file = v4File(tempDir(t));
    const seen: LoadProgress[] = [];
    const report = replayLeaseFile4(file, new Map<number, Lease4>(), {
      maxRowErrors: 0,
      progressIntervalMs: 1,
      onProgress: (p) => seen.push({ ...p }),
    });
    assert.equal(report!.rows, ROWS);
    assert.ok(report!.durationMs > 0);
    assert.ok(seen.length >= 2, `${seen.length} reports`);
    const size = fs.statSync(file).size;
    for (let i = 0; i < seen.length; i++) {
      const p = seen[i]!;
      assert.equal(p.file, file);
      assert.equal(p.bytesTotal, size);
      assert.ok(p.rows < ROWS && p.bytesRead < size);
      if (i > 0) assert.ok(p.rows > seen[i - 1]!.rows && p.elapsedMs >= seen[i - 1]!.elapsedMs);
    }
    assert.ok(report!.durationMs >= seen.at(-1)!.elapsedMs);
  });

  it("no progress is reported before the interval has passed", (t) => {
    const file = v4File(tempDir(t));
    const seen: LoadProgress[] = [];
    replayLeaseFile4(file, new Map<number, Lease4>(), {
      maxRowErrors: 0,
      progressIntervalMs: 60_000,
      onProgress: (p) => seen.push(p),
    });
    assert.deepEqual(seen, []);
  });

  it("the v6 store logs its progress, its file's duration and the whole load's", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const rows = [HEADER6_2_2];
    for (let i = 0; i < ROWS; i++) {
      const n = `${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
      rows.push(
        `2001:db8:1::${n},00:03:00:01:02:00:00:00:00:01,3600,1800003600,1,3000,0,${i},128,0,0,,,0,,,`,
      );
    }
    fs.writeFileSync(file, rows.join("\n") + "\n");
    const lines: string[] = [];
    const logs = new LogManager("nestor-dhcp6");
    logs.configure([{ name: "nestor-dhcp6", severity: "INFO", outputs: [(l) => lines.push(l)] }]);
    const store = MemfileLeaseStore6.open(
      { name: file, "lfc-interval": 0 },
      { logger: logs.getLogger("dhcpsrv"), progressIntervalMs: 1 },
    );
    t.after(() => void store.close().catch(() => {}));
    assert.equal(store.size, ROWS);
    const progress = lines.filter((l) => l.includes("DHCPSRV_MEMFILE_LEASE_LOAD_PROGRESS"));
    assert.ok(progress.length >= 2, lines.join("\n"));
    assert.match(
      progress[0]!,
      /INFO .*DHCPSRV_MEMFILE_LEASE_LOAD_PROGRESS loading leases from file .*leases6\.csv: \d+ rows read so far \(\d+% of the file\) in \d+\.\d{3} s/,
    );
    assert.ok(
      lines.some((l) =>
        /DHCPSRV_MEMFILE_LEASE_FILE_LOAD .*leases6\.csv: 200000 rows, 0 discarded, in \d+\.\d{3} s/.test(
          l,
        ),
      ),
    );
    assert.ok(
      lines.some((l) =>
        /DHCPSRV_MEMFILE_LEASES_LOADED 200000 leases loaded from 200000 rows of 1 file\(s\) in \d+\.\d{3} s/.test(
          l,
        ),
      ),
    );
  });

  it("NESTOR_LEASE_LOAD_PROGRESS_INTERVAL sets the interval in seconds; a bad value is refused", () => {
    assert.equal(loadProgressIntervalMs({}), 5000);
    assert.equal(loadProgressIntervalMs({ NESTOR_LEASE_LOAD_PROGRESS_INTERVAL: "" }), 5000);
    assert.equal(loadProgressIntervalMs({ NESTOR_LEASE_LOAD_PROGRESS_INTERVAL: "0.25" }), 250);
    assert.equal(loadProgressIntervalMs({ NESTOR_LEASE_LOAD_PROGRESS_INTERVAL: "30" }), 30_000);
    for (const bad of ["0", "-1", "soon", "Infinity"]) {
      assert.throws(
        () => loadProgressIntervalMs({ NESTOR_LEASE_LOAD_PROGRESS_INTERVAL: bad }),
        new RegExp(`must be a positive number of seconds, not '${bad}'`),
      );
    }
  });
});
