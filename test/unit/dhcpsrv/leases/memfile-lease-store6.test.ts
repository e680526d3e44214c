import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { HWAddr } from "../../../../src/dhcp/hwaddr.ts";
import { LogManager } from "../../../../src/log/logger.ts";
import {
  LeaseFileFormatError,
  LeaseFileWriteError,
  NoSuchLease,
} from "../../../../src/dhcpsrv/leases/lease-store.ts";
import { INFINITY_LFT, LeaseState, LeaseType6 } from "../../../../src/dhcpsrv/leases/lease6.ts";
import { MemfileLeaseStore6 } from "../../../../src/dhcpsrv/leases/memfile-lease-store6.ts";
import {
  HEADER6_2_2,
  HEADER6_3_0,
  duidOf,
  lease6,
  prefix6,
  tempDir,
  writeLines,
} from "./lease6-helpers.ts";

type Ctx = { after(fn: () => void): void };

function open(t: Ctx, name: string, extra: Parameters<typeof MemfileLeaseStore6.open>[1] = {}) {
  const store = MemfileLeaseStore6.open({ name, "lfc-interval": 0 }, extra);
  t.after(() => void store.close().catch(() => {}));
  return store;
}

const NA = LeaseType6.IA_NA;
const PD = LeaseType6.IA_PD;

/** A Kea 2.2 row for 2001:db8:1::<n>, client n, IAID n. */
const row = (n: number, valid = 3600, host = "") =>
  `2001:db8:1::${n.toString(16)},00:03:00:01:02:00:00:00:00:${n.toString(16).padStart(2, "0")},` +
  `${valid},${1_800_000_000 + valid},1,${valid === 0 ? 0 : 3000},0,${n},128,0,0,${host},,0,,,`;

const addresses = (s: MemfileLeaseStore6) =>
  s
    .getAllLeases6()
    .map((l) => l.address)
    .sort();

