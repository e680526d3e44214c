// Client classes through the control channel of a running nestor-dhcp4: a config-set whose class
// test does not parse is refused with the key and the reason and changes nothing; one that guards
// the pool with a class takes effect at once, and config-get shows the classes as written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { DHCPMessageType as T } from "../../../src/dhcp/constants.ts";
import type { JsonObject } from "../../../src/hooks/types.ts";
import { body4, dora, mac, startBed, unixCommand } from "./helpers.ts";

test("config-set with client classes: a bad test is refused and changes nothing; a guard applies at once", async () => {
  const bed = await startBed();
  try {
    assert.equal((await dora(bed, mac(1)))?.getType(), T.DHCPACK);
    const before = await unixCommand(bed.socketPath, { command: "config-hash-get" });

    const bad = body4({
      "client-classes": [{ name: "lab", test: "member('lab') or pkt4.mac == 0x0200" }],
    });
    const refused = await unixCommand(bed.socketPath, {
      command: "config-set",
      arguments: { Dhcp4: bad },
    });
    assert.equal(refused.result, 1);
    assert.match(
      refused.text!,
      /Dhcp4\.client-classes\[0\]\.test: expression \[member\('lab'\) or pkt4\.mac == 0x0200\] error at character 8: Not defined client class 'lab'/,
    );
    assert.deepEqual(await unixCommand(bed.socketPath, { command: "config-hash-get" }), before);
    assert.equal((await dora(bed, mac(2)))?.getType(), T.DHCPACK);

    // The pool for one MAC address only (a class on pkt4.mac); the others get nothing.
    const guarded = body4({
      "client-classes": [{ name: "lab", test: "pkt4.mac == 0x020000000003" }],
    });
    (guarded["subnet4"] as JsonObject[])[0]!["pools"] = [
      { pool: "198.51.100.10 - 198.51.100.250", "client-class": "lab" },
    ];
    const set = await unixCommand(bed.socketPath, {
      command: "config-set",
      arguments: { Dhcp4: guarded },
    });
    assert.equal(set.result, 0, set.text);
    assert.equal((await dora(bed, mac(3)))?.getType(), T.DHCPACK);
    assert.equal(await dora(bed, mac(4), 300), null);

    const got = await unixCommand(bed.socketPath, { command: "config-get" });
    const dhcp4 = (got.arguments as JsonObject)["Dhcp4"] as JsonObject;
    // As Kea 2.2's config-get, a v4 class shows its (empty) option-def list.
    assert.deepEqual(dhcp4["client-classes"], [
      { name: "lab", test: "pkt4.mac == 0x020000000003", "option-data": [], "option-def": [] },
    ]);
  } finally {
    await bed.close();
  }
});
