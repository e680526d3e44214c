import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { LogManager } from "../../../../src/log/logger.ts";
import { INFINITY_LFT, LeaseState } from "../../../../src/dhcpsrv/leases/lease4.ts";
import {
  LeaseFileFormatError,
  LeaseFileWriteError,
  NoSuchLease,
} from "../../../../src/dhcpsrv/leases/lease-store4.ts";
import { MemfileLeaseStore4 } from "../../../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { HEADER_2_2, lease, tempDir, writeLines } from "./lease-helpers.ts";

type Ctx = { after(fn: () => void): void };

function open(t: Ctx, name: string, extra: Parameters<typeof MemfileLeaseStore4.open>[1] = {}) {
  const store = MemfileLeaseStore4.open({ name, "lfc-interval": 0 }, extra);
  t.after(() => void store.close().catch(() => {}));
  return store;
}

const row = (n: number, valid = 3600, extra = "") =>
  `198.51.100.${n},02:00:00:00:00:${n.toString(16).padStart(2, "0")},,${valid},${1_800_000_000 + valid},1,0,0,${extra},0,`;

describe("memfile: loading replays the lease file", () => {
  it("a later row for an address replaces the earlier one", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    writeLines(file, [HEADER_2_2, row(5, 3600, "old"), row(5, 7200, "new")]);
    const store = open(t, file);
    assert.equal(store.size, 1);
    assert.equal(store.getLease4("198.51.100.5")?.hostname, "new");
    assert.equal(store.getLease4("198.51.100.5")?.validLifetime, 7200);
  });

  it("a row with valid_lifetime 0 deletes the lease; a later row brings it back", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    writeLines(file, [HEADER_2_2, row(5), row(6), row(5, 0), row(6, 0), row(6, 600)]);
    const store = open(t, file);
    assert.equal(store.getLease4("198.51.100.5"), null);
    assert.equal(store.getLease4("198.51.100.6")?.validLifetime, 600);
  });

  it("files replay in Kea's order: .2, then .1, then the lease file", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    writeLines(`${file}.2`, [HEADER_2_2, row(1, 100), row(2, 100), row(3, 100)]);
    writeLines(`${file}.1`, [HEADER_2_2, row(2, 200), row(3, 0)]);
    writeLines(file, [HEADER_2_2, row(1, 300)]);
    const store = open(t, file);
    assert.deepEqual(
      store
        .getAllLeases4()
        .map((l) => `${l.address}=${l.validLifetime}`)
        .sort(),
      ["198.51.100.1=300", "198.51.100.2=200"],
    );
  });

  it(".completed, when present, replaces .2 and .1 (a cleanup finished writing)", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    writeLines(`${file}.2`, [HEADER_2_2, row(1), row(9)]);
    writeLines(`${file}.1`, [HEADER_2_2, row(9, 0), row(2)]);
    writeLines(`${file}.completed`, [HEADER_2_2, row(1), row(2)]);
    writeLines(file, [HEADER_2_2, row(3)]);
    const store = open(t, file);
    assert.deepEqual(
      store
        .getAllLeases4()
        .map((l) => l.address)
        .sort(),
      ["198.51.100.1", "198.51.100.2", "198.51.100.3"],
    );
  });

  it("bad rows are skipped and counted, and each is reported with its line", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    writeLines(file, [HEADER_2_2, row(1), "garbage", row(2), "198.51.100.3,,,1,1,1,0,0,,0,"]);
    const seen: string[] = [];
    const store = open(t, file, { onRowError: (_f, line) => seen.push(String(line)) });
    assert.equal(store.size, 2);
    assert.equal(store.loadRowErrors, 2);
    assert.deepEqual(seen, ["3", "5"]);
  });

  it("each bad row is logged with Kea's message ID, its file and its line", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    writeLines(file, [HEADER_2_2, row(1), "198.51.100.2,zz,,3600,1,1,0,0,,0,"]);
    const lines: string[] = [];
    const logs = new LogManager("nestor-dhcp4");
    logs.configure([{ name: "nestor-dhcp4", severity: "INFO", outputs: [(l) => lines.push(l)] }]);
    open(t, file, { logger: logs.getLogger("dhcpsrv") });
    const rowError = lines.find((l) => l.includes("DHCPSRV_MEMFILE_LEASE_LOAD_ROW_ERROR"));
    assert.match(
      rowError ?? "",
      /ERROR.*discarding row 3 of .*leases4\.csv, error: 'zz' is not a hardware address/,
    );
    assert.ok(lines.some((l) => /DHCPSRV_MEMFILE_LEASE_FILE_LOAD .*: 2 rows, 1 discarded/.test(l)));
  });

  it("more bad rows than max-row-errors refuse the load", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    writeLines(file, [HEADER_2_2, "bad1", row(1), "bad2"]);
    assert.throws(
      () => MemfileLeaseStore4.open({ name: file, "lfc-interval": 0, "max-row-errors": 1 }),
      (err: unknown) => err instanceof LeaseFileFormatError && /max-row-errors/.test(err.reason),
    );
    // Exactly max-row-errors bad rows are tolerated.
    const store = open(t, file);
    assert.equal(store.size, 1);
    const two = MemfileLeaseStore4.open({ name: file, "lfc-interval": 0, "max-row-errors": 2 });
    assert.equal(two.size, 1);
    void two.close();
  });

  it("a file with a header that is not Kea's refuses to load", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    writeLines(file, ["address,duid,valid_lifetime", row(1)]);
    assert.throws(() => MemfileLeaseStore4.open({ name: file }), LeaseFileFormatError);
  });

  it("a lease file in a missing directory is refused with a typed error naming it", (t) => {
    const file = path.join(tempDir(t), "no-such-dir", "leases4.csv");
    assert.throws(
      () => MemfileLeaseStore4.open({ name: file }),
      (err: unknown) => err instanceof LeaseFileFormatError && err.file === file,
    );
  });

  it("a missing or empty lease file is created with Kea 2.2's header", (t) => {
    const dir = tempDir(t);
    const missing = path.join(dir, "a.csv");
    open(t, missing);
    assert.equal(fs.readFileSync(missing, "utf8"), `${HEADER_2_2}\n`);
    const empty = path.join(dir, "b.csv");
    fs.writeFileSync(empty, "");
    open(t, empty);
    assert.equal(fs.readFileSync(empty, "utf8"), `${HEADER_2_2}\n`);
  });

  it("a row cut short by a crash stays one bad row and does not swallow the next lease", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    fs.writeFileSync(file, `${HEADER_2_2}\n${row(1)}\n198.51.100.2,02:00:00:00:00:02,,36`);
    const first = open(t, file);
    assert.equal(first.size, 1);
    first.addLease4(lease(3));
    first.flush();
    void first.close();
    const again = open(t, file);
    assert.deepEqual(
      again
        .getAllLeases4()
        .map((l) => l.address)
        .sort(),
      ["198.51.100.1", "198.51.100.3"],
    );
    assert.equal(again.loadRowErrors, 1);
  });

  it("refuses to load while another process's cleanup holds the .pid file", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    fs.writeFileSync(`${file}.pid`, `${process.ppid}\n`);
    assert.throws(() => MemfileLeaseStore4.open({ name: file }), /cleanup is in progress/);
    // A stale pid file (dead process) does not block.
    fs.writeFileSync(`${file}.pid`, "999999999\n");
    assert.equal(open(t, file).size, 0);
  });
});