describe("memfile6: loading replays the lease file", () => {
  it("a later row for an address replaces the earlier one", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    writeLines(file, [HEADER6_2_2, row(5, 3600, "old"), row(5, 7200, "new")]);
    const store = open(t, file);
    assert.equal(store.size, 1);
    assert.equal(store.getLease6(NA, "2001:db8:1::5")?.hostname, "new");
    assert.equal(store.getLease6(NA, "2001:db8:1::5")?.validLifetime, 7200);
  });

  it("a row with valid_lifetime 0 deletes the lease; a later row brings it back", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    writeLines(file, [HEADER6_2_2, row(5), row(6), row(5, 0), row(6, 0), row(6, 600)]);
    const store = open(t, file);
    assert.equal(store.getLease6(NA, "2001:db8:1::5"), null);
    assert.equal(store.getLease6(NA, "2001:db8:1::6")?.validLifetime, 600);
  });

  it("files replay in Kea's order: .2, then .1, then the lease file", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    writeLines(`${file}.2`, [HEADER6_2_2, row(1, 100), row(2, 100), row(3, 100)]);
    writeLines(`${file}.1`, [HEADER6_2_2, row(2, 200), row(3, 0)]);
    writeLines(file, [HEADER6_2_2, row(1, 300)]);
    const store = open(t, file);
    assert.deepEqual(
      store
        .getAllLeases6()
        .map((l) => `${l.address}=${l.validLifetime}`)
        .sort(),
      ["2001:db8:1::1=300", "2001:db8:1::2=200"],
    );
  });

  it(".completed, when present, replaces .2 and .1 (a cleanup finished writing)", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    writeLines(`${file}.2`, [HEADER6_2_2, row(1), row(9)]);
    writeLines(`${file}.1`, [HEADER6_2_2, row(9, 0), row(2)]);
    writeLines(`${file}.completed`, [HEADER6_2_2, row(1), row(2)]);
    writeLines(file, [HEADER6_2_2, row(3)]);
    assert.deepEqual(addresses(open(t, file)), ["2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3"]);
  });

  it("bad rows are skipped, counted and reported with their line and Kea's message ID", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    writeLines(file, [
      HEADER6_2_2,
      row(1),
      "garbage",
      row(2),
      row(3).replace(",0,3,128,", ",7,3,128,"),
    ]);
    const seen: string[] = [];
    const lines: string[] = [];
    const logs = new LogManager("nestor-dhcp6");
    logs.configure([{ name: "nestor-dhcp6", severity: "INFO", outputs: [(l) => lines.push(l)] }]);
    const store = open(t, file, {
      onRowError: (_f, line) => seen.push(String(line)),
      logger: logs.getLogger("dhcpsrv"),
    });
    assert.equal(store.size, 2);
    assert.equal(store.loadRowErrors, 2);
    assert.deepEqual(seen, ["3", "5"]);
    assert.ok(
      lines.some((l) =>
        /DHCPSRV_MEMFILE_LEASE_LOAD_ROW_ERROR.*row 5 of .*leases6\.csv.*lease_type 7/.test(l),
      ),
    );
    assert.ok(lines.some((l) => /DHCPSRV_MEMFILE_DB .*universe=6/.test(l)));
  });

  it("more bad rows than max-row-errors refuse the load", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    writeLines(file, [HEADER6_2_2, "bad1", row(1), "bad2"]);
    assert.throws(
      () => MemfileLeaseStore6.open({ name: file, "lfc-interval": 0, "max-row-errors": 1 }),
      (err: unknown) => err instanceof LeaseFileFormatError && /max-row-errors/.test(err.reason),
    );
    const two = MemfileLeaseStore6.open({ name: file, "lfc-interval": 0, "max-row-errors": 2 });
    assert.equal(two.size, 1);
    void two.close();
  });

  it("a v4 lease file is refused: its header is not a v6 header", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    writeLines(file, [
      "address,hwaddr,client_id,valid_lifetime,expire,subnet_id,fqdn_fwd,fqdn_rev,hostname,state,user_context",
    ]);
    assert.throws(() => MemfileLeaseStore6.open({ name: file }), LeaseFileFormatError);
  });

  it("a missing or empty lease file is created with Kea 2.2's v6 header", (t) => {
    const dir = tempDir(t);
    const missing = path.join(dir, "a.csv");
    open(t, missing);
    assert.equal(fs.readFileSync(missing, "utf8"), `${HEADER6_2_2}\n`);
    const empty = path.join(dir, "b.csv");
    fs.writeFileSync(empty, "");
    open(t, empty);
    assert.equal(fs.readFileSync(empty, "utf8"), `${HEADER6_2_2}\n`);
  });

  it("a row cut short by a crash stays one bad row and does not swallow the next lease", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    fs.writeFileSync(file, `${HEADER6_2_2}\n${row(1)}\n2001:db8:1::2,00:03:00:01,36`);
    const first = open(t, file);
    assert.equal(first.size, 1);
    first.addLease6(lease6(3));
    first.flush();
    void first.close();
    const again = open(t, file);
    assert.deepEqual(addresses(again), ["2001:db8:1::1", "2001:db8:1::3"]);
    assert.equal(again.loadRowErrors, 1);
  });

  it("refuses to load while another process's cleanup holds the .pid file", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    fs.writeFileSync(`${file}.pid`, `${process.ppid}\n`);
    assert.throws(() => MemfileLeaseStore6.open({ name: file }), /cleanup is in progress/);
    fs.writeFileSync(`${file}.pid`, "999999999\n");
    assert.equal(open(t, file).size, 0);
  });
});

