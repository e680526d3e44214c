// lease-database "sync" (Nestor's key): accepted values, refusals with file, key and reason.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigFileError } from "../../../../src/dhcpsrv/config/errors.ts";
import { parseConfigText } from "../../../../src/dhcpsrv/config/validate.ts";

function load(family: 4 | 6, db: string) {
  return parseConfigText(`{ "Dhcp${family}": { "lease-database": ${db} } }`, family, "k.conf");
}

function refusal(family: 4 | 6, db: string): ConfigFileError {
  try {
    load(family, db);
  } catch (err) {
    assert.ok(err instanceof ConfigFileError, `expected a ConfigFileError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the configuration to be refused");
}

for (const family of [4, 6] as const) {
  test(`Dhcp${family} lease-database takes "sync" "fdatasync" or "none"; absent stays absent`, () => {
    for (const sync of ["fdatasync", "none"]) {
      const { config } = load(family, `{ "type": "memfile", "sync": "${sync}" }`);
      assert.equal(config["lease-database"].sync, sync);
    }
    // As Kea's, the map keeps what was written: no "sync" added when it is not there.
    const { config } = load(family, `{ "type": "memfile" }`);
    assert.equal("sync" in config["lease-database"], false);
  });

  test(`Dhcp${family} lease-database refuses an unknown "sync" and a sync without a lease file`, () => {
    const bad = refusal(family, `{ "type": "memfile", "sync": "fsync-always" }`);
    assert.match(bad.message, /k\.conf/);
    assert.match(bad.message, /lease-database.*sync|sync.*lease-database/);
    assert.match(bad.message, /fdatasync/);
    const nofile = refusal(family, `{ "type": "memfile", "persist": false, "sync": "fdatasync" }`);
    assert.match(nofile.message, /lease-database.*sync/);
    assert.match(nofile.message, /needs a lease file/);
  });
}
