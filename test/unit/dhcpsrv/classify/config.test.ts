// The client class keys of the configuration: what is accepted as Kea writes it, what is refused
// and how the refusal reads (file, line, column, key path, reason).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ConfigFileError } from "../../../../src/dhcpsrv/config/errors.ts";
import { parseConfigText } from "../../../../src/dhcpsrv/config/validate.ts";
import { buildDhcp4Model } from "../../../../src/dhcpsrv/model/cfg4.ts";
import { buildDhcp6Model } from "../../../../src/dhcpsrv/model/cfg6.ts";

function text4(classes: string, subnet = ""): string {
  return `{ "Dhcp4": {
  "client-classes": ${classes},
  "subnet4": [ { "id": 1, "subnet": "198.51.100.0/24",
    "pools": [ { "pool": "198.51.100.10 - 198.51.100.20" } ]${subnet} } ]
} }`;
}

function text6(classes: string): string {
  return `{ "Dhcp6": {
  "client-classes": ${classes},
  "subnet6": [ { "id": 1, "subnet": "2001:db8:1::/64" } ]
} }`;
}

function load4(text: string) {
  const { config, source } = parseConfigText(text, 4, "kea.conf");
  return buildDhcp4Model(config, "kea.conf", source);
}

function load6(text: string) {
  const { config, source } = parseConfigText(text, 6, "kea.conf");
  return buildDhcp6Model(config, "kea.conf", source);
}

function refusal(fn: () => unknown): ConfigFileError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigFileError, String(e));
    return e;
  }
  assert.fail("accepted");
}

describe("accepted", () => {
  test("Kea 2.2's class keys, all of them", () => {
    const model = load4(
      text4(`[
        { "name": "phones", "test": "substring(option[60].hex,0,6) == 'Aastra'",
          "option-data": [ { "name": "domain-name-servers", "data": "198.51.100.53" } ],
          "next-server": "198.51.100.2", "server-hostname": "tftp", "boot-file-name": "f.cfg",
          "valid-lifetime": 600, "min-valid-lifetime": 300, "max-valid-lifetime": 900,
          "only-if-required": false, "option-def": [], "user-context": { "a": 1 }, "comment": "c" },
        { "name": "late", "test": "member('phones')", "only-if-required": true },
        { "name": "from-hook" }
      ]`),
    );
    const classes = model.classes!;
    assert.deepEqual(
      classes.defs.map((d) => d.name),
      ["phones", "late", "from-hook"],
    );
    assert.deepEqual(classes.byName.get("phones")!.validLifetime, {
      default: 600,
      min: 300,
      max: 900,
    });
    assert.equal(classes.byName.get("late")!.onlyIfRequired, true);
    assert.equal(classes.byName.get("from-hook")!.test, null);
  });

  test("guards and required classes in both spellings, on subnets and pools", () => {
    const model = load4(
      text4(
        "[]",
        `, "client-class": "a", "require-client-classes": [ "r" ],
        "reservations": [ { "hw-address": "02:00:00:00:00:01", "client-classes": [ "vip" ] } ]`,
      ),
    );
    const s = model.subnets[0]!;
    assert.deepEqual(s.guard, ["a"]);
    assert.deepEqual(s.requiredClasses, [{ name: "r", untestedJoins: false }]);
    assert.equal(s.pools[0]!.guard, null);
    assert.ok(model.classes !== null, "guards turn classification on");
  });

  test("without classes, guards or reservation classes, nothing is classified", () => {
    assert.equal(load4(text4("[]")).classes, null);
  });

  test("Dhcp6 classes: preferred-lifetime, and later Kea's only-in-additional-list", () => {
    const model = load6(
      text6(`[ { "name": "m", "test": "option[16].exists", "preferred-lifetime": 100,
        "valid-lifetime": 200, "only-in-additional-list": true } ]`),
    );
    const m = model.classes!.byName.get("m")!;
    assert.deepEqual(m.preferredLifetime, { default: 100, min: 100, max: 100 });
    assert.equal(m.onlyIfRequired, true);
  });
  test("a class's option-def shapes that class's options only", () => {
    const model = load4(
      text4(
        `[ { "name": "apc", "option-def": [ { "name": "vendor-encapsulated-options", "code": 43, "type": "string" } ],
             "option-data": [ { "name": "vendor-encapsulated-options", "data": "APC" } ] },
           { "name": "other", "option-data": [ { "name": "vendor-encapsulated-options", "data": "01:01:ff", "csv-format": false } ] } ]`,
      ),
    );
    const apc = model.classes!.byName.get("apc")!.options.get(43)!;
    assert.equal(apc.def?.type, "string");
    assert.equal(apc.option.pack().toString("hex"), "2b03" + Buffer.from("APC").toString("hex"));
    // Elsewhere option 43 keeps Kea's last-resort definition (empty, encapsulating a space).
    const other = model.classes!.byName.get("other")!.options.get(43)!;
    assert.equal(other.def?.encapsulate, "vendor-encapsulated-options-space");
  });
});