describe("memfile6: header conversion at start-up (upgrade and downgrade)", () => {
  it("a Kea 3 file (pool_id) is converted to Kea 2.2's header without losing a lease", async (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    writeLines(file, [HEADER6_3_0, `${row(1)},3`, `${row(2)},0`, `${row(2, 0)},0`, `${row(4)},0`]);
    const done: unknown[] = [];
    const store = open(t, file, { onCleanupDone: (r) => done.push(r) });
    assert.equal(store.size, 2);
    assert.equal(store.getLease6(NA, "2001:db8:1::1")?.poolId, 3);
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER6_2_2}\n`);
    store.addLease6(lease6(5));
    store.flush();
    await store.close();
    assert.equal(done.length, 1);
    assert.equal(fs.readFileSync(`${file}.2`, "utf8").split("\n")[0], HEADER6_2_2);
    assert.deepEqual(addresses(open(t, file)), ["2001:db8:1::1", "2001:db8:1::4", "2001:db8:1::5"]);
  });

  it("a Kea 1.x file (through hostname) is upgraded: defaults fill the new columns", async (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const short = (r: string) => r.split(",").slice(0, 12).join(",");
    writeLines(file, [HEADER6_2_2.split(",").slice(0, 12).join(","), short(row(1, 3600, "h1"))]);
    const store = open(t, file);
    const l = store.getLease6(NA, "2001:db8:1::1")!;
    assert.equal(l.hostname, "h1");
    assert.equal(l.state, LeaseState.DEFAULT);
    assert.equal(l.hwaddr, null);
    await store.close();
    const lines = fs.readFileSync(`${file}.2`, "utf8").split("\n");
    assert.equal(lines[0], HEADER6_2_2);
    assert.equal(lines[1], row(1, 3600, "h1"));
  });

  it("an old file is converted even when a dead cleanup left .1 behind", async (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    writeLines(`${file}.1`, [HEADER6_2_2, row(1), row(2)]);
    const cut = (r: string) => r.split(",").slice(0, 14).join(",");
    writeLines(file, [HEADER6_2_2.split(",").slice(0, 14).join(","), cut(row(2, 0))]);
    const store = open(t, file);
    assert.deepEqual(addresses(store), ["2001:db8:1::1"]);
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER6_2_2}\n`);
    await store.close();
    assert.deepEqual(addresses(open(t, file)), ["2001:db8:1::1"]);
  });
});