describe("memfile: header conversion at start-up", () => {
  it("a Kea 3 file is converted to Kea 2.2's header without losing a lease", async (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    writeLines(file, [
      `${HEADER_2_2},pool_id`,
      `${row(1)},3`,
      `${row(2)},0`,
      `${row(2, 0)},0`,
      `${row(4)},0`,
    ]);
    const done: unknown[] = [];
    const store = open(t, file, { onCleanupDone: (r) => done.push(r) });
    assert.equal(store.size, 2);
    // New rows never go below another header: the main file starts afresh with 2.2's.
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER_2_2}\n`);
    store.addLease4(lease(5));
    store.flush();
    await store.close(); // waits for the conversion cleanup
    assert.equal(done.length, 1);
    assert.equal(fs.readFileSync(`${file}.2`, "utf8").split("\n")[0], HEADER_2_2);
    const again = open(t, file);
    assert.deepEqual(
      again
        .getAllLeases4()
        .map((l) => l.address)
        .sort(),
      ["198.51.100.1", "198.51.100.4", "198.51.100.5"],
    );
  });

  it("an old file is converted even when a dead cleanup left .1 behind", async (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    writeLines(`${file}.1`, [HEADER_2_2, row(1), row(2)]);
    writeLines(file, [HEADER_2_2.split(",").slice(0, 10).join(","), `${row(2, 0).slice(0, -1)}`]);
    const store = open(t, file);
    assert.deepEqual(
      store.getAllLeases4().map((l) => l.address),
      ["198.51.100.1"],
    );
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER_2_2}\n`);
    await store.close();
    assert.deepEqual(
      open(t, file)
        .getAllLeases4()
        .map((l) => l.address),
      ["198.51.100.1"],
    );
  });
});

