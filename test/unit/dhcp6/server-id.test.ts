import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DUID_TIME_EPOCH, DuidType } from "../../../src/dhcp/duid.ts";
import type { ServerId } from "../../../src/dhcpsrv/config/types.ts";
import { SERVER_ID_FILE, serverDuid } from "../../../src/dhcp6/server-id.ts";

const MAC = Buffer.from("020000000042", "hex");

function cfg(o: Partial<ServerId> = {}): ServerId {
  return {
    type: "LLT",
    identifier: "",
    time: 0,
    htype: 0,
    "enterprise-id": 0,
    persist: true,
    ...o,
  };
}

test("the default server DUID is an LLT of the machine's hardware address and the time since 2000", () => {
  const now = DUID_TIME_EPOCH + 1000;
  const d = serverDuid({ config: cfg(), dataDirectory: undefined, hwaddr: MAC, now });
  const info = d.describe();
  assert.equal(info.type, DuidType.DUID_LLT);
  assert.equal(d.duid.toString("hex"), "00010001000003e8" + MAC.toString("hex"));
});

test("a generated DUID is written to the data directory and read back on the next start", () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-sid-"));
  const first = serverDuid({
    config: cfg(),
    dataDirectory: dir,
    hwaddr: MAC,
    now: DUID_TIME_EPOCH + 5,
  });
  assert.equal(readFileSync(join(dir, SERVER_ID_FILE), "utf8"), first.toText() + "\n");
  const later = serverDuid({
    config: cfg(),
    dataDirectory: dir,
    hwaddr: MAC,
    now: DUID_TIME_EPOCH + 99,
  });
  assert.deepEqual(later.duid, first.duid);
});

test("persist false writes no file", () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-sid-"));
  serverDuid({ config: cfg({ persist: false }), dataDirectory: dir, hwaddr: MAC });
  assert.throws(() => readFileSync(join(dir, SERVER_ID_FILE)));
});

test("a stored DUID of another type than configured is replaced", () => {
  const dir = mkdtempSync(join(tmpdir(), "nestor-sid-"));
  writeFileSync(join(dir, SERVER_ID_FILE), "00:03:00:01:02:00:00:00:00:42\n");
  const d = serverDuid({ config: cfg({ type: "EN" }), dataDirectory: dir, hwaddr: MAC });
  assert.equal(d.getType(), DuidType.DUID_EN);
  assert.equal(readFileSync(join(dir, SERVER_ID_FILE), "utf8").trim(), d.toText());
});

test("LL and EN use the configured identifier, hardware type and enterprise id", () => {
  const ll = serverDuid({
    config: cfg({ type: "LL", identifier: "aa:bb:cc:dd:ee:ff", htype: 6 }),
    dataDirectory: undefined,
    hwaddr: MAC,
  });
  assert.equal(ll.duid.toString("hex"), "00030006aabbccddeeff");
  const en = serverDuid({
    config: cfg({ type: "EN", identifier: "0102", "enterprise-id": 4491 }),
    dataDirectory: undefined,
    hwaddr: MAC,
  });
  assert.equal(en.duid.toString("hex"), "00020000118b0102");
});