describe("memfile6: group commit", () => {
  it("a batch of changes reaches the file with one write at flush, not before", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const writes: number[] = [];
    const store = open(t, file, {
      writeSync: (fd, buf, off, len) => {
        writes.push(len);
        return fs.writeSync(fd, buf, off, len);
      },
    });
    for (let n = 1; n <= 32; n++) store.addLease6(lease6(n));
    for (let n = 1; n <= 32; n++) store.addLease6(prefix6(n));
    const renewed = store.getLease6(NA, "2001:db8:1::1")!.clone();
    renewed.cltt += 60;
    store.updateLease6(renewed);
    store.deleteLease6(lease6(2));
    assert.equal(store.pendingWrites, 66);
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER6_2_2}\n`);
    store.flush();
    assert.equal(writes.length, 1);
    assert.equal(store.pendingWrites, 0);
    assert.equal(fs.readFileSync(file, "utf8").split("\n").length, 1 + 66 + 1);
    store.flush();
    assert.equal(writes.length, 1);
  });

  it("a deletion row has valid and preferred lifetimes 0", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const store = open(t, file);
    store.addLease6(prefix6(1));
    store.deleteLease6(prefix6(1));
    store.flush();
    const del = fs.readFileSync(file, "utf8").trimEnd().split("\n")[2]!.split(",");
    assert.equal(del[0], "2001:db8:8:100::");
    assert.equal(del[2], "0");
    assert.equal(del[3], "1800000000");
    assert.equal(del[5], "0");
    assert.equal(del[6], "2");
  });

  it("a failed write throws LeaseFileWriteError; the next flush writes each row once", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    let full = false;
    const store = open(t, file, {
      writeSync: (fd, buf, off, len) => {
        if (full) throw Object.assign(new Error("ENOSPC: no space left"), { code: "ENOSPC" });
        return fs.writeSync(fd, buf, off, len);
      },
    });
    store.addLease6(lease6(1));
    store.addLease6(prefix6(1));
    full = true;
    assert.throws(
      () => store.flush(),
      (err: unknown) =>
        err instanceof LeaseFileWriteError && err.file === file && /ENOSPC/.test(err.message),
    );
    assert.equal(store.pendingWrites, 2);
    full = false;
    store.addLease6(lease6(3));
    store.flush();
    assert.equal(fs.readFileSync(file, "utf8").split("\n").length, 1 + 3 + 1);
    assert.equal(open(t, file).size, 3);
  });

  it("after a short write the rest of the batch follows exactly, with no duplicate", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    let calls = 0;
    const store = open(t, file, {
      writeSync: (fd, buf, off, len) => {
        calls++;
        if (calls === 1) return fs.writeSync(fd, buf, off, 7);
        if (calls === 2) throw Object.assign(new Error("EIO"), { code: "EIO" });
        return fs.writeSync(fd, buf, off, len);
      },
    });
    store.addLease6(lease6(1));
    assert.throws(() => store.flush(), LeaseFileWriteError);
    store.flush();
    assert.equal(fs.readFileSync(file, "utf8"), `${HEADER6_2_2}\n${row(1)}\n`);
  });

  it("rows survive a restart: what was flushed is what loads, every field", async (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const store = open(t, file);
    const full = prefix6(1, {
      hostname: "a,b",
      userContext: { k: "v,w" },
      hwaddr: HWAddr.fromText("02:00:00:00:00:01"),
      hwaddrSource: 4,
      fqdnFwd: true,
    });
    store.addLease6(full);
    store.addLease6(lease6(2));
    store.flush();
    await store.close();
    const again = open(t, file);
    assert.deepEqual(again.getLease6(PD, "2001:db8:8:100::"), full);
  });

  it("close() flushes what is queued", async (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const store = open(t, file);
    store.addLease6(lease6(1));
    await store.close();
    assert.equal(open(t, file).size, 1);
  });
});

describe("memfile6: persist false", () => {
  it("keeps leases in memory and never touches a file", (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, "leases6.csv");
    const writes: number[] = [];
    const store = MemfileLeaseStore6.open(
      { name: file, persist: false },
      { writeSync: (_fd, _b, _o, len) => (writes.push(len), len) },
    );
    store.addLease6(lease6(1));
    store.addLease6(prefix6(1));
    store.deleteLease6(lease6(1));
    store.flush();
    assert.equal(store.getLease6(PD, "2001:db8:8:100::")?.prefixLen, 56);
    assert.equal(store.pendingWrites, 0);
    assert.equal(writes.length, 0);
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.equal(store.runCleanup(), null);
    assert.equal(store.file, "");
    void store.close();
  });
});

describe("memfile6: lookups and changes", () => {
  function mem() {
    return MemfileLeaseStore6.open({ persist: false });
  }

  it("finds a lease by type and address in any RFC 5952 spelling, and not by another type", () => {
    const s = mem();
    s.addLease6(lease6(5, { address: "2001:DB8:1:0:0:0:0:5" }));
    assert.equal(s.getLease6(NA, "2001:db8:1::5")?.address, "2001:db8:1::5");
    assert.equal(s.getLease6(NA, "2001:0db8:0001::0005")?.address, "2001:db8:1::5");
    assert.equal(s.getLease6(PD, "2001:db8:1::5"), null);
    assert.equal(s.getLease6(NA, "2001:db8:1::6"), null);
    assert.equal(s.getLease6(NA, "not an address"), null);
  });

  it("a second lease for the same address is refused, whatever its type", () => {
    const s = mem();
    assert.equal(s.addLease6(lease6(5)), true);
    assert.equal(s.addLease6(lease6(5, { subnetId: 2 })), false);
    assert.equal(s.addLease6(lease6(5, { type: PD, prefixLen: 128 })), false);
    assert.equal(s.getLease6(NA, "2001:db8:1::5")?.subnetId, 1);
  });

  it("finds an IA's leases by type, DUID and IAID, in every subnet or in one", () => {
    const s = mem();
    const duid = duidOf(7);
    s.addLease6(lease6(0x10, { duid, iaid: 1 }));
    s.addLease6(lease6(0x11, { duid, iaid: 1, subnetId: 2 }));
    s.addLease6(lease6(0x12, { duid, iaid: 2 }));
    s.addLease6(prefix6(1, { duid, iaid: 1 }));
    s.addLease6(lease6(0x13, { iaid: 1 })); // another client
    const of = (ls: { address: string }[]) => ls.map((l) => l.address);
    assert.deepEqual(of(s.getLeases6ByDuidIaid(NA, duid, 1)), ["2001:db8:1::10", "2001:db8:1::11"]);
    assert.deepEqual(of(s.getLeases6ByDuidIaidSubnet(NA, duid, 1, 2)), ["2001:db8:1::11"]);
    assert.deepEqual(of(s.getLeases6ByDuidIaid(PD, duid, 1)), ["2001:db8:8:100::"]);
    assert.deepEqual(of(s.getLeases6ByDuidIaid(NA, new Uint8Array(duid), 2)), ["2001:db8:1::12"]);
    assert.equal(s.getLeases6ByDuid(duid).length, 4);
    assert.deepEqual(s.getLeases6ByDuid(duidOf(99)), []);
  });

  it("an update that changes the client, subnet or type moves the lease in the indexes", () => {
    const s = mem();
    s.addLease6(lease6(5));
    const moved = lease6(5, { duid: duidOf(99), subnetId: 2 });
    s.updateLease6(moved);
    assert.deepEqual(s.getLeases6ByDuid(duidOf(5)), []);
    assert.equal(s.getLeases6ByDuidIaidSubnet(NA, duidOf(99), 5, 2).length, 1);
    assert.deepEqual(s.getLeases6BySubnet(1), []);
    assert.equal(s.getLeases6BySubnet(2).length, 1);
  });

  it("a declined lease leaves its client's DUID index for the empty DUID's", () => {
    const s = mem();
    s.addLease6(lease6(5));
    const declined = s.getLease6(NA, "2001:db8:1::5")!.clone();
    declined.decline(86400, 1_800_000_000);
    s.updateLease6(declined);
    assert.deepEqual(s.getLeases6ByDuid(duidOf(5)), []);
    assert.equal(s.getLeases6ByDuid(Buffer.from([0])).length, 1);
  });

  it("the store keeps its own copy: changing the caller's lease changes nothing", () => {
    const s = mem();
    const l = lease6(5);
    s.addLease6(l);
    l.cltt = 1;
    l.duid[9] = 0xff;
    assert.equal(s.getLease6(NA, "2001:db8:1::5")?.cltt, 1_800_000_000);
    assert.equal(s.getLeases6ByDuid(duidOf(5)).length, 1);
  });

  it("updating an address with no lease throws NoSuchLease", () => {
    assert.throws(() => mem().updateLease6(lease6(5)), NoSuchLease);
  });

  it("refuses a lease the file could not hold", () => {
    const s = mem();
    assert.throws(() => s.addLease6(lease6(5, { address: "192.0.2.1" })), /not an IPv6/);
    assert.throws(() => s.addLease6(lease6(5, { validLifetime: 0 })), /no valid lifetime/);
    assert.throws(() => s.addLease6(lease6(5, { type: 3 })), /unknown type/);
    assert.throws(() => s.addLease6(lease6(5, { prefixLen: 129 })), /prefix length/);
    assert.throws(() => s.addLease6(lease6(5, { duid: Buffer.alloc(0) })), /no DUID/);
    assert.throws(() => s.addLease6(lease6(5, { duid: Buffer.from([0]) })), /empty DUID/);
    const declined = lease6(5);
    declined.decline(60, 1_800_000_000);
    assert.equal(s.addLease6(declined), true);
  });

  it("counts leases per subnet, type and state for the statistics, through every change", () => {
    const s = mem();
    s.addLease6(lease6(1));
    s.addLease6(lease6(2));
    s.addLease6(prefix6(1));
    s.addLease6(prefix6(2, { subnetId: 2 }));
    const declined = lease6(2);
    declined.decline(3600, 1_800_000_000);
    s.updateLease6(declined);
    assert.equal(s.countLeases6(1, NA, LeaseState.DEFAULT), 1);
    assert.equal(s.countLeases6(1, NA, LeaseState.DECLINED), 1);
    assert.equal(s.countLeases6(1, PD, LeaseState.DEFAULT), 1);
    assert.equal(s.countLeases6(3, PD, LeaseState.DEFAULT), 0);
    s.deleteLease6(lease6(1));
    assert.deepEqual(s.leaseStats6(), [
      { subnetId: 1, type: NA, state: LeaseState.DECLINED, count: 1 },
      { subnetId: 1, type: PD, state: LeaseState.DEFAULT, count: 1 },
      { subnetId: 2, type: PD, state: LeaseState.DEFAULT, count: 1 },
    ]);
  });

  it("expired leases come oldest first, limited, without reclaimed ones", () => {
    const s = mem();
    s.addLease6(lease6(1, { cltt: 1000, validLifetime: 50 })); // 1050
    s.addLease6(prefix6(2, { cltt: 1000, validLifetime: 10 })); // 1010
    s.addLease6(lease6(3, { cltt: 1000, validLifetime: 20, state: LeaseState.EXPIRED_RECLAIMED }));
    s.addLease6(lease6(4, { cltt: 1000, validLifetime: 5000 }));
    s.addLease6(lease6(5, { cltt: 1000, validLifetime: INFINITY_LFT }));
    s.addLease6(lease6(6, { cltt: 1000, validLifetime: 30, state: LeaseState.DECLINED })); // 1030
    assert.deepEqual(
      s.getExpiredLeases6(2000, 0).map((l) => l.address),
      ["2001:db8:8:200::", "2001:db8:1::6", "2001:db8:1::1"],
    );
    assert.equal(s.getExpiredLeases6(2000, 2).length, 2);
  });

  it("the expired-lease index and the counts agree with a full scan through random changes", () => {
    const s = mem();
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let step = 0; step < 10_000; step++) {
      const n = 1 + rand(200);
      const cur = s.getLease6(NA, `2001:db8:1::${n.toString(16)}`);
      const fields = {
        cltt: 1000 + rand(1000),
        validLifetime: rand(20) === 0 ? INFINITY_LFT : 1 + rand(500),
        state: rand(3),
        duid: duidOf(rand(30)),
      };
      if (cur === null) s.addLease6(lease6(n, fields));
      else if (rand(5) === 0) s.deleteLease6(cur);
      else s.updateLease6(lease6(n, { ...fields, subnetId: 1 + rand(2) }));
      if (step % 500 === 0) {
        const now = 1000 + rand(1500);
        const scan = s
          .getAllLeases6()
          .filter((l) => l.state !== LeaseState.EXPIRED_RECLAIMED && l.isExpired(now))
          .map((l) => `${l.expire}/${l.address}`)
          .sort();
        const got = s.getExpiredLeases6(now, 0);
        assert.deepEqual(got.map((l) => `${l.expire}/${l.address}`).sort(), scan);
        for (let i = 1; i < got.length; i++) assert.ok(got[i - 1]!.expire <= got[i]!.expire);
        for (const subnetId of [1, 2]) {
          for (const state of [0, 1, 2]) {
            const count = s.getLeases6BySubnet(subnetId).filter((l) => l.state === state).length;
            assert.equal(s.countLeases6(subnetId, NA, state), count);
          }
        }
        let byDuid = 0;
        for (let d = 0; d < 30; d++) byDuid += s.getLeases6ByDuid(duidOf(d)).length;
        assert.equal(byDuid, s.size);
      }
    }
  });

  it("reclaimed leases are deleted once held long enough, with deletion rows", (t) => {
    const file = path.join(tempDir(t), "leases6.csv");
    const s = open(t, file);
    s.addLease6(lease6(1, { cltt: 1000, validLifetime: 10, state: LeaseState.EXPIRED_RECLAIMED }));
    s.addLease6(prefix6(2, { cltt: 1950, validLifetime: 10, state: LeaseState.EXPIRED_RECLAIMED }));
    assert.equal(s.deleteExpiredReclaimedLeases6(2000, 60), 1);
    assert.deepEqual(addresses(s), ["2001:db8:8:200::"]);
    s.flush();
    assert.deepEqual(addresses(open(t, file)), ["2001:db8:8:200::"]);
  });
});