describe("refused", () => {
  test("a class without a name, or with an empty one", () => {
    const e = refusal(() => load4(text4(`[ { "test": "member('ALL')" } ]`)));
    assert.equal(e.path, "Dhcp4.client-classes[0]");
    assert.match(e.message, /"name" is required in each client-classes entry/);
    const empty = refusal(() => load4(text4(`[ { "name": "" } ]`)));
    assert.equal(empty.path, "Dhcp4.client-classes[0].name");
    assert.match(empty.message, /not empty parameter 'name' is required/);
  });

  test("a class-level option-def: option 43 and codes 224-254 of dhcp4 only, as Kea", () => {
    assert.doesNotThrow(() =>
      load4(
        text4(
          `[ { "name": "a", "option-def": [ { "name": "vendor-encapsulated-options", "code": 43, "type": "binary" }, { "name": "x", "code": 224, "type": "uint8" } ] } ]`,
        ),
      ),
    );
    const e = refusal(() =>
      load4(
        text4(
          `[ { "name": "a", "option-def": [ { "name": "x", "code": 222, "type": "uint8" } ] } ]`,
        ),
      ),
    );
    assert.equal(e.path, "Dhcp4.client-classes[0].option-def[0].code");
    assert.match(e.message, /not allowed option definition for code '222' in space 'dhcp4'/);
    const space = refusal(() =>
      load4(
        text4(
          `[ { "name": "a", "option-def": [ { "name": "x", "code": 1, "space": "acme", "type": "uint8" } ] } ]`,
        ),
      ),
    );
    assert.match(space.message, /not allowed option definition for code '1' in space 'acme'/);
    const dup = refusal(() =>
      load4(
        text4(
          `[ { "name": "a", "option-def": [ { "name": "x", "code": 224, "type": "uint8" }, { "name": "y", "code": 224, "type": "uint8" } ] } ]`,
        ),
      ),
    );
    assert.match(dup.message, /already defined/);
  });

  test("v4 boot fields in a Dhcp6 class are unknown keys", () => {
    const e = refusal(() => load6(text6(`[ { "name": "a", "next-server": "198.51.100.1" } ]`)));
    assert.match(e.message, /unknown keyword "next-server" in client-classes map/);
  });

  test("a class's lifetimes out of order", () => {
    const e = refusal(() =>
      load4(text4(`[ { "name": "a", "valid-lifetime": 100, "max-valid-lifetime": 50 } ]`)),
    );
    assert.equal(e.path, "Dhcp4.client-classes[0].max-valid-lifetime");
  });

  test("a class's bad next-server and option data", () => {
    assert.match(
      refusal(() => load4(text4(`[ { "name": "a", "next-server": "nowhere" } ]`))).message,
      /"nowhere" is not an IPv4 address/,
    );
    const e = refusal(() =>
      load4(
        text4(`[ { "name": "a", "option-data": [ { "name": "no-such-option", "data": "1" } ] } ]`),
      ),
    );
    assert.equal(e.path, "Dhcp4.client-classes[0].option-data[0]");
  });

  test("an empty class name in a guard list", () => {
    const e = refusal(() => load4(text4("[]", `, "client-classes": [ "" ]`)));
    assert.equal(e.path, "Dhcp4.subnet4[0].client-classes[0]");
  });
});
