import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";

import { LeaseFileWriteError } from "../../../../src/dhcpsrv/leases/lease-store4.ts";
import type { LeaseFileSync, MemfileHooks } from "../../../../src/dhcpsrv/leases/lease-journal.ts";
import { MemfileLeaseStore4 } from "../../../../src/dhcpsrv/leases/memfile-lease-store4.ts";
import { MemfileLeaseStore6 } from "../../../../src/dhcpsrv/leases/memfile-lease-store6.ts";
import { lease, tempDir } from "./lease-helpers.ts";
import { lease6 } from "./lease6-helpers.ts";

type Ctx = { after(fn: () => void): void };

/** Every write and fdatasync the store makes, in order, with the file's size at each sync. */
function traced(t: Ctx, family: 4 | 6, sync: LeaseFileSync | undefined, failSync = () => false) {
  const file = path.join(tempDir(t), `leases${family}.csv`);
  const calls: string[] = [];
  const hooks: MemfileHooks = {
    writeSync: (fd, buf, off, len) => {
      calls.push("write");
      return fs.writeSync(fd, buf, off, len);
    },
    fdatasyncSync: (fd) => {
      calls.push(`fdatasync@${fs.fstatSync(fd).size}`);
      if (failSync()) throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
      fs.fdatasyncSync(fd);
    },
  };
  const config = { name: file, "lfc-interval": 0, ...(sync === undefined ? {} : { sync }) };
  const store =
    family === 4 ? MemfileLeaseStore4.open(config, hooks) : MemfileLeaseStore6.open(config, hooks);
  t.after(() => void store.close().catch(() => {}));
  const add = (n: number) =>
    store instanceof MemfileLeaseStore4 ? store.addLease4(lease(n)) : store.addLease6(lease6(n));
  return { file, calls, store, add };
}

for (const family of [4, 6] as const) {
  describe(`lease-database sync (v${family} memfile)`, () => {
    it('"fdatasync": each flush writes its rows, then syncs them once, file already grown', (t) => {
      const { file, calls, store, add } = traced(t, family, "fdatasync");
      for (let n = 1; n <= 10; n++) add(n);
      store.flush();
      const size1 = fs.statSync(file).size;
      assert.deepEqual(calls, ["write", `fdatasync@${size1}`]);
      add(11);
      store.flush();
      const size2 = fs.statSync(file).size;
      assert.ok(size2 > size1);
      assert.deepEqual(calls, ["write", `fdatasync@${size1}`, "write", `fdatasync@${size2}`]);
      store.flush(); // nothing queued: neither a write nor a sync
      assert.equal(calls.length, 4);
    });

    it('"none" and no key (Kea\'s memfile): writes, never a sync', (t) => {
      for (const sync of ["none", undefined] as const) {
        const { calls, store, add } = traced(t, family, sync);
        add(1);
        store.flush();
        add(2);
        store.flush();
        assert.deepEqual(calls, ["write", "write"], String(sync));
      }
    });

    it("a failed fdatasync fails the flush (the replies wait) and no row is written twice", (t) => {
      let fail = true;
      const { file, calls, store, add } = traced(t, family, "fdatasync", () => fail);
      add(1);
      assert.throws(
        () => store.flush(),
        (err: unknown) =>
          err instanceof LeaseFileWriteError && err.file === file && /fdatasync/.test(err.message),
      );
      assert.equal(store.pendingWrites, 0);
      fail = false;
      add(2);
      store.flush();
      assert.equal(calls.filter((c) => c === "write").length, 2);
      const rows = fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(1);
      assert.equal(rows.length, 2);
      assert.notEqual(rows[0], rows[1]);
    });
  });
}