describe("memfile: group commit", () => {
  function counting(t: Ctx) {
    const file = path.join(tempDir(t), "leases4.csv");
    const writes: number[] = [];
    const store = open(t, file, {
      writeSync: (fd, buf, off, len) => {
        writes.push(len);
        return fs.writeSync(fd, buf, off, len);
      },
    });
    return { file, writes, store };
  }

  it("a batch of changes reaches the file with one write at flush, not before", (t) => {
    const { file, writes, store } = counting(t);
    for (let n = 1; n <= 64; n++) store.addLease4(lease(n));
    const renewed = store.getLease4("198.51.100.1")!.clone();
    renewed.cltt += 60;
    store.updateLease4(renewed);
    store.deleteLease4(lease(2));
    assert.equal(store.pendingWrites, 66);
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER_2_2}\n`);
    store.flush();
    assert.equal(writes.length, 1);
    assert.equal(store.pendingWrites, 0);
    assert.equal(fs.readFileSync(file, "utf8").split("\n").length, 1 + 66 + 1);
    store.flush(); // nothing queued: no write at all
    assert.equal(writes.length, 1);
  });

  it("a failed write throws LeaseFileWriteError; the next flush writes each row once", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    let full = false;
    const store = open(t, file, {
      writeSync: (fd, buf, off, len) => {
        // write(2) fails without writing anything, or writes some bytes and says how many.
        if (full) throw Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" });
        return fs.writeSync(fd, buf, off, len);
      },
    });
    store.addLease4(lease(1));
    store.addLease4(lease(2));
    full = true;
    assert.throws(
      () => store.flush(),
      (err: unknown) =>
        err instanceof LeaseFileWriteError && err.file === file && /ENOSPC/.test(err.message),
    );
    assert.equal(store.pendingWrites, 2);
    full = false;
    store.addLease4(lease(3));
    store.flush();
    assert.equal(store.pendingWrites, 0);
    assert.equal(fs.readFileSync(file, "utf8").split("\n").length, 1 + 3 + 1);
    assert.equal(open(t, file).size, 3);
  });

  it("after a short write the rest of the batch follows exactly, with no duplicate", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    let calls = 0;
    const store = open(t, file, {
      writeSync: (fd, buf, off, len) => {
        calls++;
        if (calls === 1) return fs.writeSync(fd, buf, off, 7); // the kernel took 7 bytes
        if (calls === 2) throw Object.assign(new Error("EIO"), { code: "EIO" });
        return fs.writeSync(fd, buf, off, len);
      },
    });
    store.addLease4(lease(1));
    assert.throws(() => store.flush(), LeaseFileWriteError);
    store.flush();
    assert.equal(
      fs.readFileSync(file, "utf8"),
      `${HEADER_2_2}\n198.51.100.1,02:00:00:00:00:01,,3600,1800003600,1,0,0,,0,\n`,
    );
  });

  it("rows survive a restart: what was flushed is what loads", async (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    const store = open(t, file);
    store.addLease4(lease(1, { hostname: "a,b", userContext: { k: "v,w" } }));
    store.addLease4(lease(2));
    store.flush();
    await store.close();
    const again = open(t, file);
    assert.equal(again.getLease4("198.51.100.1")?.hostname, "a,b");
    assert.deepEqual(again.getLease4("198.51.100.1")?.userContext, { k: "v,w" });
  });

  it("close() flushes what is queued", async (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    const store = open(t, file);
    store.addLease4(lease(1));
    await store.close();
    assert.equal(open(t, file).size, 1);
  });
});

describe("memfile: persist false", () => {
  it("keeps leases in memory and never touches a file", (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, "leases4.csv");
    const writes: number[] = [];
    const store = MemfileLeaseStore4.open(
      { name: file, persist: false },
      { writeSync: (_fd, _b, _o, len) => (writes.push(len), len) },
    );
    store.addLease4(lease(1));
    store.flush();
    assert.equal(store.getLease4("198.51.100.1")?.address, "198.51.100.1");
    assert.equal(store.pendingWrites, 0);
    assert.equal(writes.length, 0);
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.equal(store.runCleanup(), null);
    void store.close();
  });
});

describe("memfile: lookups and changes", () => {
  function mem() {
    return MemfileLeaseStore4.open({ persist: false });
  }

  it("finds a lease by address as text or as a 32-bit number", () => {
    const s = mem();
    s.addLease4(lease(5));
    assert.equal(s.getLease4(0xc6336405)?.address, "198.51.100.5");
    assert.equal(s.getLease4("198.51.100.6"), null);
  });

  it("a second lease for the same address is refused", () => {
    const s = mem();
    assert.equal(s.addLease4(lease(5)), true);
    assert.equal(s.addLease4(lease(5, { subnetId: 2 })), false);
    assert.equal(s.getLease4("198.51.100.5")?.subnetId, 1);
  });

  it("finds a client's lease by hardware address and subnet, and only in that subnet", () => {
    const s = mem();
    s.addLease4(lease(5));
    const hw = HWAddr.fromText("02:00:00:00:00:05");
    assert.equal(s.getLease4ByHwAddr(hw, 1)?.address, "198.51.100.5");
    assert.equal(s.getLease4ByHwAddr(hw.hwaddr, 1)?.address, "198.51.100.5");
    assert.equal(s.getLease4ByHwAddr(hw, 2), null);
  });

  it("finds a client's leases by client id and subnet, several when there are several", () => {
    const s = mem();
    const cid = Buffer.from([1, 2, 3]);
    s.addLease4(lease(5, { clientId: cid }));
    s.addLease4(lease(6, { clientId: cid }));
    s.addLease4(lease(7, { clientId: cid, subnetId: 2 }));
    assert.equal(s.getLease4ByClientId(cid, 1)?.address, "198.51.100.5");
    assert.deepEqual(
      s.getLeases4ByClientId(cid, 1).map((l) => l.address),
      ["198.51.100.5", "198.51.100.6"],
    );
    s.deleteLease4(lease(5));
    assert.equal(s.getLease4ByClientId(cid, 1)?.address, "198.51.100.6");
  });

  it("an update that changes the client moves the lease in the indexes", () => {
    const s = mem();
    s.addLease4(lease(5));
    const moved = lease(5, { hwaddr: HWAddr.fromText("02:00:00:00:00:99"), subnetId: 2 });
    s.updateLease4(moved);
    assert.equal(s.getLease4ByHwAddr(HWAddr.fromText("02:00:00:00:00:05"), 1), null);
    assert.equal(
      s.getLease4ByHwAddr(HWAddr.fromText("02:00:00:00:00:99"), 2)?.address,
      moved.address,
    );
    assert.deepEqual(s.getLeases4BySubnet(1), []);
    assert.equal(s.getLeases4BySubnet(2).length, 1);
  });

  it("the store keeps its own copy: changing the caller's lease changes nothing", () => {
    const s = mem();
    const l = lease(5);
    s.addLease4(l);
    l.cltt = 1;
    assert.equal(s.getLease4("198.51.100.5")?.cltt, 1_800_000_000);
  });

  it("updating an address with no lease throws NoSuchLease", () => {
    assert.throws(() => mem().updateLease4(lease(5)), NoSuchLease);
  });

  it("refuses a lease the file could not hold (no lifetime; no client identity)", () => {
    const s = mem();
    assert.throws(() => s.addLease4(lease(5, { validLifetime: 0 })), /no valid lifetime/);
    assert.throws(() => s.addLease4(lease(5, { hwaddr: null })), /neither hardware/);
    assert.equal(s.addLease4(lease(5, { hwaddr: null, state: LeaseState.DECLINED })), true);
  });

  it("counts leases per subnet and state for the statistics, through every change", () => {
    const s = mem();
    s.addLease4(lease(1));
    s.addLease4(lease(2));
    s.addLease4(lease(3, { subnetId: 2 }));
    const declined = lease(2);
    declined.decline(3600, 1_800_000_000);
    s.updateLease4(declined);
    assert.equal(s.countLeases4(1, LeaseState.DEFAULT), 1);
    assert.equal(s.countLeases4(1, LeaseState.DECLINED), 1);
    s.deleteLease4(lease(1));
    assert.deepEqual(s.leaseStats4(), [
      { subnetId: 1, state: LeaseState.DECLINED, count: 1 },
      { subnetId: 2, state: LeaseState.DEFAULT, count: 1 },
    ]);
  });

  it("expired leases come oldest first, limited, without reclaimed ones", () => {
    const s = mem();
    s.addLease4(lease(1, { cltt: 1000, validLifetime: 50 })); // expired at 1050
    s.addLease4(lease(2, { cltt: 1000, validLifetime: 10 })); // 1010
    s.addLease4(lease(3, { cltt: 1000, validLifetime: 20, state: LeaseState.EXPIRED_RECLAIMED }));
    s.addLease4(lease(4, { cltt: 1000, validLifetime: 5000 })); // not expired
    s.addLease4(lease(5, { cltt: 1000, validLifetime: 30, state: LeaseState.DECLINED })); // 1030
    assert.deepEqual(
      s.getExpiredLeases4(2000, 0).map((l) => l.address),
      ["198.51.100.2", "198.51.100.5", "198.51.100.1"],
    );
    assert.equal(s.getExpiredLeases4(2000, 2).length, 2);
  });

  it("the expired-lease index agrees with a full scan through 20,000 random changes", () => {
    const s = mem();
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const scan = (now: number) =>
      s
        .getAllLeases4()
        .filter((l) => l.state !== LeaseState.EXPIRED_RECLAIMED && l.isExpired(now))
        .map((l) => `${l.expire}/${l.address}`)
        .sort();
    for (let step = 0; step < 20_000; step++) {
      const n = 1 + rand(250);
      const cur = s.getLease4(`198.51.100.${n}`);
      const fields = {
        cltt: 1000 + rand(1000),
        validLifetime: rand(20) === 0 ? INFINITY_LFT : 1 + rand(500),
        state: rand(4),
      };
      if (cur === null) s.addLease4(lease(n, fields));
      else if (rand(5) === 0) s.deleteLease4(cur);
      else s.updateLease4(lease(n, { ...fields, subnetId: 1 + rand(2) }));
      if (step % 500 === 0) {
        const now = 1000 + rand(1500);
        const got = s.getExpiredLeases4(now, 0);
        assert.deepEqual(got.map((l) => `${l.expire}/${l.address}`).sort(), scan(now));
        for (let i = 1; i < got.length; i++) assert.ok(got[i - 1]!.expire <= got[i]!.expire);
        const few = s.getExpiredLeases4(now, 5);
        const soonest = got.slice(0, few.length).map((l) => l.expire);
        assert.deepEqual(
          few.map((l) => l.expire),
          soonest,
        );
        assert.equal(few.length, Math.min(5, got.length));
      }
    }
  });

  it("reclaimed leases are deleted once held long enough, with deletion rows", (t) => {
    const file = path.join(tempDir(t), "leases4.csv");
    const s = open(t, file);
    s.addLease4(lease(1, { cltt: 1000, validLifetime: 10, state: LeaseState.EXPIRED_RECLAIMED }));
    s.addLease4(lease(2, { cltt: 1950, validLifetime: 10, state: LeaseState.EXPIRED_RECLAIMED }));
    assert.equal(s.deleteExpiredReclaimedLeases4(2000, 60), 1);
    assert.deepEqual(
      s.getAllLeases4().map((l) => l.address),
      ["198.51.100.2"],
    );
    s.flush();
    assert.deepEqual(
      open(t, file)
        .getAllLeases4()
        .map((l) => l.address),
      ["198.51.100.2"],
    );
  });
});
